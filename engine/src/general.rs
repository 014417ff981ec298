//! The Dice loss with the options of [`crate::options`] and its exact gradient
//! (docs/options.md). Native only: the page has none of these options.
//!
//! The loss, step by step (every step is differentiated exactly, in reverse):
//! 1. **Mask and activation.** A mask m applied after the activation multiplies the labels
//!    and the probabilities, y' = m·y, ỹ' = m·act(z); applied before it (MONAI ≤ 1.5
//!    `MaskedDiceLoss`) it multiplies the logits, ỹ' = act(m·z), and the labels.
//! 2. **Missing cells** (leaf / marginal Dice), the listed ones and, with `infer_missing`,
//!    every (b, c ≥ 1) cell whose y' is all zero: as `engine::variants`.
//! 3. **Cell sums**: V = Σy, Ṽ = Σỹ (squares with `squared`), X = Σ y·ỹ or, with
//!    `soft_label`, Σ min(y, ỹ), whose derivative is 1 where ỹ < y, 0 where ỹ > y and ½ at
//!    ỹ = y (the mean of the two sides, which is what autograd gives for the libraries'
//!    form (Σỹ + Σy − Σ|ỹ − y|)/2, and what central differences see). With micro class
//!    weights a cell's sums are multiplied by its class's weight.
//! 4. **Sets**: N = 2X + ε_nr, D = 2αṼ + 2βV + 2(1 − α − β)X + ε_dr (the Dice is α = β = ½,
//!    V + Ṽ; the Jaccard α = β = 1), floored; score s = N/D; term 1 − s, or −ln(max(s, eps))
//!    with `log_loss`; 0 for a zeroed set.
//! 5. **Reduction**: L₀ = Σ_φ a_φ·term_φ + const with a_φ = 1/|Φ| times the class and sample
//!    weights as their modes say; L = L₀^γ.
//!
//! So ∂L/∂ỹ_i = −k_φ·(A_φ·∂X/∂ỹ_i − B_φ·∂Ṽ/∂ỹ_i) with k_φ = γ·L₀^(γ−1)·a_φ·(−∂term/∂s)·w,
//! A_φ = 2/D − 2(1 − α − β)·N/D² and B_φ = 2α·N/D² (0 when the floor is active).

use ndarray::{s, Array2, Array4, ArrayView4, CowArray};

use crate::activation::Activation;
use crate::error::DiceError;
use crate::loss::{DiceSettings, Evaluation, Fraction, SetReport, Undefined};
use crate::objective::Objective;
use crate::options::{ClassWeighting, Extras, LossOptions, OptionsReport};
use crate::variants::{self, Missing};

/// The loss of `o` at network output `pred` (logits with an activation, else
/// probabilities) for labels `y`, both B×C×H×W, with the listed `missing` cells and the
/// `extras`. `o` has been validated.
pub(crate) fn evaluate<'a>(
    o: &Objective,
    y: ArrayView4<f64>,
    pred: ArrayView4<f64>,
    missing: &[(usize, usize)],
    extras: &Extras,
) -> Result<Evaluation<'a>, DiceError> {
    let s = &o.dice;
    if y.shape() != pred.shape() {
        return Err(DiceError::ShapeMismatch(
            y.shape().to_vec(),
            pred.shape().to_vec(),
        ));
    }
    if y.shape().contains(&0) {
        return Err(DiceError::EmptyDimension(y.shape().to_vec()));
    }
    let (bn, cn, h, w) = y.dim();
    extras.validate(bn, cn, h * w, s.phi)?;
    power_needs_bounded_terms(o, cn)?;
    weighted_mean_has_weight(o, cn)?;
    let inp = inputs(s, y, pred, extras)?;
    let mut all_missing = missing.to_vec();
    let inferred = if o.options.infer_missing {
        inferred_missing(inp.y.view())
    } else {
        Vec::new()
    };
    all_missing.extend(&inferred);
    let miss = variants::missing_cells((bn, cn), s, &all_missing)?;
    variants::check_exclusive(inp.prob.view(), s)?;
    let transformed = match &miss {
        Some(m) => Some(m.transform(inp.y.view(), inp.p.view())?),
        None => None,
    };
    let (y2, p2) = match &transformed {
        Some((ty, tp)) => (ty.view(), tp.view()),
        None => (inp.y.view(), inp.p.view()),
    };
    let soft = o.options.soft_label && !s.squared;
    let sums = Array2::from_shape_fn((bn, cn), |(b, c)| {
        let (ys, ps) = (y2.slice(s![b, c, .., ..]), p2.slice(s![b, c, .., ..]));
        let (ys, ps) = (ys.as_standard_layout(), ps.as_standard_layout());
        Sums::of(
            ys.as_slice().expect("standard"),
            ps.as_slice().expect("standard"),
            s.squared,
            soft,
        )
    });
    let plan = Plan::new(o, &sums, extras, miss.as_ref().map(Missing::mask));
    let grads = gradient(&plan, y2, p2, soft, s.squared, miss.as_ref());
    finish(s, inp, plan, grads, inferred)
}

