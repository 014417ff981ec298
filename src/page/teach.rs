//! The paper's lesson (PAPER.md §3–§4): label status verdicts and one-click scenarios.
//!
//! A verdict says which way gradient descent moves a cell's prediction and whether that
//! is right for what the cell's label means. Everything here is computed from the
//! engine's gradient; nothing is hard-wired per scenario.

use ndarray::{s, Array2, Array4, Zip};

use crate::engine::loss::{DiceSettings, Evaluation};
use crate::engine::phi::Phi;
use crate::page::state::{AppState, LabelStatus};

/// Below this fraction of the reference push, a push counts as "almost none".
pub const NO_PUSH_FRACTION: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Gradient descent lowers the prediction (∂DL/∂ỹ > 0).
    Down,
    /// Almost no push.
    None,
    /// Gradient descent raises the prediction (∂DL/∂ỹ < 0).
    Up,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Down => "down",
            Verdict::None => "none",
            Verdict::Up => "up",
        }
    }
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Down => "pushes the prediction down",
            Verdict::None => "almost no push",
            Verdict::Up => "pushes the prediction up",
        }
    }
}

/// The verdict of one (b, c) cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellVerdict {
    pub verdict: Verdict,
    pub correct: bool,
    /// The gradient has no value here (0/0); `verdict` is then `None`.
    pub undefined: bool,
    /// The judged gradient: the mean ∂DL/∂ỹ over the cell's foreground pixels when the
    /// loss sees foreground there, else over its background pixels.
    pub push: f64,
    /// |push| relative to the reference push of the batch.
    pub ratio: f64,
    /// What the verdict should be for this status.
    pub wanted: Verdict,
}

