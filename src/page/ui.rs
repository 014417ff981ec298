//! The playground's control logic that does not need a browser: the ε slider's stops,
//! parsing typed ε values, settings changes that must keep the state consistent (softmax
//! needs exclusive classes, C = 1 has no background to exclude), and the `dice eval`
//! input for the current page. Unit-tested natively; `web` only wires it to the DOM.

use serde_json::{json, Value};

use crate::engine::activation::Activation;
use crate::engine::presets::FrameworkPreset;
use crate::engine::status::LabelStatus;
use crate::page::paint::Layer;
use crate::page::state::AppState;

/// Smallest and largest non-zero ε on the slider, as powers of ten.
pub const EPS_MIN_EXP: i32 = -8;
pub const EPS_MAX_EXP: i32 = 4;
/// Stops inside each decade.
const MANTISSAS: [f64; 3] = [1.0, 2.0, 5.0];

/// Number of slider positions: 0, then 1-2-5 steps from 1e-8 up to 1e4.
pub fn eps_stop_count() -> u32 {
    1 + (EPS_MAX_EXP - EPS_MIN_EXP) as u32 * MANTISSAS.len() as u32 + 1
}

/// The ε at a slider position (0 → exactly 0; clamped beyond the ends).
pub fn eps_at(pos: u32) -> f64 {
    if pos == 0 {
        return 0.0;
    }
    let k = (pos - 1).min(eps_stop_count() - 2);
    let decade = EPS_MIN_EXP + (k / MANTISSAS.len() as u32) as i32;
    let m = MANTISSAS[(k % MANTISSAS.len() as u32) as usize];
    // Parse the decimal text so stops are the exact doubles people type ("2e-5").
    format!("{m}e{decade}").parse().unwrap_or(0.0)
}

/// The slider position closest to `eps` on a log scale (0 only for ε = 0).
pub fn eps_position(eps: f64) -> u32 {
    if eps.is_nan() || eps <= 0.0 || !eps.is_finite() {
        return 0;
    }
    let target = eps.log10();
    (1..eps_stop_count())
        .min_by(|&a, &b| {
            let da = (eps_at(a).log10() - target).abs();
            let db = (eps_at(b).log10() - target).abs();
            da.total_cmp(&db)
        })
        .unwrap_or(1)
}

/// Largest ε accepted from the text field.
pub const EPS_MAX: f64 = 1e12;
/// Smallest positive ε accepted: below it ε² underflows and the engine can only report
/// overflowing pushes, which teaches nothing.
pub const EPS_MIN: f64 = 1e-150;

/// Parses a typed ε: decimal or scientific (`1e-7`, `0.5`, `1E4`, `2·10^-5`); it must be a
/// finite number ≥ 0. The error is a sentence for the inline message.
pub fn parse_eps(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("type a number ≥ 0, e.g. 1e-7".into());
    }
    let normalised = normalise_number_text(t);
    let v: f64 = normalised.parse().map_err(|_| {
        format!(
            "“{}” is not a number; type e.g. 1e-5, 0.001 or 0",
            crate::present::format::excerpt(t)
        )
    })?;
    if !v.is_finite() {
        return Err("ε must be a finite number".into());
    }
    // "1e-1000" parses as 0: a number too small for 64 bits, not a typed zero.
    let mantissa = normalised.split(['e', 'E']).next().unwrap_or("");
    if v == 0.0 && mantissa.chars().any(|c| ('1'..='9').contains(&c)) {
        return Err(format!(
            "“{}” is too small for a 64-bit number; use 0 or at least {EPS_MIN:e}",
            crate::present::format::excerpt(t)
        ));
    }
    if v < 0.0 {
        return Err("ε cannot be negative".into());
    }
    if v > EPS_MAX {
        return Err(format!("ε above {EPS_MAX:e} is not useful here"));
    }
    if v > 0.0 && v < EPS_MIN {
        return Err(format!("ε between 0 and {EPS_MIN:e} is below what 64-bit floats square; use 0 or at least {EPS_MIN:e}"));
    }
    Ok(v)
}

