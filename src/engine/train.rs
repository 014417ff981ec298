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

use crate::engine::activation::Activation;
use crate::engine::error::DiceError;
use crate::engine::loss::{evaluate_probs_missing, DiceSettings, Evaluation};

mod model;
pub mod scenes;

pub use model::{conv_backward, conv_forward, linear_backward, linear_forward, Model, ModelKind};

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

/// Labels, image, model, optimiser state and the evaluation at the current parameters.
#[derive(Clone, Debug)]
pub struct Trainer {
    y: Array4<f64>,
    /// B×H×W; `None` only for the pixels model without an image.
    x: Option<Array3<f64>>,
    settings: DiceSettings,
    /// The (b, c) cells whose labels are missing, for the leaf and marginal Dice.
    missing: Vec<(usize, usize)>,
    initial: Model,
    model: Model,
    optimizer: Optimizer,
    /// Adam's first and second moments (empty for SGD).
    m: Vec<f64>,
    v: Vec<f64>,
    step: usize,
    /// Logits of a shared model at the current parameters (unused for pixels).
    z: Array4<f64>,
    /// ∂L/∂θ of a shared model (weights then biases), reused every step.
    grad: Vec<f64>,
    /// The evaluation at the current parameters, or why there is none.
    current: Result<Evaluation<'static>, String>,
    /// Set when an update was refused because it would leave the finite numbers.
    refused: Option<String>,
}

/// The loss at logits `z`: the activation (if any), then the engine.
fn evaluate_logits(
    y: ArrayView4<f64>,
    z: ArrayView4<f64>,
    settings: &DiceSettings,
    missing: &[(usize, usize)],
) -> Result<Evaluation<'static>, DiceError> {
    if settings.activation != Activation::None {
        if let Some(index) = z.iter().position(|v| !v.is_finite()) {
            return Err(DiceError::NonFiniteLogit { index });
        }
    }
    // Owned probabilities give an evaluation that does not borrow the logits, so it can
    // be kept beside them; without an activation that costs one copy.
    let prob = match settings.activation {
        Activation::None => z.to_owned(),
        act => act.apply(z),
    };
    evaluate_probs_missing(y, prob, settings, missing)
}

/// ∂L/∂θ from the evaluation `e` at the model's parameters; `buf` holds it for a shared
/// model, while for pixels (θ = z) it is the engine's ∂L/∂z as it stands.
fn param_grad<'a>(
    model: &Model,
    x: Option<&Array3<f64>>,
    e: &'a Evaluation<'static>,
    buf: &'a mut Vec<f64>,
) -> std::borrow::Cow<'a, [f64]> {
    let g = e.grad();
    match x {
        Some(x) if model.kind().needs_image() => {
            buf.resize(model.params().len(), 0.0);
            model.backward(x.view(), g.view(), buf);
            std::borrow::Cow::Borrowed(buf.as_slice())
        }
        _ => match g.as_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(g.iter().copied().collect()),
        },
    }
}

impl Trainer {
    /// A trainer at step 0. `y` is B×C×H×W, `x` B×H×W intensities in [0, 1] (needed by
    /// the shared models). Fails, with nothing trained, when the input or the loss at the
    /// starting parameters is invalid (settings, shapes, a prediction outside [0, 1]
    /// without an activation, …). An undefined loss at step 0 is not an error: the
    /// trainer is then stopped at step 0.
    pub fn new(
        y: Array4<f64>,
        x: Option<Array3<f64>>,
        settings: DiceSettings,
        model: Model,
        optimizer: Optimizer,
    ) -> Result<Trainer, TrainError> {
        Trainer::with_missing(y, x, settings, model, optimizer, Vec::new())
    }

    /// [`Trainer::new`] with the loss told which (b, c) labels are missing: the leaf and
    /// marginal Dice need them, the plain Dice ignores them.
    pub fn with_missing(
        y: Array4<f64>,
        x: Option<Array3<f64>>,
        settings: DiceSettings,
        model: Model,
        optimizer: Optimizer,
        missing: Vec<(usize, usize)>,
    ) -> Result<Trainer, TrainError> {
        optimizer.validate()?;
        let (bn, cn, h, wd) = y.dim();
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
        let shared = model.kind().needs_image();
        let mut t = Trainer {
            z: Array4::zeros(if shared {
                y.raw_dim()
            } else {
                ndarray::Dim([0; 4])
            }),
            y,
            x,
            settings,
            missing,
            initial: model.clone(),
            model,
            optimizer,
            m: vec![0.0; if adam { n } else { 0 }],
            v: vec![0.0; if adam { n } else { 0 }],
            step: 0,
            grad: vec![0.0; if shared { n } else { 0 }],
            current: Err(String::new()),
            refused: None,
        };
        t.forward();
        t.current = Ok(evaluate_logits(
            t.y.view(),
            t.logits(),
            &t.settings,
            &t.missing,
        )?);
        Ok(t)
    }

