//! The Dice loss and its exact gradient for every Φ and ε (docs/science.md §2–§3).
//!
//! Works in two passes over the data: one that sums V, Ṽ and X per (b, c) cell, and one
//! that writes the gradient. The gradient of a pixel depends only on its own y and ỹ and
//! on its set's sums, so the second pass is a fused elementwise loop per cell.

use ndarray::{s, Array2, Array4, ArrayView2, ArrayView4, CowArray, Ix4};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::DiceError;
use crate::options::OptionsReport;
use crate::phi::Phi;
use crate::variants::{self, Missing, Variant};

/// Every setting of the loss. `Default` is MONAI's `DiceLoss()`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiceSettings {
    pub phi: Phi,
    /// Smoothing added to the numerator (MONAI `smooth_nr`).
    pub eps_nr: f64,
    /// Smoothing added to the denominator (MONAI `smooth_dr`).
    pub eps_dr: f64,
    /// Denominator Σy² + Σỹ² (V-Net, MONAI `squared_pred`).
    pub squared: bool,
    /// Soft IoU: denominator 2·(V + Ṽ − X) (MONAI `jaccard`).
    pub jaccard: bool,
    /// Whether class 0 takes part.
    pub include_background: bool,
    pub activation: Activation,
    /// The denominator (with ε_dr) is clamped to at least this (0 = no floor).
    pub denominator_floor: f64,
    /// Sets without foreground give loss 0 and gradient 0 but still count in the mean
    /// (segmentation_models_pytorch).
    pub zero_empty_sets: bool,
    /// The plain Dice, or the leaf / marginal Dice made for missing labels (they need the
    /// list of missing cells: [`evaluate_missing`], [`evaluate_probs_missing`]).
    pub variant: Variant,
}

impl DiceSettings {
    /// MONAI's `DiceLoss()`: the one home of its defaults (also the `monai` preset).
    pub const MONAI: DiceSettings = DiceSettings {
        phi: Phi::I,
        eps_nr: 1e-5,
        eps_dr: 1e-5,
        squared: false,
        jaccard: false,
        include_background: true,
        activation: Activation::None,
        denominator_floor: 0.0,
        zero_empty_sets: false,
        variant: Variant::Dice,
    };
}

impl Default for DiceSettings {
    fn default() -> Self {
        DiceSettings::MONAI
    }
}

impl DiceSettings {
    /// Checks the settings alone; `classes` is C.
    pub fn validate(&self, classes: usize) -> Result<(), DiceError> {
        for (name, value) in [
            ("eps_nr", self.eps_nr),
            ("eps_dr", self.eps_dr),
            ("denominator_floor", self.denominator_floor),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(DiceError::BadSmoothing { name, value });
            }
        }
        if self.activation == Activation::Softmax && classes < 2 {
            return Err(DiceError::SoftmaxOneClass(classes));
        }
        if !self.include_background && classes < 2 {
            return Err(DiceError::NoClassLeft(classes));
        }
        self.variant.validate(self, classes)
    }

    /// The class indices that take part in the loss.
    pub fn classes(&self, c: usize) -> Vec<usize> {
        let first = usize::from(!self.include_background);
        (first..c).collect()
    }

    /// Whether every loss these settings can give lies in [0, 1], whatever the (valid)
    /// data. 2X ≤ V + Ṽ for y, ỹ ∈ [0, 1] (and likewise with squares or the Jaccard
    /// denominator), so a score is at most 1 exactly when ε_nr ≤ ε_dr; a floor on the
    /// denominator does not change that (a perfect set scores (V + Ṽ + ε_nr)/(V + Ṽ + ε_dr)
    /// once V + Ṽ is above the floor). Scores are never negative, so the loss never
    /// exceeds 1.
    pub fn loss_bounded(&self) -> bool {
        self.eps_nr <= self.eps_dr
    }

    /// When [`DiceSettings::loss_bounded`] is false: one sentence saying so and how low
    /// the loss can go, for the page and the CLI; `None` otherwise.
    pub fn loss_range_warning(&self) -> Option<String> {
        if self.loss_bounded() {
            return None;
        }
        // Over a = V + Ṽ ≥ 0 a score is at most (a + ε_nr)/max(a + ε_dr, floor), which is
        // largest where a + ε_dr = m = max(ε_dr, floor): 1 + (ε_nr − ε_dr)/m. So a term,
        // and the loss, is at least −(ε_nr − ε_dr)/m, computed in that form (1 minus the
        // score would round a tiny excess away to "0").
        let m = self.eps_dr.max(self.denominator_floor);
        let by = if self.denominator_floor > self.eps_dr {
            "floor"
        } else {
            "ε_dr"
        };
        let lowest = if m > 0.0 {
            let low = -((self.eps_nr - self.eps_dr) / m);
            let bound = format!("−(ε_nr − ε_dr)/{by}");
            if low.is_infinite() {
                format!(
                    "it is bounded below only by {bound}, below −1.8e308 (beyond 64-bit floats)"
                )
            } else if low == 0.0 {
                format!(
                    "it is bounded below only by {bound}, a negative number closer to 0 than \
                     64-bit floats reach"
                )
            } else {
                format!("it is bounded below only by {}", short_number(low))
            }
        } else {
            "it has no lower bound (ε_dr = 0 and no floor)".to_string()
        };
        Some(format!(
            "ε_nr > ε_dr: a set can score above 1 (an empty set without prediction scores \
             ε_nr/{by}), so the loss can be negative; {lowest}"
        ))
    }
}

