//! What a network is trained on: μ·Dice + λ·CE, the Dice with one ε per class if asked
//! (docs/training.md, "Dice plus cross-entropy" and "Per-class ε").
//!
//! The cross-entropy needs logits. With a softmax it is the mean over (image, pixel) of
//! −Σ_c y_c·log softmax(z)_c over **all** classes (`include_background` is the Dice's
//! setting only), which is `torch.nn.CrossEntropyLoss` with the one-hot label as class
//! probabilities; with a sigmoid it is the mean over (image, class, pixel) of the binary
//! cross-entropy with logits (`torch.nn.BCEWithLogitsLoss`). MONAI's `DiceCELoss` picks
//! the form by the number of channels instead: the softmax cross-entropy whenever C > 1,
//! even when its Dice uses a sigmoid ([`CeForm::Monai`], the `monai_dice_ce` preset).

use ndarray::{Array2, Array4, ArrayView4, ArrayViewD};

use crate::activation::{sigmoid, Activation};
use crate::error::DiceError;
use crate::loss::{evaluate_probs_with, evaluate_with, CeTerm, ClassEps, DiceSettings, Evaluation};
use crate::options::{Extras, LossOptions};
use crate::shape::{engine_view, Shape};

/// Which cross-entropy goes with the Dice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CeForm {
    /// By the activation: softmax → softmax cross-entropy, sigmoid → binary cross-entropy.
    #[default]
    ByActivation,
    /// MONAI `DiceCELoss`: the softmax cross-entropy when C > 1, the binary one when C = 1,
    /// whatever activation its Dice uses.
    Monai,
}

/// The loss a network is trained on: the Dice settings, optionally one ε per class, and
/// the weights of the Dice and the cross-entropy.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    pub dice: DiceSettings,
    /// One ε_nr and ε_dr per class instead of `dice.eps_nr`/`dice.eps_dr` (Φ = I or BI).
    pub class_eps: Option<ClassEps>,
    /// μ ≥ 0, the weight of the Dice (1: the Dice alone, as before this field existed).
    pub dice_weight: f64,
    /// λ ≥ 0, the weight of the cross-entropy (0: none).
    pub ce_weight: f64,
    pub ce_form: CeForm,
    /// The peer libraries' options beyond the settings (class weights, soft labels,
    /// Tversky, …): `engine::options`. Computed natively only.
    pub options: LossOptions,
}

impl From<DiceSettings> for Objective {
    fn from(dice: DiceSettings) -> Objective {
        Objective {
            dice,
            class_eps: None,
            dice_weight: 1.0,
            ce_weight: 0.0,
            ce_form: CeForm::ByActivation,
            options: LossOptions::NONE,
        }
    }
}

impl Default for Objective {
    fn default() -> Objective {
        DiceSettings::default().into()
    }
}

impl Objective {
    /// Whether this is the Dice alone with weight 1 (the evaluation then has no terms).
    pub fn is_plain_dice(&self) -> bool {
        self.dice_weight == 1.0 && self.ce_weight == 0.0
    }

