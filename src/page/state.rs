//! The one page state: loss settings and painted tensors, everything a link holds and
//! nothing derived from it. Its link codec is [`crate::page::codec`]; the prediction grid
//! and label bits are [`crate::page::levels`].

use ndarray::{Array2, Array3, Array4, Zip};

use crate::engine::loss::DiceSettings;
use crate::engine::status::LabelStatus;
use crate::engine::train::scenes;
use crate::engine::train::{ModelKind, Optimizer};
use crate::page::levels::quantize;

/// Limits of the playground's grid.
pub const MAX_BATCH: usize = 8;
pub const MAX_CLASSES: usize = 4;
pub const MIN_SIZE: usize = 8;
pub const MAX_SIZE: usize = 128;

/// How the gradient views are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisplayOptions {
    /// One colour scale for all cells (so magnitudes compare) instead of one per cell.
    pub shared_scale: bool,
    /// Symmetric-log colour scale instead of linear.
    pub symlog: bool,
    /// With an activation on: show ∂DL/∂z (true) or ∂DL/∂ỹ (false).
    pub logit_grad: bool,
}

impl Default for DisplayOptions {
    fn default() -> Self {
        DisplayOptions {
            shared_scale: true,
            symlog: true,
            logit_grad: true,
        }
    }
}

/// What kind of page this is: the full page, an embed, a presentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageMode {
    /// Embedding: hide the control panels, keep the grid and readouts.
    pub embed: bool,
    /// Presentation mode: full window, large type, only the lesson's cells, the loss and
    /// the legend.
    pub present: bool,
}

/// How the Train panel trains: the model, the optimiser (with its learning rate) and how
/// many steps per second the play button takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainSettings {
    pub model: ModelKind,
    pub optimizer: Optimizer,
    pub speed: u32,
}

/// Steps per second the play button can take.
pub const MAX_SPEED: u32 = 240;

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            model: ModelKind::Conv3x3,
            optimizer: Optimizer::adam(scenes::LR),
            speed: 30,
        }
    }
}

/// Everything a page shows, and nothing derived from it.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub settings: DiceSettings,
    /// The ε controls edit ε_nr and ε_dr separately.
    pub separate_eps: bool,
    /// One label per pixel (class 0 is the background) and predictions that sum to 1
    /// over classes; otherwise classes are independent (multi-label).
    pub exclusive: bool,
    /// Painted truth, B×C×H×W in {0, 1}. For a missing cell this is the hidden truth.
    pub labels: Array4<f64>,
    /// Predicted probabilities, B×C×H×W on the 1e-4 grid.
    pub pred: Array4<f64>,
    /// Per (b, c).
    pub status: Array2<LabelStatus>,
    /// The input image of each batch element, B×H×W intensities in [0, 1] on the 1e-4
    /// grid: what a shared model sees (every structure is visible in it, labelled or not).
    pub image: Array3<f64>,
    pub train: TrainSettings,
    /// Compare mode: the same scene under these second loss settings, side by side.
    pub compare: Option<DiceSettings>,
    pub display: DisplayOptions,
    pub mode: PageMode,
}

/// A size the page cannot show.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    #[error("size out of range: B = {b} (1–{MAX_BATCH}), C = {c} (1–{MAX_CLASSES}), H = W = {n} ({MIN_SIZE}–{MAX_SIZE})")]
    Dims { b: usize, c: usize, n: usize },
}

pub fn check_dims(b: usize, c: usize, n: usize) -> Result<(), StateError> {
    if (1..=MAX_BATCH).contains(&b)
        && (1..=MAX_CLASSES).contains(&c)
        && (MIN_SIZE..=MAX_SIZE).contains(&n)
    {
        Ok(())
    } else {
        Err(StateError::Dims { b, c, n })
    }
}

impl AppState {
    pub fn batch(&self) -> usize {
        self.labels.dim().0
    }
    pub fn classes(&self) -> usize {
        self.labels.dim().1
    }
    pub fn size(&self) -> usize {
        self.labels.dim().2
    }

