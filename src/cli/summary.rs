//! `dice eval --summary`: the evaluation in words for a person at a terminal — the loss,
//! the settings (Φ and ε) in words, the per-set sums and scores, and for every cell what
//! one gradient-descent step on the probabilities does to it — without per-pixel arrays.
//!
//! The per-cell step is the loss's own push on the probabilities
//! ([`crate::engine::step::loss_push`]), averaged over the cell's labelled pixels (y = 1)
//! and over its other pixels (y = 0): positive lowers ỹ, negative raises it. Whether that
//! is right for the cell's label — the verdict rule's fixed scale, "almost no push",
//! "reached" — is the one thing not computed here: see [`cell_verdict`].

use std::fmt::Write;

use ndarray::{s, ArrayView4};

use crate::engine::activation::Activation;
use crate::engine::loss::{Evaluation, SetReport};
use crate::engine::objective::Objective;
use crate::engine::options::{ClassWeighting, Extras};
use crate::engine::phi::Phi;
use crate::engine::step::loss_push;
use crate::engine::variants::Variant;
use crate::present::format::number;

/// Four significant digits, the rule of the page's readouts.
fn n(v: f64) -> String {
    number(v, 4)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_string(), n)
}

/// What one cell of the batch is, for the verdict.
pub struct CellInput<'a, 'e, 'y> {
    pub b: usize,
    pub c: usize,
    pub evaluation: &'a Evaluation<'e>,
    pub objective: &'a Objective,
    /// The labels as the loss sees them, B×C×H×W (NaN where masked).
    pub y: ArrayView4<'y, f64>,
    /// The cell's label is missing (listed or inferred).
    pub missing: bool,
    /// Whether the classes of a pixel are tied (softmax, or probabilities summing to 1).
    pub exclusive: bool,
}

/// HOOK — the per-cell verdict (the ✓/✗ of the page's badges) plugs in here.
///
/// The verdict rule's numbers (the fixed scale 1/(|Φ|·H·W), "almost no push" below 1% of
/// it, "reached" at ỹ ≥ 0.9 / ≤ 0.1, the judged pixels of docs/science.md §11) live in
/// the page model today (`page::verdict`), which the command line must not import. Once
/// they are in the engine, this returns the verdict in words for one cell — e.g. "✓ pushed
/// up (0.32 of the scale)", or for an all-zero label both readings, "missing: ✗ pushed
/// down / empty: ✓ pushed down" — and the summary prints it in a last column. Until then
/// it returns `None` and the column is left out.
pub fn cell_verdict(cell: &CellInput<'_, '_, '_>) -> Option<String> {
    let _ = cell;
    None
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
    let _ = write!(
        out,
        "{}",
        cells_table(e, o, y, (&listed, &inferred), exclusive, h * w)
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

/// A (b, c) cell.
type Cell = (usize, usize);

/// One line per cell in the loss: its label, and which way one step moves ỹ on its
/// labelled and on its other pixels.
fn cells_table(
    e: &Evaluation,
    o: &Objective,
    y: ArrayView4<f64>,
    (listed, inferred): (&[Cell], &[Cell]),
    exclusive: bool,
    pixels: usize,
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
            let is_missing = listed.contains(&(b, c)) || inferred.contains(&(b, c));
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
            let verdict = cell_verdict(&CellInput {
                b,
                c,
                evaluation: e,
                objective: o,
                y: y.view(),
                missing: is_missing,
                exclusive,
            });
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
