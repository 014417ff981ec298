//! How the gradient views are drawn: ∂L/∂z or ∂L/∂ỹ, one colour scale or one per cell,
//! symmetric-log or linear. The evaluation stands; the link keeps them.

use crate::page::change::{Change, Link};
use crate::page::model::Model;
use crate::page::msg::DisplayMsg;
use crate::page::state::DisplayOptions;

pub fn update(m: &mut Model, msg: DisplayMsg) -> Change {
    match msg {
        DisplayMsg::LogitGrad(on) => display(m, |v| v.logit_grad = on),
        DisplayMsg::SharedScale(on) => display(m, |v| v.shared_scale = on),
        DisplayMsg::Symlog(on) => display(m, |v| v.symlog = on),
    }
}

fn display(m: &mut Model, f: impl FnOnce(&mut DisplayOptions)) -> Change {
    let before = m.state.display;
    f(&mut m.state.display);
    if m.state.display == before {
        return Change::none();
    }
    Change::none().display().link(Link::Replace)
}
