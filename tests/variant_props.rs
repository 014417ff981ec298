//! Property tests of the leaf and marginal Dice: their gradients equal central finite
//! differences of their loss, w.r.t. the logits (sigmoid, softmax) and the probabilities.
//!
//! Random shapes up to 3×4×4×4, every Φ, background in and out (the marginal Dice keeps
//! it), squared and Jaccard denominators, ε_dr > 0 (so no set is 0/0; constant sets of
//! missing cells have no gradient either way) and random missing cells, whose labels are
//! sometimes left painted (the variants must ignore them).
//!
//! Exclusive probabilities (the marginal Dice without an activation, or softmax input to
//! `evaluate_probs_missing`) cannot move one class alone: there the check is the
//! directional derivative along e_c − e_k at one pixel, which the analytic gradient gives
//! as ∂L/∂ỹ_c − ∂L/∂ỹ_k. Steps and tolerance as in `tests/gradient_props.rs`: a step far
//! below the smallest denominator, Richardson extrapolation of the differences at h and h/2,
//! and a tolerance of 1e-6 relative plus the measured truncation |fd(h) − fd(h/2)| plus the
//! rounding of the loss.

mod common;

use common::Draws;
use dice_playground::{
    evaluate_missing, evaluate_probs_missing, Activation, DiceSettings, Evaluation, Phi, Variant,
};
use ndarray::Array4;
use proptest::prelude::*;

const U: f64 = f64::EPSILON / 2.0;

#[derive(Clone, Debug)]
struct Case {
    y: Array4<f64>,
    /// Logits with an activation, else probabilities.
    pred: Array4<f64>,
    settings: DiceSettings,
    missing: Vec<(usize, usize)>,
    /// The classes of a pixel sum to 1 (marginal without activation, or softmax).
    exclusive: bool,
    seed: u64,
}

const EPS: [(f64, f64); 5] = [
    (1e-5, 1e-5),
    (0.0, 1e-3),
    (1e-3, 1e-3),
    (0.5, 0.5),
    (2.0, 1e-2),
];

#[allow(clippy::too_many_arguments)]
fn build(
    (b, c, h, w): (usize, usize, usize, usize),
    variant: Variant,
    phi: Phi,
    bg: bool,
    act: usize,
    eps: usize,
    form: usize,
    seed: u64,
) -> Case {
    let mut rng = Draws::new(seed);
    let activation = match (variant, act % 3) {
        (Variant::Marginal, 2) | (_, 0) => Activation::None,
        (Variant::Marginal, _) | (_, 1) => Activation::Softmax,
        _ => Activation::Sigmoid,
    };
    let exclusive = variant == Variant::Marginal || activation == Activation::Softmax;
    let (eps_nr, eps_dr) = EPS[eps % EPS.len()];
    let settings = DiceSettings {
        phi,
        eps_nr,
        eps_dr,
        squared: form == 1,
        jaccard: form == 2,
        include_background: bg || variant == Variant::Marginal,
        activation,
        variant,
        ..DiceSettings::default()
    };
    let shape = (b, c, h, w);
    let mut y = Array4::<f64>::zeros(shape);
    for bi in 0..b {
        for i in 0..h {
            for j in 0..w {
                if exclusive {
                    y[[bi, rng.below(c), i, j]] = 1.0;
                } else {
                    for ci in 0..c {
                        y[[bi, ci, i, j]] = match rng.below(4) {
                            0 => 0.0,
                            1 => 1.0,
                            _ => (rng.unit() * 100.0).round() / 100.0,
                        };
                    }
                }
            }
        }
    }
    let mut missing: Vec<(usize, usize)> = (0..b)
        .flat_map(|bi| (1..c).map(move |ci| (bi, ci)))
        .filter(|_| rng.unit() < 0.4)
        .collect();
    if missing.is_empty() {
        missing.push((rng.below(b), 1 + rng.below(c - 1)));
    }
    // Usually an unannotated structure reads as background; sometimes its label stays.
    if rng.unit() < 0.7 {
        for &(bi, ci) in &missing {
            for i in 0..h {
                for j in 0..w {
                    if exclusive && y[[bi, ci, i, j]] == 1.0 {
                        y[[bi, 0, i, j]] = 1.0;
                    }
                    y[[bi, ci, i, j]] = 0.0;
                }
            }
        }
    }
    let mut pred = Array4::<f64>::zeros(shape);
    for bi in 0..b {
        for i in 0..h {
            for j in 0..w {
                let mut total = 0.0;
                for ci in 0..c {
                    let v = match activation {
                        Activation::None if exclusive => rng.range(0.1, 1.0),
                        Activation::None => rng.range(0.05, 0.95),
                        _ => rng.range(-3.0, 3.0),
                    };
                    total += v;
                    pred[[bi, ci, i, j]] = v;
                }
                if activation == Activation::None && exclusive {
                    for ci in 0..c {
                        pred[[bi, ci, i, j]] /= total;
                    }
                }
            }
        }
    }
    Case {
        y,
        pred,
        settings,
        missing,
        exclusive,
        seed,
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        (1..=3usize, 2..=4usize, 1..=4usize, 1..=4usize),
        prop::sample::select(vec![Variant::Leaf, Variant::Marginal]),
        prop::sample::select(Phi::ALL.to_vec()),
        any::<bool>(),
        0..3usize,
        0..EPS.len(),
        0..3usize,
        any::<u64>(),
    )
        .prop_map(|(shape, v, phi, bg, act, eps, form, seed)| {
            build(shape, v, phi, bg, act, eps, form, seed)
        })
}

