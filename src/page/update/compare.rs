//! Compare mode: the same painted scene under a second setting B. Opening it takes the
//! other family of sets (the contrast the paper draws); a B the page cannot compute with
//! its classes is refused with the reason.

use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::page::change::{Change, Link};
use crate::page::entry;
use crate::page::model::{Entry, Model};
use crate::page::msg::CompareMsg;

use super::notice::{accept_entry, notice, refuse_entry};

pub fn update(m: &mut Model, msg: CompareMsg) -> Change {
    match msg {
        CompareMsg::Open => {
            if m.state.compare.is_some() {
                return Change::none();
            }
            let s = m.state.settings;
            // The other family of sets: the contrast the paper draws.
            let phi = match s.phi {
                Phi::I => Phi::BI,
                Phi::CI => Phi::BCI,
                Phi::BI => Phi::I,
                Phi::BCI => Phi::CI,
            };
            m.state.compare = Some(DiceSettings { phi, ..s });
            opened_or_closed()
        }
        CompareMsg::Close => {
            if m.state.compare.take().is_none() {
                return Change::none();
            }
            opened_or_closed()
        }
        CompareMsg::Phi(p) => edit_compare(m, |s| s.phi = p),
        CompareMsg::Variant(v) => edit_compare(m, |s| s.variant = v),
        CompareMsg::Background(on) => edit_compare(m, |s| s.include_background = on),
        CompareMsg::Eps(text) => match entry::parse_eps(&text) {
            Ok(v) => {
                let mut ch = accept_entry(m, Entry::CompareEps);
                ch.merge(edit_compare(m, |s| {
                    s.eps_nr = v;
                    s.eps_dr = v;
                }));
                ch
            }
            Err(e) => refuse_entry(m, Entry::CompareEps, e).compare(),
        },
        CompareMsg::Preset(Some(p)) => {
            let settings = p.0.settings;
            edit_compare(m, |s| *s = settings)
        }
        // Not a preset: the bar shows B again.
        CompareMsg::Preset(None) => Change::none().compare(),
    }
}

fn opened_or_closed() -> Change {
    Change::none()
        .compare()
        .controls()
        .layout()
        .link(Link::Replace)
}

/// Changes compare mode's second setting; settings the page cannot compute with its
/// classes are refused with the reason.
fn edit_compare(m: &mut Model, f: impl FnOnce(&mut DiceSettings)) -> Change {
    let Some(before) = m.state.compare else {
        return Change::none();
    };
    let mut next = before;
    f(&mut next);
    if next == before {
        return Change::none();
    }
    if let Err(e) = next.validate(m.state.classes()) {
        return notice(m, e.to_string(), true).compare();
    }
    m.state.compare = Some(next);
    Change::none().compare().link(Link::Replace)
}
