//! The paper's heuristic ε, as its authors compute it: per class, the mean true volume per
//! image over all images, from the labels as the loss sees them (a missing or empty label
//! counts with volume 0 — nobody knows a label is missing). The experiment takes one ε per
//! class; the page, which has one ε, takes the mean over the classes it names. The
//! arithmetic in words is `present::verdict::heuristic_arithmetic`.

use ndarray::{s, ArrayView4};

/// The per-image volumes of class `c` of B×C×H×W labels (`None` if `c` is not a class).
pub fn class_volumes(y_loss: ArrayView4<f64>, c: usize) -> Option<Vec<f64>> {
    let (bn, cn, _, _) = y_loss.dim();
    (c < cn).then(|| {
        (0..bn)
            .map(|b| y_loss.slice(s![b, c, .., ..]).sum())
            .collect()
    })
}

/// The mean of `volumes` (0 for none).
fn mean(volumes: &[f64]) -> f64 {
    volumes.iter().sum::<f64>() / volumes.len().max(1) as f64
}

/// The heuristic ε of every class: its mean volume per image.
pub fn class_eps(y_loss: ArrayView4<f64>) -> Vec<f64> {
    (0..y_loss.dim().1)
        .map(|c| class_volumes(y_loss, c).map_or(0.0, |v| mean(&v)))
        .collect()
}

/// One class's share of the heuristic: its volumes per image and their mean.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassVolumes {
    pub class: usize,
    pub volumes: Vec<f64>,
    pub mean: f64,
}

/// A single heuristic ε over several classes: the mean of their means.
#[derive(Clone, Debug, PartialEq)]
pub struct Heuristic {
    pub classes: Vec<ClassVolumes>,
    pub eps: f64,
}

/// The heuristic ε over `classes` of `y_loss`; `None` when a class is out of range or the
/// mean is not a positive number.
pub fn heuristic(y_loss: ArrayView4<f64>, classes: &[usize]) -> Option<Heuristic> {
    let mut parts = Vec::with_capacity(classes.len());
    for &c in classes {
        let volumes = class_volumes(y_loss, c)?;
        let mean = mean(&volumes);
        parts.push(ClassVolumes {
            class: c,
            volumes,
            mean,
        });
    }
    let eps = parts.iter().map(|p| p.mean).sum::<f64>() / parts.len().max(1) as f64;
    (eps > 0.0 && eps.is_finite()).then_some(Heuristic {
        classes: parts,
        eps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    #[test]
    fn the_mean_volume_per_image_of_each_class() {
        let mut y = Array4::<f64>::zeros((2, 2, 2, 3));
        y.slice_mut(s![0, 0, .., ..]).fill(1.0);
        y.slice_mut(s![1, 1, 0, ..]).fill(1.0);
        assert_eq!(class_volumes(y.view(), 0), Some(vec![6.0, 0.0]));
        assert_eq!(class_volumes(y.view(), 2), None);
        assert_eq!(class_eps(y.view()), vec![3.0, 1.5]);
        let h = heuristic(y.view(), &[0, 1]).unwrap();
        assert_eq!(h.eps, 2.25);
        assert_eq!(h.classes[1].volumes, vec![0.0, 3.0]);
        assert_eq!(heuristic(y.view(), &[2]), None);
        assert_eq!(heuristic(Array4::zeros((1, 1, 2, 2)).view(), &[0]), None);
    }
}
