//! Toy scenes on which training shows what Φ and ε do to missing and empty labels, and
//! the starting model and recipe that make each point with a wide margin. The claims
//! tests (`tests/training_claims.rs`) run exactly these; `docs/training.md` explains the
//! choices.
//!
//! Every image is [`SIZE`]×[`SIZE`], background intensity 0, two classes (0 background,
//! 1 structure), and plays one of three [`Role`]s:
//! - **annotated**: a disc at intensity [`ANNOTATED`], labelled;
//! - **unannotated** (a missing label): a disc at [`UNANNOTATED`], really there, but its
//!   label is all background;
//! - **empty**: truly nothing to find, but a smaller disc at [`DISTRACTOR`] that a model
//!   can mistake for the structure (a false positive if predicted).

use ndarray::{Array2, Array3, Array4, ArrayView4};

use super::{Model, ModelKind, Optimizer, TrainError, Trainer};
use crate::activation::Activation;
use crate::loss::DiceSettings;
use crate::phi::Phi;

pub const SIZE: usize = 32;
pub const CLASSES: usize = 2;
/// Intensity of an annotated structure.
pub const ANNOTATED: f64 = 1.0;
/// Intensity of the unannotated structure: close to the annotated one (a model that
/// keeps it generalises), yet different (a model pushed to erase it can).
pub const UNANNOTATED: f64 = 0.8;
/// Intensity of the distractor in an empty image: dimmer still, and smaller.
pub const DISTRACTOR: f64 = 0.6;

/// ε "≈ 0" of the claims.
pub const TINY_EPS: f64 = 1e-7;
/// The recipe: Adam at this learning rate for [`STEPS`] steps.
pub const LR: f64 = 0.2;
pub const STEPS: usize = 300;
/// The starting model predicts z₁ − z₀ = [`START_SLOPE`]·x + [`START_BIAS`]: every
/// bright object is predicted as structure at step 0 (ỹ = 0.77 on the distractor, 0.97 on
/// the unannotated disc, 0.998 on an annotated one, 0.0025 on the background).
pub const START_SLOPE: f64 = 12.0;
pub const START_BIAS: f64 = -6.0;

/// What an image of a scene is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Annotated,
    Unannotated,
    Empty,
}

/// Disc (centre row, centre column, radius) of the k-th annotated image.
const ANNOTATED_DISCS: [(f64, f64, f64); 2] = [(11.0, 11.0, 6.0), (20.0, 19.0, 7.0)];
const UNANNOTATED_DISC: (f64, f64, f64) = (15.0, 16.0, 6.5);
const DISTRACTOR_DISC: (f64, f64, f64) = (22.0, 9.0, 3.0);

fn disc((ci, cj, r): (f64, f64, f64)) -> Array2<bool> {
    Array2::from_shape_fn((SIZE, SIZE), |(i, j)| {
        let (di, dj) = (i as f64 + 0.5 - ci, j as f64 + 0.5 - cj);
        di * di + dj * dj <= r * r
    })
}

/// A batch of images with their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub roles: Vec<Role>,
    /// B×H×W intensities.
    pub x: Array3<f64>,
    /// B×2×H×W one-hot labels as the loss sees them: the unannotated structure reads as
    /// background.
    pub y: Array4<f64>,
    /// B×2×H×W labels of what is really there: the unannotated structure is foreground.
    pub truth: Array4<f64>,
    /// Per image, the pixels of its bright object (structure or distractor).
    pub objects: Vec<Array2<bool>>,
}

impl Scene {
    /// Images in the order of `roles`, with the default intensities.
    pub fn new(roles: &[Role]) -> Scene {
        Scene::with_unannotated_intensity(roles, UNANNOTATED)
    }