    /// Checks the objective alone; `classes` is C.
    pub fn validate(&self, classes: usize) -> Result<(), DiceError> {
        self.dice.validate(classes)?;
        if let Some(e) = &self.class_eps {
            e.validate(&self.dice, classes)?;
        }
        for (name, value) in [
            ("dice_weight", self.dice_weight),
            ("ce_weight", self.ce_weight),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(DiceError::BadWeight { name, value });
            }
        }
        if self.dice_weight == 0.0 && self.ce_weight == 0.0 {
            return Err(DiceError::NoTerm);
        }
        if self.ce_weight > 0.0 && self.dice.activation == Activation::None {
            return Err(DiceError::CeNeedsLogits);
        }
        self.options.validate(&self.dice, classes)?;
        if self.ce_weight > 0.0 && self.options.class_weights.is_some() {
            return Err(DiceError::Options(
                "`class_weights` weight the Dice term only, while MONAI's DiceCELoss(weight=…) \
                 weights its cross-entropy too: with ce_weight > 0 this would be another loss \
                 than the library's, so it is refused"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Checks what the per-image `extras` need of the objective (a mask weights the Dice
    /// only, so it is refused beside a cross-entropy).
    fn validate_extras(&self, extras: &Extras) -> Result<(), DiceError> {
        if self.ce_weight > 0.0 && extras.mask.is_some() {
            return Err(DiceError::Options(
                "a mask (or ignore_index) applies to the Dice term only; with ce_weight > 0 the \
                 cross-entropy would still see the ignored pixels, so it is refused"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Whether the loss needs `engine::general` (an option, or per-image extras).
    fn needs_general(&self, extras: &Extras) -> bool {
        !self.options.is_none() || !extras.is_empty()
    }

    /// The Dice term with the options and extras (`engine::general`; native only).
    fn general<'a>(
        &self,
        y: ArrayView4<f64>,
        pred: ArrayView4<f64>,
        missing: &[(usize, usize)],
        extras: &Extras,
    ) -> Result<Evaluation<'a>, DiceError> {
        self.validate_extras(extras)?;
        #[cfg(not(target_arch = "wasm32"))]
        {
            crate::general::evaluate(self, y, pred, missing, extras)
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (y, pred, missing);
            Err(DiceError::Options(
                "the peer libraries' options are computed by the dice command only".into(),
            ))
        }
    }

    /// (ε_nr, ε_dr) of class `c`.
    pub fn eps_of(&self, c: usize) -> (f64, f64) {
        match &self.class_eps {
            Some(e) => e.of(c),
            None => (self.dice.eps_nr, self.dice.eps_dr),
        }
    }

    /// [`DiceSettings::loss_range_warning`] for the ε of every class in the Dice.
    pub fn loss_range_warning(&self, classes: usize) -> Option<String> {
        let Some(e) = &self.class_eps else {
            return self.dice.loss_range_warning();
        };
        self.dice.classes(classes).into_iter().find_map(|c| {
            let (eps_nr, eps_dr) = e.of(c);
            DiceSettings {
                eps_nr,
                eps_dr,
                ..self.dice
            }
            .loss_range_warning()
            .map(|w| format!("class {c}: {w}"))
        })
    }

    /// The loss at network output `pred` (logits with an activation, else probabilities),
    /// B×C×H×W, with the (b, c) cells whose labels are missing (leaf and marginal Dice).
    pub fn evaluate<'a>(
        &self,
        y: ArrayView4<f64>,
        pred: ArrayView4<'a, f64>,
        missing: &[(usize, usize)],
    ) -> Result<Evaluation<'a>, DiceError> {
        self.evaluate_extras(y, pred, missing, &Extras::default())
    }

    /// [`Objective::evaluate`] with a mask and sample weights (`engine::options`).
    pub fn evaluate_extras<'a>(
        &self,
        y: ArrayView4<f64>,
        pred: ArrayView4<'a, f64>,
        missing: &[(usize, usize)],
        extras: &Extras,
    ) -> Result<Evaluation<'a>, DiceError> {
        self.validate(y.dim().1)?;
        let mut e = if self.needs_general(extras) {
            self.general(y, pred, missing, extras)?
        } else {
            evaluate_with(y, pred, &self.dice, self.class_eps.as_ref(), missing)?
        };
        self.add_ce(y, pred, &mut e);
        Ok(e)
    }

    /// [`Objective::evaluate`] with an evaluation that owns everything (the trainer keeps
    /// it beside its logits).
    pub fn evaluate_owned(
        &self,
        y: ArrayView4<f64>,
        pred: ArrayView4<f64>,
        missing: &[(usize, usize)],
    ) -> Result<Evaluation<'static>, DiceError> {
        self.evaluate_owned_extras(y, pred, missing, &Extras::default())
    }

    /// [`Objective::evaluate_owned`] with a mask and sample weights.
    pub fn evaluate_owned_extras(
        &self,
        y: ArrayView4<f64>,
        pred: ArrayView4<f64>,
        missing: &[(usize, usize)],
        extras: &Extras,
    ) -> Result<Evaluation<'static>, DiceError> {
        self.validate(y.dim().1)?;
        if self.needs_general(extras) {
            let mut e = self.general(y, pred, missing, extras)?;
            self.add_ce(y, pred, &mut e);
            return Ok(e);
        }
        let act = self.dice.activation;
        if act != Activation::None {
            if let Some(index) = pred.iter().position(|v| !v.is_finite()) {
                return Err(DiceError::NonFiniteLogit { index });
            }
        }
        let prob = act.apply(pred);
        let mut e = evaluate_probs_with(y, prob, &self.dice, self.class_eps.as_ref(), missing)?;
        self.add_ce(y, pred, &mut e);
        Ok(e)
    }