fn eval_pred<'a>(case: &Case, pred: &'a Array4<f64>) -> Evaluation<'a> {
    evaluate_missing(case.y.view(), pred.view(), &case.settings, &case.missing)
        .expect("valid input")
}

/// The probabilities of the case with the activation only in the chain rule.
fn eval_prob(case: &Case, prob: &Array4<f64>) -> Evaluation<'static> {
    evaluate_probs_missing(case.y.view(), prob.clone(), &case.settings, &case.missing)
        .expect("valid input")
}

/// A direction at one pixel: +1 on class `c`, −1 on class `k` (or none).
#[derive(Clone, Copy, Debug)]
struct Direction {
    idx: [usize; 4],
    minus: Option<usize>,
}

struct Outcome {
    analytic: f64,
    fd: f64,
    tol: f64,
}

/// Richardson-extrapolated central difference of `f` along `dir` with step `h`, and the
/// tolerance; `analytic` is the directional derivative the engine gives.
fn check(
    f: &mut dyn FnMut(f64) -> f64,
    analytic: f64,
    h: f64,
    n_pixels: usize,
    magnitude: f64,
) -> Outcome {
    let d = |f: &mut dyn FnMut(f64) -> f64, h: f64| (f(h) - f(-h)) / (2.0 * h);
    let (fd1, fd2) = (d(f, h), d(f, h / 2.0));
    let fd = (4.0 * fd2 - fd1) / 3.0;
    let rounding = 3.0 * 64.0 * U * (n_pixels as f64).sqrt() * magnitude / h;
    Outcome {
        analytic,
        fd,
        tol: 1e-6 * analytic.abs() + (fd1 - fd2).abs() + rounding,
    }
}

fn loss_of(e: &Evaluation) -> f64 {
    e.loss.expect("ε_dr > 0: every set is defined")
}

/// The smallest denominator of a set with a gradient, which sets the curvature scale.
fn d_min(e: &Evaluation) -> f64 {
    e.sets
        .iter()
        .filter(|s| !s.constant)
        .map(|s| s.denominator)
        .fold(1.0, f64::min)
}

fn directions(case: &Case, picks: &[u64]) -> Vec<Direction> {
    let (b, c, h, w) = case.y.dim();
    let mut rng = Draws::new(case.seed ^ 0xD1CE);
    picks
        .iter()
        .map(|&p| {
            let mut r = Draws::new(p);
            let idx = [r.below(b), r.below(c), r.below(h), r.below(w)];
            let minus = (case.exclusive).then(|| (idx[1] + 1 + rng.below(c - 1)) % c);
            Direction { idx, minus }
        })
        .collect()
}

/// Finite differences w.r.t. the probabilities (through `evaluate_probs_missing`) and,
/// with an activation, w.r.t. the logits; `scale` multiplies the analytic values (1 for
/// the real check; the self-test uses another to see the check fail).
fn outcomes(case: &Case, picks: &[u64], scale: f64) -> Vec<(String, Outcome)> {
    let mut out = Vec::new();
    let n = case.y.len();
    let base = eval_pred(case, &case.pred);
    let prob = base.prob.to_owned();
    let mag = 1.0 + loss_of(&base).abs();
    let base_p = eval_prob(case, &prob);
    let h_p = 2f64.powi((1e-4 * d_min(&base_p).min(1.0)).log2().floor() as i32);
    for dir in directions(case, picks) {
        let [b, c, i, j] = dir.idx;
        let g = &base_p.grad_prob;
        let analytic = scale
            * match dir.minus {
                Some(k) => g[[b, c, i, j]] - g[[b, k, i, j]],
                None => g[[b, c, i, j]],
            };
        let mut f = |t: f64| {
            let mut p = prob.clone();
            p[dir.idx] += t;
            if let Some(k) = dir.minus {
                p[[b, k, i, j]] -= t;
            }
            loss_of(&eval_prob(case, &p))
        };
        out.push((
            format!("∂/∂ỹ {dir:?}"),
            check(&mut f, analytic, h_p, n, mag),
        ));
    }
    if case.settings.activation != Activation::None {
        let h_z = 1e-4 * d_min(&base).min(1.0);
        for dir in directions(case, picks) {
            let analytic = scale * base.grad()[dir.idx];
            let mut f = |t: f64| {
                let mut z = case.pred.clone();
                z[dir.idx] += t;
                loss_of(&eval_pred(case, &z))
            };
            out.push((
                format!("∂/∂z {:?}", dir.idx),
                check(&mut f, analytic, h_z, n, mag),
            ));
        }
    }
    out
}

