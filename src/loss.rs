//! The Dice loss and its exact gradient for every Φ and ε (PAPER.md §2–§3).
//!
//! Works in two passes over the data: one that sums V, Ṽ and X per (b, c) cell, and one
//! that writes the gradient. The gradient of a pixel depends only on its own y and ỹ and
//! on its set's sums, so the second pass is a fused elementwise loop per cell.

use ndarray::{s, Array2, Array4, ArrayView2, ArrayView4, Zip};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::DiceError;
use crate::phi::Phi;

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
}

impl Default for DiceSettings {
    fn default() -> Self {
        DiceSettings {
            phi: Phi::I,
            eps_nr: 1e-5,
            eps_dr: 1e-5,
            squared: false,
            jaccard: false,
            include_background: true,
            activation: Activation::None,
            denominator_floor: 0.0,
            zero_empty_sets: false,
        }
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
        Ok(())
    }

    /// The class indices that take part in the loss.
    pub fn classes(&self, c: usize) -> Vec<usize> {
        let first = usize::from(!self.include_background);
        (first..c).collect()
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
                "the value is too large for a 64-bit float (ε_dr is tiny compared with ε_nr)"
            }
        }
    }
}

/// Sums of one (b, c) cell; with the squared option `v` and `v_pred` are sums of squares.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CellSums {
    pub v: f64,
    pub v_pred: f64,
    pub x: f64,
    /// Σ y, needed to know whether a set has foreground even when `v` holds squares.
    pub fg: f64,
    /// Some pixel has y = 1 / y = 0.
    pub has_fg: bool,
    pub has_bg: bool,
}

impl CellSums {
    fn add(self, o: CellSums) -> CellSums {
        CellSums {
            v: self.v + o.v,
            v_pred: self.v_pred + o.v_pred,
            x: self.x + o.x,
            fg: self.fg + o.fg,
            has_fg: self.has_fg || o.has_fg,
            has_bg: self.has_bg || o.has_bg,
        }
    }
}

/// Sums of one cell's label and prediction images.
pub fn cell_sums(y: ArrayView2<f64>, p: ArrayView2<f64>, squared: bool) -> CellSums {
    // Counting y = 1 and y = 0 pixels costs no extra pass over memory.
    let (v, vp, x, fg, ones, zeros) = Zip::from(&y).and(&p).fold(
        (0.0, 0.0, 0.0, 0.0, 0usize, 0usize),
        |(v, vp, x, fg, ones, zeros), &y, &p| {
            let (yy, pp) = if squared { (y * y, p * p) } else { (y, p) };
            (
                v + yy,
                vp + pp,
                x + y * p,
                fg + y,
                ones + usize::from(y == 1.0),
                zeros + usize::from(y == 0.0),
            )
        },
    );
    CellSums {
        v,
        v_pred: vp,
        x,
        fg,
        has_fg: ones > 0,
        has_bg: zeros > 0,
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
    /// Whether any pixel of the set has y = 1 / y = 0.
    pub has_fg: bool,
    pub has_bg: bool,
}

/// The result of one evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub loss: Option<f64>,
    pub sets: Vec<SetReport>,
    /// The probabilities ỹ the Dice saw (after the activation).
    pub prob: Array4<f64>,
    /// ∂DL/∂ỹ; 0 where undefined.
    pub grad_prob: Array4<f64>,
    /// ∂DL/∂pred: with respect to the logits when an activation is on; 0 where undefined.
    pub grad: Array4<f64>,
    /// Set index of each (b, c) cell; `None` for an excluded background class.
    pub cell_set: Array2<Option<usize>>,
    /// Per cell: `grad_prob` has no value there.
    pub grad_prob_undefined: Array2<bool>,
    /// Per cell: `grad` has no value there (softmax spreads this across classes).
    pub grad_undefined: Array2<bool>,
}

impl Evaluation {
    /// One sentence per undefined set.
    pub fn undefined_reasons(&self) -> Vec<String> {
        self.sets
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
            .collect()
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

/// Checks shapes and value ranges of `y` against `pred`.
fn validate_inputs(
    y: ArrayView4<f64>,
    pred: ArrayView4<f64>,
    s: &DiceSettings,
    pred_are_probs: bool,
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
    s.validate(y.shape()[1])?;
    if let Some((index, &value)) = y
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        return Err(DiceError::LabelOutOfRange { index, value });
    }
    if pred_are_probs {
        if let Some((index, &value)) = pred
            .iter()
            .enumerate()
            .find(|(_, v)| !(0.0..=1.0).contains(*v))
        {
            return Err(DiceError::ProbabilityOutOfRange { index, value });
        }
    } else if let Some((index, _)) = pred.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(DiceError::NonFiniteLogit { index });
    }
    Ok(())
}

/// Loss and gradients for labels `y` and network output `pred` (probabilities, or logits
/// when `settings.activation` is not `None`), both B×C×H×W.
pub fn evaluate(
    y: ArrayView4<f64>,
    pred: ArrayView4<f64>,
    settings: &DiceSettings,
) -> Result<Evaluation, DiceError> {
    let probs_in = settings.activation == Activation::None;
    validate_inputs(y, pred, settings, probs_in)?;
    let prob = settings.activation.apply(pred);
    Ok(evaluate_unchecked(y, prob, settings))
}

