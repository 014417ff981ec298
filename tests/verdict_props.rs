//! Property tests of the verdict rule (`page::verdict`) on random pages, painted and
//! trained:
//!
//! - a cell whose wanted state is reached is never ✗ for "almost no push";
//! - an empty label whose prediction stays (not reached, not pushed down) is never ✓;
//! - "reached" is what the rule says it is on the judged pixels — the largest ỹ where
//!   nothing is wanted, the smallest where a structure is labelled, never the mean;
//! - on a trained page (free logits, SGD) a ✓ on an empty label that is not reached is a
//!   push a gradient step on the logits follows: every pixel's log-odds goes down.
//!
//! Random sizes up to 3×3×8×8, exclusive or independent classes, every activation, Φ,
//! a range of ε (0 and ε_nr ≠ ε_dr included), background in and out, the three loss
//! variants, squared and Jaccard denominators, a floor and smp's zeroed empty sets; label
//! statuses at random; predictions from wildly wrong to converged.

use dice_playground::engine::activation::Activation;
use dice_playground::engine::loss::{DiceSettings, Evaluation};
use dice_playground::engine::phi::Phi;
use dice_playground::engine::status::LabelStatus;
use dice_playground::engine::train::{Model, Optimizer, Trainer};
use dice_playground::engine::variants::Variant;
use dice_playground::engine::verdict::{CellVerdict, Judged, Verdict, REACHED_HIGH, REACHED_LOW};
use dice_playground::page::judge;
use dice_playground::page::state::AppState;
use ndarray::{s, Array2, Array4};
use proptest::prelude::*;

struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

const EPS: [f64; 6] = [0.0, 1e-7, 1e-5, 0.5, 5.0, 40.0];

/// A random page and the logits its prediction comes from.
fn page(seed: u64, trainable: bool) -> Option<(AppState, Array4<f64>)> {
    let mut r = SplitMix(seed);
    let b = 1 + r.below(3);
    let c = if trainable { 2 } else { 2 + r.below(2) };
    let mut s = AppState::blank(b, c, 8).ok()?;
    s.exclusive = r.below(4) != 0;
    let activation = match (trainable, s.exclusive) {
        (true, true) => Activation::Softmax,
        (true, false) => Activation::Sigmoid,
        (false, true) => r.pick(&[Activation::None, Activation::Softmax]),
        (false, false) => r.pick(&[Activation::None, Activation::Sigmoid]),
    };
    s.settings = DiceSettings {
        phi: r.pick(&Phi::ALL),
        eps_nr: r.pick(&EPS),
        eps_dr: r.pick(&EPS),
        squared: r.below(5) == 0,
        jaccard: r.below(6) == 0,
        include_background: r.below(2) == 0,
        activation,
        denominator_floor: if r.below(6) == 0 { 1e-7 } else { 0.0 },
        zero_empty_sets: r.below(6) == 0,
        variant: r.pick(&[
            Variant::Dice,
            Variant::Dice,
            Variant::Leaf,
            Variant::Marginal,
        ]),
    };
    // Labels: a rectangle per image and structure class (exclusive: the later class wins,
    // class 0 is the rest); statuses at random, an empty label unpainted.
    let mut truth = Array4::<f64>::zeros((b, c, 8, 8));
    for bi in 0..b {
        for ci in usize::from(s.exclusive)..c {
            if r.below(4) == 0 {
                continue;
            }
            let (i0, j0) = (r.below(7), r.below(7));
            let (i1, j1) = (i0 + 1 + r.below(8 - i0), j0 + 1 + r.below(8 - j0));
            truth.slice_mut(s![bi, ci, i0..i1, j0..j1]).fill(1.0);
        }
    }
    if s.exclusive {
        for bi in 0..b {
            for i in 0..8 {
                for j in 0..8 {
                    let top = (1..c).rev().find(|&k| truth[[bi, k, i, j]] == 1.0);
                    for k in 0..c {
                        truth[[bi, k, i, j]] = f64::from(Some(k) == top.or(Some(0)));
                    }
                }
            }
        }
    }
    for bi in 0..b {
        for ci in 1..c {
            s.status[(bi, ci)] = match r.below(4) {
                0 => LabelStatus::Missing,
                1 => LabelStatus::Empty,
                _ => LabelStatus::Annotated,
            };
        }
    }
    // Predictions: logits near the truth (how near decides reached or not), plus a few
    // false positives, through the page's activation (none: its probabilities).
    let confidence = r.pick(&[0.0, 2.0, 6.0, 14.0]);
    let mut z = Array4::<f64>::zeros((b, c, 8, 8));
    for (k, v) in z.iter_mut().enumerate() {
        let t = truth.as_slice().unwrap()[k];
        *v = confidence * (2.0 * t - 1.0) + 3.0 * (r.unit() - 0.5);
        if r.below(12) == 0 {
            *v += 8.0;
        }
    }
    for bi in 0..b {
        for ci in 1..c {
            if s.status[(bi, ci)] == LabelStatus::Empty {
                // Truly absent: nothing painted (the page refuses the brush there).
                let cleared = truth.slice(s![bi, ci, .., ..]).to_owned();
                truth.slice_mut(s![bi, ci, .., ..]).fill(0.0);
                if s.exclusive {
                    let mut bg = truth.slice_mut(s![bi, 0, .., ..]);
                    bg += &cleared;
                }
            }
        }
    }
    s.labels = truth;
    let act = if s.exclusive {
        Activation::Softmax
    } else {
        Activation::Sigmoid
    };
    s.pred = act.apply(z.view());
    s.settings.validate(c).ok()?;
    Some((s, z))
}

