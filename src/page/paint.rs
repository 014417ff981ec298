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

use ndarray::{Array2, Array4, ArrayView2};

use crate::engine::activation::Activation;
use crate::page::state::{
    apportion, check_dims, normalise_levels, quantize, AppState, LabelStatus, StateError, LEVELS,
    PRED_LEVELS,
};

/// The (b, c) cells an operation changed, sorted, without repeats.
pub type Cells = Vec<(usize, usize)>;

/// Finite coordinates beyond this are clamped to it (a pointer is never that far away).
const COORD_LIMIT: f64 = 1e9;

/// Which tensor a tool edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Layer {
    #[default]
    Label,
    Pred,
}

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

/// Makes a prediction from the (painted) label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Helper {
    /// Prediction = label.
    Copy,
    /// The label moved by whole pixels (dx columns right, dy rows down), zero fill.
    Shift { dx: i32, dy: i32 },
    /// Binary dilation by a disk of this radius (pixels; offsets with di² + dj² ≤ r²).
    Dilate(f64),
    /// Binary erosion by a disk of this radius; outside the image does not erode.
    Erode(f64),
    /// Gaussian blur (separable, normalised, edge-clamped) with this σ in pixels.
    Blur(f64),
    /// Label + uniform noise in [−amount, amount], clamped to [0, 1]; deterministic per
    /// (seed, b, c).
    Noise { amount: f64, seed: u64 },
}

/// Which cells a helper acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// One (b, c) cell.
    Cell(usize, usize),
    /// Every cell.
    All,
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

/// A probability as an integer level in 0..=LEVELS.
fn level(p: f64) -> i64 {
    (quantize(p) * PRED_LEVELS).round() as i64
}

fn from_level(k: i64) -> f64 {
    k.clamp(0, LEVELS) as f64 / PRED_LEVELS
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

/// Sets class `c` of a level column to `k` and rescales the others proportionally to sum
/// to LEVELS − k (all-zero others: everything to class 0, or evenly if c = 0).
fn set_class_level(col: &mut [i64], c: usize, k: i64) {
    let k = k.clamp(0, LEVELS);
    let others: Vec<usize> = (0..col.len()).filter(|&j| j != c).collect();
    let weights: Vec<i64> = others.iter().map(|&j| col[j].clamp(0, LEVELS)).collect();
    let shares = if weights.iter().any(|&w| w > 0) {
        apportion(&weights, LEVELS - k)
    } else if c != 0 {
        // others[0] is class 0.
        let mut s = vec![0; others.len()];
        if let Some(first) = s.first_mut() {
            *first = LEVELS - k;
        }
        s
    } else {
        apportion(&vec![1; others.len()], LEVELS - k)
    };
    col[c] = k;
    for (&j, s) in others.iter().zip(shares) {
        col[j] = s;
    }
}

/// Makes class 0 the complement of the foreground classes. If the foreground exceeds 1,
/// the background gets 0 and the foreground classes other than `keep` are scaled down so
/// the column sums to 1 (all foreground classes if `keep` is None).
fn complement_background(col: &mut [i64], keep: Option<usize>) {
    for v in col.iter_mut() {
        *v = (*v).clamp(0, LEVELS);
    }
    let fg: i64 = col[1..].iter().sum();
    if fg <= LEVELS {
        col[0] = LEVELS - fg;
        return;
    }
    col[0] = 0;
    let fixed = keep.map_or(0, |k| col[k]);
    let idx: Vec<usize> = (1..col.len()).filter(|&j| Some(j) != keep).collect();
    let weights: Vec<i64> = idx.iter().map(|&j| col[j]).collect();
    for (&j, s) in idx.iter().zip(apportion(&weights, LEVELS - fixed)) {
        col[j] = s;
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
    set_class_level(&mut col, c, level(v));
    for (k, &l) in col.iter().enumerate() {
        put(&mut state.pred, [b, k, i, j], from_level(l), tr);
    }
}

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
        || (layer == Layer::Pred && !brush.value.is_finite())
    {
        return Vec::new();
    }
    let r = brush.radius.clamp(0.5, 2.0 * d.h.max(d.w) as f64);
    let soft = layer == Layer::Pred && brush.soft;
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
            }
        }
    }
    tr.cells()
}

/// Sets the whole (b, c) image: on the label layer paints (value ≥ 0.5) or erases, with
/// the exclusive semantics of the brush; on the prediction layer sets `value` (clamped to
/// [0, 1]), rescaling the other classes in exclusive mode.
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
                Layer::Label => label_pixel(state, &mut tr, excl, b, c, i, j, value >= 0.5),
                Layer::Pred => pred_pixel(state, &mut tr, excl, b, c, i, j, value.clamp(0.0, 1.0)),
            }
        }
    }
    tr.cells()
}

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
                    .find(|&k| state.labels[[b, k, i, j]] >= 0.5)
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
                normalise_levels(&mut col);
                for (k, &l) in col.iter().enumerate() {
                    put(&mut state.pred, [b, k, i, j], from_level(l), &mut tr);
                }
            }
        }
    }
    tr.cells()
}

// ---------------------------------------------------------------------------------------
// Helpers

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in [0, 1).
fn unit(state: &mut u64) -> f64 {
    (splitmix64(state) >> 11) as f64 / (1u64 << 53) as f64
}

fn shift_plane(plane: ArrayView2<f64>, dx: i32, dy: i32) -> Array2<f64> {
    let (h, w) = plane.dim();
    let (dx, dy) = (i64::from(dx), i64::from(dy));
    Array2::from_shape_fn((h, w), |(i, j)| {
        let (si, sj) = (i as i64 - dy, j as i64 - dx);
        if si >= 0 && sj >= 0 && (si as usize) < h && (sj as usize) < w {
            plane[[si as usize, sj as usize]]
        } else {
            0.0
        }
    })
}