impl CellVerdict {
    pub fn sentence(&self, status: LabelStatus) -> String {
        if self.undefined {
            return "undefined gradient (0/0): training would get NaN here".into();
        }
        let right = if self.correct { "right" } else { "wrong" };
        let why = match status {
            LabelStatus::Missing => "a missing label should get no push",
            LabelStatus::Empty => "a prediction in an empty image should be pushed down",
            LabelStatus::Annotated if self.wanted == Verdict::Up => {
                "the labelled structure should be pushed up"
            }
            LabelStatus::Annotated => {
                "an image with no labelled structure should have its prediction pushed down"
            }
        };
        format!("{}: {right}, {why}", self.verdict.words())
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

/// The verdict rule in words, with the current numbers (for tooltips).
pub fn threshold_sentence(reference: f64) -> String {
    format!(
        "“Almost no push” means the cell's mean ∂DL/∂ỹ is below {}% of the reference push: the median background push of the labelled cells in the batch (now {}, so the threshold is {}).",
        NO_PUSH_FRACTION * 100.0,
        crate::present::format::number(reference, 3),
        crate::present::format::number(NO_PUSH_FRACTION * reference, 3)
    )
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

fn mean_where(g: ndarray::ArrayView2<f64>, y: ndarray::ArrayView2<f64>, want: f64) -> Option<f64> {
    let (sum, n) = Zip::from(&g).and(&y).fold((0.0, 0usize), |(s, n), &g, &y| {
        if y == want {
            (s + g, n + 1)
        } else {
            (s, n)
        }
    });
    (n > 0).then(|| sum / n as f64)
}

/// The mean ∂DL/∂ỹ over the pixels of cell (b, c) whose loss label is `want`; `None` if
/// there is none. With `settings` (those `e` was computed with) and no squared
/// denominator, every such pixel of a set has the same gradient (PAPER.md §3.1), so the
/// set's value is taken instead of a pass over the gradient: the same number up to
/// rounding, at a fraction of the cost on large batches.
fn cell_mean(
    settings: Option<&DiceSettings>,
    y_loss: &Array4<f64>,
    e: &Evaluation,
    (b, c): (usize, usize),
    want: f64,
) -> Option<f64> {
    let y = y_loss.slice(s![b, c, .., ..]);
    let set = e.cell_set.get((b, c)).copied().flatten();
    match (
        settings.filter(|s| !s.squared),
        set.and_then(|k| e.sets.get(k)),
    ) {
        (Some(st), Some(r)) if r.undefined.is_none() => y
            .iter()
            .any(|&v| v == want)
            .then(|| r.grad_at(st, e.sets.len(), want, 0.0))
            .flatten(),
        _ => mean_where(e.grad_prob.slice(s![b, c, .., ..]), y, want),
    }
}

/// The push a typical labelled image's background gets: the median over cells whose loss
/// labels have foreground of their mean background gradient's size. With no such cell,
/// the push a background pixel gets in a set whose denominator is one image's pixel
/// count, 1/(|Φ|·H·W).
pub fn reference_push(y_loss: &Array4<f64>, e: &Evaluation) -> f64 {
    reference_push_with(None, y_loss, e)
}

fn reference_push_with(
    settings: Option<&DiceSettings>,
    y_loss: &Array4<f64>,
    e: &Evaluation,
) -> f64 {
    let (bn, cn, h, w) = y_loss.dim();
    let mut pushes: Vec<f64> = Vec::new();
    for b in 0..bn {
        for c in 0..cn {
            if e.cell_set[(b, c)].is_none() || e.grad_prob_undefined[(b, c)] {
                continue;
            }
            let y = y_loss.slice(s![b, c, .., ..]);
            if y.iter().any(|&v| v == 1.0) {
                if let Some(g) = cell_mean(settings, y_loss, e, (b, c), 0.0) {
                    pushes.push(g.abs());
                }
            }
        }
    }
    pushes.sort_by(f64::total_cmp);
    match pushes.len() {
        0 => 1.0 / (e.sets.len().max(1) as f64 * (h * w) as f64),
        n if n % 2 == 1 => pushes[n / 2],
        n => 0.5 * (pushes[n / 2 - 1] + pushes[n / 2]),
    }
}

/// Verdicts for every cell; `None` where the class does not take part in the loss.
pub fn verdicts(
    state: &AppState,
    y_loss: &Array4<f64>,
    e: &Evaluation,
) -> Array2<Option<CellVerdict>> {
    verdicts_and_reference(state, y_loss, e).0
}

/// [`verdicts`] and the [`reference_push`] they were judged against (one pass fewer than
/// calling both).
pub fn verdicts_and_reference(
    state: &AppState,
    y_loss: &Array4<f64>,
    e: &Evaluation,
) -> (Array2<Option<CellVerdict>>, f64) {
    let settings = Some(&state.settings);
    let reference = reference_push_with(settings, y_loss, e);
    let threshold = NO_PUSH_FRACTION * reference;
    let v = Array2::from_shape_fn(state.status.dim(), |(b, c)| {
        e.cell_set[(b, c)]?;
        let status = state.status[(b, c)];
        let y = y_loss.slice(s![b, c, .., ..]);
        let has_fg = y.iter().any(|&v| v == 1.0);
        let wanted = match status {
            LabelStatus::Missing => Verdict::None,
            LabelStatus::Empty => Verdict::Down,
            LabelStatus::Annotated if has_fg => Verdict::Up,
            LabelStatus::Annotated => Verdict::Down,
        };
        if e.grad_prob_undefined[(b, c)] {
            return Some(CellVerdict {
                verdict: Verdict::None,
                correct: false,
                undefined: true,
                push: 0.0,
                ratio: 0.0,
                wanted,
            });
        }
        let push =
            cell_mean(settings, y_loss, e, (b, c), if has_fg { 1.0 } else { 0.0 }).unwrap_or(0.0);
        let verdict = if push.abs() <= threshold {
            Verdict::None
        } else if push > 0.0 {
            Verdict::Down
        } else {
            Verdict::Up
        };
        let ratio = if reference > 0.0 {
            push.abs() / reference
        } else {
            0.0
        };
        Some(CellVerdict {
            verdict,
            correct: verdict == wanted,
            undefined: false,
            push,
            ratio,
            wanted,
        })
    });
    (v, reference)
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
    /// The verdicts PAPER.md §4 predicts: (b, c, verdict, correct).
    pub expected: &'static [(usize, usize, Verdict, bool)],
    /// The scene has an undefined (0/0) set.
    pub expect_undefined: bool,
}

impl Scenario {
    pub fn state(&self) -> AppState {
        (self.build)()
    }
}

/// Two images, background + one structure, background left out of the loss (as nnU-Net
/// does) so the structure's own sets tell the story. Image 0 is a normal labelled image.
fn two_images(phi: Phi, eps: f64, second: LabelStatus) -> AppState {
    let mut s = AppState::blank(2, 2, 32).expect("scenario size is valid");
    s.settings = DiceSettings {
        phi,
        eps_nr: eps,
        eps_dr: eps,
        include_background: false,
        ..DiceSettings::default()
    };
    s.paint_blob(
        0,
        Some(((14.0, 13.0), 7.0)),
        Some(((15.0, 14.0), 6.5, 0.9)),
        0.0,
    );
    match second {
        // The structure is there and the network finds it, but nobody labelled it.
        LabelStatus::Missing => s.paint_blob(
            1,
            Some(((18.0, 19.0), 6.0)),
            Some(((18.0, 19.0), 6.0, 0.9)),
            0.0,
        ),
        // Nothing is there, yet the network predicts a small false positive.
        LabelStatus::Empty => s.paint_blob(1, None, Some(((10.0, 20.0), 3.5, 0.8)), 0.0),
        LabelStatus::Annotated => {}
    }
    s.status[(1, 1)] = second;
    s
}

fn heuristic() -> AppState {
    let mut s = AppState::blank(3, 2, 32).expect("scenario size is valid");
    s.paint_blob(
        0,
        Some(((14.0, 13.0), 7.0)),
        Some(((15.0, 14.0), 6.5, 0.9)),
        0.0,
    );
    s.paint_blob(
        1,
        Some(((18.0, 19.0), 6.0)),
        Some(((18.0, 19.0), 6.0, 0.9)),
        0.0,
    );
    s.paint_blob(2, None, Some(((10.0, 20.0), 3.5, 0.8)), 0.0);
    s.status[(1, 1)] = LabelStatus::Missing;
    s.status[(2, 1)] = LabelStatus::Empty;
    let eps = heuristic_eps(&s).expect("image 0 has a structure");
    s.settings = DiceSettings {
        phi: Phi::I,
        eps_nr: eps,
        eps_dr: eps,
        include_background: false,
        ..DiceSettings::default()
    };
    s
}

/// The mean true volume per image of class `c`, over the images whose label the loss sees
/// (an empty image counts with volume 0; a missing one is not seen). `None` when no
/// image of that class is seen.
pub fn class_mean_volume(s: &AppState, c: usize) -> Option<f64> {
    let y = s.loss_labels();
    let seen: Vec<f64> = (0..s.batch())
        .filter(|&b| {
            s.status
                .get((b, c))
                .is_some_and(|st| *st != LabelStatus::Missing)
        })
        .map(|b| y.slice(s![b, c, .., ..]).sum())
        .collect();
    (!seen.is_empty()).then(|| seen.iter().sum::<f64>() / seen.len() as f64)
}

/// The paper's heuristic ε (§4): the mean true volume per image, as the authors set it
/// per class from the training set. The engine has one ε, so this averages over the
/// structure classes in the loss: with exclusive classes the background (class 0) is
/// left out, being the complement of the structures. `None` if that mean is not positive.
pub fn heuristic_eps(s: &AppState) -> Option<f64> {
    let first = usize::from(s.exclusive && s.classes() > 1);
    let volumes: Vec<f64> = s
        .settings
        .classes(s.classes())
        .into_iter()
        .filter(|&c| c >= first)
        .filter_map(|c| class_mean_volume(s, c))
        .collect();
    let mean = volumes.iter().sum::<f64>() / volumes.len().max(1) as f64;
    (mean > 0.0 && mean.is_finite()).then_some(mean)
}

fn zero_over_zero() -> AppState {
    let mut s = two_images(Phi::I, 0.0, LabelStatus::Empty);
    s.paint_blob(1, None, None, 0.0);
    s
}

pub static SCENARIOS: [Scenario; 6] = [
    Scenario {
        name: "missing-I",
        title: "Missing label, image-wise Φ, ε = 1e-7",
        short: "Missing · Φ = I",
        text: "Image 1 contains the structure and the network finds it, but its label is missing, so the loss sees only zeros there. With image-wise sets and a tiny ε that image forms a set of its own with no foreground, and its gradient all but vanishes: the real structure is left alone. This is what we want for a missing label.",
        build: || two_images(Phi::I, 1e-7, LabelStatus::Missing),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "missing-BI",
        title: "Missing label, batch-wise Φ, ε = 1e-7",
        short: "Missing · Φ = BI",
        text: "The same images, but now the structure's class is summed over the whole batch. The unlabelled image shares a set with the labelled one and inherits its background push: gradient descent erases a structure that is really there. Batch-wise sets fail on missing labels.",
        build: || two_images(Phi::BI, 1e-7, LabelStatus::Missing),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "empty-I",
        title: "Empty label, image-wise Φ, ε = 1e-7",
        short: "Empty · Φ = I",
        text: "Image 1 truly has no structure, yet the network predicts a small blob there. Its set has no foreground, so with a tiny ε the push is about ε/Ṽ² — practically zero. The loss term is near 1, but nothing in the gradient removes the false positive.",
        build: || two_images(Phi::I, 1e-7, LabelStatus::Empty),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "empty-BI",
        title: "Empty label, batch-wise Φ, ε = 1e-7",
        short: "Empty · Φ = BI",
        text: "The same false positive, now with batch-wise sets. The empty image shares the set of the labelled one and gets the set's background push, so the false positive is pushed down even with a tiny ε. Batch-wise sets handle empty labels.",
        build: || two_images(Phi::BI, 1e-7, LabelStatus::Empty),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "heuristic-eps",
        title: "Image-wise Φ with ε = mean foreground volume",
        short: "Φ = I, ε = mean volume",
        text: "Three images: labelled, missing and empty. ε is set to the mean true volume per image, as the paper suggests. Now an empty image gets a push comparable to a labelled one, so the false positive goes down — but the unlabelled real structure is pushed down too. One setting cannot serve both cases.",
        build: heuristic,
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false), (2, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "zero-over-zero",
        title: "ε = 0 with an empty image and no prediction",
        short: "ε = 0 and 0/0",
        text: "Image 1 is empty and the network predicts nothing there. With ε = 0 its Dice is 0/0: undefined, and so are the loss and that image's gradient — a training run would get NaN. Any ε > 0 makes it a perfect score of 1 instead.",
        build: zero_over_zero,
        expected: &[(0, 1, Verdict::Up, true)],
        expect_undefined: true,
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
    use crate::engine::loss::evaluate_probs;

    fn run(s: &AppState) -> (Array4<f64>, Evaluation<'static>) {
        let y = s.loss_labels();
        let e = evaluate_probs(y.view(), s.pred.clone(), &s.settings).unwrap();
        (y, e)
    }

    #[test]
    fn every_scenario_shows_what_the_paper_predicts() {
        for sc in &SCENARIOS {
            let s = sc.state();
            let (y, e) = run(&s);
            let v = verdicts(&s, &y, &e);
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
            assert_eq!(v[(0, 0)], None, "{}: background is excluded", sc.name);
        }
    }

    #[test]
    fn undefined_cell_is_reported_as_such() {
        let s = scenario("zero-over-zero").unwrap().state();
        let (y, e) = run(&s);
        let v = verdicts(&s, &y, &e)[(1, 1)].unwrap();
        assert!(v.undefined && !v.correct && v.verdict == Verdict::None);
    }

    #[test]
    fn no_push_threshold_is_relative_to_the_labelled_images() {
        // Under image-wise Φ with ε = 1e-7 the empty image's push is ε/(|Φ|·Ṽ²) while the
        // labelled image's background push is sDSC/(|Φ|·U): many decades apart.
        let s = scenario("empty-I").unwrap().state();
        let (y, e) = run(&s);
        let v = verdicts(&s, &y, &e)[(1, 1)].unwrap();
        let v_pred = e.sets[1].v_pred;
        assert!((v.push - 1e-7 / (2.0 * (v_pred + 1e-7).powi(2))).abs() < 1e-20);
        assert!(v.ratio < 1e-6, "ratio {}", v.ratio);
        let reference = reference_push(&y, &e);
        let bg = e.sets[0].grad_bg.unwrap();
        assert!((reference - bg).abs() <= 1e-12 * bg, "{reference} vs {bg}");
    }

    #[test]
    fn heuristic_eps_is_the_mean_seen_volume() {
        let s = scenario("heuristic-eps").unwrap().state();
        let y = s.loss_labels();
        let v0 = y.slice(s![0, 1, .., ..]).sum();
        assert!(v0 > 100.0);
        // Image 0 labelled (V = v0), image 1 missing (not seen), image 2 empty (V = 0).
        assert_eq!(s.settings.eps_nr, v0 / 2.0);
        // The background is never a "structure" with exclusive classes, whether or not it
        // takes part in the loss.
        let mut with_bg = s.clone();
        with_bg.settings.include_background = true;
        assert_eq!(heuristic_eps(&with_bg), Some(v0 / 2.0));
    }

    #[test]
    fn heuristic_eps_of_independent_classes_counts_every_class_in_the_loss() {
        let mut s = AppState::blank(2, 1, 8).unwrap();
        assert_eq!(heuristic_eps(&s), None);
        s.labels.slice_mut(s![0, 0, 0..2, 0..3]).fill(1.0);
        // Image 0 has 6 pixels, image 1 none: 3 per image.
        assert_eq!(heuristic_eps(&s), Some(3.0));
        s.status[(1, 0)] = LabelStatus::Missing;
        assert_eq!(heuristic_eps(&s), Some(6.0));
    }

    /// The shortcut through the sets' shared gradients gives the pixel means.
    #[test]
    fn set_values_equal_pixel_means() {
        for sc in &SCENARIOS {
            for squared in [false, true] {
                for jaccard in [false, true] {
                    let mut s = sc.state();
                    s.settings.squared = squared;
                    s.settings.jaccard = jaccard;
                    s.settings.include_background = true;
                    let (y, e) = run(&s);
                    for b in 0..s.batch() {
                        for c in 0..s.classes() {
                            for want in [0.0, 1.0] {
                                // Undefined cells get no verdict from a mean.
                                if e.grad_prob_undefined[(b, c)] {
                                    continue;
                                }
                                let fast = cell_mean(Some(&s.settings), &y, &e, (b, c), want);
                                let slow = cell_mean(None, &y, &e, (b, c), want);
                                match (fast, slow) {
                                    (Some(f), Some(w)) => assert!(
                                        (f - w).abs() <= 1e-12 * w.abs().max(1e-300),
                                        "{} ({b},{c}) y={want}: {f} vs {w}",
                                        sc.name
                                    ),
                                    (f, w) => assert_eq!(f, w, "{} ({b},{c}) y={want}", sc.name),
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn badges_and_focus() {
        let s = scenario("missing-BI").unwrap().state();
        let (y, e) = run(&s);
        let v = verdicts(&s, &y, &e);
        assert_eq!(v[(1, 1)].unwrap().badge(), "✗ pushed down");
        assert_eq!(v[(0, 1)].unwrap().badge(), "✓ pushed up");
        assert_eq!(focus_cell(&s, &e), Some((1, 1)));
        let s = scenario("zero-over-zero").unwrap().state();
        let (y, e) = run(&s);
        assert!(verdicts(&s, &y, &e)[(1, 1)]
            .unwrap()
            .badge()
            .contains("undefined"));
        let d = AppState::default_scene();
        let (_, e) = run(&d);
        assert_eq!(focus_cell(&d, &e), Some((0, 1)));
        let (v2, r) = verdicts_and_reference(&d, &d.loss_labels(), &e);
        assert_eq!(v2, verdicts(&d, &d.loss_labels(), &e));
        let slow = reference_push(&d.loss_labels(), &e);
        assert!((r - slow).abs() <= 1e-12 * slow, "{r} vs {slow}");
        let t = threshold_sentence(0.002);
        assert!(
            t.contains("1%") && t.contains("0.002") && t.contains("2e-5"),
            "{t}"
        );
    }

    #[test]
    fn names_are_unique_and_findable() {
        for sc in &SCENARIOS {
            assert!(std::ptr::eq(scenario(sc.name).unwrap(), sc));
            assert!(sc.text.split(". ").count() >= 2);
        }
    }
}
