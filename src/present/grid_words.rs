//! The grid's words: its column and row heads, the place each cell names, the views'
//! tooltips and the word a view shows over its pixels. Pure and tested natively; the DOM
//! (`web::grid`) only writes them. What a view shows now, for screen readers, is
//! [`super::describe`]'s; the verdict badges' words are [`super::verdict`]'s.

use crate::engine::status::LabelStatus;
use crate::present::describe::NoGradient;
#[cfg(test)]
use crate::present::readout::gradient_symbol;

/// A column head's sub-head: the word (dropped when the views are small), the symbol and
/// the tooltip.
pub struct SubHead {
    pub word: &'static str,
    pub symbol: &'static str,
    pub tip: &'static str,
}

/// The input image column's head and its one sub-head.
pub const IMAGE_HEAD: &str = "input image";
pub const IMAGE_SUB_HEAD: SubHead = SubHead {
    word: "",
    symbol: "x",
    tip: "The intensities a shared model sees; every structure is visible here, labelled or not",
};

/// A class column's sub-heads: the label, prediction and gradient views (the gradient's
/// symbol is rewritten by [`super::readout::gradient_symbol`] when the views show ∂L/∂z).
pub const CLASS_SUB_HEADS: [SubHead; 3] = [
    SubHead {
        word: "label",
        symbol: "y",
        tip: "The label y the loss sees (a missing label: its hidden truth, dashed); paint it",
    },
    SubHead {
        word: "prediction",
        symbol: "ỹ",
        tip: "The prediction ỹ (probabilities in [0, 1]); paint it",
    },
    SubHead {
        word: "gradient",
        symbol: "∂L/∂ỹ",
        tip: "The gradient of the loss with respect to each pixel: − (blue) descent raises ỹ, + (orange) lowers it",
    },
];

/// Compare mode's sub-heads: B's own prediction (shown while B trains a model of its
/// own; no tooltip) and B's gradient.
pub const B_SUB_HEADS: [SubHead; 2] = [
    SubHead {
        word: "prediction",
        symbol: "ỹ",
        tip: "",
    },
    SubHead {
        word: "gradient",
        symbol: "∂L/∂ỹ",
        tip: "The gradient under compare mode's second setting (B)",
    },
];

/// A class column's head: its name, "A · " before it when compare mode's side B is
/// beside it (side A is labelled like side B).
pub fn a_head(class_name: &str, compare: bool) -> String {
    let side = if compare { "A · " } else { "" };
    format!("{side}{class_name}")
}

/// Compare mode's head of class c and its tooltip.
pub fn b_head(c: usize, class_name: &str) -> (String, String) {
    (
        format!("B · class {c}"),
        format!("{class_name} under compare mode's second setting B"),
    )
}

/// Image b's row head and its tooltip.
pub fn row_head(b: usize) -> (String, String) {
    (format!("image {b}"), format!("Batch element b = {b}"))
}

/// Where cell (b, c) is, written at its head for the stacked arrangement that has no row
/// and column heads (`b_side`: compare mode's side B), and its group's name for screen
/// readers.
pub fn cell_place(b: usize, c: usize, b_side: bool) -> (String, String) {
    if b_side {
        (
            format!("B · image {b} · class {c} "),
            format!("B: image {b}, class {c}"),
        )
    } else {
        (
            format!("image {b} · class {c} · "),
            format!("image {b}, class {c}"),
        )
    }
}

/// The label status select of cell (b, c), for screen readers.
pub fn status_select_label(b: usize, c: usize) -> String {
    format!("Label status of image {b}, class {c}")
}

/// The label status select's tooltip; `locked`: class 0 of exclusive classes, whose
/// status cannot change.
pub fn status_select_tip(locked: bool) -> &'static str {
    if locked {
        "With exclusive classes, class 0 is the background left over by the others: it cannot be missing or empty"
    } else {
        "What this label means: annotated, missing (structure there, not labelled) or empty (structure truly absent)"
    }
}

/// The label view's tooltip: what it shows for its status and what painting does.
/// `widened`: an annotated label that shows the unannotated structures the loss counts as
/// background (exclusive classes).
pub fn label_tip(b: usize, c: usize, status: LabelStatus, widened: bool) -> String {
    const PAINT: &str = "paint with the mouse, finger or pen (right button or eraser erases)";
    match status {
        LabelStatus::Annotated if widened => format!(
            "Label y of image {b}, class {c} as the loss sees it: the unannotated structures of this image count as background here. Paint with the mouse, finger or pen (right button or eraser erases)"
        ),
        LabelStatus::Annotated => format!("Label y of image {b}, class {c}: {PAINT}"),
        LabelStatus::Missing => format!(
            "Hidden truth of image {b}, class {c}: the structure is there but the loss sees y = 0 (dashed outline). Paint to move the hidden structure"
        ),
        LabelStatus::Empty => format!(
            "Empty label of image {b}, class {c}: the structure is truly absent, the loss sees y = 0, and there is nothing to paint"
        ),
    }
}

/// The prediction view's tooltip.
pub fn prediction_tip(b: usize, c: usize) -> String {
    format!("Prediction ỹ of image {b}, class {c}: paint probabilities with the prediction brush")
}

/// Compare mode's prediction view's tooltip: B's own model's.
pub const B_PREDICTION_TIP: &str = "Prediction ỹ of B's own model, trained under B's setting";

