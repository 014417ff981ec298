//! The options of the peer libraries that [`DiceSettings`] does not have (docs/options.md):
//! per-class weights (MONAI `weight`, smp `class_weights`, kornia `weight` micro and macro),
//! the soft-label overlap Σ min(y, ỹ) (MONAI `soft_label`, smp ≥ 0.4), the Tversky index
//! with α ≠ β and smp's focal γ, smp's `log_loss` and `classes`, Keras' `sample_weight`, a
//! pixel mask (MONAI `MaskedDiceLoss`, `ignore_index` of MONAI, smp and kornia) and the
//! authors' rule that an all-zero label cell is a missing one.
//!
//! The types live here for every target; the loss with these options is computed by
//! `engine::general`, which is native only: the page has none of these settings, so its
//! bundle does not carry their code. The options that describe the loss are in
//! [`LossOptions`] (part of an `Objective`); the data beside the labels — the mask and the
//! sample weights, which follow the images into a mini-batch — are [`Extras`].

use crate::error::DiceError;
use crate::loss::DiceSettings;
use crate::phi::Phi;
use crate::variants::Variant;

/// How per-class weights enter the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClassWeighting {
    /// MONAI `weight`: each set's term is multiplied by its class's weight, then the mean
    /// over the |Φ| sets (Φ = I or BI).
    #[default]
    Term,
    /// segmentation_models_pytorch `class_weights`: the weighted mean Σ w·term / Σ w over
    /// the sets (Φ = I or BI).
    Mean,
    /// kornia `average="micro"`: a class's weight scales its y and ỹ in the sums
    /// (V, Ṽ and X of its cells are multiplied by it); any Φ.
    Micro,
    /// kornia `average="macro"`: per image, the weighted mean of the terms of the classes
    /// that image's labels contain, then the mean over the images (Φ = I); an image with
    /// no such class counts as a constant loss of 1.
    Macro,
}

impl ClassWeighting {
    pub const ALL: [ClassWeighting; 4] = [
        ClassWeighting::Term,
        ClassWeighting::Mean,
        ClassWeighting::Micro,
        ClassWeighting::Macro,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ClassWeighting::Term => "term",
            ClassWeighting::Mean => "mean",
            ClassWeighting::Micro => "micro",
            ClassWeighting::Macro => "macro",
        }
    }

    pub fn parse(s: &str) -> Option<ClassWeighting> {
        ClassWeighting::ALL
            .into_iter()
            .find(|w| w.code().eq_ignore_ascii_case(s.trim()))
    }
}

/// One weight per class of the input (class 0 first, even when the background is out of
/// the loss) and how they enter; an empty list weighs every class 1 (kornia's `average`
/// without a `weight`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassWeights {
    pub weights: Vec<f64>,
    pub mode: ClassWeighting,
}

impl ClassWeights {
    /// The weights of `c` classes.
    pub fn of(&self, c: usize) -> Vec<f64> {
        if self.weights.is_empty() {
            vec![1.0; c]
        } else {
            self.weights.clone()
        }
    }
}

/// Options of the loss beyond [`DiceSettings`]; [`LossOptions::NONE`] changes nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct LossOptions {
    /// The overlap X = Σ min(y, ỹ) instead of Σ y·ỹ (equal for labels 0 and 1). With the
    /// squared denominator the overlap stays Σ y·ỹ, as in MONAI.
    pub soft_label: bool,
    /// The Tversky index (α weighting the false positives Ṽ − X, β the false negatives
    /// V − X), written on the Dice's scale: (2X + ε_nr)/(2αṼ + 2βV + 2(1 − α − β)X + ε_dr).
    /// α = β = ½ is the Dice, α = β = 1 the Jaccard.
    pub tversky: Option<(f64, f64)>,
    /// The loss (the weighted mean of the terms) raised to this power (smp `TverskyLoss`
    /// `gamma`); 1 leaves it.
    pub focal_gamma: f64,
    /// smp `log_loss`: a set's term is −ln(max(score, eps)) instead of 1 − score; the
    /// value is that eps.
    pub log_loss: Option<f64>,
    pub class_weights: Option<ClassWeights>,
    /// smp `classes`: only these classes take part (replaces `include_background`'s rule).
    pub class_subset: Option<Vec<usize>>,
    /// Every (b, c ≥ 1) cell whose label, as the loss sees it, is all zero counts as
    /// missing, as the authors' code infers it (added to the listed ones).
    pub infer_missing: bool,
}