/// Four significant digits, plain between 1e-3 and 1e5 and with an exponent outside
/// (`-2.22e-16`, `-12.5`): a sentence's number, never a 300-digit decimal.
fn short_number(v: f64) -> String {
    let r: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    if (1e-3..1e5).contains(&r.abs()) {
        format!("{r}")
    } else {
        format!("{r:e}")
    }
}

/// One ε_nr and one ε_dr per class (index = class), for losses whose sets each hold one
/// class (Φ = I or BI): the authors' heuristic ε is computed per class. Replaces the
/// settings' scalar `eps_nr`/`eps_dr`; the background's values are unused when it is out.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassEps {
    pub nr: Vec<f64>,
    pub dr: Vec<f64>,
}

impl ClassEps {
    /// Checks the lists against the settings and the number of classes.
    pub fn validate(&self, settings: &DiceSettings, classes: usize) -> Result<(), DiceError> {
        if matches!(settings.phi, Phi::CI | Phi::BCI) {
            return Err(DiceError::ClassEpsPhi(settings.phi.code()));
        }
        for (name, list) in [("eps_nr", &self.nr), ("eps_dr", &self.dr)] {
            if list.len() != classes {
                return Err(DiceError::ClassEpsLength {
                    name,
                    got: list.len(),
                    want: classes,
                });
            }
            if let Some((class, &value)) = list
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(DiceError::BadClassSmoothing { name, class, value });
            }
        }
        Ok(())
    }

    /// (ε_nr, ε_dr) of class `c`.
    pub fn of(&self, c: usize) -> (f64, f64) {
        (self.nr[c], self.dr[c])
    }
}

/// Why a set's sDSC has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Undefined {
    /// 0/0: no foreground, no prediction, ε_nr = ε_dr = 0.
    ZeroOverZero,
    /// ε_nr/0: no foreground, no prediction, ε_dr = 0 but ε_nr > 0.
    DivisionByZero,
    /// The values exceed the range of a 64-bit float (an ε far below the volumes' scale).
    Overflow,
}

impl Undefined {
    pub fn explain(self) -> &'static str {
        match self {
            Undefined::ZeroOverZero => "0/0: no foreground, no prediction and ε = 0",
            Undefined::DivisionByZero => {
                "ε_nr/0: no foreground, no prediction and ε_dr = 0, so the denominator is 0"
            }
            Undefined::Overflow => {
                "overflow: the score or its gradient exceeds 1e300 (the denominator is nearly 0 while ε_nr or some label is not)"
            }
        }
    }
}

/// Sums of one (b, c) cell; with the squared option `v` and `v_pred` are sums of squares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellSums {
    pub v: f64,
    pub v_pred: f64,
    pub x: f64,
    /// Σ y, needed to know whether a set has foreground even when `v` holds squares.
    pub fg: f64,
    /// Extremes of y and ỹ: they validate the input and tell whether some pixel has
    /// y = 1 or y = 0, all in the same pass as the sums.
    pub y_min: f64,
    pub y_max: f64,
    pub p_min: f64,
    pub p_max: f64,
}

impl Default for CellSums {
    fn default() -> Self {
        CellSums {
            v: 0.0,
            v_pred: 0.0,
            x: 0.0,
            fg: 0.0,
            y_min: f64::INFINITY,
            y_max: f64::NEG_INFINITY,
            p_min: f64::INFINITY,
            p_max: f64::NEG_INFINITY,
        }
    }
}

impl CellSums {
    fn add(self, o: CellSums) -> CellSums {
        CellSums {
            v: self.v + o.v,
            v_pred: self.v_pred + o.v_pred,
            x: self.x + o.x,
            fg: self.fg + o.fg,
            y_min: self.y_min.min(o.y_min),
            y_max: self.y_max.max(o.y_max),
            p_min: self.p_min.min(o.p_min),
            p_max: self.p_max.max(o.p_max),
        }
    }

    /// Some pixel has y = 1 (valid labels lie in [0, 1]).
    pub fn has_fg(&self) -> bool {
        self.y_max == 1.0
    }

    /// Some pixel has y = 0.
    pub fn has_bg(&self) -> bool {
        self.y_min == 0.0
    }

    /// Labels and probabilities all in [0, 1]. `min`/`max` skip NaN, so the sums catch it.
    fn in_range(&self) -> bool {
        let finite = (self.v + self.v_pred + self.x + self.fg).is_finite();
        finite && self.y_min >= 0.0 && self.y_max <= 1.0 && self.p_min >= 0.0 && self.p_max <= 1.0
    }
}

/// Independent accumulators per quantity: breaks the add-latency chain and lets the
/// compiler use SIMD, since float sums are not reassociated otherwise.
const LANES: usize = 8;

/// Per-lane partial sums and extremes.
struct Lanes {
    v: [f64; LANES],
    vp: [f64; LANES],
    x: [f64; LANES],
    fg: [f64; LANES],
    y_min: [f64; LANES],
    y_max: [f64; LANES],
    p_min: [f64; LANES],
    p_max: [f64; LANES],
}

impl Lanes {
    fn new() -> Lanes {
        Lanes {
            v: [0.0; LANES],
            vp: [0.0; LANES],
            x: [0.0; LANES],
            fg: [0.0; LANES],
            y_min: [f64::INFINITY; LANES],
            y_max: [f64::NEG_INFINITY; LANES],
            p_min: [f64::INFINITY; LANES],
            p_max: [f64::NEG_INFINITY; LANES],
        }
    }