    /// [`Objective::evaluate`] for `[B, C, *spatial]` tensors with 1 to 3 spatial
    /// dimensions (see `engine::shape`): the result's arrays are (B, C, 1, L).
    pub fn evaluate_nd<'a>(
        &self,
        y: ArrayViewD<'_, f64>,
        pred: ArrayViewD<'a, f64>,
        missing: &[(usize, usize)],
    ) -> Result<Evaluation<'a>, DiceError> {
        self.evaluate_nd_extras(y, pred, missing, &Extras::default())
    }

    /// [`Objective::evaluate_nd`] with a mask and sample weights (the mask's pixels in the
    /// same flat order as the tensors').
    pub fn evaluate_nd_extras<'a>(
        &self,
        y: ArrayViewD<'_, f64>,
        pred: ArrayViewD<'a, f64>,
        missing: &[(usize, usize)],
        extras: &Extras,
    ) -> Result<Evaluation<'a>, DiceError> {
        if y.shape() != pred.shape() {
            return Err(DiceError::ShapeMismatch(
                y.shape().to_vec(),
                pred.shape().to_vec(),
            ));
        }
        let dim = Shape::new(y.shape())?.engine_dim();
        let y = engine_view(y)?;
        if pred.is_standard_layout() {
            let pred = pred
                .into_shape_with_order(dim)
                .map_err(|_| DiceError::ShapeTooLarge(vec![dim.0, dim.1, dim.3]))?;
            self.evaluate_extras(y.view(), pred, missing, extras)
        } else {
            let pred = engine_view(pred)?;
            Ok(self
                .evaluate_extras(y.view(), pred.view(), missing, extras)?
                .into_owned())
        }
    }

    fn add_ce(&self, y: ArrayView4<f64>, z: ArrayView4<f64>, e: &mut Evaluation) {
        if self.is_plain_dice() {
            return;
        }
        let ce = (self.ce_weight > 0.0).then(|| {
            let softmax_ce = match self.ce_form {
                CeForm::ByActivation => self.dice.activation == Activation::Softmax,
                CeForm::Monai => y.dim().1 > 1,
            };
            let prob = e.prob.view();
            if softmax_ce {
                softmax_cross_entropy(y, z, prob, self.dice.activation)
            } else {
                binary_cross_entropy(y, z, prob, self.dice.activation)
            }
        });
        e.combine(self.dice_weight, self.ce_weight, ce);
    }
}

/// −(1/N)·Σ_{b,i} Σ_c y_c·log softmax(z)_c with N = B·H·W, and its gradients. ∂/∂z_c is
/// (softmax(z)_c·Σ_k y_k − y_c)/N; ∂/∂ỹ is taken through the Dice's activation `act`
/// (−y_c/(N·ỹ_c) under a softmax, ∂/∂z_c / (ỹ_c(1 − ỹ_c)) under a sigmoid), undefined
/// where that divides by 0. (Flat loops over row-major copies: small code in the page.)
fn softmax_cross_entropy(
    y: ArrayView4<f64>,
    z: ArrayView4<f64>,
    prob: ArrayView4<f64>,
    act: Activation,
) -> CeTerm {
    let (bn, cn, h, w) = y.dim();
    let hw = h * w;
    let n = (bn * hw) as f64;
    let (ys, zs, ps) = (flat(y), flat(z), flat(prob));
    let mut logit_grad = vec![0.0; ys.len()];
    let mut prob_grad = vec![0.0; ys.len()];
    let mut undefined = Array2::from_elem((bn, cn), false);
    let mut total = 0.0;
    let mut log_p = vec![0.0; cn];
    for b in 0..bn {
        for i in 0..hw {
            let at = |c: usize| (b * cn + c) * hw + i;
            // log softmax as torch computes it: z − max − log Σ exp(z − max).
            let m = (0..cn).map(|c| zs[at(c)]).fold(f64::NEG_INFINITY, f64::max);
            let lse = (0..cn).map(|c| (zs[at(c)] - m).exp()).sum::<f64>().ln();
            let mut y_sum = 0.0;
            for (c, lp) in log_p.iter_mut().enumerate() {
                *lp = zs[at(c)] - m - lse;
                let yc = ys[at(c)];
                y_sum += yc;
                if yc != 0.0 {
                    total -= yc * *lp;
                }
            }
            for (c, lp) in log_p.iter().enumerate() {
                let k = at(c);
                let (yc, p) = (ys[k], ps[k]);
                let g = (lp.exp() * y_sum - yc) / n;
                logit_grad[k] = g;
                let pg = match act {
                    Activation::Sigmoid => g / (p * (1.0 - p)),
                    _ if yc == 0.0 => 0.0,
                    _ => -yc / (n * p),
                };
                if pg.is_finite() {
                    prob_grad[k] = pg;
                } else {
                    undefined[(b, c)] = true;
                }
            }
        }
    }
    finish(y.raw_dim(), total / n, logit_grad, prob_grad, undefined)
}

