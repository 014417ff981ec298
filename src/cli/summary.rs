//! `dice eval --summary`: the evaluation in words for a person at a terminal — the loss,
//! the settings (Φ and ε) in words, the per-set sums and scores, and for every cell what
//! one gradient-descent step on the probabilities does to it and whether that is right for
//! its label (the page's verdict badges) — without per-pixel arrays.
//!
//! The per-cell step is the loss's own push on the probabilities
//! ([`crate::engine::step::loss_push`]), averaged over the cell's labelled pixels (y = 1)
//! and over its other pixels (y = 0): positive lowers ỹ, negative raises it. The verdict is
//! the engine's rule ([`crate::engine::verdict`]: the fixed scale 1/(|Φ|·H·W), "almost no
//! push", "reached") in `present::verdict`'s words. A cell listed as missing (or inferred
//! so) is judged as missing; a cell whose label is all zero but not listed could be either
//! a missing or an empty label — the command cannot tell — so both readings are given.

use std::fmt::Write;

use ndarray::{s, Array2, ArrayView4};

use crate::engine::activation::Activation;
use crate::engine::loss::{Evaluation, SetReport};
use crate::engine::objective::Objective;
use crate::engine::options::{ClassWeighting, Extras};
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::step::loss_push;
use crate::engine::variants::Variant;
use crate::engine::verdict::{self, CellVerdict, Labelling, Scale};
use crate::present::format::number;
use crate::present::verdict::threshold_sentence;
use crate::present::verdict::CellWords as _;

/// Four significant digits, the rule of the page's readouts.
fn n(v: f64) -> String {
    number(v, 4)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_string(), n)
}

/// A (b, c) cell.
type Cell = (usize, usize);

/// What the cells are, for the verdict: the labels as given (a listed missing cell may
/// carry its unannotated structure, which the leaf and marginal Dice do not see), the
/// listed and inferred missing cells, and whether the classes of a pixel are tied.
pub struct Cells<'a> {
    /// B×C×H×W, NaN where a mask ignores the entry.
    pub y: ArrayView4<'a, f64>,
    pub missing: &'a [Cell],
    pub exclusive: bool,
}

/// The verdict of every cell in the loss, in words: a badge ("✓ pushed up") with the push
/// relative to the scale, or for an all-zero label not listed as missing both readings
/// ("missing: ✗ pushed down · empty: ✓ pushed down"); and the scale judged against.
pub fn cell_verdicts(
    e: &Evaluation,
    o: &Objective,
    cells: &Cells,
) -> (Array2<Option<String>>, Scale) {
    let (bn, cn, _, _) = cells.y.dim();
    let y = cells.y;
    let all_zero = |b: usize, c: usize| {
        y.slice(s![b, c, .., ..])
            .iter()
            .all(|v| !v.is_finite() || *v == 0.0)
    };
    let listed = |b: usize, c: usize| cells.missing.contains(&(b, c));
    let ambiguous =
        Array2::from_shape_fn((bn, cn), |(b, c)| c > 0 && !listed(b, c) && all_zero(b, c));
    // The labels the loss sees: the leaf and marginal Dice zero the missing cells.
    let mut y_loss = y.to_owned();
    if o.dice.variant != Variant::Dice {
        for &(b, c) in cells.missing {
            y_loss.slice_mut(s![b, c, .., ..]).fill(0.0);
        }
    }
    let judge = |unlisted_zero: LabelStatus| {
        let status = Array2::from_shape_fn((bn, cn), |(b, c)| {
            if listed(b, c) {
                LabelStatus::Missing
            } else if ambiguous[(b, c)] {
                unlisted_zero
            } else {
                LabelStatus::Annotated
            }
        });
        let labelling = Labelling {
            // A view of the view: ndarray's views are invariant in their lifetime.
            painted: y.view(),
            status: &status,
            exclusive: cells.exclusive,
        };
        verdict::verdicts(&labelling, &o.dice, &y_loss, e)
    };
    let (as_empty, scale) = judge(LabelStatus::Empty);
    let as_missing = ambiguous
        .iter()
        .any(|&a| a)
        .then(|| judge(LabelStatus::Missing).0);
    let badge = |v: &CellVerdict| {
        if v.undefined {
            v.badge()
        } else {
            format!("{} ({} of the scale)", v.badge(), n(v.ratio))
        }
    };
    // With exclusive classes the background label of an image with a missing structure
    // covers that structure, and is judged on its pixels (the background trap). The input
    // shows them only if the missing cell's y holds them (possible under leaf and
    // marginal, which do not read it); otherwise the verdict cannot be given.
    let hidden_unknown = |b: usize| {
        let merged = o.dice.variant == Variant::Marginal;
        let missing_here: Vec<usize> = cells
            .missing
            .iter()
            .filter(|m| m.0 == b && m.1 > 0)
            .map(|m| m.1)
            .collect();
        (cells.exclusive
            && !merged
            && !missing_here.is_empty()
            && missing_here.iter().all(|&k| all_zero(b, k)))
        .then_some(missing_here)
    };
    let words = Array2::from_shape_fn((bn, cn), |(b, c)| {
        let v = as_empty[(b, c)].as_ref()?;
        if c == 0 {
            if let Some(k) = hidden_unknown(b) {
                let k: Vec<String> = k.iter().map(|k| k.to_string()).collect();
                return Some(format!(
                    "? this background covers the missing class {}: judged on that \
                     structure's pixels, which the input does not show",
                    k.join(", ")
                ));
            }
        }
        match (&as_missing, ambiguous[(b, c)]) {
            (Some(m), true) => {
                let m = m[(b, c)].as_ref()?;
                Some(format!("missing: {} · empty: {}", m.badge(), v.badge()))
            }
            _ => Some(badge(v)),
        }
    });
    (words, scale)
}