    #[inline(always)]
    fn push<const SQUARED: bool>(&mut self, k: usize, y: f64, p: f64) {
        let (yy, pp) = if SQUARED { (y * y, p * p) } else { (y, p) };
        self.v[k] += yy;
        self.vp[k] += pp;
        self.x[k] += y * p;
        // Without squares Σy is `v` already; a second accumulator would only cost registers.
        if SQUARED {
            self.fg[k] += y;
        }
        // Comparisons rather than f64::min/max: they compile to plain SIMD min/max; a NaN
        // is caught through the sums instead.
        self.y_min[k] = if y < self.y_min[k] { y } else { self.y_min[k] };
        self.y_max[k] = if y > self.y_max[k] { y } else { self.y_max[k] };
        self.p_min[k] = if p < self.p_min[k] { p } else { self.p_min[k] };
        self.p_max[k] = if p > self.p_max[k] { p } else { self.p_max[k] };
    }

    fn total<const SQUARED: bool>(&self) -> CellSums {
        let mut s = CellSums::default();
        for k in 0..LANES {
            s = s.add(CellSums {
                v: self.v[k],
                v_pred: self.vp[k],
                x: self.x[k],
                fg: if SQUARED { self.fg[k] } else { self.v[k] },
                y_min: self.y_min[k],
                y_max: self.y_max[k],
                p_min: self.p_min[k],
                p_max: self.p_max[k],
            });
        }
        s
    }
}

fn slice_sums<const SQUARED: bool>(ys: &[f64], ps: &[f64]) -> CellSums {
    let mut lanes = Lanes::new();
    let (yc, pc) = (ys.chunks_exact(LANES), ps.chunks_exact(LANES));
    let (y_rest, p_rest) = (yc.remainder(), pc.remainder());
    for (yb, pb) in yc.zip(pc) {
        // Fixed-size chunks: no bounds checks, and the lanes map onto SIMD registers.
        let (yb, pb): (&[f64; LANES], &[f64; LANES]) = (
            yb.try_into().expect("chunks_exact"),
            pb.try_into().expect("chunks_exact"),
        );
        for k in 0..LANES {
            lanes.push::<SQUARED>(k, yb[k], pb[k]);
        }
    }
    for (k, (&y, &p)) in y_rest.iter().zip(p_rest).enumerate() {
        lanes.push::<SQUARED>(k, y, p);
    }
    lanes.total::<SQUARED>()
}

fn slice_sums_dyn(ys: &[f64], ps: &[f64], squared: bool) -> CellSums {
    if squared {
        slice_sums::<true>(ys, ps)
    } else {
        slice_sums::<false>(ys, ps)
    }
}

/// Sums of one cell's label and prediction images.
pub fn cell_sums(y: ArrayView2<f64>, p: ArrayView2<f64>, squared: bool) -> CellSums {
    match (y.as_slice(), p.as_slice()) {
        (Some(ys), Some(ps)) => slice_sums_dyn(ys, ps, squared),
        // Non-contiguous views (never the app's own arrays): copy, then the same path.
        _ => {
            let (ys, ps): (Vec<f64>, Vec<f64>) =
                y.iter().zip(p.iter()).map(|(&a, &b)| (a, b)).unzip();
            slice_sums_dyn(&ys, &ps, squared)
        }
    }
}

/// Everything the engine knows about one reduction set φ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetReport {
    /// The (b, c) cells in this set.
    pub cells: Vec<(usize, usize)>,
    /// True volume Σy (Σy² when squared).
    pub v: f64,
    /// Predicted volume Σỹ (Σỹ² when squared).
    pub v_pred: f64,
    /// Overlap Σ y·ỹ.
    pub x: f64,
    /// 2·X + ε_nr.
    pub numerator: f64,
    /// The denominator actually divided by: (V + Ṽ, or 2·(V + Ṽ − X)) + ε_dr, floored.
    pub denominator: f64,
    /// The smoothed Dice (or Jaccard) score, `None` when undefined.
    pub sdsc: Option<f64>,
    /// This set's term of the loss, 1 − sDSC (0 when zeroed as an empty set).
    pub term: Option<f64>,
    /// ∂DL/∂ỹ of every pixel with y = 1 (`None` if there is none, or if the value
    /// depends on the pixel, as with the squared denominator).
    pub grad_fg: Option<f64>,
    /// ∂DL/∂ỹ of every pixel with y = 0 (same caveats).
    pub grad_bg: Option<f64>,
    pub undefined: Option<Undefined>,
    /// The floor on the denominator was active (its gradient is cut).
    pub floored: bool,
    /// Zeroed because the set has no foreground and `zero_empty_sets` is on.
    pub zeroed: bool,
    /// Made only of missing cells under the leaf or marginal Dice: its score is the
    /// constant 0 (whatever `numerator`/`denominator` say), it has no gradient and it
    /// still counts in |Φ|.
    pub constant: bool,
    /// Whether any pixel of the set has y = 1 / y = 0.
    pub has_fg: bool,
    pub has_bg: bool,
    /// Σy over the set (Σy, not Σy², even when squared); 0 means the set has no
    /// foreground at all and the gradient has no y-term.
    pub y_sum: f64,
}

