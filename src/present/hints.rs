//! Words that depend on the input the reader has: the paint hint above the grid speaks of
//! a mouse and keys, or of a finger and the "✎ Paint" toggle; and the first sentence of a
//! long text, for a narrow screen that folds the rest behind "more".

/// How to paint, after "✎ Paint label y and prediction ỹ:". `touch`: the device has a
/// touch screen; `paint_mode`: its "✎ Paint" toggle is on (a finger paints).
pub fn paint_how(touch: bool, paint_mode: bool) -> &'static str {
    match (touch, paint_mode) {
        (false, _) => "drag (right button erases) · keys: Tab, arrows, Space · Ctrl+Z undoes",
        (true, false) => "tap ✎ Paint, then drag",
        (true, true) => "drag to paint · ✎ Paint again to scroll",
    }
}

/// The paint-mode toggle's tooltip.
pub fn paint_mode_tip(on: bool) -> &'static str {
    if on {
        "Paint mode is on: a finger paints the y and ỹ views. Tap to scroll with a swipe again"
    } else {
        "Paint mode: tap, then drag a finger over a y or ỹ view to paint it (a swipe scrolls the page until then)"
    }
}

/// `text` split after its first sentence: (the first sentence, the rest with its leading
/// space). A sentence ends at ". " before anything but a lower-case letter or a digit
/// (so "e.g. the" goes on); a text of one sentence is all first sentence.
pub fn first_sentence(text: &str) -> (&str, &str) {
    let mut from = 0;
    while let Some(k) = text[from..].find(". ") {
        let end = from + k + 1;
        let next = text[end + 1..].chars().next();
        // Not `char::is_uppercase`: its Unicode table would weigh on the page.
        if next.is_some_and(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit())) {
            return text.split_at(end);
        }
        from = end;
    }
    (text, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paint_hint_speaks_of_the_readers_input() {
        let mouse = paint_how(false, false);
        assert!(mouse.contains("right button") && mouse.contains("keys"));
        // Paint mode does not change what a mouse does.
        assert_eq!(paint_how(false, true), mouse);
        let finger = paint_how(true, false);
        assert!(finger.starts_with("tap ✎ Paint, then drag"), "{finger}");
        for touch in [paint_how(true, false), paint_how(true, true)] {
            assert!(
                !touch.contains("button") && !touch.contains("keys"),
                "{touch}"
            );
        }
        assert_ne!(paint_how(true, true), finger);
        assert_ne!(paint_mode_tip(true), paint_mode_tip(false));
    }

    #[test]
    fn the_first_sentence_ends_at_a_full_stop_before_a_capital() {
        assert_eq!(
            first_sentence("With ε = 1e-7. The set is empty. More."),
            ("With ε = 1e-7.", " The set is empty. More.")
        );
        // "e.g. the" and a decimal point do not end a sentence.
        assert_eq!(
            first_sentence("A push, e.g. the one of 0.5. Then “B”."),
            ("A push, e.g. the one of 0.5.", " Then “B”.")
        );
        assert_eq!(first_sentence("One sentence."), ("One sentence.", ""));
        assert_eq!(first_sentence(""), ("", ""));
    }
}

/// The first-visit introduction's paragraph (HTML: bold and italic only). The page shows
/// it; the layout plan counts its characters (its height comes above the grid).
pub const INTRO: &str = "Paint a <b>label y</b> and a <b>prediction ỹ</b>, choose the reduction sets <b>Φ</b> (keys 1–4) and the smoothing <b>ε</b>, and watch the Dice loss and its gradient. Each badge says whether a gradient-descent step does the right thing for its cell's label: annotated, <i>missing</i> (there, not annotated) or <i>empty</i> (truly absent).";

/// The characters a reader sees of HTML that holds tags but no entities.
pub fn visible_chars(html: &str) -> usize {
    let mut inside = false;
    html.chars()
        .filter(|&c| {
            match c {
                '<' => inside = true,
                '>' => {
                    inside = false;
                    return false;
                }
                _ => {}
            }
            !inside
        })
        .count()
}

#[cfg(test)]
mod intro_tests {
    use super::*;

    #[test]
    fn the_intro_counts_the_words_a_reader_sees() {
        assert_eq!(visible_chars("a <b>bc</b> d"), 6);
        let text = INTRO.replace("<b>", "").replace("</b>", "");
        let text = text.replace("<i>", "").replace("</i>", "");
        assert_eq!(visible_chars(INTRO), text.chars().count());
        assert!(
            !INTRO.contains('&'),
            "no entities: they would be miscounted"
        );
    }
}