/// Accepts the ways people write powers of ten: `2·10^-5`, `2x10^-5`, `10^-5`, a real
/// minus sign, a decimal comma.
fn normalise_number_text(t: &str) -> String {
    let t: String = t
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '−' | '–' => '-',
            ',' => '.',
            other => other,
        })
        .collect();
    // ASCII only: the letters that matter are e, inf and nan (and a full Unicode lowercase
    // would bring its 12 KB table into the page).
    let lower = t.to_ascii_lowercase();
    for sep in ["·10^", "*10^", "x10^", "×10^"] {
        if let Some((m, e)) = lower.split_once(sep) {
            return format!("{m}e{e}");
        }
    }
    if let Some(e) = lower.strip_prefix("10^") {
        return format!("1e{e}");
    }
    // Reject words like "inf" and "nan" that Rust's parser would accept.
    if lower.contains("inf") || lower.contains("nan") {
        return String::from("x");
    }
    lower
}

/// Learning-rate stops of the Train panel's slider: 1-2-5 steps from 1e-4 to 10.
pub const LR_STOPS: [f64; 16] = [
    1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// The slider stop nearest to `lr` on a log scale.
pub fn lr_position(lr: f64) -> usize {
    if !(lr.is_finite() && lr > 0.0) {
        return 0;
    }
    (0..LR_STOPS.len())
        .min_by(|&a, &b| {
            let d = |k: usize| (LR_STOPS[k].log10() - lr.log10()).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap_or(0)
}

/// Largest learning rate the page accepts.
pub const LR_MAX: f64 = 1e3;

/// Parses a typed learning rate: a finite number above 0 and at most [`LR_MAX`].
pub fn parse_lr(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let v: f64 = normalise_number_text(t).parse().map_err(|_| {
        format!(
            "“{}” is not a number; type e.g. 0.2 or 1e-3",
            crate::present::format::excerpt(t)
        )
    })?;
    if !(v.is_finite() && v > 0.0) {
        return Err("the learning rate must be a positive number".into());
    }
    if v > LR_MAX {
        return Err(format!(
            "a learning rate above {LR_MAX:e} is not useful here"
        ));
    }
    Ok(v)
}

/// Sets the activation, keeping the state consistent. Returns a sentence when something
/// else had to change too, or an error (state unchanged) when impossible.
pub fn set_activation(s: &mut AppState, a: Activation) -> Result<Option<String>, String> {
    if a == Activation::Softmax && s.classes() < 2 {
        return Err(SOFTMAX_ONE_CLASS.into());
    }
    s.settings.activation = a;
    if a == Activation::Softmax && !s.exclusive {
        make_exclusive(s);
        return Ok(Some(
            "Softmax makes the class probabilities of a pixel sum to 1, so the classes were \
             switched to exclusive and the predictions normalised."
                .into(),
        ));
    }
    Ok(None)
}

pub const SOFTMAX_ONE_CLASS: &str =
    "Softmax needs at least 2 classes (it normalises over the class axis); with C = 1 use sigmoid.";
pub const NO_BACKGROUND_ONE_CLASS: &str =
    "With C = 1 the only class is class 0: excluding it would leave nothing to compute.";

/// Exclusive (one label per pixel, predictions sum to 1) or independent classes.
pub fn set_exclusive(s: &mut AppState, exclusive: bool) -> Result<Option<String>, String> {
    if exclusive && s.classes() < 2 {
        return Err("Exclusive classes need at least 2 classes.".into());
    }
    if exclusive == s.exclusive {
        return Ok(None);
    }
    if exclusive {
        make_exclusive(s);
        return Ok(None);
    }
    crate::page::paint::set_exclusive(s, false);
    if s.settings.activation == Activation::Softmax {
        s.settings.activation = Activation::Sigmoid;
        return Ok(Some(
            "Independent classes cannot use softmax (it ties the classes together): the \
             activation was switched to sigmoid."
                .into(),
        ));
    }
    Ok(None)
}

/// Makes labels one-hot (the highest painted class wins, else background) and normalises
/// the predictions (see [`crate::page::paint::set_exclusive`]).
pub fn make_exclusive(s: &mut AppState) {
    crate::page::paint::set_exclusive(s, true);
}

/// Include or exclude class 0.
pub fn set_include_background(s: &mut AppState, include: bool) -> Result<(), String> {
    if !include && s.classes() < 2 {
        return Err(NO_BACKGROUND_ONE_CLASS.into());
    }
    s.settings.include_background = include;
    Ok(())
}

/// Applies a library's settings. Fails (state unchanged) when the page cannot express
/// them (softmax or no background with one class); may switch to exclusive classes.
pub fn apply_preset(s: &mut AppState, p: &FrameworkPreset) -> Result<Option<String>, String> {
    let mut next = s.clone();
    let keep_view = next.view;
    next.settings = p.settings;
    next.separate_eps = p.settings.eps_nr != p.settings.eps_dr;
    if next.classes() < 2
        && (p.settings.activation == Activation::Softmax || !p.settings.include_background)
    {
        return Err(format!(
            "{} needs at least 2 classes (softmax over classes, background excluded); add a class first.",
            p.label
        ));
    }
    let mut note = None;
    if p.settings.activation == Activation::Softmax && !next.exclusive {
        make_exclusive(&mut next);
        note = Some("switched to exclusive classes for softmax".to_string());
    }
    next.view = keep_view;
    *s = next;
    Ok(note)
}

/// Why a brush stroke on this view does nothing, if it does nothing: an empty label has no
/// structure to paint (its truth is "nothing there").
pub fn paint_refusal(s: &AppState, layer: Layer, b: usize, c: usize) -> Option<String> {
    match (layer, s.status.get((b, c))) {
        (Layer::Label, Some(LabelStatus::Empty)) => Some(format!(
            "The label of image {b}, class {c} is marked empty: the structure is truly absent, so there is nothing to paint. Set it to “annotated” or “missing” to paint a structure."
        )),
        _ => None,
    }
}

/// The input document of `dice eval` that computes what the page shows: the loss's labels
/// and the probabilities, with activation "none" (the page feeds probabilities).
pub fn cli_input(s: &AppState) -> Value {
    let mut doc = loss_input(s);
    doc["pred"] = json!(s.pred.iter().copied().collect::<Vec<f64>>());
    doc["activation"] = json!("none");
    doc
}

/// The input document of `dice eval` that computes what the page shows: [`cli_input`],
/// or while a model is trained (`trainer`) the model's logits with the page's activation,
/// which is what the page evaluates then.
pub fn shown_input(s: &AppState, trainer: Option<&crate::engine::train::Trainer>) -> Value {
    let Some(t) = trainer else {
        return cli_input(s);
    };
    let mut doc = loss_input(s);
    doc["pred"] = json!(t.logits().iter().copied().collect::<Vec<f64>>());
    doc
}

/// The fields `dice eval` and `dice train` share: the shape, the labels the loss sees, every
/// setting of the loss (with the real activation) and the missing cells.
pub fn loss_input(s: &AppState) -> Value {
    let (b, c, h, w) = s.labels.dim();
    let st = &s.settings;
    json!({
        "shape": [b, c, h, w],
        "y": s.loss_labels().iter().copied().collect::<Vec<f64>>(),
        "phi": st.phi.code(),
        "eps_nr": st.eps_nr,
        "eps_dr": st.eps_dr,
        "squared": st.squared,
        "jaccard": st.jaccard,
        "include_background": st.include_background,
        "activation": st.activation.code(),
        "denominator_floor": st.denominator_floor,
        "zero_empty_sets": st.zero_empty_sets,
        "variant": st.variant.code(),
        "missing": crate::page::judge::missing_cells(s)
            .into_iter()
            .map(|(b, c)| [b, c])
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::presets::{framework_preset, FRAMEWORK_PRESETS};

    #[test]
    fn only_empty_labels_refuse_the_brush() {
        let mut s = AppState::default_scene();
        s.status[(1, 1)] = LabelStatus::Empty;
        s.status[(0, 1)] = LabelStatus::Missing;
        assert!(paint_refusal(&s, Layer::Label, 1, 1)
            .unwrap()
            .contains("empty"));
        assert_eq!(paint_refusal(&s, Layer::Pred, 1, 1), None);
        assert_eq!(paint_refusal(&s, Layer::Label, 0, 1), None);
        assert_eq!(paint_refusal(&s, Layer::Label, 0, 0), None);
        assert_eq!(paint_refusal(&s, Layer::Label, 9, 9), None);
    }

    #[test]
    fn slider_has_a_zero_stop_and_reaches_1e4() {
        assert_eq!(eps_at(0), 0.0);
        assert_eq!(eps_at(1), 1e-8);
        assert_eq!(eps_at(eps_stop_count() - 1), 1e4);
        assert_eq!(eps_at(10_000), 1e4);
        let mut last = 0.0;
        for p in 1..eps_stop_count() {
            let e = eps_at(p);
            assert!(e > last);
            last = e;
            assert_eq!(eps_position(e), p, "{e}");
        }
        assert_eq!(eps_position(0.0), 0);
        assert_eq!(eps_position(f64::NAN), 0);
        assert_eq!(eps_at(eps_position(1e-5)), 1e-5);
        assert_eq!(eps_at(eps_position(1e-7)), 1e-7);
        assert_eq!(eps_at(eps_position(1.2e-5)), 1e-5);
        assert_eq!(eps_position(1e30), eps_stop_count() - 1);
    }

    #[test]
    fn typed_eps_is_checked() {
        assert_eq!(parse_eps("1e-7"), Ok(1e-7));
        assert_eq!(parse_eps(" 0 "), Ok(0.0));
        assert_eq!(parse_eps("1E4"), Ok(1e4));
        assert_eq!(parse_eps("2·10^-5"), Ok(2e-5));
        assert_eq!(parse_eps("10^-3"), Ok(1e-3));
        assert_eq!(parse_eps("0,5"), Ok(0.5));
        for bad in [
            "", "abc", "-1", "−1e-3", "inf", "NaN", "1e400", "1e13", "1e-7x", "5e-324", "1e-200",
        ] {
            assert!(parse_eps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn softmax_forces_exclusive_and_refuses_one_class() {
        let mut s = AppState::default_scene();
        s.exclusive = false;
        s.pred.fill(0.3);
        let note = set_activation(&mut s, Activation::Softmax).unwrap();
        assert!(note.is_some());
        assert!(s.exclusive);
        let sum: f64 = (0..2).map(|c| s.pred[[0, c, 0, 0]]).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        let e = crate::engine::loss::evaluate_probs(
            s.loss_labels().view(),
            s.pred.clone(),
            &s.settings,
        );
        assert!(e.is_ok());
        // Back to independent: softmax goes.
        assert!(set_exclusive(&mut s, false).unwrap().is_some());
        assert_eq!(s.settings.activation, Activation::Sigmoid);

        let mut one = AppState::blank(2, 1, 8).unwrap();
        let before = one.clone();
        assert!(set_activation(&mut one, Activation::Softmax).is_err());
        assert!(set_include_background(&mut one, false).is_err());
        assert!(apply_preset(&mut one, framework_preset("nnunet").unwrap()).is_err());
        assert_eq!(one, before);
    }

    #[test]
    fn every_preset_gives_a_valid_page() {
        for p in &FRAMEWORK_PRESETS {
            let mut s = AppState::default_scene();
            s.exclusive = false;
            apply_preset(&mut s, p).unwrap();
            assert_eq!(s.settings, p.settings);
            crate::engine::loss::evaluate_probs(
                s.loss_labels().view(),
                s.pred.clone(),
                &s.settings,
            )
            .unwrap();
        }
    }

    #[test]
    fn make_exclusive_gives_one_hot_labels() {
        let mut s = AppState::blank(1, 3, 8).unwrap();
        s.exclusive = false;
        s.labels.fill(0.0);
        s.labels[[0, 1, 0, 0]] = 1.0;
        s.labels[[0, 2, 0, 0]] = 1.0;
        make_exclusive(&mut s);
        assert_eq!(s.labels[[0, 2, 0, 0]], 1.0);
        assert_eq!(s.labels[[0, 1, 0, 0]], 0.0);
        assert_eq!(s.labels[[0, 0, 1, 1]], 1.0);
    }
}