/// The result of one evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation<'a> {
    pub loss: Option<f64>,
    pub sets: Vec<SetReport>,
    /// The probabilities ỹ the Dice saw (after the activation); borrowed from the input
    /// when there is no activation, so evaluating copies nothing it need not.
    pub prob: CowArray<'a, f64, Ix4>,
    /// ∂DL/∂ỹ; 0 where undefined.
    pub grad_prob: Array4<f64>,
    /// ∂DL/∂z when an activation is on (`None` without one: it equals `grad_prob`).
    /// Read it through [`Evaluation::grad`].
    pub(crate) logit_grad: Option<Array4<f64>>,
    /// Set index of each (b, c) cell; `None` for an excluded background class.
    pub cell_set: Array2<Option<usize>>,
    /// Per cell: `grad_prob` has no value there.
    pub grad_prob_undefined: Array2<bool>,
    /// Per cell: `grad` has no value there (softmax spreads this across classes).
    pub grad_undefined: Array2<bool>,
    /// The Dice and cross-entropy terms apart, when the loss is μ·Dice + λ·CE rather than
    /// the Dice alone (see `engine::objective`); `loss`, `grad_prob` and `grad()` are then
    /// the weighted totals, while `sets` describe the Dice term alone.
    pub terms: Option<Box<Terms>>,
    /// What the options of `engine::options` add (set weights, the power, inferred missing
    /// cells), when the loss was computed with them.
    pub options: Option<Box<OptionsReport>>,
}

/// The two terms of μ·Dice + λ·CE, each unweighted.
#[derive(Clone, Debug)]
pub struct Terms {
    pub dice_weight: f64,
    pub ce_weight: f64,
    /// The Dice term (`None` where undefined).
    pub dice: Option<f64>,
    /// The cross-entropy term (`None` when λ = 0: not computed).
    pub ce: Option<f64>,
    /// ∂Dice/∂pred (w.r.t. the logits with an activation); 0 where undefined.
    pub dice_grad: Array4<f64>,
    /// Per cell: `dice_grad` has no value there.
    pub dice_grad_undefined: Array2<bool>,
    /// ∂CE/∂pred (w.r.t. the logits), when λ > 0.
    pub ce_grad: Option<Array4<f64>>,
}

/// What the cross-entropy adds: its value and its gradients w.r.t. the logits and the
/// probabilities (the latter undefined where a probability saturated at 0 or 1).
pub(crate) struct CeTerm {
    pub loss: f64,
    pub logit_grad: Array4<f64>,
    pub prob_grad: Array4<f64>,
    pub prob_grad_undefined: Array2<bool>,
}

impl Evaluation<'_> {
    /// The same evaluation owning its probabilities (so it may outlive the input).
    pub fn into_owned<'b>(self) -> Evaluation<'b> {
        Evaluation {
            loss: self.loss,
            sets: self.sets,
            prob: CowArray::from(self.prob.into_owned()),
            grad_prob: self.grad_prob,
            logit_grad: self.logit_grad,
            cell_set: self.cell_set,
            grad_prob_undefined: self.grad_prob_undefined,
            grad_undefined: self.grad_undefined,
            terms: self.terms,
            options: self.options,
        }
    }

    /// Turns the Dice evaluation into one of μ·Dice + λ·CE (`ce` is `None` when λ = 0).
    /// A term of weight 0 is left out entirely: with μ = 0 the Dice's undefined sets do
    /// not make the loss undefined.
    pub(crate) fn combine(&mut self, dice_weight: f64, ce_weight: f64, ce: Option<CeTerm>) {
        let dice = self.loss;
        let dice_grad = self.grad().clone();
        let dice_grad_undefined = self.grad_undefined.clone();
        let use_dice = dice_weight != 0.0;
        // Plain loops over the (standard-layout) buffers: ndarray's generic zips would add
        // several KB to the page's bundle for these few lines.
        let scale = |a: &mut Array4<f64>, w: f64| {
            for v in a.iter_mut() {
                *v *= w;
            }
        };
        let add = |a: &mut Array4<f64>, w: f64, b: &Array4<f64>| {
            for (v, &u) in a.iter_mut().zip(b.iter()) {
                *v += w * u;
            }
        };
        if use_dice {
            scale(&mut self.grad_prob, dice_weight);
            if let Some(g) = &mut self.logit_grad {
                scale(g, dice_weight);
            }
        } else {
            self.grad_prob.fill(0.0);
            self.grad_prob_undefined.fill(false);
            self.grad_undefined.fill(false);
            if let Some(g) = &mut self.logit_grad {
                g.fill(0.0);
            }
        }
        let mut loss = if use_dice {
            dice.map(|d| dice_weight * d)
        } else {
            Some(0.0)
        };
        let mut ce_value = None;
        let mut ce_grad = None;
        if let Some(c) = ce {
            loss = loss.map(|l| l + ce_weight * c.loss);
            add(&mut self.grad_prob, ce_weight, &c.prob_grad);
            for ((cell, u), &cu) in self
                .grad_prob_undefined
                .indexed_iter_mut()
                .zip(c.prob_grad_undefined.iter())
            {
                if cu {
                    *u = true;
                    self.grad_prob
                        .slice_mut(s![cell.0, cell.1, .., ..])
                        .fill(0.0);
                }
            }
            let g = self
                .logit_grad
                .get_or_insert_with(|| Array4::zeros(c.logit_grad.raw_dim()));
            add(g, ce_weight, &c.logit_grad);
            for ((b, cl), &u) in self.grad_undefined.indexed_iter() {
                if u {
                    g.slice_mut(s![b, cl, .., ..]).fill(0.0);
                }
            }
            ce_value = Some(c.loss);
            ce_grad = Some(c.logit_grad);
        }
        self.loss = loss;
        self.terms = Some(Box::new(Terms {
            dice_weight,
            ce_weight,
            dice,
            ce: ce_value,
            dice_grad,
            dice_grad_undefined,
            ce_grad,
        }));
    }

    /// ∂DL/∂pred: with respect to the logits when an activation is on; 0 where undefined.
    pub fn grad(&self) -> &Array4<f64> {
        self.logit_grad.as_ref().unwrap_or(&self.grad_prob)
    }

    /// One sentence per undefined set.
    pub fn undefined_reasons(&self) -> Vec<String> {
        let mut reasons: Vec<String> = self
            .sets
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.undefined.map(|u| {
                    let cells: Vec<String> = s
                        .cells
                        .iter()
                        .map(|(b, c)| format!("(b={b}, c={c})"))
                        .collect();
                    format!("set {i} {}: {}", cells.join(" "), u.explain())
                })
            })
            .collect();
        if let Some(why) = self
            .options
            .as_ref()
            .and_then(|o| o.gradient_undefined.clone())
        {
            reasons.push(why);
        }
        reasons
    }

    /// The set that holds cell (b, c), if that class takes part.
    pub fn set_of_cell(&self, b: usize, c: usize) -> Option<&SetReport> {
        self.cell_set
            .get((b, c))
            .copied()
            .flatten()
            .map(|i| &self.sets[i])
    }
}