impl LossOptions {
    /// No option: the plain loss of the settings.
    pub const NONE: LossOptions = LossOptions {
        soft_label: false,
        tversky: None,
        focal_gamma: 1.0,
        log_loss: None,
        class_weights: None,
        class_subset: None,
        infer_missing: false,
    };

    /// Whether these options change nothing.
    pub fn is_none(&self) -> bool {
        *self == LossOptions::NONE
    }

    /// The classes that take part, of `c`.
    pub fn classes(&self, settings: &DiceSettings, c: usize) -> Vec<usize> {
        match &self.class_subset {
            Some(list) => {
                let mut l = list.clone();
                l.sort_unstable();
                l
            }
            None => settings.classes(c),
        }
    }

    /// The Tversky weights (α, β) the denominator uses: the option's, else the Jaccard's
    /// (1, 1) or the Dice's (½, ½).
    pub fn alpha_beta(&self, settings: &DiceSettings) -> (f64, f64) {
        match self.tversky {
            Some(ab) => ab,
            None if settings.jaccard => (1.0, 1.0),
            None => (0.5, 0.5),
        }
    }

    /// Checks the options against the settings and the number of classes `c`.
    pub fn validate(&self, s: &DiceSettings, c: usize) -> Result<(), DiceError> {
        let bad = |m: String| Err(DiceError::Options(m));
        if let Some((a, b)) = self.tversky {
            for (name, v) in [("tversky_alpha", a), ("tversky_beta", b)] {
                if !(v.is_finite() && v >= 0.0) {
                    return bad(format!("`{name}` must be a finite number ≥ 0, got {v:?}"));
                }
            }
            if s.jaccard {
                return bad("the Jaccard loss is the Tversky index with α = β = 1: give `jaccard` or `tversky_alpha`/`tversky_beta`, not both".into());
            }
            // With squares in the denominator and α ≠ β a score can exceed 1 (Σỹ² may be
            // below the overlap); no library combines the two.
            if s.squared {
                return bad("the Tversky index is not combined with the squared denominator (no library does, and with α ≠ β a score could exceed 1): leave `squared` out".into());
            }
        }
        let g = self.focal_gamma;
        if !(g.is_finite() && g > 0.0) {
            return bad(format!(
                "`focal_gamma` must be a finite number > 0, got {g:?}"
            ));
        }
        if let Some(eps) = self.log_loss {
            if !(eps.is_finite() && eps > 0.0) {
                return bad(format!(
                    "`log_loss_eps` must be a finite number > 0, got {eps:?}"
                ));
            }
        }
        self.validate_classes(s, c)?;
        if let Some(w) = &self.class_weights {
            validate_weights(w, s.phi, c)?;
        }
        Ok(())
    }

    fn validate_classes(&self, s: &DiceSettings, c: usize) -> Result<(), DiceError> {
        let bad = |m: String| Err(DiceError::Options(m));
        let Some(list) = &self.class_subset else {
            return Ok(());
        };
        if list.is_empty() {
            return bad("`class_subset` is empty: at least one class must take part".into());
        }
        let mut seen = vec![false; c];
        for &k in list {
            if k >= c {
                return bad(format!(
                    "`class_subset` names class {k}, but the input has {c} classes (0 to {})",
                    c - 1
                ));
            }
            if std::mem::replace(&mut seen[k], true) {
                return bad(format!("`class_subset` names class {k} twice"));
            }
        }
        if seen[0] && !s.include_background {
            return bad("`class_subset` names class 0 but include_background is false: leave one of them out".into());
        }
        if s.variant == Variant::Marginal && !seen[0] {
            return bad("the marginal Dice keeps the background in the loss: `class_subset` must name class 0".into());
        }
        Ok(())
    }
}

impl Default for LossOptions {
    fn default() -> Self {
        LossOptions::NONE
    }
}

