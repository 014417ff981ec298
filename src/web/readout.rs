//! The readouts: the loss (large), the table of reduction sets φ and the hover line.
//! Every number goes through `present::format`, which never prints NaN or inf; missing
//! values are said in words.

use std::cell::RefCell;

use ndarray::{Array4, ArrayView4};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use crate::engine::loss::{Evaluation, SetReport};
use crate::engine::presets::{monai_equivalent, monai_sentence};
use crate::engine::status::LabelStatus;
use crate::page::model::Hover;
use crate::page::state::AppState;
use crate::present::figure::esc;
use crate::present::format;
use crate::present::readout as words;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

pub struct Readout {
    loss_name: HtmlElement,
    loss_value: HtmlElement,
    loss_why: HtmlElement,
    loss_sub: HtmlElement,
    loss_code: HtmlElement,
    hover: HtmlElement,
    /// The polite live region: the hover line when the keyboard cursor stepped there.
    hover_say: HtmlElement,
    sets_title: HtmlElement,
    sets_body: HtmlElement,
    last_hover_set: RefCell<Option<usize>>,
    /// The table's rows: their numbers change with every move of a stroke, their shape
    /// rarely, so they are patched rather than re-parsed.
    rows: RefCell<dom::Markup>,
}

fn num(v: f64) -> String {
    format::number(v, 4)
}

fn opt(v: Option<f64>, missing: &str) -> String {
    match v {
        Some(x) if x.is_finite() => num(x),
        _ => missing.to_string(),
    }
}

fn cells_text(cells: &[(usize, usize)]) -> String {
    let shown: Vec<String> = cells
        .iter()
        .take(4)
        .map(|(b, c)| format!("(b{b}, c{c})"))
        .collect();
    let more = cells.len().saturating_sub(4);
    if more > 0 {
        format!("{} … +{more} more", shown.join(" "))
    } else {
        shown.join(" ")
    }
}

fn set_note(r: &SetReport, st: &AppState) -> String {
    if let Some(u) = r.undefined {
        return format!("undefined — {}", u.explain());
    }
    let mut notes = Vec::new();
    if r.zeroed {
        notes.push("no foreground: loss 0 and no gradient, but counts in the mean".to_string());
    } else if !r.has_fg {
        notes.push(if r.v_pred > 0.0 {
            "empty set (V = 0): the push on the prediction is only ε_nr/(|Φ|·(Ṽ+ε_dr)²)".to_string()
        } else {
            "empty set, nothing predicted".to_string()
        });
    }
    if r.floored {
        notes.push(format!(
            "denominator floored at {} (its gradient is cut)",
            num(st.settings.denominator_floor)
        ));
    }
    notes.join("; ")
}

impl Readout {
    /// Finds the readout elements of the skeleton (`super::shell`).
    pub fn build(_dispatch: &Dispatch) -> JsResult<Readout> {
        Ok(Readout {
            loss_name: dom::need("loss-name")?,
            loss_value: dom::need("loss-value")?,
            loss_why: dom::need("loss-why")?,
            loss_sub: dom::need("loss-sub")?,
            loss_code: dom::need("loss-code")?,
            hover: dom::need("hover-info")?,
            hover_say: dom::need("hover-say")?,
            sets_title: dom::need("sets-title")?,
            sets_body: dom::need("sets-body")?,
            last_hover_set: RefCell::new(None),
            rows: RefCell::new(dom::Markup::new(dom::need("sets-body")?)),
        })
    }

    /// Draws the loss box and the hover read-out: whether the loss was redrawn, and
    /// whether the loss box's words (not its number) changed, which may change its height
    /// and so move the grid below it.
    pub fn sync(&self, f: &Frame) -> (bool, bool) {
        let (m, derived, ch, fresh) = (f.model, f.derived, f.change, f.fresh);
        let loss = ch.page || ch.settings || fresh.evaluated;
        let mut reworded = false;
        if loss {
            let words = |r: &Readout| {
                [&r.loss_name, &r.loss_sub, &r.loss_code, &r.loss_why]
                    .map(|e| e.text_content().unwrap_or_default())
            };
            let before = words(self);
            self.update(&m.state, &derived.main.eval);
            reworded = words(self) != before;
        }
        if loss || ch.hover || ch.display || ch.focus {
            let pointed = m.explain.hover.map(|h| {
                let (i, j) = h.pixel(m.state.size());
                (h, derived.grad_at(m, h.b, h.c, i, j))
            });
            self.hover(
                &m.state,
                derived.shown_pred(m),
                derived.y(),
                derived.main.eval.as_ref().ok(),
                pointed,
                derived.logits(m),
                derived.selected_set(m),
            );
            // Only a deliberate step is spoken: a pointer sweeping over the views would
            // queue an announcement per pixel.
            if ch.hover && m.explain.by_key {
                let said = self.hover.text_content().unwrap_or_default();
                dom::set_text(&self.hover_say, &said);
            }
        }
        (loss, reworded)
    }

