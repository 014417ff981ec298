//! What the page computes from its model: the loss's labels, the evaluation, the colour
//! scales of the gradient views and the verdicts. Recomputed from what a [`Change`]
//! says changed, never from the views.

use ndarray::{s, Array2, Array4};

use crate::engine::activation::Activation;
use crate::engine::loss::{evaluate_probs_missing, Evaluation};
use crate::engine::status::missing_cells;
use crate::engine::verdict::{CellVerdict, Scale as VerdictScale};
use crate::page::change::Change;
use crate::page::judge;
use crate::page::model::Model;
use crate::present::colormap::Scale;

/// The gradient the views show, and how it is named.
pub struct ShownGrad<'a> {
    pub values: &'a Array4<f64>,
    pub undefined: &'a Array2<bool>,
    /// ∂L/∂z rather than ∂L/∂ỹ.
    pub logits: bool,
}

impl<'a> ShownGrad<'a> {
    /// ∂L/∂z with an activation and the logit view on, else ∂L/∂ỹ.
    fn of(
        eval: &'a Result<Evaluation<'static>, String>,
        activation: Activation,
        logit_view: bool,
    ) -> Option<ShownGrad<'a>> {
        let e = eval.as_ref().ok()?;
        let logits = activation != Activation::None && logit_view;
        Some(if logits {
            ShownGrad {
                values: e.grad(),
                undefined: &e.grad_undefined,
                logits,
            }
        } else {
            ShownGrad {
                values: &e.grad_prob,
                undefined: &e.grad_prob_undefined,
                logits,
            }
        })
    }
}

pub struct Derived {
    /// The labels the loss sees, kept while only predictions and settings change.
    y: Option<Array4<f64>>,
    pub eval: Result<Evaluation<'static>, String>,
    /// Colour scale per (b, c) cell (already shared when the view says so).
    pub scales: Array2<Scale>,
    /// The scale over all cells (for the legend).
    pub shared: Scale,
    /// Per-cell verdicts of the evaluation and the scale they are judged against.
    pub verdicts: Array2<Option<CellVerdict>>,
    pub verdict_scale: VerdictScale,
    /// Counts changes of what the plots show (data and settings, not view options).
    pub data_gen: u64,
    /// Compare mode: the same data under the second setting.
    pub compare: Option<Side>,
}

/// One setting's evaluation of the page's data (compare mode's second side).
pub struct Side {
    pub settings: crate::engine::loss::DiceSettings,
    pub eval: Result<Evaluation<'static>, String>,
    pub verdicts: Array2<Option<CellVerdict>>,
    pub verdict_scale: VerdictScale,
    pub scales: Array2<Scale>,
}

impl Side {
    /// The gradient its views show: ∂L/∂z with an activation and the logit view on.
    pub fn shown(&self, logit_view: bool) -> Option<ShownGrad<'_>> {
        ShownGrad::of(&self.eval, self.settings.activation, logit_view)
    }
}

/// What a refresh recomputed.
pub struct Fresh {
    /// The evaluation is new.
    pub evaluated: bool,
    /// Compare mode's side was recomputed (or closed).
    pub compared: bool,
    /// Gradient views whose values or colour scale changed, per (b, c).
    pub grads: Array2<bool>,
    /// The colour scales were refitted.
    pub rescaled: bool,
}

impl Default for Derived {
    fn default() -> Self {
        Derived {
            y: None,
            eval: Err("not computed yet".into()),
            scales: Array2::from_elem((0, 0), Scale::default()),
            shared: Scale::default(),
            verdicts: Array2::from_elem((0, 0), None),
            verdict_scale: VerdictScale::default(),
            data_gen: 0,
            compare: None,
        }
    }
}

impl Derived {
    /// Everything computed for `m` from scratch.
    pub fn new(m: &Model) -> Derived {
        let mut d = Derived::default();
        d.refresh(m, &Change::none().page());
        d
    }

    /// The labels the loss sees ([`crate::page::state::AppState::loss_labels`]).
    pub fn y(&self) -> Option<&Array4<f64>> {
        self.y.as_ref()
    }

