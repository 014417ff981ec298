//! What one small gradient-descent step does to the probabilities ỹ — the quantity a
//! verdict on a label must judge, since ∂DL/∂ỹ of a cell alone misses the activation and,
//! with exclusive classes, the coupling of the classes of a pixel (raising the background
//! lowers the structure).
//!
//! The step is taken on the network's output, whose gradient the evaluation gives:
//! - **sigmoid / softmax**: the logits, z ← z − η·∂L/∂z, so to first order
//!   Δỹ = J·Δz = −η·J·∂L/∂z with J the activation's Jacobian (σ'(z) = ỹ(1−ỹ) per entry;
//!   diag(ỹ) − ỹỹᵀ per pixel for softmax, which is symmetric). Saturated probabilities
//!   (ỹ = 0 or 1) do not move.
//! - **no activation**: the probabilities themselves, ỹ ← ỹ − η·∂L/∂ỹ; with exclusive
//!   classes projected on the plane Σ_c ỹ_c = 1 (the steepest descent that keeps the
//!   classes of a pixel summing to 1: subtract the pixel's mean gradient over the
//!   classes). The bounds 0 ≤ ỹ ≤ 1 are not enforced: this is the first-order direction.
//!
//! The result is the *push* P = −Δỹ/η per pixel: positive where the step lowers ỹ, in the
//! units of ∂DL/∂ỹ (for independent classes without an activation it is ∂DL/∂ỹ itself).

use ndarray::{Array2, Array4, Axis, Zip};

use crate::engine::activation::Activation;
use crate::engine::loss::Evaluation;

/// The push P = −Δỹ/η of a small gradient step, per pixel.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbabilityStep {
    /// B×C×H×W; 0 where undefined.
    pub push: Array4<f64>,
    /// Per (b, c): the push has no value there, because the loss's gradient has none
    /// there or, when the step couples the classes, at some class of that image.
    pub undefined: Array2<bool>,
}