    /// As [`Scene::new`] with the unannotated structure at `intensity` (at
    /// [`ANNOTATED`] it looks exactly like an annotated one).
    pub fn with_unannotated_intensity(roles: &[Role], intensity: f64) -> Scene {
        let b = roles.len();
        let mut x = Array3::zeros((b, SIZE, SIZE));
        let mut y = Array4::zeros((b, CLASSES, SIZE, SIZE));
        let mut truth = Array4::zeros((b, CLASSES, SIZE, SIZE));
        let mut objects = Vec::with_capacity(b);
        let mut annotated = 0;
        for (bi, &role) in roles.iter().enumerate() {
            let (mask, value) = match role {
                Role::Annotated => {
                    annotated += 1;
                    let d = ANNOTATED_DISCS[(annotated - 1) % ANNOTATED_DISCS.len()];
                    (disc(d), ANNOTATED)
                }
                Role::Unannotated => (disc(UNANNOTATED_DISC), intensity),
                Role::Empty => (disc(DISTRACTOR_DISC), DISTRACTOR),
            };
            for ((i, j), &inside) in mask.indexed_iter() {
                if !inside {
                    truth[[bi, 0, i, j]] = 1.0;
                    y[[bi, 0, i, j]] = 1.0;
                    continue;
                }
                x[[bi, i, j]] = value;
                let (seen, real) = match role {
                    Role::Annotated => (1, 1),
                    Role::Unannotated => (0, 1),
                    Role::Empty => (0, 0),
                };
                y[[bi, seen, i, j]] = 1.0;
                truth[[bi, real, i, j]] = 1.0;
            }
            objects.push(mask);
        }
        Scene {
            roles: roles.to_vec(),
            x,
            y,
            truth,
            objects,
        }
    }

    /// Two annotated images and one whose structure is not annotated.
    pub fn missing() -> Scene {
        Scene::new(&[Role::Annotated, Role::Annotated, Role::Unannotated])
    }

    /// Two annotated images and one truly empty image with a distractor.
    pub fn empty() -> Scene {
        Scene::new(&[Role::Annotated, Role::Annotated, Role::Empty])
    }

    /// Both at once: annotated, annotated, unannotated, empty.
    pub fn mixed() -> Scene {
        Scene::new(&[
            Role::Annotated,
            Role::Annotated,
            Role::Unannotated,
            Role::Empty,
        ])
    }

    pub fn batch(&self) -> usize {
        self.roles.len()
    }

    /// The heuristic ε: the structure's label volume summed over the batch, divided by
    /// the number of images (an unannotated image counts with volume 0, as the loss sees
    /// it).
    pub fn mean_true_volume(&self) -> f64 {
        let b = self.batch() as f64;
        self.y.slice(ndarray::s![.., 1, .., ..]).sum() / b
    }

    /// Mean ỹ of the structure class over the object of image `b`.
    pub fn mean_on_object(&self, prob: ArrayView4<f64>, b: usize) -> f64 {
        let (sum, n) = self.objects[b]
            .indexed_iter()
            .filter(|(_, &inside)| inside)
            .fold((0.0, 0usize), |(s, n), ((i, j), _)| {
                (s + prob[[b, 1, i, j]], n + 1)
            });
        sum / n as f64
    }

    /// Mean ỹ of the structure class over the objects of every image with this role
    /// (`None` if there is none).
    pub fn mean_on(&self, prob: ArrayView4<f64>, role: Role) -> Option<f64> {
        let (mut sum, mut n) = (0.0, 0usize);
        for (b, _) in self.roles.iter().enumerate().filter(|(_, &r)| r == role) {
            let count = self.objects[b].iter().filter(|&&m| m).count();
            sum += self.mean_on_object(prob, b) * count as f64;
            n += count;
        }
        (n > 0).then(|| sum / n as f64)
    }

    /// The loss of the claims: softmax over both classes, background excluded (as in
    /// multi-class segmentation), ε in numerator and denominator.
    pub fn settings(phi: Phi, eps: f64) -> DiceSettings {
        DiceSettings {
            phi,
            eps_nr: eps,
            eps_dr: eps,
            include_background: false,
            activation: Activation::Softmax,
            ..DiceSettings::default()
        }
    }