fn validate_weights(w: &ClassWeights, phi: Phi, c: usize) -> Result<(), DiceError> {
    let bad = |m: String| Err(DiceError::Options(m));
    if !w.weights.is_empty() && w.weights.len() != c {
        return bad(format!(
            "`class_weights` has {} values, one per class, but the input has {c} classes \
             (with the background out, MONAI's `weight` leaves out class 0's: write any value \
             for it first)",
            w.weights.len()
        ));
    }
    if let Some((k, v)) = w
        .weights
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return bad(format!(
            "`class_weights` for class {k} must be a finite number ≥ 0, got {v:?}"
        ));
    }
    let per_class = matches!(phi, Phi::I | Phi::BI);
    match w.mode {
        ClassWeighting::Term | ClassWeighting::Mean if !per_class => bad(format!(
            "class_weighting \"{}\" weights each set by its class, so every set must hold one \
             class (Φ = I or BI); Φ = {} sums several classes in one set (\"micro\" weights them \
             inside the sums)",
            w.mode.code(),
            phi.code()
        )),
        ClassWeighting::Macro if phi != Phi::I => bad(format!(
            "class_weighting \"macro\" (kornia) averages the classes of each image: it needs \
             Φ = I, got Φ = {}",
            phi.code()
        )),
        _ => Ok(()),
    }
}

/// A pixel mask: weights in [0, 1] (0 ignores an entry, 1 keeps it), one per entry of a
/// `[batch, classes, pixels…]` array whose `batch` is 1 or B and `classes` 1 or C (a
/// smaller one is broadcast, like MONAI's `B1H[WD]` and `11H[WD]` masks).
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    pub values: Vec<f64>,
    pub batch: usize,
    pub classes: usize,
    /// Applied to the logits before the activation (MONAI ≤ 1.5 `MaskedDiceLoss`: a
    /// masked logit becomes 0, so its probability is σ(0) or 1/C and still counts), rather
    /// than to the labels and probabilities after it (smp, kornia, MONAI ≥ 1.6).
    pub before_activation: bool,
}

impl Mask {
    /// The weight of entry `i` of cell (b, c), with `pixels` entries per cell.
    pub fn at(&self, b: usize, c: usize, i: usize, pixels: usize) -> f64 {
        let b = if self.batch == 1 { 0 } else { b };
        let c = if self.classes == 1 { 0 } else { c };
        self.values[(b * self.classes + c) * pixels + i]
    }
}

/// The data beside the labels that some options need: a mask and Keras' per-image
/// `sample_weight`. Both follow their images into a mini-batch ([`Extras::gather`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    pub mask: Option<Mask>,
    /// One weight ≥ 0 per image: each set's term is multiplied by its image's weight
    /// (Φ = I or CI), the mean over the sets kept (Keras' `sum_over_batch_size`).
    pub sample_weights: Option<Vec<f64>>,
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        self.mask.is_none() && self.sample_weights.is_none()
    }

    /// Checks the extras against a batch of `b` images and `c` classes of `pixels` each.
    pub fn validate(&self, b: usize, c: usize, pixels: usize, phi: Phi) -> Result<(), DiceError> {
        let bad = |m: String| Err(DiceError::Options(m));
        if let Some(m) = &self.mask {
            let shape_ok = (m.batch == 1 || m.batch == b)
                && (m.classes == 1 || m.classes == c)
                && m.values.len() == m.batch * m.classes * pixels;
            if !shape_ok {
                return bad(format!(
                    "the mask has {} values for {} image(s) and {} class(es); it needs one per \
                     pixel of {b} image(s) ({pixels} each), once or per class",
                    m.values.len(),
                    m.batch,
                    m.classes
                ));
            }
            if let Some((i, v)) = m
                .values
                .iter()
                .enumerate()
                .find(|(_, v)| !(0.0..=1.0).contains(*v))
            {
                return bad(format!(
                    "mask value at index {i} is {v:?}; a mask holds weights in [0, 1] (0 ignores a pixel)"
                ));
            }
        }
        if let Some(w) = &self.sample_weights {
            if w.len() != b {
                return bad(format!(
                    "`sample_weights` has {} values, one per image, but the batch has {b}",
                    w.len()
                ));
            }
            if let Some((k, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return bad(format!(
                    "`sample_weights` for image {k} must be a finite number ≥ 0, got {v:?}"
                ));
            }
            if !matches!(phi, Phi::I | Phi::CI) {
                return bad(format!(
                    "`sample_weights` weight each image's sets, so every set must lie in one \
                     image (Φ = I or CI); Φ = {} sums several images in one set",
                    phi.code()
                ));
            }
        }
        Ok(())
    }

    /// The extras of the images `batch` of a larger batch, in that order (`pixels` per
    /// cell).
    pub fn gather(&self, batch: &[usize], pixels: usize) -> Extras {
        let mask = self.mask.as_ref().map(|m| {
            if m.batch == 1 {
                return m.clone();
            }
            let per_image = m.classes * pixels;
            let mut values = Vec::with_capacity(batch.len() * per_image);
            for &b in batch {
                values.extend_from_slice(&m.values[b * per_image..(b + 1) * per_image]);
            }
            Mask {
                values,
                batch: batch.len(),
                ..*m
            }
        });
        let sample_weights = self
            .sample_weights
            .as_ref()
            .map(|w| batch.iter().map(|&b| w[b]).collect());
        Extras {
            mask,
            sample_weights,
        }
    }
}

