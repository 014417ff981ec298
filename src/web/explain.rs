//! The section below the sets table: the Φ picture, the live formula and the three plots.
//! Everything shown comes from pure modules (`diagram`, `formula`, `curves`); this module
//! only inserts and draws it.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlCanvasElement, HtmlElement};

use crate::engine::loss::Evaluation;
use crate::page::derived::Derived;
use crate::page::model::Model;
use crate::page::msg::{ExplainMsg, Msg};
use crate::page::state::AppState;
use crate::present::curves::Sweep;
use crate::present::diagram::phi_svg;
use crate::present::format::number as format_number;
use crate::present::formula::{formulas, Pixel};
use crate::present::palette;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::plots;
use super::Frame;

/// What a set of plots shows: (data generation, focus cell, canvas width).
type PlotKey = (u64, Option<(usize, usize)>, u32);

/// Plot height as a fraction of its width.
const PLOT_ASPECT: f64 = 0.66;
/// Plots are never drawn narrower than this (CSS px): below it the 16 px text crowds.
const PLOT_MIN_WIDTH: u32 = 420;
const PLOT_MAX_WIDTH: u32 = 900;

/// What the Φ picture and its caption show.
#[derive(Clone, Copy, PartialEq)]
struct PhiKey {
    phi: crate::engine::phi::Phi,
    batch: usize,
    classes: usize,
    include_background: bool,
    selected: Option<usize>,
    computed: bool,
}

pub struct Explain {
    phi_box: HtmlElement,
    phi_caption: HtmlElement,
    formula_title: HtmlElement,
    formula: HtmlElement,
    plots: [HtmlCanvasElement; 3],
    push_title: HtmlElement,
    /// Patched, not re-parsed, when only its numbers change.
    empty_legend: RefCell<dom::Markup>,
    /// Caveats under plots (a), (b), (c): where the plot does not show the current settings.
    notes: [HtmlElement; 3],
    last_svg: RefCell<String>,
    last_phi: RefCell<Option<PhiKey>>,
    /// The formula's MathML: its numbers change with every move of a stroke, its shape
    /// rarely, so it is patched rather than re-parsed.
    formula_markup: RefCell<dom::Markup>,
    /// What each plot on screen shows: (data generation, focus cell, canvas width).
    plot_keys: [Option<PlotKey>; 3],
    /// The sweep the plots are drawn from, for the key it was made for (the plots are
    /// drawn one per frame, from one sweep).
    sweep: Option<(PlotKey, Sweep)>,
}

fn need<T: JsCast>(id: &str) -> JsResult<T> {
    dom::by_id(id).ok_or_else(|| JsValue::from_str(&format!("missing #{id}")))
}

/// Shows `text` in a plot's caveat line, or hides the line.
fn show_note(el: &HtmlElement, text: Option<&str>) {
    dom::set_text(el, text.unwrap_or(""));
    dom::set_hidden(el, text.is_none());
}

/// How the settings differ from the plain Dice loss with ε_nr = ε_dr that plot (c)'s
/// formula ε/(|Φ|·(Ṽ+ε)²) describes; empty when they do not.
fn plain_dice_differences(state: &AppState) -> Vec<&'static str> {
    let st = &state.settings;
    let mut out = Vec::new();
    if st.squared {
        out.push("a squared denominator");
    }
    if st.jaccard {
        out.push("the Jaccard score");
    }
    if st.denominator_floor > 0.0 {
        out.push("a floor on the denominator");
    }
    if st.zero_empty_sets {
        out.push("empty sets zeroed");
    }
    if st.eps_nr != st.eps_dr {
        out.push("ε_nr ≠ ε_dr");
    }
    out
}

/// The (b, c) of a clicked element inside the Φ picture or the sets table, if any.
fn clicked_cell(ev: &web_sys::Event) -> Option<(usize, usize)> {
    let target: Element = ev.target()?.dyn_into().ok()?;
    let el = target.closest("[data-b][data-c]").ok()??;
    let b = el.get_attribute("data-b")?.parse().ok()?;
    let c = el.get_attribute("data-c")?.parse().ok()?;
    Some((b, c))
}

