//! Tensor shapes `[B, C, *spatial]` with one to three spatial dimensions, and the loss
//! on such tensors.
//!
//! The Dice sums of a (b, c) cell run over all of its spatial indices, and every
//! per-pixel quantity (ỹ, ∂DL/∂ỹ) depends only on that pixel and its set's sums. So how
//! the spatial indices are arranged does not matter: a `[B, C, *spatial]` tensor in
//! row-major order is evaluated exactly as the 4-D engine's `(B, C, 1, L)` view of the
//! same memory, L being the product of the spatial sizes, and every flat output keeps
//! the input's row-major order.

use ndarray::{ArrayViewD, CowArray, Ix4};

use crate::error::DiceError;
use crate::loss::{evaluate_missing, DiceSettings, Evaluation};

/// The most spatial dimensions a tensor may have (3-D volumes).
pub const MAX_SPATIAL: usize = 3;

/// A checked shape `[B, C, *spatial]`: 1 to 3 spatial dimensions, no dimension 0, and
/// few enough values that an `f64` array of it can be allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape(Vec<usize>);

impl Shape {
    pub fn new(dims: &[usize]) -> Result<Shape, DiceError> {
        if !(3..=2 + MAX_SPATIAL).contains(&dims.len()) {
            return Err(DiceError::ShapeRank(dims.len()));
        }
        if dims.contains(&0) {
            return Err(DiceError::EmptyDimension(dims.to_vec()));
        }
        // Bytes of one f64 array must fit in isize (Rust's allocation limit).
        dims.iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .filter(|&n| n.checked_mul(8).is_some_and(|b| b <= isize::MAX as usize))
            .ok_or_else(|| DiceError::ShapeTooLarge(dims.to_vec()))?;
        Ok(Shape(dims.to_vec()))
    }

    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// The number of values, B·C·∏spatial.
    pub fn values(&self) -> usize {
        self.0.iter().product()
    }

    /// The number of pixels (voxels) of one (b, c) cell, ∏spatial.
    pub fn pixels(&self) -> usize {
        self.0[2..].iter().product()
    }

    /// The engine's 4-D view (B, C, 1, L) of this shape (see the module comment).
    pub fn engine_dim(&self) -> (usize, usize, usize, usize) {
        (self.0[0], self.0[1], 1, self.pixels())
    }
}

/// A `[B, C, *spatial]` array as the engine's `(B, C, 1, L)`: a view of the same memory
/// when the array is in row-major (standard) layout, otherwise a row-major copy.
pub fn engine_view(a: ArrayViewD<'_, f64>) -> Result<CowArray<'_, f64, Ix4>, DiceError> {
    let dim = Shape::new(a.shape())?.engine_dim();
    let reshaped = if a.is_standard_layout() {
        a.into_shape_with_order(dim).map(CowArray::from)
    } else {
        a.as_standard_layout()
            .into_owned()
            .into_shape_with_order(dim)
            .map(CowArray::from)
    };
    reshaped.map_err(|_| DiceError::ShapeTooLarge(vec![dim.0, dim.1, dim.3]))
}

/// [`evaluate`] for `[B, C, *spatial]` tensors with 1 to 3 spatial dimensions. The
/// arrays of the result (`prob`, `grad_prob`, `grad()`) have the engine's shape
/// `(B, C, 1, L)`, in the input's row-major order; reshape them to [`Shape::dims`] if
/// the spatial axes are wanted.
pub fn evaluate_nd<'a>(
    y: ArrayViewD<'_, f64>,
    pred: ArrayViewD<'a, f64>,
    settings: &DiceSettings,
) -> Result<Evaluation<'a>, DiceError> {
    evaluate_nd_missing(y, pred, settings, &[])
}