/// Binary dilation (or erosion) by the disk {(di, dj): di² + dj² ≤ r²}; for erosion,
/// pixels outside the image do not count. Row-wise prefix sums: O(H·W·r).
fn morph(mask: &Array2<bool>, r: f64, dilate: bool) -> Array2<bool> {
    let (h, w) = mask.dim();
    let r = if r.is_nan() {
        0.0
    } else {
        r.clamp(0.0, h.max(w) as f64)
    };
    let rr = r.floor() as usize;
    let mut pre = Array2::<usize>::zeros((h, w + 1));
    for i in 0..h {
        for j in 0..w {
            pre[[i, j + 1]] = pre[[i, j]] + usize::from(mask[[i, j]]);
        }
    }
    let half: Vec<usize> = (0..=rr)
        .map(|di| {
            let d2 = (di * di) as f64;
            ((r * r - d2).max(0.0).sqrt() + 1e-9).floor() as usize
        })
        .collect();
    Array2::from_shape_fn((h, w), |(i, j)| {
        let lo_i = i.saturating_sub(rr);
        let hi_i = (i + rr + 1).min(h);
        for ii in lo_i..hi_i {
            let hw = half[ii.abs_diff(i)];
            let lo = j.saturating_sub(hw);
            let hi = (j + hw + 1).min(w);
            let count = pre[[ii, hi]] - pre[[ii, lo]];
            if dilate && count > 0 {
                return true;
            }
            if !dilate && count != hi - lo {
                return false;
            }
        }
        !dilate
    })
}

