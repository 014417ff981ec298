//! Settings changes that must keep the page consistent (softmax needs exclusive classes;
//! C = 1 has no background to exclude; a library's settings may switch the class mode),
//! and what cannot be painted. Each returns a sentence when something else had to change
//! too, or refuses (the state unchanged).

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::presets::FrameworkPreset;
use crate::engine::status::LabelStatus;
use crate::page::paint::Layer;
use crate::page::state::AppState;

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
    apply_settings(s, &p.settings, p.label)
}

/// Sets the whole loss to `settings` (a preset's or a pasted call's, named `label` in a
/// refusal), as [`apply_preset`] says.
pub fn apply_settings(
    s: &mut AppState,
    settings: &DiceSettings,
    label: &str,
) -> Result<Option<String>, String> {
    let mut next = s.clone();
    let keep = (next.display, next.mode);
    next.settings = *settings;
    next.separate_eps = settings.eps_nr != settings.eps_dr;
    if next.classes() < 2
        && (settings.activation == Activation::Softmax || !settings.include_background)
    {
        return Err(format!(
            "{label} needs at least 2 classes (softmax over classes, background excluded); add a class first."
        ));
    }
    let mut note = None;
    if settings.activation == Activation::Softmax && !next.exclusive {
        make_exclusive(&mut next);
        note = Some("switched to exclusive classes for softmax".to_string());
    }
    (next.display, next.mode) = keep;
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
