//! The three models a [`Trainer`](super::Trainer) can fit, and their exact forward and
//! backward passes.
//!
//! Every model maps the input image x (B×H×W, one intensity channel per image) to logits
//! z (B×C×H×W). The backward passes turn ∂L/∂z into ∂L/∂θ; since z is linear in θ they are
//! exact sums, with no approximation beyond floating-point rounding.

use std::borrow::Cow;

use ndarray::{Array4, ArrayView3, ArrayView4};
use serde::{Deserialize, Serialize};

use super::TrainError;

/// Which model maps the image to logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// One free logit per pixel and class: z itself is the parameter. This only integrates
    /// the gradient map; nothing is shared between pixels or images.
    Pixels,
    /// z_{b,c,i} = w_c·x_{b,i} + β_c: one weight and one bias per class.
    Linear,
    /// z_{b,c,i,j} = β_c + Σ_{di,dj ∈ {−1,0,1}} w_{c,di,dj}·x_{b,i+di,j+dj}, zero padding.
    Conv3x3,
}

impl ModelKind {
    pub const ALL: [ModelKind; 3] = [ModelKind::Pixels, ModelKind::Linear, ModelKind::Conv3x3];

    /// The name used in JSON and links.
    pub fn code(self) -> &'static str {
        match self {
            ModelKind::Pixels => "pixels",
            ModelKind::Linear => "linear",
            ModelKind::Conv3x3 => "conv3x3",
        }
    }

    pub fn parse(s: &str) -> Option<ModelKind> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(s.trim()))
    }

    /// Weights per class of a shared model (0 for pixels, which has no weights).
    pub fn weights_per_class(self) -> usize {
        match self {
            ModelKind::Pixels => 0,
            ModelKind::Linear => 1,
            ModelKind::Conv3x3 => 9,
        }
    }

    /// Whether the model reads the image x (the pixels model does not).
    pub fn needs_image(self) -> bool {
        self != ModelKind::Pixels
    }
}

/// A model and its parameters θ, stored flat so the optimiser sees one vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    kind: ModelKind,
    /// pixels: the logits in B×C×H×W row-major order; shared models: the weights (C values,
    /// or C×3×3 in (c, di, dj) row-major order) followed by the C biases.
    theta: Vec<f64>,
    /// pixels: the logits' shape; shared models: (0, C, 0, 0).
    shape: (usize, usize, usize, usize),
}

fn first_non_finite(what: &'static str, values: &[f64]) -> Result<(), TrainError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(TrainError::NonFiniteParameter { what, index }),
        None => Ok(()),
    }
}

impl Model {
    /// Free logits, starting from `z` (B×C×H×W).
    pub fn pixels(z: Array4<f64>) -> Result<Model, TrainError> {
        let shape = z.dim();
        // `iter` walks in logical (row-major) order whatever the memory layout.
        let theta: Vec<f64> = z.iter().copied().collect();
        first_non_finite("z", &theta)?;
        Ok(Model {
            kind: ModelKind::Pixels,
            theta,
            shape,
        })
    }

    /// A shared model (`linear` or `conv3x3`) with weights `w` and biases `b`; the number
    /// of classes is `b.len()`.
    pub fn shared(kind: ModelKind, w: Vec<f64>, b: Vec<f64>) -> Result<Model, TrainError> {
        if kind == ModelKind::Pixels {
            return Err(TrainError::PixelsHaveNoWeights);
        }
        let classes = b.len();
        let want = classes * kind.weights_per_class();
        if classes == 0 || w.len() != want {
            return Err(TrainError::WeightCount {
                kind,
                got: w.len(),
                want,
                classes,
            });
        }
        first_non_finite("w", &w)?;
        first_non_finite("b", &b)?;
        let mut theta = w;
        theta.extend_from_slice(&b);
        Ok(Model {
            kind,
            theta,
            shape: (0, classes, 0, 0),
        })
    }

    /// `linear` with one weight and one bias per class.
    pub fn linear(w: Vec<f64>, b: Vec<f64>) -> Result<Model, TrainError> {
        Model::shared(ModelKind::Linear, w, b)
    }

    /// `conv3x3` with C×3×3 weights in (c, di, dj) order and C biases.
    pub fn conv3x3(w: Vec<f64>, b: Vec<f64>) -> Result<Model, TrainError> {
        Model::shared(ModelKind::Conv3x3, w, b)
    }

    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// Number of classes C.
    pub fn classes(&self) -> usize {
        self.shape.1
    }

    /// All parameters in the optimiser's order.
    pub fn params(&self) -> &[f64] {
        &self.theta
    }

