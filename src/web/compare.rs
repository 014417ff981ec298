//! Compare mode's bar above the grid: the second setting B (Φ, ε, variant, background,
//! a framework preset) with its loss beside A's; the grid shows B's gradient and badges in
//! columns beside A's cells. One scene, painted once, two settings.

use wasm_bindgen::JsValue;
use web_sys::{HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::presets::FRAMEWORK_PRESETS;
use crate::engine::variants::Variant;
use crate::page::msg::{CompareMsg, Msg, Preset};
use crate::present::format;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

pub struct CompareBar {
    root: HtmlElement,
    a: HtmlElement,
    /// B in words (presentation mode shows it instead of B's controls).
    b: HtmlElement,
    b_loss: HtmlElement,
    a_loss: HtmlElement,
    phi: Vec<(Phi, HtmlButtonElement)>,
    eps: HtmlInputElement,
    variant: HtmlSelectElement,
    background: HtmlInputElement,
    preset: HtmlSelectElement,
}

fn need<T: wasm_bindgen::JsCast>(id: &str) -> JsResult<T> {
    dom::by_id(id).ok_or_else(|| JsValue::from_str(&format!("missing #{id}")))
}

/// A setting in a few words: "Φ = BI, ε = 1e-7, background out".
pub fn summary(s: &DiceSettings) -> String {
    let mut parts = vec![format!("Φ = {}", s.phi.code())];
    if s.eps_nr == s.eps_dr {
        parts.push(format!("ε = {}", format::number(s.eps_nr, 3)));
    } else {
        parts.push(format!(
            "ε_nr = {}, ε_dr = {}",
            format::number(s.eps_nr, 3),
            format::number(s.eps_dr, 3)
        ));
    }
    parts.push(
        if s.include_background {
            "background in"
        } else {
            "background out"
        }
        .to_string(),
    );
    if s.variant != Variant::Dice {
        parts.push(s.variant.label().to_string());
    }
    parts.join(", ")
}

fn loss_text(l: Option<f64>) -> (String, String) {
    match l {
        Some(v) => (format::number(v, 5), format!("{v}")),
        None => ("undefined".into(), "undefined".into()),
    }
}

impl CompareBar {
    pub fn build(d: &Dispatch) -> JsResult<CompareBar> {
        let root: HtmlElement = need("compare-bar")?;
        let close: HtmlButtonElement = need("compare-close")?;
        d.on_click(&close, Msg::Compare(CompareMsg::Close));
        let box_: HtmlElement = need("compare-phi")?;
        let mut phi = Vec::new();
        for p in Phi::ALL {
            let b: HtmlButtonElement =
                dom::text_el("button", "btn", p.code())?.dyn_into_button()?;
            b.set_type("button");
            b.set_title(&format!("B: {} sets", p.wise_name()));
            dom::set_data(&b, "phi", p.code());
            dom::append(&box_, &b)?;
            d.on_click(&b, Msg::Compare(CompareMsg::Phi(p)));
            phi.push((p, b));
        }
        let eps: HtmlInputElement = need("compare-eps")?;
        {
            let t = eps.clone();
            d.on(&eps, "change", move |_| {
                Some(Msg::Compare(CompareMsg::Eps(t.value())))
            });
        }
        let variant: HtmlSelectElement = need("compare-variant")?;
        for v in Variant::ALL {
            let o = dom::text_el("option", "", v.label())?;
            dom::set_attr(&o, "value", v.code());
            dom::append(&variant, &o)?;
        }
        {
            let s = variant.clone();
            d.on(&variant, "change", move |_| {
                Variant::parse(&s.value()).map(|v| Msg::Compare(CompareMsg::Variant(v)))
            });
        }
        let background: HtmlInputElement = need("compare-bg")?;
        {
            let i = background.clone();
            d.on(&background, "change", move |_| {
                Some(Msg::Compare(CompareMsg::Background(i.checked())))
            });
        }
        let preset: HtmlSelectElement = need("compare-preset")?;
        let o = dom::text_el("option", "", "a library's setting…")?;
        dom::set_attr(&o, "value", "custom");
        dom::append(&preset, &o)?;
        for p in FRAMEWORK_PRESETS.iter() {
            let o = dom::text_el("option", "", p.label)?;
            dom::set_attr(&o, "value", p.name);
            dom::append(&preset, &o)?;
        }
        {
            let s = preset.clone();
            d.on(&preset, "change", move |_| {
                Some(Msg::Compare(CompareMsg::Preset(Preset::named(&s.value()))))
            });
        }
        Ok(CompareBar {
            root,
            a: need("compare-a")?,
            b: need("compare-b")?,
            b_loss: need("compare-loss")?,
            a_loss: need("compare-a-loss")?,
            phi,
            eps,
            variant,
            background,
            preset,
        })
    }

    /// Returns whether the bar appeared, went or was reworded (the grid below it moves).
    pub fn sync(&self, f: &Frame) -> bool {
        let (m, d, ch, fresh) = (f.model, f.derived, f.change, f.fresh);
        if !(ch.page || ch.compare || ch.settings || fresh.evaluated || fresh.compared) {
            return false;
        }
        let was_hidden = self.root.hidden();
        let Some(b) = m.state.compare else {
            dom::set_hidden(&self.root, true);
            return !was_hidden;
        };
        dom::set_hidden(&self.root, false);
        let (a_words, b_words) = (summary(&m.state.settings), summary(&b));
        let reworded = self.a.text_content().as_deref() != Some(a_words.as_str())
            || self.b.text_content().as_deref() != Some(b_words.as_str());
        dom::set_text(&self.a, &a_words);
        dom::set_text(&self.b, &b_words);
        let (text, value) = loss_text(d.eval.as_ref().ok().and_then(|e| e.loss));
        dom::set_text(&self.a_loss, &text);
        dom::set_data(&self.a_loss, "value", &value);
        let side_loss = d
            .compare
            .as_ref()
            .and_then(|s| s.eval.as_ref().ok())
            .and_then(|e| e.loss);
        let (text, value) = match d.compare.as_ref().map(|s| &s.eval) {
            Some(Err(e)) => (format!("cannot compute: {e}"), "undefined".to_string()),
            _ => loss_text(side_loss),
        };
        dom::set_text(&self.b_loss, &text);
        dom::set_data(&self.b_loss, "value", &value);
        for (p, btn) in &self.phi {
            let on = *p == b.phi;
            dom::set_attr(btn, "aria-pressed", if on { "true" } else { "false" });
            dom::toggle_class(btn, "on", on);
        }
        let eps = format::exact(b.eps_nr);
        if self.eps.value() != eps && !dom::has_focus(&self.eps) {
            self.eps.set_value(&eps);
        }
        if self.variant.value() != b.variant.code() {
            self.variant.set_value(b.variant.code());
        }
        if self.background.checked() != b.include_background {
            self.background.set_checked(b.include_background);
        }
        let matching = FRAMEWORK_PRESETS.iter().find(|p| p.settings == b);
        let v = matching.map_or("custom", |p| p.name);
        if self.preset.value() != v {
            self.preset.set_value(v);
        }
        was_hidden || reworded
    }
}

/// `dyn_into` for buttons with the page's error type.
trait IntoButton {
    fn dyn_into_button(self) -> JsResult<HtmlButtonElement>;
}

impl IntoButton for HtmlElement {
    fn dyn_into_button(self) -> JsResult<HtmlButtonElement> {
        wasm_bindgen::JsCast::dyn_into(self).map_err(|_| JsValue::from_str("button"))
    }
}
