//! What the page computes from its model: the loss's labels, and for each setting shown
//! (A, and compare mode's B) one [`Side`]: its evaluation, the colour scales of its
//! gradient views, its verdicts and the plots' sweep. Recomputed from what a [`Change`]
//! says changed, never from the views; every view that shows "the prediction" reads
//! [`Derived::shown_pred`], which is the trained model's output while a session runs.

use std::cell::OnceCell;

use ndarray::{s, Array2, Array4, ArrayView4};

use crate::engine::activation::Activation;
use crate::engine::loss::{evaluate_probs_missing, DiceSettings, Evaluation};
use crate::engine::status::missing_cells;
use crate::engine::verdict::{CellVerdict, Scale as VerdictScale};
use crate::page::change::Change;
use crate::page::judge;
use crate::page::model::Model;
use crate::page::state::{AppState, DisplayOptions};
use crate::present::colormap::Scale;
use crate::present::curves::Sweep;

/// The gradient the views show, and how it is named.
pub struct ShownGrad<'a> {
    pub values: &'a Array4<f64>,
    pub undefined: &'a Array2<bool>,
    /// ∂L/∂z rather than ∂L/∂ỹ.
    pub logits: bool,
}

/// A training session's evaluation at its current parameters (its trainer keeps it), or
/// why there is none.
fn trained_eval(t: &crate::page::training::Training) -> Result<Evaluation<'static>, String> {
    t.trainer.evaluation().cloned().ok_or_else(|| {
        t.trainer
            .stopped()
            .map_or_else(|| "not evaluated".to_string(), |s| s.reason)
    })
}

/// One setting's evaluation of the page's data: the page's own settings (A), or compare
/// mode's second setting (B).
pub struct Side {
    pub settings: DiceSettings,
    pub eval: Result<Evaluation<'static>, String>,
    /// Per-cell verdicts of the evaluation and the scale they are judged against.
    pub verdicts: Array2<Option<CellVerdict>>,
    pub verdict_scale: VerdictScale,
    /// Colour scale per (b, c) cell (already shared when the display options say so).
    pub scales: Array2<Scale>,
    /// The scale over all cells (for the legend).
    pub shared: Scale,
    /// The plots' sweep of this evaluation's data, made when first asked for.
    sweep: OnceCell<Sweep>,
}

impl Side {
    /// The side of `eval`, an evaluation of `state`'s data under `settings`: its verdicts
    /// (the colour scales follow from [`Side::fit_scales`]).
    fn new(
        state: &AppState,
        settings: DiceSettings,
        y: &Array4<f64>,
        eval: Result<Evaluation<'static>, String>,
    ) -> Side {
        let (verdicts, verdict_scale) = match &eval {
            Ok(e) => judge::verdicts_under(state, &settings, y, e),
            Err(_) => (
                Array2::from_elem(state.status.dim(), None),
                VerdictScale::default(),
            ),
        };
        Side {
            settings,
            eval,
            verdicts,
            verdict_scale,
            scales: Array2::from_elem((0, 0), Scale::default()),
            shared: Scale::default(),
            sweep: OnceCell::new(),
        }
    }

    /// Cell (b, c)'s colour scale: its own, or the shared one where it has none.
    pub fn scale_of(&self, b: usize, c: usize) -> Scale {
        self.scales.get((b, c)).copied().unwrap_or(self.shared)
    }

    /// The gradient its views show: ∂L/∂z with an activation and the logit view on, else
    /// ∂L/∂ỹ.
    pub fn shown(&self, logit_view: bool) -> Option<ShownGrad<'_>> {
        let e = self.eval.as_ref().ok()?;
        let logits = self.settings.activation != Activation::None && logit_view;
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