/// The pixels of cell (b, c) the rule judged, as (i, j, ỹ summed over its merged classes).
fn judged_pixels(s: &AppState, e: &Evaluation, b: usize, c: usize, v: &CellVerdict) -> Vec<f64> {
    let y = s.loss_labels();
    let prob = &e.prob;
    let merged: Vec<usize> = match v.judged {
        Judged::MergedBackground => std::iter::once(0)
            .chain((1..s.classes()).filter(|&k| s.status[(b, k)] == LabelStatus::Missing))
            .collect(),
        _ => vec![c],
    };
    let at = |i: usize, j: usize| merged.iter().map(|&k| prob[[b, k, i, j]]).sum::<f64>();
    let mut out = Vec::new();
    for i in 0..8 {
        for j in 0..8 {
            let pick = match v.judged {
                Judged::Foreground | Judged::MergedBackground => y[[b, c, i, j]] == 1.0,
                Judged::Background => y[[b, c, i, j]] == 0.0,
                Judged::HiddenTruth => s.labels[[b, c, i, j]] == 1.0,
                Judged::CoveredStructure => (1..s.classes()).any(|k| {
                    s.status[(b, k)] == LabelStatus::Missing && s.labels[[b, k, i, j]] == 1.0
                }),
            };
            if pick {
                out.push(at(i, j));
            }
        }
    }
    out
}

/// The invariants of every cell's verdict.
fn check(
    s: &AppState,
    e: &Evaluation,
    v: &Array2<Option<CellVerdict>>,
    threshold: f64,
) -> Result<(), TestCaseError> {
    for ((b, c), cv) in v.indexed_iter() {
        let Some(cv) = cv else { continue };
        let at = format!(
            "({b},{c}) {cv:?} {:?} exclusive {}",
            s.settings, s.exclusive
        );
        prop_assert!(cv.ratio.is_finite() && cv.ratio >= 0.0, "{at}");
        prop_assert!(cv.push.is_finite(), "{at}");
        if cv.undefined {
            prop_assert!(!cv.correct && cv.verdict == Verdict::None, "{at}");
            continue;
        }
        prop_assert_eq!(
            cv.verdict == Verdict::None,
            cv.push.abs() <= threshold,
            "{}",
            at
        );
        // Reached, recomputed on the judged pixels: the extreme ỹ, never the mean.
        let pixels = judged_pixels(s, e, b, c, cv);
        prop_assert!(!pixels.is_empty(), "{at}");
        let reached = match cv.wanted {
            Verdict::Up => pixels.iter().all(|&p| p >= REACHED_HIGH),
            Verdict::Down => pixels.iter().all(|&p| p <= REACHED_LOW),
            Verdict::None => false,
        };
        prop_assert_eq!(cv.reached, reached, "{}", at);
        // A cell whose wanted state is reached is never ✗ for "almost no push".
        if cv.reached && cv.verdict == Verdict::None {
            prop_assert!(cv.correct, "{at}");
        }
        // An empty label whose prediction stays is never ✓.
        if s.status[(b, c)] == LabelStatus::Empty && !cv.reached && cv.verdict != Verdict::Down {
            prop_assert!(!cv.correct, "{at}");
        }
        // ✓ means the push is the wanted one, or no push where the state is reached.
        prop_assert_eq!(
            cv.correct,
            cv.verdict == cv.wanted || (cv.verdict == Verdict::None && cv.reached),
            "{}",
            at
        );
        // A missing label is right only with almost no push.
        if s.status[(b, c)] == LabelStatus::Missing {
            prop_assert_eq!(cv.correct, cv.verdict == Verdict::None, "{}", at);
        }
    }
    Ok(())
}

