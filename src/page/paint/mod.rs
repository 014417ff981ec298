//! Everything a user can do to the painted tensors: brush stamps and strokes, fill and
//! clear, helpers that derive a prediction from the label, exclusivity on/off, resizing.
//!
//! Every editing operation takes `&mut AppState` and returns the (b, c) cells whose label or
//! prediction changed ([`Cells`]: sorted, no repeats, exactly the cells that differ), so the
//! renderer can redraw only those.
//!
//! **No operation panics.** An out-of-range image or class, a NaN or infinite coordinate or
//! value, or a NaN parameter makes the operation a no-op (it returns an empty list).
//! Coordinates outside the image are fine: only the part of the brush inside the image
//! paints. Radii and σ are clamped to the image (a radius to at least 0.5), noise amounts
//! to [0, 1], brush and fill values to [0, 1].
//!
//! Coordinates are continuous pixel coordinates `(x, y)` = (column, row): pixel `(i, j)`
//! (row i, column j) covers `[j, j+1) × [i, i+1)` and its centre is `(j + 0.5, i + 0.5)`.
//!
//! # Exclusive mode
//! With `state.exclusive` and C ≥ 2, class 0 is the background, labels are one-hot (or
//! empty) per pixel and predictions sum to exactly 1 over classes on the 1e-4 grid.
//! - **Label painting** class c makes the pixel one-hot at c. **Erasing** class c ≥ 1 from a
//!   pixel that carries it gives the pixel to the background (y₀ = 1). **Erasing class 0**
//!   removes the background label only: a background pixel is left with *no label at all*
//!   (all y = 0, a pixel the loss counts in no class); pixels of other classes are untouched.
//! - **Prediction painting** class c to value v rescales the other classes of the pixel
//!   proportionally so that they sum to 1 − v; if they were all 0, 1 − v goes to the
//!   background (or, when c = 0, is split evenly among the foreground classes). The result
//!   is on the grid and sums to exactly 1 (largest-remainder rounding in integer levels).
//! - **Helpers** act on the foreground classes (c ≥ 1) and the background is their
//!   complement (if the foreground exceeds 1 it is scaled down to 1 and the background is 0).
//!   A helper on a foreground cell changes that class and the background of that image
//!   (other foreground classes only where the sum would exceed 1); a helper on the
//!   background cell (b, 0) acts on the whole image b.
//!
//! In independent mode classes are separate and values are simply set (quantized).
//!
//! The jobs live in their own files: `brush` (stamps and strokes), `helpers` (predictions
//! made from the label), `resize`; this file holds what they share (writing one pixel
//! with the exclusive-class rules, tracking changed cells), fill, clear and the
//! exclusive switch. The integer level arithmetic is in [`crate::page::levels`].

use ndarray::Array4;

use crate::page::levels::{from_level, level, normalise_column, quantize, set_class};
use crate::page::state::AppState;

mod brush;
mod helpers;
mod resize;
#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
pub use brush::stamp;
pub use brush::{stroke, Brush, Shape};
pub use helpers::{apply_helper, Helper, Target};
pub use resize::resize;

/// The (b, c) cells an operation changed, sorted, without repeats.
pub type Cells = Vec<(usize, usize)>;
/// Which tensor a tool edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Layer {
    #[default]
    Label,
    Pred,
    /// The input image x of batch element b (one per image, not per class): painting it
    /// reports the cell (b, 0) as changed.
    Image,
}

/// Sets pixel (i, j) of image b's intensity (quantized), marking cell (b, 0).
fn image_pixel(state: &mut AppState, tr: &mut Tracker, b: usize, i: usize, j: usize, v: f64) {
    let old = &mut state.image[[b, i, j]];
    let v = quantize(v);
    if *old != v {
        *old = v;
        tr.flags[b * tr.classes] = true;
    }
}
#[derive(Clone, Copy, Debug)]
struct Dims {
    b: usize,
    c: usize,
    h: usize,
    w: usize,
}

fn dims(state: &AppState) -> Option<Dims> {
    let (b, c, h, w) = state.labels.dim();
    if state.pred.dim() != (b, c, h, w) || b == 0 || c == 0 || h == 0 || w == 0 {
        return None;
    }
    Some(Dims { b, c, h, w })
}

fn is_exclusive(state: &AppState, d: Dims) -> bool {
    state.exclusive && d.c >= 2
}
/// Collects the changed cells.
struct Tracker {
    classes: usize,
    flags: Vec<bool>,
}

impl Tracker {
    fn new(d: Dims) -> Tracker {
        Tracker {
            classes: d.c,
            flags: vec![false; d.b * d.c],
        }
    }
    fn cells(self) -> Cells {
        let classes = self.classes;
        self.flags
            .iter()
            .enumerate()
            .filter(|(_, &f)| f)
            .map(|(k, _)| (k / classes, k % classes))
            .collect()
    }
}