    /// The starting model of a kind: every kind starts from the same logits, class 0 at
    /// 0 and class 1 at [`START_SLOPE`]·x + [`START_BIAS`] (the 3×3 kernel has only its
    /// centre tap).
    pub fn start_model(&self, kind: ModelKind) -> Model {
        let b = vec![0.0, START_BIAS];
        let built = match kind {
            ModelKind::Linear => Model::linear(vec![0.0, START_SLOPE], b),
            ModelKind::Conv3x3 => {
                let mut w = vec![0.0; 18];
                w[9 + 4] = START_SLOPE;
                Model::conv3x3(w, b)
            }
            ModelKind::Pixels => {
                let z = Array4::from_shape_fn(self.y.raw_dim(), |(bi, c, i, j)| {
                    if c == 0 {
                        0.0
                    } else {
                        START_SLOPE * self.x[[bi, i, j]] + START_BIAS
                    }
                });
                Model::pixels(z)
            }
        };
        built.expect("the start models are valid")
    }

    /// A trainer on this scene with the recipe's optimiser.
    pub fn trainer(&self, kind: ModelKind, phi: Phi, eps: f64) -> Result<Trainer, TrainError> {
        Trainer::new(
            self.y.clone(),
            Some(self.x.clone()),
            Scene::settings(phi, eps),
            self.start_model(kind),
            Optimizer::adam(LR),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_give_the_labels_they_promise() {
        let s = Scene::mixed();
        assert_eq!(s.x.dim(), (4, SIZE, SIZE));
        let fg = |a: &Array4<f64>, b: usize| a.slice(ndarray::s![b, 1, .., ..]).sum();
        let count = |b: usize| s.objects[b].iter().filter(|&&m| m).count() as f64;
        // Annotated: label = object = truth; unannotated: label empty, truth = object;
        // empty: both empty.
        for b in 0..2 {
            assert_eq!(fg(&s.y, b), count(b));
            assert_eq!(fg(&s.truth, b), count(b));
        }
        assert_eq!((fg(&s.y, 2), fg(&s.truth, 2)), (0.0, count(2)));
        assert_eq!((fg(&s.y, 3), fg(&s.truth, 3)), (0.0, 0.0));
        // One-hot everywhere.
        for a in [&s.y, &s.truth] {
            assert!(a.sum_axis(ndarray::Axis(1)).iter().all(|&v| v == 1.0));
        }
        // Intensities: 1.0, 0.8, 0.6 on the objects, 0 elsewhere; the distractor is smaller.
        for (b, want) in [
            (0, ANNOTATED),
            (1, ANNOTATED),
            (2, UNANNOTATED),
            (3, DISTRACTOR),
        ] {
            for ((i, j), &m) in s.objects[b].indexed_iter() {
                assert_eq!(s.x[[b, i, j]], if m { want } else { 0.0 });
            }
        }
        assert!(count(3) < count(0).min(count(1)).min(count(2)) / 3.0);
        // (112 + 156) / 4.
        assert_eq!(s.mean_true_volume(), 67.0);
        assert_eq!(Scene::missing().mean_true_volume(), 268.0 / 3.0);
    }

    #[test]
    fn every_start_model_gives_the_same_logits() {
        let s = Scene::mixed();
        let base = s.trainer(ModelKind::Linear, Phi::I, TINY_EPS).unwrap();
        for kind in [ModelKind::Conv3x3, ModelKind::Pixels] {
            let t = s.trainer(kind, Phi::I, TINY_EPS).unwrap();
            assert_eq!(t.logits(), base.logits(), "{kind:?}");
        }
        let p = base.probabilities().unwrap();
        let on = |r| s.mean_on(p, r).unwrap();
        assert!(on(Role::Annotated) > 0.99 && on(Role::Unannotated) > 0.95);
        assert!((0.7..0.8).contains(&on(Role::Empty)));
    }
}
