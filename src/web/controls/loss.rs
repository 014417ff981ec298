//! The Loss panel: framework preset, Φ, ε, score, options, activation.

use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::engine::activation::Activation;
use crate::engine::phi::Phi;
use crate::engine::presets::{monai_equivalent, monai_sentence, FRAMEWORK_PRESETS};
use crate::engine::variants::Variant;
use crate::page::entry;
use crate::page::model::{EpsField, Model, Refused};
use crate::page::msg::{CompareMsg, Msg, Preset, SettingsMsg};
use crate::page::rules;
use crate::present::format;
use crate::web::dispatch::Dispatch;
use crate::web::dom::{self, JsResult};

use super::widgets::{
    button, checkbox, label_for, labelled, on_check, pressed, range, row, section, select,
    set_checked, set_select, set_value, text_input,
};

/// One ε: its slider, text field and message line.
struct EpsInput {
    slider: HtmlInputElement,
    text: HtmlInputElement,
    msg: HtmlElement,
}

impl EpsInput {
    fn build(
        parent: &Element,
        id: &str,
        field: EpsField,
        (label, label_tip): (&str, &str),
        (text_tip, slider_tip): (&str, &str),
        d: &Dispatch,
    ) -> JsResult<(EpsInput, HtmlElement)> {
        let r = row(parent, "")?;
        let label = labelled(&r, label, label_tip)?;
        let text = text_input(&r, id, text_tip)?;
        label_for(&label, &text, "");
        let max_pos = f64::from(entry::eps_stop_count() - 1);
        let slider = range(
            parent,
            &format!("{id}-slider"),
            (0.0, max_pos, 1.0),
            slider_tip,
        )?;
        label_for(&label, &slider, "slider");
        let msg = dom::el("div", "msg")?;
        dom::set_attr(&msg, "role", "alert");
        dom::append(parent, &msg)?;
        {
            let s = slider.clone();
            d.on(&slider, "input", move |_| {
                Some(Msg::Settings(SettingsMsg::EpsSlider {
                    field,
                    pos: s.value().parse().unwrap_or(0),
                }))
            });
        }
        {
            // Enter or leaving the field commits the whole entry; nothing is applied while
            // typing, so no half-typed prefix ("1e" of "1e-7") ever becomes ε.
            let t = text.clone();
            d.on(&text, "change", move |_| {
                Some(Msg::Settings(SettingsMsg::EpsEntered {
                    field,
                    text: t.value(),
                }))
            });
        }
        d.on(&text, "blur", move |_| {
            Some(Msg::Settings(SettingsMsg::EpsLeft(field)))
        });
        Ok((EpsInput { slider, text, msg }, label))
    }

    /// Shows ε. The field's text is never rewritten while it has focus (re-synced on
    /// blur); a refused entry keeps its text and message until ε changes some other way.
    fn sync(&self, v: f64, refused: Option<&Refused>) {
        set_value(&self.slider, &entry::eps_position(v).to_string());
        let (text, reason) = match refused {
            Some(r) => (r.text.clone(), r.reason.as_str()),
            None => (format::exact(v), ""),
        };
        if !dom::has_focus(&self.text) && self.text.value() != text {
            self.text.set_value(&text);
        }
        dom::set_text(&self.msg, reason);
        dom::toggle_class(&self.text, "invalid", refused.is_some());
    }
}

pub struct LossPanel {
    preset: HtmlSelectElement,
    preset_code: HtmlElement,
    preset_note: HtmlElement,
    monai: HtmlElement,
    phi: Vec<(Phi, HtmlButtonElement)>,
    eps_label: HtmlElement,
    eps: EpsInput,
    eps_dr_row: HtmlElement,
    eps_dr: EpsInput,
    eps_sep: HtmlInputElement,
    dice: HtmlButtonElement,
    jaccard: HtmlButtonElement,
    squared: HtmlInputElement,
    include_bg: HtmlInputElement,
    include_bg_label: HtmlElement,
    activation: HtmlSelectElement,
    softmax_option: HtmlElement,
    variant: HtmlSelectElement,
    exclusive: HtmlInputElement,
    exclusive_label: HtmlElement,
    extra: HtmlElement,
}

