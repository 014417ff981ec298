//! Property tests of the engine's gradient (docs/science.md §3 and §6).
//!
//! * `grad` (w.r.t. `pred`: probabilities, or logits when an activation is on) and
//!   `grad_prob` (w.r.t. the probabilities) equal central finite differences of the loss,
//!   for every Φ, every option and ε from 0 to 1e4 (log-uniform plus exact 0), with soft
//!   and hard labels, on random shapes up to 4×4×8×8.
//! * Nothing is ever NaN or infinite: the loss is `Some(finite)` or `None` (and then some
//!   set says why), the gradients are finite everywhere, even for ε from 1e-300 to 1e300,
//!   and with labels, probabilities, logits and ε at the edges of the float range
//!   (except one known engine issue, see `tests/edge_cases.rs`,
//!   `loss_overflows_when_the_floor_hides_a_huge_sdsc`).
//! * The loss agrees with an independent transcription of docs/science.md §2.
//! * Without the squared denominator every foreground (y = 1) pixel of a set gets the same
//!   `grad_prob`, and every background (y = 0) pixel too, equal to the set's
//!   `grad_fg` / `grad_bg` (docs/science.md §3 point 1).
//!
//! # Finite differences: step and tolerance
//!
//! Within one set the loss is a rational function of one coordinate t whose variation
//! scale is the set's denominator D (plain Dice: f(t) = 2y + (N − 2yD)/(D + t), times
//! 1/|Φ|, so f''' = 6·g/D² with g = f'). The step is h = 1e-4·min(1, D) in probability
//! space (a power of two, so ỹ ± h is exact), and h = min(1e-4·D/s, 1e-2) for logits,
//! where s is how fast the probabilities move with the logit (ỹ(1−ỹ) for the sigmoid, ỹ_c
//! for the softmax, whose logit moves every class of the pixel) and D is the smallest
//! denominator among the sets the coordinate touches. Differences at h and h/2 are
//! combined by Richardson extrapolation (the h² terms cancel) and the tolerance is
//!
//! ```text
//! 1e-6·|g|                    relative
//! + 1e-8·min(s, 1)·S          absolute; S = max over the touched sets of
//!                             (2 + 4·sDSC)/(|Φ|·D), a bound on |∂term/∂ỹ|
//!                             (∂Den/∂ỹ lies in [−2, 4] for every form)
//! + |fd(h) − fd(h/2)|         what is left of the truncation error, measured
//! + 3·64·u·√n·M/h             rounding of the loss: u = 2⁻⁵³, n pixels in the touched
//!                             sets, M = 1 + Σ(|sDSC| + |term|)/|Φ|
//! ```
//!
//! The measured truncation term cannot hide a wrong analytic value: both differences
//! approximate the true derivative (scaling the analytic gradient by 1 + 1e-4 fails at
//! once). Without an activation the probabilities must stay in [0, 1]: a coordinate
//! closer than h to a bound uses the one-sided second-order formula. A coordinate is
//! skipped when, within the step, a set's denominator crosses the floor or a set's value
//! becomes (un)defined: the loss is not differentiable there. When some set is undefined
//! (loss `None`) the differences are taken of the mean of the defined terms, whose
//! gradient is what the engine reports for the defined sets.
//!
//! `PROPTEST_CASES=5000` runs more cases; `FD_STATS=1` prints every check's terms.

mod common;

use common::Draws;
use dice_playground::engine::loss::Undefined;
use dice_playground::{evaluate, Activation, DiceSettings, Evaluation, Phi};
use ndarray::{Array4, Axis};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const U: f64 = f64::EPSILON / 2.0;

// ---------------------------------------------------------------------------------------
// Random cases.

#[derive(Clone, Debug)]
struct Case {
    y: Array4<f64>,
    pred: Array4<f64>,
    settings: DiceSettings,
    /// Flat indices (mod the number of elements) of the coordinates to differentiate.
    picks: Vec<usize>,
}

#[derive(Clone, Copy, Debug)]
struct Knobs {
    shape: (usize, usize, usize, usize),
    soft_labels: bool,
    one_hot: bool,
    seed: u64,
}

