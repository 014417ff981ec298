//! What the annotation of one (image, class) cell means: the paper's annotated, missing
//! and empty labels. The leaf and marginal Dice are told the missing cells
//! ([`crate::variants`]), and the verdict rule judges each cell by what its label
//! wants ([`crate::verdict`]). Their words are `present::labels`.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::variants::Variant;

/// What the annotation of one (b, c) cell means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LabelStatus {
    /// The painted label is the ground truth the loss sees.
    #[default]
    Annotated,
    /// The structure is there (painted as a hidden truth) but the loss sees y = 0.
    Missing,
    /// The structure is truly absent: the loss sees y = 0.
    Empty,
}

impl LabelStatus {
    /// In the order the page lists them (their index is their code in a link).
    pub const ALL: [LabelStatus; 3] = [
        LabelStatus::Annotated,
        LabelStatus::Missing,
        LabelStatus::Empty,
    ];

    /// The name in links, selects and the CLI: "annotated", "missing", "empty".
    pub fn code(self) -> &'static str {
        match self {
            LabelStatus::Annotated => "annotated",
            LabelStatus::Missing => "missing",
            LabelStatus::Empty => "empty",
        }
    }

    pub fn parse(s: &str) -> Option<LabelStatus> {
        Self::ALL.into_iter().find(|st| st.code() == s)
    }

    /// Position in [`LabelStatus::ALL`].
    pub fn index(self) -> u8 {
        match self {
            LabelStatus::Annotated => 0,
            LabelStatus::Missing => 1,
            LabelStatus::Empty => 2,
        }
    }

    pub fn from_index(k: u8) -> Option<LabelStatus> {
        Self::ALL.get(usize::from(k)).copied()
    }
}

/// The cells whose labels are missing, as the leaf and marginal Dice need them; empty for
/// the plain Dice, which does not read them.
pub fn missing_cells(status: &Array2<LabelStatus>, variant: Variant) -> Vec<(usize, usize)> {
    if variant == Variant::Dice {
        return Vec::new();
    }
    status
        .indexed_iter()
        .filter(|(_, st)| **st == LabelStatus::Missing)
        .map(|(bc, _)| bc)
        .collect()
}