    fn update(&self, state: &AppState, eval: &Result<Evaluation, String>) {
        let st = &state.settings;
        // Only fixed words and Φ's code go into this markup.
        let name = format!(
            "{} DL<sub>{}</sub> ({})",
            words::loss_kind(st),
            st.phi.code(),
            st.phi.wise_name()
        );
        if self.loss_name.inner_html() != name {
            self.loss_name.set_inner_html(&name);
        }
        dom::set_text(&self.loss_sub, &words::loss_sub(st, eval.as_ref().ok()));
        dom::set_text(
            &self.loss_code,
            &match monai_equivalent(st) {
                // Just the call (its tooltip says what it is): an "= " prefix wrapped onto a line
                // of its own.
                Some(code) => code,
                None => monai_sentence(st),
            },
        );
        match eval {
            Ok(e) => match e.loss.filter(|l| l.is_finite()) {
                Some(l) => {
                    dom::set_text(&self.loss_value, &words::loss_value(eval.as_ref()));
                    dom::set_data(&self.loss_value, "value", &format!("{l}"));
                    dom::toggle_class(&self.loss_value, "undefined", false);
                    // A negative or tiny loss is no mistake of the page when ε_nr > ε_dr.
                    dom::set_text(&self.loss_why, &st.loss_range_warning().unwrap_or_default());
                }
                None => {
                    dom::set_text(&self.loss_value, "undefined");
                    dom::set_data(&self.loss_value, "value", "undefined");
                    dom::toggle_class(&self.loss_value, "undefined", true);
                    let why: Vec<String> = e
                        .sets
                        .iter()
                        .enumerate()
                        .filter_map(|(k, r)| {
                            r.undefined
                                .map(|u| format!("set φ{} is undefined: {}", k + 1, u.explain()))
                        })
                        .take(2)
                        .chain(st.loss_range_warning())
                        .collect();
                    dom::set_text(&self.loss_why, &why.join("; "));
                }
            },
            Err(msg) => {
                dom::set_text(&self.loss_value, "undefined");
                dom::set_data(&self.loss_value, "value", "undefined");
                dom::toggle_class(&self.loss_value, "undefined", true);
                dom::set_text(&self.loss_why, &format!("cannot compute: {msg}"));
            }
        }
        self.table(state, eval.as_ref().ok());
    }

    fn table(&self, state: &AppState, eval: Option<&Evaluation>) {
        let st = &state.settings;
        let Some(e) = eval else {
            dom::set_text(
                &self.sets_title,
                "Reduction sets: not computed (the loss above says why)",
            );
            self.set_rows(String::new());
            return;
        };
        dom::set_text(
            &self.sets_title,
            &format!(
                "The {} reduction set{} φ of Φ = {} ({})",
                e.sets.len(),
                if e.sets.len() == 1 { "" } else { "s" },
                st.phi.code(),
                st.phi.wise_name()
            ),
        );
        let mut html = String::new();
        for (k, r) in e.sets.iter().enumerate() {
            let varies = "varies per pixel (squared)";
            let fg = if st.squared && r.has_fg && r.undefined.is_none() {
                varies.to_string()
            } else {
                opt(
                    r.grad_fg,
                    if r.undefined.is_some() {
                        "undefined"
                    } else {
                        "— (no y = 1)"
                    },
                )
            };
            let bg = if st.squared && r.has_bg && r.undefined.is_none() {
                varies.to_string()
            } else {
                opt(
                    r.grad_bg,
                    if r.undefined.is_some() {
                        "undefined"
                    } else {
                        "— (no y = 0)"
                    },
                )
            };
            let class = if r.undefined.is_some() {
                " class=\"undef\""
            } else {
                ""
            };
            // The first cell lets a click on the row select this set (see `explain`).
            let (b0, c0) = r.cells.first().copied().unwrap_or((0, 0));
            html.push_str(&format!(
                "<tr data-set=\"{k}\" data-b=\"{b0}\" data-c=\"{c0}\" tabindex=\"0\" title=\"Click (or Enter) to show this set in the Φ picture, the formula and plot (b)\"{class}><th scope=\"row\">φ{}</th><td class=\"cells\">{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td class=\"sdsc\">{}</td><td>{}</td>\
                 <td class=\"gfg\">{}</td><td class=\"gbg\">{}</td><td class=\"set-note\">{}</td></tr>",
                k + 1,
                esc(&cells_text(&r.cells)),
                num(r.v),
                num(r.v_pred),
                num(r.x),
                esc(&opt(r.sdsc, "undefined")),
                esc(&opt(r.term, "undefined")),
                esc(&fg),
                esc(&bg),
                esc(&set_note(r, state)),
            ));
        }
        self.set_rows(html);
    }