/// Separable normalised Gaussian blur with edge clamping.
fn blur_plane(plane: ArrayView2<f64>, sigma: f64) -> Array2<f64> {
    let (h, w) = plane.dim();
    if sigma.is_nan() || sigma < 1e-3 {
        return plane.to_owned();
    }
    let sigma = sigma.min(h.max(w) as f64);
    // Beyond ±size every tap reads the edge pixel anyway.
    let k = ((3.0 * sigma).ceil() as usize).min(h.max(w));
    let mut kernel: Vec<f64> = (0..=2 * k)
        .map(|t| {
            let x = t as f64 - k as f64;
            (-x * x / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let total: f64 = kernel.iter().sum();
    for v in &mut kernel {
        *v /= total;
    }
    let clampi = |v: i64, n: usize| v.clamp(0, n as i64 - 1) as usize;
    let tmp = Array2::from_shape_fn((h, w), |(i, j)| {
        kernel
            .iter()
            .enumerate()
            .map(|(t, kv)| kv * plane[[i, clampi(j as i64 + t as i64 - k as i64, w)]])
            .sum::<f64>()
    });
    Array2::from_shape_fn((h, w), |(i, j)| {
        kernel
            .iter()
            .enumerate()
            .map(|(t, kv)| kv * tmp[[clampi(i as i64 + t as i64 - k as i64, h), j]])
            .sum::<f64>()
    })
}

/// Whether a helper's parameter is usable (NaN is not; infinities are clamped).
fn helper_valid(helper: Helper) -> bool {
    match helper {
        Helper::Copy | Helper::Shift { .. } => true,
        Helper::Dilate(r) | Helper::Erode(r) => !r.is_nan(),
        Helper::Blur(s) => !s.is_nan(),
        Helper::Noise { amount, .. } => !amount.is_nan(),
    }
}

/// The helper's prediction for cell (b, c), as levels.
fn helper_plane(state: &AppState, helper: Helper, b: usize, c: usize) -> Array2<i64> {
    let label = state.labels.slice(ndarray::s![b, c, .., ..]);
    let values: Array2<f64> = match helper {
        Helper::Copy => label.to_owned(),
        Helper::Shift { dx, dy } => shift_plane(label, dx, dy),
        Helper::Dilate(r) | Helper::Erode(r) => {
            let mask = label.mapv(|v| v >= 0.5);
            morph(&mask, r, matches!(helper, Helper::Dilate(_))).mapv(|m| f64::from(u8::from(m)))
        }
        Helper::Blur(sigma) => blur_plane(label, sigma),
        Helper::Noise { amount, seed } => {
            let a = amount.abs().min(1.0);
            let mut rng = seed ^ ((b as u64) << 16 | c as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
            let mut out = label.to_owned();
            for v in out.iter_mut() {
                *v += (2.0 * unit(&mut rng) - 1.0) * a;
            }
            out
        }
    };
    values.mapv(level)
}

/// Replaces predictions with a helper's output derived from the labels (the painted ones,
/// i.e. the hidden truth of missing cells). See the module notes for exclusive mode.
pub fn apply_helper(state: &mut AppState, helper: Helper, target: Target) -> Cells {
    let Some(d) = dims(state) else {
        return Vec::new();
    };
    if !helper_valid(helper) {
        return Vec::new();
    }
    if let Target::Cell(b, c) = target {
        if b >= d.b || c >= d.c {
            return Vec::new();
        }
    }
    let mut tr = Tracker::new(d);
    if !is_exclusive(state, d) {
        let cells: Vec<(usize, usize)> = match target {
            Target::Cell(b, c) => vec![(b, c)],
            Target::All => (0..d.b)
                .flat_map(|b| (0..d.c).map(move |c| (b, c)))
                .collect(),
        };
        for (b, c) in cells {
            let plane = helper_plane(state, helper, b, c);
            for ((i, j), &l) in plane.indexed_iter() {
                put(&mut state.pred, [b, c, i, j], from_level(l), &mut tr);
            }
        }
        return tr.cells();
    }
    match target {
        Target::Cell(b, c) if c >= 1 => {
            let plane = helper_plane(state, helper, b, c);
            for ((i, j), &l) in plane.indexed_iter() {
                let mut col: Vec<i64> = (0..d.c).map(|k| level(state.pred[[b, k, i, j]])).collect();
                col[c] = l;
                complement_background(&mut col, Some(c));
                for (k, &v) in col.iter().enumerate() {
                    put(&mut state.pred, [b, k, i, j], from_level(v), &mut tr);
                }
            }
        }
        _ => {
            let images: Vec<usize> = match target {
                Target::Cell(b, _) => vec![b],
                Target::All => (0..d.b).collect(),
            };
            for b in images {
                let planes: Vec<Array2<i64>> = (1..d.c)
                    .map(|c| helper_plane(state, helper, b, c))
                    .collect();
                for i in 0..d.h {
                    for j in 0..d.w {
                        let mut col = vec![0; d.c];
                        for (k, p) in planes.iter().enumerate() {
                            col[k + 1] = p[[i, j]];
                        }
                        complement_background(&mut col, None);
                        for (k, &v) in col.iter().enumerate() {
                            put(&mut state.pred, [b, k, i, j], from_level(v), &mut tr);
                        }
                    }
                }
            }
        }
    }
    tr.cells()
}

// ---------------------------------------------------------------------------------------
// Resizing

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
        view: state.view,
    };
    if c < 2 {
        if out.settings.activation == Activation::Softmax {
            out.settings.activation = Activation::Sigmoid;
        }
        out.settings.include_background = true;
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
                normalise_levels(&mut col);
                for (k, &l) in col.iter().enumerate() {
                    out.pred[[bb, k, i, j]] = from_level(l);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Exclusive: labels one-hot or empty; everything: labels in {0,1}, pred on the grid,
    /// exclusive pred columns summing to exactly LEVELS.
    pub(crate) fn check_invariants(s: &AppState) {
        assert!(s.pred_on_grid(), "pred off the grid");
        assert!(
            s.labels.iter().all(|&v| v == 0.0 || v == 1.0),
            "labels not 0/1"
        );
        if !(s.exclusive && s.classes() >= 2) {
            return;
        }
        let (bn, cn, h, w) = s.labels.dim();
        for b in 0..bn {
            for i in 0..h {
                for j in 0..w {
                    let ls: f64 = (0..cn).map(|c| s.labels[[b, c, i, j]]).sum();
                    assert!(ls <= 1.0, "labels not one-hot at {b},{i},{j}");
                    let ps: i64 = (0..cn).map(|c| level(s.pred[[b, c, i, j]])).sum();
                    assert_eq!(ps, LEVELS, "pred column sum at {b},{i},{j}");
                }
            }
        }
    }

    /// The cells that differ between two states of the same size.
    pub(crate) fn diff_cells(a: &AppState, b: &AppState) -> Cells {
        let (bn, cn, _, _) = a.labels.dim();
        let mut out = Vec::new();
        for bb in 0..bn {
            for cc in 0..cn {
                let sl = ndarray::s![bb, cc, .., ..];
                if a.labels.slice(sl) != b.labels.slice(sl) || a.pred.slice(sl) != b.pred.slice(sl)
                {
                    out.push((bb, cc));
                }
            }
        }
        out
    }

    fn independent(b: usize, c: usize, n: usize) -> AppState {
        let mut s = AppState::blank(b, c, n).unwrap();
        set_exclusive(&mut s, false);
        s.labels.fill(0.0);
        s.pred.fill(0.0);
        s
    }

    fn hard(radius: f64) -> Brush {
        Brush {
            radius,
            ..Brush::default()
        }
    }

    /// Paints label class `c` as a disk (by pixel centres).
    fn disk_label(s: &mut AppState, b: usize, c: usize, cy: f64, cx: f64, r: f64) {
        stamp(s, Layer::Label, b, c, cx, cy, &hard(r));
    }

    #[test]
    fn disk_radius_3_sets_exactly_the_centres_within_3() {
        for (x, y) in [(16.0, 16.0), (16.5, 16.5), (10.3, 20.7)] {
            let mut s = independent(1, 1, 32);
            let cells = stamp(&mut s, Layer::Label, 0, 0, x, y, &hard(3.0));
            assert_eq!(cells, vec![(0, 0)]);
            for i in 0..32 {
                for j in 0..32 {
                    let d2 = (j as f64 + 0.5 - x).powi(2) + (i as f64 + 0.5 - y).powi(2);
                    assert_eq!(
                        s.labels[[0, 0, i, j]] == 1.0,
                        d2 <= 9.0,
                        "({i},{j}) at ({x},{y})"
                    );
                }
            }
        }
        // Radius 3 at a pixel centre: the classic 29-pixel digital disk.
        let mut s = independent(1, 1, 32);
        stamp(&mut s, Layer::Label, 0, 0, 16.5, 16.5, &hard(3.0));
        assert_eq!(s.labels.sum(), 29.0);
    }

    #[test]
    fn square_brush_and_minimum_radius() {
        let mut s = independent(1, 1, 16);
        let brush = Brush {
            radius: 1.0,
            shape: Shape::Square,
            ..Brush::default()
        };
        stamp(&mut s, Layer::Label, 0, 0, 8.5, 8.5, &brush);
        assert_eq!(s.labels.sum(), 9.0);
        assert_eq!(s.labels[[0, 0, 7, 7]], 1.0);
        assert_eq!(s.labels[[0, 0, 9, 9]], 1.0);
        // Radius 0 is clamped to 0.5; the pixel under the pointer is always painted, even
        // at a pixel corner where no centre is within 0.5.
        let mut s = independent(1, 1, 16);
        stamp(&mut s, Layer::Label, 0, 0, 4.0, 4.0, &hard(0.0));
        assert_eq!(s.labels.sum(), 1.0);
        assert_eq!(s.labels[[0, 0, 4, 4]], 1.0);
        // Erasing.
        let eraser = Brush {
            erase: true,
            ..hard(0.0)
        };
        assert_eq!(
            stamp(&mut s, Layer::Label, 0, 0, 4.2, 4.9, &eraser),
            vec![(0, 0)]
        );
        assert_eq!(s.labels.sum(), 0.0);
        assert!(stamp(&mut s, Layer::Label, 0, 0, 4.2, 4.9, &eraser).is_empty());
    }

    #[test]
    fn long_diagonal_stroke_leaves_a_connected_path() {
        for (from, to, r) in [
            ((2.3, 3.1), (60.7, 50.2), 1.0),
            ((63.9, 0.2), (0.1, 63.7), 1.0),
            ((-20.0, 5.0), (90.0, 40.0), 1.0),
            ((5.0, 5.0), (58.0, 59.0), 0.5),
        ] {
            let mut s = independent(1, 1, 64);
            stroke(&mut s, Layer::Label, 0, 0, from, to, &hard(r));
            let painted: Vec<(usize, usize)> = s
                .labels
                .slice(ndarray::s![0, 0, .., ..])
                .indexed_iter()
                .filter(|(_, &v)| v == 1.0)
                .map(|(ij, _)| ij)
                .collect();
            assert!(painted.len() > 60);
            // Flood fill (8-connectivity for the minimum radius, 4 otherwise) reaches all.
            let diag = r < 1.0;
            let mut seen = vec![painted[0]];
            let mut stack = vec![painted[0]];
            while let Some((i, j)) = stack.pop() {
                for (di, dj) in [
                    (-1, 0),
                    (1, 0),
                    (0, -1),
                    (0, 1),
                    (-1, -1),
                    (-1, 1),
                    (1, -1),
                    (1, 1),
                ] {
                    if !diag && di != 0 && dj != 0 {
                        continue;
                    }
                    let (ni, nj) = (i as i64 + di, j as i64 + dj);
                    if ni < 0 || nj < 0 || ni >= 64 || nj >= 64 {
                        continue;
                    }
                    let p = (ni as usize, nj as usize);
                    if s.labels[[0, 0, p.0, p.1]] == 1.0 && !seen.contains(&p) {
                        seen.push(p);
                        stack.push(p);
                    }
                }
            }
            assert_eq!(seen.len(), painted.len(), "gap in stroke {from:?} → {to:?}");
            // Nothing far from the segment.
            let (ax, ay, bx, by) = (from.0, from.1, to.0, to.1);
            for &(i, j) in &painted {
                let (px, py) = (j as f64 + 0.5, i as f64 + 0.5);
                let (vx, vy) = (bx - ax, by - ay);
                let t = (((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)).clamp(0.0, 1.0);
                let dist = (px - ax - t * vx).hypot(py - ay - t * vy);
                assert!(dist <= r.max(0.75), "({i},{j}) is {dist} from the stroke");
            }
        }
    }

    #[test]
    fn soft_brush_blends_toward_the_old_value_at_the_rim() {
        let mut s = independent(1, 1, 32);
        fill(&mut s, Layer::Pred, 0, 0, 0.2);
        let brush = Brush {
            radius: 6.0,
            value: 1.0,
            soft: true,
            ..Brush::default()
        };
        stamp(&mut s, Layer::Pred, 0, 0, 16.5, 16.5, &brush);
        let p = |i: usize, j: usize| s.pred[[0, 0, i, j]];
        assert_eq!(p(16, 16), 1.0);
        assert_eq!(p(16, 19), 1.0); // d = 3 = r/2
        assert_eq!(p(16, 20), quantize(0.2 + 0.8 * (2.0 / 3.0))); // d = 4
        assert_eq!(p(16, 22), 0.2); // d = 6: the rim keeps the old value
        assert_eq!(p(16, 23), 0.2);
        assert!(p(16, 21) > p(16, 22) && p(16, 20) > p(16, 21));
        assert!(s.pred_on_grid());
        // Within one stroke, overlapping stamps do not pile up: a slow stroke over a short
        // path leaves the pixel at the rim of every stamp as a single stamp would.
        let mut t = independent(1, 1, 32);
        fill(&mut t, Layer::Pred, 0, 0, 0.2);
        stroke(
            &mut t,
            Layer::Pred,
            0,
            0,
            (16.5, 16.5),
            (16.5, 16.5 + 1e-9),
            &brush,
        );
        assert_eq!(t, s);
        // A hard pred brush sets the value.
        let hardp = Brush {
            radius: 2.0,
            value: 0.37,
            ..Brush::default()
        };
        stamp(&mut s, Layer::Pred, 0, 0, 3.5, 3.5, &hardp);
        assert_eq!(p_at(&s, 3, 3), 0.37);
    }

    fn p_at(s: &AppState, i: usize, j: usize) -> f64 {
        s.pred[[0, 0, i, j]]
    }

    #[test]
    fn exclusive_label_semantics() {
        let mut s = AppState::blank(2, 3, 16).unwrap();
        assert!(s.exclusive);
        let cells = stamp(&mut s, Layer::Label, 1, 2, 5.5, 5.5, &hard(1.0));
        assert_eq!(cells, vec![(1, 0), (1, 2)]);
        assert_eq!(
            (0..3).map(|c| s.labels[[1, c, 5, 5]]).collect::<Vec<_>>(),
            [0.0, 0.0, 1.0]
        );
        // Painting class 1 over class 2 replaces it.
        let cells = stamp(&mut s, Layer::Label, 1, 1, 5.5, 5.5, &hard(0.5));
        assert_eq!(cells, vec![(1, 1), (1, 2)]);
        assert_eq!(s.labels[[1, 1, 5, 5]], 1.0);
        let eraser = Brush {
            erase: true,
            ..hard(0.5)
        };
        // Erasing class 2 where class 1 is: nothing happens.
        assert!(stamp(&mut s, Layer::Label, 1, 2, 5.5, 5.5, &eraser).is_empty());
        // Erasing class 1: the background takes over.
        assert_eq!(
            stamp(&mut s, Layer::Label, 1, 1, 5.5, 5.5, &eraser),
            vec![(1, 0), (1, 1)]
        );
        assert_eq!(s.labels[[1, 0, 5, 5]], 1.0);
        // Erasing class 0 leaves a background pixel with no label; a class-2 pixel is kept.
        assert_eq!(s.labels[[1, 2, 5, 6]], 1.0);
        let wide_eraser = Brush {
            erase: true,
            shape: Shape::Square,
            ..hard(1.0)
        };
        assert_eq!(
            stamp(&mut s, Layer::Label, 1, 0, 5.5, 5.5, &wide_eraser),
            vec![(1, 0)]
        );
        assert_eq!((0..3).map(|c| s.labels[[1, c, 5, 5]]).sum::<f64>(), 0.0);
        assert_eq!(s.labels[[1, 2, 5, 6]], 1.0);
        check_invariants(&s);
    }

    #[test]
    fn exclusive_pred_rescales_the_other_classes() {
        let mut s = AppState::blank(1, 4, 8).unwrap();
        let px = [0.1, 0.3, 0.6, 0.0];
        for (c, &v) in px.iter().enumerate() {
            s.pred[[0, c, 2, 2]] = v;
        }
        let brush = Brush {
            radius: 0.5,
            value: 0.55,
            ..Brush::default()
        };
        let cells = stamp(&mut s, Layer::Pred, 0, 1, 2.5, 2.5, &brush);
        assert_eq!(cells, vec![(0, 0), (0, 1), (0, 2)]);
        // Others (0.1, 0.6, 0) share 0.45 proportionally: 0.45/7 and 2.7/7.
        let col: Vec<f64> = (0..4).map(|c| s.pred[[0, c, 2, 2]]).collect();
        assert_eq!(col, [0.0643, 0.55, 0.3857, 0.0]);
        // All others zero: 1 − v goes to the background …
        fill(&mut s, Layer::Pred, 0, 3, 1.0);
        assert_eq!(s.pred[[0, 0, 4, 4]], 0.0);
        fill(&mut s, Layer::Pred, 0, 3, 0.25);
        assert_eq!(s.pred[[0, 0, 4, 4]], 0.75);
        // … or, for the background itself, evenly to the foreground (remainder to class 1).
        fill(&mut s, Layer::Pred, 0, 0, 1.0);
        fill(&mut s, Layer::Pred, 0, 0, 0.0);
        let col: Vec<f64> = (0..4).map(|c| s.pred[[0, c, 4, 4]]).collect();
        assert_eq!(col, [0.0, 0.3334, 0.3333, 0.3333]);
        check_invariants(&s);
        // Integer largest remainder: exact sums, proportional shares.
        let mut col = vec![1000, 2000, 3000];
        normalise_levels(&mut col);
        assert_eq!(col, [1667, 3333, 5000]);
        assert_eq!(apportion(&[1, 1, 1, 0], 10), [4, 3, 3, 0]);
        assert_eq!(apportion(&[0, 0], 10), [0, 0]);
        assert_eq!(apportion(&[-5, 3], 7), [0, 7]);
    }

    #[test]
    fn fill_and_clear() {
        let mut s = independent(2, 2, 8);
        assert_eq!(fill(&mut s, Layer::Label, 1, 1, 1.0), vec![(1, 1)]);
        assert_eq!(s.labels.sum(), 64.0);
        assert_eq!(fill(&mut s, Layer::Pred, 0, 1, 0.123_456), vec![(0, 1)]);
        assert!(s
            .pred
            .slice(ndarray::s![0, 1, .., ..])
            .iter()
            .all(|&v| v == 0.1235));
        assert_eq!(clear(&mut s, Layer::Label, 1, 1), vec![(1, 1)]);
        assert!(clear(&mut s, Layer::Label, 1, 1).is_empty());
        assert_eq!(s.labels.sum(), 0.0);
        // Exclusive: filling class 1 takes the background; clearing gives it back.
        let mut s = AppState::blank(1, 2, 8).unwrap();
        assert_eq!(fill(&mut s, Layer::Label, 0, 1, 1.0), vec![(0, 0), (0, 1)]);
        assert_eq!(s.labels.slice(ndarray::s![0, 0, .., ..]).sum(), 0.0);
        assert_eq!(fill(&mut s, Layer::Pred, 0, 1, 0.7), vec![(0, 0), (0, 1)]);
        assert!(s
            .pred
            .slice(ndarray::s![0, 0, .., ..])
            .iter()
            .all(|&v| v == 0.3));
        assert_eq!(clear(&mut s, Layer::Pred, 0, 1), vec![(0, 0), (0, 1)]);
        assert!(s
            .pred
            .slice(ndarray::s![0, 0, .., ..])
            .iter()
            .all(|&v| v == 1.0));
        clear(&mut s, Layer::Label, 0, 1);
        assert_eq!(s.labels.slice(ndarray::s![0, 0, .., ..]).sum(), 64.0);
        check_invariants(&s);
    }

    #[test]
    fn copy_and_shift_helpers() {
        let mut s = AppState::blank(2, 3, 32).unwrap();
        disk_label(&mut s, 0, 1, 10.5, 10.5, 4.0);
        disk_label(&mut s, 0, 2, 20.5, 20.5, 3.0);
        disk_label(&mut s, 1, 1, 15.5, 15.5, 5.0);
        let cells = apply_helper(&mut s, Helper::Copy, Target::All);
        assert_eq!(cells, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]);
        assert_eq!(s.pred, s.labels);
        // Shift one foreground cell by two columns: that class and the background change.
        let cells = apply_helper(&mut s, Helper::Shift { dx: 2, dy: 0 }, Target::Cell(0, 1));
        assert_eq!(cells, vec![(0, 0), (0, 1)]);
        for i in 0..32 {
            for j in 0..32 {
                let src = if j >= 2 {
                    s.labels[[0, 1, i, j - 2]]
                } else {
                    0.0
                };
                assert_eq!(s.pred[[0, 1, i, j]], src);
            }
        }
        assert_eq!(
            s.pred.slice(ndarray::s![0, 2, .., ..]),
            s.labels.slice(ndarray::s![0, 2, .., ..])
        );
        check_invariants(&s);
        // Independent mode: shift (2, 0) moves a blob 2 columns; (0, -3) moves it up.
        let mut s = independent(1, 1, 16);
        disk_label(&mut s, 0, 0, 8.5, 8.5, 2.0);
        apply_helper(&mut s, Helper::Shift { dx: 2, dy: 0 }, Target::Cell(0, 0));
        assert_eq!(s.pred.sum(), s.labels.sum());
        assert_eq!(s.pred[[0, 0, 8, 12]], 1.0);
        assert_eq!(s.pred[[0, 0, 8, 7]], 0.0);
        assert_eq!(s.pred[[0, 0, 8, 8]], 1.0);
        apply_helper(&mut s, Helper::Shift { dx: 0, dy: -3 }, Target::All);
        assert_eq!(s.pred[[0, 0, 3, 8]], 1.0);
        assert_eq!(s.pred[[0, 0, 11, 8]], 0.0);
        // Huge shifts empty the image without panicking.
        apply_helper(
            &mut s,
            Helper::Shift {
                dx: i32::MIN,
                dy: i32::MAX,
            },
            Target::All,
        );
        assert_eq!(s.pred.sum(), 0.0);
    }

    fn disk_mask(n: usize, cy: f64, cx: f64, r: f64) -> Array2<bool> {
        Array2::from_shape_fn((n, n), |(i, j)| {
            (i as f64 + 0.5 - cy).powi(2) + (j as f64 + 0.5 - cx).powi(2) <= r * r
        })
    }

    #[test]
    fn morphology() {
        // Dilating one pixel by r gives the digital disk of radius r.
        let mut dot = Array2::from_elem((21, 21), false);
        dot[[10, 10]] = true;
        for r in [0.0, 1.0, 2.0, 3.0, 4.5] {
            assert_eq!(
                morph(&dot, r, true),
                disk_mask(21, 10.5, 10.5, r),
                "r = {r}"
            );
        }
        // Dilate then erode of a disk returns the disk.
        for (r_disk, r) in [(6.0, 2.0), (8.0, 3.0), (5.0, 1.0), (7.5, 4.0)] {
            let disk = disk_mask(40, 20.5, 19.5, r_disk);
            let closed = morph(&morph(&disk, r, true), r, false);
            assert_eq!(closed, disk, "disk {r_disk}, r {r}");
            // Erosion then dilation (opening) also returns a disk.
            let opened = morph(&morph(&disk, r, false), r, true);
            assert_eq!(opened, disk, "opening disk {r_disk}, r {r}");
        }
        // Erosion ignores outside: a full image stays full; dilation by a huge radius fills.
        let full = Array2::from_elem((8, 8), true);
        assert_eq!(morph(&full, 3.0, false), full);
        assert_eq!(
            morph(&dot, f64::INFINITY, true),
            Array2::from_elem((21, 21), true)
        );
        // Through the helper, in exclusive mode.
        let mut s = AppState::blank(1, 2, 32).unwrap();
        disk_label(&mut s, 0, 1, 16.5, 16.5, 6.0);
        apply_helper(&mut s, Helper::Dilate(2.0), Target::Cell(0, 1));
        let dil = disk_mask(32, 16.5, 16.5, 6.0);
        let dil = morph(&dil, 2.0, true);
        for ((i, j), &m) in dil.indexed_iter() {
            assert_eq!(s.pred[[0, 1, i, j]], f64::from(u8::from(m)));
            assert_eq!(s.pred[[0, 0, i, j]], f64::from(u8::from(!m)));
        }
        apply_helper(&mut s, Helper::Erode(2.0), Target::Cell(0, 0));
        assert_eq!(
            s.pred.slice(ndarray::s![0, 1, .., ..]).sum(),
            morph(&disk_mask(32, 16.5, 16.5, 6.0), 2.0, false)
                .iter()
                .filter(|&&m| m)
                .count() as f64
        );
        check_invariants(&s);
    }

    #[test]
    fn blur_preserves_mass_and_stays_normalised() {
        let mut s = AppState::blank(1, 3, 48).unwrap();
        disk_label(&mut s, 0, 1, 20.5, 20.5, 6.0);
        disk_label(&mut s, 0, 2, 27.5, 27.5, 4.0);
        let mass1 = s.labels.slice(ndarray::s![0, 1, .., ..]).sum();
        let mass2 = s.labels.slice(ndarray::s![0, 2, .., ..]).sum();
        let cells = apply_helper(&mut s, Helper::Blur(1.5), Target::All);
        assert_eq!(cells, vec![(0, 0), (0, 1), (0, 2)]);
        check_invariants(&s);
        let tol = 48.0 * 48.0 * 0.5e-4 * 2.0;
        assert!((s.pred.slice(ndarray::s![0, 1, .., ..]).sum() - mass1).abs() < tol);
        assert!((s.pred.slice(ndarray::s![0, 2, .., ..]).sum() - mass2).abs() < tol);
        // Blurred: soft values in between, and the centre still confident.
        assert!(s.pred[[0, 1, 20, 20]] > 0.99);
        assert!(s.pred.iter().any(|&v| v > 0.2 && v < 0.8));
        // Independent, mass of a blob away from the edges; edge clamping keeps a constant.
        let mut s = independent(1, 2, 32);
        disk_label(&mut s, 0, 0, 16.0, 15.0, 5.0);
        fill(&mut s, Layer::Label, 0, 1, 1.0);
        apply_helper(&mut s, Helper::Blur(2.0), Target::All);
        let m = s.labels.slice(ndarray::s![0, 0, .., ..]).sum();
        assert!((s.pred.slice(ndarray::s![0, 0, .., ..]).sum() - m).abs() < 32.0 * 32.0 * 0.5e-4);
        assert!(s
            .pred
            .slice(ndarray::s![0, 1, .., ..])
            .iter()
            .all(|&v| v == 1.0));
        // σ = 0 copies; a huge σ is clamped and does not panic.
        apply_helper(&mut s, Helper::Blur(0.0), Target::All);
        assert_eq!(s.pred, s.labels);
        apply_helper(&mut s, Helper::Blur(f64::INFINITY), Target::Cell(0, 0));
        assert!(s.pred_on_grid());
    }

    #[test]
    fn noise_is_deterministic_bounded_and_seeded() {
        let mut s = independent(2, 2, 16);
        disk_label(&mut s, 0, 0, 8.0, 8.0, 4.0);
        let mut a = s.clone();
        let mut b = s.clone();
        apply_helper(
            &mut a,
            Helper::Noise {
                amount: 0.2,
                seed: 7,
            },
            Target::All,
        );
        apply_helper(
            &mut b,
            Helper::Noise {
                amount: 0.2,
                seed: 7,
            },
            Target::Cell(0, 0),
        );
        assert_eq!(
            a.pred.slice(ndarray::s![0, 0, .., ..]),
            b.pred.slice(ndarray::s![0, 0, .., ..])
        );
        assert_ne!(
            a.pred.slice(ndarray::s![0, 0, .., ..]),
            a.pred.slice(ndarray::s![1, 0, .., ..])
        );
        let mut c = s.clone();
        apply_helper(
            &mut c,
            Helper::Noise {
                amount: 0.2,
                seed: 8,
            },
            Target::All,
        );
        assert_ne!(a.pred, c.pred);
        for (p, y) in a.pred.iter().zip(a.labels.iter()) {
            assert!((p - y).abs() <= 0.2 + 1e-12);
        }
        assert!(a.pred_on_grid());
        let noisy = a.pred.iter().filter(|&&p| p > 0.0 && p < 1.0).count();
        assert!(noisy > 400, "{noisy}");
        // Exclusive: still sums to 1.
        let mut e = AppState::default_scene();
        apply_helper(
            &mut e,
            Helper::Noise {
                amount: 0.3,
                seed: 1,
            },
            Target::All,
        );
        check_invariants(&e);
    }

    #[test]
    fn helper_on_the_background_cell_acts_on_the_image() {
        let mut s = AppState::default_scene();
        let before = s.clone();
        let cells = apply_helper(&mut s, Helper::Copy, Target::Cell(1, 0));
        assert_eq!(cells, vec![(1, 0), (1, 1)]);
        assert_eq!(
            s.pred.slice(ndarray::s![1, .., .., ..]),
            s.labels.slice(ndarray::s![1, .., .., ..])
        );
        assert_eq!(
            s.pred.slice(ndarray::s![0, .., .., ..]),
            before.pred.slice(ndarray::s![0, .., .., ..])
        );
        // Unlabelled pixels (erased background) are predicted as background.
        fill(&mut s, Layer::Label, 1, 0, 0.0);
        apply_helper(&mut s, Helper::Copy, Target::All);
        check_invariants(&s);
    }

    #[test]
    fn garbage_inputs_are_no_ops_not_panics() {
        let base = AppState::default_scene();
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let mut s = base.clone();
        let b = Brush::default();
        for (x, y) in [(nan, 1.0), (1.0, inf), (-inf, 3.0)] {
            assert!(stamp(&mut s, Layer::Label, 0, 1, x, y, &b).is_empty());
            assert!(stroke(&mut s, Layer::Pred, 0, 1, (1.0, 1.0), (x, y), &b).is_empty());
        }
        for (bb, cc) in [(2, 0), (0, 2), (usize::MAX, usize::MAX)] {
            assert!(stamp(&mut s, Layer::Label, bb, cc, 5.0, 5.0, &b).is_empty());
            assert!(fill(&mut s, Layer::Pred, bb, cc, 0.5).is_empty());
            assert!(clear(&mut s, Layer::Label, bb, cc).is_empty());
            assert!(apply_helper(&mut s, Helper::Copy, Target::Cell(bb, cc)).is_empty());
        }
        let bad = [
            Brush { radius: nan, ..b },
            Brush { value: nan, ..b },
            Brush { value: inf, ..b },
        ];
        for br in &bad[..1] {
            assert!(stamp(&mut s, Layer::Label, 0, 1, 5.0, 5.0, br).is_empty());
        }
        for br in &bad {
            assert!(stamp(&mut s, Layer::Pred, 0, 1, 5.0, 5.0, br).is_empty());
        }
        assert!(fill(&mut s, Layer::Pred, 0, 1, nan).is_empty());
        assert!(fill(&mut s, Layer::Label, 0, 1, -inf).is_empty());
        for h in [
            Helper::Dilate(nan),
            Helper::Blur(nan),
            Helper::Noise {
                amount: nan,
                seed: 0,
            },
        ] {
            assert!(apply_helper(&mut s, h, Target::All).is_empty());
        }
        // Far away: nothing; an infinite radius is clamped and covers the image.
        assert!(stamp(&mut s, Layer::Label, 0, 1, 1e300, -1e300, &b).is_empty());
        assert!(stroke(
            &mut s,
            Layer::Label,
            0,
            1,
            (-1e300, -5.0),
            (1e300, -4.0),
            &b
        )
        .is_empty());
        assert_eq!(s, base);
        stroke(&mut s, Layer::Label, 0, 1, (-1e300, 5.0), (1e300, 6.0), &b);
        assert_eq!(s.labels[[0, 1, 5, 31]], 1.0);
        stamp(
            &mut s,
            Layer::Label,
            0,
            1,
            -3.0,
            -3.0,
            &Brush { radius: inf, ..b },
        );
        assert_eq!(s.labels.slice(ndarray::s![0, 1, .., ..]).sum(), 32.0 * 32.0);
        stamp(
            &mut s,
            Layer::Pred,
            1,
            0,
            500.0,
            5.0,
            &Brush {
                radius: 1e12,
                soft: true,
                ..b
            },
        );
        check_invariants(&s);
        // A malformed state (mismatched tensors) is left alone.
        let mut m = base.clone();
        m.pred = Array4::zeros((1, 1, 3, 3));
        let m0 = m.clone();
        assert!(stamp(&mut m, Layer::Label, 0, 0, 1.0, 1.0, &b).is_empty());
        assert!(apply_helper(&mut m, Helper::Blur(1.0), Target::All).is_empty());
        assert!(set_exclusive(&mut m, true).is_empty());
        assert_eq!(m.labels, m0.labels);
        assert!(resize(&m, 1, 2, 16).is_ok());
    }

    /// One random user action, also used by the history tests.
    pub(crate) fn random_op(s: &mut AppState, rng: &mut u64) -> Cells {
        let (bn, cn, n, _) = s.labels.dim();
        let mut pick = |k: u64| splitmix64(rng) % k;
        let b = pick(bn as u64 + 1) as usize; // sometimes out of range
        let c = pick(cn as u64 + 1) as usize;
        let layer = if pick(2) == 0 {
            Layer::Label
        } else {
            Layer::Pred
        };
        let coord = |v: u64| match v % 13 {
            0 => f64::NAN,
            1 => -7.3,
            2 => n as f64 + 4.2,
            _ => (v % 1000) as f64 / 1000.0 * n as f64,
        };
        let brush = Brush {
            radius: [0.0, 0.5, 1.0, 2.5, 4.0, 40.0][pick(6) as usize],
            shape: if pick(2) == 0 {
                Shape::Disk
            } else {
                Shape::Square
            },
            erase: pick(3) == 0,
            value: [0.0, 0.3333, 0.5, 0.77777, 1.0, 0.01][pick(6) as usize],
            soft: pick(2) == 0,
        };
        let (r1, r2, r3, r4) = (
            pick(u64::MAX),
            pick(u64::MAX),
            pick(u64::MAX),
            pick(u64::MAX),
        );
        match pick(8) {
            0 => stamp(s, layer, b, c, coord(r1), coord(r2), &brush),
            1 | 2 => stroke(
                s,
                layer,
                b,
                c,
                (coord(r1), coord(r2)),
                (coord(r3), coord(r4)),
                &brush,
            ),
            3 => fill(s, layer, b, c, [0.0, 0.25, 0.61237, 1.0][(r1 % 4) as usize]),
            4 => clear(s, layer, b, c),
            _ => {
                let helper = match r1 % 6 {
                    0 => Helper::Copy,
                    1 => Helper::Shift {
                        dx: (r2 % 7) as i32 - 3,
                        dy: (r3 % 7) as i32 - 3,
                    },
                    2 => Helper::Dilate((r2 % 4) as f64),
                    3 => Helper::Erode((r2 % 4) as f64),
                    4 => Helper::Blur((r2 % 30) as f64 / 10.0),
                    _ => Helper::Noise {
                        amount: 0.25,
                        seed: r3,
                    },
                };
                let target = if r4 % 3 == 0 {
                    Target::All
                } else {
                    Target::Cell(b, c)
                };
                apply_helper(s, helper, target)
            }
        }
    }

    #[test]
    fn random_ops_keep_invariants_and_report_exactly_the_changed_cells() {
        let mut rng = 0x5EED_u64;
        for (b, c, n, excl) in [
            (2, 3, 12, true),
            (3, 4, 9, true),
            (2, 2, 10, false),
            (1, 3, 8, false),
        ] {
            let mut s = AppState::blank(b, c, n).unwrap();
            set_exclusive(&mut s, excl);
            let mut active = 0;
            let mut unlabelled = 0;
            for step in 0..400 {
                let before = s.clone();
                let cells = random_op(&mut s, &mut rng);
                check_invariants(&s);
                assert_eq!(cells, diff_cells(&before, &s), "step {step}");
                active += usize::from(!cells.is_empty());
                unlabelled += usize::from(excl && s.labels.sum() < (b * n * n) as f64);
            }
            assert!(active > 100, "only {active} ops changed anything");
            assert!(
                !excl || unlabelled > 0,
                "erasing the background never happened"
            );
        }
    }

    #[test]
    fn set_exclusive_repairs_the_tensors() {
        let mut s = independent(1, 3, 8);
        s.labels[[0, 1, 0, 0]] = 1.0;
        s.labels[[0, 2, 0, 0]] = 1.0;
        s.pred[[0, 1, 1, 1]] = 0.5;
        s.pred[[0, 2, 1, 1]] = 0.5;
        s.pred[[0, 0, 2, 2]] = 0.3;
        s.pred[[0, 2, 2, 2]] = 0.3;
        let cells = set_exclusive(&mut s, true);
        assert_eq!(cells, vec![(0, 0), (0, 1), (0, 2)]);
        check_invariants(&s);
        assert_eq!(s.labels[[0, 2, 0, 0]], 1.0);
        assert_eq!(s.labels[[0, 1, 0, 0]], 0.0);
        assert_eq!(s.labels[[0, 0, 3, 3]], 1.0);
        assert_eq!(s.pred[[0, 1, 1, 1]], 0.5);
        assert_eq!(s.pred[[0, 0, 2, 2]], 0.5);
        assert_eq!(s.pred[[0, 0, 3, 3]], 1.0);
        assert!(set_exclusive(&mut s, true).is_empty());
        assert!(set_exclusive(&mut s, false).is_empty());
        assert!(!s.exclusive);
        let mut one = independent(1, 1, 8);
        assert!(set_exclusive(&mut one, true).is_empty());
        assert!(!one.exclusive);
    }

    #[test]
    fn resize_resamples_keeps_and_extends() {
        let mut s = AppState::default_scene();
        s.status[(1, 1)] = LabelStatus::Missing;
        // Upsampling by 2: every new pixel copies the old pixel under its centre.
        let big = resize(&s, 3, 3, 64).unwrap();
        assert_eq!(big.labels.dim(), (3, 3, 64, 64));
        check_invariants(&big);
        for b in 0..2 {
            for c in 0..2 {
                for i in 0..64 {
                    for j in 0..64 {
                        assert_eq!(big.labels[[b, c, i, j]], s.labels[[b, c, i / 2, j / 2]]);
                        assert_eq!(big.pred[[b, c, i, j]], s.pred[[b, c, i / 2, j / 2]]);
                    }
                }
            }
        }
        assert_eq!(big.labels.slice(ndarray::s![.., 2, .., ..]).sum(), 0.0);
        assert_eq!(
            big.labels.slice(ndarray::s![2, 0, .., ..]).sum(),
            64.0 * 64.0
        );
        assert_eq!(big.status[(1, 1)], LabelStatus::Missing);
        assert_eq!(big.status[(2, 2)], LabelStatus::Annotated);
        assert_eq!(big.settings, s.settings);
        // Downsampling back gives the original.
        assert_eq!(resize(&big, 2, 2, 32).unwrap(), s);
        // Dropping a class hands its pixels and mass to the background.
        let mut t = AppState::blank(1, 3, 16).unwrap();
        disk_label(&mut t, 0, 2, 8.0, 8.0, 3.0);
        apply_helper(&mut t, Helper::Blur(1.0), Target::All);
        let small = resize(&t, 1, 2, 8).unwrap();
        check_invariants(&small);
        assert!(small
            .labels
            .slice(ndarray::s![0, 0, .., ..])
            .iter()
            .all(|&v| v == 1.0));
        assert!(small
            .pred
            .slice(ndarray::s![0, 0, .., ..])
            .iter()
            .all(|&v| v == 1.0));
        // To one class: independent, and settings made valid.
        let mut u = s.clone();
        u.settings.activation = Activation::Softmax;
        u.settings.include_background = false;
        let one = resize(&u, 1, 1, 8).unwrap();
        assert!(!one.exclusive);
        one.settings.validate(1).unwrap();
        // Odd sizes and invalid requests.
        assert!(resize(&s, 1, 2, 13).is_ok());
        check_invariants(&resize(&s, 1, 2, 13).unwrap());
        assert!(matches!(resize(&s, 0, 2, 32), Err(StateError::Dims { .. })));
        assert!(resize(&s, 1, 2, 1000).is_err());
    }
}