    /// Brings everything up to date with `m` after `ch`.
    pub fn refresh(&mut self, m: &Model, ch: &Change) -> Fresh {
        let s = &m.state;
        let dims = s.status.dim();
        if ch.page || !ch.labels.is_empty() {
            self.y = None;
        }
        let evaluate = ch.data() || ch.training || self.y.is_none() || self.scales.dim() != dims;
        let mut grads = Array2::from_elem(dims, ch.page || ch.settings || ch.display);
        if !evaluate && !ch.display {
            let compared = self.refresh_compare(m, ch, false);
            return Fresh {
                evaluated: false,
                compared,
                grads: Array2::from_elem(dims, false),
                rescaled: false,
            };
        }
        let old = if evaluate {
            self.data_gen = self.data_gen.wrapping_add(1);
            let y = match self.y.take() {
                Some(y) if y.dim() == s.labels.dim() => y,
                _ => s.loss_labels(),
            };
            let next = match &m.train.session {
                // The trainer keeps the evaluation at its current parameters.
                Some(t) => t.trainer.evaluation().cloned().ok_or_else(|| {
                    t.trainer
                        .stopped()
                        .map_or_else(|| "not evaluated".to_string(), |s| s.reason)
                }),
                None => {
                    // The leaf and marginal Dice read which labels are missing from the
                    // statuses.
                    let missing = judge::missing_cells(s);
                    evaluate_probs_missing(y.view(), s.pred.clone(), &s.settings, &missing)
                        .map_err(|e| e.to_string())
                }
            };
            match &next {
                Ok(e) => {
                    (self.verdicts, self.verdict_scale) = judge::verdicts(s, &y, e);
                }
                Err(_) => self.verdicts = Array2::from_elem(dims, None),
            }
            self.y = Some(y);
            Some(std::mem::replace(&mut self.eval, next))
        } else {
            None
        };
        let scales = self.fit_scales(m);
        // Redraw only the gradient views whose values or scale changed.
        let logits = self.shown_grad(m).is_some_and(|g| g.logits);
        for ((b, c), dirty) in grads.indexed_iter_mut() {
            if *dirty {
                continue;
            }
            let same_scale = self.scales.get((b, c)) == scales.get((b, c));
            let same_values = match (&old, &self.eval) {
                (None, _) => true,
                (Some(Ok(o)), Ok(n)) if o.grad().dim() == n.grad().dim() => {
                    let (ov, ou, nv, nu) = if logits {
                        (o.grad(), &o.grad_undefined, n.grad(), &n.grad_undefined)
                    } else {
                        (
                            &o.grad_prob,
                            &o.grad_prob_undefined,
                            &n.grad_prob,
                            &n.grad_prob_undefined,
                        )
                    };
                    ou.get((b, c)) == nu.get((b, c))
                        && o.cell_set.get((b, c)) == n.cell_set.get((b, c))
                        && ov.slice(s![b, c, .., ..]) == nv.slice(s![b, c, .., ..])
                }
                _ => false,
            };
            *dirty = !(same_scale && same_values);
        }
        self.scales = scales;
        let evaluated = old.is_some();
        let compared = self.refresh_compare(m, ch, evaluated);
        Fresh {
            evaluated,
            compared,
            grads,
            rescaled: true,
        }
    }

    /// Compare mode's side: the page's labels and shown predictions under the second
    /// setting. Returns whether it changed.
    fn refresh_compare(&mut self, m: &Model, ch: &Change, evaluated: bool) -> bool {
        let Some(settings) = m.state.compare else {
            return self.compare.take().is_some();
        };
        if !(evaluated || ch.compare || ch.display || self.compare.is_none()) {
            return false;
        }
        let Some(y) = self.y.as_ref() else {
            return false;
        };
        let s = &m.state;
        // The leaf and marginal Dice read which labels are missing from the statuses.
        let missing = missing_cells(&s.status, settings.variant);
        let prob = self.shown_pred(m).to_owned();
        let eval =
            evaluate_probs_missing(y.view(), prob, &settings, &missing).map_err(|e| e.to_string());
        let (verdicts, verdict_scale) = match &eval {
            Ok(e) => judge::verdicts_under(s, &settings, y, e),
            Err(_) => (
                Array2::from_elem(s.status.dim(), None),
                VerdictScale::default(),
            ),
        };
        let mut side = Side {
            settings,
            eval,
            verdicts,
            verdict_scale,
            scales: Array2::from_elem(s.status.dim(), Scale::default()),
        };
        let symlog = s.display.symlog;
        let blank = Scale { max: 0.0, symlog };
        let mut scales = Array2::from_elem(s.status.dim(), blank);
        if let Some(g) = side.shown(s.display.logit_grad) {
            for ((b, c), scale) in scales.indexed_iter_mut() {
                if !g.undefined[(b, c)] {
                    *scale = Scale::fit(g.values.slice(s![b, c, .., ..]).iter().copied(), symlog);
                }
            }
        }
        if s.display.shared_scale {
            let shared = scales.iter().fold(blank, |a, s| a.union(*s));
            scales.fill(shared);
        }
        side.scales = scales;
        self.compare = Some(side);
        true
    }

    /// Colour scales fitted to the shown gradient; sets [`Derived::shared`].
    fn fit_scales(&mut self, m: &Model) -> Array2<Scale> {
        let symlog = m.state.display.symlog;
        let blank = Scale { max: 0.0, symlog };
        let mut scales = Array2::from_elem(m.state.status.dim(), blank);
        if let Some(g) = self.shown_grad(m) {
            for ((b, c), scale) in scales.indexed_iter_mut() {
                if !g.undefined[(b, c)] {
                    let cell = g.values.slice(s![b, c, .., ..]);
                    *scale = Scale::fit(cell.iter().copied(), symlog);
                }
            }
        }
        let shared = scales.iter().fold(blank, |a, s| a.union(*s));
        if m.state.display.shared_scale {
            scales.fill(shared);
        }
        self.shared = shared;
        scales
    }