/// The mean over (image, class, pixel) of max(z, 0) − z·y + log(1 + e^−|z|), and its
/// gradients: ∂/∂z = (σ(z) − y)/N, ∂/∂ỹ = (−y/ỹ + (1 − y)/(1 − ỹ))/N (never met with a
/// softmax, which MONAI's binary form excludes: undefined there).
fn binary_cross_entropy(
    y: ArrayView4<f64>,
    z: ArrayView4<f64>,
    prob: ArrayView4<f64>,
    act: Activation,
) -> CeTerm {
    let (bn, cn, h, w) = y.dim();
    let hw = h * w;
    let (ys, zs, ps) = (flat(y), flat(z), flat(prob));
    let n = ys.len() as f64;
    let mut logit_grad = vec![0.0; ys.len()];
    let mut prob_grad = vec![0.0; ys.len()];
    let mut undefined = Array2::from_elem((bn, cn), false);
    let mut total = 0.0;
    for k in 0..ys.len() {
        let (yv, zv, p) = (ys[k], zs[k], ps[k]);
        total += zv.max(0.0) - zv * yv + (-zv.abs()).exp().ln_1p();
        logit_grad[k] = (sigmoid(zv) - yv) / n;
        let pg = if act == Activation::Softmax {
            f64::NAN
        } else {
            let up = if yv != 0.0 { -yv / p } else { 0.0 };
            let down = if yv != 1.0 {
                (1.0 - yv) / (1.0 - p)
            } else {
                0.0
            };
            (up + down) / n
        };
        if pg.is_finite() {
            prob_grad[k] = pg;
        } else {
            undefined[(k / hw / cn, k / hw % cn)] = true;
        }
    }
    finish(y.raw_dim(), total / n, logit_grad, prob_grad, undefined)
}

/// The values of an array in row-major order, borrowed when it is contiguous.
fn flat<'a>(a: ArrayView4<'a, f64>) -> std::borrow::Cow<'a, [f64]> {
    match a.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().copied().collect()),
    }
}

