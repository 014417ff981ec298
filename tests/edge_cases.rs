//! The edge cases of docs/science.md §3 with values derived by hand, and the engine's errors.
//!
//! Notation as in the paper: V = Σy, Ṽ = Σỹ, X = Σy·ỹ inside a set φ, U = V + Ṽ + ε_dr,
//! N = 2X + ε_nr, sDSC = N/U, and for a pixel of φ
//!
//! ```text
//! ∂DL/∂ỹ_i = −(1/|Φ|)·(2·y_i·U − N)/U²
//! ```
//!
//! so a pixel of a set without foreground (V = X = 0) gets ε_nr/(|Φ|·(Ṽ + ε_dr)²).
//! All images below are 2×2 (4 pixels) unless said otherwise; arrays are written in
//! B, C, H, W order.

mod common;

use dice_playground::engine::loss::Undefined;
use dice_playground::{
    evaluate, evaluate_probs, Activation, DiceError, DiceSettings, Evaluation, Phi,
};
use ndarray::{s, Array4};

fn arr(shape: (usize, usize, usize, usize), data: &[f64]) -> Array4<f64> {
    Array4::from_shape_vec(shape, data.to_vec()).expect("shape matches data")
}

fn settings(phi: Phi, eps_nr: f64, eps_dr: f64) -> DiceSettings {
    DiceSettings {
        phi,
        eps_nr,
        eps_dr,
        ..DiceSettings::default()
    }
}

fn run<'a>(y: &Array4<f64>, p: &'a Array4<f64>, s: &DiceSettings) -> Evaluation<'a> {
    evaluate(y.view(), p.view(), s).expect("valid input")
}

/// Equal up to a few rounding errors.
#[track_caller]
fn assert_close(actual: f64, expected: f64) {
    let tol = 1e-14 * expected.abs().max(f64::MIN_POSITIVE);
    assert!(
        (actual - expected).abs() <= tol,
        "got {actual:e}, expected {expected:e} (diff {:e})",
        (actual - expected).abs()
    );
}

/// Every pixel of cell (b, c) has ∂DL/∂ỹ = `expected`.
#[track_caller]
fn assert_cell_grad(e: &Evaluation, b: usize, c: usize, expected: f64) {
    for &g in e.grad_prob.slice(s![b, c, .., ..]).iter() {
        assert_close(g, expected);
    }
}

fn all_finite(e: &Evaluation) -> bool {
    e.grad()
        .iter()
        .chain(e.grad_prob.iter())
        .chain(e.prob.iter())
        .all(|v| v.is_finite())
        && e.loss.is_none_or(f64::is_finite)
}

// ---------------------------------------------------------------------------------------
// §3 point 2: an empty set barely pushes.

