//! Tests of the paint operations (shared with the history tests).

use super::*;
use crate::engine::activation::Activation;
use crate::engine::rng::Rng;
use crate::engine::status::LabelStatus;
use crate::page::levels::normalise_column;
use crate::page::levels::{apportion, level, LEVELS};
use crate::page::state::AppState;
use crate::page::state::StateError;
use helpers::morph;

use ndarray::Array2;

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
            if a.labels.slice(sl) != b.labels.slice(sl) || a.pred.slice(sl) != b.pred.slice(sl) {
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
    normalise_column(&mut col);
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
    let base = AppState::two_labelled();
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
pub(crate) fn random_op(s: &mut AppState, rng: &mut Rng) -> Cells {
    let (bn, cn, n, _) = s.labels.dim();
    let mut pick = |k: u64| rng.below(k);
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
    let mut rng = Rng::new(0x5EED, 0);
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
        // 600 ops: on the 1×3×8 page only about one in four hits a cell and changes it.
        for step in 0..600 {
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
    let mut s = AppState::two_labelled();
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