fn pow10(e: f64) -> f64 {
    10f64.powf(e)
}

/// 0 or log-uniform in [10^lo, 10^hi].
fn eps_value(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 4 => (lo..hi).prop_map(pow10)]
}

/// (ε_nr, ε_dr): the paper's single ε, or two independent ones.
fn eps_pair(lo: f64, hi: f64) -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        eps_value(lo, hi).prop_map(|e| (e, e)),
        (eps_value(lo, hi), eps_value(lo, hi)),
    ]
}

fn phi_strategy() -> impl Strategy<Value = Phi> {
    prop::sample::select(Phi::ALL.to_vec())
}

fn activation_strategy() -> impl Strategy<Value = Activation> {
    prop::sample::select(Activation::ALL.to_vec())
}

#[allow(clippy::too_many_arguments)]
fn settings_from(
    c: usize,
    phi: Phi,
    (eps_nr, eps_dr): (f64, f64),
    squared: bool,
    jaccard: bool,
    include_background: bool,
    activation: Activation,
    denominator_floor: f64,
    zero_empty_sets: bool,
) -> DiceSettings {
    DiceSettings {
        phi,
        eps_nr,
        eps_dr,
        squared,
        jaccard,
        // One class: the background must stay and a softmax is impossible (both errors).
        include_background: include_background || c == 1,
        activation: if c == 1 && activation == Activation::Softmax {
            Activation::Sigmoid
        } else {
            activation
        },
        denominator_floor,
        zero_empty_sets,
        ..DiceSettings::default()
    }
}

fn settings_strategy(c: usize, eps_lo: f64, eps_hi: f64) -> impl Strategy<Value = DiceSettings> {
    (
        phi_strategy(),
        eps_pair(eps_lo, eps_hi),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        activation_strategy(),
        prop_oneof![2 => Just(0.0), 1 => (-8.0..3.0f64).prop_map(pow10)],
        any::<bool>(),
    )
        .prop_map(move |(phi, eps, sq, jac, bg, act, floor, zero)| {
            settings_from(c, phi, eps, sq, jac, bg, act, floor, zero)
        })
}

