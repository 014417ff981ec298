//! The notice above the grid: what the page says back when it refuses something, why
//! training stopped, what a preset switched. A refused entry's notice ends when a valid
//! value is taken there.

use crate::page::change::Change;
use crate::page::model::{Entry, Model, Notice};

/// Shows `text` above the grid (`error`: as a refusal).
pub fn notice(m: &mut Model, text: String, error: bool) -> Change {
    m.feedback.notice = Some(Notice {
        text,
        error,
        entry: None,
    });
    Change::none().notice()
}

/// The notice goes (its × button).
pub fn dismiss(m: &mut Model) -> Change {
    if m.feedback.notice.take().is_none() {
        return Change::none();
    }
    Change::none().notice()
}

/// A typed value refused: the notice says why until a valid value is taken there.
pub fn refuse_entry(m: &mut Model, entry: Entry, text: String) -> Change {
    let ch = notice(m, text, true);
    if let Some(n) = m.feedback.notice.as_mut() {
        n.entry = Some(entry);
    }
    ch
}

/// A valid value taken at `entry`: a notice that refused an earlier one there is over.
pub fn accept_entry(m: &mut Model, entry: Entry) -> Change {
    if m.feedback
        .notice
        .as_ref()
        .is_none_or(|n| n.entry != Some(entry))
    {
        return Change::none();
    }
    m.feedback.notice = None;
    Change::none().notice()
}
