//! Predictions made from the label: copy, shift, dilate, erode, blur, noise.

use ndarray::{Array2, ArrayView2};

use super::{dims, is_exclusive, put, Cells, Tracker};
use crate::page::levels::{complement_background, from_level, level};
use crate::page::state::AppState;

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
pub(super) fn morph(mask: &Array2<bool>, r: f64, dilate: bool) -> Array2<bool> {
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
            let mask = label.mapv(crate::page::levels::is_on);
            morph(&mask, r, matches!(helper, Helper::Dilate(_))).mapv(|m| f64::from(u8::from(m)))
        }
        Helper::Blur(sigma) => blur_plane(label, sigma),
        Helper::Noise { amount, seed } => {
            let a = amount.abs().min(1.0);
            // The engine's generator, one stream per cell.
            let mut rng = crate::engine::rng::Rng::new(seed, ((b as u64) << 16) | c as u64);
            let mut out = label.to_owned();
            for v in out.iter_mut() {
                *v += (2.0 * rng.uniform() - 1.0) * a;
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