    fn forward(&mut self) {
        if let Some(x) = &self.x {
            self.model.forward(x.view(), &mut self.z);
        }
    }

    fn reevaluate(&mut self) {
        self.current = evaluate_logits(self.y.view(), self.logits(), &self.settings, &self.missing)
            .map_err(|e| e.to_string());
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

    pub fn settings(&self) -> &DiceSettings {
        &self.settings
    }

    pub fn labels(&self) -> ArrayView4<'_, f64> {
        self.y.view()
    }

    pub fn image(&self) -> Option<ArrayView3<'_, f64>> {
        self.x.as_ref().map(|x| x.view())
    }

    /// The logits z at the current parameters (B×C×H×W).
    pub fn logits(&self) -> ArrayView4<'_, f64> {
        self.model.pixel_logits().unwrap_or_else(|| self.z.view())
    }

    /// The loss's evaluation at the current parameters: loss, sets, ∂L/∂ỹ, ∂L/∂z. `None`
    /// when the loss could not be evaluated there ([`Trainer::stopped`] says why).
    pub fn evaluation(&self) -> Option<&Evaluation<'static>> {
        self.current.as_ref().ok()
    }

    /// The probabilities ỹ at the current parameters.
    pub fn probabilities(&self) -> Option<ArrayView4<'_, f64>> {
        self.evaluation().map(|e| e.prob.view())
    }

    /// The loss at the current parameters (`None` if undefined or not evaluable).
    pub fn loss(&self) -> Option<f64> {
        self.evaluation().and_then(|e| e.loss)
    }

    /// ∂L/∂θ at the current parameters, in the order of [`Model::params`] (`None` when
    /// the trainer is stopped). Allocates; [`Trainer::step`] does not need it.
    pub fn gradient(&self) -> Option<Vec<f64>> {
        if self.stopped().is_some() {
            return None;
        }
        let e = self.current.as_ref().ok()?;
        let mut buf = Vec::new();
        Some(param_grad(&self.model, self.x.as_ref(), e, &mut buf).into_owned())
    }

    /// Why no further step can be taken, if so: the loss at the current parameters is
    /// undefined or could not be evaluated, or the next update would overflow.
    pub fn stopped(&self) -> Option<Stop> {
        let reason = match (&self.refused, &self.current) {
            (Some(r), _) => r.clone(),
            (None, Err(e)) => e.clone(),
            (None, Ok(e)) if e.loss.is_none() => {
                format!(
                    "the loss is undefined: {}",
                    e.undefined_reasons().join("; ")
                )
            }
            (None, Ok(_)) => return None,
        };
        Some(Stop {
            step: self.step,
            reason,
        })
    }

    /// One update: returns L_t, the loss before it, or where and why training stopped
    /// (nothing changes then).
    pub fn step(&mut self) -> Result<f64, Stop> {
        if let Some(stop) = self.stopped() {
            return Err(stop);
        }
        let e = self.current.as_ref().expect("not stopped, so evaluated");
        let loss = e.loss.expect("not stopped, so defined");
        let grad = param_grad(&self.model, self.x.as_ref(), e, &mut self.grad);
        let update = self.optimizer.update(
            self.step + 1,
            self.model.params_mut(),
            &grad,
            &mut self.m,
            &mut self.v,
        );
        if let Err(k) = update {
            self.refused = Some(format!(
                "update {} would make parameter {k} overflow (learning rate {:?} too large)",
                self.step + 1,
                self.optimizer.lr()
            ));
            return Err(self.stopped().expect("just refused"));
        }
        self.step += 1;
        self.forward();
        self.reevaluate();
        Ok(loss)
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
        // An undefined loss at the very end also ends the run.
        let stopped = stopped.or_else(|| self.stopped());
        TrainReport {
            losses,
            final_loss: self.loss(),
            stopped,
        }
    }

    /// Back to the starting parameters and a fresh optimiser state, step 0.
    pub fn reset(&mut self) {
        self.model = self.initial.clone();
        self.m.fill(0.0);
        self.v.fill(0.0);
        self.step = 0;
        self.refused = None;
        self.forward();
        self.reevaluate();
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

    /// New loss settings from the next step on (the parameters stay); the current
    /// evaluation is redone under them.
    pub fn set_settings(&mut self, settings: DiceSettings) -> Result<(), TrainError> {
        settings.validate(self.y.dim().1)?;
        self.settings = settings;
        self.reevaluate();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