/// The summary of `e`, made with `o` on labels `y` (B×C×H×W as the loss sees them, NaN
/// where a mask ignores the entry).
pub fn summary(
    e: &Evaluation,
    o: &Objective,
    y: ArrayView4<f64>,
    missing: &[(usize, usize)],
    extras: &Extras,
) -> String {
    let mut out = String::new();
    let (bn, cn, h, w) = y.dim();
    let _ = writeln!(out, "loss          {}", opt(e.loss));
    let reasons = e.undefined_reasons();
    if !reasons.is_empty() {
        for r in &reasons {
            let _ = writeln!(out, "undefined     {r}");
        }
    }
    for line in settings_lines(o, e.sets.len(), bn, cn, extras) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(w) = o.loss_range_warning(cn) {
        let _ = writeln!(out, "note          {w}");
    }
    let _ = write!(out, "\n{}", sets_table(e));
    let listed: Vec<(usize, usize)> = missing.to_vec();
    let inferred: Vec<(usize, usize)> = e
        .options
        .as_ref()
        .map(|r| r.inferred_missing.clone())
        .unwrap_or_default();
    let exclusive = o.dice.activation == Activation::Softmax || tied(e, o);
    let all_missing: Vec<Cell> = listed.iter().chain(&inferred).copied().collect();
    let (verdicts, scale) = cell_verdicts(
        e,
        o,
        &Cells {
            y: y.view(),
            missing: &all_missing,
            exclusive,
        },
    );
    let _ = write!(
        out,
        "{}",
        cells_table(e, o, y, (&listed, &inferred), exclusive, h * w, &verdicts)
    );
    let _ = write!(
        out,
        "\nverdict       ✓ where the step does what the cell's label wants (a labelled structure \
         pushed up, a prediction where nothing is labelled pushed down, a missing label left \
         alone), ✗ otherwise. {}",
        threshold_sentence(&scale)
    );
    out
}

/// Without an activation, whether the probabilities of every pixel sum to 1 (classes tied).
fn tied(e: &Evaluation, o: &Objective) -> bool {
    if o.dice.activation != Activation::None || e.prob.dim().1 < 2 {
        return false;
    }
    let total = e.prob.sum_axis(ndarray::Axis(1));
    total.iter().all(|s| (s - 1.0).abs() <= 1e-9)
}

