//! The paper's lesson: the verdicts' words and the one-click scenarios.
//!
//! A verdict says which way the loss pushes a cell's *probability* and whether that is
//! right for what the cell's label means. Its numbers — the push, the fixed scale, the
//! pixels judged, "reached" — are the rule of [`crate::page::verdict`]; this module says
//! them in words. Everything is computed from the engine's gradient; nothing is
//! hard-wired per scenario.

use ndarray::{s, Array2, Array4};

use crate::engine::activation::Activation;
use crate::engine::error::DiceError;
use crate::engine::loss::{evaluate_probs_missing, DiceSettings, Evaluation};
use crate::engine::phi::Phi;
use crate::engine::variants::Variant;
use crate::page::state::{AppState, LabelStatus};
pub use crate::page::verdict::{
    verdicts, verdicts_under, CellVerdict, Judged, Scale, Verdict, NO_PUSH_FRACTION, REACHED_HIGH,
    REACHED_LOW,
};
use crate::present::format::number as format_number;

/// The clause that says why a badge's push is not the cell's own ∂DL/∂ỹ when the classes
/// of a pixel are tied (the lessons' formulas are ∂DL/∂ỹ).
pub const TIED_CLASSES_CLAUSE: &str = "with tied classes the step keeps each pixel's probabilities summing to 1, so a class moves by its ∂DL/∂ỹ minus the pixel's mean over the classes — with two classes and the background out of the loss, half of its ∂DL/∂ỹ";

/// The sentence the lessons repeat about the loss value.
pub const LOSS_IS_NOT_THE_VERDICT: &str = "The loss value is not the verdict: a missing and an empty label give the same loss and a push of the same negligible size under Φ = I (about 1e-8 of a labelled image's), yet one is right and the other wrong — only the label status decides, and the right setting can have the higher loss.";

impl Verdict {
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Down => "pushes the prediction down",
            Verdict::None => "almost no push",
            Verdict::Up => "pushes the prediction up",
        }
    }
}

impl Judged {
    pub fn words(self) -> &'static str {
        match self {
            Judged::Foreground => "its labelled pixels",
            Judged::HiddenTruth => "the pixels of its unannotated structure",
            Judged::Background => "its pixels without a label",
            Judged::CoveredStructure => "the pixels of the unannotated structure its label covers",
            Judged::MergedBackground => {
                "its merged label (background or the missing class), on the summed probability"
            }
        }
    }
}

impl CellVerdict {
    pub fn sentence(&self, status: LabelStatus) -> String {
        if self.undefined {
            return "undefined gradient (0/0): training would get NaN here".into();
        }
        let right = if self.correct { "right" } else { "wrong" };
        format!("{}: {right}, {}", self.verdict.words(), self.why(status))
    }

    /// The reason written next to a badge: right or wrong, and what the label wants (the
    /// badge itself says what the step does).
    pub fn reason(&self, status: LabelStatus) -> String {
        if self.undefined {
            return "wrong: 0/0, training would get NaN here".into();
        }
        let right = if self.correct { "right" } else { "wrong" };
        format!("{right}: {}", self.why(status))
    }

    /// What the label wants, in words; when "almost no push" is right because the cell
    /// is already there, that instead.
    fn why(&self, status: LabelStatus) -> String {
        let done = self.reached && self.verdict == Verdict::None;
        let low = format_number(REACHED_LOW, 2);
        let high = format_number(REACHED_HIGH, 2);
        match (self.judged, status) {
            (Judged::HiddenTruth, _) | (_, LabelStatus::Missing) => {
                "a missing label should get no push".into()
            }
            (Judged::CoveredStructure, _) => {
                "this background label covers an unannotated structure, which should get no push"
                    .into()
            }
            (Judged::MergedBackground, _) if done => {
                "the merged background carries no information about the missing class".into()
            }
            (Judged::MergedBackground, _) => {
                "the merged background (background or the missing class) should be pushed up".into()
            }
            (Judged::Foreground, _) if done => format!(
                "the labelled structure is already predicted (ỹ ≥ {high} on every labelled pixel)"
            ),
            (Judged::Foreground, _) => "the labelled structure should be pushed up".into(),
            (Judged::Background, LabelStatus::Empty) if done => {
                format!("nothing is predicted in this empty image (ỹ ≤ {low} everywhere)")
            }
            (Judged::Background, LabelStatus::Empty) => {
                "a prediction in an empty image should be pushed down".into()
            }
            (Judged::Background, _) if done => {
                format!("nothing is predicted where nothing is labelled (ỹ ≤ {low} everywhere)")
            }
            (Judged::Background, _) => {
                "an image with no labelled structure should have its prediction pushed down".into()
            }
        }
    }

    /// The few words of a cell's badge, with ✓ or ✗.
    pub fn badge(&self) -> String {
        if self.undefined {
            return "✗ undefined (0/0)".into();
        }
        let mark = if self.correct { '✓' } else { '✗' };
        let words = match self.verdict {
            Verdict::Down => "pushed down",
            Verdict::None => "almost no push",
            Verdict::Up => "pushed up",
        };
        format!("{mark} {words}")
    }
}