    pub(super) fn params_mut(&mut self) -> &mut [f64] {
        &mut self.theta
    }

    fn weight_count(&self) -> usize {
        self.classes() * self.kind.weights_per_class()
    }

    /// The weights of a shared model (empty for pixels).
    pub fn weights(&self) -> &[f64] {
        match self.kind {
            ModelKind::Pixels => &[],
            _ => &self.theta[..self.weight_count()],
        }
    }

    /// The biases of a shared model (empty for pixels).
    pub fn biases(&self) -> &[f64] {
        match self.kind {
            ModelKind::Pixels => &[],
            _ => &self.theta[self.weight_count()..],
        }
    }

    /// The free logits of the pixels model (`None` for shared models, whose logits depend
    /// on the image: see [`Trainer::logits`](super::Trainer::logits)).
    pub fn pixel_logits(&self) -> Option<ArrayView4<'_, f64>> {
        match self.kind {
            ModelKind::Pixels => {
                Some(ArrayView4::from_shape(self.shape, &self.theta).expect("shape checked"))
            }
            _ => None,
        }
    }

    /// The logits of a shared model for images `x` (B×H×W), B×C×H×W; the pixels model's
    /// own logits do not depend on an image and give zeros of that shape.
    pub fn logits(&self, x: ArrayView3<f64>) -> Array4<f64> {
        let (bn, h, w) = x.dim();
        let mut z = Array4::zeros((bn, self.classes(), h, w));
        self.forward(x, &mut z);
        z
    }

    /// The logits for image `x` into `z` (shared models only; `z` is B×C×H×W).
    pub(super) fn forward(&self, x: ArrayView3<f64>, z: &mut Array4<f64>) {
        let (w, b) = (self.weights(), self.biases());
        match self.kind {
            ModelKind::Pixels => {}
            ModelKind::Linear => linear_forward(x, w, b, z),
            ModelKind::Conv3x3 => conv_forward(x, w, b, z),
        }
    }

    /// ∂L/∂θ of a shared model from ∂L/∂z, into `out` (weights, then biases).
    pub(super) fn backward(&self, x: ArrayView3<f64>, g: ArrayView4<f64>, out: &mut [f64]) {
        match self.kind {
            ModelKind::Pixels => {}
            ModelKind::Linear => linear_backward(x, g, out),
            ModelKind::Conv3x3 => conv_backward(x, g, out),
        }
    }
}

