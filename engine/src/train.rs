//! Gradient descent on the Dice loss: three small models, plain SGD and PyTorch's Adam;
//! full batch, float64, deterministic.
//!
//! A [`Trainer`] holds the labels, the image, the model, the optimiser state and the
//! evaluation of the loss at the current parameters. [`Trainer::step`] takes its gradient
//! from that evaluation, updates the parameters and evaluates again, so a page can call it
//! once per animation frame and draw [`Trainer::evaluation`] without evaluating twice.
//!
//! The loss is the engine's, with every setting it has; ∂L/∂θ is the chain rule through
//! the engine's ∂L/∂z (∂L/∂ỹ without an activation). When the loss at the current
//! parameters is undefined (0/0) or cannot be evaluated, training stops there and says why
//! ([`Trainer::stopped`]) instead of carrying a NaN along.

use ndarray::{Array3, Array4, ArrayView3, ArrayView4};
use serde::Serialize;
use thiserror::Error;

use crate::error::DiceError;
use crate::loss::{DiceSettings, Evaluation};
use crate::objective::Objective;
use crate::options::Extras;
use crate::rng::{Rng, STREAM_SHUFFLE};

mod model;
pub mod scenes;

pub use model::{conv_backward, conv_forward, linear_backward, linear_forward, Model, ModelKind};

/// Training steps begun in this program (in a browser: in this module instance, so the
/// page's and a worker's are apart). The page's test hook reads it to show that the
/// Experiment panel trains nothing on the page's main thread.
pub static STEPS_TAKEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// [`STEPS_TAKEN`] now.
pub fn steps_taken() -> usize {
    STEPS_TAKEN.load(std::sync::atomic::Ordering::Relaxed)
}

/// Bad training input, said in words.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrainError {
    #[error(transparent)]
    Loss(#[from] DiceError),
    #[error("model {kind:?} with {classes} classes needs {want} weights, got {got}", kind = kind.code())]
    WeightCount {
        kind: ModelKind,
        got: usize,
        want: usize,
        classes: usize,
    },
    #[error("the pixels model has no weights or biases: its parameters are the logits `pred`")]
    PixelsHaveNoWeights,
    #[error("model parameter `{what}` at index {index} is not a finite number")]
    NonFiniteParameter { what: &'static str, index: usize },
    #[error("the model has {model} classes but the labels have {labels}")]
    ClassMismatch { model: usize, labels: usize },
    #[error("the pixels model's logits have shape {got:?} but the labels have {want:?}")]
    PixelShape { got: Vec<usize>, want: Vec<usize> },
    #[error("model {:?} needs the image `x` (B·H·W intensities)", .0.code())]
    ImageMissing(ModelKind),
    #[error("the image `x` has shape {got:?} but the labels need [B, H, W] = {want:?}")]
    ImageShape { got: Vec<usize>, want: Vec<usize> },
    #[error("image `x` at index {index} is {value:?}; intensities must lie in [0, 1]")]
    ImageOutOfRange { index: usize, value: f64 },
    #[error("{0}")]
    BadBatches(String),
    #[error("optimizer {name} must be {rule}, got {value:?}")]
    BadOptimizer {
        name: &'static str,
        rule: &'static str,
        value: f64,
    },
}

/// The optimiser and its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// θ ← θ − lr·g (`torch.optim.SGD` without momentum or weight decay).
    Sgd { lr: f64 },
    /// `torch.optim.Adam` without weight decay or amsgrad: moments m and v with bias
    /// correction, θ ← θ − (lr/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + eps).
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
    },
}

impl Optimizer {
    pub const ADAM_BETAS: (f64, f64) = (0.9, 0.999);
    pub const ADAM_EPS: f64 = 1e-8;

    pub fn sgd(lr: f64) -> Optimizer {
        Optimizer::Sgd { lr }
    }

    /// Adam with PyTorch's default betas and eps.
    pub fn adam(lr: f64) -> Optimizer {
        Optimizer::Adam {
            lr,
            beta1: Self::ADAM_BETAS.0,
            beta2: Self::ADAM_BETAS.1,
            eps: Self::ADAM_EPS,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Adam { .. } => "adam",
        }
    }

