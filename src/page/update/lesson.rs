//! The lessons and the guided tour: opening a lesson loads its scene (a new history entry,
//! so Back returns to the page before), the tour walks the lessons in order.

use crate::page::change::{Change, Link};
use crate::page::lessons::SCENARIOS;
use crate::page::model::{Lesson, Model};
use crate::page::msg::LessonMsg;

use super::page::load;

pub fn update(m: &mut Model, msg: LessonMsg) -> Change {
    match msg {
        LessonMsg::Open(k) => open_lesson(m, k, true),
        LessonMsg::StartTour => {
            m.lesson.tour = Some(0);
            open_lesson(m, 0, true)
        }
        LessonMsg::TourStep(delta) => tour_step(m, delta),
        LessonMsg::ExitTour => exit_tour(m),
        LessonMsg::Close => close_lesson(m),
        LessonMsg::Restore => match m.lesson.open.as_ref().map(|l| l.index) {
            Some(k) => open_lesson(m, k, false),
            None => Change::none(),
        },
        LessonMsg::Collapse(on) => {
            if m.lesson.collapsed == on || m.lesson.open.is_none() {
                return Change::none();
            }
            m.lesson.collapsed = on;
            Change::none().lesson().screen()
        }
        LessonMsg::More(on) => {
            if m.lesson.more == on || m.lesson.open.is_none() {
                return Change::none();
            }
            m.lesson.more = on;
            Change::none().lesson().layout()
        }
    }
}

fn tour_step(m: &mut Model, delta: isize) -> Change {
    let Some(k) = m.lesson.tour else {
        // In presentation mode the arrows always walk the lessons.
        if m.state.mode.present && m.lesson.open.is_none() && delta > 0 {
            m.lesson.tour = Some(0);
            return open_lesson(m, 0, true);
        }
        return Change::none();
    };
    match k.checked_add_signed(delta) {
        Some(next) if next < SCENARIOS.len() => open_lesson(m, next, true),
        Some(_) => exit_tour(m),
        None => Change::none(),
    }
}

/// Loads scenario k and shows its text; `push` makes it a new history entry.
pub fn open_lesson(m: &mut Model, k: usize, push: bool) -> Change {
    let Some(sc) = SCENARIOS.get(k) else {
        return Change::none();
    };
    let before = m.link();
    let mut s = sc.state();
    s.mode.embed = m.state.mode.embed;
    s.mode.present = m.state.mode.present;
    let mut ch = load(m, s);
    m.lesson.collapsed = false;
    m.lesson.more = false;
    m.lesson.open = Some(Lesson {
        index: k,
        scene: m.state.clone(),
    });
    if m.lesson.tour.is_some() {
        m.lesson.tour = Some(k);
    }
    if m.feedback.notice.take().is_some() {
        ch.notice = true;
    }
    ch.link(if push {
        Link::Push { before }
    } else {
        Link::Replace
    })
}

fn exit_tour(m: &mut Model) -> Change {
    if m.lesson.tour.take().is_none() {
        return Change::none();
    }
    Change::none().lesson()
}

pub fn close_lesson(m: &mut Model) -> Change {
    if m.lesson.open.is_none() && m.lesson.tour.is_none() {
        return Change::none();
    }
    m.lesson.open = None;
    m.lesson.tour = None;
    // The short lesson link no longer describes the page.
    Change::none().lesson().link(Link::Replace)
}
