//! Errors of the numeric core: bad settings or inputs, said in words. Numbers are written
//! with `{:?}`, Rust's shortest exact form, which switches to an exponent for very large
//! or small values (`1e-300`, not a 300-digit decimal).

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum DiceError {
    #[error("shape must be [B, C, *spatial] with 1 to 3 spatial dimensions (3 to 5 numbers), got {0} numbers")]
    ShapeRank(usize),
    #[error("every dimension of the shape must be at least 1, got {0:?}")]
    EmptyDimension(Vec<usize>),
    #[error("shape {0:?} is too large")]
    ShapeTooLarge(Vec<usize>),
    #[error("`{name}` has {got} values but shape {shape:?} needs {want}")]
    Length {
        name: &'static str,
        got: usize,
        want: usize,
        shape: Vec<usize>,
    },
    #[error("`y` and `pred` have different shapes: {0:?} and {1:?}")]
    ShapeMismatch(Vec<usize>, Vec<usize>),
    #[error("`{name}` must be a finite number ≥ 0, got {value:?}")]
    BadSmoothing { name: &'static str, value: f64 },
    #[error("`{name}` for class {class} must be a finite number ≥ 0, got {value:?}")]
    BadClassSmoothing {
        name: &'static str,
        class: usize,
        value: f64,
    },
    #[error("`{name}` has {got} values, one per class, but the input has {want} classes")]
    ClassEpsLength {
        name: &'static str,
        got: usize,
        want: usize,
    },
    #[error("one ε per class needs sets that each hold one class (Φ = I or BI); Φ = {0} sums several classes in one set")]
    ClassEpsPhi(&'static str),
    #[error("`{name}` must be a finite number ≥ 0, got {value:?}")]
    BadWeight { name: &'static str, value: f64 },
    #[error("dice_weight and ce_weight are both 0: the loss would be 0 whatever the network does")]
    NoTerm,
    #[error("the cross-entropy (ce_weight > 0) needs logits: set activation to \"softmax\" or \"sigmoid\"")]
    CeNeedsLogits,
    #[error("label `y` at index {index} is {value:?}; labels must lie in [0, 1]")]
    LabelOutOfRange { index: usize, value: f64 },
    #[error("prediction at index {index} is {value:?}; without an activation predictions are probabilities and must lie in [0, 1]")]
    ProbabilityOutOfRange { index: usize, value: f64 },
    #[error("logit at index {index} is not a finite number")]
    NonFiniteLogit { index: usize },
    #[error("softmax over the class axis needs at least 2 classes, got {0}")]
    SoftmaxOneClass(usize),
    #[error("softmax probabilities at batch {b}, pixel {pixel} sum to {sum:?} instead of 1")]
    SoftmaxNotNormalised { b: usize, pixel: usize, sum: f64 },
    #[error("no class is left after excluding the background (there is only {0} class)")]
    NoClassLeft(usize),
    #[error("missing cell (b, c) = ({b}, {c}) is outside the batch: there are {batch} images and {classes} classes")]
    MissingCellOutOfRange {
        b: usize,
        c: usize,
        batch: usize,
        classes: usize,
    },
    #[error("missing cell ({b}, 0) is the background: the background is never a missing label (it is what an unannotated structure becomes)")]
    MissingBackground { b: usize },
    #[error("the {0} needs the list of missing (b, c) cells: call the `_missing` entry point (an empty list means no label is missing)")]
    VariantNeedsMissing(&'static str),
    #[error("the marginal Dice adds the probabilities of missing classes to the background, so it needs at least 2 classes, got {0}")]
    MarginalOneClass(usize),
    #[error("the marginal Dice needs exclusive classes (softmax, or probabilities that sum to 1), not sigmoid: with independent classes a missing structure is not background")]
    MarginalSigmoid,
    #[error("the marginal Dice keeps the background in the loss (the missing classes' probabilities are added to it): set include_background to true")]
    MarginalWithoutBackground,
    #[error("the marginal Dice needs exclusive classes, but the probabilities at batch {b}, pixel {pixel} sum to {sum:?} instead of 1 (use softmax or normalised probabilities)")]
    MarginalNotExclusive { b: usize, pixel: usize, sum: f64 },
    /// An option of the peer libraries (engine::options) that does not fit the rest.
    #[error("{0}")]
    Options(String),
}
