//! Training on the page: a session of the engine's trainer built from the page state
//! (its labels as the loss sees them, its image, its settings and training settings), the
//! trace plot (d) draws, the per-cell result lines, and the `dice train` input that
//! reproduces a session on the command line. The lessons' experiments are
//! [`crate::page::lessons::experiments`].

use ndarray::{Array2, Array4};

use crate::engine::activation::Activation;
use crate::engine::status::LabelStatus;
use crate::engine::train::scenes::{START_BIAS, START_SLOPE};
use crate::engine::train::{Model, ModelKind, Stop, Trainer};
use crate::page::judge::missing_cells;
use crate::page::state::AppState;
use crate::present::format;

/// Probabilities are clamped to [P_MIN, 1 − P_MIN] before they become a pixels model's
/// starting logits (a painted 0 or 1 has no finite logit).
const P_MIN: f64 = 1e-4;
/// How long a lesson's run lasts in presentation mode, in seconds: long enough for a
/// speaker to say what the audience watches (the page's own speed runs it in about 5 s).
pub const PRESENT_RUN_SECONDS: usize = 25;
/// Trace points kept; beyond it every other point is dropped (plot (d) stays readable
/// and memory bounded on a long run).
const MAX_TRACE: usize = 4000;

/// What a cell's mean ỹ is taken over: its structure, or what stands for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// Flat pixel indices (row-major) of the object in its H×W image.
    pixels: Vec<usize>,
    /// What it is, in words ("the unannotated structure").
    pub name: &'static str,
}

/// One point of the run: the loss and each cell's mean ỹ on its object, at the
/// parameters after `step` updates.
#[derive(Clone, Debug, PartialEq)]
pub struct TracePoint {
    pub step: usize,
    pub loss: Option<f64>,
    pub means: Array2<Option<f64>>,
}

#[derive(Clone, Debug)]
pub struct Training {
    pub trainer: Trainer,
    pub playing: bool,
    /// Play pauses at this step (a lesson's run length).
    pub until: Option<usize>,
    /// The step a link asks for (`&train=N`) while the run gets there: the page trains
    /// towards it in slices between frames, as fast as they allow, not at the play speed.
    pub target: Option<usize>,
    pub trace: Vec<TracePoint>,
    /// Per (b, c): the object its mean ỹ is taken over (none for the background of
    /// exclusive classes).
    pub objects: Array2<Option<Object>>,
    /// Compare mode's side B, trained beside A: its own model from the same start, on the
    /// same scene under B's settings, stepped with A (one step counter). `None` without
    /// compare mode, or when B cannot train (A then trains alone and B judges A's model).
    pub compare: Option<Box<Training>>,
}

/// The object of cell (b, c), if it has one: a labelled structure, the hidden structure
/// of a missing label, the bright pixels of the image (a distractor in an empty image),
/// else the whole image.
pub fn object(state: &AppState, b: usize, c: usize) -> Option<Object> {
    if state.exclusive && c == 0 && state.classes() > 1 {
        return None;
    }
    let n = state.size();
    let labels = state.labels.slice(ndarray::s![b, c, .., ..]);
    let image = state.image.slice(ndarray::s![b, .., ..]);
    let where_ = |on: &dyn Fn(usize, usize) -> bool| -> Vec<usize> {
        (0..n * n).filter(|&k| on(k / n, k % n)).collect()
    };
    let painted = where_(&|i, j| crate::page::levels::is_on(labels[(i, j)]));
    let bright = where_(&|i, j| image[(i, j)] > 0.0);
    let status = state.status[(b, c)];
    let (pixels, name) = match status {
        LabelStatus::Missing if !painted.is_empty() => (painted, "the unannotated structure"),
        LabelStatus::Annotated if !painted.is_empty() => (painted, "the labelled structure"),
        LabelStatus::Empty if !bright.is_empty() => (bright, "the distractor"),
        LabelStatus::Annotated if !bright.is_empty() => (bright, "the unlabelled bright pixels"),
        _ => ((0..n * n).collect(), "the image"),
    };
    Some(Object { pixels, name })
}

