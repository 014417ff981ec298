//! The verdict rule's numbers: which way the loss pushes a cell's probabilities, against
//! which fixed scale, on which pixels, and whether that is right for what the cell's label
//! means (docs/science.md §11). No words here: `present::verdict` says it.
//!
//! - **The push** of a cell is the mean, over its judged pixels, of the loss's own push on
//!   the probabilities ([`crate::step::loss_push`]): ∂DL/∂ỹ, minus the pixel's mean
//!   over the classes where they are tied (softmax, or exclusive classes without an
//!   activation), so that a background term raising the background on an unlabelled
//!   structure counts as pushing the structure down. Positive: gradient descent lowers
//!   the probability.
//! - **The scale** is fixed by the batch's shape, 1/(|Φ|·H·W): the push a background pixel
//!   gets in a set whose denominator is one image's pixel count. It does not shrink as the
//!   model converges, so a trained page is judged like a painted one. A push below
//!   [`NO_PUSH_FRACTION`] of it is "almost none".
//! - **Reached**: a cell already where its label wants it needs no push. On a labelled
//!   structure that is every labelled pixel at ỹ ≥ [`REACHED_HIGH`]; where the label wants
//!   nothing (a background, an empty label) it is every pixel at ỹ ≤ [`REACHED_LOW`] —
//!   the largest ỹ, never the mean, so a small false positive in a large image is not
//!   reached. There "almost no push" is right.
//! - **Incomplete labels.** With exclusive classes the background label of an image
//!   whose structure is missing covers that structure: it is judged on the structure's
//!   pixels, where no push is wanted (the background trap). Under the marginal Dice that
//!   background is the merged label "background or the missing class", judged on the
//!   merged probability.

use ndarray::{s, Array2, Array4, ArrayView2, ArrayView4, Zip};

use crate::loss::{DiceSettings, Evaluation};
use crate::status::LabelStatus;
use crate::step::{loss_push, ProbabilityStep};
use crate::variants::Variant;

/// Below this fraction of the scale, a push counts as "almost none".
pub const NO_PUSH_FRACTION: f64 = 0.01;
/// A labelled structure is reached when every labelled pixel has at least this ỹ.
pub const REACHED_HIGH: f64 = 0.9;
/// A label that wants nothing is reached when every judged pixel has at most this ỹ.
pub const REACHED_LOW: f64 = 0.1;

/// The scale pushes are judged against: 1/(|Φ|·H·W) for `sets` = |Φ| and `pixels` = H·W
/// (the push of a background pixel in a set whose denominator is one image's pixels).
pub fn scale(sets: usize, pixels: usize) -> f64 {
    1.0 / (sets.max(1) as f64 * pixels.max(1) as f64)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Gradient descent lowers the probability.
    Down,
    /// Almost no push.
    None,
    /// Gradient descent raises the probability.
    Up,
}

impl Verdict {
    /// The `data-verdict` value.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Down => "down",
            Verdict::None => "none",
            Verdict::Up => "up",
        }
    }
}

/// Which pixels of a cell a verdict averages over, and what they stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judged {
    /// The pixels the loss sees as the structure (y = 1).
    Foreground,
    /// The pixels of the hidden (painted but unannotated) structure of a missing label.
    HiddenTruth,
    /// The pixels the loss sees as not the structure (y = 0): every pixel of an empty or
    /// unlabelled cell.
    Background,
    /// A background label over an unannotated structure (exclusive classes): the pixels
    /// of that structure, where the label is wrong and no push is wanted.
    CoveredStructure,
    /// Under the marginal Dice, the background of an image with a missing class: the
    /// merged label "background or the missing class", on the merged probability.
    MergedBackground,
}

/// The verdict of one (b, c) cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellVerdict {
    pub verdict: Verdict,
    pub correct: bool,
    /// The gradient has no value here (0/0), or, when the step couples the classes, at
    /// another class of this image; `verdict` is then `None`.
    pub undefined: bool,
    /// The judged push: minus the first-order change of the cell's mean probability per
    /// unit step on the probabilities, over the judged pixels (positive: gradient descent
    /// lowers the probability). For independent classes it is the mean ∂DL/∂ỹ; with tied
    /// classes each class moves by ∂DL/∂ỹ minus the pixel's mean over the classes (with
    /// two classes, half the difference of the two).
    pub push: f64,
    /// |push| relative to the scale, 1/(|Φ|·H·W).
    pub ratio: f64,
    /// What the verdict should be for this label.
    pub wanted: Verdict,
    /// Which pixels were judged.
    pub judged: Judged,
    /// The judged pixels are already where the label wants them ([`REACHED_HIGH`],
    /// [`REACHED_LOW`]); always false when no push is wanted.
    pub reached: bool,
}

