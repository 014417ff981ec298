//! The lessons' scenes: two or three small images of one structure class, labelled,
//! missing (the structure is there, nobody labelled it) or empty (nothing there, a small
//! false positive predicted).

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::page::judge::heuristic_eps;
use crate::page::state::AppState;

/// Image 0 of every lesson: a labelled structure with a slightly shifted, slightly small
/// prediction.
fn labelled_image(s: &mut AppState) {
    s.paint_blob(
        0,
        Some(((14.0, 13.0), 7.0)),
        Some(((15.0, 14.0), 6.5, 0.9)),
        0.0,
    );
}

/// Image `b`: the structure is there and the network finds it, but nobody labelled it.
fn unlabelled_image(s: &mut AppState, b: usize) {
    s.paint_blob(
        b,
        Some(((18.0, 19.0), 6.0)),
        Some(((18.0, 19.0), 6.0, 0.9)),
        0.0,
    );
    s.status[(b, 1)] = LabelStatus::Missing;
}

/// Image `b`: nothing is there, yet the network predicts a small false positive.
fn empty_image(s: &mut AppState, b: usize) {
    s.paint_blob(b, None, Some(((10.0, 20.0), 3.5, 0.8)), 0.0);
    s.status[(b, 1)] = LabelStatus::Empty;
}

/// Two images, background + one structure, background left out of the loss (as in the
/// paper's runs) so the structure's own sets tell the story. Image 0 is a normal labelled
/// image.
pub(super) fn two_images(phi: Phi, eps: f64, second: LabelStatus) -> AppState {
    let mut s = AppState::blank(2, 2, 32).expect("scenario size is valid");
    s.settings = DiceSettings {
        phi,
        eps_nr: eps,
        eps_dr: eps,
        include_background: false,
        ..DiceSettings::default()
    };
    labelled_image(&mut s);
    match second {
        LabelStatus::Missing => unlabelled_image(&mut s, 1),
        LabelStatus::Empty => empty_image(&mut s, 1),
        LabelStatus::Annotated => {}
    }
    s
}

/// The two-image scene of the lessons: image 0 labelled, image 1 with `second` as its
/// label status (missing: the structure is there but unlabelled; empty: a small false
/// positive), with the settings of “Missing · Φ = I” (to be replaced by the caller's).
pub fn lesson_scene(second: LabelStatus) -> AppState {
    two_images(Phi::I, 1e-7, second)
}

/// Labelled, missing and empty images, with `settings`.
pub(super) fn three_images(settings: DiceSettings) -> AppState {
    let mut s = AppState::blank(3, 2, 32).expect("scenario size is valid");
    labelled_image(&mut s);
    unlabelled_image(&mut s, 1);
    empty_image(&mut s, 2);
    s.settings = settings;
    s.separate_eps = settings.eps_nr != settings.eps_dr;
    s
}

/// The first page's scene: labelled, missing and empty images under nnU-Net's soft-Dice
/// term as its default trainer has it without a cascade (Φ = I, ε = 1e-5, softmax, the
/// background out): it leaves the missing structure alone (✓) and the empty image's
/// false positive too (✗) — the paper's question in one screen.
pub fn question_scene() -> AppState {
    let nnunet = crate::engine::presets::framework_preset("nnunet").expect("a built-in preset");
    three_images(nnunet.settings)
}

/// One scene, two readings: a labelled image, then the same unlabelled structure with the
/// same prediction twice, read once as missing and once as empty (only the status
/// differs, and the loss sees zeros in both), under batch-wise Φ and a tiny ε.
pub(super) fn two_readings() -> AppState {
    let mut s = AppState::blank(3, 2, 32).expect("scenario size is valid");
    s.settings = DiceSettings {
        phi: Phi::BI,
        eps_nr: 1e-7,
        eps_dr: 1e-7,
        include_background: false,
        ..DiceSettings::default()
    };
    labelled_image(&mut s);
    unlabelled_image(&mut s, 1);
    unlabelled_image(&mut s, 2);
    s.status[(2, 1)] = LabelStatus::Empty;
    s
}

/// Labelled, missing and empty images under image-wise Φ, ε = the heuristic ε.
pub(super) fn with_heuristic_eps() -> AppState {
    let mut s = three_images(DiceSettings {
        phi: Phi::I,
        include_background: false,
        ..DiceSettings::default()
    });
    let eps = heuristic_eps(&s).expect("image 0 has a structure");
    s.settings.eps_nr = eps;
    s.settings.eps_dr = eps;
    s
}

pub(super) fn zero_over_zero_with(eps_nr: f64, eps_dr: f64) -> AppState {
    let mut s = two_images(Phi::I, 0.0, LabelStatus::Empty);
    s.paint_blob(1, None, None, 0.0);
    s.settings.eps_nr = eps_nr;
    s.settings.eps_dr = eps_dr;
    s.separate_eps = eps_nr != eps_dr;
    s
}

/// The missing label with the background in the loss (MONAI's default) and a softmax.
pub(super) fn missing_background() -> AppState {
    let mut s = two_images(Phi::I, 1e-7, LabelStatus::Missing);
    s.settings.include_background = true;
    s.settings.activation = Activation::Softmax;
    s
}
