//! Activations between the network's output and the probabilities the Dice sees (docs/science.md §6).

use ndarray::{Array4, ArrayView4, Axis, Zip};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `pred` already holds probabilities.
    #[default]
    None,
    /// Elementwise logistic function.
    Sigmoid,
    /// Softmax over the class axis, per pixel.
    Softmax,
}

impl Activation {
    pub const ALL: [Activation; 3] = [Activation::None, Activation::Sigmoid, Activation::Softmax];

    pub fn code(self) -> &'static str {
        match self {
            Activation::None => "none",
            Activation::Sigmoid => "sigmoid",
            Activation::Softmax => "softmax",
        }
    }

    pub fn parse(s: &str) -> Option<Activation> {
        Activation::ALL
            .into_iter()
            .find(|a| a.code().eq_ignore_ascii_case(s.trim()))
    }

    /// Probabilities from `pred` (a copy when there is no activation).
    pub fn apply(self, pred: ArrayView4<f64>) -> Array4<f64> {
        match self {
            Activation::None => pred.to_owned(),
            Activation::Sigmoid => pred.mapv(sigmoid),
            Activation::Softmax => {
                let mut out = pred.to_owned();
                for mut image in out.axis_iter_mut(Axis(0)) {
                    // Subtract the per-pixel maximum so exp never overflows.
                    let max = image.fold_axis(Axis(0), f64::NEG_INFINITY, |&m, &z| m.max(z));
                    for mut class in image.axis_iter_mut(Axis(0)) {
                        Zip::from(&mut class)
                            .and(&max)
                            .for_each(|z, &m| *z = (*z - m).exp());
                    }
                    let total = image.sum_axis(Axis(0));
                    for mut class in image.axis_iter_mut(Axis(0)) {
                        Zip::from(&mut class).and(&total).for_each(|p, &t| *p /= t);
                    }
                }
                out
            }
        }
    }

    /// Chain rule: turn ∂L/∂prob into ∂L/∂pred, given the probabilities.
    pub fn backward(self, prob: ArrayView4<f64>, grad_prob: ArrayView4<f64>) -> Array4<f64> {
        match self {
            Activation::None => grad_prob.to_owned(),
            Activation::Sigmoid => {
                let mut out = grad_prob.to_owned();
                Zip::from(&mut out)
                    .and(&prob)
                    .for_each(|g, &p| *g *= p * (1.0 - p));
                out
            }
            Activation::Softmax => {
                // ∂L/∂z_c = p_c · (g_c − Σ_k p_k g_k), per pixel.
                let mut out = grad_prob.to_owned();
                for (mut out_b, prob_b) in out.axis_iter_mut(Axis(0)).zip(prob.axis_iter(Axis(0))) {
                    let (_, h, w) = out_b.dim();
                    let mut dot = ndarray::Array2::<f64>::zeros((h, w));
                    for (g_c, p_c) in out_b.axis_iter(Axis(0)).zip(prob_b.axis_iter(Axis(0))) {
                        Zip::from(&mut dot)
                            .and(&g_c)
                            .and(&p_c)
                            .for_each(|d, &g, &p| *d += g * p);
                    }
                    for (mut g_c, p_c) in
                        out_b.axis_iter_mut(Axis(0)).zip(prob_b.axis_iter(Axis(0)))
                    {
                        Zip::from(&mut g_c)
                            .and(&p_c)
                            .and(&dot)
                            .for_each(|g, &p, &d| *g = p * (*g - d));
                    }
                }
                out
            }
        }
    }
}

/// Numerically stable logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    #[test]
    fn softmax_sums_to_one_and_survives_huge_logits() {
        let z = Array4::from_shape_vec((1, 3, 1, 2), vec![1000.0, 0.0, -1000.0, 1.0, 2.0, 3.0])
            .unwrap();
        let p = Activation::Softmax.apply(z.view());
        for i in 0..2 {
            let s: f64 = (0..3).map(|c| p[[0, c, 0, i]]).sum();
            assert!((s - 1.0).abs() < 1e-15);
        }
        assert_eq!(p[[0, 0, 0, 0]], 1.0);
        assert!(p.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(0.0), 0.5);
    }
}