/// The values of an array in row-major order, borrowed when it is contiguous.
fn row_major<D: ndarray::Dimension>(a: ndarray::ArrayView<'_, f64, D>) -> Cow<'_, [f64]> {
    match a.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

/// Independent accumulators: float sums are not reassociated by the compiler, so one
/// accumulator would serialise on the add latency and never use SIMD.
const LANES: usize = 8;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail: f64 = chunks.remainder().iter().sum();
    for x in chunks {
        for k in 0..LANES {
            acc[k] += x[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// out += w·src, elementwise.
fn axpy(out: &mut [f64], w: f64, src: &[f64]) {
    for (o, &s) in out.iter_mut().zip(src) {
        *o += w * s;
    }
}

/// z_{b,c,i} = w_c·x_{b,i} + β_c.
pub fn linear_forward(x: ArrayView3<f64>, w: &[f64], b: &[f64], z: &mut Array4<f64>) {
    let xs = row_major(x);
    let (_, _, h, wd) = z.dim();
    let image = h * wd;
    let zs = z
        .as_slice_mut()
        .expect("the trainer's logits are contiguous");
    for (zb, xb) in zs
        .chunks_exact_mut(w.len() * image)
        .zip(xs.chunks_exact(image))
    {
        for ((zc, &wc), &bc) in zb.chunks_exact_mut(image).zip(w).zip(b) {
            for (o, &xv) in zc.iter_mut().zip(xb) {
                *o = wc * xv + bc;
            }
        }
    }
}

/// ∂L/∂w_c = Σ_{b,i} g_{b,c,i}·x_{b,i}, ∂L/∂β_c = Σ_{b,i} g_{b,c,i}; `out` holds the C
/// weights then the C biases.
pub fn linear_backward(x: ArrayView3<f64>, g: ArrayView4<f64>, out: &mut [f64]) {
    let (xs, gs) = (row_major(x), row_major(g));
    let (_, cn, h, wd) = g.dim();
    let image = h * wd;
    out.fill(0.0);
    let (dw, db) = out.split_at_mut(cn);
    for (gb, xb) in gs.chunks_exact(cn * image).zip(xs.chunks_exact(image)) {
        for (c, gc) in gb.chunks_exact(image).enumerate() {
            dw[c] += dot(gc, xb);
            db[c] += sum(gc);
        }
    }
}

/// The 3×3 cross-correlation with zero padding (what `torch.nn.functional.conv2d` with
/// `padding=1` computes), plus the bias; `w` is C×3×3 in (c, di, dj) order.
pub fn conv_forward(x: ArrayView3<f64>, w: &[f64], b: &[f64], z: &mut Array4<f64>) {
    let xs = row_major(x);
    let (_, cn, h, wd) = z.dim();
    let image = h * wd;
    let zs = z
        .as_slice_mut()
        .expect("the trainer's logits are contiguous");
    for (zb, xb) in zs.chunks_exact_mut(cn * image).zip(xs.chunks_exact(image)) {
        for ((zc, k), &bc) in zb.chunks_exact_mut(image).zip(w.chunks_exact(9)).zip(b) {
            for (i, out) in zc.chunks_exact_mut(wd).enumerate() {
                out.fill(bc);
                for di in 0..3 {
                    // Source row i + di − 1; rows outside the image are zero.
                    let Some(si) = (i + di).checked_sub(1).filter(|&si| si < h) else {
                        continue;
                    };
                    let src = &xb[si * wd..(si + 1) * wd];
                    let (w0, w1, w2) = (k[3 * di], k[3 * di + 1], k[3 * di + 2]);
                    // dj = −1 reads x_{j−1} (zero at j = 0), dj = +1 reads x_{j+1}.
                    axpy(&mut out[1..], w0, &src[..wd - 1]);
                    axpy(out, w1, src);
                    axpy(&mut out[..wd - 1], w2, &src[1..]);
                }
            }
        }
    }
}

/// ∂L/∂w_{c,di,dj} = Σ_{b,i,j} g_{b,c,i,j}·x_{b,i+di,j+dj} (zero outside the image),
/// ∂L/∂β_c = Σ g_{b,c,·}; `out` holds the C×9 weights then the C biases.
pub fn conv_backward(x: ArrayView3<f64>, g: ArrayView4<f64>, out: &mut [f64]) {
    let (xs, gs) = (row_major(x), row_major(g));
    let (_, cn, h, wd) = g.dim();
    let image = h * wd;
    out.fill(0.0);
    let (dw, db) = out.split_at_mut(9 * cn);
    for (gb, xb) in gs.chunks_exact(cn * image).zip(xs.chunks_exact(image)) {
        for ((gc, k), dbc) in gb
            .chunks_exact(image)
            .zip(dw.chunks_exact_mut(9))
            .zip(db.iter_mut())
        {
            for (i, grow) in gc.chunks_exact(wd).enumerate() {
                *dbc += sum(grow);
                for di in 0..3 {
                    let Some(si) = (i + di).checked_sub(1).filter(|&si| si < h) else {
                        continue;
                    };
                    let src = &xb[si * wd..(si + 1) * wd];
                    k[3 * di] += dot(&grow[1..], &src[..wd - 1]);
                    k[3 * di + 1] += dot(grow, src);
                    k[3 * di + 2] += dot(&grow[..wd - 1], &src[1..]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, Array4};

    /// Deterministic values in [−1, 1).
    fn values(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::rng::Rng::new(seed, 0);
        (0..n).map(|_| rng.range(-1.0, 1.0)).collect()
    }

    /// The convolution written straight from its definition, index by index.
    fn conv_naive(x: &Array3<f64>, w: &[f64], b: &[f64]) -> Array4<f64> {
        let (bn, h, wd) = x.dim();
        let cn = b.len();
        Array4::from_shape_fn((bn, cn, h, wd), |(bi, c, i, j)| {
            let mut z = b[c];
            for di in -1i64..=1 {
                for dj in -1i64..=1 {
                    let (si, sj) = (i as i64 + di, j as i64 + dj);
                    if si >= 0 && sj >= 0 && (si as usize) < h && (sj as usize) < wd {
                        let k = c * 9 + ((di + 1) * 3 + dj + 1) as usize;
                        z += w[k] * x[[bi, si as usize, sj as usize]];
                    }
                }
            }
            z
        })
    }

    #[test]
    fn conv_forward_matches_the_definition_on_odd_shapes() {
        for &(bn, cn, h, wd) in &[
            (2, 3, 5, 7),
            (1, 2, 1, 1),
            (1, 1, 1, 9),
            (3, 2, 8, 1),
            (1, 2, 17, 13),
        ] {
            let x = Array3::from_shape_vec((bn, h, wd), values(bn * h * wd, 1)).unwrap();
            let (w, b) = (values(9 * cn, 2), values(cn, 3));
            let mut z = Array4::zeros((bn, cn, h, wd));
            conv_forward(x.view(), &w, &b, &mut z);
            let want = conv_naive(&x, &w, &b);
            for (got, want) in z.iter().zip(want.iter()) {
                assert!((got - want).abs() < 1e-14, "{got} vs {want}");
            }
        }
    }

    #[test]
    fn linear_forward_is_a_per_class_affine_map() {
        let x = Array3::from_shape_vec((2, 2, 3), values(12, 4)).unwrap();
        let (w, b) = (vec![2.0, -0.5], vec![0.25, 3.0]);
        let mut z = Array4::zeros((2, 2, 2, 3));
        linear_forward(x.view(), &w, &b, &mut z);
        for ((bi, c, i, j), &v) in z.indexed_iter() {
            assert_eq!(v, w[c] * x[[bi, i, j]] + b[c]);
        }
    }

    /// z is linear in θ, so ⟨g, z(θ)⟩ − ⟨g, z(0)⟩ = ⟨∂/∂θ, θ⟩ exactly: checks every
    /// parameter's gradient at once, and a central difference checks each one alone.
    #[test]
    fn backward_passes_are_the_adjoints_of_the_forward_passes() {
        for kind in [ModelKind::Linear, ModelKind::Conv3x3] {
            for &(bn, cn, h, wd) in &[(2, 3, 5, 7), (1, 2, 1, 1), (2, 1, 4, 1), (1, 2, 9, 16)] {
                let x = Array3::from_shape_vec((bn, h, wd), values(bn * h * wd, 5)).unwrap();
                let g =
                    Array4::from_shape_vec((bn, cn, h, wd), values(bn * cn * h * wd, 6)).unwrap();
                let nw = cn * kind.weights_per_class();
                let theta = values(nw + cn, 7);
                let model =
                    Model::shared(kind, theta[..nw].to_vec(), theta[nw..].to_vec()).unwrap();
                let mut grad = vec![0.0; theta.len()];
                model.backward(x.view(), g.view(), &mut grad);
                let inner = |t: &[f64]| {
                    let m = Model::shared(kind, t[..nw].to_vec(), t[nw..].to_vec()).unwrap();
                    let mut z = Array4::zeros((bn, cn, h, wd));
                    m.forward(x.view(), &mut z);
                    (&z * &g).sum()
                };
                for k in 0..theta.len() {
                    let (mut up, mut down) = (theta.clone(), theta.clone());
                    up[k] += 0.5;
                    down[k] -= 0.5;
                    let fd = inner(&up) - inner(&down);
                    assert!(
                        (fd - grad[k]).abs() < 1e-12 * (1.0 + fd.abs()),
                        "{kind:?} {:?} θ[{k}]: {fd} vs {}",
                        (bn, cn, h, wd),
                        grad[k]
                    );
                }
            }
        }
    }

    #[test]
    fn shared_models_check_their_parameter_counts() {
        assert!(Model::linear(vec![1.0, 2.0], vec![0.0, 0.0]).is_ok());
        assert!(matches!(
            Model::linear(vec![1.0], vec![0.0, 0.0]),
            Err(TrainError::WeightCount { want: 2, .. })
        ));
        assert!(matches!(
            Model::conv3x3(vec![0.0; 9], vec![0.0, 0.0]),
            Err(TrainError::WeightCount { want: 18, .. })
        ));
        assert!(matches!(
            Model::conv3x3(vec![], vec![]),
            Err(TrainError::WeightCount { .. })
        ));
        assert!(matches!(
            Model::linear(vec![f64::NAN], vec![0.0]),
            Err(TrainError::NonFiniteParameter {
                what: "w",
                index: 0
            })
        ));
        assert!(matches!(
            Model::shared(ModelKind::Pixels, vec![], vec![]),
            Err(TrainError::PixelsHaveNoWeights)
        ));
        let m = Model::conv3x3((0..18).map(f64::from).collect(), vec![-1.0, -2.0]).unwrap();
        assert_eq!(m.weights().len(), 18);
        assert_eq!(m.biases(), &[-1.0, -2.0]);
        assert_eq!(m.classes(), 2);
        assert!(m.pixel_logits().is_none());
    }

    #[test]
    fn kinds_round_trip() {
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::parse(k.code()), Some(k));
        }
        assert_eq!(ModelKind::parse("Conv3X3"), Some(ModelKind::Conv3x3));
        assert_eq!(ModelKind::parse("mlp"), None);
    }
}
