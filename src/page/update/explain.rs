//! What the explanations point at: the pixel under the pointer (or the keyboard cursor)
//! and the cell whose set the Φ picture, the formula and plot (b) show.

use crate::page::change::Change;
use crate::page::model::{Hover, Model};
use crate::page::msg::ExplainMsg;

pub fn update(m: &mut Model, msg: ExplainMsg) -> Change {
    match msg {
        ExplainMsg::Hover(h) => hover(m, h, false),
        ExplainMsg::Focus { b, c } => {
            if b >= m.state.batch() || c >= m.state.classes() || m.explain.focus == Some((b, c)) {
                return Change::none();
            }
            m.explain.focus = Some((b, c));
            Change::none().focus()
        }
    }
}

/// The hovered pixel, reached by the pointer or (`by_key`) the keyboard cursor; a move
/// inside one pixel changes nothing.
pub fn hover(m: &mut Model, h: Option<Hover>, by_key: bool) -> Change {
    let n = m.state.size();
    if m.explain.hover.map(|h| h.key(n)) == h.map(|h| h.key(n)) && m.explain.by_key == by_key {
        return Change::none();
    }
    m.explain.hover = h;
    m.explain.by_key = by_key && h.is_some();
    Change::none().hover()
}