/// Checks shapes and settings (values are checked during the first pass).
fn validate_shapes(
    y: ArrayView4<f64>,
    pred: ArrayView4<f64>,
    s: &DiceSettings,
) -> Result<(), DiceError> {
    if y.shape() != pred.shape() {
        return Err(DiceError::ShapeMismatch(
            y.shape().to_vec(),
            pred.shape().to_vec(),
        ));
    }
    if y.shape().contains(&0) {
        return Err(DiceError::EmptyDimension(y.shape().to_vec()));
    }
    s.validate(y.shape()[1])
}

/// The first value outside [0, 1] (or NaN), searched only once a pass has found one.
fn out_of_range(a: ArrayView4<f64>) -> Option<(usize, f64)> {
    a.iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
        .map(|(i, &v)| (i, v))
}

/// Loss and gradients for labels `y` and network output `pred` (probabilities, or logits
/// when `settings.activation` is not `None`), both B×C×H×W. The leaf and marginal
/// variants need [`evaluate_missing`].
pub fn evaluate<'a>(
    y: ArrayView4<f64>,
    pred: ArrayView4<'a, f64>,
    settings: &DiceSettings,
) -> Result<Evaluation<'a>, DiceError> {
    needs_no_list(settings)?;
    evaluate_missing(y, pred, settings, &[])
}

/// A variant that uses the missing cells, asked for through an entry point without them:
/// refused rather than silently computed as if no label were missing.
fn needs_no_list(settings: &DiceSettings) -> Result<(), DiceError> {
    match settings.variant {
        Variant::Dice => Ok(()),
        v => Err(DiceError::VariantNeedsMissing(v.label())),
    }
}

/// [`evaluate`] with the (b, c) cells whose labels are missing, which the leaf and
/// marginal variants use (the plain Dice only checks them).
pub fn evaluate_missing<'a>(
    y: ArrayView4<f64>,
    pred: ArrayView4<'a, f64>,
    settings: &DiceSettings,
    missing: &[(usize, usize)],
) -> Result<Evaluation<'a>, DiceError> {
    evaluate_with(y, pred, settings, None, missing)
}

/// [`evaluate_missing`] with, optionally, one ε per class instead of the settings' scalar
/// ε (Φ = I or BI only: see [`ClassEps`]).
pub fn evaluate_with<'a>(
    y: ArrayView4<f64>,
    pred: ArrayView4<'a, f64>,
    settings: &DiceSettings,
    class_eps: Option<&ClassEps>,
    missing: &[(usize, usize)],
) -> Result<Evaluation<'a>, DiceError> {
    validate_shapes(y, pred, settings)?;
    if let Some(e) = class_eps {
        e.validate(settings, y.dim().1)?;
    }
    let missing = variants::missing_cells((y.dim().0, y.dim().1), settings, missing)?;
    let prob = match settings.activation {
        Activation::None => CowArray::from(pred),
        act => {
            if !pred.iter().fold(true, |ok, v| ok & v.is_finite()) {
                let index = pred.iter().position(|v| !v.is_finite()).unwrap_or(0);
                return Err(DiceError::NonFiniteLogit { index });
            }
            CowArray::from(act.apply(pred))
        }
    };
    variants::check_exclusive(prob.view(), settings)?;
    evaluate_checked(y, prob, settings, class_eps, missing.as_ref())
}

/// Like [`evaluate`] but starting from the probabilities ỹ even when an activation is
/// on: the activation then only enters through the chain rule. This is what the
/// playground does, since people paint probabilities, not logits.
pub fn evaluate_probs(
    y: ArrayView4<f64>,
    prob: Array4<f64>,
    settings: &DiceSettings,
) -> Result<Evaluation<'static>, DiceError> {
    needs_no_list(settings)?;
    evaluate_probs_missing(y, prob, settings, &[])
}

/// [`evaluate_probs`] with the (b, c) cells whose labels are missing (see
/// [`evaluate_missing`]).
pub fn evaluate_probs_missing(
    y: ArrayView4<f64>,
    prob: Array4<f64>,
    settings: &DiceSettings,
    missing: &[(usize, usize)],
) -> Result<Evaluation<'static>, DiceError> {
    evaluate_probs_with(y, prob, settings, None, missing)
}