    /// All-zero tensors of the given size with default settings.
    pub fn blank(b: usize, c: usize, n: usize) -> Result<AppState, StateError> {
        check_dims(b, c, n)?;
        let mut s = AppState {
            settings: DiceSettings::default(),
            separate_eps: false,
            exclusive: c > 1,
            labels: Array4::zeros((b, c, n, n)),
            pred: Array4::zeros((b, c, n, n)),
            status: Array2::from_elem((b, c), LabelStatus::Annotated),
            image: Array3::zeros((b, n, n)),
            train: TrainSettings::default(),
            compare: None,
            display: DisplayOptions::default(),
            mode: PageMode::default(),
        };
        if s.exclusive {
            // Exclusive classes: everything starts as background, predicted as background.
            s.labels.slice_mut(ndarray::s![.., 0, .., ..]).fill(1.0);
            s.pred.slice_mut(ndarray::s![.., 0, .., ..]).fill(1.0);
        }
        Ok(s)
    }

    /// The first page poses the paper's question: a labelled image, an image whose
    /// structure nobody labelled (missing) and one with nothing in it but a small false
    /// positive (empty), under nnU-Net's image-wise soft Dice, which keeps the missing
    /// structure (✓) and leaves the false positive (✗).
    pub fn default_scene() -> AppState {
        let mut s = crate::page::lessons::question_scene();
        s.image = s.scene_image();
        s
    }

    /// The first page of earlier versions, kept as a plain fixture for tests: 2 images ×
    /// 2 classes, both labelled, each prediction shifted, too small and not fully sure.
    #[cfg(test)]
    pub fn two_labelled() -> AppState {
        let mut s = AppState::blank(2, 2, 32).expect("default size is within limits");
        s.paint_blob(
            0,
            Some(((13.0, 14.0), 7.0)),
            Some(((15.0, 16.0), 6.0, 0.85)),
            0.03,
        );
        s.paint_blob(
            1,
            Some(((20.0, 18.0), 5.0)),
            Some(((18.5, 17.0), 5.5, 0.7)),
            0.03,
        );
        s.image = s.scene_image();
        s
    }

    /// The image of a built-in scene, from its labels: every structure visible, whether
    /// or not its label is — an annotated structure at intensity 1.0, an unannotated one
    /// (missing label) slightly dimmer at 0.8, and in an empty cell its predicted false
    /// positive (ỹ ≥ 0.5) as a dim distractor at 0.6, the values the training scenes use
    /// (see `engine::train::scenes`).
    pub fn scene_image(&self) -> Array3<f64> {
        let (bn, cn, n, _) = self.labels.dim();
        let first = usize::from(self.exclusive && cn > 1);
        let mut x = Array3::zeros((bn, n, n));
        for b in 0..bn {
            for c in first..cn {
                let (source, value, min) = match self.status[(b, c)] {
                    LabelStatus::Annotated => (&self.labels, scenes::ANNOTATED, 0.5),
                    LabelStatus::Missing => (&self.labels, scenes::UNANNOTATED, 0.5),
                    LabelStatus::Empty => (&self.pred, scenes::DISTRACTOR, 0.5),
                };
                Zip::from(x.slice_mut(ndarray::s![b, .., ..]))
                    .and(source.slice(ndarray::s![b, c, .., ..]))
                    .for_each(|x, &v| {
                        if v >= min {
                            *x = f64::max(*x, value);
                        }
                    });
            }
        }
        x
    }

    /// Paints image `b` of a built-in scene with exclusive classes: class 1 is a disk
    /// `label` = ((row, col), radius) and the prediction a disk ((row, col), radius,
    /// confidence) fading over two pixels at its edge, on top of `base`; class 0 is the
    /// complement of both. `None` leaves that part empty.
    pub fn paint_blob(
        &mut self,
        b: usize,
        label: Option<((f64, f64), f64)>,
        pred: Option<((f64, f64), f64, f64)>,
        base: f64,
    ) {
        let n = self.size();
        if b >= self.batch() || self.classes() < 2 {
            return;
        }
        for i in 0..n {
            for j in 0..n {
                let (y, x) = (i as f64 + 0.5, j as f64 + 0.5);
                let inside = label.is_some_and(|((cy, cx), r)| (y - cy).hypot(x - cx) <= r);
                let p = quantize(
                    base + pred.map_or(0.0, |((cy, cx), r, conf)| {
                        conf * ((r + 1.0 - (y - cy).hypot(x - cx)) / 2.0).clamp(0.0, 1.0)
                    }),
                );
                self.labels[[b, 1, i, j]] = f64::from(u8::from(inside));
                self.labels[[b, 0, i, j]] = f64::from(u8::from(!inside));
                self.pred[[b, 1, i, j]] = p;
                self.pred[[b, 0, i, j]] = quantize(1.0 - p);
            }
        }
    }

