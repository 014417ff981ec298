//! The loss readout, the cells' captions and the colour legend in words: the page shows
//! them and the exported figure repeats them, from these functions (never read back from
//! the page).

use crate::engine::activation::Activation;
use crate::engine::loss::{DiceSettings, Evaluation};
use crate::present::colormap::{Scale, SYMLOG_DECADES};
use crate::present::format;
use crate::present::verdict::BADGE_DERIVATIVE;

/// "Dice loss" or "Jaccard loss".
/// Presentation's step counter: "step 120 of 300" while a run of known length plays
/// towards it, else "step 120".
pub fn step_counter(step: usize, until: Option<usize>) -> String {
    match until {
        Some(u) if u > step => format!("step {step} of {u}"),
        _ => format!("step {step}"),
    }
}

pub fn loss_kind(st: &DiceSettings) -> &'static str {
    if st.jaccard {
        "Jaccard loss"
    } else {
        "Dice loss"
    }
}

/// The loss as the readout writes it: 5 significant digits, or "undefined".
pub fn loss_value(eval: Result<&Evaluation, &String>) -> String {
    match eval.ok().and_then(|e| e.loss).filter(|l| l.is_finite()) {
        Some(l) => format::number(l, 5),
        None => "undefined".to_string(),
    }
}

/// The line under the loss: the number of sets, ε, and the settings that are not the
/// default ("|Φ| = 2 sets · ε = 1e-7 · background excluded").
pub fn loss_sub(st: &DiceSettings, eval: Option<&Evaluation>) -> String {
    let num = |v: f64| format::number(v, 4);
    let mut sub = Vec::new();
    if let Some(e) = eval {
        sub.push(format!(
            "|Φ| = {} set{}",
            e.sets.len(),
            if e.sets.len() == 1 { "" } else { "s" }
        ));
    }
    if st.eps_nr == st.eps_dr {
        sub.push(format!("ε = {}", num(st.eps_nr)));
    } else {
        sub.push(format!(
            "ε_nr = {}, ε_dr = {}",
            num(st.eps_nr),
            num(st.eps_dr)
        ));
    }
    if st.squared {
        sub.push("squared denominator".into());
    }
    if !st.include_background {
        sub.push("background excluded".into());
    }
    if st.activation != Activation::None {
        sub.push(st.activation.code().to_string());
    }
    sub.join(" · ")
}

/// The caption under cell (b, c): its set, its sDSC and, with a scale per cell, that
/// scale's maximum; empty before an evaluation.
pub fn caption(eval: Option<&Evaluation>, b: usize, c: usize, own_scale: Option<Scale>) -> String {
    let Some(e) = eval else {
        return String::new();
    };
    let set = e
        .cell_set
        .get((b, c))
        .copied()
        .flatten()
        .and_then(|k| e.sets.get(k).map(|r| (k, r)));
    let Some((k, r)) = set else {
        return "not in the loss (background excluded)".to_string();
    };
    let mut t = format!("φ{}", k + 1);
    match r.sdsc {
        Some(s) if r.zeroed => t.push_str(&format!(" · sDSC {} (zeroed)", format::number(s, 3))),
        Some(s) => t.push_str(&format!(" · sDSC {}", format::number(s, 3))),
        None => t.push_str(" · undefined"),
    }
    if let Some(s) = own_scale {
        t.push_str(&format!(" · max |g| {}", format::number(s.max, 2)));
    }
    t
}

/// The derivative the gradient views show: ∂L/∂z with an activation and the logit view
/// on, else ∂L/∂ỹ.
pub fn gradient_symbol(logits: bool) -> &'static str {
    if logits {
        "∂L/∂z"
    } else {
        "∂L/∂ỹ"
    }
}

/// The legend's two sides, each (what the colour means, the derivative's sign):
/// ("blue: descent raises ỹ", " (∂L/∂ỹ < 0)") and the orange one.
pub fn legend_sides(logits: bool) -> [(String, String); 2] {
    let d = gradient_symbol(logits);
    let what = if logits { "z" } else { "ỹ" };
    [
        (
            format!("blue: descent raises {what}"),
            format!(" ({d} < 0)"),
        ),
        (
            format!("orange: descent lowers {what}"),
            format!(" ({d} > 0)"),
        ),
    ]
}

/// The note under the legend: the scale's kind, shared or per cell, hatching, and what
/// the badges judge.
pub fn legend_note(symlog: bool, shared: bool, logits: bool) -> String {
    let kind = if symlog {
        format!("symmetric-log: {SYMLOG_DECADES} decades below the largest value fade to grey")
    } else {
        "linear".to_string()
    };
    let who = if shared {
        "one scale for all cells"
    } else {
        "each cell scaled to its own maximum (in its caption); ticks show the largest"
    };
    let badges = if logits {
        format!("the verdict badges are {BADGE_DERIVATIVE}, not on the ∂L/∂z shown here")
    } else {
        format!("the verdict badges are {BADGE_DERIVATIVE}")
    };
    format!("{kind}; {who}; hatched = undefined (no value); {badges}")
}

/// The title of plot `k` ((a), (b), (c) = 0, 1, 2); plot (b) names the cell it is about
/// (`focus`), or says that none takes part in the loss.
pub fn plot_title(k: u8, focus: Option<(usize, usize)>) -> String {
    match (k, focus) {
        (0, _) => "(a) The loss against ε, for every Φ".to_string(),
        (1, Some((b, c))) => {
            format!("(b) The push on a false positive in image {b}, class {c}, against ε")
        }
        (1, None) => "(b) No cell takes part in the loss".to_string(),
        _ => "(c) The push on an empty set against its prediction Ṽ".to_string(),
    }
}
