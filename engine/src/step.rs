//! What one small gradient-descent step does to the probabilities ỹ — the quantity a
//! verdict on a label must judge, since ∂DL/∂ỹ of a cell alone misses the coupling of the
//! classes of a pixel (raising the background lowers the structure).
//!
//! Two steps, both as a *push* P = −Δỹ/η per pixel (positive where the step lowers ỹ, in
//! the units of ∂DL/∂ỹ):
//! - [`loss_push`], what the verdicts judge: the steepest-descent step on the
//!   probabilities themselves, ỹ ← ỹ − η·∂L/∂ỹ; where the classes of a pixel are tied to
//!   sum to 1 (softmax, or exclusive classes without an activation) projected on the plane
//!   Σ_c ỹ_c = 1, i.e. minus the pixel's mean gradient over the classes. It is what the
//!   loss asks of the probabilities, whatever network produces them.
//! - [`probability_step`], the step a network of free logits takes: with sigmoid or
//!   softmax on the logits, z ← z − η·∂L/∂z, so to first order Δỹ = J·Δz = −η·J·∂L/∂z with
//!   J the activation's Jacobian (σ'(z) = ỹ(1−ỹ) per entry; diag(ỹ) − ỹỹᵀ per pixel for
//!   softmax, which is symmetric); without an activation the same as [`loss_push`].
//!   Through a sigmoid this is the loss push times (ỹ(1−ỹ))², through a two-class softmax
//!   times 4·(ỹ₀ỹ₁)²: the same direction, shrunk by how confident the prediction already
//!   is. That factor is why the verdicts do not judge it: a converged network, or one that
//!   has already erased a structure, makes every push look like none (docs/science.md §11).
//!
//! The bounds 0 ≤ ỹ ≤ 1 are not enforced: this is the first-order direction.

use ndarray::{arr0, s, Array2, Array3, Array4, ArrayView2, ArrayView4, Axis, Zip};

use crate::activation::Activation;
use crate::loss::Evaluation;

/// The push P = −Δỹ/η of a small gradient step, per pixel. On the probabilities it is
/// kept as the gradient (and the per-pixel class mean to subtract), so that judging a few
/// cells does not copy the whole batch.
#[derive(Clone, Debug)]
pub struct ProbabilityStep<'a> {
    kind: Kind<'a>,
    /// Per (b, c): the push has no value there, because the loss's gradient has none
    /// there or, when the step couples the classes, at some class of that image.
    pub undefined: Array2<bool>,
    /// Probabilities exactly 0 or 1 cannot move (a saturated sigmoid or softmax).
    saturates: bool,
    prob: ArrayView4<'a, f64>,
}

#[derive(Clone, Debug)]
enum Kind<'a> {
    /// On the probabilities, classes not tied: P = ∂DL/∂ỹ.
    Gradient(ArrayView4<'a, f64>),
    /// On the probabilities, classes tied: P = ∂DL/∂ỹ minus its mean over the classes of
    /// the pixel (B×H×W).
    Projected(ArrayView4<'a, f64>, Array3<f64>),
    /// On the logits through a sigmoid or softmax: P = J·∂L/∂z.
    Activation(Array4<f64>),
}

/// Whether a step keeps the `classes` of a pixel summing to 1: softmax does; sigmoid never
/// does; without an activation, when the classes are `exclusive`.
pub fn ties_classes(activation: Activation, exclusive: bool, classes: usize) -> bool {
    match activation {
        Activation::None => exclusive && classes > 1,
        Activation::Softmax => true,
        Activation::Sigmoid => false,
    }
}

/// Per (b, c): the push has no value, because the gradient has none there or, when the
/// step couples the classes, at some class of that image.
fn undefined_cells(e: &Evaluation, couples: bool) -> Array2<bool> {
    let mut undefined = e.grad_undefined.clone();
    if couples {
        for mut row in undefined.rows_mut() {
            if row.iter().any(|&u| u) {
                row.fill(true);
            }
        }
    }
    undefined
}

/// The step on the probabilities: ∂L/∂ỹ, minus its per-pixel mean over the classes when
/// they are tied.
fn on_probabilities<'a>(e: &'a Evaluation, couples: bool) -> Kind<'a> {
    if !couples {
        return Kind::Gradient(e.grad_prob.view());
    }
    let classes = e.grad_prob.dim().1;
    // Summed class slice by class slice: contiguous, so it vectorises.
    let mut mean = e.grad_prob.index_axis(Axis(1), 0).to_owned();
    for class in e.grad_prob.axis_iter(Axis(1)).skip(1) {
        mean += &class;
    }
    mean /= classes as f64;
    Kind::Projected(e.grad_prob.view(), mean)
}