fn knobs_strategy() -> impl Strategy<Value = Knobs> {
    (
        1..=4usize,
        1..=4usize,
        1..=8usize,
        1..=8usize,
        any::<bool>(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(b, c, h, w, soft_labels, one_hot, seed)| Knobs {
            shape: (b, c, h, w),
            soft_labels,
            one_hot,
            seed,
        })
}

/// Labels: per (b, c) cell an empty, full, sparse, dense or soft image; or one-hot over
/// the classes of each pixel.
fn make_labels(k: &Knobs, rng: &mut Draws) -> Array4<f64> {
    let (bn, cn, h, w) = k.shape;
    let mut y = Array4::<f64>::zeros(k.shape);
    if k.one_hot && !k.soft_labels && cn > 1 {
        for b in 0..bn {
            // Sometimes a class is missing from an image altogether.
            let missing = rng.below(cn + 1);
            for i in 0..h {
                for j in 0..w {
                    let mut c = rng.below(cn);
                    if c == missing {
                        c = 0;
                    }
                    y[[b, c, i, j]] = 1.0;
                }
            }
        }
        return y;
    }
    for b in 0..bn {
        for c in 0..cn {
            let mode = rng.below(if k.soft_labels { 6 } else { 5 });
            let rate = rng.unit();
            let single = (rng.below(h), rng.below(w));
            for i in 0..h {
                for j in 0..w {
                    y[[b, c, i, j]] = match mode {
                        0 => 0.0,
                        1 => 1.0,
                        2 => f64::from((i, j) == single),
                        3 => f64::from(rng.unit() < rate),
                        4 => f64::from(rng.unit() < 0.5),
                        // Soft labels, with some exact 0 and 1 left so both regions exist.
                        _ => match rng.below(4) {
                            0 => 0.0,
                            1 => 1.0,
                            _ => rng.unit(),
                        },
                    };
                }
            }
        }
    }
    y
}

/// Predictions: probabilities (with exact zeros, hard 0/1, tiny values, values near the
/// bounds) or logits (moderate, strongly negative, strongly positive).
fn make_pred(k: &Knobs, activation: Activation, rng: &mut Draws) -> Array4<f64> {
    let (bn, cn, h, w) = k.shape;
    let mut p = Array4::<f64>::zeros(k.shape);
    for b in 0..bn {
        for c in 0..cn {
            let mode = rng.below(6);
            for i in 0..h {
                for j in 0..w {
                    p[[b, c, i, j]] = match activation {
                        Activation::None => match mode {
                            0 => 0.0,
                            1 => rng.unit(),
                            2 => rng.range(0.05, 0.95),
                            3 => f64::from(rng.unit() < 0.5),
                            4 => rng.range(0.0, 1e-3),
                            _ => {
                                if rng.unit() < 0.5 {
                                    rng.range(0.0, 1e-6)
                                } else {
                                    1.0 - rng.range(0.0, 1e-6)
                                }
                            }
                        },
                        _ => match mode {
                            0..=2 => rng.range(-6.0, 6.0),
                            3 => rng.range(-14.0, -8.0),
                            4 => rng.range(8.0, 14.0),
                            _ => rng.range(-1.0, 1.0),
                        },
                    };
                }
            }
        }
    }
    p
}

fn build(k: Knobs, settings: DiceSettings, picks: Vec<usize>) -> Case {
    let mut rng = Draws::new(k.seed);
    let y = make_labels(&k, &mut rng);
    let pred = make_pred(&k, settings.activation, &mut rng);
    Case {
        y,
        pred,
        settings,
        picks,
    }
}

fn case_strategy(eps_lo: f64, eps_hi: f64) -> impl Strategy<Value = Case> {
    knobs_strategy().prop_flat_map(move |k| {
        (
            Just(k),
            settings_strategy(k.shape.1, eps_lo, eps_hi),
            prop::collection::vec(any::<usize>(), 8),
        )
            .prop_map(|(k, s, picks)| build(k, s, picks))
    })
}

// ---------------------------------------------------------------------------------------
// Helpers.

fn unravel(shape: &[usize], mut flat: usize) -> [usize; 4] {
    let mut idx = [0; 4];
    for d in (0..4).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

/// The value whose derivative the engine reports: the loss, or, when some set is
/// undefined (loss `None`), the mean over the sets of the terms that are defined (the
/// gradient of the defined sets does not depend on the undefined ones).
fn objective(e: &Evaluation) -> f64 {
    match e.loss {
        Some(l) => l,
        None => e.sets.iter().filter_map(|s| s.term).sum::<f64>() / e.sets.len() as f64,
    }
}

/// Which sets are undefined and which are floored: the loss is smooth only while these
/// stay the same.
fn regime(e: &Evaluation) -> Vec<(bool, bool)> {
    e.sets
        .iter()
        .map(|s| (s.undefined.is_some(), s.floored))
        .collect()
}

/// Magnitude of the summed terms, for the rounding part of the tolerance.
fn magnitude(e: &Evaluation) -> f64 {
    let n = e.sets.len() as f64;
    1.0 + e
        .sets
        .iter()
        .map(|s| s.sdsc.unwrap_or(0.0).abs() + s.term.unwrap_or(0.0).abs())
        .sum::<f64>()
        / n
}

/// Central (or, at a bound, one-sided second-order) difference of `f` at `x0`, with
/// `x0 ± h` kept in `[lo, hi]`. `None` when the regime changes within the step.
fn difference(
    f: &mut dyn FnMut(f64) -> (f64, Vec<(bool, bool)>),
    x0: f64,
    h: f64,
    lo: f64,
    hi: f64,
    regime0: &[(bool, bool)],
    f0: f64,
) -> Option<f64> {
    let mut at = |x: f64| {
        let (v, r) = f(x);
        (r == regime0).then_some(v)
    };
    if x0 - h >= lo && x0 + h <= hi {
        let (xp, xm) = (x0 + h, x0 - h);
        if xp == xm {
            return None;
        }
        Some((at(xp)? - at(xm)?) / (xp - xm))
    } else if x0 + 2.0 * h <= hi {
        let hh = (x0 + h) - x0;
        Some((-3.0 * f0 + 4.0 * at(x0 + hh)? - at(x0 + 2.0 * hh)?) / (2.0 * hh))
    } else {
        let hh = x0 - (x0 - h);
        Some((3.0 * f0 - 4.0 * at(x0 - hh)? + at(x0 - 2.0 * hh)?) / (2.0 * hh))
    }
}

/// The largest power of two ≤ x (exact steps around probabilities in [0, 1]).
fn pow2_floor(x: f64) -> f64 {
    2f64.powi(x.log2().floor() as i32)
}

/// What one coordinate touches: the sets whose sums it moves and the sensitivity of the
/// probabilities to it.
struct Reach {
    sets: Vec<usize>,
    sensitivity: f64,
}

fn reach(e: &Evaluation, s: &DiceSettings, idx: [usize; 4], wrt_prob: bool) -> Reach {
    let [b, c, _, _] = idx;
    let p = e.prob[idx];
    let (cells, sensitivity): (Vec<usize>, f64) = match (wrt_prob, s.activation) {
        (true, _) | (false, Activation::None) => (vec![c], 1.0),
        (false, Activation::Sigmoid) => (vec![c], p * (1.0 - p)),
        // The softmax moves every class of the pixel, by at most ỹ_c·h each.
        (false, Activation::Softmax) => ((0..e.prob.dim().1).collect(), p),
    };
    let mut sets: Vec<usize> = cells.iter().filter_map(|&cc| e.cell_set[(b, cc)]).collect();
    sets.sort_unstable();
    sets.dedup();
    Reach { sets, sensitivity }
}

struct Check {
    idx: [usize; 4],
    analytic: f64,
    fd: f64,
    tol: f64,
    h: f64,
    /// |fd(h) − fd(h/2)|, and the size it must stay below for the step to be fine.
    truncation: f64,
    truncation_limit: f64,
}

/// Finite-difference checks of `analytic` (grad or grad_prob) at the picked coordinates.
/// `x0` is the array perturbed (pred, or the probabilities), `eval_settings` the
/// settings it is evaluated with.
fn fd_checks(
    case: &Case,
    base: &Evaluation,
    x0: &Array4<f64>,
    analytic: &Array4<f64>,
    undefined: &ndarray::Array2<bool>,
    wrt_prob: bool,
    eval_settings: &DiceSettings,
) -> Vec<Check> {
    let s = &case.settings;
    let shape = x0.shape().to_vec();
    let n = x0.len();
    let regime0 = regime(base);
    let f0 = objective(base);
    let m = magnitude(base);
    let bounded = wrt_prob || s.activation == Activation::None;
    let (lo, hi) = if bounded {
        (0.0, 1.0)
    } else {
        (f64::NEG_INFINITY, f64::INFINITY)
    };
    let mut out = Vec::new();
    for &pick in &case.picks {
        let idx = unravel(&shape, pick % n);
        let [b, c, _, _] = idx;
        if undefined[(b, c)] {
            continue;
        }
        let r = reach(base, s, idx, wrt_prob);
        let d_min = r
            .sets
            .iter()
            .filter(|&&si| base.sets[si].undefined.is_none())
            .map(|&si| base.sets[si].denominator)
            .fold(1.0f64, f64::min);
        let cells_n: usize = r
            .sets
            .iter()
            .map(|&si| base.sets[si].cells.len())
            .sum::<usize>()
            .max(1);
        let n_set = (cells_n * shape[2] * shape[3]) as f64;
        // Bound on |∂term_φ/∂ỹ| over the touched sets: (2 + 4·sDSC)/(|Φ|·D), since
        // ∂Den/∂ỹ ∈ [−2, 4] for every form of the denominator.
        let n_sets = base.sets.len() as f64;
        let g_scale = r
            .sets
            .iter()
            .map(|&si| &base.sets[si])
            .filter_map(|st| Some((2.0 + 4.0 * st.sdsc?.abs()) / (n_sets * st.denominator)))
            .fold(0.0f64, f64::max);
        let s_k = r.sensitivity;
        let h_target = if bounded {
            1e-4 * d_min.min(1.0)
        } else {
            (1e-4 * d_min / s_k.max(1e-300)).min(1e-2)
        };
        let h = if bounded {
            pow2_floor(h_target)
        } else {
            h_target
        };
        let mut work = x0.clone();
        let mut f = |x: f64| {
            work[idx] = x;
            let e = evaluate(case.y.view(), work.view(), eval_settings)
                .expect("perturbed input stays valid");
            (objective(&e), regime(&e))
        };
        let (Some(fd1), Some(fd2)) = (
            difference(&mut f, x0[idx], h, lo, hi, &regime0, f0),
            difference(&mut f, x0[idx], h / 2.0, lo, hi, &regime0, f0),
        ) else {
            continue;
        };
        // Richardson: the h² error terms cancel; |fd1 − fd2| (≈ 3× the error of fd2)
        // bounds what is left. It does not hide a wrong analytic value: both differences
        // approximate the true derivative.
        let fd = (4.0 * fd2 - fd1) / 3.0;
        let g = analytic[idx];
        let truncation = (fd1 - fd2).abs();
        let rounding = 3.0 * 64.0 * U * n_set.sqrt() * m / h;
        let tol = 1e-6 * g.abs() + 1e-8 * s_k.min(1.0) * g_scale + truncation + rounding;
        if std::env::var("FD_STATS").is_ok() {
            eprintln!(
                "TERMS g {:e} rel {:e} trunc {:e} round {:e} scale {:e} wrtprob {}",
                g,
                1e-6 * g.abs(),
                truncation,
                rounding,
                1e-8 * s_k.min(1.0) * g_scale,
                wrt_prob
            );
        }
        out.push(Check {
            idx,
            analytic: g,
            fd,
            tol,
            h,
            truncation,
            // The step must be small enough that the two differences agree to a few
            // percent of the scale (else the measured term would be a free pass).
            truncation_limit: 0.05 * (g.abs() + 1e-3 * s_k.min(1.0) * g_scale) + rounding,
        });
    }
    out
}

fn assert_checks(checks: &[Check], case: &Case) -> Result<(), TestCaseError> {
    for ch in checks {
        prop_assert!(
            ch.truncation <= ch.truncation_limit,
            "step {:e} too coarse at {:?}: |fd(h) − fd(h/2)| = {:e}",
            ch.h,
            ch.idx,
            ch.truncation
        );
        if std::env::var("FD_STATS").is_ok() {
            let rel = ch.tol / ch.analytic.abs().max(1e-300);
            let err = (ch.fd - ch.analytic).abs() / ch.analytic.abs().max(1e-300);
            eprintln!(
                "STAT {:?} rel_tol {:e} rel_err {:e} g {:e} act {:?} sq {} jac {}",
                case.settings.phi,
                rel,
                err,
                ch.analytic,
                case.settings.activation,
                case.settings.squared,
                case.settings.jaccard
            );
        }
        prop_assert!(
            (ch.fd - ch.analytic).abs() <= ch.tol,
            "at {:?}: analytic {:e}, finite difference {:e} (h = {:e}, tol = {:e}); settings {:?}, y {:?}, pred {:?}",
            ch.idx,
            ch.analytic,
            ch.fd,
            ch.h,
            ch.tol,
            case.settings,
            case.y[ch.idx],
            case.pred[ch.idx]
        );
    }
    Ok(())
}

fn all_finite(a: &Array4<f64>) -> bool {
    a.iter().all(|v| v.is_finite())
}

/// Loss straight from docs/science.md §2, with its own partition into sets.
fn reference_loss(y: &Array4<f64>, p: &Array4<f64>, s: &DiceSettings) -> (Option<f64>, f64) {
    use std::collections::BTreeMap;
    let (bn, cn, _, _) = y.dim();
    let first = usize::from(!s.include_background);
    // key -> (V, Ṽ, X, Σy)
    let mut sums: BTreeMap<(usize, usize), [f64; 4]> = BTreeMap::new();
    for b in 0..bn {
        for c in first..cn {
            let key = match s.phi {
                Phi::I => (b, c),
                Phi::CI => (b, usize::MAX),
                Phi::BI => (usize::MAX, c),
                Phi::BCI => (usize::MAX, usize::MAX),
            };
            let e = sums.entry(key).or_insert([0.0; 4]);
            let yc = y.index_axis(Axis(0), b);
            let pc = p.index_axis(Axis(0), b);
            for (&yv, &pv) in yc
                .index_axis(Axis(0), c)
                .iter()
                .zip(pc.index_axis(Axis(0), c).iter())
            {
                let pw = if s.squared { 2 } else { 1 };
                e[0] += yv.powi(pw);
                e[1] += pv.powi(pw);
                e[2] += yv * pv;
                e[3] += yv;
            }
        }
    }
    let n = sums.len() as f64;
    let mut total = Some(0.0);
    let mut mag = 1.0;
    for [v, vp, x, fg] in sums.into_values() {
        let den = if s.jaccard {
            2.0 * (v + vp - x)
        } else {
            v + vp
        };
        let d = (den.max(0.0) + s.eps_dr).max(s.denominator_floor);
        let num = 2.0 * x + s.eps_nr;
        let sdsc = num / d;
        mag += sdsc.abs() / n;
        let term = if !sdsc.is_finite() {
            None
        } else if s.zero_empty_sets && fg <= 0.0 {
            Some(0.0)
        } else {
            Some(1.0 - sdsc)
        };
        total = match (total, term) {
            (Some(t), Some(x)) => Some(t + x),
            _ => None,
        };
    }
    (total.map(|t| t / n), mag)
}

/// `cases` per property, unless PROPTEST_CASES asks for another number (stress runs).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        max_shrink_iters: 2000,
        // Failures print the whole case; no regression files beside the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(config(128))]

    /// ∂DL/∂pred (probabilities, or logits through the sigmoid or softmax) against
    /// finite differences of the loss.
    #[test]
    fn grad_matches_central_differences(case in case_strategy(-12.0, 4.0)) {
        let base = evaluate(case.y.view(), case.pred.view(), &case.settings).unwrap();
        let checks = fd_checks(&case, &base, &case.pred, base.grad(), &base.grad_undefined, false, &case.settings);
        assert_checks(&checks, &case)?;
    }

    /// ∂DL/∂ỹ against finite differences in probability space: the probabilities the
    /// Dice saw are evaluated again without an activation (which must reproduce the loss
    /// and `grad_prob` exactly) and perturbed one at a time.
    #[test]
    fn grad_prob_matches_central_differences(case in case_strategy(-12.0, 4.0)) {
        let base = evaluate(case.y.view(), case.pred.view(), &case.settings).unwrap();
        let plain = DiceSettings { activation: Activation::None, ..case.settings };
        let on_probs = evaluate(case.y.view(), base.prob.view(), &plain).unwrap();
        prop_assert_eq!(on_probs.loss, base.loss);
        prop_assert_eq!(&on_probs.grad_prob, &base.grad_prob);
        prop_assert_eq!(&on_probs.grad_prob_undefined, &base.grad_prob_undefined);
        if case.settings.activation == Activation::None {
            prop_assert_eq!(base.grad(), &base.grad_prob);
        }
        let probe = Case { pred: base.prob.to_owned(), ..case.clone() };
        let checks = fd_checks(&probe, &on_probs, &base.prob.to_owned(), &base.grad_prob, &base.grad_prob_undefined, true, &plain);
        assert_checks(&checks, &case)?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The loss is `Some(finite)` or `None` with a reason; gradients are finite
    /// everywhere and 0 where undefined; the loss matches docs/science.md §2 — for ε anywhere
    /// from 1e-300 to 1e300.
    #[test]
    fn outputs_are_finite_or_undefined(case in case_strategy(-300.0, 300.0)) {
        let e = evaluate(case.y.view(), case.pred.view(), &case.settings).unwrap();
        match e.loss {
            Some(l) => prop_assert!(l.is_finite(), "loss {l}"),
            None => {
                prop_assert!(e.sets.iter().any(|s| s.undefined.is_some()));
                prop_assert!(!e.undefined_reasons().is_empty());
            }
        }
        prop_assert!(all_finite(&e.grad_prob), "grad_prob not finite");
        prop_assert!(all_finite(e.grad()), "grad not finite");
        prop_assert!(all_finite(&e.prob.to_owned()), "prob not finite");
        for s in &e.sets {
            prop_assert_eq!(s.sdsc.is_none(), s.undefined.is_some());
            prop_assert_eq!(s.term.is_none(), s.undefined.is_some());
            for v in [s.sdsc, s.term, s.grad_fg, s.grad_bg].into_iter().flatten() {
                prop_assert!(v.is_finite());
            }
            prop_assert!(s.numerator.is_finite() && s.denominator.is_finite());
            if s.undefined == Some(Undefined::ZeroOverZero) {
                prop_assert_eq!(s.numerator, 0.0);
            }
        }
        let (bn, cn, _, _) = e.grad().dim();
        for b in 0..bn {
            for c in 0..cn {
                let gp = e.grad_prob.index_axis(Axis(0), b);
                let g = e.grad().index_axis(Axis(0), b);
                if e.grad_prob_undefined[(b, c)] || e.cell_set[(b, c)].is_none() {
                    prop_assert!(gp.index_axis(Axis(0), c).iter().all(|&v| v == 0.0));
                }
                if e.grad_undefined[(b, c)] {
                    prop_assert!(g.index_axis(Axis(0), c).iter().all(|&v| v == 0.0));
                }
                prop_assert_eq!(e.grad_prob_undefined[(b, c)], e.set_of_cell(b, c).is_some_and(|s| s.undefined.is_some()));
            }
        }
        // An independent transcription of the loss.
        let (reference, mag) = reference_loss(&case.y, &e.prob.to_owned(), &case.settings);
        match (e.loss, reference) {
            (Some(a), Some(r)) => prop_assert!((a - r).abs() <= 1e-12 * mag, "loss {a} vs reference {r}"),
            (None, _) => {}
            (Some(a), None) => prop_assert!(false, "loss {a} but the reference is undefined"),
        }
    }

    /// docs/science.md §3 point 1: two values per set, equal to the set report's.
    #[test]
    fn gradient_is_flat_per_region(case in case_strategy(-12.0, 4.0)) {
        let e = evaluate(case.y.view(), case.pred.view(), &case.settings).unwrap();
        for s in &e.sets {
            if case.settings.squared || s.undefined.is_some() {
                prop_assert_eq!(s.grad_fg, None);
                prop_assert_eq!(s.grad_bg, None);
                continue;
            }
            let mut fg = Vec::new();
            let mut bg = Vec::new();
            for &(b, c) in &s.cells {
                let ys = case.y.index_axis(Axis(0), b);
                let gs = e.grad_prob.index_axis(Axis(0), b);
                for (&yv, &g) in ys.index_axis(Axis(0), c).iter().zip(gs.index_axis(Axis(0), c).iter()) {
                    if yv == 1.0 {
                        fg.push(g);
                    } else if yv == 0.0 {
                        bg.push(g);
                    }
                }
            }
            prop_assert_eq!(s.has_fg, !fg.is_empty());
            prop_assert_eq!(s.has_bg, !bg.is_empty());
            for (values, reported, name) in [(&fg, s.grad_fg, "grad_fg"), (&bg, s.grad_bg, "grad_bg")] {
                match reported {
                    None => prop_assert!(values.is_empty(), "{name} missing"),
                    Some(r) => {
                        for &g in values.iter() {
                            prop_assert_eq!(g, r, "{} {:e} vs pixel {:e}", name, r, g);
                        }
                    }
                }
            }
            if s.has_fg && s.has_bg && !s.zeroed {
                // Descent raises foreground and lowers background.
                prop_assert!(s.grad_fg.unwrap() <= s.grad_bg.unwrap());
            }
        }
    }
}

/// Values at the edges of the float range, for labels, probabilities and ε.
fn extreme_value() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![
        0.0,
        5e-324,
        1e-310,
        1e-300,
        1e-200,
        1e-160,
        1e-154,
        1e-100,
        1e-8,
        0.5,
        1.0 - f64::EPSILON,
        1.0,
    ])
}

