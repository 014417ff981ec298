//! The one function that changes the page model: [`update`] routes a message to its
//! domain and applies the rules that cut across domains. Each domain's rules live in its
//! own file, beside the part of the model it changes:
//!
//! - [`paint`]: strokes, the keyboard cursor, Fill, Clear, helpers, undo and redo; one
//!   undo step per edit;
//! - [`tool`]: the brush and helper settings;
//! - [`settings`]: the loss settings and label statuses (refusals in words);
//! - [`display`]: how the gradient views are drawn;
//! - [`explain`]: the hovered pixel and the selected set;
//! - [`page`]: the page as a whole (size, reset, links) and the notice;
//! - [`lesson`]: the lessons and the tour;
//! - [`screen`]: presentation mode, the introduction, folded columns, exports;
//! - [`train`]: the training session;
//! - [`compare`]: compare mode's second setting;
//! - [`data`]: the person's own files ("Your data") put into the scene.
//! - [`experiment`]: the Experiment panel and its worker's reports.
//!
//! Each returns a [`Change`] saying what changed, from which the derived data and the
//! views work out what to recompute and redraw, and how the address bar follows.

mod compare;
mod data;
mod display;
mod experiment;
mod explain;
mod lesson;
mod notice;
mod page;
mod paint;
mod screen;
mod settings;
#[cfg(test)]
mod tests;
mod tool;
mod train;

pub use crate::page::change::{Change, Link};
pub use page::{load_route, open_link};

use crate::page::model::Model;
use crate::page::msg::Msg;

/// Applies one message to the model and says what changed.
pub fn update(m: &mut Model, msg: Msg) -> Change {
    let eps_before = (m.state.settings.eps_nr, m.state.settings.eps_dr);
    let variant_before = m.state.settings.variant;
    // Training messages are the training domain's own, the experiment's are apart (its
    // worker trains its own data); every other message may change the data a session
    // trains on.
    let training_message = matches!(msg, Msg::Train(_) | Msg::Experiment(_));
    let sessions = m.train.sessions;
    let mut ch = match msg {
        Msg::Paint(msg) => paint::update(m, msg),
        Msg::Tool(msg) => tool::update(m, msg),
        Msg::Settings(msg) => settings::update(m, msg),
        Msg::Display(msg) => display::update(m, msg),
        Msg::Explain(msg) => explain::update(m, msg),
        Msg::Page(msg) => page::update(m, msg),
        Msg::Lesson(msg) => lesson::update(m, msg),
        Msg::Screen(msg) => screen::update(m, msg),
        Msg::Train(msg) => train::update(m, msg),
        Msg::Compare(msg) => compare::update(m, msg),
        Msg::Data(msg) => data::update(m, msg),
        Msg::Experiment(msg) => experiment::update(m, msg),
    };
    // The session follows the data it trains on (a session this message started fits it).
    if !training_message && m.train.sessions == sessions {
        train::follow_data(m, &mut ch, variant_before);
    }
    // A refused ε entry stays in its field until ε changes some other way.
    if (m.state.settings.eps_nr, m.state.settings.eps_dr) != eps_before
        && m.feedback.refused.iter().any(Option::is_some)
    {
        m.feedback.refused = [None, None];
        ch.entry = true;
    }
    ch
}