/// [`evaluate_probs_missing`] with, optionally, one ε per class (see [`evaluate_with`]).
pub fn evaluate_probs_with(
    y: ArrayView4<f64>,
    prob: Array4<f64>,
    settings: &DiceSettings,
    class_eps: Option<&ClassEps>,
    missing: &[(usize, usize)],
) -> Result<Evaluation<'static>, DiceError> {
    validate_shapes(y, prob.view(), settings)?;
    if let Some(e) = class_eps {
        e.validate(settings, y.dim().1)?;
    }
    let missing = variants::missing_cells((y.dim().0, y.dim().1), settings, missing)?;
    if settings.activation == Activation::Softmax {
        if let Some((b, pixel, sum)) = first_unnormalised(prob.view()) {
            return Err(DiceError::SoftmaxNotNormalised { b, pixel, sum });
        }
    }
    variants::check_exclusive(prob.view(), settings)?;
    evaluate_checked(
        y,
        CowArray::from(prob),
        settings,
        class_eps,
        missing.as_ref(),
    )
}

/// The first pixel whose probabilities do not sum to 1 over the classes (to 1e-9), as
/// (b, pixel index, sum).
pub(crate) fn first_unnormalised(prob: ArrayView4<f64>) -> Option<(usize, usize, f64)> {
    let total = prob.sum_axis(ndarray::Axis(1));
    total
        .indexed_iter()
        .find(|(_, s)| s.is_nan() || (**s - 1.0).abs() > 1e-9)
        .map(|((b, i, j), &sum)| (b, i * prob.dim().3 + j, sum))
}

/// All cell sums of a B×C×H×W pair.
pub fn all_cell_sums(y: ArrayView4<f64>, prob: ArrayView4<f64>, squared: bool) -> Array2<CellSums> {
    let (bn, cn, _, _) = y.dim();
    Array2::from_shape_fn((bn, cn), |(b, c)| {
        cell_sums(
            y.slice(s![b, c, .., ..]),
            prob.slice(s![b, c, .., ..]),
            squared,
        )
    })
}

/// How ∂Den/∂ỹ_i depends on the pixel's own y and ỹ.
#[derive(Clone, Copy)]
enum DenShape {
    /// Dice, power 1: 1.
    Plain,
    /// Dice, power 2: 2ỹ.
    Squared,
    /// Jaccard, power 1: 2(1 − y).
    Jaccard,
    /// Jaccard, power 2: 2(2ỹ − y).
    JaccardSquared,
}

impl DenShape {
    fn of(s: &DiceSettings) -> DenShape {
        match (s.jaccard, s.squared) {
            (false, false) => DenShape::Plain,
            (false, true) => DenShape::Squared,
            (true, false) => DenShape::Jaccard,
            (true, true) => DenShape::JaccardSquared,
        }
    }

    #[inline(always)]
    fn d(self, y: f64, p: f64) -> f64 {
        match self {
            DenShape::Plain => 1.0,
            DenShape::Squared => 2.0 * p,
            DenShape::Jaccard => 2.0 * (1.0 - y),
            DenShape::JaccardSquared => 2.0 * (2.0 * p - y),
        }
    }
}

/// Per-set factors of the gradient: ∂DL/∂ỹ_i = −w·(2·y_i/D − r·∂Den/∂ỹ_i).
#[derive(Clone, Copy, Default)]
struct GradFactors {
    /// w/D·2 folded: the factor of y_i.
    two_w_over_d: f64,
    /// w·r with r = N/D² (0 when the floor cuts the denominator's gradient).
    w_r: f64,
}

impl GradFactors {
    /// From a set's numerator N, denominator D and flags, with |Φ| = `n_sets`;
    /// `foreground` says whether Σy > 0.
    fn new(
        n: f64,
        d: f64,
        floored: bool,
        zeroed: bool,
        foreground: bool,
        n_sets: f64,
    ) -> GradFactors {
        let w = if zeroed { 0.0 } else { 1.0 / n_sets };
        // Dividing twice by D rather than by D² keeps N/D² finite for tiny D.
        let r = if floored { 0.0 } else { n / d / d };
        GradFactors {
            // Without foreground every y_i is 0 and the y-term is absent: 2w/D may then
            // be huge or infinite (tiny Ṽ, ε = 0) without meaning anything, and ∞·0 is NaN.
            two_w_over_d: if foreground { 2.0 * w / d } else { 0.0 },
            w_r: w * r,
        }
    }

    /// [`GradFactors::new`], or no gradient at all for a constant set (whose D may be 0).
    fn of_set(
        n: f64,
        d: f64,
        floored: bool,
        zeroed: bool,
        constant: bool,
        foreground: bool,
        n_sets: f64,
    ) -> Self {
        if constant {
            GradFactors::default()
        } else {
            GradFactors::new(n, d, floored, zeroed, foreground, n_sets)
        }
    }

    /// ∂DL/∂ỹ of a pixel with label `y` and prediction `p`.
    #[inline(always)]
    fn at(self, shape: DenShape, y: f64, p: f64) -> f64 {
        -(self.two_w_over_d * y - self.w_r * shape.d(y, p))
    }
}

/// Appends the gradient of one cell's pixels. Without the squared denominator ∂Den/∂ỹ_i
/// depends on y_i alone, so those forms read only the labels: one array read and one
/// written, the least this pass can do.
fn cell_gradient(out: &mut Vec<f64>, f: GradFactors, shape: DenShape, ys: &[f64], ps: &[f64]) {
    match shape {
        DenShape::Plain => out.extend(ys.iter().map(|&y| f.at(DenShape::Plain, y, 0.0))),
        DenShape::Jaccard => out.extend(ys.iter().map(|&y| f.at(DenShape::Jaccard, y, 0.0))),
        DenShape::Squared | DenShape::JaccardSquared => {
            out.extend(ys.iter().zip(ps).map(|(&y, &p)| f.at(shape, y, p)))
        }
    }
}