    /// Which gradient the views show: ∂L/∂z with an activation and the logit view on,
    /// else ∂L/∂ỹ.
    pub fn shown_grad(&self, m: &Model) -> Option<ShownGrad<'_>> {
        ShownGrad::of(
            &self.eval,
            m.state.settings.activation,
            m.state.display.logit_grad,
        )
    }

    /// The probabilities the prediction views show: the trained model's while a training
    /// session runs, else the painted ones.
    pub fn shown_pred<'a>(&'a self, m: &'a Model) -> ndarray::ArrayView4<'a, f64> {
        match (&m.train.session, &self.eval) {
            (Some(_), Ok(e)) => e.prob.view(),
            _ => m.state.pred.view(),
        }
    }

    /// Whether the views show ∂L/∂z.
    pub fn logits(&self, m: &Model) -> bool {
        self.shown_grad(m).is_some_and(|g| g.logits)
    }

    /// The gradient value shown at a pixel; `None` if undefined or out of range.
    pub fn grad_at(&self, m: &Model, b: usize, c: usize, i: usize, j: usize) -> Option<f64> {
        let g = self.shown_grad(m)?;
        if *g.undefined.get((b, c))? {
            return None;
        }
        g.values
            .get((b, c, i, j))
            .copied()
            .filter(|v| v.is_finite())
    }

    /// The cell the explanations are about: the clicked one while it is in the loss, else
    /// the lesson's cell ([`judge::focus_cell`]).
    pub fn focus_cell(&self, m: &Model) -> Option<(usize, usize)> {
        let e = self.eval.as_ref().ok()?;
        m.explain
            .focus
            .filter(|&(b, c)| e.cell_set.get((b, c)).copied().flatten().is_some())
            .or_else(|| judge::focus_cell(&m.state, e))
    }

    /// The selected set: the focus cell's.
    pub fn selected_set(&self, m: &Model) -> Option<usize> {
        let (b, c) = self.focus_cell(m)?;
        self.eval
            .as_ref()
            .ok()?
            .cell_set
            .get((b, c))
            .copied()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{s, Zip};

    use crate::engine::loss::{evaluate_probs, DiceSettings};
    use crate::engine::phi::Phi;
    use crate::page::lessons::scenario;
    use crate::present::curves::{empty_set_push, with_eps, Sweep};

    /// The plots' sweep on the lessons' scenes is what full evaluations give.
    #[test]
    fn sweep_matches_full_evaluations() {
        for name in ["missing-I", "empty-I", "heuristic-eps", "zero-over-zero"] {
            let st = scenario(name).unwrap().state();
            let y = st.loss_labels();
            for squared in [false, true] {
                let settings = DiceSettings {
                    squared,
                    ..st.settings
                };
                let sweep = Sweep::new(&y, &st.pred, &settings);
                for phi in Phi::ALL {
                    for eps in [0.0, 1e-7, 0.5, 37.0, 1e4] {
                        let full = evaluate_probs(
                            y.view(),
                            st.pred.clone(),
                            &with_eps(&settings, phi, eps),
                        )
                        .unwrap();
                        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
                            (Some(a), Some(b)) => {
                                (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-300
                            }
                            (a, b) => a.is_none() && b.is_none(),
                        };
                        assert!(
                            close(sweep.loss(phi, eps), full.loss),
                            "{name} {phi:?} {eps}"
                        );
                        for b in 0..st.batch() {
                            // The mean of the engine's own background gradients in cell (b, 1).
                            let g = full.grad_prob.slice(s![b, 1, .., ..]);
                            let yv = y.slice(s![b, 1, .., ..]);
                            let (sum, n) =
                                Zip::from(&g).and(&yv).fold((0.0, 0), |(s, n), &g, &y| {
                                    if y == 0.0 {
                                        (s + g, n + 1)
                                    } else {
                                        (s, n)
                                    }
                                });
                            let want = (!full.grad_prob_undefined[(b, 1)]).then(|| sum / n as f64);
                            let got = sweep.background_push(phi, eps, b, 1);
                            match (got, want) {
                                (Some(a), Some(w)) => assert!(
                                    (a - w).abs() <= 1e-9 * w.abs() + 1e-18,
                                    "{name} {phi:?} {eps} b{b}: {a} vs {w}"
                                ),
                                (a, w) => assert_eq!(
                                    a.is_none(),
                                    w.is_none(),
                                    "{name} {phi:?} {eps} b{b}"
                                ),
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn empty_set_push_is_what_the_engine_gives_an_empty_image() {
        let st = scenario("empty-I").unwrap().state();
        let y = st.loss_labels();
        let sweep = Sweep::new(&y, &st.pred, &st.settings);
        let v_pred = st.pred.slice(s![1, 1, .., ..]).sum();
        for eps in [1e-7, 1.0, 100.0] {
            let want = empty_set_push(v_pred, eps, 2).unwrap();
            let got = sweep.background_push(Phi::I, eps, 1, 1).unwrap();
            assert!((got - want).abs() <= 1e-12 * want, "{eps}: {got} vs {want}");
        }
    }
}
