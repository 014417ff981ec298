//! Labels and classes in words: what each label status means (the selects, their
//! tooltips, the legend) and the one name of a class ("class 0 (background)" where class 0
//! is the background of exclusive classes).

use crate::engine::status::LabelStatus;

impl LabelStatus {
    /// A few words for a select.
    pub fn words(self) -> &'static str {
        match self {
            LabelStatus::Annotated => "annotated",
            LabelStatus::Missing => "missing label",
            LabelStatus::Empty => "empty (absent)",
        }
    }

    /// What it means, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            LabelStatus::Annotated => "Annotated: the painted label is the ground truth the loss sees",
            LabelStatus::Missing => "Missing: the structure is there (paint it as the hidden truth) but nobody labelled it, so the loss sees y = 0. Wanted: almost no push",
            LabelStatus::Empty => "Empty: the structure is truly absent, so the loss sees y = 0. Wanted: any prediction pushed down",
        }
    }
}
