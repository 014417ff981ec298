//! Errors of the numeric core: bad settings or inputs, said in words.

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
    #[error("`{name}` must be a finite number ≥ 0, got {value}")]
    BadSmoothing { name: &'static str, value: f64 },
    #[error("label `y` at index {index} is {value}; labels must lie in [0, 1]")]
    LabelOutOfRange { index: usize, value: f64 },
    #[error("prediction at index {index} is {value}; without an activation predictions are probabilities and must lie in [0, 1]")]
    ProbabilityOutOfRange { index: usize, value: f64 },
    #[error("logit at index {index} is not a finite number")]
    NonFiniteLogit { index: usize },
    #[error("softmax over the class axis needs at least 2 classes, got {0}")]
    SoftmaxOneClass(usize),
    #[error("softmax probabilities at batch {b}, pixel {pixel} sum to {sum} instead of 1")]
    SoftmaxNotNormalised { b: usize, pixel: usize, sum: f64 },
    #[error("no class is left after excluding the background (there is only {0} class)")]
    NoClassLeft(usize),
}