/// Sets from cell sums: the part of the computation that does not touch pixels.
pub fn reduce_sets(
    sums: &Array2<CellSums>,
    settings: &DiceSettings,
) -> (Vec<SetReport>, Array2<Option<usize>>) {
    reduce_sets_masked(sums, settings, None, None)
}

/// [`reduce_sets`] where a set made only of `missing` cells has the constant score 0, and
/// each set takes the ε of its class from `class_eps` when given (validated: every set
/// then holds one class).
fn reduce_sets_masked(
    sums: &Array2<CellSums>,
    settings: &DiceSettings,
    missing: Option<&Array2<bool>>,
    class_eps: Option<&ClassEps>,
) -> (Vec<SetReport>, Array2<Option<usize>>) {
    let (bn, cn) = sums.dim();
    let classes = settings.classes(cn);
    let cells_per_set = settings.phi.sets(bn, &classes);
    let n_sets = cells_per_set.len() as f64;
    let mut cell_set = Array2::from_elem((bn, cn), None);
    let reports = cells_per_set
        .into_iter()
        .enumerate()
        .map(|(i, cells)| {
            let mut t = CellSums::default();
            for &(b, c) in &cells {
                cell_set[(b, c)] = Some(i);
                t = t.add(sums[(b, c)]);
            }
            let constant = missing.is_some_and(|m| cells.iter().all(|&bc| m[bc]));
            let eps = match class_eps {
                Some(e) => e.of(cells[0].1),
                None => (settings.eps_nr, settings.eps_dr),
            };
            set_report(cells, t, n_sets, settings, eps, constant)
        })
        .collect();
    (reports, cell_set)
}

/// A set's fraction (2X + ε_nr) / (D + ε_dr) with its rules: the denominator's floor, the
/// zeroed empty set, an undefined 0/0 or ε/0, and the score's clamp. The one home of these
/// rules for the Dice here and the libraries' options in `engine::general`.
pub(crate) struct Fraction {
    pub n: f64,
    pub d: f64,
    pub floored: bool,
    pub zeroed: bool,
    pub undefined: Option<Undefined>,
    pub score: f64,
}

impl Fraction {
    /// `den` is the set's denominator before ε_dr (V + Ṽ, its Jaccard or Tversky form), `x`
    /// the overlap, `fg` = Σy and `p_max` the largest prediction of the set.
    pub(crate) fn of(
        den: f64,
        x: f64,
        (eps_nr, eps_dr): (f64, f64),
        st: &DiceSettings,
        fg: f64,
        p_max: f64,
        constant: bool,
    ) -> Fraction {
        // Rounding can leave a hair below zero in the Jaccard form; it is ≥ 0 mathematically.
        let den_raw = den.max(0.0) + eps_dr;
        let floored = den_raw < st.denominator_floor;
        let d = if floored {
            st.denominator_floor
        } else {
            den_raw
        };
        let n = 2.0 * x + eps_nr;
        let zeroed = st.zero_empty_sets && fg <= 0.0;
        let mut undefined = None;
        if d == 0.0 && !constant {
            // With the squared denominator, labels or predictions below ~1e-162 square to 0:
            // the set is not empty, its sums are beyond the range of a 64-bit float.
            let underflow = fg > 0.0 || p_max > 0.0;
            undefined = Some(if underflow {
                Undefined::Overflow
            } else if n == 0.0 {
                Undefined::ZeroOverZero
            } else {
                Undefined::DivisionByZero
            });
        }
        // The score is at most 1 when ε_nr ≤ ε_dr (see `DiceSettings::loss_bounded`); the
        // clamp only removes rounding (a perfect set could otherwise give a loss of −2e-16).
        let score = if constant {
            0.0
        } else if eps_nr <= eps_dr {
            (n / d).min(1.0)
        } else {
            n / d
        };
        Fraction {
            n,
            d,
            floored,
            zeroed,
            undefined,
            score,
        }
    }
}

fn set_report(
    cells: Vec<(usize, usize)>,
    t: CellSums,
    n_sets: f64,
    st: &DiceSettings,
    (eps_nr, eps_dr): (f64, f64),
    constant: bool,
) -> SetReport {
    let den = if st.jaccard {
        2.0 * (t.v + t.v_pred - t.x)
    } else {
        t.v + t.v_pred
    };
    let Fraction {
        n,
        d,
        floored,
        zeroed,
        mut undefined,
        score: sdsc,
    } = Fraction::of(den, t.x, (eps_nr, eps_dr), st, t.fg, t.p_max, constant);
    let f = GradFactors::of_set(n, d, floored, zeroed, constant, t.fg > 0.0, n_sets);
    // Scores or gradients beyond 1e300 only arise from absurd ε; beyond that point sums of
    // terms could overflow, so such a set is reported instead of returning ±inf. The
    // y-term is 2w/D·y_i: judged at the largest label, since a set whose only foreground
    // is tiny labels has a huge 2w/D but a gradient 2w·y_i/D ≤ 2w (D ≥ Σy), and a loss of 1.
    let big = |v: f64| v.is_nan() || v.abs() >= 1e300;
    if undefined.is_none() && (big(sdsc) || big(f.two_w_over_d * t.y_max) || big(f.w_r)) {
        undefined = Some(Undefined::Overflow);
    }
    let defined = undefined.is_none();
    let shape = DenShape::of(st);
    let single = !st.squared && defined;
    let grad = |y: f64| f.at(shape, y, 0.0);
    SetReport {
        cells,
        v: t.v,
        v_pred: t.v_pred,
        x: t.x,
        numerator: n,
        denominator: d,
        sdsc: defined.then_some(sdsc),
        // smp's zeroing multiplies the term, so it applies to a constant set too.
        term: defined.then_some(if zeroed { 0.0 } else { 1.0 - sdsc }),
        grad_fg: (single && t.has_fg()).then(|| grad(1.0)),
        grad_bg: (single && t.has_bg()).then(|| grad(0.0)),
        undefined,
        floored,
        zeroed,
        constant,
        has_fg: t.has_fg(),
        has_bg: t.has_bg(),
        y_sum: t.fg,
    }
}