/// Like [`evaluate`] but starting from the probabilities ỹ even when an activation is
/// on: the activation then only enters through the chain rule. This is what the
/// playground does, since people paint probabilities, not logits.
pub fn evaluate_probs(
    y: ArrayView4<f64>,
    prob: Array4<f64>,
    settings: &DiceSettings,
) -> Result<Evaluation, DiceError> {
    validate_inputs(y, prob.view(), settings, true)?;
    if settings.activation == Activation::Softmax {
        let (bn, cn, h, w) = prob.dim();
        for b in 0..bn {
            for pixel in 0..h * w {
                let sum: f64 = (0..cn).map(|c| prob[[b, c, pixel / w, pixel % w]]).sum();
                if (sum - 1.0).abs() > 1e-9 {
                    return Err(DiceError::SoftmaxNotNormalised { b, pixel, sum });
                }
            }
        }
    }
    Ok(evaluate_unchecked(y, prob, settings))
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

/// Sets from cell sums: the part of the computation that does not touch pixels.
pub fn reduce_sets(
    sums: &Array2<CellSums>,
    settings: &DiceSettings,
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
            set_report(cells, t, n_sets, settings)
        })
        .collect();
    (reports, cell_set)
}

fn set_report(
    cells: Vec<(usize, usize)>,
    t: CellSums,
    n_sets: f64,
    st: &DiceSettings,
) -> SetReport {
    let den = if st.jaccard {
        2.0 * (t.v + t.v_pred - t.x)
    } else {
        t.v + t.v_pred
    };
    // Rounding can leave a hair below zero in the Jaccard form; it is ≥ 0 mathematically.
    let den_raw = den.max(0.0) + st.eps_dr;
    let floored = den_raw < st.denominator_floor;
    let d = if floored {
        st.denominator_floor
    } else {
        den_raw
    };
    let n = 2.0 * t.x + st.eps_nr;
    let zeroed = st.zero_empty_sets && t.fg <= 0.0;
    let mut undefined = None;
    if d == 0.0 {
        undefined = Some(if n == 0.0 {
            Undefined::ZeroOverZero
        } else {
            Undefined::DivisionByZero
        });
    }
    let sdsc = n / d;
    let w = if zeroed { 0.0 } else { 1.0 / n_sets };
    let r = if floored { 0.0 } else { sdsc / d };
    let f = GradFactors {
        two_w_over_d: 2.0 * w / d,
        w_r: w * r,
    };
    if undefined.is_none()
        && !(sdsc.is_finite()
            && f.two_w_over_d.is_finite()
            && f.w_r.is_finite()
            && f.w_r.abs() < 1e300)
    {
        undefined = Some(Undefined::Overflow);
    }
    let defined = undefined.is_none();
    let shape = DenShape::of(st);
    let single = !st.squared && defined;
    let grad = |y: f64| -(f.two_w_over_d * y - f.w_r * shape.d(y, 0.0));
    SetReport {
        cells,
        v: t.v,
        v_pred: t.v_pred,
        x: t.x,
        numerator: n,
        denominator: d,
        sdsc: defined.then_some(sdsc),
        term: defined.then_some(if zeroed { 0.0 } else { 1.0 - sdsc }),
        grad_fg: (single && t.has_fg).then(|| grad(1.0)),
        grad_bg: (single && t.has_bg).then(|| grad(0.0)),
        undefined,
        floored,
        zeroed,
        has_fg: t.has_fg,
        has_bg: t.has_bg,
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
        Some(-(f.two_w_over_d * y - f.w_r * DenShape::of(settings).d(y, p)))
    }
}

/// The factors a set's pixels use; recomputed from the report so the two never disagree.
fn factors(r: &SetReport, n_sets: f64) -> GradFactors {
    let w = if r.zeroed { 0.0 } else { 1.0 / n_sets };
    let rr = if r.floored {
        0.0
    } else {
        r.numerator / r.denominator / r.denominator
    };
    GradFactors {
        two_w_over_d: 2.0 * w / r.denominator,
        w_r: w * rr,
    }
}

fn evaluate_unchecked(
    y: ArrayView4<f64>,
    prob: Array4<f64>,
    settings: &DiceSettings,
) -> Evaluation {
    let sums = all_cell_sums(y, prob.view(), settings.squared);
    let (sets, cell_set) = reduce_sets(&sums, settings);
    let (bn, cn, _, _) = y.dim();
    let n_sets = sets.len() as f64;
    let shape = DenShape::of(settings);

    let mut grad_prob = Array4::<f64>::zeros(y.raw_dim());
    let mut grad_prob_undefined = Array2::from_elem((bn, cn), false);
    for b in 0..bn {
        for c in 0..cn {
            let Some(si) = cell_set[(b, c)] else { continue };
            let report = &sets[si];
            if report.undefined.is_some() {
                grad_prob_undefined[(b, c)] = true;
                continue;
            }
            let f = factors(report, n_sets);
            Zip::from(grad_prob.slice_mut(s![b, c, .., ..]))
                .and(y.slice(s![b, c, .., ..]))
                .and(prob.slice(s![b, c, .., ..]))
                .for_each(|g, &yv, &pv| *g = -(f.two_w_over_d * yv - f.w_r * shape.d(yv, pv)));
        }
    }

    let grad = settings.activation.backward(prob.view(), grad_prob.view());
    let mut grad_undefined = grad_prob_undefined.clone();
    if settings.activation == Activation::Softmax {
        // Softmax mixes the classes of a pixel, so one undefined class spoils them all.
        for mut row in grad_undefined.rows_mut() {
            if row.iter().any(|&u| u) {
                row.fill(true);
            }
        }
    }
    let mut grad = grad;
    for ((b, c), &u) in grad_undefined.indexed_iter() {
        if u {
            grad.slice_mut(s![b, c, .., ..]).fill(0.0);
        }
    }

    let loss = sets
        .iter()
        .map(|r| r.term)
        .sum::<Option<f64>>()
        .map(|total| total / n_sets);
    Evaluation {
        loss,
        sets,
        prob,
        grad_prob,
        grad,
        cell_set,
        grad_prob_undefined,
        grad_undefined,
    }
}