/// The starting model of `state`'s training settings. A shared model starts the way the
/// training scenes do: every structure class at z = 12·x − 6 (the 3×3 kernel with only
/// its centre tap), the background of exclusive classes at 0, so every bright object is
/// predicted at step 0. The pixels model starts from the painted prediction's logits.
pub fn start_model(state: &AppState) -> Result<Model, String> {
    let cn = state.classes();
    let kind = state.train.model;
    let act = state.settings.activation;
    if kind.needs_image() && act == Activation::None {
        return Err(format!(
            "The {} model outputs logits: choose sigmoid or softmax as the activation to train it (or the pixels model, which trains ỹ itself).",
            kind.code()
        ));
    }
    let background = state.exclusive && cn > 1;
    let slope = |c: usize| {
        if background && c == 0 {
            0.0
        } else {
            START_SLOPE
        }
    };
    let bias = |c: usize| {
        if background && c == 0 {
            0.0
        } else {
            START_BIAS
        }
    };
    let b: Vec<f64> = (0..cn).map(bias).collect();
    let built = match kind {
        ModelKind::Linear => Model::linear((0..cn).map(slope).collect(), b),
        ModelKind::Conv3x3 => {
            let mut w = vec![0.0; 9 * cn];
            for c in 0..cn {
                w[9 * c + 4] = slope(c);
            }
            Model::conv3x3(w, b)
        }
        ModelKind::Pixels => Model::pixels(start_logits(state)),
    };
    built.map_err(|e| e.to_string())
}

/// The logits whose activation gives the painted prediction (clamped away from 0 and 1).
fn start_logits(state: &AppState) -> Array4<f64> {
    let clamp = |p: f64| p.clamp(P_MIN, 1.0 - P_MIN);
    match state.settings.activation {
        Activation::None => state.pred.clone(),
        Activation::Sigmoid => state.pred.mapv(|p| {
            let p = clamp(p);
            (p / (1.0 - p)).ln()
        }),
        // Softmax is unchanged by a constant per pixel: log-probabilities will do.
        Activation::Softmax => state.pred.mapv(|p| clamp(p).ln()),
    }
}

/// A session at step 0, or why there cannot be one.
pub fn start(state: &AppState) -> Result<Training, String> {
    let model = start_model(state)?;
    let trainer = Trainer::with_missing(
        state.loss_labels(),
        Some(state.image.clone()),
        state.settings,
        model,
        state.train.optimizer,
        missing_cells(state),
    )
    .map_err(|e| format!("Training cannot start: {e}"))?;
    let objects = Array2::from_shape_fn(state.status.dim(), |(b, c)| object(state, b, c));
    let mut t = Training {
        trainer,
        playing: false,
        until: None,
        target: None,
        trace: Vec::new(),
        objects,
        compare: compare_side(state),
    };
    t.record();
    Ok(t)
}

/// Side B of `state`'s compare mode at step 0: the same scene and starting model under
/// B's settings, if compare mode is on and B can train.
pub fn compare_side(state: &AppState) -> Option<Box<Training>> {
    let settings = state.compare?;
    let mut b = state.clone();
    b.settings = settings;
    b.compare = None;
    start(&b).ok().map(Box::new)
}

impl Training {
    pub fn step_count(&self) -> usize {
        self.trainer.step_count()
    }

    /// Steps per second when playing at `speed` (the training settings'): in presentation
    /// a run with a length (a lesson's) is slowed to last about [`PRESENT_RUN_SECONDS`];
    /// never faster than `speed`. A link's run towards its step is not paced (it trains
    /// between frames as fast as they allow), and the steps reached do not depend on it.
    pub fn pace(&self, speed: u32, present: bool) -> u32 {
        match self.until {
            Some(u) if present && self.target.is_none() => {
                let per_second = u.div_ceil(PRESENT_RUN_SECONDS).max(1);
                u32::try_from(per_second)
                    .unwrap_or(u32::MAX)
                    .min(speed.max(1))
            }
            _ => speed,
        }
    }