/// The push the loss itself gives `e`'s probabilities: the steepest-descent step on ỹ,
/// kept summing to 1 over the classes where they are tied (softmax, or `exclusive`
/// classes without an activation; sigmoid never ties them). `activation` is the one `e`
/// was computed with; it only decides whether the classes are tied, never scales the
/// push. What the verdicts judge.
pub fn loss_push<'a>(
    e: &'a Evaluation,
    activation: Activation,
    exclusive: bool,
) -> ProbabilityStep<'a> {
    let couples = ties_classes(activation, exclusive, e.grad_prob.dim().1);
    ProbabilityStep {
        kind: on_probabilities(e, couples),
        undefined: undefined_cells(e, couples),
        saturates: false,
        prob: e.prob.view(),
    }
}

/// The push of a step on `e`'s output, the logits with an activation: what a network of
/// free logits does to its probabilities; `activation` is the one `e` was computed with,
/// `exclusive` says whether the probabilities of a pixel are tied to sum to 1 when there
/// is no activation (softmax ties them anyway; sigmoid never does).
pub fn probability_step<'a>(
    e: &'a Evaluation,
    activation: Activation,
    exclusive: bool,
) -> ProbabilityStep<'a> {
    let couples = ties_classes(activation, exclusive, e.grad_prob.dim().1);
    let kind = match activation {
        Activation::None => on_probabilities(e, couples),
        // J·∂L/∂z: the activation's backward pass is multiplication by its (symmetric)
        // Jacobian, the same rule the gradient itself went through.
        act => Kind::Activation(act.backward(e.prob.view(), e.grad().view())),
    };
    ProbabilityStep {
        kind,
        undefined: undefined_cells(e, couples),
        saturates: activation != Activation::None,
        prob: e.prob.view(),
    }
}