    /// Colour scales fitted to the shown gradient, per cell or shared, and the scale over
    /// all cells.
    fn fit_scales(&self, dims: (usize, usize), display: &DisplayOptions) -> (Array2<Scale>, Scale) {
        let symlog = display.symlog;
        let blank = Scale { max: 0.0, symlog };
        let mut scales = Array2::from_elem(dims, blank);
        if let Some(g) = self.shown(display.logit_grad) {
            for ((b, c), scale) in scales.indexed_iter_mut() {
                if !g.undefined[(b, c)] {
                    let cell = g.values.slice(s![b, c, .., ..]);
                    *scale = Scale::fit(cell.iter().copied(), symlog);
                }
            }
        }
        let shared = scales.iter().fold(blank, |a, s| a.union(*s));
        if display.shared_scale {
            scales.fill(shared);
        }
        (scales, shared)
    }

    /// The gradient value shown at a pixel; `None` if undefined or out of range.
    pub fn grad_at(
        &self,
        logit_view: bool,
        (b, c, i, j): (usize, usize, usize, usize),
    ) -> Option<f64> {
        let g = self.shown(logit_view)?;
        if *g.undefined.get((b, c))? {
            return None;
        }
        g.values
            .get((b, c, i, j))
            .copied()
            .filter(|v| v.is_finite())
    }
}