fn finish(
    dim: ndarray::Ix4,
    loss: f64,
    logit_grad: Vec<f64>,
    mut prob_grad: Vec<f64>,
    undefined: Array2<bool>,
) -> CeTerm {
    let per_cell = prob_grad.len() / undefined.len().max(1);
    for (cell, &u) in undefined.iter().enumerate() {
        if u {
            prob_grad[cell * per_cell..(cell + 1) * per_cell].fill(0.0);
        }
    }
    let array = |v| Array4::from_shape_vec(dim, v).expect("one value per entry");
    CeTerm {
        loss,
        logit_grad: array(logit_grad),
        prob_grad: array(prob_grad),
        prob_grad_undefined: undefined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phi::Phi;
    use ndarray::Array4;

    fn values(n: usize, seed: u64) -> Vec<f64> {
        let mut r = crate::rng::Rng::new(seed, 0);
        (0..n).map(|_| r.range(-2.0, 2.0)).collect()
    }

    fn one_hot(b: usize, c: usize, h: usize, w: usize, seed: u64) -> Array4<f64> {
        let mut r = crate::rng::Rng::new(seed, 9);
        let mut y = Array4::zeros((b, c, h, w));
        for bi in 0..b {
            for i in 0..h {
                for j in 0..w {
                    y[[bi, r.below(c as u64) as usize, i, j]] = 1.0;
                }
            }
        }
        y
    }

    /// Central differences of the loss against ∂/∂z, for both forms and several mixes.
    #[test]
    fn gradients_match_central_differences() {
        let (b, c, h, w) = (2, 3, 3, 4);
        let y = one_hot(b, c, h, w, 1);
        let z = Array4::from_shape_vec((b, c, h, w), values(b * c * h * w, 2)).unwrap();
        for (act, phi, form, mu, lambda, class_eps) in [
            (
                Activation::Softmax,
                Phi::I,
                CeForm::ByActivation,
                1.0,
                1.0,
                false,
            ),
            (
                Activation::Sigmoid,
                Phi::BI,
                CeForm::ByActivation,
                0.5,
                2.0,
                true,
            ),
            (Activation::Sigmoid, Phi::I, CeForm::Monai, 1.0, 1.0, true),
            (
                Activation::Softmax,
                Phi::BI,
                CeForm::ByActivation,
                0.0,
                1.0,
                false,
            ),
            (
                Activation::Softmax,
                Phi::CI,
                CeForm::ByActivation,
                2.0,
                0.0,
                false,
            ),
        ] {
            let o = Objective {
                dice: DiceSettings {
                    phi,
                    activation: act,
                    include_background: false,
                    ..DiceSettings::default()
                },
                class_eps: class_eps.then(|| ClassEps {
                    nr: vec![0.0, 0.5, 2.0],
                    dr: vec![1.0, 0.7, 3.0],
                }),
                dice_weight: mu,
                ce_weight: lambda,
                ce_form: form,
                options: LossOptions::NONE,
            };
            let e = o.evaluate(y.view(), z.view(), &[]).unwrap();
            let t = e.terms.as_ref().expect("terms");
            assert_eq!(t.ce.is_some(), lambda > 0.0);
            let loss = |z: &Array4<f64>| o.evaluate(y.view(), z.view(), &[]).unwrap().loss.unwrap();
            let hstep = 1e-6;
            for k in 0..z.len() {
                let mut up = z.clone();
                let mut down = z.clone();
                up.as_slice_mut().unwrap()[k] += hstep;
                down.as_slice_mut().unwrap()[k] -= hstep;
                let fd = (loss(&up) - loss(&down)) / (2.0 * hstep);
                let g = e.grad().as_slice().unwrap()[k];
                assert!(
                    (fd - g).abs() < 1e-7,
                    "{act:?} {phi:?} {form:?} [{k}]: {fd} vs {g}"
                );
            }
            // The total is the weighted sum of the terms.
            let total = mu * t.dice.unwrap() + lambda * t.ce.unwrap_or(0.0);
            assert!((e.loss.unwrap() - total).abs() < 1e-15);
        }
    }

    /// ∂L/∂ỹ pushed through the activation's chain rule gives ∂L/∂z again.
    #[test]
    fn grad_prob_is_consistent_with_the_logit_gradient() {
        let (b, c, h, w) = (2, 2, 2, 3);
        let y = one_hot(b, c, h, w, 3);
        let z = Array4::from_shape_vec((b, c, h, w), values(b * c * h * w, 4)).unwrap();
        for act in [Activation::Softmax, Activation::Sigmoid] {
            let o = Objective {
                dice: DiceSettings {
                    activation: act,
                    ..DiceSettings::default()
                },
                ce_weight: 0.7,
                ..Objective::default()
            };
            let e = o.evaluate(y.view(), z.view(), &[]).unwrap();
            let back = act.backward(e.prob.view(), e.grad_prob.view());
            for (a, b) in back.iter().zip(e.grad().iter()) {
                assert!((a - b).abs() < 1e-12, "{act:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn softmax_ce_counts_every_class_and_binary_ce_every_element() {
        // One pixel, two classes, label class 1, logits (0, ln 3): softmax (1/4, 3/4).
        let y = Array4::from_shape_vec((1, 2, 1, 1), vec![0.0, 1.0]).unwrap();
        let z = Array4::from_shape_vec((1, 2, 1, 1), vec![0.0, 3f64.ln()]).unwrap();
        let mut o = Objective {
            dice: DiceSettings {
                activation: Activation::Softmax,
                include_background: false,
                ..DiceSettings::default()
            },
            ce_weight: 1.0,
            dice_weight: 0.0,
            ..Objective::default()
        };
        let e = o.evaluate(y.view(), z.view(), &[]).unwrap();
        assert!((e.loss.unwrap() - (4.0f64 / 3.0).ln()).abs() < 1e-15);
        // Sigmoid: BCE over both channels: −log σ(0)·… = ln 2 and −log σ(ln 3) = ln(4/3).
        o.dice.activation = Activation::Sigmoid;
        let e = o.evaluate(y.view(), z.view(), &[]).unwrap();
        let want = (2f64.ln() + (4.0f64 / 3.0).ln()) / 2.0;
        assert!((e.loss.unwrap() - want).abs() < 1e-15);
        // MONAI's form keeps the softmax CE under a sigmoid.
        o.ce_form = CeForm::Monai;
        let e = o.evaluate(y.view(), z.view(), &[]).unwrap();
        assert!((e.loss.unwrap() - (4.0f64 / 3.0).ln()).abs() < 1e-15);
    }

    #[test]
    fn bad_objectives_are_refused_in_words() {
        let y = Array4::<f64>::zeros((1, 2, 1, 2));
        let z = Array4::<f64>::zeros((1, 2, 1, 2));
        let base = Objective {
            dice: DiceSettings {
                activation: Activation::Softmax,
                ..DiceSettings::default()
            },
            ..Objective::default()
        };
        for (o, needle) in [
            (
                Objective {
                    ce_weight: 1.0,
                    dice: DiceSettings::default(),
                    ..base.clone()
                },
                "needs logits",
            ),
            (
                Objective {
                    ce_weight: -1.0,
                    ..base.clone()
                },
                "ce_weight",
            ),
            (
                Objective {
                    dice_weight: 0.0,
                    ..base.clone()
                },
                "both 0",
            ),
            (
                Objective {
                    class_eps: Some(ClassEps {
                        nr: vec![1.0],
                        dr: vec![1.0, 1.0],
                    }),
                    ..base.clone()
                },
                "has 1 values",
            ),
            (
                Objective {
                    dice: DiceSettings {
                        phi: Phi::CI,
                        ..base.dice
                    },
                    class_eps: Some(ClassEps {
                        nr: vec![1.0, 1.0],
                        dr: vec![1.0, 1.0],
                    }),
                    ..base.clone()
                },
                "Φ = I or BI",
            ),
            (
                Objective {
                    class_eps: Some(ClassEps {
                        nr: vec![1.0, f64::NAN],
                        dr: vec![1.0, 1.0],
                    }),
                    ..base.clone()
                },
                "for class 1",
            ),
        ] {
            let e = o.evaluate(y.view(), z.view(), &[]).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn per_class_eps_gives_each_set_its_own_class_value() {
        let y = one_hot(2, 3, 2, 2, 5);
        let z = Array4::from_shape_vec((2, 3, 2, 2), values(24, 6)).unwrap();
        let eps = ClassEps {
            nr: vec![9.0, 1.0, 5.0],
            dr: vec![9.0, 2.0, 6.0],
        };
        for phi in [Phi::I, Phi::BI] {
            let o = Objective {
                dice: DiceSettings {
                    phi,
                    activation: Activation::Softmax,
                    ..DiceSettings::default()
                },
                class_eps: Some(eps.clone()),
                ..Objective::default()
            };
            let e = o.evaluate(y.view(), z.view(), &[]).unwrap();
            for set in &e.sets {
                let c = set.cells[0].1;
                assert_eq!(set.numerator, 2.0 * set.x + eps.nr[c]);
                assert_eq!(set.denominator, set.v + set.v_pred + eps.dr[c]);
            }
            // Equal lists are the scalar ε exactly.
            let same = Objective {
                class_eps: Some(ClassEps {
                    nr: vec![0.3; 3],
                    dr: vec![0.4; 3],
                }),
                ..o.clone()
            };
            let scalar = Objective {
                dice: DiceSettings {
                    eps_nr: 0.3,
                    eps_dr: 0.4,
                    ..o.dice
                },
                class_eps: None,
                ..o
            };
            let (a, b) = (
                same.evaluate(y.view(), z.view(), &[]).unwrap(),
                scalar.evaluate(y.view(), z.view(), &[]).unwrap(),
            );
            assert_eq!(a.loss, b.loss);
            assert_eq!(a.grad(), b.grad());
        }
    }
}