impl Explain {
    /// Finds the elements of the skeleton (`super::shell`) and wires clicks on the Φ
    /// picture and the sets table.
    pub fn build(d: &Dispatch) -> JsResult<Explain> {
        let phi_box: HtmlElement = need("phi-picture")?;
        let sets_body: HtmlElement = need("sets-body")?;
        for el in [&phi_box, &sets_body] {
            d.on(el, "click", |ev| {
                clicked_cell(ev).map(|(b, c)| Msg::Explain(ExplainMsg::Focus { b, c }))
            });
            // The sets are focusable: Enter or Space selects one from the keyboard.
            d.on(el, "keydown", |ev| {
                let key = ev
                    .dyn_ref::<web_sys::KeyboardEvent>()
                    .map(|k| k.key())
                    .unwrap_or_default();
                if key != "Enter" && key != " " {
                    return None;
                }
                let (b, c) = clicked_cell(ev)?;
                ev.prevent_default();
                Some(Msg::Explain(ExplainMsg::Focus { b, c }))
            });
        }
        // Plots (a) and (b) share one legend of the Φ colours.
        for id in ["legend-loss", "legend-push"] {
            let el: HtmlElement = need(id)?;
            let mut html = String::new();
            for p in crate::engine::phi::Phi::ALL {
                html.push_str(&format!(
                    "<span class=\"key\"><span class=\"swatch\" data-colour=\"{}\"></span>Φ = {} ({})</span>",
                    palette::phi(p).hex(),
                    p.code(),
                    p.wise_name()
                ));
            }
            html.push_str("<span class=\"key\"><span class=\"swatch eps\"></span>current ε</span>");
            el.set_inner_html(&html);
            dom::paint_swatches(&el);
        }
        Ok(Explain {
            phi_box,
            phi_caption: need("phi-caption")?,
            formula_title: need("formula-title")?,
            formula: need("formula")?,
            formula_markup: RefCell::new(dom::Markup::new(need("formula")?)),
            plots: [
                need("plot-loss-eps")?,
                need("plot-push-eps")?,
                need("plot-empty-push")?,
            ],
            push_title: need("plot-push-title")?,
            empty_legend: RefCell::new(dom::Markup::new(need("legend-empty")?)),
            notes: [
                need("note-loss-eps")?,
                need("note-push-eps")?,
                need("note-empty-push")?,
            ],
            last_svg: RefCell::new(String::new()),
            last_phi: RefCell::new(None),
            plot_keys: [None; 3],
            sweep: None,
        })
    }

    /// The Φ picture and the formula.
    pub fn sync(&self, f: &Frame) -> bool {
        let (m, d, ch, fresh) = (f.model, f.derived, f.change, f.fresh);
        let eval = d.eval.as_ref().ok();
        let phi = ch.page || ch.settings || ch.focus || fresh.evaluated;
        if phi {
            self.phi(&m.state, eval, d.selected_set(m));
        }
        let formula = phi || ch.hover;
        if formula {
            self.draw_formula(m, d);
        }
        phi || formula
    }

    /// The formula of the hovered pixel's set with its numbers, else of the selected set.
    fn draw_formula(&self, m: &Model, d: &Derived) {
        let e = d.eval.as_ref().ok();
        let hovered = m.explain.hover.and_then(|h| {
            let e = e?;
            let set = e.cell_set.get((h.b, h.c)).copied().flatten()?;
            let (i, j) = h.pixel(m.state.size());
            let at = (h.b, h.c, i, j);
            let pixel = Pixel {
                y: *d.y()?.get(at)?,
                p: *m.state.pred.get(at)?,
                grad: (!e.grad_prob_undefined.get((h.b, h.c))?)
                    .then(|| e.grad_prob.get(at).copied())
                    .flatten(),
            };
            Some((set, (at, pixel)))
        });
        match hovered {
            Some((set, pixel)) => self.formula(&m.state, e, Some(set), Some(pixel)),
            None => self.formula(&m.state, e, d.selected_set(m), None),
        }
    }

