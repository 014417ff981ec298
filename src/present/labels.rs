//! Labels and classes in words: what each label status means (the selects, their
//! tooltips, the legend) and the one name of a class ("class 0 (background)" where class 0
//! is the background of exclusive classes).

use crate::engine::status::LabelStatus;

/// A label status in words. (A trait: the engine's types live in their own crate, and
/// their words belong here.)
pub trait StatusWords {
    /// A few words for a select.
    fn words(self) -> &'static str;
    /// What it means, in a sentence.
    fn meaning(self) -> &'static str;
}

impl StatusWords for LabelStatus {
    fn words(self) -> &'static str {
        match self {
            LabelStatus::Annotated => "annotated",
            LabelStatus::Missing => "missing label",
            LabelStatus::Empty => "empty (absent)",
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            LabelStatus::Annotated => "Annotated: the painted label is the ground truth the loss sees",
            LabelStatus::Missing => "Missing: the structure is there (paint it as the hidden truth) but nobody labelled it, so the loss sees y = 0. Wanted: almost no push",
            LabelStatus::Empty => "Empty: the structure is truly absent, so the loss sees y = 0. Wanted: any prediction pushed down",
        }
    }
}

/// The one name of class `c`: "class 0 (background)" where class 0 is the background of
/// exclusive classes, else "class c".
pub fn class_name(c: usize, exclusive: bool) -> String {
    if c == 0 && exclusive {
        "class 0 (background)".to_string()
    } else {
        format!("class {c}")
    }
}