    /// Shows the table's rows, keeping keyboard focus on the row of the same set when they
    /// had to be replaced (a focused row would otherwise lose focus to the page).
    fn set_rows(&self, html: String) {
        let focused = dom::document()
            .ok()
            .and_then(|d| d.active_element())
            .filter(|a| self.sets_body.contains(Some(a)))
            .and_then(|a| a.closest("tr[data-set]").ok().flatten())
            .and_then(|row| row.get_attribute("data-set"));
        if !self.rows.borrow_mut().set(&html) {
            return; // the same rows, their numbers updated in place
        }
        // The new rows are not lit yet: the next hover update does that.
        *self.last_hover_set.borrow_mut() = None;
        if let Some(k) = focused {
            let row = self
                .sets_body
                .query_selector(&format!("tr[data-set=\"{}\"]", esc(&k)))
                .ok()
                .flatten()
                .and_then(|r| r.dyn_into::<HtmlElement>().ok());
            if let Some(row) = row {
                let _ = row.focus();
            }
        }
    }

    /// The hover line, and the hovered pixel's set row highlighted (else the selected
    /// set's). `pred`: the prediction the views show (the trained model's while
    /// training); `pointed`: the hovered pixel and the gradient the views show there
    /// (`None` where it has no value); `logits`: that gradient is ∂L/∂z.
    #[allow(clippy::too_many_arguments)]
    fn hover(
        &self,
        state: &AppState,
        pred: ArrayView4<f64>,
        y_loss: Option<&Array4<f64>>,
        eval: Option<&Evaluation>,
        pointed: Option<(Hover, Option<f64>)>,
        logits: bool,
        selected: Option<usize>,
    ) {
        let hover = pointed.map(|(h, _)| h);
        let grad = pointed.and_then(|(_, g)| g);
        let set =
            hover.and_then(|h| eval.and_then(|e| e.cell_set.get((h.b, h.c)).copied().flatten()));
        let lit = set.or(selected);
        if *self.last_hover_set.borrow() != lit {
            let rows = self.sets_body.children();
            for k in 0..rows.length() {
                if let Some(row) = rows.item(k).and_then(|r| r.dyn_into::<HtmlElement>().ok()) {
                    dom::toggle_class(&row, "hl", lit == Some(k as usize));
                }
            }
            *self.last_hover_set.borrow_mut() = lit;
        }
        let Some(h) = hover else {
            dom::set_text(
                &self.hover,
                "Point at a pixel to read y, ỹ and its gradient; the cells of its set φ light up.",
            );
            return;
        };
        let (i, j) = h.pixel(state.size());
        let at = (h.b, h.c, i, j);
        let painted = state.labels.get(at).copied().unwrap_or(0.0);
        // What the loss sees (the formula uses the same labels).
        let seen = y_loss
            .filter(|y| y.dim() == state.labels.dim())
            .and_then(|y| y.get(at).copied());
        let p = pred.get(at).copied().unwrap_or(0.0);
        let status = state.status.get((h.b, h.c)).copied().unwrap_or_default();
        let y_text = match (status, seen) {
            (LabelStatus::Annotated, Some(y)) if y != painted => format!(
                "y = {} (painted {}; an unannotated structure counts as background)",
                num(y),
                num(painted)
            ),
            (LabelStatus::Annotated, Some(y)) => format!("y = {}", num(y)),
            (LabelStatus::Annotated, None) => format!("y = {}", num(painted)),
            (LabelStatus::Missing, _) => format!(
                "hidden truth {}, loss sees y = {} (missing label)",
                num(painted),
                num(seen.unwrap_or(0.0))
            ),
            (LabelStatus::Empty, _) => {
                format!("y = {} (empty label)", num(seen.unwrap_or(0.0)))
            }
        };
        let d = if logits { "∂L/∂z" } else { "∂L/∂ỹ" };
        // An excluded class's gradient is an exact 0 in the tensor: say why, not "0".
        let excluded = set.is_none() && eval.is_some();
        let grad = grad.filter(|_| !excluded);
        let g_text = match (grad, set, eval) {
            (Some(g), _, _) => num(g),
            (None, None, Some(_)) => "none (class not in the loss)".to_string(),
            (None, Some(k), Some(e)) => match e.sets.get(k).and_then(|r| r.undefined) {
                Some(u) => format!("undefined ({})", u.explain()),
                None => "undefined".to_string(),
            },
            _ => "undefined".to_string(),
        };
        let what = if logits { "z" } else { "ỹ" };
        let direction = match grad {
            Some(g) if g < 0.0 => format!(" → descent raises {what}"),
            Some(g) if g > 0.0 => format!(" → descent lowers {what}"),
            _ => String::new(),
        };
        let where_ = format!("image {}, class {}, pixel ({i}, {j})", h.b, h.c);
        let set_text = set
            .map(|k| format!(" · set φ{}", k + 1))
            .unwrap_or_default();
        dom::set_text(
            &self.hover,
            &format!(
                "{where_}: {y_text} · ỹ = {} · {d} = {g_text}{direction}{set_text}",
                num(p)
            ),
        );
    }
}