impl ProbabilityStep<'_> {
    /// The push of every pixel; 0 where undefined.
    pub fn push(&self) -> Array4<f64> {
        let mut push = match &self.kind {
            Kind::Gradient(g) => g.to_owned(),
            Kind::Projected(g, mean) => {
                let mut p = g.to_owned();
                for (mut image, m) in p.axis_iter_mut(Axis(0)).zip(mean.axis_iter(Axis(0))) {
                    for mut class in image.axis_iter_mut(Axis(0)) {
                        class -= &m;
                    }
                }
                p
            }
            Kind::Activation(p) => p.clone(),
        };
        for ((b, c), &u) in self.undefined.indexed_iter() {
            if u {
                push.slice_mut(s![b, c, .., ..]).fill(0.0);
            }
        }
        push
    }

    /// The mean push over the pixels of cell (b, c) where `select` equals `want` and the
    /// probability can move (with an activation, a probability of exactly 0 or 1 does not:
    /// counting it would only dilute the mean). `None` if no pixel is selected or the push
    /// is undefined there; 0 if none of the selected pixels can move.
    pub fn cell_mean(
        &self,
        (b, c): (usize, usize),
        select: ArrayView2<f64>,
        want: f64,
    ) -> Option<f64> {
        if self.undefined[(b, c)] {
            return None;
        }
        let zero = arr0(0.0);
        let (values, minus) = match &self.kind {
            Kind::Gradient(g) => (g.slice(s![b, c, .., ..]), zero.broadcast(select.dim())?),
            Kind::Projected(g, mean) => (g.slice(s![b, c, .., ..]), mean.slice(s![b, .., ..])),
            Kind::Activation(p) => (p.slice(s![b, c, .., ..]), zero.broadcast(select.dim())?),
        };
        let prob = self.prob.slice(s![b, c, .., ..]);
        let saturates = self.saturates;
        let (sum, moving, selected) = Zip::from(&values).and(&minus).and(&select).and(&prob).fold(
            (0.0, 0usize, 0usize),
            |(sum, m, n), &g, &sub, &y, &p| {
                if y != want {
                    (sum, m, n)
                } else if saturates && (p == 0.0 || p == 1.0) {
                    (sum, m, n + 1)
                } else {
                    (sum + (g - sub), m + 1, n + 1)
                }
            },
        );
        (selected > 0).then(|| if moving > 0 { sum / moving as f64 } else { 0.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::{evaluate, evaluate_probs, DiceSettings};
    use crate::phi::Phi;

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
                for (m, p) in moved.iter().zip(step.push().iter()) {
                    assert!(
                        (m - p).abs() <= 50.0 * eta * p.abs().max(1e-3),
                        "{act:?}: {m} vs {p}"
                    );
                }
            }
        }
    }

    /// What the verdicts judge and what a free-logit step does differ only by the
    /// activation's positive factor: (ỹ(1−ỹ))² through a sigmoid, 4·(ỹ₀ỹ₁)² through a
    /// two-class softmax — the same direction, shrunk as the prediction grows confident.
    #[test]
    fn the_loss_push_is_the_logit_step_without_the_activations_slope() {
        let y = Array4::from_shape_vec((1, 2, 1, 3), vec![1., 0., 1., 0., 1., 0.]).unwrap();
        let z = Array4::from_shape_vec((1, 2, 1, 3), vec![0.3, -4.0, 6.0, 1.2, 0.4, -9.0]).unwrap();
        for act in [Activation::Sigmoid, Activation::Softmax] {
            let s = DiceSettings {
                activation: act,
                ..DiceSettings::default()
            };
            let e = evaluate(y.view(), z.view(), &s).unwrap();
            let real = probability_step(&e, act, true).push();
            let loss = loss_push(&e, act, true).push();
            for ((&r, &l), &p) in real.iter().zip(loss.iter()).zip(e.prob.iter()) {
                let factor = match act {
                    Activation::Sigmoid => (p * (1.0 - p)).powi(2),
                    _ => 4.0 * (p * (1.0 - p)).powi(2),
                };
                assert!(factor > 0.0 && factor <= 0.25);
                assert!(
                    (r - factor * l).abs() <= 1e-12 * l.abs().max(1e-12),
                    "{act:?}: {r} vs {factor}·{l}"
                );
            }
            // A sigmoid never ties the classes; a softmax always does.
            let tied = act == Activation::Softmax;
            assert_eq!(ties_classes(act, false, 2), tied);
            if !tied {
                assert_eq!(loss, e.grad_prob);
            }
        }
        assert!(ties_classes(Activation::None, true, 2));
        assert!(!ties_classes(Activation::None, true, 1));
        assert!(!ties_classes(Activation::None, false, 2));
    }

    #[test]
    fn without_activation_exclusive_classes_move_on_the_simplex() {
        let y = Array4::from_shape_vec((1, 2, 1, 2), vec![1., 0., 0., 1.]).unwrap();
        let p = Array4::from_shape_vec((1, 2, 1, 2), vec![0.6, 0.3, 0.4, 0.7]).unwrap();
        let s = DiceSettings::default();
        let e = evaluate_probs(y.view(), p, &s).unwrap();
        let free = probability_step(&e, Activation::None, false);
        assert_eq!(free.push(), e.grad_prob);
        let tied = probability_step(&e, Activation::None, true);
        for j in 0..2 {
            let (g0, g1) = (e.grad_prob[[0, 0, 0, j]], e.grad_prob[[0, 1, 0, j]]);
            assert!(close(tied.push()[[0, 0, 0, j]], (g0 - g1) / 2.0));
            assert!(close(tied.push()[[0, 1, 0, j]], (g1 - g0) / 2.0));
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
            tied.push()[[0, 1, 0, 0]],
            e.grad_prob[[0, 1, 0, 0]] / 2.0
        ));
    }

    /// The cell means without the batch copied agree with the means of the full push.
    #[test]
    fn cell_means_are_means_of_the_push() {
        let y =
            Array4::from_shape_vec((1, 3, 1, 3), vec![1., 0., 1., 0., 1., 0., 0., 0., 0.]).unwrap();
        let p = Array4::from_shape_vec(
            (1, 3, 1, 3),
            vec![0.5, 0.0, 1.0, 0.25, 1.0, 0.0, 0.25, 0.0, 0.0],
        )
        .unwrap();
        for (act, exclusive) in [
            (Activation::None, false),
            (Activation::None, true),
            (Activation::Sigmoid, false),
            (Activation::Softmax, true),
        ] {
            let s = DiceSettings {
                activation: act,
                ..DiceSettings::default()
            };
            let e = evaluate_probs(y.view(), p.clone(), &s).unwrap();
            let step = probability_step(&e, act, exclusive);
            let push = step.push();
            for c in 0..3 {
                for want in [0.0, 1.0] {
                    let sel = y.slice(s![0, c, .., ..]);
                    let moving: Vec<f64> = (0..3)
                        .filter(|&j| sel[[0, j]] == want)
                        .filter(|&j| {
                            act == Activation::None
                                || (p[[0, c, 0, j]] > 0.0 && p[[0, c, 0, j]] < 1.0)
                        })
                        .map(|j| push[[0, c, 0, j]])
                        .collect();
                    let any = (0..3).any(|j| sel[[0, j]] == want);
                    let want_mean = any.then(|| {
                        if moving.is_empty() {
                            0.0
                        } else {
                            moving.iter().sum::<f64>() / moving.len() as f64
                        }
                    });
                    let got = step.cell_mean((0, c), sel, want);
                    match (got, want_mean) {
                        (Some(a), Some(b)) => {
                            assert!((a - b).abs() <= 1e-15, "{act:?} {c} {want}: {a} {b}")
                        }
                        (a, b) => assert_eq!(a, b, "{act:?} {c} {want}"),
                    }
                }
            }
        }
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
        assert!(tied.push().iter().all(|v| v.is_finite()));
    }
}
