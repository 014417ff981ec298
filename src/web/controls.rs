//! The control panel. Built once; each control changes the state through the app and
//! [`Controls::sync`] shows the state back (so undo, links and presets update it too).
//! Every control has a `title` tooltip.

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::engine::activation::Activation;
use crate::engine::phi::Phi;
use crate::engine::presets::{
    framework_preset, monai_equivalent, monai_sentence, FRAMEWORK_PRESETS,
};
use crate::page::state::{AppState, MAX_BATCH, MAX_CLASSES};
use crate::page::ui;

use super::app::{with_app, App, Change};
use super::dom::{self, JsResult};
use super::tools::{Helper, Layer, Target, Tool};

/// Image sizes offered (H = W).
pub const SIZES: [usize; 8] = [8, 16, 24, 32, 48, 64, 96, 128];

pub struct Controls {
    preset: HtmlSelectElement,
    preset_code: HtmlElement,
    preset_note: HtmlElement,
    monai: HtmlElement,
    phi: Vec<(Phi, HtmlButtonElement)>,
    eps_label: HtmlElement,
    eps_slider: HtmlInputElement,
    eps_text: HtmlInputElement,
    eps_msg: HtmlElement,
    eps_sep: HtmlInputElement,
    eps_dr_row: HtmlElement,
    eps_dr_slider: HtmlInputElement,
    eps_dr_text: HtmlInputElement,
    eps_dr_msg: HtmlElement,
    /// The ε values last written into the two text fields.
    eps_shown: Cell<Option<f64>>,
    eps_dr_shown: Cell<Option<f64>>,
    dice: HtmlButtonElement,
    jaccard: HtmlButtonElement,
    squared: HtmlInputElement,
    include_bg: HtmlInputElement,
    include_bg_label: HtmlElement,
    activation: HtmlSelectElement,
    softmax_option: HtmlElement,
    exclusive: HtmlInputElement,
    exclusive_label: HtmlElement,
    extra: HtmlElement,
    logit: HtmlInputElement,
    logit_label: HtmlElement,
    shared: HtmlInputElement,
    symlog: HtmlInputElement,
    label_paint: HtmlButtonElement,
    label_erase: HtmlButtonElement,
    pred_value: HtmlInputElement,
    pred_value_out: HtmlElement,
    soft: HtmlInputElement,
    radius: HtmlInputElement,
    radius_out: HtmlElement,
    disk: HtmlButtonElement,
    square: HtmlButtonElement,
    target_text: HtmlElement,
    helper_all: HtmlInputElement,
    undo: HtmlButtonElement,
    redo: HtmlButtonElement,
    size_b: HtmlSelectElement,
    size_c: HtmlSelectElement,
    size_n: HtmlSelectElement,
}

fn cast<T: JsCast>(e: HtmlElement) -> JsResult<T> {
    e.dyn_into::<T>()
        .map_err(|_| JsValue::from_str("unexpected element type"))
}

fn section(parent: &Element, title: &str, tip: &str) -> JsResult<HtmlElement> {
    let s = dom::el("section", "panel")?;
    let h = dom::text_el("h2", "", title)?;
    h.set_title(tip);
    dom::append(&s, &h)?;
    dom::append(parent, &s)?;
    Ok(s)
}

fn row(parent: &Element, class: &str) -> JsResult<HtmlElement> {
    let r = dom::el("div", &format!("row {class}"))?;
    dom::append(parent, &r)?;
    Ok(r)
}

fn button(parent: &Element, id: &str, text: &str, tip: &str) -> JsResult<HtmlButtonElement> {
    let b: HtmlButtonElement = cast(dom::text_el("button", "btn", text)?)?;
    b.set_type("button");
    if !id.is_empty() {
        b.set_id(id);
    }
    b.set_title(tip);
    dom::append(parent, &b)?;
    Ok(b)
}

/// A checkbox with its label; returns (input, label element).
fn checkbox(
    parent: &Element,
    id: &str,
    text: &str,
    tip: &str,
) -> JsResult<(HtmlInputElement, HtmlElement)> {
    let label = dom::el("label", "check")?;
    label.set_title(tip);
    let input: HtmlInputElement = cast(dom::el("input", "")?)?;
    input.set_type("checkbox");
    input.set_id(id);
    input.set_title(tip);
    dom::append(&label, &input)?;
    let span = dom::text_el("span", "", text)?;
    dom::append(&label, &span)?;
    dom::append(parent, &label)?;
    Ok((input, label))
}

fn range(
    parent: &Element,
    id: &str,
    min: f64,
    max: f64,
    step: f64,
    tip: &str,
) -> JsResult<HtmlInputElement> {
    let input: HtmlInputElement = cast(dom::el("input", "range")?)?;
    input.set_type("range");
    input.set_id(id);
    input.set_min(&min.to_string());
    input.set_max(&max.to_string());
    input.set_step(&step.to_string());
    input.set_title(tip);
    dom::append(parent, &input)?;
    Ok(input)
}