/// With a power γ ≠ 1 the loss must not go below 0 (a negative number has no real power):
/// ε_nr ≤ ε_dr for every class.
fn power_needs_bounded_terms(o: &Objective, cn: usize) -> Result<(), DiceError> {
    if o.options.focal_gamma == 1.0 {
        return Ok(());
    }
    match o.options.classes(&o.dice, cn).into_iter().find(|&c| {
        let (nr, dr) = o.eps_of(c);
        nr > dr
    }) {
        Some(c) => Err(DiceError::Options(format!(
            "`focal_gamma` raises the loss to a power, which needs a loss ≥ 0; with ε_nr > ε_dr \
             (class {c}) a set can score above 1 and the loss go below 0"
        ))),
        None => Ok(()),
    }
}

/// smp's weighted mean divides by the weights of the classes in the loss: one must be > 0.
fn weighted_mean_has_weight(o: &Objective, cn: usize) -> Result<(), DiceError> {
    let Some(cw) = o.options.class_weights.as_ref() else {
        return Ok(());
    };
    let w = cw.of(cn);
    if cw.mode == ClassWeighting::Mean
        && o.options.classes(&o.dice, cn).iter().all(|&c| w[c] == 0.0)
    {
        return Err(DiceError::Options(
            "class_weighting \"mean\" divides by the weights of the classes in the loss, which are all 0".into(),
        ));
    }
    Ok(())
}

/// The activation's output and the labels and probabilities the loss sees after the mask.
struct Inputs {
    /// act(z), or act(m·z) with the mask before the activation: what the chain rule needs.
    prob: Array4<f64>,
    /// m·y (0 where m = 0, whatever y is there).
    y: Array4<f64>,
    /// What the Dice sums: m·prob, or prob itself when the mask went before the activation.
    p: Array4<f64>,
    /// The mask, broadcast to B×C×H×W.
    mask: Option<Array4<f64>>,
    before: bool,
}

fn inputs(
    s: &DiceSettings,
    y: ArrayView4<f64>,
    pred: ArrayView4<f64>,
    extras: &Extras,
) -> Result<Inputs, DiceError> {
    let (bn, cn, h, w) = y.dim();
    let mask = extras.mask.as_ref().map(|m| {
        Array4::from_shape_fn((bn, cn, h, w), |(b, c, i, j)| m.at(b, c, i * w + j, h * w))
    });
    let act = s.activation;
    let before =
        act != Activation::None && extras.mask.as_ref().is_some_and(|m| m.before_activation);
    let kept = |k: usize| {
        mask.as_ref()
            .is_none_or(|m| m.as_slice().expect("standard")[k] > 0.0)
    };
    // Values at ignored entries do not matter (an ignore index may stand there); the others
    // must be valid labels and, without an activation, probabilities.
    let ys: Vec<f64> = y.iter().copied().collect();
    if let Some((index, &value)) = ys
        .iter()
        .enumerate()
        .find(|&(k, v)| kept(k) && !(0.0..=1.0).contains(v))
    {
        return Err(DiceError::LabelOutOfRange { index, value });
    }
    let prob = if act == Activation::None {
        let ps: Vec<f64> = pred.iter().copied().collect();
        if let Some((index, &value)) = ps
            .iter()
            .enumerate()
            .find(|&(k, v)| kept(k) && !(0.0..=1.0).contains(v))
        {
            return Err(DiceError::ProbabilityOutOfRange { index, value });
        }
        Array4::from_shape_vec(y.raw_dim(), ps).expect("one value per entry")
    } else {
        if let Some(index) = pred.iter().position(|v| !v.is_finite()) {
            return Err(DiceError::NonFiniteLogit { index });
        }
        match (&mask, before) {
            (Some(m), true) => act.apply((&pred * m).view()),
            _ => act.apply(pred),
        }
    };
    let ys = Array4::from_shape_vec(y.raw_dim(), ys).expect("one value per entry");
    let masked = |a: &Array4<f64>| match &mask {
        None => a.clone(),
        Some(m) => {
            let mut out = a.clone();
            for (v, &mv) in out.iter_mut().zip(m.iter()) {
                *v = if mv == 0.0 { 0.0 } else { *v * mv };
            }
            out
        }
    };
    let p = if before { prob.clone() } else { masked(&prob) };
    Ok(Inputs {
        y: masked(&ys),
        p,
        prob,
        mask,
        before,
    })
}

