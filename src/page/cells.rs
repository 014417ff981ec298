//! What each view of a grid cell shows, as RGBA pixels (row-major, 4 bytes a pixel): the
//! label the loss sees, the shown prediction and the shown gradient. The grid puts these
//! buffers on its canvases and the exported figure draws the same ones, so a figure is
//! what the page shows without reading a canvas back.

use ndarray::{s, Array4, ArrayView2};

use crate::engine::status::LabelStatus;
use crate::page::derived::ShownGrad;
use crate::page::levels;
use crate::page::state::AppState;
use crate::present::colormap::{self, Rgba, Scale};

/// Fills an n×n buffer with `colour(i, j)`.
pub fn fill(buf: &mut Vec<u8>, n: usize, mut colour: impl FnMut(usize, usize) -> Rgba) {
    buf.resize(n * n * 4, 0);
    for i in 0..n {
        for j in 0..n {
            let k = (i * n + j) * 4;
            buf[k..k + 4].copy_from_slice(&colour(i, j));
        }
    }
}

/// Colours one cell's values (row-major) into `buf`, remembering the last value's colour:
/// the Dice gradient is flat per region, so most pixels repeat their neighbour's value.
pub fn map(buf: &mut Vec<u8>, values: ArrayView2<f64>, colour: impl Fn(f64) -> Rgba) {
    buf.resize(values.len() * 4, 0);
    let mut last: Option<(f64, Rgba)> = None;
    for (px, &v) in buf.chunks_exact_mut(4).zip(values.iter()) {
        let rgba = match last {
            Some((lv, lc)) if lv == v => lc,
            _ => {
                let c = colour(v);
                last = Some((v, c));
                c
            }
        };
        px.copy_from_slice(&rgba);
    }
}

/// Diagonal hatch of an undefined gradient.
fn hatch(i: usize, j: usize, n: usize) -> Rgba {
    let period = (n / 8).max(3);
    if (i + j).is_multiple_of(period) {
        colormap::HATCH_DARK
    } else {
        colormap::HATCH_LIGHT
    }
}

/// The label view of cell (b, c). An annotated cell shows the labels the loss sees
/// (`y_loss`, i.e. `AppState::loss_labels`): with exclusive classes that includes an
/// unannotated structure counted as background in class 0. A missing cell shows its
/// hidden truth dashed, an empty one nothing. Returns whether the loss's labels differ
/// from the painted ones (class 0 of an image with an unannotated structure).
pub fn label(
    state: &AppState,
    y_loss: Option<&Array4<f64>>,
    (b, c): (usize, usize),
    buf: &mut Vec<u8>,
) -> bool {
    let n = state.size();
    let status = state.status.get((b, c)).copied().unwrap_or_default();
    let painted = state.labels.slice(s![b, c, .., ..]);
    match status {
        LabelStatus::Annotated => {
            let seen = y_loss
                .filter(|y| y.dim() == state.labels.dim())
                .map(|y| y.slice(s![b, c, .., ..]));
            match seen {
                Some(y) => {
                    map(buf, y, colormap::sequential);
                    y != painted
                }
                None => {
                    map(buf, painted, colormap::sequential);
                    false
                }
            }
        }
        // Outlined, not filled: the structure is there, the loss does not see it.
        LabelStatus::Missing => {
            buf.clear();
            buf.extend(
                colormap::hidden_outline(levels::bits(painted).view())
                    .into_iter()
                    .flatten(),
            );
            false
        }
        // Truly absent: nothing to show, whatever was painted before.
        LabelStatus::Empty => {
            fill(buf, n, |_, _| colormap::EMPTY);
            false
        }
    }
}

/// The prediction view of a cell: `pred` is the cell's plane of the shown prediction.
pub fn prediction(pred: ArrayView2<f64>, buf: &mut Vec<u8>) {
    map(buf, pred, colormap::sequential);
}

/// What a gradient view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradLook {
    /// Nothing was evaluated (grey).
    NotComputed,
    /// The cell's gradient is undefined (hatched).
    Undefined,
    /// The values, coloured on the scale.
    Values,
}

/// The gradient view of cell (b, c) on `scale`.
pub fn gradient(
    shown: Option<&ShownGrad<'_>>,
    (b, c): (usize, usize),
    n: usize,
    scale: Scale,
    buf: &mut Vec<u8>,
) -> GradLook {
    match shown {
        None => {
            fill(buf, n, |_, _| colormap::NEUTRAL);
            GradLook::NotComputed
        }
        Some(g) if g.undefined.get((b, c)).copied().unwrap_or(false) => {
            fill(buf, n, |i, j| hatch(i, j, n));
            GradLook::Undefined
        }
        Some(g) => {
            map(buf, g.values.slice(s![b, c, .., ..]), |v| scale.colour(v));
            GradLook::Values
        }
    }
}

/// A buffer as pixels.
pub fn rgba(buf: &[u8]) -> Vec<Rgba> {
    buf.chunks_exact(4)
        .map(|p| [p[0], p[1], p[2], p[3]])
        .collect()
}