/// What the options add to an evaluation (`Evaluation::options`).
#[derive(Clone, Debug, PartialEq)]
pub struct OptionsReport {
    /// Each set's coefficient in the loss before the power: the loss is
    /// (Σ_φ weight_φ·term_φ + `constant`)^γ.
    pub set_weights: Vec<f64>,
    /// The part of the loss no set gives (kornia's macro mean: an image without a labelled
    /// class counts as a loss of 1).
    pub constant: f64,
    /// The loss before the power γ (`None` where undefined).
    pub loss_before_power: Option<f64>,
    pub focal_gamma: f64,
    /// The (b, c) cells counted as missing because their label is all zero.
    pub inferred_missing: Vec<(usize, usize)>,
    /// Why the gradient has no value although every set has one (γ < 1 at a loss of 0).
    pub gradient_undefined: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_the_default_and_codes_round_trip() {
        assert!(LossOptions::default().is_none());
        for w in ClassWeighting::ALL {
            assert_eq!(ClassWeighting::parse(w.code()), Some(w));
        }
        assert_eq!(ClassWeighting::parse(" Macro"), Some(ClassWeighting::Macro));
    }

    #[test]
    fn bad_options_are_refused_in_words() {
        let s = DiceSettings::default();
        for (o, needle) in [
            (
                LossOptions {
                    tversky: Some((-1.0, 0.5)),
                    ..LossOptions::NONE
                },
                "tversky_alpha",
            ),
            (
                LossOptions {
                    focal_gamma: 0.0,
                    ..LossOptions::NONE
                },
                "focal_gamma",
            ),
            (
                LossOptions {
                    class_subset: Some(vec![1, 1]),
                    ..LossOptions::NONE
                },
                "twice",
            ),
            (
                LossOptions {
                    class_subset: Some(vec![3]),
                    ..LossOptions::NONE
                },
                "0 to 2",
            ),
            (
                LossOptions {
                    class_weights: Some(ClassWeights {
                        weights: vec![1.0, 2.0],
                        mode: ClassWeighting::Term,
                    }),
                    ..LossOptions::NONE
                },
                "write any value",
            ),
        ] {
            let e = o.validate(&s, 3).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        let ci = DiceSettings { phi: Phi::CI, ..s };
        let o = LossOptions {
            class_weights: Some(ClassWeights {
                weights: vec![1.0; 3],
                mode: ClassWeighting::Mean,
            }),
            ..LossOptions::NONE
        };
        assert!(o
            .validate(&ci, 3)
            .unwrap_err()
            .to_string()
            .contains("micro"));
    }

    #[test]
    fn extras_gather_whole_images() {
        let e = Extras {
            mask: Some(Mask {
                values: (0..12).map(|v| v as f64 / 12.0).collect(),
                batch: 3,
                classes: 1,
                before_activation: false,
            }),
            sample_weights: Some(vec![1.0, 2.0, 3.0]),
        };
        assert!(e.validate(3, 2, 4, Phi::I).is_ok());
        let g = e.gather(&[2, 0], 4);
        assert_eq!(g.sample_weights, Some(vec![3.0, 1.0]));
        let m = g.mask.unwrap();
        assert_eq!(m.batch, 2);
        assert_eq!(m.at(0, 1, 1, 4), 9.0 / 12.0);
        assert_eq!(m.at(1, 0, 3, 4), 3.0 / 12.0);
        assert!(e
            .validate(3, 2, 4, Phi::BI)
            .unwrap_err()
            .to_string()
            .contains("Φ = I or CI"));
    }
}