/// The verdict rule in words, with the current numbers (for tooltips and the legend).
pub fn threshold_sentence(scale: &Scale) -> String {
    format!(
        "“Almost no push” means a push below {}% of the scale 1/(|Φ|·H·W) = 1/({}·{}) = {} per unit step — the push a background pixel gets in a set whose denominator is one image's pixels, which does not shrink as the model converges — so below {}. A cell already where its label wants it needs no push, and there almost none is right: a labelled structure with ỹ ≥ {} on every labelled pixel, a label that wants nothing with ỹ ≤ {} on every pixel.",
        NO_PUSH_FRACTION * 100.0,
        scale.sets,
        scale.pixels,
        format_number(scale.scale, 3),
        format_number(scale.threshold(), 3),
        format_number(REACHED_HIGH, 2),
        format_number(REACHED_LOW, 2),
    )
}

/// The cells of `state` whose labels are missing, as the leaf and marginal Dice need
/// them; empty for the plain Dice, which does not read them.
pub fn missing_cells(state: &AppState) -> Vec<(usize, usize)> {
    missing_cells_of(&state.status, state.settings.variant)
}

/// [`missing_cells`] of these statuses under `variant`.
pub fn missing_cells_of(status: &Array2<LabelStatus>, variant: Variant) -> Vec<(usize, usize)> {
    if variant == Variant::Dice {
        return Vec::new();
    }
    status
        .indexed_iter()
        .filter(|(_, st)| **st == LabelStatus::Missing)
        .map(|(bc, _)| bc)
        .collect()
}

/// What the page computes for `state`: the labels the loss sees and the evaluation of the
/// painted probabilities, with the missing cells of the label statuses.
pub fn evaluate_state(state: &AppState) -> Result<(Array4<f64>, Evaluation<'static>), DiceError> {
    let y = state.loss_labels();
    let e = evaluate_probs_missing(
        y.view(),
        state.pred.clone(),
        &state.settings,
        &missing_cells(state),
    )?;
    Ok((y, e))
}

/// The cell a lesson is about: the first cell in the loss whose label is missing or empty,
/// else the highest included class of the first image; `None` if no cell is in the loss.
pub fn focus_cell(state: &AppState, e: &Evaluation) -> Option<(usize, usize)> {
    let in_loss = |&(b, c): &(usize, usize)| e.cell_set.get((b, c)).copied().flatten().is_some();
    let (bn, cn) = state.status.dim();
    let cells = || (0..bn).flat_map(move |b| (0..cn).map(move |c| (b, c)));
    cells()
        .filter(in_loss)
        .find(|&(b, c)| state.status[(b, c)] != LabelStatus::Annotated)
        .or_else(|| {
            cells()
                .filter(in_loss)
                .min_by_key(|&(b, c)| (b, std::cmp::Reverse(c)))
        })
}

/// A one-click scene from the paper's table.
pub struct Scenario {
    /// URL name: `#preset=NAME`.
    pub name: &'static str,
    pub title: &'static str,
    /// A button label of a few words.
    pub short: &'static str,
    /// What to look at, in plain words.
    pub text: &'static str,
    build: fn() -> AppState,
    /// The verdicts the paper predicts: (b, c, verdict, correct).
    pub expected: &'static [(usize, usize, Verdict, bool)],
    /// The scene has an undefined (0/0) set.
    pub expect_undefined: bool,
}

impl Scenario {
    /// The lesson's scene, with its image: every structure visible whether or not its
    /// label is ([`AppState::scene_image`]).
    pub fn state(&self) -> AppState {
        let mut s = (self.build)();
        s.image = s.scene_image();
        s.compare = contrast(self.name, &s.settings);
        s
    }
}

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

/// The second setting a lesson is contrasted with in compare mode, if it is a contrast:
/// image-wise against batch-wise sets for the missing and empty labels, the heuristic ε
/// against a tiny one.
pub fn contrast(name: &str, s: &DiceSettings) -> Option<DiceSettings> {
    let flip = |phi| DiceSettings { phi, ..*s };
    match name {
        "missing-I" | "empty-I" => Some(flip(Phi::BI)),
        "missing-BI" | "empty-BI" => Some(flip(Phi::I)),
        "heuristic-eps" => Some(DiceSettings {
            eps_nr: 1e-7,
            eps_dr: 1e-7,
            ..*s
        }),
        _ => None,
    }
}