fn extreme_eps() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![
        0.0,
        5e-324,
        1e-310,
        1e-300,
        1e-150,
        1e-10,
        1.0,
        1e150,
        1e300,
        f64::MAX,
    ])
}

fn extreme_case() -> impl Strategy<Value = Case> {
    (1..=2usize, 1..=3usize, 1..=3usize).prop_flat_map(|(b, c, n)| {
        let len = b * c * n;
        (
            prop::collection::vec(extreme_value(), len),
            prop::collection::vec(extreme_value(), len),
            phi_strategy(),
            (
                extreme_eps(),
                extreme_eps(),
                prop::sample::select(vec![0.0, 1e-300, 1e-8]),
            ),
            (
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                activation_strategy(),
            ),
        )
            .prop_map(
                move |(y, p, phi, (en, ed, floor), (sq, jac, bg, zero, act))| {
                    let settings = settings_from(c, phi, (en, ed), sq, jac, bg, act, floor, zero);
                    // Logits: map the probability-like values to large-magnitude logits too.
                    let pred = Array4::from_shape_vec((b, c, 1, n), p).unwrap();
                    let pred = if settings.activation == Activation::None {
                        pred
                    } else {
                        pred.mapv(|v| {
                            if v == 0.0 {
                                -800.0
                            } else if v == 1.0 {
                                800.0
                            } else {
                                v.ln()
                            }
                        })
                    };
                    Case {
                        y: Array4::from_shape_vec((b, c, 1, n), y).unwrap(),
                        pred,
                        settings,
                        picks: vec![],
                    }
                },
            )
    })
}