impl SetReport {
    /// ∂DL/∂ỹ of a pixel of this set with label `y` and prediction `p`, where the loss has
    /// `n_sets` sets; `None` when the set is undefined.
    pub fn grad_at(&self, settings: &DiceSettings, n_sets: usize, y: f64, p: f64) -> Option<f64> {
        if self.undefined.is_some() {
            return None;
        }
        let f = factors(self, n_sets as f64);
        Some(f.at(DenShape::of(settings), y, p))
    }
}

/// The factors a set's pixels use; recomputed from the report so the two never disagree.
fn factors(r: &SetReport, n_sets: f64) -> GradFactors {
    GradFactors::of_set(
        r.numerator,
        r.denominator,
        r.floored,
        r.zeroed,
        r.constant,
        r.y_sum > 0.0,
        n_sets,
    )
}

fn evaluate_checked<'a>(
    y_in: ArrayView4<f64>,
    prob: CowArray<'a, f64, Ix4>,
    settings: &DiceSettings,
    class_eps: Option<&ClassEps>,
    missing: Option<&Missing>,
) -> Result<Evaluation<'a>, DiceError> {
    // With a variant the Dice runs on its transformed inputs; `prob` stays the
    // activation's output, for the chain rule and the caller.
    let transformed = match missing {
        Some(m) => Some(m.transform(y_in, prob.view())?),
        None => None,
    };
    let (y, p_in) = match &transformed {
        Some((ty, tp)) => (ty.view(), tp.view()),
        None => (y_in.view(), prob.view()),
    };
    let sums = all_cell_sums(y, p_in, settings.squared);
    if !sums.iter().all(CellSums::in_range) {
        if let Some((index, value)) = out_of_range(y) {
            return Err(DiceError::LabelOutOfRange { index, value });
        }
        if let Some((index, value)) = out_of_range(prob.view()) {
            return Err(DiceError::ProbabilityOutOfRange { index, value });
        }
    }
    let (sets, cell_set) =
        reduce_sets_masked(&sums, settings, missing.map(Missing::mask), class_eps);
    let (bn, cn, _, _) = y.dim();
    let n_sets = sets.len() as f64;
    let shape = DenShape::of(settings);

    // Written cell by cell in B, C order, so the buffer is filled once, never zeroed first.
    let mut grad_prob = Vec::with_capacity(y.len());
    let mut grad_prob_undefined = Array2::from_elem((bn, cn), false);
    for b in 0..bn {
        for c in 0..cn {
            let (yc, pc) = (y.slice(s![b, c, .., ..]), p_in.slice(s![b, c, .., ..]));
            let report = cell_set[(b, c)].map(|si| &sets[si]);
            match report {
                Some(r) if r.undefined.is_none() => {
                    let f = factors(r, n_sets);
                    let g = |(&yv, &pv): (&f64, &f64)| f.at(shape, yv, pv);
                    match (yc.as_slice(), pc.as_slice()) {
                        // Plain slices vectorise; the fallback serves strided views.
                        (Some(ys), Some(ps)) => cell_gradient(&mut grad_prob, f, shape, ys, ps),
                        _ => grad_prob.extend(yc.iter().zip(pc.iter()).map(g)),
                    }
                }
                other => {
                    grad_prob_undefined[(b, c)] = other.is_some();
                    grad_prob.extend(std::iter::repeat_n(0.0, yc.len()));
                }
            }
        }
    }
    let mut grad_prob =
        Array4::from_shape_vec(y.raw_dim(), grad_prob).expect("one value per pixel");
    if let Some(m) = missing {
        m.map_back(&mut grad_prob, &mut grad_prob_undefined);
    }

    let mut grad_undefined = grad_prob_undefined.clone();
    let logit_grad = match settings.activation {
        Activation::None => None,
        act => {
            if act == Activation::Softmax {
                // Softmax mixes the classes of a pixel, so one undefined class spoils them all.
                for mut row in grad_undefined.rows_mut() {
                    if row.iter().any(|&u| u) {
                        row.fill(true);
                    }
                }
            }
            let mut g = act.backward(prob.view(), grad_prob.view());
            for ((b, c), &u) in grad_undefined.indexed_iter() {
                if u {
                    g.slice_mut(s![b, c, .., ..]).fill(0.0);
                }
            }
            Some(g)
        }
    };

    let loss = sets
        .iter()
        .map(|r| r.term)
        .sum::<Option<f64>>()
        .map(|total| total / n_sets);
    Ok(Evaluation {
        loss,
        sets,
        prob,
        grad_prob,
        logit_grad,
        cell_set,
        grad_prob_undefined,
        grad_undefined,
        terms: None,
        options: None,
    })
}
