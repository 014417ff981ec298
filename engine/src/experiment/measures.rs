//! The outcome measures of a run, on the test split (docs/experiment.md, "Measures").
//! s is the structure class; volumes are soft, Σ ỹ_s.

use ndarray::ArrayView4;

use super::data::{Dataset, Group};

/// What a trained model does on the test images.
#[derive(Clone, Debug, PartialEq)]
pub struct Measures {
    /// Σ over group-B test images of ỹ_s inside the object (the unannotated structure, or
    /// the look-alike) ÷ Σ of the object's area: ≈ 1 keeps it, ≈ 0 erases it.
    pub b_ratio: f64,
    /// 2Σy·ỹ_s / (Σy + Σỹ_s) of class s pooled over the group-A test images.
    pub a_dice: f64,
    /// How well the predicted volume Σỹ_s tells group A from group B: the probability that
    /// a group-A test image has the larger volume (ties count ½), the Mann–Whitney AUC.
    pub auc: f64,
    /// Mean over the test images of (Σỹ_s − Σy_s) against the true labels, in pixels.
    pub volume_error: f64,
}

/// The measures of probabilities `prob` (the test images, T×C×S×S, in the dataset's
/// order) against the dataset's truth.
pub fn measure(data: &Dataset, prob: ArrayView4<f64>) -> Measures {
    let s = data.template.structure();
    let (mut b_in, mut b_area) = (0.0, 0.0);
    let (mut x, mut v, mut vp) = (0.0, 0.0, 0.0);
    let mut volumes: Vec<(Group, f64)> = Vec::with_capacity(data.test);
    let mut error = 0.0;
    for t in 0..data.test {
        let i = data.train + t;
        let group = data.group[i];
        let p = prob.slice(ndarray::s![t, s, .., ..]);
        let y = data.y_true.slice(ndarray::s![i, s, .., ..]);
        let obj = data.object.slice(ndarray::s![i, .., ..]);
        let volume: f64 = p.sum();
        let truth: f64 = y.sum();
        if group == Group::B {
            b_in += (&p * &obj).sum();
            b_area += obj.sum();
        } else {
            x += (&p * &y).sum();
            v += truth;
            vp += volume;
        }
        error += volume - truth;
        volumes.push((group, volume));
    }
    Measures {
        b_ratio: if b_area > 0.0 { b_in / b_area } else { 0.0 },
        a_dice: if v + vp > 0.0 {
            2.0 * x / (v + vp)
        } else {
            0.0
        },
        auc: auc(&volumes),
        volume_error: error / data.test.max(1) as f64,
    }
}

/// P(volume of an A image > volume of a B image) + ½·P(equal), over all pairs.
fn auc(volumes: &[(Group, f64)]) -> f64 {
    let a: Vec<f64> = volumes
        .iter()
        .filter(|(g, _)| *g == Group::A)
        .map(|&(_, v)| v)
        .collect();
    let b: Vec<f64> = volumes
        .iter()
        .filter(|(g, _)| *g == Group::B)
        .map(|&(_, v)| v)
        .collect();
    if a.is_empty() || b.is_empty() {
        return 0.5;
    }
    let mut wins = 0.0;
    for &va in &a {
        for &vb in &b {
            wins += if va > vb {
                1.0
            } else if va == vb {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (a.len() * b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_ties() {
        let v = [
            (Group::A, 3.0),
            (Group::A, 1.0),
            (Group::B, 2.0),
            (Group::B, 1.0),
        ];
        // Pairs: (3,2) win, (3,1) win, (1,2) loss, (1,1) tie: 2.5 / 4.
        assert_eq!(auc(&v), 0.625);
        assert_eq!(auc(&v[..2]), 0.5);
    }
}
