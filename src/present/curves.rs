//! The data behind the plots (issue #4): sweeps over ε and Ṽ computed from cell sums, so
//! a sweep of a hundred ε values costs no more pixel passes than one evaluation.

use ndarray::{s, Array2, Array4, Zip};

use crate::engine::loss::{all_cell_sums, reduce_sets, CellSums, DiceSettings};
use crate::engine::phi::Phi;

/// ε values of the sweeps: 1e-8 … 1e4, eight per decade. ε = 0 is evaluated separately.
pub fn eps_grid() -> Vec<f64> {
    (0..=96)
        .map(|k| 10f64.powf(-8.0 + k as f64 / 8.0))
        .collect()
}

/// One curve: y values (None where undefined) over the x values of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub phi: Phi,
    pub at_zero: Option<f64>,
    pub values: Vec<Option<f64>>,
}

/// Precomputed sums of the current data; build once per data change.
pub struct Sweep {
    sums: Array2<CellSums>,
    /// Mean prediction over each cell's background (y = 0) pixels, for the squared
    /// denominator whose background gradient depends on ỹ (linearly, so the mean is exact).
    bg_mean_pred: Array2<f64>,
    settings: DiceSettings,
}

/// `s` with Φ = `phi` and ε_nr = ε_dr = `eps`: a point of the sweeps.
pub fn with_eps(s: &DiceSettings, phi: Phi, eps: f64) -> DiceSettings {
    DiceSettings {
        phi,
        eps_nr: eps,
        eps_dr: eps,
        ..*s
    }
}

impl Sweep {
    pub fn new(y: &Array4<f64>, prob: &Array4<f64>, settings: &DiceSettings) -> Sweep {
        let sums = all_cell_sums(y.view(), prob.view(), settings.squared);
        let (bn, cn, _, _) = y.dim();
        let bg_mean_pred = Array2::from_shape_fn((bn, cn), |(b, c)| {
            let (sum, n) = Zip::from(y.slice(s![b, c, .., ..]))
                .and(prob.slice(s![b, c, .., ..]))
                .fold((0.0, 0usize), |(s, n), &y, &p| {
                    if y == 0.0 {
                        (s + p, n + 1)
                    } else {
                        (s, n)
                    }
                });
            if n == 0 {
                0.0
            } else {
                sum / n as f64
            }
        });
        Sweep {
            sums,
            bg_mean_pred,
            settings: *settings,
        }
    }

    /// The loss with ε_nr = ε_dr = ε, for one Φ.
    pub fn loss(&self, phi: Phi, eps: f64) -> Option<f64> {
        let st = with_eps(&self.settings, phi, eps);
        let (sets, _) = reduce_sets(&self.sums, &st);
        let n = sets.len() as f64;
        sets.iter()
            .map(|r| r.term)
            .sum::<Option<f64>>()
            .map(|t| t / n)
    }

    /// The mean ∂DL/∂ỹ over the background pixels of cell (b, c): the push its
    /// false positives get. `None` if the class is excluded or the set is undefined.
    pub fn background_push(&self, phi: Phi, eps: f64, b: usize, c: usize) -> Option<f64> {
        let st = with_eps(&self.settings, phi, eps);
        let (sets, cell_set) = reduce_sets(&self.sums, &st);
        let set = &sets[(*cell_set.get((b, c))?)?];
        set.grad_at(&st, sets.len(), 0.0, self.bg_mean_pred[(b, c)])
    }

    pub fn loss_series(&self) -> Vec<Series> {
        let grid = eps_grid();
        Phi::ALL
            .iter()
            .map(|&phi| Series {
                phi,
                at_zero: self.loss(phi, 0.0),
                values: grid.iter().map(|&e| self.loss(phi, e)).collect(),
            })
            .collect()
    }

    pub fn background_push_series(&self, b: usize, c: usize) -> Vec<Series> {
        let grid = eps_grid();
        Phi::ALL
            .iter()
            .map(|&phi| Series {
                phi,
                at_zero: self.background_push(phi, 0.0, b, c),
                values: grid
                    .iter()
                    .map(|&e| self.background_push(phi, e, b, c))
                    .collect(),
            })
            .collect()
    }
}

/// The push every pixel of an empty set (V = 0) gets: ε/(|Φ|·(Ṽ + ε)²) (docs/science.md §3.2).
/// `None` for the 0/0 case Ṽ = ε = 0.
pub fn empty_set_push(v_pred: f64, eps: f64, n_sets: usize) -> Option<f64> {
    let d = v_pred + eps;
    (d > 0.0).then(|| eps / (n_sets as f64 * d * d))
}

/// Ṽ values for the empty-set plot: 0.1 … 1e4 pixels, log-spaced.
pub fn v_pred_grid() -> Vec<f64> {
    (0..=80)
        .map(|k| 10f64.powf(-1.0 + k as f64 / 16.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_set_push_peaks_where_eps_equals_predicted_volume() {
        let v = 50.0;
        let peak = empty_set_push(v, v, 2).unwrap();
        assert!((peak - 1.0 / (4.0 * 2.0 * v)).abs() < 1e-15);
        for eps in [1.0, 10.0, 49.0, 51.0, 500.0] {
            assert!(empty_set_push(v, eps, 2).unwrap() < peak);
        }
        assert_eq!(empty_set_push(0.0, 0.0, 1), None);
        assert_eq!(empty_set_push(10.0, 0.0, 1), Some(0.0));
    }

    #[test]
    fn grids_are_increasing_and_span_the_range() {
        let g = eps_grid();
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        assert!((g[0] - 1e-8).abs() < 1e-20 && (g[g.len() - 1] - 1e4).abs() < 1e-8);
    }
}