    pub fn lr(&self) -> f64 {
        match *self {
            Optimizer::Sgd { lr } | Optimizer::Adam { lr, .. } => lr,
        }
    }

    /// The same optimiser with another learning rate.
    pub fn with_lr(self, lr: f64) -> Optimizer {
        match self {
            Optimizer::Sgd { .. } => Optimizer::Sgd { lr },
            Optimizer::Adam {
                beta1, beta2, eps, ..
            } => Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            },
        }
    }

    /// PyTorch's own checks (lr ≥ 0, eps ≥ 0, 0 ≤ β < 1), plus finiteness.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |name, rule, value| Err(TrainError::BadOptimizer { name, rule, value });
        let lr = self.lr();
        if !(lr.is_finite() && lr >= 0.0) {
            return bad("lr", "a finite number ≥ 0", lr);
        }
        if let Optimizer::Adam {
            beta1, beta2, eps, ..
        } = *self
        {
            for (name, beta) in [("beta1", beta1), ("beta2", beta2)] {
                if !(0.0..1.0).contains(&beta) {
                    return bad(name, "in [0, 1)", beta);
                }
            }
            if !(eps.is_finite() && eps >= 0.0) {
                return bad("eps", "a finite number ≥ 0", eps);
            }
        }
        Ok(())
    }

    /// One update at step `t` (1-based, as PyTorch counts) of `theta` with gradient `g` and
    /// Adam moments `m`, `v`. Nothing is written unless every new value is finite; the
    /// error names the first parameter that would not be.
    fn update(
        &self,
        t: usize,
        theta: &mut [f64],
        g: &[f64],
        m: &mut [f64],
        v: &mut [f64],
    ) -> Result<(), usize> {
        match *self {
            Optimizer::Sgd { lr } => {
                // torch: param.add_(grad, alpha=-lr).
                let next = |p: f64, g: f64| p + -lr * g;
                if let Some(k) = theta
                    .iter()
                    .zip(g)
                    .position(|(&p, &g)| !next(p, g).is_finite())
                {
                    return Err(k);
                }
                for (p, &g) in theta.iter_mut().zip(g) {
                    *p = next(*p, g);
                }
            }
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                // torch/optim/adam.py `_single_tensor_adam` (the CPU path), step by step.
                let t = t as f64;
                let step_size = lr / (1.0 - beta1.powf(t));
                let bc2_sqrt = (1.0 - beta2.powf(t)).powf(0.5);
                let next = |p: f64, g: f64, m: f64, v: f64| {
                    // exp_avg.lerp_(grad, 1 − β₁), as ATen's lerp computes it.
                    let w = 1.0 - beta1;
                    let m = if w < 0.5 {
                        m + w * (g - m)
                    } else {
                        g - (g - m) * (1.0 - w)
                    };
                    // exp_avg_sq.mul_(β₂).addcmul_(grad, grad, value=1 − β₂).
                    let v = v * beta2 + (1.0 - beta2) * g * g;
                    // param.addcdiv_(exp_avg, denom, value=−step_size).
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    (p + -step_size * (m / denom), m, v)
                };
                let finite = |(p, m, v): (f64, f64, f64)| (p + m + v).is_finite();
                if let Some(k) =
                    (0..theta.len()).find(|&k| !finite(next(theta[k], g[k], m[k], v[k])))
                {
                    return Err(k);
                }
                for k in 0..theta.len() {
                    (theta[k], m[k], v[k]) = next(theta[k], g[k], m[k], v[k]);
                }
            }
        }
        Ok(())
    }
}

/// Why and where training stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stop {
    /// The number of updates done; the parameters are those after them.
    pub step: usize,
    pub reason: String,
}

/// What [`Trainer::train`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// L_t for every step taken: the loss at the parameters before update t + 1.
    pub losses: Vec<f64>,
    /// The loss at the final parameters (`None` when undefined there).
    pub final_loss: Option<f64>,
    /// Set when training could not go on (then fewer steps than asked were taken).
    pub stopped: Option<Stop>,
}