/// The gradient view's tooltip.
pub fn gradient_tip(b: usize, c: usize) -> String {
    format!("Gradient of the loss for image {b}, class {c}: blue (−) = descent raises ỹ, orange (+) = lowers it")
}

/// The input image view's tooltip.
pub fn image_tip(b: usize) -> String {
    format!("Input image x of image {b}: what a shared model sees. Paint intensities with the brush value (right button or eraser paints black)")
}

/// The word a label view shows over its pixels: none for an annotated label.
pub fn label_word(status: LabelStatus) -> Option<&'static str> {
    match status {
        LabelStatus::Annotated => None,
        LabelStatus::Missing => Some("missing"),
        LabelStatus::Empty => Some("empty"),
    }
}

/// The word a gradient view shows over its pixels when it has no values.
pub fn gradient_word(why: NoGradient) -> &'static str {
    match why {
        NoGradient::NotInLoss => "excluded",
        NoGradient::Undefined => "undefined",
        NoGradient::NotComputed => "not computed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_name_the_side_and_the_class() {
        assert_eq!(
            a_head("class 0 (background)", true),
            "A · class 0 (background)"
        );
        assert_eq!(a_head("class 2", false), "class 2");
        assert_eq!(
            b_head(1, "class 1"),
            (
                "B · class 1".to_string(),
                "class 1 under compare mode's second setting B".to_string()
            )
        );
        assert_eq!(
            row_head(3),
            ("image 3".to_string(), "Batch element b = 3".to_string())
        );
        // The gradient columns' symbol before any rewrite is the probability's.
        assert_eq!(CLASS_SUB_HEADS[2].symbol, gradient_symbol(false));
        assert_eq!(B_SUB_HEADS[1].symbol, gradient_symbol(false));
        let words: Vec<&str> = CLASS_SUB_HEADS.iter().map(|h| h.word).collect();
        assert_eq!(words, ["label", "prediction", "gradient"]);
    }

    #[test]
    fn a_cell_says_where_it_is_and_whose_it_is() {
        assert_eq!(
            cell_place(1, 2, false),
            (
                "image 1 · class 2 · ".to_string(),
                "image 1, class 2".to_string()
            )
        );
        assert_eq!(
            cell_place(0, 1, true),
            (
                "B · image 0 · class 1 ".to_string(),
                "B: image 0, class 1".to_string()
            )
        );
        assert_eq!(
            status_select_label(2, 0),
            "Label status of image 2, class 0"
        );
        assert!(status_select_tip(true).contains("cannot be missing or empty"));
        assert!(status_select_tip(false).starts_with("What this label means"));
    }

    #[test]
    fn a_label_tip_follows_its_status() {
        assert_eq!(
            label_tip(0, 1, LabelStatus::Annotated, false),
            "Label y of image 0, class 1: paint with the mouse, finger or pen (right button or eraser erases)"
        );
        let widened = label_tip(0, 0, LabelStatus::Annotated, true);
        assert!(widened.contains("as the loss sees it"), "{widened}");
        assert!(widened.contains("count as background"), "{widened}");
        let missing = label_tip(1, 2, LabelStatus::Missing, false);
        assert!(missing.starts_with("Hidden truth of image 1, class 2"));
        assert!(missing.contains("the loss sees y = 0 (dashed outline)"));
        // An empty label has nothing to paint, whatever `widened` says.
        let empty = label_tip(1, 2, LabelStatus::Empty, true);
        assert!(empty.starts_with("Empty label of image 1, class 2"));
        assert!(empty.ends_with("nothing to paint"));
    }

    #[test]
    fn views_name_their_place_and_their_words() {
        assert_eq!(
            prediction_tip(2, 1),
            "Prediction ỹ of image 2, class 1: paint probabilities with the prediction brush"
        );
        assert!(gradient_tip(0, 3).starts_with("Gradient of the loss for image 0, class 3:"));
        assert!(image_tip(4).starts_with("Input image x of image 4:"));
        assert_eq!(label_word(LabelStatus::Annotated), None);
        assert_eq!(label_word(LabelStatus::Missing), Some("missing"));
        assert_eq!(label_word(LabelStatus::Empty), Some("empty"));
        assert_eq!(gradient_word(NoGradient::NotInLoss), "excluded");
        assert_eq!(gradient_word(NoGradient::Undefined), "undefined");
        assert_eq!(gradient_word(NoGradient::NotComputed), "not computed");
    }
}

/// The line under the grid when the layout leaves out images to fit the screen (always
/// fully labelled ones: the images a lesson is about stay); `None` when none is.
pub fn rows_left_out(images: &[usize]) -> Option<String> {
    let names = match images {
        [] => return None,
        [b] => format!("Image {b} (fully labelled) is"),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(|b| b.to_string()).collect();
            format!("Images {} and {last} (fully labelled) are", rest.join(", "))
        }
    };
    Some(format!("{names} left out to fit this screen."))
}

#[cfg(test)]
mod rows_left_out_tests {
    use super::rows_left_out;

    #[test]
    fn the_note_names_the_images_left_out() {
        assert_eq!(rows_left_out(&[]), None);
        assert_eq!(
            rows_left_out(&[0]).as_deref(),
            Some("Image 0 (fully labelled) is left out to fit this screen.")
        );
        assert!(rows_left_out(&[0, 2, 3])
            .unwrap()
            .starts_with("Images 0, 2 and 3 (fully labelled) are left out"));
    }
}
