//! Resizing the batch, the classes and the images.

use ndarray::{Array2, Array3, Array4};

use super::dims;
use crate::engine::activation::Activation;
use crate::engine::status::LabelStatus;
use crate::page::levels::{from_level, level, normalise_column, quantize};
use crate::page::state::{check_dims, AppState, StateError};

/// A new state with B = `b`, C = `c`, H = W = `n` (checked by `state::check_dims`).
/// Existing images and classes are kept, resampled nearest-neighbour (pixel centres) to
/// the new size; new images and classes start blank (exclusive: background label and
/// prediction 1); statuses are kept, new ones Annotated. Exclusive mode stays on if C ≥ 2
/// (dropped classes hand their pixels and prediction mass to the background). Settings,
/// view and ε mode are kept, except that with C = 1 softmax becomes sigmoid and the
/// background is included (the only valid choices). Call `History::clear` afterwards.
pub fn resize(state: &AppState, b: usize, c: usize, n: usize) -> Result<AppState, StateError> {
    check_dims(b, c, n)?;
    let shape = (b, c, n, n);
    let mut out = AppState {
        settings: state.settings,
        separate_eps: state.separate_eps,
        exclusive: state.exclusive && c >= 2,
        labels: Array4::zeros(shape),
        pred: Array4::zeros(shape),
        status: Array2::from_elem((b, c), LabelStatus::Annotated),
        image: Array3::zeros((b, n, n)),
        train: state.train,
        compare: state.compare,
        display: state.display,
        mode: state.mode,
    };
    if c < 2 {
        // With one class: no softmax over classes and no background to leave out.
        for s in std::iter::once(&mut out.settings).chain(out.compare.as_mut()) {
            if s.activation == Activation::Softmax {
                s.activation = Activation::Sigmoid;
            }
            s.include_background = true;
        }
    }
    if out.exclusive {
        out.labels.slice_mut(ndarray::s![.., 0, .., ..]).fill(1.0);
        out.pred.slice_mut(ndarray::s![.., 0, .., ..]).fill(1.0);
    }
    let Some(d) = dims(state) else {
        return Ok(out);
    };
    let (kb, kc) = (d.b.min(b), d.c.min(c));
    for bb in 0..kb {
        for cc in 0..kc {
            if let Some(st) = state.status.get((bb, cc)) {
                out.status[(bb, cc)] = *st;
            }
        }
        for i in 0..n {
            let si = ((2 * i + 1) * d.h / (2 * n)).min(d.h - 1);
            for j in 0..n {
                let sj = ((2 * j + 1) * d.w / (2 * n)).min(d.w - 1);
                if let Some(&v) = state.image.get((bb, si, sj)) {
                    out.image[[bb, i, j]] = quantize(v);
                }
                for cc in 0..kc {
                    out.labels[[bb, cc, i, j]] = state.labels[[bb, cc, si, sj]];
                    out.pred[[bb, cc, i, j]] = quantize(state.pred[[bb, cc, si, sj]]);
                }
                if !out.exclusive {
                    continue;
                }
                // Classes kc..c (new) are 0; dropped classes c..d.c go to the background.
                let kept_label = (0..kc).any(|k| out.labels[[bb, k, i, j]] >= 0.5);
                let dropped_label = (kc..d.c).any(|k| state.labels[[bb, k, si, sj]] >= 0.5);
                if !kept_label && dropped_label {
                    out.labels[[bb, 0, i, j]] = 1.0;
                }
                let mut col: Vec<i64> = (0..c).map(|k| level(out.pred[[bb, k, i, j]])).collect();
                col[0] += (kc..d.c)
                    .map(|k| level(state.pred[[bb, k, si, sj]]))
                    .sum::<i64>();
                normalise_column(&mut col);
                for (k, &l) in col.iter().enumerate() {
                    out.pred[[bb, k, i, j]] = from_level(l);
                }
            }
        }
    }
    Ok(out)
}