/// Writes `v` and marks the cell if the value changes.
fn put(arr: &mut Array4<f64>, idx: [usize; 4], v: f64, tr: &mut Tracker) {
    let old = &mut arr[idx];
    if *old != v {
        *old = v;
        tr.flags[idx[0] * tr.classes + idx[1]] = true;
    }
}
#[allow(clippy::too_many_arguments)]
fn label_pixel(
    state: &mut AppState,
    tr: &mut Tracker,
    excl: bool,
    b: usize,
    c: usize,
    i: usize,
    j: usize,
    paint: bool,
) {
    let classes = state.labels.dim().1;
    if !excl {
        put(
            &mut state.labels,
            [b, c, i, j],
            f64::from(u8::from(paint)),
            tr,
        );
    } else if paint {
        for k in 0..classes {
            put(
                &mut state.labels,
                [b, k, i, j],
                f64::from(u8::from(k == c)),
                tr,
            );
        }
    } else if c == 0 {
        put(&mut state.labels, [b, 0, i, j], 0.0, tr);
    } else if state.labels[[b, c, i, j]] != 0.0 {
        for k in 0..classes {
            put(
                &mut state.labels,
                [b, k, i, j],
                f64::from(u8::from(k == 0)),
                tr,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn pred_pixel(
    state: &mut AppState,
    tr: &mut Tracker,
    excl: bool,
    b: usize,
    c: usize,
    i: usize,
    j: usize,
    v: f64,
) {
    if !excl {
        put(&mut state.pred, [b, c, i, j], quantize(v), tr);
        return;
    }
    let classes = state.pred.dim().1;
    let mut col: Vec<i64> = (0..classes)
        .map(|k| level(state.pred[[b, k, i, j]]))
        .collect();
    set_class(&mut col, c, level(v));
    for (k, &l) in col.iter().enumerate() {
        put(&mut state.pred, [b, k, i, j], from_level(l), tr);
    }
}
/// Sets the whole (b, c) image: on the label layer paints (value ≥ 0.5) or erases, with
/// the exclusive semantics of the brush; on the prediction layer sets `value` (clamped to
/// [0, 1]), rescaling the other classes in exclusive mode; on the image layer sets image
/// b's intensity.
pub fn fill(state: &mut AppState, layer: Layer, b: usize, c: usize, value: f64) -> Cells {
    let Some(d) = dims(state) else {
        return Vec::new();
    };
    if b >= d.b || c >= d.c || !value.is_finite() {
        return Vec::new();
    }
    let excl = is_exclusive(state, d);
    let mut tr = Tracker::new(d);
    for i in 0..d.h {
        for j in 0..d.w {
            match layer {
                Layer::Label => label_pixel(
                    state,
                    &mut tr,
                    excl,
                    b,
                    c,
                    i,
                    j,
                    crate::page::levels::is_on(value),
                ),
                Layer::Pred => pred_pixel(state, &mut tr, excl, b, c, i, j, value.clamp(0.0, 1.0)),
                Layer::Image => image_pixel(state, &mut tr, b, i, j, value),
            }
        }
    }
    tr.cells()
}

#[cfg(test)]
/// `fill(state, layer, b, c, 0.0)`: erases the label (exclusive: class c ≥ 1 gives way to
/// the background; clearing class 0 leaves background pixels unlabelled) or sets the
/// prediction to 0 (exclusive: the other classes take over).
pub fn clear(state: &mut AppState, layer: Layer, b: usize, c: usize) -> Cells {
    fill(state, layer, b, c, 0.0)
}

/// Turns exclusive mode on or off (only possible with C ≥ 2). Turning it on makes the
/// tensors valid: a pixel with several labels keeps the highest class, a pixel with none
/// becomes background; predictions are rescaled to sum to 1 (an all-zero pixel becomes
/// background). Call `History::clear` afterwards: the history does not span modes.
pub fn set_exclusive(state: &mut AppState, on: bool) -> Cells {
    let Some(d) = dims(state) else {
        state.exclusive = false;
        return Vec::new();
    };
    state.exclusive = on && d.c >= 2;
    if !state.exclusive {
        return Vec::new();
    }
    let mut tr = Tracker::new(d);
    for b in 0..d.b {
        for i in 0..d.h {
            for j in 0..d.w {
                let keep = (0..d.c)
                    .rev()
                    .find(|&k| crate::page::levels::is_on(state.labels[[b, k, i, j]]))
                    .unwrap_or(0);
                for k in 0..d.c {
                    put(
                        &mut state.labels,
                        [b, k, i, j],
                        f64::from(u8::from(k == keep)),
                        &mut tr,
                    );
                }
                let mut col: Vec<i64> = (0..d.c).map(|k| level(state.pred[[b, k, i, j]])).collect();
                normalise_column(&mut col);
                for (k, &l) in col.iter().enumerate() {
                    put(&mut state.pred, [b, k, i, j], from_level(l), &mut tr);
                }
            }
        }
    }
    tr.cells()
}