/// How a free-logit gradient step changes the log-odds log(ỹ/(1 − ỹ)) of every pixel of
/// cell (b, c) whose ỹ can move (strictly inside (0, 1)), per unit step: −∂L/∂z_c with a
/// sigmoid, −(∂L/∂z_c − ∂L/∂z_other) with two softmax classes. Read from the gradient, so
/// a pixel saturated in floating point (whose log-odds a step cannot visibly change)
/// still shows its direction.
fn odds_moves(e: &Evaluation, softmax: bool, b: usize, c: usize) -> Vec<f64> {
    let g = e.grad();
    let (_, _, h, w) = g.dim();
    let mut out = Vec::new();
    for i in 0..h {
        for j in 0..w {
            let p = e.prob[[b, c, i, j]];
            if p <= 0.0 || p >= 1.0 {
                continue;
            }
            out.push(if softmax {
                g[[b, 1 - c, i, j]] - g[[b, c, i, j]]
            } else {
                -g[[b, c, i, j]]
            });
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn painted_pages_are_judged_soundly(seed in any::<u64>()) {
        let Some((s, _)) = page(seed, false) else { return Ok(()) };
        let Ok((y, e)) = judge::evaluate_state(&s) else { return Ok(()) };
        let (v, scale) = judge::verdicts(&s, &y, &e);
        check(&s, &e, &v, scale.threshold())?;
    }

    #[test]
    fn trained_pages_are_judged_soundly(seed in any::<u64>(), steps in 1..40usize, lr in 0.05..2.0f64) {
        let Some((s, z)) = page(seed, true) else { return Ok(()) };
        let y = s.loss_labels();
        let Ok(mut t) = Trainer::with_missing(
            y.clone(),
            None,
            s.settings,
            Model::pixels(z).unwrap(),
            Optimizer::sgd(lr),
            judge::missing_cells(&s),
        ) else { return Ok(()) };
        if t.train(steps).stopped.is_some() {
            return Ok(());
        }
        let e = t.evaluation().unwrap().clone();
        let (v, scale) = judge::verdicts(&s, &y, &e);
        check(&s, &e, &v, scale.threshold())?;
        // A ✓ on an empty label that still predicts something is a push a gradient step
        // on the logits follows (plain sums: the push is the same on every pixel of the
        // cell, and the activation only scales it).
        if s.settings.squared || s.settings.jaccard {
            return Ok(());
        }
        let softmax = s.settings.activation == Activation::Softmax;
        for ((b, c), cv) in v.indexed_iter() {
            let Some(cv) = cv else { continue };
            if s.status[(b, c)] == LabelStatus::Empty && cv.correct && !cv.reached {
                prop_assert_eq!(cv.verdict, Verdict::Down);
                let moves = odds_moves(&e, softmax, b, c);
                prop_assert!(
                    moves.iter().all(|&m| m < 0.0),
                    "({},{}) {:?}: log-odds moves {:?}", b, c, cv, moves
                );
            }
        }
    }
}

/// The checks can fail: the old rule's collapse (a push judged "none" that is the wanted
/// push's size) and a ✓ on a false positive are caught.
#[test]
fn the_checks_catch_a_wrong_verdict() {
    let (s, _) = (0..200)
        .find_map(|seed| {
            let (s, z) = page(seed, false)?;
            let (y, e) = judge::evaluate_state(&s).ok()?;
            let v = judge::verdicts(&s, &y, &e).0;
            v.iter()
                .flatten()
                .any(|cv| cv.wanted == Verdict::Down && !cv.reached && !cv.undefined)
                .then_some((s, z))
        })
        .expect("a page with a false positive");
    let (y, e) = judge::evaluate_state(&s).unwrap();
    let (mut v, scale) = judge::verdicts(&s, &y, &e);
    for cv in v.iter_mut().flatten() {
        if cv.wanted == Verdict::Down && !cv.reached && !cv.undefined {
            // A ✓ "almost no push" on a false positive that is still there.
            cv.verdict = Verdict::None;
            cv.correct = true;
            cv.push = 0.0;
            cv.ratio = 0.0;
        }
    }
    assert!(check(&s, &e, &v, scale.threshold()).is_err());
}
