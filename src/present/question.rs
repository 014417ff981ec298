//! The question the first page poses: a scene with a missing and an empty label, and what
//! a gradient-descent step does to each under the settings shown. The sentence follows
//! the two cells' verdicts, so it stays true as the reader changes Φ, ε or the options.

use crate::engine::verdict::{CellVerdict, Verdict};

/// One of the two cells the question is about: its image and its verdict.
#[derive(Clone, Copy, Debug)]
pub struct Asked<'a> {
    pub b: usize,
    pub verdict: &'a CellVerdict,
}

/// What a step does to the missing cell's structure, and whether that is right.
fn missing_words(v: &CellVerdict) -> &'static str {
    match (v.undefined, v.verdict) {
        (true, _) => "has no defined gradient (0/0) on the missing structure",
        (false, Verdict::Down) => "erases the missing structure",
        (false, Verdict::None) => "leaves the missing structure alone",
        (false, Verdict::Up) => "grows the missing structure",
    }
}

/// What a step does to the empty cell's false positive.
fn empty_words(v: &CellVerdict) -> &'static str {
    match (v.undefined, v.verdict) {
        (true, _) => "has no defined gradient (0/0) on the false positive",
        (false, Verdict::Down) => "removes the false positive",
        (false, Verdict::None) => "leaves the false positive alone",
        (false, Verdict::Up) => "grows the false positive",
    }
}

fn mark(right: bool) -> &'static str {
    if right {
        "✓"
    } else {
        "✗"
    }
}

/// The question line: which image is which, what a step does to each (with ✓/✗ as the
/// badges say), and the question left open. `told`: the loss is told which labels are
/// missing (the leaf and marginal Dice), so getting both right proves nothing about Φ
/// and ε alone. `touch`: the reader has no keys to name.
pub fn question(missing: Asked, empty: Asked, told: bool, touch: bool) -> String {
    let (m, e) = (missing.verdict, empty.verdict);
    let ask = match (m.correct, e.correct) {
        (true, true) if told => {
            "Both right, because this loss is told which label is missing. Can Φ and ε alone do it?"
        }
        (true, true) => "Both right. Does training agree? Try ▶ Train it in a lesson.",
        (false, false) => "Both wrong. Which Φ and ε fix one of them, and can any fix both?",
        _ if touch => "Can any Φ and ε get both right? Change them below, or open a lesson.",
        _ => "Can any Φ and ε get both right? Change them (keys 1–4) or open a lesson.",
    };
    format!(
        "Image {}'s structure is there but unlabelled (missing); image {} has none (empty). \
         Here a descent step {} {} and {} {}. {ask}",
        missing.b,
        empty.b,
        missing_words(m),
        mark(m.correct),
        empty_words(e),
        mark(e.correct),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::verdict::Judged;

    /// The question about image 1 (missing) and image 2 (empty).
    fn ask(m: &CellVerdict, e: &CellVerdict, told: bool, touch: bool) -> String {
        question(
            Asked { b: 1, verdict: m },
            Asked { b: 2, verdict: e },
            told,
            touch,
        )
    }

    fn cell(verdict: Verdict, correct: bool) -> CellVerdict {
        CellVerdict {
            verdict,
            correct,
            undefined: false,
            push: 0.0,
            ratio: 0.0,
            wanted: verdict,
            judged: Judged::Background,
            reached: false,
        }
    }

    #[test]
    fn the_default_trap_reads_as_one_wrong_one_right() {
        let (m, e) = (cell(Verdict::Down, false), cell(Verdict::Down, true));
        let q = ask(&m, &e, false, false);
        assert_eq!(
            q,
            "Image 1's structure is there but unlabelled (missing); image 2 has none (empty). \
             Here a descent step erases the missing structure ✗ and removes the false \
             positive ✓. Can any Φ and ε get both right? Change them (keys 1–4) or open a lesson."
        );
    }

    #[test]
    fn image_wise_tiny_eps_keeps_both_and_is_half_right() {
        let (m, e) = (cell(Verdict::None, true), cell(Verdict::None, false));
        let q = ask(&m, &e, false, false);
        assert!(
            q.contains(
                "leaves the missing structure alone ✓ and leaves the false positive alone ✗"
            ),
            "{q}"
        );
    }

    #[test]
    fn both_right_says_why_when_the_loss_knows() {
        let (m, e) = (cell(Verdict::None, true), cell(Verdict::Down, true));
        let told = ask(&m, &e, true, false);
        assert!(
            told.ends_with("told which label is missing. Can Φ and ε alone do it?"),
            "{told}"
        );
        let plain = ask(&m, &e, false, false);
        assert!(
            plain.ends_with("Does training agree? Try ▶ Train it in a lesson."),
            "{plain}"
        );
    }

    #[test]
    fn a_touch_screen_is_not_told_of_keys() {
        let (m, e) = (cell(Verdict::None, true), cell(Verdict::None, false));
        let thumb = ask(&m, &e, false, true);
        assert!(
            thumb.ends_with("Change them below, or open a lesson.") && !thumb.contains("keys"),
            "{thumb}"
        );
    }

    #[test]
    fn an_undefined_gradient_is_said_not_judged_as_a_push() {
        let mut m = cell(Verdict::None, false);
        m.undefined = true;
        let e = cell(Verdict::None, false);
        let q = ask(&m, &e, false, false);
        assert!(
            q.contains("has no defined gradient (0/0) on the missing structure ✗"),
            "{q}"
        );
        assert!(q.ends_with("can any fix both?"), "{q}");
    }
}