    /// Draws the first plot whose data changed since it was drawn, one plot per call so
    /// no single task draws all three (~3× one plot, 50–100 ms at 8×4×128×128); returns
    /// whether it drew, and whether a plot is still out of date.
    pub fn draw_plots(&mut self, m: &Model, d: &Derived) -> (bool, bool) {
        let (e, y) = match (&d.eval, d.y()) {
            (Ok(e), Some(y)) => (e, y),
            (Err(msg), _) => {
                // Not the curves of the last state that could be evaluated.
                let shown = self.plot_keys.iter().any(Option::is_some);
                if shown || self.notes[0].hidden() {
                    self.plot_keys = [None; 3];
                    self.sweep = None;
                    self.blank_plots(msg);
                    return (true, false);
                }
                return (false, false);
            }
            _ => return (false, false),
        };
        let focus = d.focus_cell(m);
        let key = (d.data_gen, focus, self.plot_width());
        let Some(k) = self.plot_keys.iter().position(|shown| *shown != Some(key)) else {
            return (false, false);
        };
        if self.sweep.as_ref().map(|(at, _)| *at) != Some(key) {
            self.sweep = Some((key, Sweep::new(y, &m.state.pred, &m.state.settings)));
        }
        if let Some((_, sweep)) = &self.sweep {
            if let Err(msg) = self.draw_plot(k, sweep, &m.state, e, focus, d.selected_set(m)) {
                dom::warn(&format!("plots: {msg}"));
            }
        }
        self.plot_keys[k] = Some(key);
        let more = self.plot_keys.iter().any(|shown| *shown != Some(key));
        (true, more)
    }

    /// The Φ picture with the selected set drawn bold, and its caption.
    fn phi(&self, state: &AppState, eval: Option<&Evaluation>, selected: Option<usize>) {
        let st = &state.settings;
        // The picture and caption follow from these alone (the sets are Φ's partition of
        // the cells in the loss).
        let key = PhiKey {
            phi: st.phi,
            batch: state.batch(),
            classes: state.classes(),
            include_background: st.include_background,
            selected,
            computed: eval.is_some(),
        };
        if *self.last_phi.borrow() == Some(key) {
            return;
        }
        *self.last_phi.borrow_mut() = Some(key);
        let svg = phi_svg(
            st.phi,
            state.batch(),
            state.classes(),
            st.include_background,
            selected,
        );
        if *self.last_svg.borrow() != svg {
            self.phi_box.set_inner_html(&svg);
            *self.last_svg.borrow_mut() = svg;
        }
        let n = eval.map_or(0, |e| e.sets.len());
        let chosen = match (selected, eval) {
            (Some(k), Some(e)) => e.sets.get(k).map(|r| {
                let cells: Vec<String> = r
                    .cells
                    .iter()
                    .map(|(b, c)| format!("image {b} class {c}"))
                    .collect();
                format!(
                    " Selected: φ{} ({}), outlined in the grid.",
                    k + 1,
                    cells.join(", ")
                )
            }),
            _ => None,
        };
        dom::set_text(
            &self.phi_caption,
            &format!(
                "Φ = {} ({}): {n} set{}. Rows are images, columns classes; cells of one colour are summed together. Click a set to show it in the formula and in plot (b).{}",
                st.phi.code(),
                st.phi.wise_name(),
                if n == 1 { "" } else { "s" },
                chosen.unwrap_or_default()
            ),
        );
    }