fn phi_tip(p: Phi) -> &'static str {
    match p {
        Phi::I => "Image-wise DL_I: one set per image and class (MONAI default, batch=False)",
        Phi::CI => "Class-wise DL_CI: one set per image, all classes summed together",
        Phi::BI => "Batch-wise DL_BI: one set per class, all images of the batch summed together (MONAI batch=True, nnU-Net batch_dice)",
        Phi::BCI => "All-wise DL_BCI: a single set over the whole batch and all classes",
    }
}

impl LossPanel {
    pub fn build(root: &Element, d: &Dispatch) -> JsResult<LossPanel> {
        let loss = section(root, "Loss", "How the Dice loss is computed")?;
        let r = row(&loss, "")?;
        let library = labelled(&r, "Library", "Load the settings a library uses")?;
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
        label_for(&library, &preset, "");
        for (o, p) in preset_opts.iter().skip(1).zip(FRAMEWORK_PRESETS.iter()) {
            o.set_title(&format!("{}\n{}", p.code, p.note));
        }
        {
            let s = preset.clone();
            d.on(&preset, "change", move |_| {
                Some(Msg::Settings(SettingsMsg::Preset(Preset::named(
                    &s.value(),
                ))))
            });
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
            "Which (image, class) cells are summed together before dividing",
        )?;
        let phi_grid = dom::el("div", "phi-buttons")?;
        dom::append(&r, &phi_grid)?;
        let mut phi = Vec::new();
        for p in Phi::ALL {
            let b = button(&phi_grid, "", "", phi_tip(p))?;
            b.set_inner_html(&format!(
                "<span class=\"phi-code\">{}</span><span class=\"phi-name\">{} DL<sub>{}</sub></span>",
                p.code(),
                p.wise_name(),
                p.code()
            ));
            dom::set_data(&b, "phi", p.code());
            dom::set_attr(&b, "aria-pressed", "false");
            d.on_click(&b, Msg::Settings(SettingsMsg::Phi(p)));
            phi.push((p, b));
        }

        let eps_box = dom::el("div", "eps-box")?;
        dom::append(&loss, &eps_box)?;
        let (eps, eps_label) = EpsInput::build(
            &eps_box,
            "eps",
            EpsField::First,
            (
                "ε (smoothing)",
                "Smoothing ε added to numerator and denominator: sDSC = (2X + ε)/(V + Ṽ + ε)",
            ),
            (
                "Type ε, e.g. 1e-7, 0.001 or 0, then Enter",
                "ε on a logarithmic scale: far left is exactly 0, then 1e-8 … 1e4",
            ),
            d,
        )?;
        let ticks = dom::el("div", "eps-ticks")?;
        ticks.set_inner_html(
            "<span>0</span><span>1e-8</span><span>1e-4</span><span>1</span><span>1e4</span>",
        );
        dom::append(&eps_box, &ticks)?;
        let eps_dr_row = dom::el("div", "eps-box")?;
        dom::append(&loss, &eps_dr_row)?;
        let (eps_dr, _) = EpsInput::build(
            &eps_dr_row,
            "eps-dr",
            EpsField::Dr,
            (
                "ε_dr (denominator)",
                "Smoothing in the denominator only (MONAI smooth_dr)",
            ),
            (
                "Type ε_dr, e.g. 1e-5, then Enter",
                "ε_dr on a logarithmic scale: far left is exactly 0, then 1e-8 … 1e4",
            ),
            d,
        )?;

        let r = row(&loss, "")?;
        let (eps_sep, _) = checkbox(
            &r,
            "eps-separate",
            "separate ε_nr / ε_dr",
            "Use different smoothing in numerator (ε_nr) and denominator (ε_dr), like MONAI's smooth_nr/smooth_dr",
        )?;
        on_check(d, &eps_sep, |on| {
            Msg::Settings(SettingsMsg::SeparateEps(on))
        });
        let cmp = button(
            &r,
            "compare-open",
            "Compare…",
            "Compare mode: the same scene under a second setting, side by side",
        )?;
        d.on_click(&cmp, Msg::Compare(CompareMsg::Open));
        let heur = button(
            &r,
            "eps-heuristic",
            "ε = mean volume",
            "Set ε to the mean true volume per image of the structure classes in the loss, over all images as the loss sees them — a missing label counts as 0 (the paper's heuristic for empty labels)",
        )?;
        d.on_click(&heur, Msg::Settings(SettingsMsg::HeuristicEps));

        let r = row(&loss, "seg")?;
        labelled(&r, "Score", "Dice or Jaccard (soft IoU)")?;
        let dice = button(&r, "score-dice", "Dice", "Dice: denominator V + Ṽ")?;
        let jaccard = button(
            &r,
            "score-jaccard",
            "Jaccard",
            "Jaccard / soft IoU: denominator 2·(V + Ṽ − X) (MONAI jaccard=True)",
        )?;
        d.on_click(&dice, Msg::Settings(SettingsMsg::Jaccard(false)));
        d.on_click(&jaccard, Msg::Settings(SettingsMsg::Jaccard(true)));

        let r = row(&loss, "checks")?;
        let (squared, _) = checkbox(
            &r,
            "squared",
            "squared denominator Σy² + Σỹ²",
            "V-Net / MONAI squared_pred: sum squares in the denominator",
        )?;
        on_check(d, &squared, |on| Msg::Settings(SettingsMsg::Squared(on)));
        let (include_bg, include_bg_label) = checkbox(
            &r,
            "include-bg",
            "include background (class 0)",
            "Whether class 0 takes part in the loss (MONAI include_background, nnU-Net do_bg)",
        )?;
        on_check(d, &include_bg, |on| {
            Msg::Settings(SettingsMsg::IncludeBackground(on))
        });
        let (exclusive, exclusive_label) = checkbox(
            &r,
            "exclusive",
            "exclusive classes",
            "Exclusive: one label per pixel and predictions that sum to 1 over classes (class 0 is the background). Off: independent (multi-label) classes",
        )?;
        on_check(d, &exclusive, |on| {
            Msg::Settings(SettingsMsg::Exclusive(on))
        });

        let r = row(&loss, "")?;
        let act_label = labelled(
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
        label_for(&act_label, &activation, "");
        let softmax_option = act_opts
            .into_iter()
            .nth(2)
            .ok_or_else(|| wasm_bindgen::JsValue::from_str("softmax option"))?;
        {
            let s = activation.clone();
            d.on(&activation, "change", move |_| {
                Activation::parse(&s.value()).map(|a| Msg::Settings(SettingsMsg::Activation(a)))
            });
        }
        let r = row(&loss, "")?;
        labelled(
            &r,
            "Loss variant",
            "The plain Dice, or a loss made for missing labels (told which labels are missing by the label statuses)",
        )?;
        let (variant, variant_opts) = select(
            &r,
            "variant",
            "Plain Dice; leaf Dice (missing cells dropped from their sets); marginal Dice (missing classes' probabilities added to the background). Both read which labels are missing from the cells' label status",
            &Variant::ALL
                .iter()
                .map(|v| (v.code().to_string(), v.label().to_string()))
                .collect::<Vec<_>>(),
        )?;
        // Named for assistive technology (the title alone is no name for axe).
        dom::set_attr(&variant, "aria-label", "Loss variant");
        for (o, v) in variant_opts.iter().zip(Variant::ALL) {
            o.set_title(match v {
                Variant::Dice => "The Dice as written: every cell counts with the labels the loss sees",
                Variant::Leaf => "Leaf Dice: a missing cell's label and prediction are set to 0 before the sums; a set of only missing cells is a constant 0 that still counts in the mean",
                Variant::Marginal => "Marginal Dice: an image's missing classes' probabilities are added to its background's, then as the leaf Dice; needs exclusive classes and the background in the loss",
            });
        }
        {
            let s = variant.clone();
            d.on(&variant, "change", move |_| {
                Variant::parse(&s.value()).map(|v| Msg::Settings(SettingsMsg::Variant(v)))
            });
        }
        let extra = dom::el("div", "note extra")?;
        extra.set_title("Settings that only a library preset sets");
        dom::append(&loss, &extra)?;
        Ok(LossPanel {
            preset,
            preset_code,
            preset_note,
            monai,
            phi,
            eps_label,
            eps,
            eps_dr_row,
            eps_dr,
            eps_sep,
            dice,
            jaccard,
            squared,
            include_bg,
            include_bg_label,
            activation,
            softmax_option,
            variant,
            exclusive,
            exclusive_label,
            extra,
        })
    }

    pub fn sync(&self, m: &Model) {
        let state = &m.state;
        let st = &state.settings;
        let one_class = state.classes() < 2;
        // Preset: the one whose settings match exactly, else custom.
        let matching = FRAMEWORK_PRESETS.iter().find(|p| p.settings == *st);
        set_select(&self.preset, matching.map_or("custom", |p| p.name));
        let monai_call = monai_equivalent(st);
        let (code, note) = match (matching, &monai_call) {
            (Some(p), _) => (p.code.to_string(), p.note),
            (None, Some(code)) => (
                code.clone(),
                "Custom settings: this MONAI call computes them.",
            ),
            (None, None) => (String::new(), ""),
        };
        dom::set_text(&self.preset_code, &code);
        dom::set_text(&self.preset_note, note);
        dom::set_hidden(&self.preset_code, code.is_empty());
        // Always say how MONAI relates, unless the code block above already is that call.
        let monai = match monai_call {
            Some(call) if call == code => String::new(),
            Some(call) => format!("MONAI equivalent: {call}"),
            None => monai_sentence(st),
        };
        dom::set_text(&self.monai, &monai);
        for (p, b) in &self.phi {
            pressed(b, *p == st.phi);
        }
        dom::set_text(
            &self.eps_label,
            if state.separate_eps {
                "ε_nr (numerator)"
            } else {
                "ε (smoothing)"
            },
        );
        self.eps.sync(st.eps_nr, m.feedback.refused[0].as_ref());
        set_checked(&self.eps_sep, state.separate_eps);
        dom::set_hidden(&self.eps_dr_row, !state.separate_eps);
        self.eps_dr.sync(st.eps_dr, m.feedback.refused[1].as_ref());
        pressed(&self.dice, !st.jaccard);
        pressed(&self.jaccard, st.jaccard);
        set_checked(&self.squared, st.squared);
        set_checked(&self.include_bg, st.include_background);
        self.include_bg
            .set_disabled(one_class && st.include_background);
        let bg_tip = if one_class {
            rules::NO_BACKGROUND_ONE_CLASS
        } else {
            "Whether class 0 takes part in the loss (MONAI include_background, nnU-Net do_bg)"
        };
        self.include_bg_label.set_title(bg_tip);
        self.include_bg.set_title(bg_tip);
        set_select(&self.activation, st.activation.code());
        set_select(&self.variant, st.variant.code());
        if one_class {
            dom::set_attr(&self.softmax_option, "disabled", "");
            self.softmax_option.set_title(rules::SOFTMAX_ONE_CLASS);
            self.activation.set_title(&format!(
                "Activation between logits z and probabilities ỹ. {}",
                rules::SOFTMAX_ONE_CLASS
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
                format::number(st.denominator_floor, 3)
            ));
        }
        if st.zero_empty_sets {
            extra.push("sets without foreground count as loss 0 with no gradient".to_string());
        }
        dom::set_text(&self.extra, &extra.join("; "));
        dom::set_hidden(&self.extra, extra.is_empty());
    }
}
