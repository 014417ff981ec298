//! The verdicts in words: what a badge says, the reason written next to it, its tooltip's
//! sentence and the rule with its current numbers. The numbers are the engine's
//! ([`crate::engine::verdict`]); nothing here decides a verdict.

use crate::engine::heuristic::Heuristic;
use crate::engine::status::LabelStatus;
use crate::engine::verdict::{
    CellVerdict, Judged, Scale, Verdict, NO_PUSH_FRACTION, REACHED_HIGH, REACHED_LOW,
};
use crate::present::format::number as format_number;

/// Which derivative the verdict badges judge, in words (for the badge and the legend).
pub const BADGE_DERIVATIVE: &str =
    "judged on the push the loss gives the probabilities ỹ (kept summing to 1 over tied classes, so raising the background lowers the structure)";

/// The clause that says why a badge's push is not the cell's own ∂DL/∂ỹ when the classes
/// of a pixel are tied (the lessons' formulas are ∂DL/∂ỹ).
pub const TIED_CLASSES_CLAUSE: &str = "with tied classes the step keeps each pixel's probabilities summing to 1, so a class moves by its ∂DL/∂ỹ minus the pixel's mean over the classes — with two classes and the background out of the loss, half of its ∂DL/∂ỹ";

/// A verdict or what it was judged on, in words. (A trait: the engine's types live in
/// their own crate, and their words belong here.)
pub trait Words {
    fn words(self) -> &'static str;
}

impl Words for Verdict {
    fn words(self) -> &'static str {
        match self {
            Verdict::Down => "pushes the prediction down",
            Verdict::None => "almost no push",
            Verdict::Up => "pushes the prediction up",
        }
    }
}

impl Words for Judged {
    fn words(self) -> &'static str {
        match self {
            Judged::Foreground => "its labelled pixels",
            Judged::HiddenTruth => "the pixels of its unannotated structure",
            Judged::Background => "its pixels without a label",
            Judged::CoveredStructure => "the pixels of the unannotated structure its label covers",
            Judged::MergedBackground => {
                "its merged label (background or the missing class), on the summed probability"
            }
        }
    }
}

/// A cell's verdict in words: its tooltip's sentence, the reason written next to its
/// badge, and the badge.
pub trait CellWords {
    fn sentence(&self, status: LabelStatus) -> String;
    fn reason(&self, status: LabelStatus) -> String;
    fn badge(&self) -> String;
}

impl CellWords for CellVerdict {
    fn sentence(&self, status: LabelStatus) -> String {
        if self.undefined {
            return "undefined gradient (0/0): training would get NaN here".into();
        }
        let right = if self.correct { "right" } else { "wrong" };
        format!("{}: {right}, {}", self.verdict.words(), why(self, status))
    }

    /// The reason written next to a badge: right or wrong, and what the label wants (the
    /// badge itself says what the step does).
    fn reason(&self, status: LabelStatus) -> String {
        if self.undefined {
            return "wrong: 0/0, training would get NaN here".into();
        }
        let right = if self.correct { "right" } else { "wrong" };
        format!("{right}: {}", why(self, status))
    }

    /// The few words of a cell's badge, with ✓ or ✗.
    fn badge(&self) -> String {
        if self.undefined {
            return "✗ undefined (0/0)".into();
        }
        let mark = if self.correct { '✓' } else { '✗' };
        let words = match self.verdict {
            Verdict::Down => "pushed down",
            Verdict::None => "almost no push",
            Verdict::Up => "pushed up",
        };
        format!("{mark} {words}")
    }
}

/// What the label wants, in words; when "almost no push" is right because the cell
/// is already there, that instead.
fn why(v: &CellVerdict, status: LabelStatus) -> String {
    let done = v.reached && v.verdict == Verdict::None;
    let low = format_number(REACHED_LOW, 2);
    let high = format_number(REACHED_HIGH, 2);
    match (v.judged, status) {
        (Judged::HiddenTruth, _) | (_, LabelStatus::Missing) => {
            "a missing label should get no push".into()
        }
        (Judged::CoveredStructure, _) => {
            "this background label covers an unannotated structure, which should get no push".into()
        }
        (Judged::MergedBackground, _) if done => {
            "the merged background carries no information about the missing class".into()
        }
        (Judged::MergedBackground, _) => {
            "the merged background (background or the missing class) should be pushed up".into()
        }
        (Judged::Foreground, _) if done => format!(
            "the labelled structure is already predicted (ỹ ≥ {high} on every labelled pixel)"
        ),
        (Judged::Foreground, _) => "the labelled structure should be pushed up".into(),
        (Judged::Background, LabelStatus::Empty) if done => {
            format!("nothing is predicted in this empty image (ỹ ≤ {low} everywhere)")
        }
        (Judged::Background, LabelStatus::Empty) => {
            "a prediction in an empty image should be pushed down".into()
        }
        (Judged::Background, _) if done => {
            format!("nothing is predicted where nothing is labelled (ỹ ≤ {low} everywhere)")
        }
        (Judged::Background, _) => {
            "an image with no labelled structure should have its prediction pushed down".into()
        }
    }
}