/// Which images each step trains on.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Batches {
    /// Every step sees every image (the Dice sets span the whole batch).
    #[default]
    Full,
    /// Step t trains on list `t mod len` (each list non-empty, indices below B, no repeats).
    List(Vec<Vec<usize>>),
    /// Mini-batches of `size` images: every epoch the indices 0..B are shuffled by
    /// [`Rng::shuffle`] on `Rng::new(seed, STREAM_SHUFFLE)` and cut into consecutive
    /// batches of `size` (the last one smaller when `size` does not divide B).
    Shuffle { size: usize, seed: u64 },
}

impl Batches {
    /// Checks the batches against the number of images `bn`.
    pub fn validate(&self, bn: usize) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::BadBatches(m));
        match self {
            Batches::Full => Ok(()),
            Batches::Shuffle { size, .. } => {
                if *size == 0 || *size > bn {
                    return bad(format!(
                        "batch_size must be between 1 and the number of images {bn}, got {size}"
                    ));
                }
                Ok(())
            }
            Batches::List(lists) => {
                if lists.is_empty() {
                    return bad("`batches` must hold at least one mini-batch".into());
                }
                for (t, list) in lists.iter().enumerate() {
                    if list.is_empty() {
                        return bad(format!("mini-batch {t} of `batches` is empty"));
                    }
                    let mut seen = vec![false; bn];
                    for &b in list {
                        if b >= bn {
                            return bad(format!(
                                "mini-batch {t} of `batches` names image {b}, but there are {bn} images (0 to {})",
                                bn - 1
                            ));
                        }
                        if std::mem::replace(&mut seen[b], true) {
                            return bad(format!(
                                "mini-batch {t} of `batches` names image {b} twice"
                            ));
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// The mini-batches still to come of a [`Batches::Shuffle`] schedule.
#[derive(Clone, Debug)]
struct Shuffler {
    rng: Rng,
    planned: std::collections::VecDeque<Vec<usize>>,
}

/// The evaluation over all images at the current parameters, computed when first asked.
#[derive(Clone, Debug)]
struct Full {
    /// Logits of a shared model (empty for pixels, whose logits are its parameters).
    z: Array4<f64>,
    eval: Result<Evaluation<'static>, DiceError>,
}

/// Labels, image, model, optimiser state and the evaluation at the current parameters.
#[derive(Clone, Debug)]
pub struct Trainer {
    y: Array4<f64>,
    /// B×H×W; `None` only for the pixels model without an image.
    x: Option<Array3<f64>>,
    objective: Objective,
    /// The (b, c) cells whose labels are missing, for the leaf and marginal Dice.
    missing: Vec<(usize, usize)>,
    /// A mask and sample weights (`engine::options`), gathered with their images.
    extras: Extras,
    initial: Model,
    model: Model,
    optimizer: Optimizer,
    /// Adam's first and second moments (empty for SGD).
    m: Vec<f64>,
    v: Vec<f64>,
    step: usize,
    batches: Batches,
    shuffler: Option<Shuffler>,
    /// The images of every step taken, in order (empty in full-batch mode).
    used: Vec<Vec<usize>>,
    /// ∂L/∂θ (weights then biases, or one per logit), reused every step.
    grad: Vec<f64>,
    full: std::cell::OnceCell<Full>,
    /// Set when an update was refused because it would leave the finite numbers, or a
    /// mini-batch's loss could not be trained on.
    refused: Option<Stop>,
}

/// ∂L/∂θ from the evaluation `e` at logits of images `x` (the mini-batch's), into `out`.
/// For pixels (θ = z) `images` says which images of the whole batch `e` covers; the other
/// logits get 0, as PyTorch leaves the gradient of parameters the loss did not touch.
fn param_grad(
    model: &Model,
    x: Option<ArrayView3<f64>>,
    e: &Evaluation<'static>,
    images: Option<&[usize]>,
    out: &mut Vec<f64>,
) {
    let g = e.grad();
    out.resize(model.params().len(), 0.0);
    match x {
        Some(x) if model.kind().needs_image() => model.backward(x, g.view(), out),
        _ => match images {
            None => {
                out.clear();
                out.extend(g.iter().copied());
            }
            Some(images) => {
                out.fill(0.0);
                let per_image = g.len() / images.len().max(1);
                for (k, &b) in images.iter().enumerate() {
                    let src = g.index_axis(ndarray::Axis(0), k);
                    let dst = &mut out[b * per_image..(b + 1) * per_image];
                    for (d, &s) in dst.iter_mut().zip(src.iter()) {
                        *d = s;
                    }
                }
            }
        },
    }
}

impl Trainer {
    /// A trainer at step 0, full batch. `y` is B×C×H×W, `x` B×H×W intensities in [0, 1]
    /// (needed by the shared models); `objective` is Dice settings or a whole
    /// [`Objective`]. Fails, with nothing trained, when the input or the loss at the
    /// starting parameters is invalid (settings, shapes, a prediction outside [0, 1]
    /// without an activation, …). An undefined loss at step 0 is not an error: the
    /// trainer is then stopped at step 0.
    pub fn new(
        y: Array4<f64>,
        x: Option<Array3<f64>>,
        objective: impl Into<Objective>,
        model: Model,
        optimizer: Optimizer,
    ) -> Result<Trainer, TrainError> {
        Trainer::with_missing(y, x, objective, model, optimizer, Vec::new())
    }

    /// [`Trainer::new`] with the loss told which (b, c) labels are missing: the leaf and
    /// marginal Dice need them, the plain Dice ignores them.
    pub fn with_missing(
        y: Array4<f64>,
        x: Option<Array3<f64>>,
        objective: impl Into<Objective>,
        model: Model,
        optimizer: Optimizer,
        missing: Vec<(usize, usize)>,
    ) -> Result<Trainer, TrainError> {
        let objective = objective.into();
        optimizer.validate()?;
        let (bn, cn, h, wd) = y.dim();
        objective.validate(cn)?;
        if model.classes() != cn {
            return Err(TrainError::ClassMismatch {
                model: model.classes(),
                labels: cn,
            });
        }
        if let Some(z) = model.pixel_logits() {
            if z.dim() != y.dim() {
                return Err(TrainError::PixelShape {
                    got: z.shape().to_vec(),
                    want: y.shape().to_vec(),
                });
            }
        }
        match &x {
            None if model.kind().needs_image() => {
                return Err(TrainError::ImageMissing(model.kind()));
            }
            None => {}
            Some(x) => {
                if x.dim() != (bn, h, wd) {
                    return Err(TrainError::ImageShape {
                        got: x.shape().to_vec(),
                        want: vec![bn, h, wd],
                    });
                }
                if let Some((index, &value)) = x
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(0.0..=1.0).contains(*v))
                {
                    return Err(TrainError::ImageOutOfRange { index, value });
                }
            }
        }
        // Contiguous copies: the kernels work on plain slices.
        let x = x.map(|x| x.as_standard_layout().into_owned());
        let y = y.as_standard_layout().into_owned();
        let n = model.params().len();
        let adam = matches!(optimizer, Optimizer::Adam { .. });
        let t = Trainer {
            y,
            x,
            objective,
            missing,
            extras: Extras::default(),
            initial: model.clone(),
            model,
            optimizer,
            m: vec![0.0; if adam { n } else { 0 }],
            v: vec![0.0; if adam { n } else { 0 }],
            step: 0,
            batches: Batches::Full,
            shuffler: None,
            used: Vec::new(),
            grad: Vec::with_capacity(n),
            full: std::cell::OnceCell::new(),
            refused: None,
        };
        // Bad input (a prediction outside [0, 1], a bad missing cell) fails here; an
        // undefined loss is a stop, not an error.
        if let Err(e) = t.evaluate_full_checked() {
            return Err(e.into());
        }
        Ok(t)
    }

    /// The same trainer (at step 0) with a mask and sample weights (`engine::options`),
    /// which follow their images into the mini-batches.
    pub fn with_extras(mut self, extras: Extras) -> Result<Trainer, TrainError> {
        let (bn, cn, h, w) = self.y.dim();
        extras.validate(bn, cn, h * w, self.objective.dice.phi)?;
        self.extras = extras;
        self.reset();
        if let Err(e) = self.evaluate_full_checked() {
            return Err(e.into());
        }
        Ok(self)
    }

    /// The same trainer (at step 0) training on mini-batches.
    pub fn with_batches(mut self, batches: Batches) -> Result<Trainer, TrainError> {
        batches.validate(self.y.dim().0)?;
        self.batches = batches;
        self.reset();
        Ok(self)
    }

    /// The loss over all images at the current parameters, or the engine's error.
    fn evaluate_full_checked(&self) -> Result<&Evaluation<'static>, DiceError> {
        let full = self.full.get_or_init(|| {
            let (z, eval) = match &self.x {
                Some(x) if self.model.kind().needs_image() => {
                    let mut z = Array4::zeros(self.y.raw_dim());
                    self.model.forward(x.view(), &mut z);
                    let eval = self.objective.evaluate_owned_extras(
                        self.y.view(),
                        z.view(),
                        &self.missing,
                        &self.extras,
                    );
                    (z, eval)
                }
                _ => {
                    let z = self.model.pixel_logits().expect("pixels");
                    let eval = self.objective.evaluate_owned_extras(
                        self.y.view(),
                        z,
                        &self.missing,
                        &self.extras,
                    );
                    (Array4::zeros((0, 0, 0, 0)), eval)
                }
            };
            Full { z, eval }
        });
        full.eval.as_ref().map_err(Clone::clone)
    }

    fn full(&self) -> &Full {
        let _ = self.evaluate_full_checked();
        self.full.get().expect("just evaluated")
    }

    /// Updates done so far.
    pub fn step_count(&self) -> usize {
        self.step
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    /// The Dice settings of the loss.
    pub fn settings(&self) -> &DiceSettings {
        &self.objective.dice
    }

    /// The whole loss: Dice settings, per-class ε, the cross-entropy's weight.
    pub fn objective(&self) -> &Objective {
        &self.objective
    }

    pub fn batches(&self) -> &Batches {
        &self.batches
    }

    /// The images each step taken so far trained on, in order (empty in full-batch mode).
    pub fn batches_used(&self) -> &[Vec<usize>] {
        &self.used
    }

    pub fn labels(&self) -> ArrayView4<'_, f64> {
        self.y.view()
    }

    pub fn image(&self) -> Option<ArrayView3<'_, f64>> {
        self.x.as_ref().map(|x| x.view())
    }

    /// The logits z at the current parameters (B×C×H×W).
    pub fn logits(&self) -> ArrayView4<'_, f64> {
        match self.model.pixel_logits() {
            Some(z) => z,
            None => self.full().z.view(),
        }
    }

    /// The loss's evaluation over all images at the current parameters: loss, sets,
    /// ∂L/∂ỹ, ∂L/∂z. `None` when the loss could not be evaluated there
    /// ([`Trainer::stopped`] says why).
    pub fn evaluation(&self) -> Option<&Evaluation<'static>> {
        self.full().eval.as_ref().ok()
    }

    /// The probabilities ỹ at the current parameters.
    pub fn probabilities(&self) -> Option<ArrayView4<'_, f64>> {
        self.evaluation().map(|e| e.prob.view())
    }

    /// The loss over all images at the current parameters (`None` if undefined or not
    /// evaluable).
    pub fn loss(&self) -> Option<f64> {
        self.evaluation().and_then(|e| e.loss)
    }

    /// ∂L/∂θ over all images at the current parameters, in the order of
    /// [`Model::params`] (`None` when the loss is not defined there). Allocates;
    /// [`Trainer::step`] does not need it.
    pub fn gradient(&self) -> Option<Vec<f64>> {
        let e = self.evaluation()?;
        e.loss?;
        let mut buf = Vec::new();
        param_grad(&self.model, self.image(), e, None, &mut buf);
        Some(buf)
    }

    /// Why no further step can be taken, if so: an update was refused, a mini-batch could
    /// not be trained on, or (full batch) the loss at the current parameters is undefined
    /// or could not be evaluated.
    pub fn stopped(&self) -> Option<Stop> {
        if let Some(r) = &self.refused {
            return Some(r.clone());
        }
        if self.batches != Batches::Full {
            return None;
        }
        self.full_stop()
    }

    /// Why the loss over all images at the current parameters cannot be trained on.
    fn full_stop(&self) -> Option<Stop> {
        let reason = match &self.full().eval {
            Err(e) => e.to_string(),
            Ok(e) if e.loss.is_none() => format!(
                "the loss is undefined: {}",
                e.undefined_reasons().join("; ")
            ),
            Ok(_) => return None,
        };
        Some(Stop {
            step: self.step,
            reason,
        })
    }

    /// The images of the next step, `None` for all of them in order (full batch).
    fn next_batch(&mut self) -> Option<Vec<usize>> {
        let bn = self.y.dim().0;
        match &self.batches {
            Batches::Full => None,
            Batches::List(lists) => Some(lists[self.step % lists.len()].clone()),
            Batches::Shuffle { size, .. } => {
                let size = *size;
                let sh = self
                    .shuffler
                    .as_mut()
                    .expect("a shuffle schedule has a shuffler");
                if sh.planned.is_empty() {
                    let mut order: Vec<usize> = (0..bn).collect();
                    sh.rng.shuffle(&mut order);
                    sh.planned.extend(order.chunks(size).map(<[usize]>::to_vec));
                }
                sh.planned.front().cloned()
            }
        }
    }

    /// The loss of one mini-batch at the current parameters: the images `batch`, in that
    /// order, form the batch the Dice sets are made of.
    fn evaluate_batch(
        &self,
        batch: &[usize],
    ) -> Result<(Evaluation<'static>, Option<Array3<f64>>), String> {
        let (_, cn, h, w) = self.y.dim();
        let k = batch.len();
        // Whole images copied in the batch's order (contiguous rows, no per-pixel indexing).
        fn gather<D: ndarray::RemoveAxis>(
            a: ndarray::ArrayView<f64, D>,
            batch: &[usize],
        ) -> ndarray::Array<f64, D> {
            let mut dim = a.raw_dim();
            dim.as_array_view_mut()[0] = batch.len();
            let mut out = ndarray::Array::zeros(dim);
            for (i, &b) in batch.iter().enumerate() {
                out.index_axis_mut(ndarray::Axis(0), i)
                    .assign(&a.index_axis(ndarray::Axis(0), b));
            }
            out
        }
        let y = gather(self.y.view(), batch);
        let missing: Vec<(usize, usize)> = self
            .missing
            .iter()
            .filter_map(|&(b, c)| batch.iter().position(|&i| i == b).map(|i| (i, c)))
            .collect();
        let x = self.x.as_ref().map(|x| gather(x.view(), batch));
        let z = match (&x, self.model.pixel_logits()) {
            (_, Some(z)) => gather(z, batch),
            (Some(x), None) => {
                let mut z = Array4::zeros((k, cn, h, w));
                self.model.forward(x.view(), &mut z);
                z
            }
            (None, None) => unreachable!("a shared model has its image"),
        };
        let extras = self.extras.gather(batch, h * w);
        let e = self
            .objective
            .evaluate_owned_extras(y.view(), z.view(), &missing, &extras)
            .map_err(|e| e.to_string())?;
        Ok((e, x))
    }

    /// One update: returns L_t, the loss (of step t's mini-batch) before it, or where and
    /// why training stopped (nothing changes then).
    pub fn step(&mut self) -> Result<f64, Stop> {
        STEPS_TAKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(stop) = &self.refused {
            return Err(stop.clone());
        }
        let batch = self.next_batch();
        let whole = batch
            .as_deref()
            .is_none_or(|b| b.iter().copied().eq(0..self.y.dim().0));
        let loss = if whole {
            if let Some(stop) = self.full_stop() {
                return Err(self.halt(batch.as_deref(), stop));
            }
            let mut g = std::mem::take(&mut self.grad);
            let e = self.evaluation().expect("not stopped, so evaluated");
            param_grad(&self.model, self.image(), e, None, &mut g);
            let loss = e.loss.expect("not stopped, so defined");
            self.grad = g;
            loss
        } else {
            let images = batch.as_deref().expect("a mini-batch");
            let (e, x) = match self.evaluate_batch(images) {
                Ok(ex) => ex,
                Err(reason) => {
                    let stop = Stop {
                        step: self.step,
                        reason,
                    };
                    return Err(self.halt(batch.as_deref(), stop));
                }
            };
            let Some(loss) = e.loss else {
                let reason = format!(
                    "the loss is undefined: {}",
                    e.undefined_reasons().join("; ")
                );
                let stop = Stop {
                    step: self.step,
                    reason,
                };
                return Err(self.halt(batch.as_deref(), stop));
            };
            let mut g = std::mem::take(&mut self.grad);
            param_grad(
                &self.model,
                x.as_ref().map(|x| x.view()),
                &e,
                Some(images),
                &mut g,
            );
            self.grad = g;
            loss
        };
        let update = self.optimizer.update(
            self.step + 1,
            self.model.params_mut(),
            &self.grad,
            &mut self.m,
            &mut self.v,
        );
        if let Err(k) = update {
            let stop = Stop {
                step: self.step,
                reason: format!(
                    "update {} would make parameter {k} overflow (learning rate {:?} too large)",
                    self.step + 1,
                    self.optimizer.lr()
                ),
            };
            self.refused = Some(stop.clone());
            return Err(stop);
        }
        self.step += 1;
        self.full = std::cell::OnceCell::new();
        if let Some(b) = batch {
            self.used.push(b);
            if let Some(sh) = &mut self.shuffler {
                sh.planned.pop_front();
            }
        }
        Ok(loss)
    }

    /// Records a mini-batch that cannot be trained on (in full-batch mode the stop is
    /// read from the evaluation itself, which a new learning rate or settings may lift).
    fn halt(&mut self, batch: Option<&[usize]>, mut stop: Stop) -> Stop {
        if let Some(b) = batch.filter(|_| self.batches != Batches::Full) {
            stop.reason = format!("mini-batch {b:?} at step {}: {}", stop.step, stop.reason);
            self.refused = Some(stop.clone());
        }
        stop
    }

    /// Up to `n` more steps; stops early where [`Trainer::step`] would refuse.
    pub fn train(&mut self, n: usize) -> TrainReport {
        let mut losses = Vec::with_capacity(n.min(1 << 20));
        let mut stopped = None;
        for _ in 0..n {
            match self.step() {
                Ok(l) => losses.push(l),
                Err(s) => {
                    stopped = Some(s);
                    break;
                }
            }
        }
        // Full batch: an undefined loss at the very end also ends the run (it is the
        // next step's loss). With mini-batches only a step's own batch stops it.
        let stopped = stopped.or_else(|| self.stopped());
        TrainReport {
            losses,
            final_loss: self.loss(),
            stopped,
        }
    }

    /// Back to the starting parameters, a fresh optimiser state and the first mini-batch,
    /// step 0.
    pub fn reset(&mut self) {
        self.model = self.initial.clone();
        self.m.fill(0.0);
        self.v.fill(0.0);
        self.step = 0;
        self.refused = None;
        self.used.clear();
        self.shuffler = match self.batches {
            Batches::Shuffle { seed, .. } => Some(Shuffler {
                rng: Rng::new(seed, STREAM_SHUFFLE),
                planned: Default::default(),
            }),
            _ => None,
        };
        self.full = std::cell::OnceCell::new();
    }

    /// A new learning rate from the next step on; the optimiser's state is kept, as when
    /// the `lr` of a PyTorch parameter group is changed.
    pub fn set_lr(&mut self, lr: f64) -> Result<(), TrainError> {
        let next = self.optimizer.with_lr(lr);
        next.validate()?;
        self.optimizer = next;
        self.refused = None;
        Ok(())
    }

    /// New Dice settings from the next step on (the parameters, the per-class ε and the
    /// cross-entropy's weight stay); the current evaluation is redone under them.
    pub fn set_settings(&mut self, settings: DiceSettings) -> Result<(), TrainError> {
        let next = Objective {
            dice: settings,
            ..self.objective.clone()
        };
        next.validate(self.y.dim().1)?;
        self.objective = next;
        self.refused = None;
        self.full = std::cell::OnceCell::new();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