proptest! {
    #[test]
    fn variant_gradients_equal_finite_differences(
        case in case_strategy(),
        picks in prop::collection::vec(any::<u64>(), 6),
    ) {
        for (what, o) in outcomes(&case, &picks, 1.0) {
            prop_assert!(
                (o.analytic - o.fd).abs() <= o.tol,
                "{what}: analytic {:e}, finite difference {:e}, tolerance {:e}; {:?} missing {:?}",
                o.analytic, o.fd, o.tol, case.settings, case.missing
            );
        }
    }
}

/// The finding in `variant_props.proptest-regressions`, kept with its pixels: the file
/// replays proptest's choices, and the pixels a seed draws changed when these tests moved
/// to the engine's generator (`engine::rng`).
#[test]
fn the_marginal_dice_finding_on_one_pixel_still_holds() {
    let one_pixel = |v: [f64; 2]| Array4::from_shape_vec((1, 2, 1, 1), v.to_vec()).unwrap();
    let case = Case {
        y: one_pixel([1.0, 0.0]),
        pred: one_pixel([0.6060647881500837, 0.3939352118499163]),
        settings: DiceSettings {
            phi: Phi::I,
            eps_nr: 1e-5,
            eps_dr: 1e-5,
            squared: false,
            jaccard: false,
            include_background: true,
            activation: Activation::None,
            denominator_floor: 0.0,
            zero_empty_sets: false,
            variant: Variant::Marginal,
        },
        missing: vec![(0, 1)],
        exclusive: true,
        seed: 0,
    };
    let outcomes = outcomes(&case, &[0; 6], 1.0);
    assert!(!outcomes.is_empty());
    for (what, o) in outcomes {
        assert!(
            (o.analytic - o.fd).abs() <= o.tol,
            "{what}: analytic {:e}, finite difference {:e}, tolerance {:e}",
            o.analytic,
            o.fd,
            o.tol
        );
    }
}

/// The check can fail: a gradient off by 0.1% is caught, and so is the plain Dice's
/// gradient in place of the leaf Dice's on a missing cell.
#[test]
fn the_check_catches_a_wrong_gradient() {
    let mut caught = 0;
    for seed in 0..20u64 {
        let case = build(
            (2, 3, 3, 3),
            if seed % 2 == 0 {
                Variant::Leaf
            } else {
                Variant::Marginal
            },
            Phi::ALL[seed as usize % 4],
            true,
            seed as usize,
            seed as usize,
            0,
            seed,
        );
        let picks: Vec<u64> = (0..6).map(|k| seed * 31 + k).collect();
        caught += usize::from(
            outcomes(&case, &picks, 1.001)
                .iter()
                .any(|(_, o)| (o.analytic - o.fd).abs() > o.tol),
        );
        for (what, o) in outcomes(&case, &picks, 1.0) {
            assert!((o.analytic - o.fd).abs() <= o.tol, "seed {seed} {what}");
        }
    }
    assert!(
        caught >= 18,
        "a 0.1% error was caught in only {caught} of 20 cases"
    );

    // Leaf, one missing cell: its finite difference is 0, the plain Dice's gradient is not.
    let case = build((1, 2, 2, 2), Variant::Leaf, Phi::I, true, 0, 0, 0, 7);
    let (b, c) = case.missing[0];
    let plain = DiceSettings {
        variant: Variant::Dice,
        ..case.settings
    };
    let e_plain = evaluate_missing(case.y.view(), case.pred.view(), &plain, &case.missing).unwrap();
    let e_leaf = eval_pred(&case, &case.pred);
    assert_ne!(e_plain.grad_prob[[b, c, 0, 0]], 0.0);
    assert_eq!(e_leaf.grad_prob[[b, c, 0, 0]], 0.0);
    let f = |t: f64| {
        let mut p = case.pred.clone();
        p[[b, c, 0, 0]] += t;
        loss_of(&eval_pred(&case, &p))
    };
    assert_eq!(
        f(1e-3),
        f(-1e-3),
        "the loss does not depend on a missing cell"
    );
}