fn text_input(parent: &Element, id: &str, tip: &str) -> JsResult<HtmlInputElement> {
    let input: HtmlInputElement = cast(dom::el("input", "num")?)?;
    input.set_type("text");
    input.set_id(id);
    input.set_title(tip);
    dom::set_attr(&input, "inputmode", "decimal");
    dom::set_attr(&input, "spellcheck", "false");
    dom::set_attr(&input, "autocomplete", "off");
    dom::append(parent, &input)?;
    Ok(input)
}

fn select(
    parent: &Element,
    id: &str,
    tip: &str,
    options: &[(String, String)],
) -> JsResult<(HtmlSelectElement, Vec<HtmlElement>)> {
    let s: HtmlSelectElement = cast(dom::el("select", "")?)?;
    s.set_id(id);
    s.set_title(tip);
    let mut opts = Vec::new();
    for (value, text) in options {
        let o = dom::text_el("option", "", text)?;
        dom::set_attr(&o, "value", value);
        dom::append(&s, &o)?;
        opts.push(o);
    }
    dom::append(parent, &s)?;
    Ok((s, opts))
}

fn labelled(parent: &Element, text: &str, tip: &str) -> JsResult<HtmlElement> {
    let l = dom::text_el("span", "label", text)?;
    l.set_title(tip);
    dom::append(parent, &l)?;
    Ok(l)
}

fn on_click(el: &Element, f: impl Fn(&mut App) + 'static) {
    dom::on(el, "click", move |_| {
        with_app(|a| f(a));
    });
}

fn on_input(el: &Element, event: &str, f: impl Fn(&mut App) + 'static) {
    dom::on(el, event, move |_| {
        with_app(|a| f(a));
    });
}

/// Changes loss settings (not an undo step: the controls show them and one click undoes).
fn settings(a: &mut App, f: impl FnOnce(&mut AppState)) {
    f(&mut a.state);
    a.changed(Change::Settings);
}

fn pressed(b: &HtmlButtonElement, on: bool) {
    dom::set_attr(b, "aria-pressed", if on { "true" } else { "false" });
    dom::toggle_class(b, "on", on);
}

fn set_checked(i: &HtmlInputElement, on: bool) {
    if i.checked() != on {
        i.set_checked(on);
    }
}

fn set_value(i: &HtmlInputElement, v: &str) {
    if i.value() != v && !dom::has_focus(i) {
        i.set_value(v);
    }
}