/// The (b, c ≥ 1) cells whose label is all zero.
fn inferred_missing(y: ArrayView4<f64>) -> Vec<(usize, usize)> {
    let (bn, cn, _, _) = y.dim();
    let mut out = Vec::new();
    for b in 0..bn {
        for c in 1..cn {
            if y.slice(s![b, c, .., ..]).iter().all(|&v| v == 0.0) {
                out.push((b, c));
            }
        }
    }
    out
}

/// The sums of one cell, with what the gradient and the reports need.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    v: f64,
    vp: f64,
    x: f64,
    /// Σy (not of squares).
    fg: f64,
    y_max: f64,
    y_min: f64,
    p_max: f64,
    /// The largest ∂X/∂ỹ of a pixel.
    dx_max: f64,
    /// A pixel with y = 1 and ỹ = 1, or y = 0 and ỹ = 0, under the soft-label overlap:
    /// its ∂X/∂ỹ is ½, not y, so the set's pixels of that label do not share one gradient.
    tie_fg: bool,
    tie_bg: bool,
}

/// ∂X/∂ỹ of one pixel: y for the product; for Σ min(y, ỹ) 1, 0 or ½ at a tie.
fn overlap_slope(y: f64, p: f64, soft: bool) -> f64 {
    if !soft {
        y
    } else if p < y {
        1.0
    } else if p > y {
        0.0
    } else {
        0.5
    }
}

impl Sums {
    fn of(ys: &[f64], ps: &[f64], squared: bool, soft: bool) -> Sums {
        let mut t = Sums {
            y_min: f64::INFINITY,
            ..Sums::default()
        };
        for (&y, &p) in ys.iter().zip(ps) {
            let (yy, pp) = if squared { (y * y, p * p) } else { (y, p) };
            t.v += yy;
            t.vp += pp;
            t.x += if soft { y.min(p) } else { y * p };
            t.fg += y;
            t.y_max = t.y_max.max(y);
            t.y_min = t.y_min.min(y);
            t.p_max = t.p_max.max(p);
            t.dx_max = t.dx_max.max(overlap_slope(y, p, soft));
            t.tie_fg |= soft && y == 1.0 && p == 1.0;
            t.tie_bg |= soft && y == 0.0 && p == 0.0;
        }
        t
    }

    fn scaled(self, w: f64) -> Sums {
        Sums {
            v: self.v * w,
            vp: self.vp * w,
            x: self.x * w,
            ..self
        }
    }

    fn add(self, o: Sums) -> Sums {
        Sums {
            v: self.v + o.v,
            vp: self.vp + o.vp,
            x: self.x + o.x,
            fg: self.fg + o.fg,
            y_max: self.y_max.max(o.y_max),
            y_min: self.y_min.min(o.y_min),
            p_max: self.p_max.max(o.p_max),
            dx_max: self.dx_max.max(o.dx_max),
            tie_fg: self.tie_fg || o.tie_fg,
            tie_bg: self.tie_bg || o.tie_bg,
        }
    }
}

/// One set: its report and the factors of its pixels' gradient before the reduction.
struct SetCalc {
    report: SetReport,
    /// −∂term/∂s (0 for a zeroed or constant set, or a clamped log).
    kappa: f64,
    /// ∂s/∂X and −∂s/∂Ṽ per unit of the pixel's slopes: A and B of the module comment.
    a: f64,
    b: f64,
    sums: Sums,
}

