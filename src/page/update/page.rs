//! The page as a whole: a new size, the default page again, the open lesson's scene
//! again, and a link opened from the address bar. A new page starts a new history.

use crate::page::change::{Change, Link};
use crate::page::lessons::SCENARIOS;
use crate::page::model::{Lesson, Model};
use crate::page::msg::PageMsg;
use crate::page::paint;
use crate::page::route::{self, Source};
use crate::page::state::AppState;

use super::lesson::{close_lesson, open_lesson};
use super::notice::{dismiss, notice};
use super::paint::edit;
use super::train::train_to_link_step;

pub fn update(m: &mut Model, msg: PageMsg) -> Change {
    match msg {
        PageMsg::Size { b, c, n } => edit(m, |s| {
            *s = paint::resize(s, b, c, n).map_err(|e| e.to_string())?;
            Ok((Change::whole_page(), None))
        }),
        PageMsg::Reset => reset(m),
        PageMsg::StartOver => match m.lesson.open.as_ref().map(|l| l.index) {
            Some(k) => open_lesson(m, k, false),
            None => reset(m),
        },
        PageMsg::LinkLoaded(hash) => {
            if m.link() == hash {
                // Our own write (or a link to what is shown).
                return Change::none();
            }
            // Back to a hash-less entry fires both hashchange and popstate: the second
            // finds the page it asks for already shown.
            if shows(m, &route::resolve(&hash)) {
                return Change::none();
            }
            open_link(m, &hash)
        }
        PageMsg::DismissNotice => dismiss(m),
    }
}

/// The default page again (one undo step); embedding and presentation stay.
fn reset(m: &mut Model) -> Change {
    let mode = m.state.mode;
    let mut ch = edit(m, |s| {
        *s = AppState::default_scene();
        s.mode = mode;
        Ok((Change::whole_page(), None))
    });
    ch.merge(close_lesson(m));
    if m.feedback.notice.take().is_some() {
        ch.notice = true;
    }
    ch
}

/// Replaces the whole page; the history starts over.
pub fn load(m: &mut Model, state: AppState) -> Change {
    m.paint.stroke = None;
    m.train.session = None;
    m.state = state;
    m.paint.history.clear();
    m.explain.focus = None;
    fit_to_page(m);
    Change::whole_page()
}

/// After a change of size: the Fill/Clear target and the hover inside the page.
pub fn fit_to_page(m: &mut Model) {
    let (layer, b, c) = m.paint.target;
    if b >= m.state.batch() || c >= m.state.classes() {
        m.paint.target = (layer, 0, m.state.classes().saturating_sub(1));
    }
    m.explain.focus = m
        .explain
        .focus
        .filter(|&(b, c)| b < m.state.batch() && c < m.state.classes());
    m.explain.hover = None;
}

/// The index of the lesson a link names, if it names one.
fn lesson_of(r: &route::Route) -> Option<usize> {
    match &r.source {
        Source::Preset(name) => SCENARIOS
            .iter()
            .position(|sc| sc.name.eq_ignore_ascii_case(name.trim())),
        _ => None,
    }
}

/// Opens a parsed link: a scenario link also opens its lesson text.
pub fn load_route(m: &mut Model, r: route::Route) -> Change {
    let lesson = lesson_of(&r);
    let mut ch = load(m, r.state);
    m.lesson.open = lesson.map(|index| Lesson {
        index,
        scene: m.state.clone(),
    });
    m.lesson.collapsed = false;
    m.lesson.more = false;
    if lesson.is_none() {
        m.lesson.tour = None;
    } else if m.state.mode.present {
        // A presentation walks the lessons with the arrow keys.
        m.lesson.tour = lesson;
    }
    if let Some(n) = r.train {
        ch.merge(train_to_link_step(m, n));
    }
    ch
}

/// Opens the page a link asks for (start-up, a pasted link, Back or Forward): the link's
/// page, or the default one with a message saying why not. The previous page's notice
/// goes with it; the address bar keeps the link as it was opened.
pub fn open_link(m: &mut Model, hash: &str) -> Change {
    let (r, msg) = route::resolve(hash);
    m.feedback.notice = None;
    let mut ch = load_route(m, r);
    if let Some(text) = msg {
        ch.merge(notice(m, text, true));
    }
    ch.notice().link(Link::Opened)
}

/// Whether the page already shows what the resolved link asks for (a link that could not
/// be read never does: its message is to be shown).
fn shows(m: &Model, (r, msg): &(route::Route, Option<String>)) -> bool {
    let steps = m
        .train
        .session
        .as_ref()
        .map(|t| t.step_count().max(t.target.unwrap_or(0)));
    msg.is_none()
        && m.state == r.state
        && m.lesson.open.as_ref().map(|l| l.index) == lesson_of(r)
        && steps.filter(|&n| n > 0) == r.train
}