/// Φ, ε, the activation and every option, in words.
fn settings_lines(
    o: &Objective,
    sets: usize,
    bn: usize,
    cn: usize,
    extras: &Extras,
) -> Vec<String> {
    let d = &o.dice;
    let classes = o.options.classes(d, cn);
    let which = if classes.len() == cn {
        "every class".to_string()
    } else {
        format!(
            "classes {}",
            classes
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let phi = match d.phi {
        Phi::I => format!(
            "one set per image and class: {bn} images × {} classes",
            classes.len()
        ),
        Phi::CI => format!("one set per image, its classes summed together: {bn} images"),
        Phi::BI => format!("one set per class, summed over the {bn} images of the batch"),
        Phi::BCI => "one set: every image and class summed together".to_string(),
    };
    let mut lines = vec![
        format!(
            "{:<14}{} ({}): {phi} — |Φ| = {sets}; {which} in the loss",
            format!("Φ = {}", d.phi.code()),
            d.phi.wise_name(),
            d.phi.code()
        ),
        eps_line(o, cn),
        format!("activation    {}", activation_words(d.activation)),
    ];
    let mut form = vec![];
    if let Some((a, b)) = o.options.tversky {
        form.push(format!(
            "Tversky index, α = {} on false positives, β = {} on false negatives",
            n(a),
            n(b)
        ));
    } else if d.jaccard {
        form.push("Jaccard (soft IoU): denominator 2·(V + Ṽ − X)".into());
    }
    if d.squared {
        form.push("squared denominator Σy² + Σỹ²".into());
    }
    if d.denominator_floor > 0.0 {
        form.push(format!("denominator floored at {}", n(d.denominator_floor)));
    }
    if d.zero_empty_sets {
        form.push("a set without foreground gives 0 and no gradient (smp)".into());
    }
    if d.variant != Variant::Dice {
        form.push(format!(
            "{} (missing cells: listed{})",
            d.variant.label(),
            if o.options.infer_missing {
                " and every all-zero label"
            } else {
                ""
            }
        ));
    }
    form.extend(option_words(o, extras));
    if o.ce_weight > 0.0 || o.dice_weight != 1.0 {
        form.push(format!(
            "{}·Dice + {}·cross-entropy",
            n(o.dice_weight),
            n(o.ce_weight)
        ));
    }
    for f in form {
        lines.push(format!("loss          {f}"));
    }
    lines
}

fn eps_line(o: &Objective, cn: usize) -> String {
    let each = |nr: f64, dr: f64| {
        if nr == dr {
            format!("ε_nr = ε_dr = {}", n(nr))
        } else {
            format!("ε_nr = {}, ε_dr = {}", n(nr), n(dr))
        }
    };
    let what = match &o.class_eps {
        None => each(o.dice.eps_nr, o.dice.eps_dr),
        Some(e) => o
            .options
            .classes(&o.dice, cn)
            .iter()
            .map(|&c| format!("class {c}: {}", each(e.nr[c], e.dr[c])))
            .collect::<Vec<_>>()
            .join("; "),
    };
    format!(
        "ε             {what} (added to 2X and to the denominator); a set without labels and \
         with prediction Ṽ is pushed by ε_nr/(|Φ|·(Ṽ + ε_dr)²), almost nothing when ε ≪ Ṽ"
    )
}

fn activation_words(a: Activation) -> &'static str {
    match a {
        Activation::None => "none: `pred` holds probabilities",
        Activation::Sigmoid => "sigmoid on `pred` (logits), each class on its own",
        Activation::Softmax => "softmax over the classes of `pred` (logits)",
    }
}

fn option_words(o: &Objective, extras: &Extras) -> Vec<String> {
    let p = &o.options;
    let mut out = vec![];
    if p.soft_label {
        out.push("soft-label overlap X = Σ min(y, ỹ)".into());
    }
    if let Some(eps) = p.log_loss {
        out.push(format!(
            "log loss: a set's term is −ln(max(score, {}))",
            n(eps)
        ));
    }
    if p.focal_gamma != 1.0 {
        out.push(format!("the loss raised to γ = {}", n(p.focal_gamma)));
    }
    if let Some(cw) = &p.class_weights {
        let how = match cw.mode {
            ClassWeighting::Term => "each set's term times its class's weight, mean over the sets (MONAI weight)",
            ClassWeighting::Mean => "weighted mean of the terms (smp class_weights)",
            ClassWeighting::Micro => "weights scale each class's y and ỹ in the sums (kornia micro)",
            ClassWeighting::Macro => "per image, weighted mean over its labelled classes, then over the images (kornia macro)",
        };
        let list = if cw.weights.is_empty() {
            "all 1".to_string()
        } else {
            cw.weights
                .iter()
                .map(|&v| n(v))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(format!("class weights [{list}]: {how}"));
    }
    if let Some(sw) = &extras.sample_weights {
        out.push(format!(
            "sample weights [{}]: each image's sets times its weight (Keras sample_weight)",
            sw.iter().map(|&v| n(v)).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(m) = &extras.mask {
        let ignored = m.values.iter().filter(|&&v| v == 0.0).count();
        out.push(format!(
            "mask: {ignored} of {} entries ignored, applied {} the activation",
            m.values.len(),
            if m.before_activation {
                "before"
            } else {
                "after"
            }
        ));
    }
    out
}

/// Cells of a set in short: "b0 c1", "b0–3 c1", "b2 c1–3".
fn cells_words(cells: &[(usize, usize)]) -> String {
    let span = |mut v: Vec<usize>| {
        v.sort_unstable();
        v.dedup();
        match (v.first(), v.last()) {
            (Some(a), Some(b)) if a == b => format!("{a}"),
            (Some(a), Some(b)) if v.len() == b - a + 1 => format!("{a}–{b}"),
            _ => v
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(","),
        }
    };
    let bs = span(cells.iter().map(|c| c.0).collect());
    let cs = span(cells.iter().map(|c| c.1).collect());
    format!("b{bs} c{cs}")
}

fn sets_table(e: &Evaluation) -> String {
    let weights = e.options.as_ref().map(|o| &o.set_weights);
    let mut rows = vec![vec![
        "set".to_string(),
        "cells".into(),
        "V".into(),
        "Ṽ".into(),
        "X".into(),
        "sDSC".into(),
        "term".into(),
        if weights.is_some() {
            "weight".into()
        } else {
            String::new()
        },
        "∂L/∂ỹ (y=1)".into(),
        "∂L/∂ỹ (y=0)".into(),
    ]];
    for (i, s) in e.sets.iter().enumerate() {
        rows.push(set_row(i, s, weights.map(|w| w[i])));
    }
    let mut out =
        "sets          V = Σy, Ṽ = Σỹ, X = the overlap; sDSC = (2X + ε_nr)/(denominator); \
                   ∂L/∂ỹ of a labelled / unlabelled pixel of the set\n"
            .to_string();
    out.push_str(&table(&rows));
    out
}

fn set_row(i: usize, s: &SetReport, weight: Option<f64>) -> Vec<String> {
    let note = match (s.undefined, s.zeroed, s.constant) {
        (Some(u), _, _) => format!(" ({})", u.explain()),
        (_, true, _) => " (zeroed: no foreground)".into(),
        (_, _, true) => " (only missing cells: constant 0)".into(),
        _ => String::new(),
    };
    vec![
        i.to_string(),
        cells_words(&s.cells),
        n(s.v),
        n(s.v_pred),
        n(s.x),
        opt(s.sdsc),
        opt(s.term) + &note,
        weight.map(n).unwrap_or_default(),
        s.grad_fg.map(n).unwrap_or_else(|| "–".into()),
        s.grad_bg.map(n).unwrap_or_else(|| "–".into()),
    ]
}

/// One line per cell in the loss: its label, and which way one step moves ỹ on its
/// labelled and on its other pixels.
fn cells_table(
    e: &Evaluation,
    o: &Objective,
    y: ArrayView4<f64>,
    (listed, inferred): (&[Cell], &[Cell]),
    exclusive: bool,
    pixels: usize,
    verdicts: &Array2<Option<String>>,
) -> String {
    let step = loss_push(e, o.dice.activation, exclusive);
    let (bn, cn, _, _) = y.dim();
    let mut rows = vec![vec![
        "b".to_string(),
        "c".into(),
        "set".into(),
        "label".into(),
        "labelled pixels (y = 1)".into(),
        "other pixels (y = 0)".into(),
        String::new(),
    ]];
    let mut any_verdict = false;
    for b in 0..bn {
        for c in 0..cn {
            let Some(set) = e.cell_set[(b, c)] else {
                continue;
            };
            let cell_y = y.slice(s![b, c, .., ..]);
            // Ignored (masked) pixels are NaN in `y`: neither labelled nor unlabelled.
            let volume: f64 = cell_y.iter().filter(|v| v.is_finite()).sum();
            let label = if listed.contains(&(b, c)) {
                "missing (listed)".to_string()
            } else if inferred.contains(&(b, c)) {
                "missing (all zero)".to_string()
            } else if volume == 0.0 {
                "all zero: missing or empty?".to_string()
            } else {
                format!("{} of {pixels} px", n(volume))
            };
            let words = |m: Option<f64>| match m {
                None => "–".to_string(),
                Some(v) if v > 0.0 => format!("lowers ỹ (+{})", n(v)),
                Some(v) if v < 0.0 => format!("raises ỹ ({})", n(v)),
                Some(_) => "no push (0)".to_string(),
            };
            let verdict = verdicts[(b, c)].clone();
            any_verdict |= verdict.is_some();
            rows.push(vec![
                b.to_string(),
                c.to_string(),
                set.to_string(),
                label,
                words(step.cell_mean((b, c), cell_y, 1.0)),
                words(step.cell_mean((b, c), cell_y, 0.0)),
                verdict.unwrap_or_default(),
            ]);
        }
    }
    if any_verdict {
        rows[0][6] = "verdict".into();
    }
    format!(
        "\ncells         what one gradient-descent step on the probabilities does (the loss's \
         push, mean over the pixels; with tied classes each moves by its ∂L/∂ỹ minus the \
         pixel's mean)\n{}",
        table(&rows)
    )
}

/// Left-aligned columns, two spaces apart; empty columns left out.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let keep: Vec<bool> = (0..cols)
        .map(|k| rows.iter().any(|r| r.get(k).is_some_and(|v| !v.is_empty())))
        .collect();
    let width: Vec<usize> = (0..cols)
        .map(|k| {
            rows.iter()
                .map(|r| r.get(k).map_or(0, |v| v.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for k in (0..cols).filter(|&k| keep[k]) {
            let v = r.get(k).map_or("", String::as_str);
            let pad = width[k] - v.chars().count();
            line.push_str(v);
            line.push_str(&" ".repeat(pad + 2));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