    /// Up to `n` steps; returns where and why training stopped, if it did.
    pub fn run(&mut self, n: usize) -> Option<Stop> {
        for _ in 0..n {
            if self.playing && self.until.is_some_and(|u| self.step_count() >= u) {
                self.playing = false;
                break;
            }
            if let Err(stop) = self.trainer.step() {
                self.playing = false;
                return Some(stop);
            }
            self.record();
            self.step_compare();
        }
        let stop = self.trainer.stopped();
        if stop.is_some() {
            self.playing = false;
        }
        stop
    }

    /// Back to step 0 with the same starting model.
    pub fn reset(&mut self) {
        self.trainer.reset();
        self.trace.clear();
        self.record();
        if let Some(b) = self.compare.as_mut() {
            b.reset();
        }
    }

    /// Side B's step with A's: B follows A's step count (a B that stopped stays where it
    /// stopped; its badges and result lines say so).
    fn step_compare(&mut self) {
        let goal = self.step_count();
        if let Some(b) = self.compare.as_mut() {
            let behind = goal.saturating_sub(b.step_count());
            if behind > 0 && b.trainer.stopped().is_none() {
                // B's own run (it is never playing, so only a stop ends it early).
                b.run(behind);
            }
        }
    }

    /// Compare mode changed under a running session: B starts again from the shared
    /// starting model under its new settings and catches up with A's step count (the run
    /// is deterministic, so this is the B a link with the same steps reproduces); without
    /// compare mode B is dropped.
    pub fn follow_compare(&mut self, state: &AppState) {
        self.compare = compare_side(state);
        self.step_compare();
    }

    fn record(&mut self) {
        let mut means = Array2::from_elem(self.objects.dim(), None);
        if let Some(p) = self.trainer.probabilities() {
            let n = p.dim().3;
            for ((b, c), slot) in means.indexed_iter_mut() {
                *slot = self.objects[(b, c)].as_ref().map(|o| {
                    let sum: f64 = o.pixels.iter().map(|&k| p[[b, c, k / n, k % n]]).sum();
                    sum / o.pixels.len().max(1) as f64
                });
            }
        }
        if self.trace.len() >= MAX_TRACE {
            let kept: Vec<TracePoint> = self.trace.iter().step_by(2).cloned().collect();
            self.trace = kept;
        }
        self.trace.push(TracePoint {
            step: self.trainer.step_count(),
            loss: self.trainer.loss(),
            means,
        });
    }

    /// "mean ỹ on the unannotated structure: 0.97 → 0.02" once the run has steps.
    pub fn result_line(&self, b: usize, c: usize) -> Option<String> {
        let o = self.objects.get((b, c))?.as_ref()?;
        let (first, last) = (self.trace.first()?, self.trace.last()?);
        if last.step == 0 {
            return None;
        }
        let (a, z) = (first.means[(b, c)]?, last.means[(b, c)]?);
        Some(format!(
            "mean ỹ on {}: {} → {}",
            o.name,
            format::number(a, 2),
            format::number(z, 2)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_model_needs_an_activation_and_the_pixels_model_starts_from_the_painting() {
        let mut s = AppState::two_labelled();
        s.train.model = ModelKind::Linear;
        assert!(start(&s).unwrap_err().contains("sigmoid or softmax"));
        s.train.model = ModelKind::Pixels;
        let t = start(&s).unwrap();
        assert_eq!(t.trainer.probabilities().unwrap(), s.pred.view());
        s.settings.activation = Activation::Sigmoid;
        let t = start(&s).unwrap();
        let prob = t.trainer.probabilities().unwrap();
        for (a, b) in s.pred.iter().zip(prob.iter()) {
            assert!((a.clamp(P_MIN, 1.0 - P_MIN) - b).abs() < 1e-12);
        }
    }
}
