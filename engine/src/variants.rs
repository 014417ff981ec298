//! The losses made for missing labels that the paper compares Φ and ε with: the leaf and
//! the marginal Dice, in the per-cell form of the authors' experiment code
//! (github.com/JeroenBertels/dicegrad, `ACDC/Training/functions/metrics_missing_labels.py`),
//! generalised to every Φ.
//!
//! Both are told which (b, c) cells have a missing label (never the background):
//! - **leaf**: the label and prediction of a missing cell are set to 0 before the sums, so
//!   the cell adds nothing to its set; a set made only of missing cells scores a constant
//!   0 with no gradient and still counts in |Φ|.
//! - **marginal**: first, in image b, the probabilities of its missing classes are added to
//!   the background's, ỹ'_{b,0} = ỹ_{b,0} + Σ_c m_{b,c}·ỹ_{b,c}; then as the leaf Dice.
//!   The background must take part and the classes must be exclusive (softmax, or
//!   probabilities that sum to 1), since "missing" then means "counted as background".
//!
//! Both are input transformations: the Dice of [`crate::loss`] runs on the
//! transformed y', ỹ', and the gradient is mapped back by the chain rule
//! (∂ỹ'/∂ỹ is 0 for a missing cell under leaf, and 1 towards the background under
//! marginal). The only hook inside the set reduction is the constant score of sets made
//! only of missing cells.

use ndarray::{s, Array2, Array4, ArrayView4, Zip};
use serde::{Deserialize, Serialize};

use crate::activation::Activation;
use crate::error::DiceError;
use crate::loss::DiceSettings;

/// Which loss: the plain Dice or one of the two made for missing labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// The Dice of every set as it is; a list of missing cells changes nothing.
    #[default]
    Dice,
    /// Missing cells are dropped from their sets (label and prediction set to 0).
    Leaf,
    /// Missing classes' probabilities go to the background, then as leaf.
    Marginal,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Dice, Variant::Leaf, Variant::Marginal];

    /// The name used in JSON and links.
    pub fn code(self) -> &'static str {
        match self {
            Variant::Dice => "dice",
            Variant::Leaf => "leaf",
            Variant::Marginal => "marginal",
        }
    }

    /// The name in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Dice => "plain Dice",
            Variant::Leaf => "leaf Dice",
            Variant::Marginal => "marginal Dice",
        }
    }

    pub fn parse(s: &str) -> Option<Variant> {
        Variant::ALL
            .into_iter()
            .find(|v| v.code().eq_ignore_ascii_case(s.trim()))
    }

    /// Checks what the settings alone can tell (the probabilities are checked when they
    /// are seen).
    pub(crate) fn validate(self, s: &DiceSettings, classes: usize) -> Result<(), DiceError> {
        if self != Variant::Marginal {
            return Ok(());
        }
        if classes < 2 {
            return Err(DiceError::MarginalOneClass(classes));
        }
        if s.activation == Activation::Sigmoid {
            return Err(DiceError::MarginalSigmoid);
        }
        if !s.include_background {
            return Err(DiceError::MarginalWithoutBackground);
        }
        Ok(())
    }
}

/// The missing cells of one evaluation with a variant that uses them.
pub(crate) struct Missing {
    variant: Variant,
    /// B×C, true for a missing cell (never class 0).
    mask: Array2<bool>,
}

/// Checks the listed cells against the shape (`dim` is B×C) and returns what the
/// evaluation needs; `None` when the loss is the plain Dice of the inputs (the plain
/// variant, or no cell missing: both variants then change nothing).
pub(crate) fn missing_cells(
    dim: (usize, usize),
    settings: &DiceSettings,
    cells: &[(usize, usize)],
) -> Result<Option<Missing>, DiceError> {
    let (bn, cn) = dim;
    let mut mask = Array2::from_elem(dim, false);
    for &(b, c) in cells {
        if b >= bn || c >= cn {
            return Err(DiceError::MissingCellOutOfRange {
                b,
                c,
                batch: bn,
                classes: cn,
            });
        }
        if c == 0 {
            return Err(DiceError::MissingBackground { b });
        }
        mask[(b, c)] = true;
    }
    if settings.variant == Variant::Dice || !mask.iter().any(|&m| m) {
        return Ok(None);
    }
    Ok(Some(Missing {
        variant: settings.variant,
        mask,
    }))
}

/// With the marginal Dice and no activation the probabilities must be exclusive: per
/// pixel they sum to 1 over the classes (to 1e-9, as for softmax input).
pub(crate) fn check_exclusive(prob: ArrayView4<f64>, s: &DiceSettings) -> Result<(), DiceError> {
    if s.variant != Variant::Marginal || s.activation != Activation::None {
        return Ok(());
    }
    match crate::loss::first_unnormalised(prob) {
        Some((b, pixel, sum)) => Err(DiceError::MarginalNotExclusive { b, pixel, sum }),
        None => Ok(()),
    }
}

impl Missing {
    /// Per cell: missing.
    pub(crate) fn mask(&self) -> &Array2<bool> {
        &self.mask
    }

