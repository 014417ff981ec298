//! Brush stamps and strokes: which pixels a segment of the pointer's path covers, and
//! with what weight.

use ndarray::Array2;

use super::{dims, image_pixel, is_exclusive, label_pixel, pred_pixel, Cells, Layer, Tracker};
use crate::page::state::AppState;

/// Finite coordinates beyond this are clamped to it (a pointer is never that far away).
const COORD_LIMIT: f64 = 1e9;
/// Brush footprint: pixels whose centre is within `radius` in the Euclidean (disk) or
/// Chebyshev (square) distance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Shape {
    #[default]
    Disk,
    Square,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Brush {
    /// In pixels; clamped to [0.5, 2·size]. The pixel under the pointer is always painted.
    pub radius: f64,
    pub shape: Shape,
    /// Label layer: erase (true) or paint 1 (false).
    pub erase: bool,
    /// Prediction layer: the value to set, in [0, 1].
    pub value: f64,
    /// Prediction layer: full value within radius/2, then blending linearly toward the old
    /// value at the rim. Ignored on the label layer.
    pub soft: bool,
}

impl Default for Brush {
    fn default() -> Self {
        Brush {
            radius: 2.0,
            shape: Shape::Disk,
            erase: false,
            value: 1.0,
            soft: false,
        }
    }
}
#[cfg(test)]
/// One brush stamp centred at `(x, y)`: [`stroke`] from a point to itself.
pub fn stamp(
    state: &mut AppState,
    layer: Layer,
    b: usize,
    c: usize,
    x: f64,
    y: f64,
    brush: &Brush,
) -> Cells {
    stroke(state, layer, b, c, (x, y), (x, y), brush)
}

/// Liang–Barsky: the parameter range of `p0 + t·(p1 − p0)`, t ∈ [0, 1], inside the box.
fn clip(p0: (f64, f64), p1: (f64, f64), lo: (f64, f64), hi: (f64, f64)) -> Option<(f64, f64)> {
    let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, p0.0 - lo.0),
        (dx, hi.0 - p0.0),
        (-dy, p0.1 - lo.1),
        (dy, hi.1 - p0.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                if t > t1 {
                    return None;
                }
                t0 = t0.max(t);
            } else {
                if t < t0 {
                    return None;
                }
                t1 = t1.min(t);
            }
        }
    }
    Some((t0, t1))
}

/// Brush weights of a stroke: per pixel the maximum over the stamps, 0 outside.
struct Footprint {
    weights: Array2<f64>,
    rows: (usize, usize),
    cols: (usize, usize),
}

impl Footprint {
    fn new(h: usize, w: usize) -> Footprint {
        Footprint {
            weights: Array2::zeros((h, w)),
            rows: (h, 0),
            cols: (w, 0),
        }
    }

    fn touch(&mut self, i: usize, j: usize, wgt: f64) {
        let cell = &mut self.weights[[i, j]];
        if wgt > *cell {
            *cell = wgt;
            self.rows = (self.rows.0.min(i), self.rows.1.max(i + 1));
            self.cols = (self.cols.0.min(j), self.cols.1.max(j + 1));
        }
    }

    fn add_stamp(&mut self, x: f64, y: f64, r: f64, shape: Shape, soft: bool) {
        let (h, w) = self.weights.dim();
        // `as usize` saturates negative values to 0.
        let i_lo = (y - r - 1.0).floor().max(0.0) as usize;
        let i_hi = ((y + r + 1.0).ceil().max(0.0) as usize).min(h);
        let j_lo = (x - r - 1.0).floor().max(0.0) as usize;
        let j_hi = ((x + r + 1.0).ceil().max(0.0) as usize).min(w);
        for i in i_lo..i_hi {
            let dy = i as f64 + 0.5 - y;
            for j in j_lo..j_hi {
                let dx = j as f64 + 0.5 - x;
                let d = match shape {
                    Shape::Disk => dx.hypot(dy),
                    Shape::Square => dx.abs().max(dy.abs()),
                };
                if d <= r {
                    let wgt = if soft {
                        ((r - d) / (0.5 * r)).min(1.0)
                    } else {
                        1.0
                    };
                    if wgt > 0.0 {
                        self.touch(i, j, wgt);
                    }
                }
            }
        }
        if x >= 0.0 && y >= 0.0 && x < w as f64 && y < h as f64 {
            self.touch(y as usize, x as usize, 1.0);
        }
    }
}

/// Paints along the segment `from → to` with stamps at most max(0.5, radius/3) apart
/// (each pixel takes the strongest weight of any stamp, so a soft stroke does not pile up).
pub fn stroke(
    state: &mut AppState,
    layer: Layer,
    b: usize,
    c: usize,
    from: (f64, f64),
    to: (f64, f64),
    brush: &Brush,
) -> Cells {
    let Some(d) = dims(state) else {
        return Vec::new();
    };
    let finite = [from.0, from.1, to.0, to.1].iter().all(|v| v.is_finite());
    if b >= d.b
        || c >= d.c
        || !finite
        || brush.radius.is_nan()
        || (layer != Layer::Label && !brush.value.is_finite())
    {
        return Vec::new();
    }
    let r = brush.radius.clamp(0.5, 2.0 * d.h.max(d.w) as f64);
    let soft = layer != Layer::Label && brush.soft;
    let lim = |p: (f64, f64)| {
        (
            p.0.clamp(-COORD_LIMIT, COORD_LIMIT),
            p.1.clamp(-COORD_LIMIT, COORD_LIMIT),
        )
    };
    let (p0, p1) = (lim(from), lim(to));
    let margin = r + 1.0;
    let Some((t0, t1)) = clip(
        p0,
        p1,
        (-margin, -margin),
        (d.w as f64 + margin, d.h as f64 + margin),
    ) else {
        return Vec::new();
    };
    let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
    let spacing = (r / 3.0).max(0.5);
    let len = (t1 - t0) * dx.hypot(dy);
    let steps = ((len / spacing).ceil().max(0.0) as usize).min(1_000_000);
    let mut fp = Footprint::new(d.h, d.w);
    for k in 0..=steps {
        let t = if steps == 0 {
            t0
        } else {
            t0 + (t1 - t0) * (k as f64 / steps as f64)
        };
        fp.add_stamp(p0.0 + t * dx, p0.1 + t * dy, r, brush.shape, soft);
    }
    let excl = is_exclusive(state, d);
    let mut tr = Tracker::new(d);
    let target = brush.value.clamp(0.0, 1.0);
    for i in fp.rows.0..fp.rows.1 {
        for j in fp.cols.0..fp.cols.1 {
            let wgt = fp.weights[[i, j]];
            if wgt <= 0.0 {
                continue;
            }
            match layer {
                Layer::Label => label_pixel(state, &mut tr, excl, b, c, i, j, !brush.erase),
                Layer::Pred => {
                    let old = state.pred[[b, c, i, j]];
                    let old = if old.is_finite() { old } else { 0.0 };
                    let v = old + wgt * (target - old);
                    pred_pixel(state, &mut tr, excl, b, c, i, j, v);
                }
                Layer::Image => {
                    let old = state.image[[b, i, j]];
                    let old = if old.is_finite() { old } else { 0.0 };
                    image_pixel(state, &mut tr, b, i, j, old + wgt * (target - old));
                }
            }
        }
    }
    tr.cells()
}