fn eps_text(v: f64) -> String {
    // `{:e}` keeps full precision and reads like the values people type (1e-7).
    if !v.is_finite() {
        // Settings are validated finite; never show "inf" or "NaN" anyway.
        crate::present::format::number(v, 3)
    } else if v == 0.0 {
        "0".to_string()
    } else if (1e-3..1e5).contains(&v) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Shows ε in its text field. Never while the field has focus: the person may be half-way
/// through "1e-7" (the field is re-synced on blur). A refused entry and its message stay
/// until ε changes some other way, so the typed text can be corrected.
fn sync_eps_text(field: &HtmlInputElement, msg: &HtmlElement, v: f64, shown: &Cell<Option<f64>>) {
    if dom::has_focus(field) {
        return;
    }
    let refused = field.class_list().contains("invalid");
    if refused && shown.get() == Some(v) {
        return;
    }
    let text = eps_text(v);
    if field.value() != text {
        field.set_value(&text);
    }
    dom::set_text(msg, "");
    dom::toggle_class(field, "invalid", false);
    shown.set(Some(v));
}

/// Adds "n×n" to the size select, in order, unless it is there already.
fn add_size_option(select: &HtmlSelectElement, n: usize) {
    let value = n.to_string();
    let options = select.children();
    let mut before = None;
    for k in 0..options.length() {
        let Some(o) = options.item(k) else { continue };
        let v = o.get_attribute("value").unwrap_or_default();
        if v == value {
            return;
        }
        if before.is_none() && v.parse::<usize>().is_ok_and(|m| m > n) {
            before = Some(o);
        }
    }
    let Ok(o) = dom::text_el("option", "", &format!("{n}×{n}")) else {
        return;
    };
    dom::set_attr(&o, "value", &value);
    o.set_title("The size of the opened link");
    if select
        .insert_before(&o, before.as_ref().map(|b| b.as_ref()))
        .is_err()
    {
        dom::warn("could not offer the link's image size");
    }
}

/// Which ε a slider/field edits.
#[derive(Clone, Copy, PartialEq)]
enum EpsField {
    /// ε_nr, or both when they are not separate.
    First,
    /// ε_dr (only shown when separate).
    Dr,
}

fn set_eps(a: &mut App, which: EpsField, v: f64) {
    let st = &a.state.settings;
    let unchanged = match which {
        EpsField::First if a.state.separate_eps => st.eps_nr == v,
        EpsField::First => st.eps_nr == v && st.eps_dr == v,
        EpsField::Dr => st.eps_dr == v,
    };
    if unchanged {
        // E.g. Enter after typing: the value was applied while typing.
        return;
    }
    settings(a, |s| match which {
        EpsField::First if s.separate_eps => s.settings.eps_nr = v,
        EpsField::First => {
            s.settings.eps_nr = v;
            s.settings.eps_dr = v;
        }
        EpsField::Dr => s.settings.eps_dr = v,
    });
}

fn wire_eps(
    slider: &HtmlInputElement,
    text: &HtmlInputElement,
    msg: &HtmlElement,
    which: EpsField,
) {
    {
        let s = slider.clone();
        let t = text.clone();
        let msg = msg.clone();
        on_input(slider, "input", move |a| {
            let pos: u32 = s.value().parse().unwrap_or(0);
            // The slider replaces a refused entry in the text field.
            dom::set_text(&msg, "");
            dom::toggle_class(&t, "invalid", false);
            set_eps(a, which, ui::eps_at(pos));
        });
    }
    {
        // While typing: apply values that parse; say nothing yet about the others.
        let t = text.clone();
        let msg = msg.clone();
        on_input(text, "input", move |a| {
            if let Ok(v) = ui::parse_eps(&t.value()) {
                dom::set_text(&msg, "");
                dom::toggle_class(&t, "invalid", false);
                set_eps(a, which, v);
            }
        });
    }
    {
        // Leaving the field: show the value in its usual form (the sync skips a focused
        // field).
        on_input(text, "blur", |a| {
            a.dirty.controls = true;
            super::app::schedule();
        });
    }
    {
        // On Enter or leaving the field: refuse invalid text with a message.
        let t = text.clone();
        let msg = msg.clone();
        on_input(text, "change", move |a| match ui::parse_eps(&t.value()) {
            Ok(v) => {
                dom::set_text(&msg, "");
                dom::toggle_class(&t, "invalid", false);
                set_eps(a, which, v);
            }
            Err(e) => {
                // Keep the typed text so it can be corrected; the state is unchanged.
                dom::set_text(&msg, &e);
                dom::toggle_class(&t, "invalid", true);
            }
        });
    }
}

impl Controls {
    /// Builds the panel inside `#controls` and wires every control.
    pub fn build() -> JsResult<Controls> {
        let root: HtmlElement =
            dom::by_id("controls").ok_or_else(|| JsValue::from_str("no #controls"))?;
        root.set_inner_html("");
        let title = dom::text_el("h1", "app-title", "Dice Loss Playground")?;
        title.set_title("Paint labels y and predictions ỹ, choose Φ and ε, and watch the Dice loss and its gradient (Tilborghs et al., MICCAI 2022)");
        dom::append(&root, &title)?;

        // ---- Lessons (filled by `super::lessons`) --------------------------------------
        let lessons = dom::el("section", "panel lessons")?;
        lessons.set_id("lessons-panel");
        dom::append(&root, &lessons)?;

        // ---- Loss -----------------------------------------------------------------
        let loss = section(&root, "Loss", "How the Dice loss is computed")?;
        let r = row(&loss, "")?;
        labelled(&r, "Library", "Load the settings a library uses")?;
        let mut opts = vec![("custom".to_string(), "Custom settings".to_string())];
        opts.extend(
            FRAMEWORK_PRESETS
                .iter()
                .map(|p| (p.name.to_string(), p.label.to_string())),
        );
        let (preset, preset_opts) = select(
            &r,
            "preset",
            "Framework preset: set Φ, ε and the options to what this library computes",
            &opts,
        )?;
        for (o, p) in preset_opts.iter().skip(1).zip(FRAMEWORK_PRESETS.iter()) {
            o.set_title(&format!("{}\n{}", p.code, p.note));
        }
        // The code that computes the current settings: the preset's own, else MONAI's.
        let preset_code = dom::el("pre", "code")?;
        preset_code.set_id("preset-code");
        dom::append(&loss, &preset_code)?;
        let preset_note = dom::el("div", "note")?;
        preset_note.set_id("preset-note");
        dom::append(&loss, &preset_note)?;
        let monai = dom::el("div", "note monai")?;
        monai.set_id("monai-equivalent");
        monai.set_title(
            "The MONAI call that computes exactly the current settings, if there is one",
        );
        dom::append(&loss, &monai)?;

        let r = row(&loss, "phi-row")?;
        labelled(
            &r,
            "Reduction sets Φ",
            "Which (image, class) cells are summed together before dividing (PAPER §1)",
        )?;
        let phi_grid = dom::el("div", "phi-buttons")?;
        dom::append(&r, &phi_grid)?;
        let mut phi = Vec::new();
        for p in Phi::ALL {
            let tip = match p {
                Phi::I => "Image-wise DL_I: one set per image and class (MONAI default, batch=False)",
                Phi::CI => "Class-wise DL_CI: one set per image, all classes summed together",
                Phi::BI => "Batch-wise DL_BI: one set per class, all images of the batch summed together (MONAI batch=True, nnU-Net batch_dice)",
                Phi::BCI => "All-wise DL_BCI: a single set over the whole batch and all classes",
            };
            let b = button(&phi_grid, "", "", tip)?;
            b.set_inner_html(&format!(
                "<span class=\"phi-code\">{}</span><span class=\"phi-name\">{} DL<sub>{}</sub></span>",
                p.code(),
                p.wise_name(),
                p.code()
            ));
            dom::set_data(&b, "phi", p.code());
            dom::set_attr(&b, "aria-pressed", "false");
            on_click(&b, move |a| settings(a, |s| s.settings.phi = p));
            phi.push((p, b));
        }

        // ε
        let eps_box = dom::el("div", "eps-box")?;
        dom::append(&loss, &eps_box)?;
        let r = row(&eps_box, "")?;
        let eps_label = labelled(
            &r,
            "ε (smoothing)",
            "Smoothing ε added to numerator and denominator: sDSC = (2X + ε)/(V + Ṽ + ε)",
        )?;
        let eps_text_el = text_input(&r, "eps", "Type ε, e.g. 1e-7, 0.001 or 0, then Enter")?;
        let max_pos = f64::from(ui::eps_stop_count() - 1);
        let eps_slider = range(
            &eps_box,
            "eps-slider",
            0.0,
            max_pos,
            1.0,
            "ε on a logarithmic scale: far left is exactly 0, then 1e-8 … 1e4",
        )?;
        let eps_msg = dom::el("div", "msg")?;
        dom::set_attr(&eps_msg, "role", "alert");
        dom::append(&eps_box, &eps_msg)?;
        let ticks = dom::el("div", "eps-ticks")?;
        ticks.set_inner_html(
            "<span>0</span><span>1e-8</span><span>1e-4</span><span>1</span><span>1e4</span>",
        );
        dom::append(&eps_box, &ticks)?;
        wire_eps(&eps_slider, &eps_text_el, &eps_msg, EpsField::First);

        let eps_dr_row = dom::el("div", "eps-box")?;
        dom::append(&loss, &eps_dr_row)?;
        let r = row(&eps_dr_row, "")?;
        labelled(
            &r,
            "ε_dr (denominator)",
            "Smoothing in the denominator only (MONAI smooth_dr)",
        )?;
        let eps_dr_text = text_input(&r, "eps-dr", "Type ε_dr, e.g. 1e-5, then Enter")?;
        let eps_dr_slider = range(
            &eps_dr_row,
            "eps-dr-slider",
            0.0,
            max_pos,
            1.0,
            "ε_dr on a logarithmic scale: far left is exactly 0, then 1e-8 … 1e4",
        )?;
        let eps_dr_msg = dom::el("div", "msg")?;
        dom::set_attr(&eps_dr_msg, "role", "alert");
        dom::append(&eps_dr_row, &eps_dr_msg)?;
        wire_eps(&eps_dr_slider, &eps_dr_text, &eps_dr_msg, EpsField::Dr);

        let r = row(&loss, "")?;
        let (eps_sep, _) = checkbox(
            &r,
            "eps-separate",
            "separate ε_nr / ε_dr",
            "Use different smoothing in numerator (ε_nr) and denominator (ε_dr), like MONAI's smooth_nr/smooth_dr",
        )?;
        {
            let i = eps_sep.clone();
            on_input(&eps_sep, "change", move |a| {
                let on = i.checked();
                settings(a, |s| {
                    s.separate_eps = on;
                    if !on {
                        s.settings.eps_dr = s.settings.eps_nr;
                    }
                });
            });
        }
        let heur = button(
            &r,
            "eps-heuristic",
            "ε = mean volume",
            "Set ε to the mean true volume per image of the structure classes in the loss, over the images whose label the loss sees (the paper's heuristic for empty labels, §4)",
        )?;
        on_click(&heur, |a| {
            match crate::page::teach::heuristic_eps(&a.state) {
                Some(v) => {
                    settings(a, |s| {
                        s.settings.eps_nr = v;
                        s.settings.eps_dr = v;
                    });
                }
                None => a.set_notice(
                    Some("There is no foreground label to take a mean volume from.".into()),
                    true,
                ),
            }
        });

        let r = row(&loss, "seg")?;
        labelled(&r, "Score", "Dice or Jaccard (soft IoU)")?;
        let dice = button(&r, "score-dice", "Dice", "Dice: denominator V + Ṽ")?;
        let jaccard = button(
            &r,
            "score-jaccard",
            "Jaccard",
            "Jaccard / soft IoU: denominator 2·(V + Ṽ − X) (MONAI jaccard=True)",
        )?;
        on_click(&dice, |a| settings(a, |s| s.settings.jaccard = false));
        on_click(&jaccard, |a| settings(a, |s| s.settings.jaccard = true));

        let r = row(&loss, "checks")?;
        let (squared, _) = checkbox(
            &r,
            "squared",
            "squared denominator Σy² + Σỹ²",
            "V-Net / MONAI squared_pred: sum squares in the denominator",
        )?;
        {
            let i = squared.clone();
            on_input(&squared, "change", move |a| {
                let on = i.checked();
                settings(a, |s| s.settings.squared = on);
            });
        }
        let (include_bg, include_bg_label) = checkbox(
            &r,
            "include-bg",
            "include background (class 0)",
            "Whether class 0 takes part in the loss (MONAI include_background, nnU-Net do_bg)",
        )?;
        {
            let i = include_bg.clone();
            on_input(&include_bg, "change", move |a| {
                let on = i.checked();
                let r = ui::set_include_background(&mut a.state, on);
                match r {
                    Ok(()) => a.changed(Change::Settings),
                    Err(e) => {
                        a.set_notice(Some(e), true);
                        a.dirty.controls = true;
                    }
                }
            });
        }
        let (exclusive, exclusive_label) = checkbox(
            &r,
            "exclusive",
            "exclusive classes",
            "Exclusive: one label per pixel and predictions that sum to 1 over classes (class 0 is the background). Off: independent (multi-label) classes",
        )?;
        {
            let i = exclusive.clone();
            on_input(&exclusive, "change", move |a| {
                let on = i.checked();
                a.edit(|s| {
                    let note = ui::set_exclusive(s, on)?;
                    Ok((Change::Everything, note))
                });
            });
        }

        let r = row(&loss, "")?;
        labelled(
            &r,
            "Activation",
            "The network's last layer; the gradient can be shown w.r.t. its input z",
        )?;
        let (activation, act_opts) = select(
            &r,
            "activation",
            "Activation between logits z and probabilities ỹ. The painted values are the probabilities; the activation enters through the chain rule",
            &Activation::ALL
                .iter()
                .map(|a| (a.code().to_string(), a.code().to_string()))
                .collect::<Vec<_>>(),
        )?;
        let softmax_option = act_opts
            .into_iter()
            .nth(2)
            .ok_or_else(|| JsValue::from_str("softmax option"))?;
        {
            let s = activation.clone();
            on_input(&activation, "change", move |a| {
                let Some(act) = Activation::parse(&s.value()) else {
                    return;
                };
                a.edit(|st| {
                    let note = ui::set_activation(st, act)?;
                    Ok((Change::Everything, note))
                });
            });
        }
        let extra = dom::el("div", "note extra")?;
        extra.set_title("Settings that only a library preset sets");
        dom::append(&loss, &extra)?;

        {
            let s = preset.clone();
            let note = preset_note.clone();
            on_input(&preset, "change", move |a| {
                let v = s.value();
                let Some(p) = framework_preset(&v) else {
                    dom::set_text(&note, "");
                    return;
                };
                a.edit(|st| {
                    let r = ui::apply_preset(st, p)?;
                    Ok((Change::Everything, r.map(|n| format!("{}: {n}.", p.label))))
                });
            });
        }

        // ---- Gradient view ---------------------------------------------------------
        let gv = section(&root, "Gradient view", "How the gradient maps are coloured")?;
        let r = row(&gv, "checks")?;
        let (logit, logit_label) = checkbox(
            &r,
            "logit-grad",
            "show ∂L/∂z (logits)",
            "With an activation: show the gradient w.r.t. the logits z (on) or the probabilities ỹ (off)",
        )?;
        let (shared, _) = checkbox(
            &r,
            "shared-scale",
            "one scale for all cells",
            "One colour scale for all cells so magnitudes compare; off: each cell uses its own maximum",
        )?;
        let (symlog, _) = checkbox(
            &r,
            "symlog",
            "symmetric-log scale",
            "Logarithmic colour scale: tiny gradients (1e-9) stay visible next to large ones (1e-2)",
        )?;
        for (input, which) in [(&logit, 0), (&shared, 1), (&symlog, 2)] {
            let i = input.clone();
            on_input(input, "change", move |a| {
                let on = i.checked();
                match which {
                    0 => a.state.view.logit_grad = on,
                    1 => a.state.view.shared_scale = on,
                    _ => a.state.view.symlog = on,
                }
                a.changed(Change::View);
            });
        }

        // ---- Paint ------------------------------------------------------------------
        let pt = section(
            &root,
            "Paint",
            "Paint directly on the y and ỹ views (mouse, touch or pen); right button or pen eraser erases",
        )?;
        let r = row(&pt, "seg")?;
        labelled(&r, "Label brush", "What the brush does on a label view y")?;
        let label_paint = button(
            &r,
            "label-paint",
            "paint y = 1",
            "Label brush paints foreground (y = 1)",
        )?;
        let label_erase = button(&r, "label-erase", "erase", "Label brush erases (y = 0)")?;
        on_click(&label_paint, |a| {
            a.tool.label_erase = false;
            a.dirty.controls = true;
            super::app::schedule();
        });
        on_click(&label_erase, |a| {
            a.tool.label_erase = true;
            a.dirty.controls = true;
            super::app::schedule();
        });
        let r = row(&pt, "")?;
        labelled(
            &r,
            "ỹ brush value",
            "The probability the prediction brush paints",
        )?;
        let pred_value = range(
            &r,
            "pred-value",
            0.0,
            1.0,
            0.05,
            "Probability painted on the prediction views, 0 … 1",
        )?;
        let pred_value_out = dom::el("output", "out")?;
        dom::append(&r, &pred_value_out)?;
        {
            let i = pred_value.clone();
            on_input(&pred_value, "input", move |a| {
                let v: f64 = i.value().parse().unwrap_or(1.0);
                a.tool.pred_value = if v.is_finite() {
                    v.clamp(0.0, 1.0)
                } else {
                    1.0
                };
                a.dirty.controls = true;
                super::app::schedule();
            });
        }
        let r = row(&pt, "")?;
        labelled(&r, "Radius", "Brush radius in pixels")?;
        let radius = range(
            &r,
            "radius",
            0.0,
            16.0,
            0.5,
            "Brush radius in pixels (0 = one pixel)",
        )?;
        let radius_out = dom::el("output", "out")?;
        dom::append(&r, &radius_out)?;
        {
            let i = radius.clone();
            on_input(&radius, "input", move |a| {
                let v: f64 = i.value().parse().unwrap_or(2.0);
                a.tool.radius = if v.is_finite() {
                    v.clamp(0.0, 64.0)
                } else {
                    2.0
                };
                a.dirty.controls = true;
                super::app::schedule();
            });
        }
        let r = row(&pt, "seg")?;
        labelled(&r, "Shape", "Brush stamp shape")?;
        let disk = button(&r, "shape-disk", "disk", "Round brush")?;
        let square = button(&r, "shape-square", "square", "Square brush")?;
        on_click(&disk, |a| {
            a.tool.square = false;
            a.dirty.controls = true;
            super::app::schedule();
        });
        on_click(&square, |a| {
            a.tool.square = true;
            a.dirty.controls = true;
            super::app::schedule();
        });
        let (soft, _) = checkbox(
            &r,
            "soft",
            "soft edge",
            "Prediction brush: full value in the middle, blending into the old value at the rim",
        )?;
        {
            let i = soft.clone();
            on_input(&soft, "change", move |a| {
                a.tool.soft = i.checked();
                a.dirty.controls = true;
            });
        }

        let target_text = dom::el("div", "note target")?;
        target_text.set_title(
            "The view that Fill, Clear and the helpers act on: click or paint a view to choose it",
        );
        dom::append(&pt, &target_text)?;
        let r = row(&pt, "buttons")?;
        let fill = button(
            &r,
            "fill",
            "Fill",
            "Fill the selected view: label y = 1, or prediction ỹ = the brush value",
        )?;
        let clear = button(
            &r,
            "clear",
            "Clear",
            "Clear the selected view (y = 0 or ỹ = 0)",
        )?;
        on_click(&fill, |a| {
            let (layer, b, c) = a.selected;
            if let Some(why) = ui::paint_refusal(&a.state, layer, b, c) {
                a.set_notice(Some(why), false);
                return;
            }
            let value = match layer {
                Layer::Label => 1.0,
                Layer::Pred => a.tool.pred_value,
            };
            a.edit(move |s| {
                Ok((
                    Change::Cells(crate::page::paint::fill(s, layer, b, c, value)),
                    None,
                ))
            });
        });
        on_click(&clear, |a| {
            let (layer, b, c) = a.selected;
            if let Some(why) = ui::paint_refusal(&a.state, layer, b, c) {
                a.set_notice(Some(why), false);
                return;
            }
            a.edit(move |s| {
                Ok((
                    Change::Cells(crate::page::paint::clear(s, layer, b, c)),
                    None,
                ))
            });
        });

        let r = row(&pt, "buttons helpers")?;
        let helpers: [(&str, &str, &str); 6] = [
            (
                "copy",
                "Copy y→ỹ",
                "Prediction = the label (a perfect prediction)",
            ),
            (
                "shift",
                "Shift",
                "Prediction = the label shifted 2 pixels right and 1 down",
            ),
            (
                "dilate",
                "Dilate",
                "Prediction = the label dilated by 2 pixels (over-segmentation)",
            ),
            (
                "erode",
                "Erode",
                "Prediction = the label eroded by 2 pixels (under-segmentation)",
            ),
            (
                "blur",
                "Blur",
                "Prediction = the label blurred (σ = 1.5 px): uncertain edges",
            ),
            (
                "noise",
                "Noise",
                "Prediction = the label plus random noise of ±0.3",
            ),
        ];
        for (id, text, tip) in helpers {
            let b = button(&r, &format!("helper-{id}"), text, tip)?;
            on_click(&b, move |a| {
                let helper = match id {
                    "copy" => Helper::Copy,
                    "shift" => Helper::Shift { dx: 2, dy: 1 },
                    "dilate" => Helper::Dilate(2.0),
                    "erode" => Helper::Erode(2.0),
                    "blur" => Helper::Blur(1.5),
                    _ => {
                        a.tool.noise_seed = a.tool.noise_seed.wrapping_add(1);
                        Helper::Noise {
                            amount: 0.3,
                            seed: a.tool.noise_seed,
                        }
                    }
                };
                let (_, b, c) = a.selected;
                let target = if a.tool.helper_all {
                    Target::All
                } else {
                    Target::Cell(b, c)
                };
                a.edit(move |s| {
                    Ok((
                        Change::Cells(crate::page::paint::apply_helper(s, helper, target)),
                        None,
                    ))
                });
            });
        }
        let r = row(&pt, "")?;
        let (helper_all, _) = checkbox(
            &r,
            "helper-all",
            "helpers act on all cells",
            "On: the helpers above rewrite every prediction; off: only the selected cell's",
        )?;
        {
            let i = helper_all.clone();
            on_input(&helper_all, "change", move |a| {
                a.tool.helper_all = i.checked();
                a.dirty.controls = true;
            });
        }
        let r = row(&pt, "buttons")?;
        let undo = button(
            &r,
            "undo",
            "↶ Undo",
            "Undo the last stroke or edit (Ctrl+Z)",
        )?;
        let redo = button(&r, "redo", "↷ Redo", "Redo (Ctrl+Shift+Z or Ctrl+Y)")?;
        on_click(&undo, |a| a.undo());
        on_click(&redo, |a| a.redo());

        // ---- Size --------------------------------------------------------------------
        let sz = section(
            &root,
            "Size",
            "Batch size B, classes C and image size H = W",
        )?;
        let r = row(&sz, "sizes")?;
        labelled(&r, "B", "Batch size: images in the batch")?;
        let (size_b, _) = select(
            &r,
            "size-b",
            "Batch size B (1–8): one row of the grid per image",
            &(1..=MAX_BATCH)
                .map(|k| (k.to_string(), k.to_string()))
                .collect::<Vec<_>>(),
        )?;
        labelled(&r, "C", "Number of classes")?;
        let (size_c, _) = select(
            &r,
            "size-c",
            "Classes C (1–4): one column of the grid per class; with exclusive classes class 0 is the background",
            &(1..=MAX_CLASSES)
                .map(|k| (k.to_string(), k.to_string()))
                .collect::<Vec<_>>(),
        )?;
        labelled(&r, "H=W", "Image size in pixels")?;
        let (size_n, _) = select(
            &r,
            "size-n",
            "Image size H = W in pixels (8–128)",
            &SIZES
                .iter()
                .map(|k| (k.to_string(), format!("{k}×{k}")))
                .collect::<Vec<_>>(),
        )?;
        for s in [&size_b, &size_c, &size_n] {
            let (sb, sc, sn) = (size_b.clone(), size_c.clone(), size_n.clone());
            on_input(s, "change", move |a| {
                let b: usize = sb.value().parse().unwrap_or(a.state.batch());
                let c: usize = sc.value().parse().unwrap_or(a.state.classes());
                let n: usize = sn.value().parse().unwrap_or(a.state.size());
                a.edit(move |s| {
                    let next = crate::page::paint::resize(s, b, c, n).map_err(|e| e.to_string())?;
                    *s = next;
                    Ok((Change::Everything, None))
                });
            });
        }
        let r = row(&sz, "buttons")?;
        let reset = button(
            &r,
            "reset",
            "Reset example",
            "Back to the default example: 2 images × 2 classes at 32×32, MONAI's default settings",
        )?;
        on_click(&reset, |a| {
            a.edit(|s| {
                *s = AppState::default_scene();
                Ok((Change::Everything, None))
            });
            a.close_lesson();
            a.set_notice(None, false);
        });

        Ok(Controls {
            preset,
            preset_code,
            preset_note,
            monai,
            phi,
            eps_label,
            eps_slider,
            eps_text: eps_text_el,
            eps_msg,
            eps_sep,
            eps_dr_row,
            eps_dr_slider,
            eps_dr_text,
            eps_dr_msg,
            eps_shown: Cell::new(None),
            eps_dr_shown: Cell::new(None),
            dice,
            jaccard,
            squared,
            include_bg,
            include_bg_label,
            activation,
            softmax_option,
            exclusive,
            exclusive_label,
            extra,
            logit,
            logit_label,
            shared,
            symlog,
            label_paint,
            label_erase,
            pred_value,
            pred_value_out,
            soft,
            radius,
            radius_out,
            disk,
            square,
            target_text,
            helper_all,
            undo,
            redo,
            size_b,
            size_c,
            size_n,
        })
    }

    /// Shows the state in the controls.
    pub fn sync(
        &self,
        state: &AppState,
        tool: &Tool,
        selected: (Layer, usize, usize),
        can_undo: bool,
        can_redo: bool,
    ) {
        let st = &state.settings;
        let one_class = state.classes() < 2;
        // Preset: the one whose settings match exactly, else custom.
        let matching = FRAMEWORK_PRESETS.iter().find(|p| p.settings == *st);
        let pv = matching.map_or("custom", |p| p.name);
        if self.preset.value() != pv {
            self.preset.set_value(pv);
        }
        let monai_call = monai_equivalent(st);
        match (matching, &monai_call) {
            (Some(p), _) => {
                dom::set_text(&self.preset_code, p.code);
                dom::set_text(&self.preset_note, p.note);
            }
            (None, Some(code)) => {
                dom::set_text(&self.preset_code, code);
                dom::set_text(
                    &self.preset_note,
                    "Custom settings: this MONAI call computes them.",
                );
            }
            (None, None) => {
                dom::set_text(&self.preset_code, "");
                dom::set_text(&self.preset_note, "");
            }
        }
        dom::set_hidden(
            &self.preset_code,
            self.preset_code
                .text_content()
                .unwrap_or_default()
                .is_empty(),
        );
        // Always say how MONAI relates, unless the code block above already is that call.
        let shows_monai = monai_call.as_deref() == self.preset_code.text_content().as_deref();
        dom::set_text(
            &self.monai,
            &if shows_monai {
                String::new()
            } else {
                match monai_call {
                    Some(code) => format!("MONAI equivalent: {code}"),
                    None => monai_sentence(st),
                }
            },
        );
        for (p, b) in &self.phi {
            pressed(b, *p == st.phi);
        }
        // ε
        dom::set_text(
            &self.eps_label,
            if state.separate_eps {
                "ε_nr (numerator)"
            } else {
                "ε (smoothing)"
            },
        );
        set_value(&self.eps_slider, &ui::eps_position(st.eps_nr).to_string());
        sync_eps_text(&self.eps_text, &self.eps_msg, st.eps_nr, &self.eps_shown);
        set_checked(&self.eps_sep, state.separate_eps);
        dom::set_hidden(&self.eps_dr_row, !state.separate_eps);
        set_value(
            &self.eps_dr_slider,
            &ui::eps_position(st.eps_dr).to_string(),
        );
        sync_eps_text(
            &self.eps_dr_text,
            &self.eps_dr_msg,
            st.eps_dr,
            &self.eps_dr_shown,
        );
        pressed(&self.dice, !st.jaccard);
        pressed(&self.jaccard, st.jaccard);
        set_checked(&self.squared, st.squared);
        set_checked(&self.include_bg, st.include_background);
        self.include_bg
            .set_disabled(one_class && st.include_background);
        let bg_tip = if one_class {
            ui::NO_BACKGROUND_ONE_CLASS
        } else {
            "Whether class 0 takes part in the loss (MONAI include_background, nnU-Net do_bg)"
        };
        self.include_bg_label.set_title(bg_tip);
        self.include_bg.set_title(bg_tip);
        if self.activation.value() != st.activation.code() {
            self.activation.set_value(st.activation.code());
        }
        if one_class {
            dom::set_attr(&self.softmax_option, "disabled", "");
            self.softmax_option.set_title(ui::SOFTMAX_ONE_CLASS);
            self.activation.set_title(&format!(
                "Activation between logits z and probabilities ỹ. {}",
                ui::SOFTMAX_ONE_CLASS
            ));
        } else {
            let _ = self.softmax_option.remove_attribute("disabled");
            self.softmax_option
                .set_title("Softmax over the classes of each pixel (needs exclusive classes)");
            self.activation.set_title("Activation between logits z and probabilities ỹ. The painted values are the probabilities; the activation enters through the chain rule");
        }
        set_checked(&self.exclusive, state.exclusive);
        self.exclusive.set_disabled(one_class);
        self.exclusive_label.set_title(if one_class {
            "Exclusive classes need at least 2 classes (class 0 is the background)"
        } else {
            "Exclusive: one label per pixel and predictions that sum to 1 over classes (class 0 is the background). Off: independent (multi-label) classes"
        });
        let mut extra = Vec::new();
        if st.denominator_floor > 0.0 {
            extra.push(format!(
                "denominator clamped to ≥ {}",
                crate::present::format::number(st.denominator_floor, 3)
            ));
        }
        if st.zero_empty_sets {
            extra.push("sets without foreground count as loss 0 with no gradient".to_string());
        }
        dom::set_text(&self.extra, &extra.join("; "));
        dom::set_hidden(&self.extra, extra.is_empty());
        // Gradient view.
        let act_on = st.activation != Activation::None;
        set_checked(&self.logit, state.view.logit_grad);
        self.logit.set_disabled(!act_on);
        self.logit_label.set_title(if act_on {
            "Show the gradient w.r.t. the logits z (on) or the probabilities ỹ (off)"
        } else {
            "Only with an activation: without one, ỹ is the network output and ∂L/∂ỹ is shown"
        });
        dom::toggle_class(&self.logit_label, "disabled", !act_on);
        set_checked(&self.shared, state.view.shared_scale);
        set_checked(&self.symlog, state.view.symlog);
        // Tools.
        pressed(&self.label_paint, !tool.label_erase);
        pressed(&self.label_erase, tool.label_erase);
        set_value(&self.pred_value, &tool.pred_value.to_string());
        dom::set_text(&self.pred_value_out, &format!("{:.2}", tool.pred_value));
        set_value(&self.radius, &tool.radius.to_string());
        dom::set_text(&self.radius_out, &format!("{} px", tool.radius));
        pressed(&self.disk, !tool.square);
        pressed(&self.square, tool.square);
        set_checked(&self.soft, tool.soft);
        set_checked(&self.helper_all, tool.helper_all);
        let (layer, b, c) = selected;
        let what = match layer {
            Layer::Label => "label y",
            Layer::Pred => "prediction ỹ",
        };
        dom::set_text(
            &self.target_text,
            &format!(
                "Fill/Clear act on: {what} of image {b}, class {c}. Helpers rewrite {}.",
                if tool.helper_all {
                    "every prediction"
                } else {
                    "this cell's prediction"
                }
            ),
        );
        self.undo.set_disabled(!can_undo);
        self.redo.set_disabled(!can_redo);
        // A link may hold a size between the offered ones (any H = W in 8–128): offer it.
        if !SIZES.contains(&state.size()) {
            add_size_option(&self.size_n, state.size());
        }
        for (s, v) in [
            (&self.size_b, state.batch()),
            (&self.size_c, state.classes()),
            (&self.size_n, state.size()),
        ] {
            let v = v.to_string();
            if s.value() != v {
                s.set_value(&v);
            }
        }
    }
}