    /// The formula of `set` with the hovered pixel's numbers, or the set's foreground and
    /// background values when no pixel of it is hovered.
    fn formula(
        &self,
        state: &AppState,
        eval: Option<&Evaluation>,
        set: Option<usize>,
        pixel: Option<((usize, usize, usize, usize), Pixel)>,
    ) {
        let (title, html, sdsc) = match (eval, set.and_then(|k| eval?.sets.get(k).map(|r| (k, r))))
        {
            (Some(e), Some((k, r))) => {
                let title = match pixel {
                    Some(((b, c, i, j), _)) => format!(
                        "Set φ{} with the pixel under the pointer (image {b}, class {c}, pixel ({i}, {j}))",
                        k + 1
                    ),
                    None => format!(
                        "Set φ{}: point at a pixel to put its own numbers in",
                        k + 1
                    ),
                };
                (
                    title,
                    formulas(&state.settings, r, e.sets.len(), pixel.map(|(_, p)| p)),
                    r.sdsc,
                )
            }
            _ => (
                "No set: no class takes part in the loss".to_string(),
                String::new(),
                None,
            ),
        };
        dom::set_text(&self.formula_title, &title);
        self.formula_markup.borrow_mut().set(&html);
        match sdsc.filter(|v| v.is_finite()) {
            Some(v) => dom::set_data(&self.formula, "sdsc", &format!("{v}")),
            None => dom::set_data(&self.formula, "sdsc", "undefined"),
        }
    }

    /// Clears the plots when there is nothing to plot (the evaluation failed).
    fn blank_plots(&self, why: &str) {
        for c in &self.plots {
            if let Err(e) = plots::blank(c) {
                dom::warn(&format!("plots: {e}"));
            }
        }
        for note in &self.notes {
            show_note(note, Some(&format!("Nothing to plot: {why}")));
        }
        dom::set_data(&self.plots[2], "current", "none");
    }

    /// The canvases' widths: each follows its box so 16 px text stays 16 px on screen.
    pub fn plot_width(&self) -> u32 {
        self.plots[0]
            .parent_element()
            .map_or(600, |p| p.client_width().max(0) as u32)
            .clamp(PLOT_MIN_WIDTH, PLOT_MAX_WIDTH)
    }

    /// Draws plot `k` ((a), (b) or (c)) with its notes for the current data, Φ, ε and
    /// focus cell.
    fn draw_plot(
        &self,
        k: usize,
        sweep: &Sweep,
        state: &AppState,
        eval: &Evaluation,
        focus: Option<(usize, usize)>,
        selected: Option<usize>,
    ) -> Result<(), String> {
        let width = self.plot_width();
        let height = (f64::from(width) * PLOT_ASPECT).round() as u32;
        let c = &self.plots[k];
        if c.width() != width || c.height() != height {
            c.set_width(width);
            c.set_height(height);
        }
        match k {
            0 | 1 => self.draw_eps_plot(k, sweep, state, focus),
            _ => self.draw_empty_plot(state, eval, selected),
        }
    }

    /// Plot (a) (k = 0) or (b) (k = 1): the sweeps over ε, with their shared caveat.
    fn draw_eps_plot(
        &self,
        k: usize,
        sweep: &Sweep,
        state: &AppState,
        focus: Option<(usize, usize)>,
    ) -> Result<(), String> {
        let st = &state.settings;
        let eps = st.eps_nr;
        // Plots (a) and (b) sweep one ε for numerator and denominator.
        let sweep_note = state.separate_eps.then(|| {
            let mut t = "Separate ε is on, but the curves use ε_nr = ε_dr = ε.".to_string();
            if st.eps_nr != st.eps_dr {
                t.push_str(&format!(
                    " The black line is at ε_nr = {}; the loss above uses ε_dr = {}, so it is not the curve's value there.",
                    format_number(st.eps_nr, 3),
                    format_number(st.eps_dr, 3)
                ));
            }
            t
        });
        // Both notes at once: they say the same.
        for note in &self.notes[..2] {
            show_note(note, sweep_note.as_deref());
        }
        if k == 0 {
            return plots::loss_vs_eps(
                plots::Target::Canvas(&self.plots[0]),
                &sweep.loss_series(),
                eps,
                st.phi,
            );
        }
        match focus {
            Some((b, c)) => {
                dom::set_text(
                    &self.push_title,
                    &format!("(b) The push on a false positive in image {b}, class {c}, against ε"),
                );
                plots::push_vs_eps(
                    plots::Target::Canvas(&self.plots[1]),
                    &sweep.background_push_series(b, c),
                    eps,
                    st.phi,
                )?;
            }
            None => {
                dom::set_text(&self.push_title, "(b) No cell takes part in the loss");
                // Not the last cell's curves.
                plots::blank(&self.plots[1])?;
            }
        }
        Ok(())
    }