/// Two images, background + one structure, background left out of the loss (as in the
/// paper's runs) so the structure's own sets tell the story. Image 0 is a normal labelled
/// image.
fn two_images(phi: Phi, eps: f64, second: LabelStatus) -> AppState {
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
fn three_images(settings: DiceSettings) -> AppState {
    let mut s = AppState::blank(3, 2, 32).expect("scenario size is valid");
    labelled_image(&mut s);
    unlabelled_image(&mut s, 1);
    empty_image(&mut s, 2);
    s.settings = settings;
    s.separate_eps = settings.eps_nr != settings.eps_dr;
    s
}

/// The leaf Dice as its authors train with it: image-wise sets, background left out,
/// ε = 1e-7 in the denominator only (Keras' epsilon), softmax.
pub const LEAF_AUTHORS: DiceSettings = DiceSettings {
    phi: Phi::I,
    eps_nr: 0.0,
    eps_dr: 1e-7,
    squared: false,
    jaccard: false,
    include_background: false,
    activation: Activation::Softmax,
    denominator_floor: 0.0,
    zero_empty_sets: false,
    variant: Variant::Leaf,
};

/// The marginal Dice as its authors train with it: image-wise sets, background in,
/// ε = 1e-7 in numerator and denominator, softmax.
pub const MARGINAL_AUTHORS: DiceSettings = DiceSettings {
    phi: Phi::I,
    eps_nr: 1e-7,
    eps_dr: 1e-7,
    include_background: true,
    variant: Variant::Marginal,
    ..LEAF_AUTHORS
};

fn heuristic() -> AppState {
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

/// The mean true volume per image of class `c` as the loss sees it, over all images: a
/// missing or empty label counts with volume 0 (nobody knows a label is missing; the
/// authors' code computes it from the training labels as they are). `None` when `c` is
/// not a class of `s`.
pub fn class_mean_volume(s: &AppState, c: usize) -> Option<f64> {
    Some(class_volumes(s, c)?.iter().sum::<f64>() / s.batch() as f64)
}

/// The per-image true volumes of class `c` as the loss sees them.
fn class_volumes(s: &AppState, c: usize) -> Option<Vec<f64>> {
    (c < s.classes()).then(|| {
        let y = s.loss_labels();
        (0..s.batch())
            .map(|b| y.slice(s![b, c, .., ..]).sum())
            .collect()
    })
}

/// The heuristic ε and how it was computed.
#[derive(Clone, Debug, PartialEq)]
pub struct HeuristicEps {
    pub eps: f64,
    /// The arithmetic, e.g. "(156 + 0 + 0) / 3 = 52"; one such term per structure class,
    /// and their mean when the loss has several (the engine has one ε).
    pub arithmetic: String,
}

/// The paper's heuristic ε as its authors compute it, per class: the mean true volume
/// per image over all images ([`class_mean_volume`]). The engine has one ε, so with
/// several structure classes in the loss this is the mean of theirs; with exclusive
/// classes the background (class 0) is left out, being the complement of the structures.
/// `None` if that mean is not positive.
pub fn heuristic_eps_explained(s: &AppState) -> Option<HeuristicEps> {
    let first = usize::from(s.exclusive && s.classes() > 1);
    let classes: Vec<usize> = s
        .settings
        .classes(s.classes())
        .into_iter()
        .filter(|&c| c >= first)
        .collect();
    let mut means = Vec::new();
    let mut parts = Vec::new();
    for &c in &classes {
        let volumes = class_volumes(s, c)?;
        let mean = volumes.iter().sum::<f64>() / volumes.len() as f64;
        let terms: Vec<String> = volumes.iter().map(|&v| format_number(v, 6)).collect();
        let sum = format!(
            "({}) / {} = {}",
            terms.join(" + "),
            volumes.len(),
            format_number(mean, 6)
        );
        parts.push(if classes.len() > 1 {
            format!("class {c}: {sum}")
        } else {
            sum
        });
        means.push(mean);
    }
    let eps = means.iter().sum::<f64>() / means.len().max(1) as f64;
    if !(eps > 0.0 && eps.is_finite()) {
        return None;
    }
    let mut arithmetic = parts.join("; ");
    if means.len() > 1 {
        arithmetic.push_str(&format!(
            "; mean over the classes = {}",
            format_number(eps, 6)
        ));
    }
    Some(HeuristicEps { eps, arithmetic })
}

/// [`heuristic_eps_explained`]'s ε.
pub fn heuristic_eps(s: &AppState) -> Option<f64> {
    heuristic_eps_explained(s).map(|h| h.eps)
}

fn zero_over_zero_with(eps_nr: f64, eps_dr: f64) -> AppState {
    let mut s = two_images(Phi::I, 0.0, LabelStatus::Empty);
    s.paint_blob(1, None, None, 0.0);
    s.settings.eps_nr = eps_nr;
    s.settings.eps_dr = eps_dr;
    s.separate_eps = eps_nr != eps_dr;
    s
}

/// The missing label with the background in the loss (MONAI's default) and a softmax.
fn missing_background() -> AppState {
    let mut s = two_images(Phi::I, 1e-7, LabelStatus::Missing);
    s.settings.include_background = true;
    s.settings.activation = Activation::Softmax;
    s
}

pub static SCENARIOS: [Scenario; 12] = [
    Scenario {
        name: "missing-I",
        title: "Missing label, image-wise Φ, ε = 1e-7",
        short: "Missing · Φ = I",
        text: "Image 1 contains the structure and the network finds it, but its label is missing, so the loss sees only zeros there. With image-wise sets and a tiny ε that image forms a set of its own with no foreground, and its gradient all but vanishes: the real structure is left alone. This is what we want for a missing label. The background is left out of the loss, as in the paper's multi-class runs: with exclusive classes the unlabelled structure counts as background, and a background term would push it down (the lesson “Missing · background in”). The loss value is not the verdict: “Empty · Φ = I” has the same loss and a push of the same negligible size (about 1e-8 of a labelled image's), yet there it is wrong — only the label status decides; and the right setting can have the higher loss: batch-wise Φ gives this scene a lower loss while it erases the structure.",
        build: || two_images(Phi::I, 1e-7, LabelStatus::Missing),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "missing-BI",
        title: "Missing label, batch-wise Φ, ε = 1e-7",
        short: "Missing · Φ = BI",
        text: "The same images, but now the structure's class is summed over the whole batch. The unlabelled image shares a set with the labelled one and inherits its background push: every pixel of the real structure is pushed down. A network learns to erase it only where those images look different from the annotated ones, since it cannot erase what it cannot tell apart; and with a batch of one image, Φ = BI is Φ = I. Batch-wise sets fail on missing labels. The background is left out of the loss, so only the structure's sets tell the story.",
        build: || two_images(Phi::BI, 1e-7, LabelStatus::Missing),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "empty-I",
        title: "Empty label, image-wise Φ, ε = 1e-7",
        short: "Empty · Φ = I",
        text: "Image 1 truly has no structure, yet the network predicts a small blob there. Its set has no foreground, so every pixel of it gets the push ε/(|Φ|·(Ṽ+ε)²), with Ṽ its predicted volume — practically zero with ε = 1e-7. The loss term is near 1, but nothing in the gradient removes the false positive. The background is left out of the loss, as in the paper's runs: with exclusive classes and the background in, its own term would push the false positive down — and erase a missing structure the same way. The loss value is not the verdict: “Missing · Φ = I” has the same loss and a push of the same negligible size (about 1e-8 of a labelled image's), and there it is right.",
        build: || two_images(Phi::I, 1e-7, LabelStatus::Empty),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "empty-BI",
        title: "Empty label, batch-wise Φ, ε = 1e-7",
        short: "Empty · Φ = BI",
        text: "The same false positive, now with batch-wise sets. The empty image shares the set of the labelled one and gets the set's background push, so the false positive is pushed down even with a tiny ε. Batch-wise sets handle empty labels. The background is left out of the loss, so only the structure's sets tell the story.",
        build: || two_images(Phi::BI, 1e-7, LabelStatus::Empty),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "heuristic-eps",
        title: "Image-wise Φ with ε = mean foreground volume",
        short: "Φ = I, ε = mean volume",
        text: "Three images: labelled, missing and empty. ε is the mean true volume per image as the authors compute it, over all images as the loss sees them — the missing label counts as 0, since nobody knows it is missing: (156 + 0 + 0) / 3 = 52. Now an empty image gets a push comparable to a labelled one, so the false positive goes down — but the unlabelled real structure is pushed down too. One setting cannot serve both cases. The background is left out of the loss, as in the paper's runs.",
        build: heuristic,
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false), (2, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "zero-over-zero",
        title: "ε = 0 with an empty image and no prediction",
        short: "ε = 0 and 0/0",
        text: "Image 1 is empty and the network predicts nothing there. With ε = 0 its Dice is 0/0: undefined, and so are the loss and that image's gradient — a training run would get NaN. With ε_nr = ε_dr > 0 the same set is a perfect score of 1; with ε only in the denominator (Keras, the leaf Dice) it scores 0 and has no gradient at all. The next two lessons show each. segmentation_models_pytorch instead multiplies the term of a class the whole batch lacks by 0: loss 0 there, as if perfect, and no gradient. The background is left out of the loss, as in the first lessons.",
        build: || zero_over_zero_with(0.0, 0.0),
        expected: &[(0, 1, Verdict::Up, true)],
        expect_undefined: true,
    },
    Scenario {
        name: "zero-over-zero-eps",
        title: "ε_nr = ε_dr = 1e-5 with an empty image and no prediction",
        short: "0/0 with ε_nr = ε_dr",
        text: "The same empty image without prediction, with MONAI's ε_nr = ε_dr = 1e-5. Its set scores (0 + ε)/(0 + ε) = 1: a perfect term, loss 0 there. Its pixels still get the push ε_nr/(|Φ|·(Ṽ+ε_dr)²) = 1/(|Φ|·ε), huge but harmless on a prediction that is already 0. The background is left out of the loss.",
        build: || zero_over_zero_with(1e-5, 1e-5),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "zero-over-zero-dr",
        title: "ε only in the denominator with an empty image and no prediction",
        short: "0/0 with ε_dr only",
        text: "The same empty image without prediction, with ε_nr = 0 and ε_dr = 1e-7, as Keras computes it. Its set scores 0/1e-7 = 0: the worst term, loss 1 there. And it has no gradient at all, whatever it predicts — the push ε_nr/(|Φ|·(Ṽ+ε_dr)²) is 0 — so a false positive in an empty image would never be pushed down. Nothing is predicted here, so no push is right for now: paint a false positive into image 1 and its badge turns ✗. The background is left out of the loss.",
        build: || zero_over_zero_with(0.0, 1e-7),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "missing-bg",
        title: "Missing label, background in the loss (MONAI's default), image-wise Φ, ε = 1e-7",
        short: "Missing · background in",
        text: "The scene of “Missing · Φ = I”, but with the background in the loss, as MONAI's DiceLoss does by default, and a softmax. With exclusive classes the unlabelled structure counts as background in image 1, so the background's own set pushes the background probability up on it — and through the softmax the structure's probability goes down, even with Φ = I and a tiny ε. The structure's own ∂DL/∂ỹ is almost zero, but the verdict judges what a step does to its probability: it is pushed down. Its background's badge is judged on the structure's pixels, where the background label is wrong: pushed up there is the trap. This is one reason to leave the background out, as the paper's multi-class runs do.",
        build: missing_background,
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "marginal",
        title: "Marginal Dice: labelled, missing and empty images, background in",
        short: "Marginal Dice",
        text: "Labelled, missing and empty images, background in the loss, softmax, Φ = I, ε = 1e-7: the marginal Dice as its authors use it, told that image 1's label is missing. It adds image 1's structure probability to its background's before the sums, so the background term no longer pushes the structure down (it can only raise their sum), and the structure's own term is a constant 0: no push, right. The empty label is not in its list, so image 2 gets the plain Dice: here the background's own term pushes the false positive down, the mechanism that erased the missing structure in “Missing · background in”. With a single structure class, image 1 then teaches nothing at all: its background, the merged label “background or structure”, gets no push either, rightly.",
        build: || three_images(MARGINAL_AUTHORS),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true), (2, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "leaf",
        title: "Leaf Dice: labelled, missing and empty images, background out",
        short: "Leaf Dice",
        text: "The same three images with the leaf Dice as its authors use it: background left out, Φ = I, ε = 1e-7 in the denominator only, told that image 1's label is missing. The missing cell is dropped from the sums: its term is a constant 0 and it gets no push at all, right. The empty label is not in its list, so image 2 gets the plain image-wise Dice with ε only in the denominator, which gives a set without foreground no gradient whatever it predicts: the false positive stays. Both losses need the list of missing labels, and a label left off it counts as empty: the marginal Dice (background in) pushes it down through the background term, the leaf Dice with ε only in the denominator gives it no gradient.",
        build: || three_images(LEAF_AUTHORS),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true), (2, 1, Verdict::None, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "leaf-bg",
        title: "Leaf Dice with the background in the loss",
        short: "Leaf Dice · background in",
        text: "The leaf Dice again, but with the background in the loss. The missing cell is dropped, yet the background's label still covers the unlabelled structure, so the background term pushes the background up there and the softmax pushes the structure down: wrong. This is one reason the authors' version of the leaf Dice leaves the background out; the marginal Dice avoids the trap by moving the missing class's probability into the background. With the background in, its own term also pushes the empty image's false positive down.",
        build: || three_images(DiceSettings {
            include_background: true,
            ..LEAF_AUTHORS
        }),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false), (2, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
];

pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &AppState) -> (Array4<f64>, Evaluation<'static>) {
        evaluate_state(s).unwrap()
    }

    fn verdict_of(s: &AppState, b: usize, c: usize) -> CellVerdict {
        let (y, e) = run(s);
        verdicts(s, &y, &e).0[(b, c)].unwrap()
    }

    #[test]
    fn every_scenario_shows_what_the_paper_predicts() {
        for sc in &SCENARIOS {
            let s = sc.state();
            let (y, e) = run(&s);
            let v = verdicts(&s, &y, &e).0;
            for &(b, c, want, correct) in sc.expected {
                let got = v[(b, c)]
                    .unwrap_or_else(|| panic!("{}: cell ({b},{c}) not in the loss", sc.name));
                assert_eq!(
                    (got.verdict, got.correct),
                    (want, correct),
                    "{}: cell ({b},{c}) {got:?}",
                    sc.name
                );
            }
            assert_eq!(e.loss.is_none(), sc.expect_undefined, "{}", sc.name);
            assert_eq!(
                v[(0, 0)].is_none(),
                !s.settings.include_background,
                "{}: the background has a verdict exactly when it is in the loss",
                sc.name
            );
            // Every lesson says whether the background is in and why it matters.
            assert!(sc.text.contains("background"), "{}", sc.name);
        }
    }

    /// The backgrounds of the lessons that keep it in the loss (the scenarios' expected
    /// verdicts are about the structure, which presentation mode shows): complete labels
    /// pushed up, right; a background label over the unannotated structure judged there
    /// (the trap, wrong); the marginal Dice's merged background no push, right.
    const BACKGROUNDS: [(&str, usize, Judged, Verdict, bool); 9] = [
        ("missing-bg", 0, Judged::Foreground, Verdict::Up, true),
        (
            "missing-bg",
            1,
            Judged::CoveredStructure,
            Verdict::Up,
            false,
        ),
        ("marginal", 0, Judged::Foreground, Verdict::Up, true),
        ("marginal", 1, Judged::MergedBackground, Verdict::None, true),
        ("marginal", 2, Judged::Foreground, Verdict::Up, true),
        ("leaf-bg", 0, Judged::Foreground, Verdict::Up, true),
        ("leaf-bg", 1, Judged::CoveredStructure, Verdict::Up, false),
        ("leaf-bg", 2, Judged::Foreground, Verdict::Up, true),
        ("missing-I", 0, Judged::Foreground, Verdict::Up, true),
    ];

    #[test]
    fn the_backgrounds_in_the_loss_are_judged_as_complete_covering_or_merged() {
        for (name, b, judged, verdict, correct) in BACKGROUNDS {
            let mut s = scenario(name).unwrap().state();
            if !s.settings.include_background {
                crate::page::ui::set_include_background(&mut s, true).unwrap();
                // Without an activation a Dice with the background in: judged the same.
                assert_eq!(s.settings.activation, Activation::None);
            }
            let v = verdict_of(&s, b, 0);
            assert_eq!(
                (v.judged, v.verdict, v.correct),
                (judged, verdict, correct),
                "{name} ({b},0): {v:?}"
            );
        }
        let s = scenario("marginal").unwrap().state();
        assert_eq!(
            verdict_of(&s, 1, 0).reason(LabelStatus::Annotated),
            "right: the merged background carries no information about the missing class"
        );
    }

    #[test]
    fn the_reason_next_to_a_badge_says_right_or_wrong_and_why() {
        let s = scenario("empty-I").unwrap().state();
        let v = verdict_of(&s, 1, 1);
        assert_eq!(
            v.reason(LabelStatus::Empty),
            "wrong: a prediction in an empty image should be pushed down"
        );
        assert!(v
            .sentence(LabelStatus::Empty)
            .ends_with(&v.reason(LabelStatus::Empty)[7..]));
        let s = scenario("missing-I").unwrap().state();
        assert_eq!(
            verdict_of(&s, 1, 1).reason(LabelStatus::Missing),
            "right: a missing label should get no push"
        );
        let s = scenario("zero-over-zero").unwrap().state();
        assert!(verdict_of(&s, 1, 1)
            .reason(LabelStatus::Empty)
            .starts_with("wrong: 0/0"));
    }

    #[test]
    fn undefined_cell_is_reported_as_such() {
        let s = scenario("zero-over-zero").unwrap().state();
        let v = verdict_of(&s, 1, 1);
        assert!(v.undefined && !v.correct && v.verdict == Verdict::None);
    }

    /// Issue 11 §1: `#preset=missing-I` with the background in and softmax is not "✓
    /// almost no push": the structure's own gradient is tiny, but raising the background
    /// on it lowers it through the softmax.
    #[test]
    fn the_background_trap_is_a_wrong_push_down() {
        let mut s = scenario("missing-I").unwrap().state();
        crate::page::ui::set_include_background(&mut s, true).unwrap();
        crate::page::ui::set_activation(&mut s, Activation::Softmax).unwrap();
        let (y, e) = run(&s);
        let (v, scale) = verdicts(&s, &y, &e);
        let hidden = v[(1, 1)].unwrap();
        assert_eq!(
            (hidden.verdict, hidden.correct),
            (Verdict::Down, false),
            "{hidden:?}"
        );
        assert_eq!(hidden.judged, Judged::HiddenTruth);
        assert_eq!(hidden.badge(), "✗ pushed down");
        // The cell's own ∂DL/∂ỹ alone would say "no push": ε/(|Φ|·(Ṽ+ε)²), ε = 1e-7.
        let own = e
            .grad_prob
            .slice(s![1, 1, .., ..])
            .iter()
            .fold(0.0f64, |m, g| m.max(g.abs()));
        assert!(own < 1e-3 * scale.threshold(), "{own} vs {scale:?}");
        // Its background's label covers the structure: judged there, it is pushed up —
        // the trap itself, not a right push up.
        let bg = v[(1, 0)].unwrap();
        assert_eq!(bg.judged, Judged::CoveredStructure);
        assert_eq!((bg.verdict, bg.correct), (Verdict::Up, false), "{bg:?}");
        assert_eq!(
            bg.reason(LabelStatus::Annotated),
            "wrong: this background label covers an unannotated structure, which should get no push"
        );
        // The labelled image's background is complete: pushed up, right.
        let bg0 = v[(0, 0)].unwrap();
        assert_eq!(
            (bg0.judged, bg0.verdict, bg0.correct),
            (Judged::Foreground, Verdict::Up, true)
        );
        assert!(hidden.ratio > 5.0 * NO_PUSH_FRACTION, "{hidden:?}");
        // ∂L/∂z is positive on the hidden structure (gradient descent lowers its logit)
        // and negative on the annotated one.
        let at = |b: usize| {
            let g = e.grad();
            let (mut sum, mut n) = (0.0, 0);
            for ((i, j), &h) in s.labels.slice(s![b, 1, .., ..]).indexed_iter() {
                if h == 1.0 && e.prob[[b, 1, i, j]] > 0.5 {
                    sum += g[[b, 1, i, j]];
                    n += 1;
                }
            }
            sum / n as f64
        };
        assert!(at(1) > 1e-6 && at(0) < -1e-5, "{} {}", at(1), at(0));
        // The same scene is the lesson "missing-bg".
        // (compare mode aside: "missing-I" is contrasted with Φ = BI, "missing-bg" is not).
        assert_eq!(
            AppState {
                compare: None,
                ..s.clone()
            },
            scenario("missing-bg").unwrap().state()
        );
        // Without an activation the coupling of exclusive classes does the same.
        crate::page::ui::set_activation(&mut s, Activation::None).unwrap();
        assert_eq!(verdict_of(&s, 1, 1).verdict, Verdict::Down);
        // With independent classes nothing couples them: the tiny own push is judged.
        crate::page::ui::set_exclusive(&mut s, false).unwrap();
        assert_eq!(verdict_of(&s, 1, 1).verdict, Verdict::None);
    }

    /// The default page has the background in the loss (MONAI's default): marking image 1's
    /// label missing erases it (✗), marking it empty pushes the prediction down (✓), both
    /// through the background's term.
    #[test]
    fn with_the_background_in_both_unlabelled_statuses_are_pushed_down() {
        let mut s = AppState::default_scene();
        assert_eq!(verdict_of(&s, 1, 1).verdict, Verdict::Up);
        s.status[(1, 1)] = LabelStatus::Missing;
        let v = verdict_of(&s, 1, 1);
        assert_eq!((v.verdict, v.correct), (Verdict::Down, false), "{v:?}");
        s.status[(1, 1)] = LabelStatus::Empty;
        let v = verdict_of(&s, 1, 1);
        assert_eq!((v.verdict, v.correct), (Verdict::Down, true), "{v:?}");
        // Left out, the background pushes neither: the image-wise Φ story of the paper.
        s.settings.include_background = false;
        assert_eq!(verdict_of(&s, 1, 1).verdict, Verdict::None);
        s.status[(1, 1)] = LabelStatus::Missing;
        assert_eq!(verdict_of(&s, 1, 1).verdict, Verdict::None);
    }

    #[test]
    fn no_push_is_judged_against_a_fixed_scale() {
        // Under image-wise Φ with ε = 1e-7 the empty image's gradient is ε/(|Φ|·(Ṽ+ε)²),
        // many decades below the scale 1/(|Φ|·H·W).
        let s = scenario("empty-I").unwrap().state();
        let (y, e) = run(&s);
        let (v, scale) = verdicts(&s, &y, &e);
        let v = v[(1, 1)].unwrap();
        let v_pred = e.sets[1].v_pred;
        let grad = 1e-7 / (2.0 * (v_pred + 1e-7).powi(2));
        assert!((e.grad_prob[[1, 1, 0, 0]] - grad).abs() < 1e-20);
        // The step keeps the two exclusive classes summing to 1: the structure moves by
        // its gradient minus the pixel's mean over the classes (the background, out of
        // the loss, has 0), i.e. half of it.
        assert!(
            (v.push - grad / 2.0).abs() < 1e-20,
            "{} vs {}",
            v.push,
            grad / 2.0
        );
        assert_eq!(scale.scale, 1.0 / (2.0 * 1024.0));
        assert_eq!((scale.sets, scale.pixels), (2, 1024));
        assert!((v.ratio - v.push / scale.scale).abs() <= 1e-12 * v.ratio);
        assert!(v.ratio < 1e-6, "ratio {}", v.ratio);
        // The false positive is there (not reached): almost no push is wrong.
        assert!(!v.reached && !v.correct);
    }

    /// Issue 11 §3: missing-I and empty-I have the same loss and a push of the same
    /// negligible size, yet opposite verdicts; the right setting can have the higher loss.
    #[test]
    fn the_loss_value_is_not_the_verdict() {
        let loss = |name: &str| run(&scenario(name).unwrap().state()).1.loss.unwrap();
        let (m, e) = (loss("missing-I"), loss("empty-I"));
        assert!((m - e).abs() < 1e-6, "{m} vs {e}");
        let pm = verdict_of(&scenario("missing-I").unwrap().state(), 1, 1);
        let pe = verdict_of(&scenario("empty-I").unwrap().state(), 1, 1);
        assert!(pm.correct && !pe.correct);
        // "A push of the same negligible size (about 1e-8 of a labelled image's)": the
        // two differ by a factor of about 10, both within a decade of 1e-8 of the push on
        // the labelled image's structure.
        for name in ["missing-I", "empty-I"] {
            let s = scenario(name).unwrap().state();
            let (tiny, labelled) = (verdict_of(&s, 1, 1), verdict_of(&s, 0, 1));
            let r = tiny.push.abs() / labelled.push.abs();
            assert!((1e-9..1e-7).contains(&r), "{name}: {r:e}");
        }
        assert!(LOSS_IS_NOT_THE_VERDICT.contains("about 1e-8 of a labelled image's"));
        // Right (missing-I) above wrong (missing-BI).
        assert!(
            m > loss("missing-BI") + 0.05,
            "{m} vs {}",
            loss("missing-BI")
        );
        assert!(LOSS_IS_NOT_THE_VERDICT.contains("higher loss"));
        for name in ["missing-I", "empty-I"] {
            assert!(scenario(name)
                .unwrap()
                .text
                .contains("The loss value is not the verdict"));
        }
    }

    #[test]
    fn lesson_sentences_say_the_exact_formulas() {
        let text = |name: &str| scenario(name).unwrap().text;
        assert!(text("empty-I").contains("ε/(|Φ|·(Ṽ+ε)²)"));
        assert!(!text("empty-I").contains("ε/Ṽ²"));
        let bi = text("missing-BI");
        assert!(
            bi.contains("look different") && bi.contains("Φ = BI is Φ = I"),
            "{bi}"
        );
        let zz = text("zero-over-zero");
        assert!(zz.contains("ε_nr = ε_dr > 0") && zz.contains("only in the denominator"));
    }

    #[test]
    fn zero_over_zero_scores_one_with_equal_eps_and_zero_without_numerator_eps() {
        let set1 = |name: &str| {
            let (_, e) = run(&scenario(name).unwrap().state());
            let set = e.set_of_cell(1, 1).unwrap().clone();
            let g = e.grad_prob.slice(s![1, 1, .., ..]).to_owned();
            (set, g)
        };
        let (equal, g) = set1("zero-over-zero-eps");
        assert_eq!((equal.sdsc, equal.term), (Some(1.0), Some(0.0)));
        // 1/(|Φ|·ε) on every pixel, |Φ| = 2.
        assert!(g.iter().all(|&v| (v - 1.0 / (2.0 * 1e-5)).abs() < 1e-6));
        let (dr, g) = set1("zero-over-zero-dr");
        assert_eq!((dr.sdsc, dr.term), (Some(0.0), Some(1.0)));
        assert!(g.iter().all(|&v| v == 0.0));
        let (undefined, _) = set1("zero-over-zero");
        assert!(undefined.undefined.is_some());
    }

    #[test]
    fn heuristic_eps_is_the_mean_volume_over_all_images() {
        let s = scenario("heuristic-eps").unwrap().state();
        let y = s.loss_labels();
        let v0 = y.slice(s![0, 1, .., ..]).sum();
        assert_eq!(v0, 156.0);
        // Image 0 labelled (V = v0), image 1 missing and image 2 empty (both 0 to the loss).
        assert_eq!(s.settings.eps_nr, v0 / 3.0);
        let h = heuristic_eps_explained(&s).unwrap();
        assert_eq!(h.arithmetic, "(156 + 0 + 0) / 3 = 52");
        assert!(scenario("heuristic-eps")
            .unwrap()
            .text
            .contains(&h.arithmetic));
        // The background is never a "structure" with exclusive classes, whether or not it
        // takes part in the loss.
        let mut with_bg = s.clone();
        with_bg.settings.include_background = true;
        assert_eq!(heuristic_eps(&with_bg), Some(52.0));
        assert_eq!(class_mean_volume(&s, 1), Some(52.0));
        assert_eq!(class_mean_volume(&s, 2), None);
    }

    #[test]
    fn heuristic_eps_of_independent_classes_counts_every_class_in_the_loss() {
        let mut s = AppState::blank(2, 2, 8).unwrap();
        s.exclusive = false;
        s.labels.fill(0.0);
        assert_eq!(heuristic_eps(&s), None);
        s.labels.slice_mut(s![0, 0, 0..2, 0..3]).fill(1.0);
        s.labels.slice_mut(s![1, 1, 0..1, 0..4]).fill(1.0);
        // Class 0: 6 and 0 pixels, 3 per image; class 1: 0 and 4, 2 per image; mean 2.5.
        let h = heuristic_eps_explained(&s).unwrap();
        assert_eq!(h.eps, 2.5);
        assert_eq!(
            h.arithmetic,
            "class 0: (6 + 0) / 2 = 3; class 1: (0 + 4) / 2 = 2; mean over the classes = 2.5"
        );
        // A missing label still counts, with volume 0.
        s.status[(1, 1)] = LabelStatus::Missing;
        assert_eq!(heuristic_eps(&s), Some(1.5));
    }

    #[test]
    fn the_variants_act_only_on_the_cells_they_are_told_about() {
        // Marginal: the missing structure's probability joins the background's, so the
        // background's push reaches it unchanged and the step moves it by exactly 0.
        let s = scenario("marginal").unwrap().state();
        let (y, e) = run(&s);
        let (v, scale) = verdicts(&s, &y, &e);
        assert!(v[(1, 1)].unwrap().push.abs() <= 1e-12 * scale.scale);
        assert_eq!(
            e.grad_prob.slice(s![1, 1, .., ..]),
            e.grad_prob.slice(s![1, 0, .., ..])
        );
        // Leaf: the missing cell gets no gradient at all.
        let s = scenario("leaf").unwrap().state();
        let (_, e) = run(&s);
        assert!(e
            .grad_prob
            .slice(s![1, 1, .., ..])
            .iter()
            .all(|&g| g == 0.0));
        assert!(e.set_of_cell(1, 1).unwrap().constant);
        // Not told: a list without the missing cell makes them the plain Dice.
        for name in ["marginal", "leaf"] {
            let mut told = scenario(name).unwrap().state();
            told.status[(1, 1)] = LabelStatus::Annotated;
            let (yt, et) = run(&told);
            let mut plain = told.clone();
            plain.settings.variant = Variant::Dice;
            let (_, ep) = run(&plain);
            assert_eq!(et.grad_prob, ep.grad_prob, "{name}");
            assert_eq!(verdicts(&told, &yt, &et), verdicts(&plain, &yt, &ep));
        }
        // The plain Dice ignores the statuses' list.
        assert!(missing_cells(&scenario("missing-I").unwrap().state()).is_empty());
        assert_eq!(
            missing_cells(&scenario("leaf").unwrap().state()),
            vec![(1, 1)]
        );
    }

    #[test]
    fn badges_and_focus() {
        let s = scenario("missing-BI").unwrap().state();
        let (y, e) = run(&s);
        let v = verdicts(&s, &y, &e).0;
        assert_eq!(v[(1, 1)].unwrap().badge(), "✗ pushed down");
        assert_eq!(v[(0, 1)].unwrap().badge(), "✓ pushed up");
        assert_eq!(focus_cell(&s, &e), Some((1, 1)));
        let s = scenario("zero-over-zero").unwrap().state();
        let (y, e) = run(&s);
        assert!(verdicts(&s, &y, &e).0[(1, 1)]
            .unwrap()
            .badge()
            .contains("undefined"));
        let d = AppState::default_scene();
        let (_, e) = run(&d);
        assert_eq!(focus_cell(&d, &e), Some((0, 1)));
        let t = threshold_sentence(&Scale {
            scale: 1.0 / 2048.0,
            sets: 2,
            pixels: 1024,
        });
        assert!(
            t.contains("1%")
                && t.contains("1/(2·1024) = 4.88e-4")
                && t.contains("so below 4.88e-6")
                && t.contains("ỹ ≥ 0.9")
                && t.contains("ỹ ≤ 0.1"),
            "{t}"
        );
    }

    /// No lesson's verdict hangs on the threshold: a push is at least 5× it, "almost no
    /// push" at most a tenth of it. `--nocapture` prints every cell's numbers.
    #[test]
    fn lesson_verdicts_are_far_from_the_threshold() {
        for sc in &SCENARIOS {
            let s = sc.state();
            let (y, e) = run(&s);
            let (v, scale) = verdicts(&s, &y, &e);
            for ((b, c), cv) in v.indexed_iter() {
                let Some(cv) = cv else { continue };
                println!(
                    "{:20} ({b},{c}) {:5} {:5} push {:+.3e} ratio {:.3e} (scale {:.3e}) loss {:?}",
                    sc.name,
                    cv.verdict.code(),
                    cv.correct,
                    cv.push,
                    cv.ratio,
                    scale.scale,
                    e.loss
                );
                if cv.undefined {
                    continue;
                }
                match cv.verdict {
                    Verdict::None => {
                        assert!(cv.ratio < 0.1 * NO_PUSH_FRACTION, "{} ({b},{c})", sc.name)
                    }
                    _ => assert!(cv.ratio > 5.0 * NO_PUSH_FRACTION, "{} ({b},{c})", sc.name),
                }
            }
        }
    }

    #[test]
    fn names_are_unique_and_findable() {
        for sc in &SCENARIOS {
            assert!(std::ptr::eq(scenario(sc.name).unwrap(), sc));
            assert!(sc.text.split(". ").count() >= 2);
        }
    }
}