/// Everything the gradient needs: the sets, their weights in the loss and the power.
struct Plan {
    sets: Vec<SetCalc>,
    /// Set index of each cell.
    cell_set: Array2<Option<usize>>,
    /// Micro class weights: a factor per class on the gradient (1 otherwise).
    micro: Vec<f64>,
    weights: Vec<f64>,
    constant: f64,
    loss0: Option<f64>,
    loss: Option<f64>,
    /// γ·L₀^(γ−1): ∂L/∂L₀.
    outer: f64,
    gamma: f64,
}

impl Plan {
    fn new(
        o: &Objective,
        sums: &Array2<Sums>,
        extras: &Extras,
        missing: Option<&Array2<bool>>,
    ) -> Plan {
        let s = &o.dice;
        let (bn, cn) = sums.dim();
        let classes = o.options.classes(s, cn);
        let micro: Vec<f64> = match &o.options.class_weights {
            Some(w) if w.mode == ClassWeighting::Micro => w.of(cn),
            _ => vec![1.0; cn],
        };
        let cells_per_set = s.phi.sets(bn, &classes);
        let mut cell_set = Array2::from_elem((bn, cn), None);
        let sets: Vec<SetCalc> = cells_per_set
            .into_iter()
            .enumerate()
            .map(|(i, cells)| {
                let mut t = Sums {
                    y_min: f64::INFINITY,
                    ..Sums::default()
                };
                for &(b, c) in &cells {
                    cell_set[(b, c)] = Some(i);
                    t = t.add(sums[(b, c)].scaled(micro[c]));
                }
                // A set made only of missing cells scores a constant 0 (leaf, marginal).
                let constant = missing.is_some_and(|m| cells.iter().all(|&bc| m[bc]));
                set_calc(o, cells, t, constant)
            })
            .collect();
        let (weights, constant) = coefficients(&o.options, extras, &sets, (bn, cn));
        let terms: Option<f64> = sets
            .iter()
            .zip(&weights)
            .map(|(st, &a)| st.report.term.map(|t| a * t))
            .sum();
        let loss0 = terms.map(|t| t + constant);
        let gamma = o.options.focal_gamma;
        let (loss, outer) = match loss0 {
            _ if gamma == 1.0 => (loss0, 1.0),
            None => (None, 0.0),
            Some(l) => {
                let l = l.max(0.0); // a rounding hair below 0 of a loss that is ≥ 0
                (Some(l.powf(gamma)), gamma * l.powf(gamma - 1.0))
            }
        };
        Plan {
            sets,
            cell_set,
            micro,
            weights,
            constant,
            loss0,
            loss,
            outer,
            gamma,
        }
    }
}

/// A set's score, term and gradient factors (before its weight in the loss).
fn set_calc(o: &Objective, cells: Vec<(usize, usize)>, t: Sums, constant: bool) -> SetCalc {
    let s = &o.dice;
    let (eps_nr, eps_dr) = match &o.class_eps {
        Some(e) => e.of(cells[0].1),
        None => (s.eps_nr, s.eps_dr),
    };
    let (alpha, beta) = o.options.alpha_beta(s);
    let den = match o.options.tversky {
        None if s.jaccard => 2.0 * (t.v + t.vp - t.x),
        None => t.v + t.vp,
        Some(_) => 2.0 * alpha * t.vp + 2.0 * beta * t.v + (2.0 - 2.0 * alpha - 2.0 * beta) * t.x,
    };
    let Fraction {
        n,
        d,
        floored,
        zeroed,
        mut undefined,
        score,
    } = Fraction::of(den, t.x, (eps_nr, eps_dr), s, t.fg, t.p_max, constant);
    let r = if floored { 0.0 } else { n / d / d };
    let a = 2.0 / d - (2.0 - 2.0 * alpha - 2.0 * beta) * r;
    let b = if alpha == 0.0 { 0.0 } else { 2.0 * alpha * r };
    let (term, mut kappa) = term_of(&o.options, score, zeroed);
    if constant {
        kappa = 0.0;
    }
    // Scores or gradient factors beyond 1e300 come only from absurd ε; such a set is
    // reported rather than carried as ±inf (as `engine::loss` does).
    let big = |v: f64| v.is_nan() || v.abs() >= 1e300;
    let dv_max = if s.squared { 2.0 * t.p_max } else { 1.0 };
    let slope_big = kappa != 0.0
        && ((t.dx_max > 0.0 && big(kappa * a * t.dx_max)) || (b != 0.0 && big(kappa * b * dv_max)));
    if undefined.is_none() && !constant && (big(score) || slope_big) {
        undefined = Some(Undefined::Overflow);
    }
    let defined = undefined.is_none();
    let report = SetReport {
        cells,
        v: t.v,
        v_pred: t.vp,
        x: t.x,
        numerator: n,
        denominator: d,
        sdsc: defined.then_some(score),
        term: defined.then_some(term),
        grad_fg: None,
        grad_bg: None,
        undefined,
        floored,
        zeroed,
        constant,
        has_fg: t.y_max == 1.0,
        has_bg: t.y_min == 0.0,
        y_sum: t.fg,
    };
    SetCalc {
        report,
        kappa,
        a,
        b,
        sums: t,
    }
}