proptest! {
    #![proptest_config(config(512))]

    /// The same guarantees with labels, probabilities, logits and ε at the edges of the
    /// float range (subnormals, 1e±300, f64::MAX).
    #[test]
    fn outputs_are_finite_or_undefined_at_extremes(case in extreme_case()) {
        let e = evaluate(case.y.view(), case.pred.view(), &case.settings).unwrap();
        match e.loss {
            Some(l) => prop_assert!(l.is_finite(), "loss {l}"),
            None => prop_assert!(e.sets.iter().any(|s| s.undefined.is_some())),
        }
        prop_assert!(all_finite(&e.grad_prob), "grad_prob not finite: {:?}", e.grad_prob);
        prop_assert!(all_finite(e.grad()), "grad not finite: {:?}", e.grad());
        for s in &e.sets {
            for v in [s.sdsc, s.term, s.grad_fg, s.grad_bg].into_iter().flatten() {
                prop_assert!(v.is_finite(), "{:?}", s);
            }
        }
    }
}

/// The finite-difference properties skip coordinates in undefined cells or where the
/// regime changes within the step; this makes sure such skips stay rare, so the
/// properties cannot pass by checking nothing.
#[test]
fn finite_difference_checks_mostly_run() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = case_strategy(-12.0, 4.0);
    let (mut picked, mut checked) = (0usize, 0usize);
    for _ in 0..64 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let base = evaluate(case.y.view(), case.pred.view(), &case.settings).unwrap();
        let checks = fd_checks(
            &case,
            &base,
            &case.pred,
            base.grad(),
            &base.grad_undefined,
            false,
            &case.settings,
        );
        picked += case.picks.len();
        checked += checks.len();
    }
    assert!(picked > 0);
    assert!(
        checked * 2 >= picked,
        "only {checked} of {picked} picked coordinates were checked"
    );
}
