//! The record of what one or more messages changed, from which the derived data and the
//! views work out what to recompute and redraw. [`crate::page::update::update`] returns
//! one per message; the web root merges them until the next frame.
//!
//! Most flags name a part of the model; a few are hints for the views (`controls`: show
//! the model again where a control's input was not taken; `layout`: the space the grid
//! has may differ). Builders name the flag they set:
//! `Change::none().notice().controls()`.

use crate::page::paint::Cells;

/// How the address bar follows a change.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Link {
    /// It still says what is shown.
    #[default]
    Keep,
    /// Rewrite the current entry now (after a brush stroke: at its end).
    Replace,
    /// Rewrite the current entry soon: the change is one of many (a slider being
    /// dragged), and browsers throttle history writes.
    Soon,
    /// A new history entry, so Back returns here. `before` is the link of the page just
    /// before the change: an edit not yet written must be written to the current entry
    /// first, or Back would lose it.
    Push { before: String },
    /// The page was opened from the address bar (start-up, a pasted link, Back): it shows
    /// that link as it is (a hash-less first entry stays hash-less), and a write still
    /// pending for the page before belongs to another entry: it is dropped.
    Opened,
}

/// What one or more messages changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// Loss settings (Φ, ε, options).
    pub settings: bool,
    /// How the gradient is drawn (the display options; the evaluation stands).
    pub display: bool,
    /// Cells whose label, label status or loss labels changed (their predictions may
    /// have too).
    pub labels: Cells,
    /// Cells whose predictions changed.
    pub preds: Cells,
    /// Batch elements whose input image changed.
    pub images: Vec<usize>,
    /// A whole new page (size, class mode, a link): everything.
    pub page: bool,
    /// Brush settings or the Fill/Clear target.
    pub tool: bool,
    /// What undo and redo can do.
    pub history: bool,
    /// The lesson or the tour.
    pub lesson: bool,
    /// The cell whose set is explained.
    pub focus: bool,
    pub hover: bool,
    pub notice: bool,
    /// An ε field's text or refusal.
    pub entry: bool,
    /// A view hint: a control's input was not taken as given (refused, or no change), so
    /// the controls show the model again.
    pub controls: bool,
    /// A view hint: the space the grid has may differ (the window's size, images or
    /// compare columns shown).
    pub layout: bool,
    /// What the screen shows around the data: presentation mode, the introduction, the
    /// lesson text folded, the excluded columns.
    pub screen: bool,
    /// An export or copy was asked for (`Model::screen.request`).
    pub export: bool,
    /// The training session: started, stepped, reset or dropped.
    pub training: bool,
    /// Compare mode or its second setting.
    pub compare: bool,
    /// The "Paste your loss" status: what a pasted call set, or why not.
    pub paste: bool,
    /// The "Your data" panel: the files read, what part is shown, or why not.
    pub yourdata: bool,
    /// The Experiment panel: its choices, progress or results.
    pub experiment: bool,
    pub link: Link,
}

/// A builder that sets one flag.
macro_rules! flags {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self) -> Change {
                self.$name = true;
                self
            }
        )*
    };
}

impl Change {
    /// Nothing changed.
    pub fn none() -> Change {
        Change::default()
    }

    /// Labels and predictions of these cells changed; the link follows.
    pub fn cells(labels: Cells, preds: Cells) -> Change {
        Change {
            labels,
            preds,
            link: Link::Replace,
            ..Change::default()
        }
    }

    /// A whole new page: everything, and the link follows.
    pub fn whole_page() -> Change {
        Change::none()
            .page()
            .history()
            .tool()
            .focus()
            .hover()
            .lesson()
            .link(Link::Replace)
    }

    flags!(
        settings, display, page, tool, history, lesson, focus, hover, notice, entry, controls,
        layout, screen, export, training, compare, paste, yourdata, experiment,
    );

    /// How the address bar follows.
    #[must_use]
    pub fn link(mut self, link: Link) -> Change {
        self.link = link;
        self
    }

    /// These cells' predictions changed.
    #[must_use]
    pub fn preds(mut self, cells: Cells) -> Change {
        self.preds = cells;
        self
    }

    /// These batch elements' images changed.
    #[must_use]
    pub fn images(mut self, images: Vec<usize>) -> Change {
        self.images = images;
        self
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Change::default()
    }

    /// Whether the painted data or the settings changed: what the loss is computed from.
    pub fn data(&self) -> bool {
        self.settings || self.page || !self.labels.is_empty() || !self.preds.is_empty()
    }

    /// Adds `other` (a later change) to this one.
    pub fn merge(&mut self, other: Change) {
        self.settings |= other.settings;
        self.display |= other.display;
        merge_cells(&mut self.labels, other.labels);
        merge_cells(&mut self.preds, other.preds);
        self.images.extend(other.images);
        self.images.sort_unstable();
        self.images.dedup();
        self.page |= other.page;
        self.tool |= other.tool;
        self.history |= other.history;
        self.lesson |= other.lesson;
        self.focus |= other.focus;
        self.hover |= other.hover;
        self.notice |= other.notice;
        self.entry |= other.entry;
        self.controls |= other.controls;
        self.layout |= other.layout;
        self.screen |= other.screen;
        self.export |= other.export;
        self.training |= other.training;
        self.compare |= other.compare;
        self.paste |= other.paste;
        self.yourdata |= other.yourdata;
        self.experiment |= other.experiment;
        self.link = match (std::mem::take(&mut self.link), other.link) {
            // The first push's `before` is the one that may still need writing.
            (Link::Push { before }, _) => Link::Push { before },
            (_, Link::Push { before }) => Link::Push { before },
            // What follows an opened link rewrites it; what came before it is gone.
            (_, Link::Opened) => Link::Opened,
            (Link::Opened, Link::Keep) => Link::Opened,
            (Link::Replace, _) | (_, Link::Replace) => Link::Replace,
            (Link::Soon, _) | (_, Link::Soon) => Link::Soon,
            _ => Link::Keep,
        };
    }

    /// This change followed by `other`.
    #[must_use]
    pub fn and(mut self, other: Change) -> Change {
        self.merge(other);
        self
    }
}

fn merge_cells(into: &mut Cells, more: Cells) {
    if more.is_empty() {
        return;
    }
    into.extend(more);
    into.sort_unstable();
    into.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_their_flag_and_merging_keeps_the_first_push() {
        let ch = Change::none().notice().controls().link(Link::Soon);
        assert!(ch.notice && ch.controls && !ch.settings && ch.link == Link::Soon);
        assert!(Change::none().is_empty());
        assert!(Change::cells(vec![(0, 1)], Vec::new()).data());
        let mut a = Change::none().link(Link::Push {
            before: "#a".into(),
        });
        a.merge(Change::none().link(Link::Push {
            before: "#b".into(),
        }));
        assert_eq!(
            a.link,
            Link::Push {
                before: "#a".into()
            }
        );
        let merged = Change::none()
            .preds(vec![(1, 1), (0, 0)])
            .and(Change::none().preds(vec![(0, 0)]).images(vec![1]));
        assert_eq!(merged.preds, vec![(0, 0), (1, 1)]);
        assert_eq!(merged.images, vec![1]);
        assert_eq!(
            Change::none().link(Link::Opened).and(Change::none()).link,
            Link::Opened
        );
    }
}