/// A set's term and −∂term/∂score.
fn term_of(o: &LossOptions, score: f64, zeroed: bool) -> (f64, f64) {
    if zeroed {
        return (0.0, 0.0);
    }
    match o.log_loss {
        None => (1.0 - score, 1.0),
        // torch's clamp_min passes the gradient where the input is at least the bound.
        Some(eps) if score >= eps => (-score.ln(), 1.0 / score),
        Some(eps) => (-eps.ln(), 0.0),
    }
}

/// Each set's coefficient a_φ in L₀ and the constant part.
fn coefficients(
    o: &LossOptions,
    extras: &Extras,
    sets: &[SetCalc],
    (bn, cn): (usize, usize),
) -> (Vec<f64>, f64) {
    let n = sets.len() as f64;
    let class_of = |st: &SetCalc| st.report.cells[0].1;
    let mut constant = 0.0;
    let mut a: Vec<f64> = match &o.class_weights {
        None => vec![1.0 / n; sets.len()],
        Some(cw) => {
            let w = &cw.of(cn);
            match cw.mode {
                ClassWeighting::Micro => vec![1.0 / n; sets.len()],
                ClassWeighting::Term => sets.iter().map(|st| w[class_of(st)] / n).collect(),
                ClassWeighting::Mean => {
                    let total: f64 = sets.iter().map(|st| w[class_of(st)]).sum();
                    sets.iter().map(|st| w[class_of(st)] / total).collect()
                }
                ClassWeighting::Macro => {
                    // Φ = I: a set is one (b, c) cell; per image, the classes its labels hold.
                    let present = |st: &SetCalc| f64::from(u8::from(st.report.has_fg));
                    let mut norm = vec![0.0; bn];
                    for st in sets {
                        norm[st.report.cells[0].0] += w[class_of(st)] * present(st);
                    }
                    constant = norm.iter().filter(|&&z| z == 0.0).count() as f64 / bn as f64;
                    sets.iter()
                        .map(|st| {
                            let z = norm[st.report.cells[0].0];
                            if z == 0.0 {
                                0.0
                            } else {
                                w[class_of(st)] * present(st) / (bn as f64 * z)
                            }
                        })
                        .collect()
                }
            }
        }
    };
    if let Some(sw) = &extras.sample_weights {
        for (ai, st) in a.iter_mut().zip(sets) {
            *ai *= sw[st.report.cells[0].0];
        }
    }
    (a, constant)
}

/// ∂L/∂ỹ of the probabilities the Dice summed, and which cells have no value.
struct Grads {
    grad: Array4<f64>,
    undefined: Array2<bool>,
}

/// The per-pixel gradient w.r.t. the summed probabilities `p` (labels `y`), mapped back
/// through the leaf / marginal transformation to the masked probabilities.
fn gradient(
    plan: &Plan,
    y: ArrayView4<f64>,
    p: ArrayView4<f64>,
    soft: bool,
    squared: bool,
    miss: Option<&Missing>,
) -> Grads {
    let (bn, cn, _, _) = y.dim();
    let mut grad = Array4::zeros(y.raw_dim());
    let mut undefined = Array2::from_elem((bn, cn), false);
    let gradient_defined = plan.outer.is_finite();
    for ((b, c), set) in plan.cell_set.indexed_iter() {
        let Some(si) = *set else { continue };
        let st = &plan.sets[si];
        if st.report.undefined.is_some() || !gradient_defined {
            undefined[(b, c)] = true;
            continue;
        }
        let (fa, fb) = factors(plan, si, plan.micro[c]);
        let mut g = grad.slice_mut(s![b, c, .., ..]);
        let (yc, pc) = (y.slice(s![b, c, .., ..]), p.slice(s![b, c, .., ..]));
        for ((gv, &yv), &pv) in g.iter_mut().zip(yc.iter()).zip(pc.iter()) {
            let dv = if squared { 2.0 * pv } else { 1.0 };
            *gv = -(fa * overlap_slope(yv, pv, soft) - fb * dv);
        }
    }
    if let Some(m) = miss {
        m.map_back(&mut grad, &mut undefined);
    }
    Grads { grad, undefined }
}