/// [`evaluate_nd`] with the (b, c) cells whose labels are missing (the leaf and
/// marginal Dice read them; see [`evaluate_missing`]).
pub fn evaluate_nd_missing<'a>(
    y: ArrayViewD<'_, f64>,
    pred: ArrayViewD<'a, f64>,
    settings: &DiceSettings,
    missing: &[(usize, usize)],
) -> Result<Evaluation<'a>, DiceError> {
    if y.shape() != pred.shape() {
        return Err(DiceError::ShapeMismatch(
            y.shape().to_vec(),
            pred.shape().to_vec(),
        ));
    }
    let dim = Shape::new(y.shape())?.engine_dim();
    let y = engine_view(y)?;
    if pred.is_standard_layout() {
        let pred = pred
            .into_shape_with_order(dim)
            .map_err(|_| DiceError::ShapeTooLarge(vec![dim.0, dim.1, dim.3]))?;
        evaluate_missing(y.view(), pred, settings, missing)
    } else {
        // A strided prediction is copied here, so the result must own its `prob`.
        let pred = engine_view(pred)?;
        Ok(evaluate_missing(y.view(), pred.view(), settings, missing)?.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::evaluate;
    use crate::phi::Phi;
    use ndarray::{Array, IxDyn};

    fn data(dims: &[usize]) -> (Array<f64, IxDyn>, Array<f64, IxDyn>) {
        let mut rng = crate::rng::Rng::new(1, 0);
        let y = Array::from_shape_fn(IxDyn(dims), |_| f64::from(rng.below(2) == 1));
        let p = Array::from_shape_fn(IxDyn(dims), |_| rng.uniform());
        (y, p)
    }

    #[test]
    fn ranks_three_to_five_only() {
        assert_eq!(Shape::new(&[1, 2]), Err(DiceError::ShapeRank(2)));
        assert_eq!(Shape::new(&[1; 6]), Err(DiceError::ShapeRank(6)));
        assert!(matches!(
            Shape::new(&[1, 0, 2]),
            Err(DiceError::EmptyDimension(_))
        ));
        assert!(matches!(
            Shape::new(&[1 << 40, 1 << 20, 8]),
            Err(DiceError::ShapeTooLarge(_))
        ));
        let s = Shape::new(&[2, 3, 4, 5, 6]).unwrap();
        assert_eq!(
            (s.values(), s.pixels(), s.engine_dim()),
            (720, 120, (2, 3, 1, 120))
        );
    }

    /// A volume gives exactly what the 4-D engine gives on the same memory viewed as
    /// (B, C, D·H, W): the sums do not care how the spatial indices are arranged.
    #[test]
    fn volumes_equal_the_four_d_engine_on_the_same_memory() {
        let (y, p) = data(&[2, 3, 4, 5, 6]);
        for phi in Phi::ALL {
            let s = DiceSettings {
                phi,
                ..DiceSettings::default()
            };
            let nd = evaluate_nd(y.view(), p.view(), &s).unwrap();
            let y4 = y.view().into_shape_with_order((2, 3, 20, 6)).unwrap();
            let p4 = p.view().into_shape_with_order((2, 3, 20, 6)).unwrap();
            let four = evaluate(y4, p4, &s).unwrap();
            assert_eq!(nd.loss, four.loss);
            assert_eq!(nd.sets, four.sets);
            assert_eq!(nd.grad_prob.as_slice(), four.grad_prob.as_slice());
        }
        // 1 spatial dimension too.
        let (y, p) = data(&[3, 2, 7]);
        let s = DiceSettings::default();
        let nd = evaluate_nd(y.view(), p.view(), &s).unwrap();
        let four = evaluate(
            y.view().into_shape_with_order((3, 2, 1, 7)).unwrap(),
            p.view().into_shape_with_order((3, 2, 1, 7)).unwrap(),
            &s,
        )
        .unwrap();
        assert_eq!(nd.grad_prob, four.grad_prob);
    }

    /// A strided (e.g. transposed) input is read in its logical row-major order.
    #[test]
    fn strided_inputs_are_copied_to_row_major() {
        let (y, p) = data(&[2, 2, 3, 4]);
        let (yt, pt) = (y.t(), p.t()); // shape [4, 3, 2, 2], not standard layout
        assert!(!pt.is_standard_layout());
        let s = DiceSettings::default();
        let strided = evaluate_nd(yt.view(), pt.view(), &s).unwrap();
        let (yc, pc) = (yt.as_standard_layout(), pt.as_standard_layout());
        let copied = evaluate_nd(yc.view(), pc.view(), &s).unwrap();
        assert_eq!(strided.grad_prob, copied.grad_prob);
        assert_eq!(strided.loss, copied.loss);
        let want: Vec<f64> = pt.iter().copied().collect();
        assert_eq!(strided.prob.as_slice().unwrap(), &want[..]);
        let mismatch = evaluate_nd(y.view(), p.t(), &s).unwrap_err();
        assert!(matches!(mismatch, DiceError::ShapeMismatch(..)));
    }
}