    /// The labels and probabilities the Dice sums: missing cells zeroed, and with the
    /// marginal Dice their probabilities added to the background of their image.
    /// Values are checked on the inputs first, since zeroing would hide a bad one.
    pub(crate) fn transform(
        &self,
        y: ArrayView4<f64>,
        prob: ArrayView4<f64>,
    ) -> Result<(Array4<f64>, Array4<f64>), DiceError> {
        let bad = |a: ArrayView4<f64>| {
            a.iter()
                .enumerate()
                .find(|(_, v)| !(0.0..=1.0).contains(*v))
                .map(|(i, &v)| (i, v))
        };
        if let Some((index, value)) = bad(y) {
            return Err(DiceError::LabelOutOfRange { index, value });
        }
        if let Some((index, value)) = bad(prob) {
            return Err(DiceError::ProbabilityOutOfRange { index, value });
        }
        let mut y2 = y.to_owned();
        let mut p2 = prob.to_owned();
        for ((b, c), &m) in self.mask.indexed_iter() {
            if !m {
                continue;
            }
            if self.variant == Variant::Marginal {
                Zip::from(p2.slice_mut(s![b, 0, .., ..]))
                    .and(prob.slice(s![b, c, .., ..]))
                    .for_each(|bg, &p| *bg += p);
            }
            y2.slice_mut(s![b, c, .., ..]).fill(0.0);
            p2.slice_mut(s![b, c, .., ..]).fill(0.0);
        }
        Ok((y2, p2))
    }

    /// Turns ∂DL/∂ỹ' (of the transformed probabilities) into ∂DL/∂ỹ: 0 for a missing cell
    /// under leaf; the background's gradient (and its undefinedness) under marginal.
    pub(crate) fn map_back(&self, grad_prob: &mut Array4<f64>, undefined: &mut Array2<bool>) {
        for ((b, c), &m) in self.mask.indexed_iter() {
            if !m {
                continue;
            }
            // A missing cell's own set still matters when it is undefined: the loss has
            // no value, so neither has its derivative (autograd gives NaN there too).
            let own_undefined = undefined[(b, c)];
            match self.variant {
                Variant::Marginal => {
                    let bg = grad_prob.slice(s![b, 0, .., ..]).to_owned();
                    grad_prob.slice_mut(s![b, c, .., ..]).assign(&bg);
                    undefined[(b, c)] = own_undefined || undefined[(b, 0)];
                }
                Variant::Leaf | Variant::Dice => grad_prob.slice_mut(s![b, c, .., ..]).fill(0.0),
            }
            if undefined[(b, c)] {
                grad_prob.slice_mut(s![b, c, .., ..]).fill(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for v in Variant::ALL {
            assert_eq!(Variant::parse(v.code()), Some(v));
        }
        assert_eq!(Variant::parse(" Marginal "), Some(Variant::Marginal));
        assert_eq!(Variant::parse("marg"), None);
        assert_eq!(
            serde_json::to_string(&Variant::Leaf).unwrap(),
            "\"leaf\"".to_string()
        );
    }

    #[test]
    fn bad_cells_are_refused_with_their_coordinates() {
        let s = DiceSettings {
            variant: Variant::Leaf,
            ..DiceSettings::default()
        };
        let err = missing_cells((2, 3), &s, &[(2, 1)]).err().unwrap();
        assert!(err.to_string().contains("(2, 1)"), "{err}");
        let err = missing_cells((2, 3), &s, &[(0, 3)]).err().unwrap();
        assert!(err.to_string().contains("3 classes"), "{err}");
        let err = missing_cells((2, 3), &s, &[(1, 0)]).err().unwrap();
        assert!(err.to_string().contains("background"), "{err}");
        // Also under the plain Dice: a bad list is bad input whatever reads it.
        let plain = DiceSettings::default();
        assert!(missing_cells((2, 3), &plain, &[(0, 0)]).is_err());
        assert!(missing_cells((2, 3), &plain, &[(0, 1)]).unwrap().is_none());
        assert!(missing_cells((2, 3), &s, &[]).unwrap().is_none());
        assert!(missing_cells((2, 3), &s, &[(1, 2), (1, 2)])
            .unwrap()
            .is_some());
    }

    #[test]
    fn marginal_moves_missing_probabilities_to_the_background() {
        let s = DiceSettings {
            variant: Variant::Marginal,
            ..DiceSettings::default()
        };
        let m = missing_cells((1, 3), &s, &[(0, 2)]).unwrap().unwrap();
        let y = Array4::from_shape_vec((1, 3, 1, 2), vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0]).unwrap();
        let p = Array4::from_shape_vec((1, 3, 1, 2), vec![0.5, 0.2, 0.25, 0.3, 0.25, 0.5]).unwrap();
        let (y2, p2) = m.transform(y.view(), p.view()).unwrap();
        assert_eq!(y2, y);
        assert_eq!(
            p2.iter().copied().collect::<Vec<_>>(),
            vec![0.75, 0.7, 0.25, 0.3, 0.0, 0.0]
        );
        let mut g =
            Array4::from_shape_vec((1, 3, 1, 2), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let mut u = Array2::from_elem((1, 3), false);
        m.map_back(&mut g, &mut u);
        assert_eq!(
            g.iter().copied().collect::<Vec<_>>(),
            vec![1.0, 2.0, 3.0, 4.0, 1.0, 2.0]
        );
        u[(0, 0)] = true;
        m.map_back(&mut g, &mut u);
        assert!(
            u[(0, 2)],
            "the background's undefinedness reaches the missing class"
        );
    }
}