/// What the verdicts of one evaluation were judged against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// 1/(|Φ|·H·W).
    pub scale: f64,
    /// |Φ| and H·W.
    pub sets: usize,
    pub pixels: usize,
}

impl Scale {
    pub fn of(e: &Evaluation, pixels: usize) -> Scale {
        let sets = e.sets.len();
        Scale {
            scale: scale(sets, pixels),
            sets,
            pixels,
        }
    }

    /// Below this |push| a push is "almost none".
    pub fn threshold(&self) -> f64 {
        NO_PUSH_FRACTION * self.scale
    }
}

impl Default for Scale {
    fn default() -> Self {
        Scale {
            scale: 1.0,
            sets: 1,
            pixels: 1,
        }
    }
}

/// What the verdicts judge against, besides the evaluation: the painted labels (for a
/// missing cell its hidden truth), what each cell's label means, and whether the classes
/// are exclusive (one label per pixel).
#[derive(Clone, Copy, Debug)]
pub struct Labelling<'a> {
    pub painted: ArrayView4<'a, f64>,
    pub status: &'a Array2<LabelStatus>,
    pub exclusive: bool,
}

impl Labelling<'_> {
    fn classes(&self) -> usize {
        self.status.dim().1
    }
}

/// Verdicts for every cell of `labelling` under `settings`; `None` where the class does
/// not take part in the loss. `e` must be the evaluation under `settings` of the labels as
/// the loss sees them (`y_loss`) and the shown probabilities.
pub fn verdicts(
    labelling: &Labelling,
    settings: &DiceSettings,
    y_loss: &Array4<f64>,
    e: &Evaluation,
) -> (Array2<Option<CellVerdict>>, Scale) {
    let (_, _, h, w) = y_loss.dim();
    let scale = Scale::of(e, h * w);
    let judge = Judge {
        // A view of the view: ndarray's views are invariant in their lifetime.
        labelling: Labelling {
            painted: labelling.painted.view(),
            ..*labelling
        },
        settings,
        y_loss,
        e,
        step: loss_push(e, settings.activation, labelling.exclusive),
        threshold: scale.threshold(),
        scale: scale.scale,
    };
    let v = Array2::from_shape_fn(labelling.status.dim(), |(b, c)| judge.cell(b, c));
    (v, scale)
}

/// The pixels a cell is judged on: a mask and the value its entries must have.
enum Pixels<'a> {
    View(ArrayView2<'a, f64>, f64),
    Owned(Array2<f64>),
}

impl Pixels<'_> {
    fn view(&self) -> (ArrayView2<'_, f64>, f64) {
        match self {
            Pixels::View(v, want) => (v.view(), *want),
            Pixels::Owned(m) => (m.view(), 1.0),
        }
    }
}

struct Judge<'a, 'e> {
    labelling: Labelling<'a>,
    settings: &'a DiceSettings,
    y_loss: &'a Array4<f64>,
    e: &'a Evaluation<'e>,
    step: ProbabilityStep<'a>,
    threshold: f64,
    scale: f64,
}

impl Judge<'_, '_> {
    /// The classes whose probabilities the loss reads as one in cell (b, c): the
    /// background and the image's missing classes under the marginal Dice, else the class.
    fn merged(&self, b: usize, c: usize) -> Vec<usize> {
        let s = &self.labelling;
        let merges =
            self.settings.variant == Variant::Marginal && s.exclusive && c == 0 && s.classes() > 1;
        let mut classes = vec![c];
        if merges {
            classes.extend((1..s.classes()).filter(|&k| s.status[(b, k)] == LabelStatus::Missing));
        }
        classes
    }

