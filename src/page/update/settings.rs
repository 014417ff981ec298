//! The loss settings and the label statuses. A setting is not an undo step (the controls
//! show it, one click undoes one, and the link keeps it); a change of class mode or
//! activation, a preset and a label status are, since they may rewrite the painted data.
//! What the page cannot compute is refused in words, the state unchanged.

use crate::engine::loss::DiceSettings;
use crate::engine::presets::FrameworkPreset;
use crate::page::change::{Change, Link};
use crate::page::entry;
use crate::page::judge;
use crate::page::matrix;
use crate::page::model::{EpsField, Model, PasteStatus, Refused};
use crate::page::msg::SettingsMsg;
use crate::page::paint::Cells;
use crate::page::rules;
use crate::page::state::AppState;
use crate::present::paste::Pasted;

use super::notice::notice;
use super::paint::edit;

pub fn update(m: &mut Model, msg: SettingsMsg) -> Change {
    match msg {
        // "Custom settings" is not a preset: the select shows the settings again.
        SettingsMsg::Preset(None) => Change::none().controls(),
        SettingsMsg::Preset(Some(p)) => preset(m, p.0),
        SettingsMsg::Phi(p) => settings(m, |s| s.settings.phi = p),
        SettingsMsg::EpsSlider { field, pos } => {
            let mut ch = Change::none();
            if m.feedback.refused[field.index()].take().is_some() {
                // The slider replaces a refused entry.
                ch.entry = true;
            }
            ch.merge(set_eps(m, field, entry::eps_at(pos)));
            if ch.link == Link::Replace {
                ch.link = Link::Soon;
            }
            ch
        }
        SettingsMsg::EpsEntered { field, text } => match entry::parse_eps(&text) {
            Ok(v) => {
                let mut ch = Change::none();
                if m.feedback.refused[field.index()].take().is_some() {
                    ch.entry = true;
                }
                ch.merge(set_eps(m, field, v));
                ch
            }
            Err(reason) => {
                // The typed text stays so it can be corrected; ε is unchanged.
                m.feedback.refused[field.index()] = Some(Refused { text, reason });
                Change::none().entry()
            }
        },
        SettingsMsg::EpsLeft(_) => Change::none().entry(),
        SettingsMsg::SeparateEps(on) => settings(m, |s| {
            s.separate_eps = on;
            if !on {
                s.settings.eps_dr = s.settings.eps_nr;
            }
        }),
        SettingsMsg::HeuristicEps => heuristic_eps(m),
        SettingsMsg::Jaccard(on) => settings(m, |s| s.settings.jaccard = on),
        SettingsMsg::Variant(v) => settings(m, |s| s.settings.variant = v),
        SettingsMsg::Paste(read) => paste(m, *read),
        SettingsMsg::Squared(on) => settings(m, |s| s.settings.squared = on),
        SettingsMsg::IncludeBackground(on) => match rules::set_include_background(&mut m.state, on)
        {
            Ok(()) => Change::none().settings().link(Link::Replace),
            // The checkbox goes back to what the settings say.
            Err(e) => notice(m, e, true).controls(),
        },
        SettingsMsg::Exclusive(on) => edit(m, |s| {
            let note = rules::set_exclusive(s, on)?;
            Ok((Change::whole_page(), note))
        }),
        SettingsMsg::Activation(a) => edit(m, |s| {
            let note = rules::set_activation(s, a)?;
            Ok((Change::whole_page(), note))
        }),
        SettingsMsg::Status { b, c, status } => {
            if m.state.status.get((b, c)).is_none_or(|&st| st == status) {
                return Change::none();
            }
            edit(m, |s| {
                s.status[(b, c)] = status;
                // The loss's labels of the whole image change with it (with exclusive
                // classes an unannotated structure counts as background).
                let image: Cells = (0..s.classes()).map(|k| (b, k)).collect();
                Ok((Change::cells(image, Vec::new()), None))
            })
        }
    }
}

/// A library's settings, as one undo step (it may switch the class mode).
fn preset(m: &mut Model, p: &'static FrameworkPreset) -> Change {
    apply_loss(m, &p.settings, p.label).0
}

/// The whole loss set to `settings` (named `label`), as one edit: what the page's rules
/// switched too, or why they refuse, goes to the notice; also returned, for the paste
/// status line.
fn apply_loss(
    m: &mut Model,
    settings: &DiceSettings,
    label: &str,
) -> (Change, Result<Option<String>, String>) {
    let mut outcome = Ok(None);
    let ch = edit(m, |s| {
        outcome = rules::apply_settings(s, settings, label);
        let note = outcome.clone()?;
        Ok((Change::whole_page(), note.map(|n| format!("{label}: {n}."))))
    });
    (ch, outcome)
}

/// A pasted library call: the whole loss set to it as a preset sets it (the link keeps
/// the settings), with its verdicts; or the page unchanged and the reason in the status
/// line.
fn paste(m: &mut Model, read: Result<Pasted, String>) -> Change {
    let (mut ch, status) = match read {
        Ok(p) => {
            let (ch, outcome) = apply_loss(m, &p.settings, &p.source);
            let status = match outcome {
                Ok(note) => {
                    let mut sentence = format!("Applied {}: {}.", p.source, p.summary);
                    for n in note.iter().map(|n| format!("The page {n}.")).chain(p.notes) {
                        sentence.push(' ');
                        sentence.push_str(&n);
                    }
                    PasteStatus {
                        sentence,
                        error: false,
                        verdicts: Some(matrix::judge(&p.settings)),
                    }
                }
                Err(sentence) => PasteStatus {
                    sentence,
                    error: true,
                    verdicts: None,
                },
            };
            (ch, status)
        }
        Err(sentence) => (
            Change::none(),
            PasteStatus {
                sentence,
                error: true,
                verdicts: None,
            },
        ),
    };
    m.feedback.paste = Some(status);
    ch.paste = true;
    ch
}

/// ε = the mean true volume per image, and the arithmetic in the notice.
fn heuristic_eps(m: &mut Model) -> Change {
    match judge::heuristic_eps_explained(&m.state) {
        Some(h) => {
            let v = h.eps;
            let mut ch = settings(m, |s| {
                s.settings.eps_nr = v;
                s.settings.eps_dr = v;
            });
            // The arithmetic, as the authors compute it (a missing label counts as 0).
            ch.merge(notice(
                m,
                format!("ε = the mean true volume per image: {}.", h.arithmetic),
                false,
            ));
            ch
        }
        None => notice(
            m,
            "There is no foreground label to take a mean volume from.".into(),
            true,
        ),
    }
}

/// Changes loss settings. Not an undo step: the controls show them, one click undoes
/// one, and the link keeps them.
fn settings(m: &mut Model, f: impl FnOnce(&mut AppState)) -> Change {
    let before = (m.state.settings, m.state.separate_eps);
    f(&mut m.state);
    if (m.state.settings, m.state.separate_eps) == before {
        return Change::none();
    }
    Change::none().settings().link(Link::Replace)
}

fn set_eps(m: &mut Model, field: EpsField, v: f64) -> Change {
    let separate = m.state.separate_eps;
    settings(m, |s| match field {
        EpsField::First if separate => s.settings.eps_nr = v,
        EpsField::First => {
            s.settings.eps_nr = v;
            s.settings.eps_dr = v;
        }
        EpsField::Dr => s.settings.eps_dr = v,
    })
}