    /// The labels the loss sees: the painted ones where annotated, zero for a missing or
    /// empty cell. With exclusive classes an unannotated structure's pixels count as
    /// background, as they would in a real annotation that left the structure out.
    pub fn loss_labels(&self) -> Array4<f64> {
        let mut y = self.labels.clone();
        for ((b, c), st) in self.status.indexed_iter() {
            if *st == LabelStatus::Annotated {
                continue;
            }
            if self.exclusive && c > 0 {
                let hidden = self.labels.slice(ndarray::s![b, c, .., ..]).to_owned();
                Zip::from(y.slice_mut(ndarray::s![b, 0, .., ..]))
                    .and(&hidden)
                    .for_each(|bg, &h| *bg = bg.max(h));
            }
            y.slice_mut(ndarray::s![b, c, .., ..]).fill(0.0);
        }
        y
    }

    /// Makes a page one the controls could have made (a link is outside input): softmax
    /// ties the classes of a pixel together, so it comes with exclusive classes (as
    /// switching it on in the controls does); exclusive classes have one-hot labels and
    /// predictions that sum to 1 (the rule of [`crate::page::paint::set_exclusive`]).
    pub fn make_consistent(&mut self) {
        if self.settings.activation == crate::engine::activation::Activation::Softmax
            && self.classes() > 1
        {
            self.exclusive = true;
        }
        if self.exclusive {
            crate::page::paint::set_exclusive(self, true);
        }
    }

    #[cfg(test)]
    /// Whether every prediction is on the grid and in [0, 1] (an invariant tests check).
    pub fn pred_on_grid(&self) -> bool {
        let mut ok = true;
        Zip::from(&self.pred).for_each(|&p| ok &= crate::page::levels::on_grid(p));
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scene_is_normalised_and_imperfect() {
        let s = AppState::default_scene();
        assert!(s.pred_on_grid());
        let mut t = s.clone();
        t.make_consistent();
        assert_eq!(t, s);
        let e = crate::engine::loss::evaluate(s.loss_labels().view(), s.pred.view(), &s.settings)
            .unwrap();
        // The labelled image scores well, the two unlabelled ones near 0 (their
        // structure and false positive are not in their labels): a high loss whose value
        // says nothing of which of them is handled right.
        let loss = e.loss.unwrap();
        assert!(loss > 0.6 && loss < 0.95, "loss {loss}");
        let scores: Vec<f64> = e.sets.iter().map(|set| set.sdsc.unwrap()).collect();
        assert!(
            scores[0] > 0.3 && scores[1..].iter().all(|&d| d < 1e-5),
            "{scores:?}"
        );
    }

    #[test]
    fn a_missing_structure_is_background_to_the_loss() {
        let mut s = AppState::two_labelled();
        s.status[(0, 1)] = LabelStatus::Missing;
        let y = s.loss_labels();
        assert!(y.slice(ndarray::s![0, 1, .., ..]).iter().all(|&v| v == 0.0));
        assert!(y.slice(ndarray::s![0, 0, .., ..]).iter().all(|&v| v == 1.0));
        // The painted (hidden) truth itself is kept.
        assert!(s
            .labels
            .slice(ndarray::s![0, 1, .., ..])
            .iter()
            .any(|&v| v == 1.0));
        assert_eq!(
            y.slice(ndarray::s![1, .., .., ..]),
            s.labels.slice(ndarray::s![1, .., .., ..])
        );
    }
}