/// Φ = I, B = 2, C = 1: image 0 has foreground, image 1 none, with ỹ = [0.5, 0.25, 0, 0.25]
/// so Ṽ = 1. |Φ| = 2. Every pixel of image 1, including those with ỹ = 0, gets
/// ε_nr/(2·(1 + ε_dr)²):
/// - ε_nr = ε_dr = 0.5: 0.5/(2·1.5²) = 0.5/4.5 = 1/9;
/// - ε_nr = 0.25, ε_dr = 1: 0.25/(2·2²) = 1/32;
/// - ε_nr = 3, ε_dr = 0: 3/(2·1²) = 3/2.
#[test]
fn empty_set_push_is_eps_nr_over_sets_times_squared_denominator() {
    let y = arr((2, 1, 2, 2), &[1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let p = arr((2, 1, 2, 2), &[0.75, 0.5, 0.25, 0.0, 0.5, 0.25, 0.0, 0.25]);
    for (eps_nr, eps_dr, push) in [
        (0.5, 0.5, 1.0 / 9.0),
        (0.25, 1.0, 1.0 / 32.0),
        (3.0, 0.0, 1.5),
    ] {
        let e = run(&y, &p, &settings(Phi::I, eps_nr, eps_dr));
        assert_cell_grad(&e, 1, 0, push);
        let set = e.set_of_cell(1, 0).unwrap();
        assert_eq!(set.v, 0.0);
        assert_eq!(set.v_pred, 1.0);
        assert_eq!(set.grad_fg, None, "no foreground pixel");
        assert_close(set.grad_bg.unwrap(), push);
        // sDSC = ε_nr/(Ṽ + ε_dr).
        assert_close(set.sdsc.unwrap(), eps_nr / (1.0 + eps_dr));
    }
}

/// All labels empty, B = C = 2, ε_nr = ε_dr = 1, each cell a constant prediction:
/// (b=0,c=0) ỹ = 0.25 (Ṽ = 1), (0,1) 0.5 (Ṽ = 2), (1,0) 0.75 (Ṽ = 3), (1,1) 0 (Ṽ = 0).
/// The push 1/(|Φ|·(Ṽ_φ + 1)²) for each Φ:
/// - I   (|Φ| = 4): 1/(4·4) = 1/16, 1/(4·9) = 1/36, 1/(4·16) = 1/64, 1/(4·1) = 1/4;
/// - CI  (|Φ| = 2): image 0 Ṽ = 3 → 1/(2·16) = 1/32; image 1 Ṽ = 3 → 1/32;
/// - BI  (|Φ| = 2): class 0 Ṽ = 4 → 1/(2·25) = 1/50; class 1 Ṽ = 2 → 1/(2·9) = 1/18;
/// - BCI (|Φ| = 1): Ṽ = 6 → 1/49.
#[test]
fn empty_set_push_for_every_phi() {
    let y = Array4::<f64>::zeros((2, 2, 2, 2));
    let mut p = Array4::<f64>::zeros((2, 2, 2, 2));
    for ((b, c), q) in [((0, 0), 0.25), ((0, 1), 0.5), ((1, 0), 0.75), ((1, 1), 0.0)] {
        p.slice_mut(s![b, c, .., ..]).fill(q);
    }
    let cases: [(Phi, [f64; 4]); 4] = [
        (Phi::I, [1.0 / 16.0, 1.0 / 36.0, 1.0 / 64.0, 1.0 / 4.0]),
        (Phi::CI, [1.0 / 32.0; 4]),
        (Phi::BI, [1.0 / 50.0, 1.0 / 18.0, 1.0 / 50.0, 1.0 / 18.0]),
        (Phi::BCI, [1.0 / 49.0; 4]),
    ];
    for (phi, pushes) in cases {
        let e = run(&y, &p, &settings(phi, 1.0, 1.0));
        for (k, (b, c)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
            assert_cell_grad(&e, b, c, pushes[k]);
        }
    }
}

/// For a fixed Ṽ the push ε/(|Φ|·(Ṽ + ε)²) (ε_nr = ε_dr = ε) is largest at ε = Ṽ, where it
/// is Ṽ/(|Φ|·4Ṽ²) = 1/(4·|Φ|·Ṽ). Here B = C = 1 (|Φ| = 1), y = 0, ỹ = 0.5 everywhere:
/// Ṽ = 2, so the peak is 1/8 at ε = 2, e.g. ε = 1 gives 1/9 and ε = 4 gives 4/36 = 1/9.
#[test]
fn empty_set_push_peaks_at_eps_equal_to_predicted_volume() {
    let y = Array4::<f64>::zeros((1, 1, 2, 2));
    let p = Array4::<f64>::from_elem((1, 1, 2, 2), 0.5);
    let push = |eps: f64| run(&y, &p, &settings(Phi::I, eps, eps)).grad_prob[[0, 0, 0, 0]];
    assert_close(push(2.0), 1.0 / 8.0);
    assert_close(push(1.0), 1.0 / 9.0);
    assert_close(push(4.0), 1.0 / 9.0);
    for eps in [0.0, 1e-7, 0.5, 1.5, 1.99, 2.01, 3.0, 8.0, 1e4] {
        assert!(push(eps) < 1.0 / 8.0, "ε = {eps}: {}", push(eps));
    }
}

/// The same with |Φ| = 2 (Φ = I, a second image with foreground) and Ṽ = 0.5 (one pixel
/// at 0.5): the peak 1/(4·2·0.5) = 1/4 is reached at ε = 0.5.
#[test]
fn empty_set_push_peak_scales_with_one_over_sets_and_volume() {
    let y = arr((2, 1, 2, 2), &[0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    let p = arr((2, 1, 2, 2), &[0.5, 0.0, 0.0, 0.0, 0.9, 0.1, 0.0, 0.0]);
    let push = |eps: f64| run(&y, &p, &settings(Phi::I, eps, eps)).grad_prob[[0, 0, 0, 1]];
    assert_close(push(0.5), 0.25);
    for eps in [0.1, 0.4, 0.6, 2.0] {
        assert!(push(eps) < 0.25);
    }
}

/// Φ = I, B = 2: image 1 has no foreground but a false positive ỹ = 0.8 on all 4 pixels
/// (Ṽ = 3.2). Its push ε/(2·(3.2 + ε)²) vanishes with ε:
/// - ε = 1e-3: 1e-3/(2·3.201²) ≈ 4.88e-5;
/// - ε = 1e-7: 1e-7/(2·3.2²) = 1e-7/20.48 ≈ 4.88e-9;
/// - ε = 1e-12: ≈ 4.88e-14;
/// - ε = 0: N = 0, so exactly 0.
///
/// Meanwhile its loss term 1 − ε/(3.2 + ε) → 1 (§3 point 4: the loss hides it), and image 0
/// keeps a gradient of order 1/(|Φ|·U).
#[test]
fn image_wise_push_on_empty_image_vanishes_as_eps_goes_to_zero() {
    let y = arr((2, 1, 2, 2), &[1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let p = arr((2, 1, 2, 2), &[0.9, 0.8, 0.1, 0.0, 0.8, 0.8, 0.8, 0.8]);
    let mut previous = f64::INFINITY;
    for eps in [1e-3, 1e-7, 1e-12, 0.0] {
        let e = run(&y, &p, &settings(Phi::I, eps, eps));
        let push = e.grad_prob[[1, 0, 0, 0]];
        assert_cell_grad(&e, 1, 0, eps / (2.0 * (3.2 + eps) * (3.2 + eps)));
        assert!(push < previous);
        previous = push;
        let term = e.sets[1].term.unwrap();
        assert_close(term, 1.0 - eps / (3.2 + eps));
        // Image 0: V = 2, Ṽ = 1.8, X = 1.7, U ≈ 3.8; its foreground pixels get
        // −(2U − N)/(2U²) ≈ −(7.6 − 3.4)/(2·14.44) ≈ −0.145.
        assert!(e.grad_prob[[0, 0, 0, 0]] < -0.1);
    }
    let tiny = run(&y, &p, &settings(Phi::I, 1e-7, 1e-7));
    assert!(tiny.grad_prob[[1, 0, 0, 0]] < 1e-8);
    let zero = run(&y, &p, &settings(Phi::I, 0.0, 0.0));
    assert!(zero
        .grad_prob
        .slice(s![1, 0, .., ..])
        .iter()
        .all(|&g| g == 0.0));
    assert_eq!(zero.sets[1].sdsc, Some(0.0));
    assert_eq!(zero.sets[1].term, Some(1.0));
}

// ---------------------------------------------------------------------------------------
// §3 point 3: sets that span several images share the push.

/// Φ = BI, B = 2, C = 1, ε = 0.
/// Image 0: y = [1, 1, 1, 0], ỹ = [1, 1, 0.5, 0]; image 1: y = 0, ỹ = [0.5, 0.5, 0, 0].
/// The one set (|Φ| = 1): V = 3, Ṽ = 2.5 + 1 = 3.5, X = 2.5, U = 6.5, N = 5,
/// sDSC = 5/6.5 = 10/13.
/// - background (y = 0, including all of image 1): sDSC/(|Φ|·U) = (10/13)/6.5 = 20/169;
/// - foreground: −(2U − N)/U² = −(13 − 5)/42.25 = −32/169.
///
/// Under Φ = I the same image 1 is its own set with N = 0: push exactly 0.
#[test]
fn batch_wise_empty_image_gets_the_sets_background_gradient() {
    let y = arr((2, 1, 2, 2), &[1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let p = arr((2, 1, 2, 2), &[1.0, 1.0, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0]);
    let e = run(&y, &p, &settings(Phi::BI, 0.0, 0.0));
    let set = &e.sets[0];
    assert_eq!((set.v, set.v_pred, set.x), (3.0, 3.5, 2.5));
    assert_close(set.sdsc.unwrap(), 10.0 / 13.0);
    assert_cell_grad(&e, 1, 0, 20.0 / 169.0);
    assert_close(e.grad_prob[[0, 0, 1, 1]], 20.0 / 169.0);
    for i in 0..3 {
        assert_close(e.grad_prob[[0, 0, i / 2, i % 2]], -32.0 / 169.0);
    }
    assert_close(set.grad_bg.unwrap(), 20.0 / 169.0);
    assert_close(set.grad_fg.unwrap(), -32.0 / 169.0);
    // ∂DL/∂ỹ = −(1/|Φ|)·(2y − sDSC)/U when ε_nr = ε_dr: background sDSC/U.
    assert_close(set.grad_bg.unwrap(), set.sdsc.unwrap() / 6.5);

    let image_wise = run(&y, &p, &settings(Phi::I, 0.0, 0.0));
    assert!(image_wise
        .grad_prob
        .slice(s![1, 0, .., ..])
        .iter()
        .all(|&g| g == 0.0));
}

/// The same foreground class with its complement as class 0 (y₀ = 1 − y₁, ỹ₀ = 1 − ỹ₁).
/// With the background included, Φ = BI has |Φ| = 2 sets, so class 1's values halve:
/// background 10/169, foreground −16/169. Without the background |Φ| = 1 again: 20/169
/// and −32/169.
#[test]
fn batch_wise_push_is_divided_by_the_number_of_sets() {
    let y1 = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let p1 = [1.0, 1.0, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0];
    let mut y = Array4::<f64>::zeros((2, 2, 2, 2));
    let mut p = Array4::<f64>::zeros((2, 2, 2, 2));
    for k in 0..8 {
        let (b, i, j) = (k / 4, (k % 4) / 2, k % 2);
        y[[b, 1, i, j]] = y1[k];
        p[[b, 1, i, j]] = p1[k];
        y[[b, 0, i, j]] = 1.0 - y1[k];
        p[[b, 0, i, j]] = 1.0 - p1[k];
    }
    let with_bg = run(&y, &p, &settings(Phi::BI, 0.0, 0.0));
    assert_eq!(with_bg.sets.len(), 2);
    assert_cell_grad(&with_bg, 1, 1, 10.0 / 169.0);
    assert_close(with_bg.grad_prob[[0, 1, 0, 0]], -16.0 / 169.0);

    let without_bg = run(
        &y,
        &p,
        &DiceSettings {
            include_background: false,
            ..settings(Phi::BI, 0.0, 0.0)
        },
    );
    assert_eq!(without_bg.sets.len(), 1);
    assert_cell_grad(&without_bg, 1, 1, 20.0 / 169.0);
    assert_close(without_bg.grad_prob[[0, 1, 0, 0]], -32.0 / 169.0);
    // The excluded class gets no gradient and belongs to no set.
    assert!(without_bg
        .grad_prob
        .slice(s![.., 0, .., ..])
        .iter()
        .all(|&g| g == 0.0));
    assert_eq!(without_bg.cell_set[(0, 0)], None);
}

// ---------------------------------------------------------------------------------------
// §3 point 2 (end) and point 4: no foreground and no prediction.

/// Φ = I, B = 2, C = 1, ε_nr = ε_dr = 0. Image 1 has y = 0 and ỹ = 0: V = Ṽ = X = 0, so
/// sDSC = 0/0. The loss has no value (`None`), the set says why, its pixels' gradient is
/// reported as undefined (and stored as 0, never NaN), and image 0 keeps its gradient:
/// y = [1, 0, 0, 0], ỹ = [0.5, 0, 0, 0]: U = 1.5, N = 1, foreground
/// −(2·1.5 − 1)/(2·2.25) = −4/9, background 1/(2·2.25) = 2/9.
#[test]
fn no_foreground_no_prediction_and_zero_eps_is_undefined() {
    let y = arr((2, 1, 2, 2), &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let p = arr((2, 1, 2, 2), &[0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let e = run(&y, &p, &settings(Phi::I, 0.0, 0.0));
    assert_eq!(e.loss, None);
    let set = &e.sets[1];
    assert_eq!(set.undefined, Some(Undefined::ZeroOverZero));
    assert_eq!((set.numerator, set.denominator), (0.0, 0.0));
    assert_eq!(
        (set.sdsc, set.term, set.grad_fg, set.grad_bg),
        (None, None, None, None)
    );
    assert!(e.grad_prob_undefined[(1, 0)]);
    assert!(e.grad_undefined[(1, 0)]);
    assert!(!e.grad_prob_undefined[(0, 0)]);
    assert!(all_finite(&e));
    assert!(e
        .grad_prob
        .slice(s![1, 0, .., ..])
        .iter()
        .all(|&g| g == 0.0));
    let reasons = e.undefined_reasons();
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("(b=1, c=0)") && reasons[0].contains("0/0"),
        "{}",
        reasons[0]
    );
    // The defined set is untouched by its neighbour.
    assert_close(e.grad_prob[[0, 0, 0, 0]], -4.0 / 9.0);
    assert_close(e.grad_prob[[0, 0, 1, 1]], 2.0 / 9.0);
    assert_eq!(e.sets[0].sdsc, Some(2.0 / 3.0));
}

/// ε_nr > 0 but ε_dr = 0 with V = Ṽ = 0: ε_nr/0, also undefined, with its own reason;
/// ε_dr so small next to ε_nr that the push ε_nr/ε_dr² overflows: undefined too.
#[test]
fn division_by_zero_and_overflow_are_undefined_with_reasons() {
    let y = Array4::<f64>::zeros((1, 1, 2, 2));
    let p = Array4::<f64>::zeros((1, 1, 2, 2));
    let e = run(&y, &p, &settings(Phi::I, 1e-5, 0.0));
    assert_eq!(e.loss, None);
    assert_eq!(e.sets[0].undefined, Some(Undefined::DivisionByZero));
    assert!(e.undefined_reasons()[0].contains("ε_nr/0"));
    assert!(all_finite(&e));

    // sDSC = 1/1e-300 = 1e300 is a float, but the push 1/1e-600 is not.
    let e = run(&y, &p, &settings(Phi::I, 1.0, 1e-300));
    assert_eq!(e.loss, None);
    assert_eq!(e.sets[0].undefined, Some(Undefined::Overflow));
    assert!(all_finite(&e));
}

/// A denominator floor (nnU-Net 1e-8, smp 1e-7) turns the 0/0 into 0/floor = 0: defined,
/// term 1, and no gradient (y = 0 everywhere and the floor cuts the denominator's).
#[test]
fn a_denominator_floor_defines_the_empty_empty_set() {
    let y = Array4::<f64>::zeros((1, 1, 2, 2));
    let p = Array4::<f64>::zeros((1, 1, 2, 2));
    let e = run(
        &y,
        &p,
        &DiceSettings {
            denominator_floor: 1e-8,
            ..settings(Phi::I, 0.0, 0.0)
        },
    );
    assert_eq!(e.loss, Some(1.0));
    let set = &e.sets[0];
    assert!(set.floored);
    assert_eq!(set.undefined, None);
    assert_eq!(set.denominator, 1e-8);
    assert!(e.grad_prob.iter().all(|&g| g == 0.0));
}

/// Softmax over C = 2 with class 1's logits at −1000: ỹ₁ = exp(−1000)/(…) = 0 exactly and
/// y₁ = 0, so with ε = 0 class 1's set is 0/0. Class 0 is all foreground with ỹ₀ = 1:
/// V = Ṽ = X = 4, U = 8, N = 8, sDSC = 1 and ∂DL/∂ỹ₀ = −(2·8 − 8)/(2·64) = −1/16 is
/// defined, but the softmax mixes the classes of each pixel, so the gradient w.r.t. both
/// logits is undefined.
#[test]
fn softmax_spreads_an_undefined_class_over_the_pixel() {
    let y = arr((1, 2, 2, 2), &[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let z = arr(
        (1, 2, 2, 2),
        &[0.0, 0.0, 0.0, 0.0, -1000.0, -1000.0, -1000.0, -1000.0],
    );
    let e = run(
        &y,
        &z,
        &DiceSettings {
            activation: Activation::Softmax,
            ..settings(Phi::I, 0.0, 0.0)
        },
    );
    assert_eq!(e.loss, None);
    assert_eq!(e.sets[1].undefined, Some(Undefined::ZeroOverZero));
    assert_eq!(e.sets[0].sdsc, Some(1.0));
    assert!(!e.grad_prob_undefined[(0, 0)]);
    assert!(e.grad_prob_undefined[(0, 1)]);
    assert!(e.grad_undefined[(0, 0)] && e.grad_undefined[(0, 1)]);
    assert_cell_grad(&e, 0, 0, -1.0 / 16.0);
    assert!(e.grad().iter().all(|&g| g == 0.0));
    assert!(all_finite(&e));
}

/// ε > 0, V = 0, Ṽ = 0 (ε_nr = ε_dr = ε): sDSC = (0 + ε)/(0 + 0 + ε) = 1 exactly (x/x is
/// exact in IEEE arithmetic), term 0, loss 0: "a perfect 1". The push is then
/// ε/(|Φ|·ε²) = 1/ε, far from small.
#[test]
fn smoothing_with_no_foreground_and_no_prediction_scores_exactly_one() {
    let y = Array4::<f64>::zeros((1, 1, 2, 2));
    let p = Array4::<f64>::zeros((1, 1, 2, 2));
    for eps in [1e-7, 1e-5, 0.3, 1.0, 8.8e3, 1.24e4] {
        let e = run(&y, &p, &settings(Phi::I, eps, eps));
        assert_eq!(e.sets[0].sdsc, Some(1.0), "ε = {eps}");
        assert_eq!(e.sets[0].term, Some(0.0));
        assert_eq!(e.loss, Some(0.0));
        assert_cell_grad(&e, 0, 0, 1.0 / eps);
    }
    // Under every Φ (here all one set of one image and class).
    for phi in Phi::ALL {
        assert_eq!(
            run(&y, &p, &settings(phi, 1e-5, 1e-5)).sets[0].sdsc,
            Some(1.0)
        );
    }
}

// ---------------------------------------------------------------------------------------
// The variants of the denominator (docs/science.md §2–§3).

/// Squared denominator, B = C = 1, a 1×2 image, ε = 0: y = [1, 0], ỹ = [0.5, 0.5].
/// V = Σy² = 1, Ṽ = Σỹ² = 0.5, X = 0.5, U = 1.5, N = 1, sDSC = 2/3.
/// ∂DL/∂ỹ_i = −(2·y_i·U − N·2ỹ_i)/U²: foreground −(3 − 1)/2.25 = −8/9,
/// background −(0 − 1)/2.25 = 4/9. The per-set value depends on ỹ, so none is reported.
#[test]
fn squared_denominator_scales_the_second_term_by_two_y_tilde() {
    let y = arr((1, 1, 1, 2), &[1.0, 0.0]);
    let p = arr((1, 1, 1, 2), &[0.5, 0.5]);
    let e = run(
        &y,
        &p,
        &DiceSettings {
            squared: true,
            ..settings(Phi::I, 0.0, 0.0)
        },
    );
    assert_close(e.sets[0].sdsc.unwrap(), 2.0 / 3.0);
    assert_close(e.grad_prob[[0, 0, 0, 0]], -8.0 / 9.0);
    assert_close(e.grad_prob[[0, 0, 0, 1]], 4.0 / 9.0);
    assert_eq!((e.sets[0].grad_fg, e.sets[0].grad_bg), (None, None));
}

/// Jaccard, same image, ε = 0: D = 2·(V + Ṽ − X) = 2·(1 + 1 − 0.5) = 3, N = 1, score 1/3
/// (= X/(V + Ṽ − X) = 0.5/1.5). ∂D/∂ỹ_i = 2·(1 − y_i), so
/// ∂DL/∂ỹ_i = −(2y_i/D − N/D²·2(1 − y_i)): foreground −2/3, background 2/9.
#[test]
fn jaccard_denominator() {
    let y = arr((1, 1, 1, 2), &[1.0, 0.0]);
    let p = arr((1, 1, 1, 2), &[0.5, 0.5]);
    let e = run(
        &y,
        &p,
        &DiceSettings {
            jaccard: true,
            ..settings(Phi::I, 0.0, 0.0)
        },
    );
    assert_close(e.sets[0].sdsc.unwrap(), 1.0 / 3.0);
    assert_close(e.grad_prob[[0, 0, 0, 0]], -2.0 / 3.0);
    assert_close(e.grad_prob[[0, 0, 0, 1]], 2.0 / 9.0);
}

// ---------------------------------------------------------------------------------------
// Errors.

fn ones(shape: (usize, usize, usize, usize)) -> Array4<f64> {
    Array4::from_elem(shape, 1.0)
}

#[test]
fn shape_mismatch_is_an_error() {
    let y = ones((1, 1, 2, 2));
    let p = ones((1, 1, 2, 3));
    let want = DiceError::ShapeMismatch(vec![1, 1, 2, 2], vec![1, 1, 2, 3]);
    assert_eq!(
        evaluate(y.view(), p.view(), &DiceSettings::default()).unwrap_err(),
        want
    );
    assert_eq!(
        evaluate_probs(y.view(), p, &DiceSettings::default()).unwrap_err(),
        want
    );
}

#[test]
fn empty_dimension_is_an_error() {
    let y = ones((1, 0, 2, 2));
    assert_eq!(
        evaluate(y.view(), y.view(), &DiceSettings::default()).unwrap_err(),
        DiceError::EmptyDimension(vec![1, 0, 2, 2])
    );
}

#[test]
fn negative_or_non_finite_smoothing_is_an_error() {
    let y = ones((1, 1, 2, 2));
    let check = |s: DiceSettings, name: &str| match evaluate(y.view(), y.view(), &s) {
        Err(DiceError::BadSmoothing { name: n, .. }) => assert_eq!(n, name),
        other => panic!("{name}: expected BadSmoothing, got {other:?}"),
    };
    check(settings(Phi::I, -1e-5, 1e-5), "eps_nr");
    check(settings(Phi::I, 1e-5, -1.0), "eps_dr");
    check(settings(Phi::I, f64::NAN, 1e-5), "eps_nr");
    check(settings(Phi::I, 1e-5, f64::INFINITY), "eps_dr");
    check(
        DiceSettings {
            denominator_floor: -1e-8,
            ..DiceSettings::default()
        },
        "denominator_floor",
    );
    assert_eq!(
        evaluate(y.view(), y.view(), &settings(Phi::BI, -1e-5, 0.0)).unwrap_err(),
        DiceError::BadSmoothing {
            name: "eps_nr",
            value: -1e-5
        }
    );
}

#[test]
fn probability_outside_unit_interval_is_an_error() {
    let y = ones((1, 1, 2, 2));
    for bad in [1.5, -0.25, 1.0 + f64::EPSILON] {
        let p = arr((1, 1, 2, 2), &[0.5, bad, 0.5, 0.5]);
        assert_eq!(
            evaluate(y.view(), p.view(), &DiceSettings::default()).unwrap_err(),
            DiceError::ProbabilityOutOfRange {
                index: 1,
                value: bad
            }
        );
        // Even with an activation, `evaluate_probs` takes probabilities.
        let sig = DiceSettings {
            activation: Activation::Sigmoid,
            ..DiceSettings::default()
        };
        assert_eq!(
            evaluate_probs(y.view(), p.clone(), &sig).unwrap_err(),
            DiceError::ProbabilityOutOfRange {
                index: 1,
                value: bad
            }
        );
        // … while `evaluate` with a sigmoid reads them as logits.
        assert!(evaluate(y.view(), p.view(), &sig).is_ok());
    }
    let p = arr((1, 1, 2, 2), &[0.5, 0.5, 0.5, f64::NAN]);
    assert!(matches!(
        evaluate(y.view(), p.view(), &DiceSettings::default()),
        Err(DiceError::ProbabilityOutOfRange { index: 3, .. })
    ));
    let sig = DiceSettings {
        activation: Activation::Sigmoid,
        ..DiceSettings::default()
    };
    assert_eq!(
        evaluate(y.view(), p.view(), &sig).unwrap_err(),
        DiceError::NonFiniteLogit { index: 3 }
    );
}

#[test]
fn label_outside_unit_interval_is_an_error() {
    let y = arr((1, 1, 2, 2), &[0.0, 1.0, 2.0, 0.0]);
    let p = ones((1, 1, 2, 2));
    assert_eq!(
        evaluate(y.view(), p.view(), &DiceSettings::default()).unwrap_err(),
        DiceError::LabelOutOfRange {
            index: 2,
            value: 2.0
        }
    );
}

#[test]
fn softmax_with_one_class_is_an_error() {
    let y = ones((2, 1, 2, 2));
    let s = DiceSettings {
        activation: Activation::Softmax,
        ..DiceSettings::default()
    };
    assert_eq!(
        evaluate(y.view(), y.view(), &s).unwrap_err(),
        DiceError::SoftmaxOneClass(1)
    );
    assert_eq!(
        evaluate_probs(y.view(), y.clone(), &s).unwrap_err(),
        DiceError::SoftmaxOneClass(1)
    );
}

#[test]
fn excluding_the_only_class_leaves_no_class() {
    let y = ones((2, 1, 2, 2));
    let s = DiceSettings {
        include_background: false,
        ..DiceSettings::default()
    };
    assert_eq!(
        evaluate(y.view(), y.view(), &s).unwrap_err(),
        DiceError::NoClassLeft(1)
    );
}

#[test]
fn softmax_probabilities_must_sum_to_one() {
    let y = ones((1, 2, 1, 2));
    // Pixel 0: 0.5 + 0.5 = 1; pixel 1: 0.5 + 0.25 = 0.75.
    let p = arr((1, 2, 1, 2), &[0.5, 0.5, 0.5, 0.25]);
    let s = DiceSettings {
        activation: Activation::Softmax,
        ..DiceSettings::default()
    };
    assert_eq!(
        evaluate_probs(y.view(), p, &s).unwrap_err(),
        DiceError::SoftmaxNotNormalised {
            b: 0,
            pixel: 1,
            sum: 0.75
        }
    );
}

/// B = 1, C = 2, one pixel, y = ỹ = 0, Φ = I, ε_nr = 1e308, ε_dr = 0, floor 1: each set
/// has D = max(0, 1) = 1 and sDSC = 1e308, term 1 − 1e308; the floor zeroes the N/D²
/// factor, so only the score itself is huge. Summing two such terms would overflow to
/// −inf, so the engine reports these sets as overflowing instead of returning a number.
#[test]
fn a_huge_score_hidden_by_the_floor_is_an_overflow_not_minus_infinity() {
    let y = Array4::<f64>::zeros((1, 2, 1, 1));
    let e = run(
        &y,
        &y,
        &DiceSettings {
            denominator_floor: 1.0,
            ..settings(Phi::I, 1e308, 0.0)
        },
    );
    assert_eq!(e.sets[0].undefined, Some(Undefined::Overflow));
    assert_eq!(e.sets[0].sdsc, None);
    assert_eq!(e.loss, None);
    assert!(e.undefined_reasons()[0].contains("overflow"));
    assert!(all_finite(&e));
}

// ---------------------------------------------------------------------------------------
// The leaf and marginal Dice: bad combinations are errors, with their reason.

fn variant(v: dice_playground::Variant) -> DiceSettings {
    DiceSettings {
        variant: v,
        ..DiceSettings::default()
    }
}

#[test]
fn a_variant_without_its_list_is_refused_not_guessed() {
    use dice_playground::Variant;
    let y = arr((1, 2, 1, 2), &[1.0, 0.0, 0.0, 1.0]);
    let p = arr((1, 2, 1, 2), &[0.5, 0.5, 0.5, 0.5]);
    for v in [Variant::Leaf, Variant::Marginal] {
        let err = evaluate(y.view(), p.view(), &variant(v)).unwrap_err();
        assert_eq!(err, DiceError::VariantNeedsMissing(v.label()));
        assert!(evaluate_probs(y.view(), p.clone(), &variant(v)).is_err());
        // An empty list is an answer: no label is missing, the plain Dice.
        let e = dice_playground::evaluate_missing(y.view(), p.view(), &variant(v), &[]).unwrap();
        assert_eq!(e.loss, run(&y, &p, &DiceSettings::default()).loss);
    }
}

#[test]
fn bad_missing_cells_and_marginal_combinations_are_errors() {
    use dice_playground::{evaluate_missing, evaluate_probs_missing, Variant};
    let y = arr((1, 2, 1, 2), &[1.0, 0.0, 0.0, 1.0]);
    let p = arr((1, 2, 1, 2), &[0.5, 0.5, 0.5, 0.5]);
    let leaf = variant(Variant::Leaf);
    let marginal = variant(Variant::Marginal);
    let err = |s: &DiceSettings, m: &[(usize, usize)]| {
        evaluate_missing(y.view(), p.view(), s, m).unwrap_err()
    };
    assert!(matches!(
        err(&leaf, &[(1, 1)]),
        DiceError::MissingCellOutOfRange { b: 1, c: 1, .. }
    ));
    assert!(matches!(
        err(&leaf, &[(0, 2)]),
        DiceError::MissingCellOutOfRange { .. }
    ));
    assert_eq!(err(&leaf, &[(0, 0)]), DiceError::MissingBackground { b: 0 });
    // The marginal Dice needs exclusive classes and the background.
    let sig = DiceSettings {
        activation: Activation::Sigmoid,
        ..marginal
    };
    assert_eq!(err(&sig, &[(0, 1)]), DiceError::MarginalSigmoid);
    let no_bg = DiceSettings {
        include_background: false,
        ..marginal
    };
    assert_eq!(err(&no_bg, &[(0, 1)]), DiceError::MarginalWithoutBackground);
    let one = arr((1, 1, 1, 2), &[1.0, 0.0]);
    assert_eq!(
        evaluate_missing(one.view(), one.view(), &marginal, &[]).unwrap_err(),
        DiceError::MarginalOneClass(1)
    );
    let unnormalised = arr((1, 2, 1, 2), &[0.5, 0.2, 0.5, 0.5]);
    let e = evaluate_probs_missing(y.view(), unnormalised.clone(), &marginal, &[(0, 1)]);
    assert!(matches!(
        e.unwrap_err(),
        DiceError::MarginalNotExclusive { b: 0, pixel: 1, .. }
    ));
    // The leaf Dice has no such need.
    evaluate_probs_missing(y.view(), unnormalised, &leaf, &[(0, 1)]).unwrap();
    // Every message says what to do.
    for e in [
        DiceError::MarginalSigmoid,
        DiceError::MarginalWithoutBackground,
        DiceError::VariantNeedsMissing("leaf Dice"),
    ] {
        let m = e.to_string();
        assert!(
            m.contains("softmax") || m.contains("include_background") || m.contains("list"),
            "{m}"
        );
    }
}

#[test]
fn a_bad_value_in_a_missing_cell_is_still_an_error() {
    use dice_playground::{evaluate_missing, Variant};
    // Zeroing the missing cell would hide these values from the sums.
    let y = arr((1, 2, 1, 2), &[1.0, 0.0, 0.0, 2.0]);
    let p = arr((1, 2, 1, 2), &[0.5, 0.5, 0.5, 0.5]);
    let leaf = variant(Variant::Leaf);
    assert!(matches!(
        evaluate_missing(y.view(), p.view(), &leaf, &[(0, 1)]).unwrap_err(),
        DiceError::LabelOutOfRange { index: 3, .. }
    ));
    let y = arr((1, 2, 1, 2), &[1.0, 0.0, 0.0, 1.0]);
    let p = arr((1, 2, 1, 2), &[0.5, 0.5, 0.5, f64::NAN]);
    assert!(matches!(
        evaluate_missing(y.view(), p.view(), &leaf, &[(0, 1)]).unwrap_err(),
        DiceError::ProbabilityOutOfRange { index: 3, .. }
    ));
}

/// A set made only of missing cells scores 0 with no gradient even with ε = 0, where the
/// plain Dice is 0/0; it still counts in |Φ|.
#[test]
fn a_set_of_missing_cells_is_a_constant_zero_score() {
    use dice_playground::{evaluate_missing, Variant};
    let y = arr((2, 2, 1, 2), &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    let p = arr((2, 2, 1, 2), &[0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 0.0, 0.0]);
    let s = DiceSettings {
        phi: Phi::I,
        eps_nr: 0.0,
        eps_dr: 0.0,
        include_background: false,
        variant: Variant::Leaf,
        ..DiceSettings::default()
    };
    let plain = DiceSettings {
        variant: Variant::Dice,
        ..s
    };
    assert!(run(&y, &p, &plain).loss.is_none(), "plain: 0/0");
    let e = evaluate_missing(y.view(), p.view(), &s, &[(1, 1)]).unwrap();
    let set = e.set_of_cell(1, 1).unwrap();
    assert!(set.constant && set.undefined.is_none());
    assert_eq!((set.sdsc, set.term), (Some(0.0), Some(1.0)));
    // Set (0,1): V = 1, Ṽ = 1, X = 0.5: sDSC = 1/2; loss = (1/2 + 1)/2.
    assert_close(e.loss.unwrap(), 0.75);
    assert_cell_grad(&e, 1, 1, 0.0);
    assert!(all_finite(&e));
}

/// Fuzz finding: y = 0, ỹ = 1e-300 and ε = 0. The set has no foreground, so its loss term
/// is 1 − 0/1e-300 = 1 and every gradient is ε_nr/(Ṽ + ε_dr)² = 0. The factor 2/D of the
/// y-term is 2e300 (∞ for a subnormal ỹ) but multiplies y = 0 everywhere: it must neither
/// be reported as an overflow nor turn ∞·0 into NaN.
#[test]
fn no_foreground_and_a_tiny_prediction_is_loss_one_not_an_overflow() {
    let y = arr((1, 1, 1, 1), &[0.0]);
    for tiny in [1e-300, 1e-310, 5e-324] {
        let p = arr((1, 1, 1, 1), &[tiny]);
        let e = run(&y, &p, &settings(Phi::I, 0.0, 0.0));
        assert_eq!(e.sets[0].undefined, None, "ỹ = {tiny:e}");
        assert_eq!(e.loss, Some(1.0));
        assert_eq!(e.grad_prob[[0, 0, 0, 0]], 0.0);
        assert!(all_finite(&e));
    }
    // Fuzz finding: with foreground only in tiny labels the factor 2w/D is
    // 2e300, but the y-term 2w·y_i/D is at most 2w (D ≥ Σy): the loss is 1 and the
    // gradient −2·y_i/D ≈ −2 on that pixel, not an overflow.
    let y = arr((1, 1, 1, 2), &[1e-300, 0.0]);
    let p = arr((1, 1, 1, 2), &[0.0, 1e-310]);
    let e = run(&y, &p, &settings(Phi::I, 0.0, 0.0));
    assert_eq!(e.sets[0].undefined, None);
    assert_eq!(e.loss, Some(1.0));
    assert!((e.grad_prob[[0, 0, 0, 0]] + 2.0).abs() < 1e-9);
    assert_eq!(e.grad_prob[[0, 0, 0, 1]], 0.0);
    assert!(all_finite(&e));
    // A score that really exceeds 1e300 is still reported (ε_nr = 1e308 over D = 1).
    let y = arr((1, 1, 1, 2), &[1.0, 0.0]);
    let p = arr((1, 1, 1, 2), &[0.0, 0.0]);
    let e = run(&y, &p, &settings(Phi::I, 1e308, 0.0));
    assert_eq!(e.sets[0].undefined, Some(Undefined::Overflow));
    assert!(e.undefined_reasons()[0].contains("denominator is nearly 0"));
}

/// Fuzz finding: with equal ε the score is at most 1 mathematically, but the rounded sums
/// of the squared Jaccard denominator gave sDSC = 1 + 2.2e-16 here (loss −2.2e-16). The
/// engine clamps the score where the mathematics bounds it.
#[test]
fn rounding_never_takes_the_loss_out_of_zero_one_with_equal_eps() {
    let y = arr((1, 1, 1, 4), &[1.0; 4]);
    let p = arr(
        (1, 1, 1, 4),
        &[
            0.9999999949539108,
            0.9999999994913813,
            0.9999999952611052,
            0.999999995942678,
        ],
    );
    let s = DiceSettings {
        squared: true,
        jaccard: true,
        ..settings(Phi::I, 1e-7, 1e-7)
    };
    let e = run(&y, &p, &s);
    assert_eq!(e.sets[0].sdsc, Some(1.0));
    assert_eq!(e.loss, Some(0.0));
    // A sweep of near-perfect predictions over every denominator form and Φ.
    let mut draws = common::Draws::new(1);
    let mut next = move || draws.unit();
    for trial in 0..4000 {
        let n = 1 + trial % 9;
        let y = Array4::from_shape_fn((2, 2, 1, n), |_| f64::from(next() < 0.8));
        let p = y.mapv(|v| {
            if v == 1.0 {
                1.0 - next() * 1e-8
            } else {
                next() * 1e-9
            }
        });
        let eps = [0.0, 1e-5, 1e-7, 1.0][trial % 4];
        let s = DiceSettings {
            squared: trial % 2 == 0,
            jaccard: trial % 3 == 0,
            ..settings(Phi::ALL[trial % 4], eps, eps)
        };
        if let Some(loss) = run(&y, &p, &s).loss {
            assert!((0.0..=1.0).contains(&loss), "trial {trial}: loss {loss:e}");
        }
    }
}

/// ε_nr > ε_dr lets a set score above 1, so the loss can be negative (a link once
/// showed −2.4e298); the settings say so, with the bound 1 − ε_nr/max(ε_dr, floor).
#[test]
fn settings_say_when_the_loss_can_leave_zero_one() {
    for (nr, dr, bounded) in [(1e-5, 1e-5, true), (0.0, 1e-5, true), (1.0, 0.1, false)] {
        let s = settings(Phi::I, nr, dr);
        assert_eq!(s.loss_bounded(), bounded);
        assert_eq!(s.loss_range_warning().is_some(), !bounded);
    }
    // An empty set with no prediction scores ε_nr/ε_dr = 10: loss 1 − 10 = −9, the bound.
    let s = settings(Phi::I, 1.0, 0.1);
    let w = s.loss_range_warning().unwrap();
    assert!(w.contains("bounded below only by -9"), "{w}");
    let z = arr((1, 1, 1, 2), &[0.0, 0.0]);
    assert_close(run(&z, &z, &s).loss.unwrap(), -9.0);
    // With a floor above ε_dr the bound is 1 − (floor − ε_dr + ε_nr)/floor.
    let floored = DiceSettings {
        denominator_floor: 2.0,
        ..s
    };
    let w = floored.loss_range_warning().unwrap();
    assert!(w.contains("-0.45") && w.contains("ε_nr/floor"), "{w}");
    let w = settings(Phi::I, 1e-5, 0.0).loss_range_warning().unwrap();
    assert!(w.contains("no lower bound"), "{w}");
}
