//! What the screen shows around the data: presentation mode, the excluded columns, the
//! first-visit introduction, the window's size, and exports (done by the browser once per
//! request).

use crate::page::change::{Change, Link};
use crate::page::model::{Model, Request};
use crate::page::msg::ScreenMsg;

pub fn update(m: &mut Model, msg: ScreenMsg) -> Change {
    match msg {
        ScreenMsg::Present(on) => present(m, on),
        ScreenMsg::ShowExcluded(on) => {
            if m.screen.show_excluded == on {
                return Change::none();
            }
            m.screen.show_excluded = on;
            Change::none().screen().layout()
        }
        ScreenMsg::DismissIntro => {
            if !m.screen.intro {
                return Change::none();
            }
            m.screen.intro = false;
            Change::none().screen().layout()
        }
        ScreenMsg::Resized => Change::none().layout(),
        ScreenMsg::Touch => {
            if m.screen.touch {
                return Change::none();
            }
            m.screen.touch = true;
            Change::none().screen().layout()
        }
        ScreenMsg::Export(kind) => {
            let seq = m.screen.request.map_or(1, |r| r.seq.wrapping_add(1));
            m.screen.request = Some(Request { seq, kind });
            Change::none().export()
        }
    }
}

/// Presentation mode: the open lesson becomes a tour step, so ← and → walk the lessons.
fn present(m: &mut Model, on: bool) -> Change {
    if m.state.mode.present == on {
        return Change::none();
    }
    m.state.mode.present = on;
    let mut ch = Change::none()
        .screen()
        .layout()
        .display()
        .link(Link::Replace);
    if on && m.lesson.tour.is_none() {
        if let Some(l) = &m.lesson.open {
            m.lesson.tour = Some(l.index);
            ch.lesson = true;
        }
    }
    ch
}