    /// The union of the hidden structures of image b's missing classes, if the background
    /// label of exclusive classes covers any (else `None`).
    fn covered(&self, b: usize) -> Option<Array2<f64>> {
        let s = &self.labelling;
        if !s.exclusive || s.classes() < 2 {
            return None;
        }
        let (_, _, h, w) = s.painted.dim();
        let mut mask = Array2::<f64>::zeros((h, w));
        for k in 1..s.classes() {
            if s.status[(b, k)] != LabelStatus::Missing {
                continue;
            }
            Zip::from(&mut mask)
                .and(s.painted.slice(s![b, k, .., ..]))
                .for_each(|m, &l| *m = m.max(if l == 1.0 { 1.0 } else { 0.0 }));
        }
        mask.iter().any(|&m| m == 1.0).then_some(mask)
    }

    /// What cell (b, c) is judged on, what is wanted there, and on which pixels.
    fn what(&self, b: usize, c: usize) -> (Judged, Verdict, Pixels<'_>) {
        let s = &self.labelling;
        let y = self.y_loss.slice(s![b, c, .., ..]);
        let has_fg = y.iter().any(|&v| v == 1.0);
        let hidden = s.painted.slice(s![b, c, .., ..]);
        match s.status[(b, c)] {
            LabelStatus::Missing if hidden.iter().any(|&v| v == 1.0) => (
                Judged::HiddenTruth,
                Verdict::None,
                Pixels::View(hidden, 1.0),
            ),
            LabelStatus::Missing => (Judged::Background, Verdict::None, Pixels::View(y, 0.0)),
            LabelStatus::Empty => (Judged::Background, Verdict::Down, Pixels::View(y, 0.0)),
            LabelStatus::Annotated if !has_fg => {
                (Judged::Background, Verdict::Down, Pixels::View(y, 0.0))
            }
            LabelStatus::Annotated if c == 0 => {
                if self.merged(b, c).len() > 1 {
                    (Judged::MergedBackground, Verdict::Up, Pixels::View(y, 1.0))
                } else if let Some(mask) = self.covered(b) {
                    (Judged::CoveredStructure, Verdict::None, Pixels::Owned(mask))
                } else {
                    (Judged::Foreground, Verdict::Up, Pixels::View(y, 1.0))
                }
            }
            LabelStatus::Annotated => (Judged::Foreground, Verdict::Up, Pixels::View(y, 1.0)),
        }
    }

    /// Whether the judged pixels of the classes `classes` (their probabilities summed)
    /// are where `wanted` leads.
    fn reached(
        &self,
        b: usize,
        classes: &[usize],
        pixels: ArrayView2<f64>,
        want: f64,
        wanted: Verdict,
    ) -> bool {
        let prob = &self.e.prob;
        let at = |i: usize, j: usize| classes.iter().map(|&k| prob[[b, k, i, j]]).sum::<f64>();
        let mut judged = pixels
            .indexed_iter()
            .filter(|(_, &v)| v == want)
            .map(|((i, j), _)| at(i, j));
        match wanted {
            Verdict::Up => judged.all(|p| p >= REACHED_HIGH),
            Verdict::Down => judged.all(|p| p <= REACHED_LOW),
            Verdict::None => false,
        }
    }

    fn cell(&self, b: usize, c: usize) -> Option<CellVerdict> {
        self.e.cell_set[(b, c)]?;
        let (judged, wanted, pixels) = self.what(b, c);
        let classes = self.merged(b, c);
        let undefined = classes.iter().any(|&k| self.step.undefined[(b, k)]);
        if undefined {
            return Some(CellVerdict {
                verdict: Verdict::None,
                correct: false,
                undefined: true,
                push: 0.0,
                ratio: 0.0,
                wanted,
                judged,
                reached: false,
            });
        }
        let (select, want) = pixels.view();
        // The merged probability moves by the sum of its classes' moves.
        let push: f64 = classes
            .iter()
            .map(|&k| self.step.cell_mean((b, k), select, want).unwrap_or(0.0))
            .sum();
        let verdict = if push.abs() <= self.threshold {
            Verdict::None
        } else if push > 0.0 {
            Verdict::Down
        } else {
            Verdict::Up
        };
        let reached = self.reached(b, &classes, select, want, wanted);
        let correct = verdict == wanted || (verdict == Verdict::None && reached);
        Some(CellVerdict {
            verdict,
            correct,
            undefined: false,
            push,
            ratio: push.abs() / self.scale,
            wanted,
            judged,
            reached,
        })
    }
}