/// The factors (k·A, k·B) of set `si`'s pixels, with `w` the class's micro weight.
fn factors(plan: &Plan, si: usize, w: f64) -> (f64, f64) {
    let st = &plan.sets[si];
    let k = plan.outer * plan.weights[si] * st.kappa * w;
    if k == 0.0 || st.report.constant {
        return (0.0, 0.0);
    }
    let fa = if st.sums.dx_max == 0.0 { 0.0 } else { k * st.a };
    let fb = if st.b == 0.0 { 0.0 } else { k * st.b };
    (fa, fb)
}

/// The evaluation: gradients w.r.t. the activation's output and the network's output,
/// the set reports with their shared gradients, and the options' report.
fn finish<'a>(
    s: &DiceSettings,
    inp: Inputs,
    mut plan: Plan,
    g: Grads,
    inferred: Vec<(usize, usize)>,
) -> Result<Evaluation<'a>, DiceError> {
    let Grads {
        grad: mut grad_prob,
        undefined,
    } = g;
    // The mask after the activation is a factor of ỹ': ∂L/∂ỹ = m·∂L/∂ỹ'.
    if let (Some(m), false) = (&inp.mask, inp.before) {
        grad_prob *= m;
    }
    let mut grad_undefined = undefined.clone();
    let logit_grad = match s.activation {
        Activation::None => None,
        act => {
            if act == Activation::Softmax {
                for mut row in grad_undefined.rows_mut() {
                    if row.iter().any(|&u| u) {
                        row.fill(true);
                    }
                }
            }
            let mut lg = act.backward(inp.prob.view(), grad_prob.view());
            if let (Some(m), true) = (&inp.mask, inp.before) {
                lg *= m;
            }
            for ((b, c), &u) in grad_undefined.indexed_iter() {
                if u {
                    lg.slice_mut(s![b, c, .., ..]).fill(0.0);
                }
            }
            Some(lg)
        }
    };
    let any_undefined = plan.sets.iter().any(|st| st.report.undefined.is_some());
    let gradient_undefined = (!plan.outer.is_finite() && !any_undefined).then(|| {
        format!(
            "the loss is 0 and focal_gamma is {} < 1: the derivative of L^γ, γ·L^(γ−1), is \
             infinite there, so the gradient has no value",
            plan.gamma
        )
    });
    for si in 0..plan.sets.len() {
        shared_gradients(&mut plan, si, s.squared);
    }
    let options = OptionsReport {
        set_weights: plan.weights.clone(),
        constant: plan.constant,
        loss_before_power: plan.loss0,
        focal_gamma: plan.gamma,
        inferred_missing: inferred,
        gradient_undefined,
    };
    let sets: Vec<SetReport> = plan.sets.into_iter().map(|st| st.report).collect();
    Ok(Evaluation {
        loss: plan.loss,
        sets,
        prob: CowArray::from(inp.prob),
        grad_prob,
        logit_grad,
        cell_set: plan.cell_set,
        grad_prob_undefined: undefined,
        grad_undefined,
        terms: None,
        options: Some(Box::new(options)),
    })
}

/// Fills in a set's `grad_fg` / `grad_bg`: ∂L/∂ỹ of the summed probabilities (per unit of
/// micro weight) shared by its pixels with y = 1 / y = 0.
fn shared_gradients(plan: &mut Plan, si: usize, squared: bool) {
    let defined = plan.sets[si].report.undefined.is_none() && plan.outer.is_finite();
    let (fa, fb) = if defined {
        factors(plan, si, 1.0)
    } else {
        (0.0, 0.0)
    };
    let st = &mut plan.sets[si];
    let r = &mut st.report;
    let single = defined && !squared;
    r.grad_fg = (single && r.has_fg && !st.sums.tie_fg).then(|| -(fa - fb));
    r.grad_bg = (single && r.has_bg && !st.sums.tie_bg).then_some(fb);
}