/// The push of the step on `e`'s output; `activation` is the one `e` was computed with,
/// `exclusive` says whether the probabilities of a pixel are tied to sum to 1 when there is
/// no activation (softmax ties them anyway; sigmoid never does).
pub fn probability_step(
    e: &Evaluation,
    activation: Activation,
    exclusive: bool,
) -> ProbabilityStep {
    let classes = e.grad_prob.dim().1;
    let couples = match activation {
        Activation::None => exclusive && classes > 1,
        Activation::Softmax => true,
        Activation::Sigmoid => false,
    };
    let mut undefined = e.grad_undefined.clone();
    if couples {
        for mut row in undefined.rows_mut() {
            if row.iter().any(|&u| u) {
                row.fill(true);
            }
        }
    }
    let mut push = match activation {
        Activation::None => {
            let mut g = e.grad_prob.clone();
            if couples {
                for mut column in g.lanes_mut(Axis(1)) {
                    let mean = column.sum() / classes as f64;
                    column -= mean;
                }
            }
            g
        }
        // J·∂L/∂z: the activation's backward pass is multiplication by its (symmetric)
        // Jacobian, the same rule the gradient itself went through.
        act => act.backward(e.prob.view(), e.grad().view()),
    };
    for ((b, c), &u) in undefined.indexed_iter() {
        if u {
            push.slice_mut(ndarray::s![b, c, .., ..]).fill(0.0);
        }
    }
    // Defensive: a NaN here would turn into a wrong verdict; the engine's gradients are
    // finite by construction, so this only guards the invariant.
    Zip::from(&mut push).for_each(|p| {
        if !p.is_finite() {
            *p = 0.0;
        }
    });
    ProbabilityStep { push, undefined }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::loss::{evaluate, evaluate_probs, DiceSettings};
    use crate::engine::phi::Phi;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    /// The push is the first-order change of ỹ: a real small step on the logits moves the
    /// probabilities by −η·P up to O(η²).
    #[test]
    fn push_is_the_first_order_change_of_a_logit_step() {
        let y = Array4::from_shape_vec(
            (2, 3, 1, 2),
            vec![1., 0., 0., 1., 0., 0., 0., 1., 1., 0., 0., 0.],
        )
        .unwrap();
        let z = Array4::from_shape_vec(
            (2, 3, 1, 2),
            vec![
                0.3, -1.0, 0.8, 0.1, -0.5, 2.0, 1.2, 0.4, -0.2, 0.9, 0.0, -1.5,
            ],
        )
        .unwrap();
        for act in [Activation::Sigmoid, Activation::Softmax] {
            let s = DiceSettings {
                phi: Phi::I,
                activation: act,
                ..DiceSettings::default()
            };
            let e = evaluate(y.view(), z.view(), &s).unwrap();
            let step = probability_step(&e, act, false);
            for eta in [1e-3, 5e-4] {
                let z2 = &z - &(e.grad() * eta);
                let p2 = act.apply(z2.view());
                let moved = (&e.prob - &p2) / eta;
                for (m, p) in moved.iter().zip(step.push.iter()) {
                    assert!(
                        (m - p).abs() <= 50.0 * eta * p.abs().max(1e-3),
                        "{act:?}: {m} vs {p}"
                    );
                }
            }
        }
    }

    #[test]
    fn without_activation_exclusive_classes_move_on_the_simplex() {
        let y = Array4::from_shape_vec((1, 2, 1, 2), vec![1., 0., 0., 1.]).unwrap();
        let p = Array4::from_shape_vec((1, 2, 1, 2), vec![0.6, 0.3, 0.4, 0.7]).unwrap();
        let s = DiceSettings::default();
        let e = evaluate_probs(y.view(), p, &s).unwrap();
        let free = probability_step(&e, Activation::None, false);
        assert_eq!(free.push, e.grad_prob);
        let tied = probability_step(&e, Activation::None, true);
        for j in 0..2 {
            let (g0, g1) = (e.grad_prob[[0, 0, 0, j]], e.grad_prob[[0, 1, 0, j]]);
            assert!(close(tied.push[[0, 0, 0, j]], (g0 - g1) / 2.0));
            assert!(close(tied.push[[0, 1, 0, j]], (g1 - g0) / 2.0));
        }
        // A class outside the loss has ∂DL/∂ỹ = 0 but still shares the pixel.
        let s = DiceSettings {
            include_background: false,
            ..DiceSettings::default()
        };
        let p = Array4::from_shape_vec((1, 2, 1, 2), vec![0.6, 0.3, 0.4, 0.7]).unwrap();
        let e = evaluate_probs(y.view(), p, &s).unwrap();
        let tied = probability_step(&e, Activation::None, true);
        assert!(close(
            tied.push[[0, 1, 0, 0]],
            e.grad_prob[[0, 1, 0, 0]] / 2.0
        ));
    }

    #[test]
    fn coupled_undefined_spreads_over_the_image() {
        // Image 1 is empty with no prediction and ε = 0: its class-1 set is 0/0.
        let y = Array4::from_shape_vec((2, 2, 1, 1), vec![0., 1., 1., 0.]).unwrap();
        let p = Array4::from_shape_vec((2, 2, 1, 1), vec![0.5, 0.5, 1., 0.]).unwrap();
        let s = DiceSettings {
            eps_nr: 0.0,
            eps_dr: 0.0,
            ..DiceSettings::default()
        };
        let e = evaluate_probs(y.view(), p, &s).unwrap();
        assert!(e.grad_prob_undefined[(1, 1)] && !e.grad_prob_undefined[(1, 0)]);
        let free = probability_step(&e, Activation::None, false);
        assert!(free.undefined[(1, 1)] && !free.undefined[(1, 0)]);
        let tied = probability_step(&e, Activation::None, true);
        assert!(tied.undefined[(1, 1)] && tied.undefined[(1, 0)]);
        assert!(!tied.undefined[(0, 0)] && !tied.undefined[(0, 1)]);
        assert!(tied.push.iter().all(|v| v.is_finite()));
    }
}