pub struct Derived {
    /// The labels the loss sees, kept while only predictions and settings change.
    y: Option<Array4<f64>>,
    /// The page's own settings (A).
    pub main: Side,
    /// Compare mode: the same data under the second setting (B).
    pub compare: Option<Side>,
    /// Counts changes of what the plots show (data and settings, not display options).
    pub data_gen: u64,
    /// The first page's question line ([`crate::page::judge::question_line`]).
    pub question: Option<String>,
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
            main: Side {
                settings: DiceSettings::default(),
                eval: Err("not computed yet".into()),
                verdicts: Array2::from_elem((0, 0), None),
                verdict_scale: VerdictScale::default(),
                scales: Array2::from_elem((0, 0), Scale::default()),
                shared: Scale::default(),
                sweep: OnceCell::new(),
            },
            compare: None,
            data_gen: 0,
            question: None,
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
        let fresh = self.refresh_sides(m, ch);
        if fresh.evaluated || ch.page || ch.lesson || ch.screen {
            self.question = crate::page::judge::question_line(m, &self.main.verdicts);
        }
        fresh
    }

    /// [`Derived::refresh`] of the evaluations, verdicts and colour scales.
    fn refresh_sides(&mut self, m: &Model, ch: &Change) -> Fresh {
        let s = &m.state;
        let dims = s.status.dim();
        if ch.page || !ch.labels.is_empty() {
            self.y = None;
        }
        let evaluate =
            ch.data() || ch.training || self.y.is_none() || self.main.scales.dim() != dims;
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
            Some(self.evaluate(m))
        } else {
            None
        };
        let (scales, shared) = self.main.fit_scales(dims, &s.display);
        let grads = self.changed_grads(m, ch, old.as_ref(), &scales);
        self.main.scales = scales;
        self.main.shared = shared;
        let evaluated = old.is_some();
        let compared = self.refresh_compare(m, ch, evaluated);
        Fresh {
            evaluated,
            compared,
            grads,
            rescaled: true,
        }
    }

    /// Evaluates the page's own side again; returns the evaluation it replaces.
    fn evaluate(&mut self, m: &Model) -> Result<Evaluation<'static>, String> {
        let s = &m.state;
        self.data_gen = self.data_gen.wrapping_add(1);
        let y = match self.y.take() {
            Some(y) if y.dim() == s.labels.dim() => y,
            _ => s.loss_labels(),
        };
        let eval = match &m.train.session {
            // The trainer keeps the evaluation at its current parameters.
            Some(t) => trained_eval(t),
            // The leaf and marginal Dice read which labels are missing from the statuses.
            None => evaluate_probs_missing(
                y.view(),
                s.pred.clone(),
                &s.settings,
                &judge::missing_cells(s),
            )
            .map_err(|e| e.to_string()),
        };
        let mut side = Side::new(s, s.settings, &y, eval);
        if side.eval.is_err() {
            // Nothing judged: the rule's numbers stay what they were.
            side.verdict_scale = self.main.verdict_scale;
        }
        // The last colour scales stay until `refresh` fits new ones: it compares the two to
        // redraw only the gradient views whose scale changed.
        side.scales = std::mem::take(&mut self.main.scales);
        side.shared = self.main.shared;
        self.y = Some(y);
        let old = std::mem::replace(&mut self.main, side);
        old.eval
    }

    /// Which gradient views to redraw: all after a new page, settings or display options,
    /// else those whose values or colour scale changed.
    fn changed_grads(
        &self,
        m: &Model,
        ch: &Change,
        old: Option<&Result<Evaluation<'static>, String>>,
        scales: &Array2<Scale>,
    ) -> Array2<bool> {
        let dims = m.state.status.dim();
        let mut grads = Array2::from_elem(dims, ch.page || ch.settings || ch.display);
        let logits = self.logits(m);
        for ((b, c), dirty) in grads.indexed_iter_mut() {
            if *dirty {
                continue;
            }
            let same_scale = self.main.scales.get((b, c)) == scales.get((b, c));
            let same_values = match (old, &self.main.eval) {
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
        grads
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
        let trained_b = m.train.session.as_ref().and_then(|t| t.compare.as_ref());
        let eval = match trained_b {
            // B trains its own model beside A's: its trainer keeps B's evaluation.
            Some(b) => trained_eval(b),
            // Else B judges the prediction A shows. The leaf and marginal Dice read which
            // labels are missing from the statuses.
            None => {
                let missing = missing_cells(&s.status, settings.variant);
                let prob = self.shown_pred(m).to_owned();
                evaluate_probs_missing(y.view(), prob, &settings, &missing)
                    .map_err(|e| e.to_string())
            }
        };
        let mut side = Side::new(s, settings, y, eval);
        (side.scales, side.shared) = side.fit_scales(s.status.dim(), &s.display);
        self.compare = Some(side);
        true
    }

    /// Which gradient the views show: ∂L/∂z with an activation and the logit view on,
    /// else ∂L/∂ỹ.
    pub fn shown_grad(&self, m: &Model) -> Option<ShownGrad<'_>> {
        self.main.shown(m.state.display.logit_grad)
    }

    /// The probabilities the prediction views show: the trained model's while a training
    /// session runs, else the painted ones. Every view that shows "the prediction" (the
    /// prediction views, the hover line, the formula, the plots, compare mode, the
    /// exported figure) reads this.
    pub fn shown_pred<'a>(&'a self, m: &'a Model) -> ArrayView4<'a, f64> {
        match (&m.train.session, &self.main.eval) {
            (Some(_), Ok(e)) => e.prob.view(),
            _ => m.state.pred.view(),
        }
    }

    /// The plots' sweep of the shown data (made once per evaluation, when first asked).
    pub fn sweep(&self, m: &Model) -> Option<&Sweep> {
        let y = self.y.as_ref()?;
        self.main.eval.as_ref().ok()?;
        Some(
            self.main
                .sweep
                .get_or_init(|| Sweep::new(y.view(), self.shown_pred(m), &self.main.settings)),
        )
    }

    /// Whether the views show ∂L/∂z.
    pub fn logits(&self, m: &Model) -> bool {
        self.shown_grad(m).is_some_and(|g| g.logits)
    }

    /// The gradient value shown at a pixel; `None` if undefined or out of range.
    pub fn grad_at(&self, m: &Model, b: usize, c: usize, i: usize, j: usize) -> Option<f64> {
        self.main.grad_at(m.state.display.logit_grad, (b, c, i, j))
    }

    /// The cell the explanations are about: the clicked one while it is in the loss, else
    /// the lesson's cell ([`judge::focus_cell`]).
    pub fn focus_cell(&self, m: &Model) -> Option<(usize, usize)> {
        let e = self.main.eval.as_ref().ok()?;
        m.explain
            .focus
            .filter(|&(b, c)| e.cell_set.get((b, c)).copied().flatten().is_some())
            .or_else(|| judge::focus_cell(&m.state, e))
    }

    /// The selected set: the focus cell's.
    pub fn selected_set(&self, m: &Model) -> Option<usize> {
        let (b, c) = self.focus_cell(m)?;
        self.main
            .eval
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
                let sweep = Sweep::new(y.view(), st.pred.view(), &settings);
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
        let sweep = Sweep::new(y.view(), st.pred.view(), &st.settings);
        let v_pred = st.pred.slice(s![1, 1, .., ..]).sum();
        for eps in [1e-7, 1.0, 100.0] {
            let want = empty_set_push(v_pred, eps, 2).unwrap();
            let got = sweep.background_push(Phi::I, eps, 1, 1).unwrap();
            assert!((got - want).abs() <= 1e-12 * want, "{eps}: {got} vs {want}");
        }
    }

    /// Every view that shows "the prediction" reads one: while a session trains, the
    /// shown prediction and the plots' sweep are the trained model's, not the painting's;
    /// compare mode's side is B's own trained model.
    #[test]
    fn the_shown_prediction_is_the_trained_models_everywhere() {
        use crate::engine::activation::Activation;
        use crate::page::model::Model;
        use crate::page::msg::{CompareMsg, Msg, SettingsMsg, TrainMsg};
        use crate::page::state::AppState;
        use crate::page::update::update;

        let mut m = Model::new(AppState::default_scene());
        let mut d = super::Derived::new(&m);
        assert_eq!(d.shown_pred(&m), m.state.pred.view());
        for msg in [
            Msg::Settings(SettingsMsg::Activation(Activation::Softmax)),
            Msg::Compare(CompareMsg::Open),
            Msg::Train(TrainMsg::Step),
            Msg::Train(TrainMsg::Step),
        ] {
            let ch = update(&mut m, msg);
            d.refresh(&m, &ch);
        }
        let trained = m
            .train
            .session
            .as_ref()
            .unwrap()
            .trainer
            .probabilities()
            .unwrap();
        assert_eq!(d.shown_pred(&m), trained);
        assert_ne!(
            d.shown_pred(&m),
            m.state.pred.view(),
            "the run moved the prediction"
        );
        // The plots' sweep is of the trained prediction.
        let y = m.state.loss_labels();
        let want = Sweep::new(y.view(), trained, &m.state.settings);
        let got = d.sweep(&m).unwrap();
        for phi in Phi::ALL {
            assert_eq!(got.loss(phi, 0.5), want.loss(phi, 0.5), "{phi:?}");
            assert_eq!(
                got.background_push(phi, 1e-3, 1, 1),
                want.background_push(phi, 1e-3, 1, 1)
            );
        }
        // Compare mode's side is B's own model, trained beside A's for as many steps
        // from the same start.
        let tb = m.train.session.as_ref().unwrap().compare.as_ref().unwrap();
        assert_eq!(tb.step_count(), 2);
        let b = d.compare.as_ref().unwrap().eval.as_ref().unwrap();
        assert_eq!(b.prob.view(), tb.trainer.probabilities().unwrap());
        assert_ne!(b.prob.view(), trained, "B's own model, not A's");
    }

    /// A and B are one kind of side, fitted by one rule: B under A's own settings is A.
    #[test]
    fn both_sides_are_computed_alike() {
        use crate::page::model::Model;
        use crate::page::msg::{DisplayMsg, Msg};
        use crate::page::update::update;

        for shared in [true, false] {
            let mut m = Model::new(scenario("missing-BI").unwrap().state());
            m.state.compare = Some(m.state.settings);
            let ch = update(&mut m, Msg::Display(DisplayMsg::SharedScale(shared)));
            let mut d = super::Derived::new(&m);
            d.refresh(&m, &ch);
            let (a, b) = (&d.main, d.compare.as_ref().unwrap());
            assert_eq!(a.scales, b.scales, "shared {shared}");
            assert_eq!(a.shared, b.shared);
            assert_eq!(a.verdicts, b.verdicts);
            assert_eq!(a.verdict_scale, b.verdict_scale);
            assert_eq!(a.eval.as_ref().unwrap().loss, b.eval.as_ref().unwrap().loss);
        }
    }
}