    /// Plot (c): the push on an empty set, its caveat, legend and marked set.
    fn draw_empty_plot(
        &self,
        state: &AppState,
        eval: &Evaluation,
        selected: Option<usize>,
    ) -> Result<(), String> {
        let eps = state.settings.eps_nr;
        // Plot (c)'s formula is plain Dice with one ε: the dot would sit off the curve
        // (or mean something else) under any other settings.
        let off_formula = plain_dice_differences(state);
        let empty_set = selected
            .and_then(|k| eval.sets.get(k))
            .filter(|r| !r.has_fg);
        let empty_v = empty_set
            .filter(|_| off_formula.is_empty())
            .map(|r| r.v_pred);
        let mut empty_note = format!(
            "The curves are plain Dice with ε_nr = ε_dr; the current settings have {}.",
            off_formula.join(", ")
        );
        if empty_set.is_some() {
            empty_note.push_str(
                " So the selected empty set is not marked: its push differs from these curves.",
            );
        }
        show_note(
            &self.notes[2],
            (!off_formula.is_empty()).then_some(empty_note.as_str()),
        );
        plots::empty_push(
            plots::Target::Canvas(&self.plots[2]),
            eval.sets.len().max(1),
            eps,
            empty_v,
        )?;
        let mut legend = String::new();
        for (e, colour, current) in plots::empty_push_curves(eps) {
            legend.push_str(&format!(
                "<span class=\"key{}\"><span class=\"swatch\" data-colour=\"{}\"></span>ε = {}{}</span>",
                if current { " current" } else { "" },
                colour.hex(),
                format_number(e, 3),
                if current { " (current)" } else { "" }
            ));
        }
        if let Some(v) = empty_v {
            legend.push_str(&format!(
                "<span class=\"key\"><span class=\"dot\"></span>the selected set (Ṽ = {})</span>",
                format_number(v, 3)
            ));
        }
        let mut shown = self.empty_legend.borrow_mut();
        if shown.set(&legend) {
            dom::paint_swatches(shown.element());
        }
        dom::set_data(
            &self.plots[2],
            "current",
            &empty_v.map_or("none".into(), |v| format_number(v, 4)),
        );
        Ok(())
    }
}

/// Plot `k` ((a), (b), (c) = 0, 1, 2) of the page as SVG text of `size` CSS px: the same
/// curves as on its canvas, drawn by the same code (for export).
pub fn plot_svg(k: u8, m: &Model, d: &Derived, size: (u32, u32)) -> Result<String, String> {
    let (Ok(e), Some(y)) = (&d.eval, d.y()) else {
        return Err("there is nothing to plot".into());
    };
    let state = &m.state;
    let st = &state.settings;
    let eps = st.eps_nr;
    let mut out = String::new();
    {
        let target = plots::Target::Svg(&mut out, size);
        match k {
            0 => plots::loss_vs_eps(
                target,
                &Sweep::new(y, &state.pred, st).loss_series(),
                eps,
                st.phi,
            )?,
            1 => {
                let (b, c) = d.focus_cell(m).ok_or("no cell takes part in the loss")?;
                plots::push_vs_eps(
                    target,
                    &Sweep::new(y, &state.pred, st).background_push_series(b, c),
                    eps,
                    st.phi,
                )?
            }
            _ => {
                // The selected set is marked only when it is empty and the settings are
                // the plain Dice the curves describe (as on the page).
                let empty_v = d
                    .selected_set(m)
                    .and_then(|s| e.sets.get(s))
                    .filter(|r| !r.has_fg && plain_dice_differences(state).is_empty())
                    .map(|r| r.v_pred);
                plots::empty_push(target, e.sets.len().max(1), eps, empty_v)?
            }
        }
    }
    Ok(out)
}