/// A badge's tooltip: the verdict's sentence, what it was judged on and against what.
/// `tied`: the classes of a pixel are tied (the push is not the cell's own ∂DL/∂ỹ);
/// `rule`: [`threshold_sentence`]; `logits`: the gradient views show ∂L/∂z.
pub fn badge_tip(
    cv: &CellVerdict,
    status: LabelStatus,
    tied: bool,
    rule: &str,
    logits: bool,
) -> String {
    let which = if logits {
        format!("{BADGE_DERIVATIVE}, not the ∂L/∂z the gradient view shows")
    } else {
        BADGE_DERIVATIVE.to_string()
    };
    if cv.undefined {
        return format!("{}. The verdict is {which}. {rule}", cv.sentence(status));
    }
    // The lessons' formulas are ∂DL/∂ỹ; say why the number shown differs from them.
    let tied = if tied {
        format!(" ({TIED_CLASSES_CLAUSE})")
    } else {
        String::new()
    };
    format!(
        "{}. The verdict is {which}: its mean over {} is {}{tied}, {} the scale. {rule}",
        cv.sentence(status),
        cv.judged.words(),
        format_number(cv.push, 3),
        ratio_text(cv.ratio),
    )
}

/// "N×" for the push's ratio to the scale, in words where it has no finite value (a ratio
/// beyond f64): never "inf" or "NaN".
fn ratio_text(ratio: f64) -> String {
    if ratio.is_nan() {
        "no ratio to".to_string()
    } else {
        format!("{}×", crate::present::format::large(ratio, 2))
    }
}

/// The badge of a cell out of the loss (a background class the loss excludes), the
/// reason written next to it and its tooltip.
pub const EXCLUDED_BADGE: &str = "not in the loss";
pub const EXCLUDED_REASON: &str = "no gradient, no verdict";
pub const EXCLUDED_TIP: &str =
    "This class is excluded from the loss (background), so it gets no gradient and no verdict";

/// The verdict rule in words, with the current numbers (for tooltips and the legend).
pub fn threshold_sentence(scale: &Scale) -> String {
    format!(
        "“Almost no push” means a push below {}% of the scale 1/(|Φ|·H·W) = 1/({}·{}) = {} per unit step — the push a background pixel gets in a set whose denominator is one image's pixels, which does not shrink as the model converges — so below {}. A cell already where its label wants it needs no push, and there almost none is right: a labelled structure with ỹ ≥ {} on every labelled pixel, a label that wants nothing with ỹ ≤ {} on every pixel.",
        NO_PUSH_FRACTION * 100.0,
        scale.sets,
        scale.pixels,
        format_number(scale.scale, 3),
        format_number(scale.threshold(), 3),
        format_number(REACHED_HIGH, 2),
        format_number(REACHED_LOW, 2),
    )
}

/// The heuristic ε's arithmetic, e.g. "(156 + 0 + 0) / 3 = 52": one such term per class,
/// named when there are several, and their mean.
pub fn heuristic_arithmetic(h: &Heuristic) -> String {
    let several = h.classes.len() > 1;
    let parts: Vec<String> = h
        .classes
        .iter()
        .map(|part| {
            let terms: Vec<String> = part.volumes.iter().map(|&v| format_number(v, 6)).collect();
            let sum = format!(
                "({}) / {} = {}",
                terms.join(" + "),
                part.volumes.len(),
                format_number(part.mean, 6)
            );
            if several {
                format!("class {}: {sum}", part.class)
            } else {
                sum
            }
        })
        .collect();
    let mut arithmetic = parts.join("; ");
    if several {
        arithmetic.push_str(&format!(
            "; mean over the classes = {}",
            format_number(h.eps, 6)
        ));
    }
    arithmetic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(verdict: Verdict, correct: bool, push: f64, ratio: f64) -> CellVerdict {
        CellVerdict {
            verdict,
            correct,
            undefined: false,
            push,
            ratio,
            wanted: Verdict::None,
            judged: Judged::HiddenTruth,
            reached: false,
        }
    }

    #[test]
    fn a_ratio_reads_as_times_the_scale_and_never_as_nan_or_inf() {
        assert_eq!(ratio_text(0.123), "0.12×");
        assert_eq!(ratio_text(37.0), "37×");
        assert_eq!(ratio_text(2.5e-5), "2.5e-5×");
        assert_eq!(ratio_text(f64::INFINITY), "≫ 1e300×");
        assert_eq!(ratio_text(f64::NAN), "no ratio to");
    }

    #[test]
    fn a_missing_cell_pushed_down_under_image_wise_phi_is_wrong_and_says_why() {
        // Φ = I with ε small: the missing cell's hidden structure is pushed down, far
        // above the no-push threshold.
        let cv = verdict(Verdict::Down, false, 0.0123, 25.2);
        let tip = badge_tip(&cv, LabelStatus::Missing, false, "RULE", false);
        assert_eq!(
            tip,
            format!(
                "pushes the prediction down: wrong, a missing label should get no push. \
                 The verdict is {BADGE_DERIVATIVE}: its mean over the pixels of its \
                 unannotated structure is 0.0123, 25× the scale. RULE"
            )
        );
        // Tied classes say why the push is not the cell's own ∂DL/∂ỹ; the logit view
        // says the badge does not judge the ∂L/∂z shown.
        let tied = badge_tip(&cv, LabelStatus::Missing, true, "RULE", true);
        assert!(
            tied.contains(&format!("0.0123 ({TIED_CLASSES_CLAUSE}), 25×")),
            "{tied}"
        );
        assert!(
            tied.contains("not the ∂L/∂z the gradient view shows"),
            "{tied}"
        );
    }

    #[test]
    fn an_undefined_cell_tip_has_no_number() {
        let mut cv = verdict(Verdict::None, false, f64::NAN, f64::NAN);
        cv.undefined = true;
        let tip = badge_tip(&cv, LabelStatus::Empty, false, "RULE", false);
        assert_eq!(
            tip,
            format!(
                "undefined gradient (0/0): training would get NaN here. The verdict is \
                 {BADGE_DERIVATIVE}. RULE"
            )
        );
        assert_eq!(cv.badge(), "✗ undefined (0/0)");
    }
}
