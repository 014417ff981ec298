//! Colours of the views and the gradient legend. Pure: no browser, unit-tested natively.
//!
//! The gradient map is diverging and colour-blind safe (blue–white–orange, after
//! ColorBrewer's PuOr/RdBu ends): blue where ∂L/∂ỹ < 0 (gradient descent raises the
//! prediction), orange where ∂L/∂ỹ > 0 (it lowers it), a neutral light grey at exactly
//! zero. The scale is symmetric around zero, linear or symmetric-log. The two ends differ
//! in lightness too (a dark blue, a light orange), and the views mark the sign with + / −
//! glyphs ([`sign_overlay`]), so the sign survives greyscale and a washed-out projector.

/// RGBA, 8 bits per channel.
pub type Rgba = [u8; 4];

/// Exactly zero gradient.
pub const NEUTRAL: Rgba = [245, 245, 245, 255];
/// Background (y = 0, ỹ = 0) of the label and prediction views.
pub const EMPTY: Rgba = [255, 255, 255, 255];
/// Foreground (y = 1, ỹ = 1) of the label and prediction views.
pub const FULL: Rgba = [24, 28, 64, 255];
/// Undefined gradient: hatch stripes over a light background.
pub const HATCH_LIGHT: Rgba = [236, 236, 236, 255];
pub const HATCH_DARK: Rgba = [120, 120, 120, 255];
/// A label the loss does not see (missing or empty structure): the hidden truth.
pub const HIDDEN: Rgba = [176, 170, 214, 255];
/// The dashes of a missing label's outline, and its faint inside (outlined, not filled,
/// so it does not read as a label the loss sees).
pub const HIDDEN_EDGE: Rgba = [88, 60, 170, 255];
pub const HIDDEN_INSIDE: Rgba = [238, 235, 250, 255];

/// Colours of a missing label's hidden truth, row-major: dashes (two on, two off) on its
/// boundary pixels (4-neighbourhood; the image border counts as outside), a faint inside,
/// and white elsewhere.
pub fn hidden_outline(bits: ndarray::ArrayView2<bool>) -> Vec<Rgba> {
    let (h, w) = bits.dim();
    let on = |i: usize, j: usize| bits[(i, j)];
    let mut out = Vec::with_capacity(h * w);
    for i in 0..h {
        for j in 0..w {
            out.push(if !on(i, j) {
                EMPTY
            } else {
                let edge = i == 0
                    || j == 0
                    || i + 1 == h
                    || j + 1 == w
                    || !on(i - 1, j)
                    || !on(i + 1, j)
                    || !on(i, j - 1)
                    || !on(i, j + 1);
                match (edge, ((i + j) / 2) % 2 == 0) {
                    (true, true) => HIDDEN_EDGE,
                    (true, false) => HIDDEN,
                    (false, _) => HIDDEN_INSIDE,
                }
            });
        }
    }
    out
}

/// The period of the sign glyphs on the overlay, in overlay pixels.
pub const GLYPH_PERIOD: usize = 8;

/// Whether overlay pixel (u, v) of a tile is ink for a sign: a "+" for positive, a "−" for
/// negative values (a 5-pixel bar, crossed by a 5-pixel stem for "+").
pub fn glyph_ink(sign: i8, u: usize, v: usize) -> bool {
    let (u, v) = (u % GLYPH_PERIOD, v % GLYPH_PERIOD);
    let bar = u == 3 && (1..=5).contains(&v);
    let stem = v == 3 && (1..=5).contains(&u);
    match sign {
        1 => bar || stem,
        -1 => bar,
        _ => false,
    }
}

/// The overlay of a view at resolution r×r (a whole number k of overlay pixels per data
/// pixel of the n×n view): transparent, with + / − glyphs where `sign` (per data pixel) is
/// ±1 — dark on light colours, white on dark ones (`colours`: the view's RGBA, n·n·4) — so
/// the sign reads without colour, fainter where `strength` (the position on the scale's
/// ramp, 0…1, per data pixel; empty: full) is small, so "almost no push" stays faint but
/// unlike an exact zero; and the outline of `hidden` (a missing label's hidden truth, per
/// data pixel) dashed purple on white. Empty slices draw nothing of theirs.
pub fn sign_overlay(
    buf: &mut Vec<u8>,
    n: usize,
    r: usize,
    (sign, strength): (&[i8], &[f32]),
    colours: &[u8],
    hidden: &[bool],
) {
    buf.clear();
    buf.resize(r * r * 4, 0);
    let k = (r / n.max(1)).max(1);
    let has_sign = sign.len() == n * n && colours.len() == n * n * 4;
    let has_hidden = hidden.len() == n * n;
    let inside = |i: isize, j: isize| {
        has_hidden
            && i >= 0
            && j >= 0
            && (i as usize) < n
            && (j as usize) < n
            && hidden[i as usize * n + j as usize]
    };
    for u in 0..r {
        let i = (u / k).min(n - 1);
        for v in 0..r {
            let j = (v / k).min(n - 1);
            let px = &mut buf[(u * r + v) * 4..(u * r + v) * 4 + 4];
            if has_hidden && hidden[i * n + j] {
                // Within two overlay pixels of an edge to a pixel outside the structure.
                let (du, dv) = (u % k, v % k);
                let (ii, jj) = (i as isize, j as isize);
                let near = |d: usize| d < 2.min(k);
                let edge = (near(du) && !inside(ii - 1, jj))
                    || (near(k - 1 - du) && !inside(ii + 1, jj))
                    || (near(dv) && !inside(ii, jj - 1))
                    || (near(k - 1 - dv) && !inside(ii, jj + 1));
                if edge {
                    let dash = ((u + v) / 4) % 2 == 0;
                    px.copy_from_slice(if dash {
                        &HIDDEN_EDGE
                    } else {
                        &[255, 255, 255, 255]
                    });
                    continue;
                }
            }
            if has_sign && glyph_ink(sign[i * n + j], u, v) {
                let c = &colours[(i * n + j) * 4..(i * n + j) * 4 + 3];
                let lum =
                    0.2126 * f64::from(c[0]) + 0.7152 * f64::from(c[1]) + 0.0722 * f64::from(c[2]);
                let t = strength
                    .get(i * n + j)
                    .map_or(1.0, |&t| f64::from(t).clamp(0.0, 1.0));
                let ink: Rgba = if lum > 150.0 {
                    [0, 0, 0, (60.0 + 110.0 * t) as u8]
                } else {
                    [255, 255, 255, (90.0 + 130.0 * t) as u8]
                };
                px.copy_from_slice(&ink);
            }
        }
    }
}

/// The sign of each value for the glyphs: 0 for exact zeros and values without a value.
pub fn signs(values: ndarray::ArrayView2<f64>) -> Vec<i8> {
    values
        .iter()
        .map(|&v| {
            if v.is_finite() && v > 0.0 {
                1
            } else if v.is_finite() && v < 0.0 {
                -1
            } else {
                0
            }
        })
        .collect()
}

/// How many decades below the maximum the symmetric-log scale still shows.
pub const SYMLOG_DECADES: f64 = 8.0;

/// Anchors of the diverging ramp at t = 0, 0.15, 0.5, 1 for each sign.
const BLUE: [(f64, [f64; 3]); 4] = [
    (0.0, [245.0, 245.0, 245.0]),
    (0.15, [209.0, 229.0, 240.0]),
    (0.5, [103.0, 169.0, 207.0]),
    (1.0, [28.0, 80.0, 150.0]),
];
const ORANGE: [(f64, [f64; 3]); 4] = [
    (0.0, [245.0, 245.0, 245.0]),
    (0.15, [254.0, 224.0, 182.0]),
    (0.5, [253.0, 174.0, 97.0]),
    (1.0, [225.0, 128.0, 20.0]),
];

fn ramp(anchors: &[(f64, [f64; 3]); 4], t: f64) -> Rgba {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut k = 0;
    while k + 2 < anchors.len() && t > anchors[k + 1].0 {
        k += 1;
    }
    let (t0, c0) = anchors[k];
    let (t1, c1) = anchors[k + 1];
    let f = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let mix = |i: usize| (c0[i] + (c1[i] - c0[i]) * f).round().clamp(0.0, 255.0) as u8;
    [mix(0), mix(1), mix(2), 255]
}

/// Colour of a position on the diverging scale, `t` in [−1, 1] (clamped; non-finite → 0).
pub fn diverging(t: f64) -> Rgba {
    if !t.is_finite() || t == 0.0 {
        NEUTRAL
    } else if t < 0.0 {
        ramp(&BLUE, -t)
    } else {
        ramp(&ORANGE, t)
    }
}

/// Colour of a label or probability in [0, 1]: white → dark navy.
pub fn sequential(v: f64) -> Rgba {
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mix = |i: usize| {
        (f64::from(EMPTY[i]) + (f64::from(FULL[i]) - f64::from(EMPTY[i])) * v)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    [mix(0), mix(1), mix(2), 255]
}

/// Colour of an image intensity in [0, 1]: black → white, as a scan reads.
pub fn grey(v: f64) -> Rgba {
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let g = (v * 255.0).round() as u8;
    [g, g, g, 255]
}

/// The mapping from gradient values to positions on the diverging ramp.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Scale {
    /// The magnitude drawn at full colour (> 0; 0 means "everything is zero").
    pub max: f64,
    pub symlog: bool,
}

impl Scale {
    /// A scale reaching the largest finite magnitude in `values`.
    pub fn fit(values: impl IntoIterator<Item = f64>, symlog: bool) -> Scale {
        let max = values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        Scale { max, symlog }
    }

    /// The larger of two scales (for a scale shared across cells).
    pub fn union(self, other: Scale) -> Scale {
        Scale {
            max: self.max.max(other.max),
            symlog: self.symlog,
        }
    }

    /// Whether the scale has a positive finite maximum (else everything is neutral).
    fn drawable(&self) -> bool {
        self.max.is_finite() && self.max > 0.0
    }

    /// Position of `v` in [−1, 1]; 0 for zero and non-finite values.
    pub fn position(&self, v: f64) -> f64 {
        if !v.is_finite() || v == 0.0 || !self.drawable() {
            return 0.0;
        }
        let r = (v.abs() / self.max).min(1.0);
        let t = if self.symlog {
            // Decades below the maximum fade linearly to neutral over SYMLOG_DECADES.
            ((r.log10() + SYMLOG_DECADES) / SYMLOG_DECADES).clamp(0.0, 1.0)
        } else {
            r
        };
        t.copysign(v)
    }

    #[cfg(test)]
    /// The value drawn at position `t` in [−1, 1] (inverse of [`Scale::position`] for
    /// values inside the range).
    pub fn value_at(&self, t: f64) -> f64 {
        let t = if t.is_finite() {
            t.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        if t == 0.0 || !self.drawable() {
            return 0.0;
        }
        let a = if self.symlog {
            self.max * 10f64.powf((t.abs() - 1.0) * SYMLOG_DECADES)
        } else {
            self.max * t.abs()
        };
        a.copysign(t)
    }

    pub fn colour(&self, v: f64) -> Rgba {
        diverging(self.position(v))
    }

    /// Legend ticks: (position in [−1, 1], label). Linear: ±max, ±max/2, 0. Symmetric-log:
    /// ±max and powers of ten below it, every other decade, down to the faded end.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        if !self.drawable() {
            return vec![(0.0, "0".to_string())];
        }
        let mut pos: Vec<(f64, String)> = Vec::new();
        if self.symlog {
            let top = self.max.log10().floor();
            // Powers of ten inside the shown span, at most five, including the maximum.
            let mut k = top;
            let lowest = self.max.log10() - SYMLOG_DECADES;
            let mut powers = Vec::new();
            while k > lowest && powers.len() < 8 {
                powers.push(k);
                k -= 2.0;
            }
            let top_t = self.position(self.max);
            pos.push((top_t, crate::present::format::tick(self.max)));
            for p in powers {
                let v = 10f64.powf(p);
                let t = self.position(v);
                // Skip powers too close to the maximum's own tick.
                if (top_t - t).abs() < 0.16 || t < 0.18 {
                    continue;
                }
                pos.push((t, crate::present::format::power_of_ten(p as i32)));
            }
        } else {
            pos.push((1.0, crate::present::format::tick(self.max)));
            pos.push((0.5, crate::present::format::tick(self.max / 2.0)));
        }
        pos.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, String)> = pos
            .iter()
            .rev()
            .map(|(t, s)| (-t, format!("−{s}")))
            .collect();
        out.push((0.0, "0".to_string()));
        out.extend(pos);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_truth_is_a_dashed_outline() {
        let mut y = ndarray::Array2::<f64>::zeros((8, 8));
        y.slice_mut(ndarray::s![2..7, 1..6]).fill(1.0);
        let px = hidden_outline(y.mapv(|v| v == 1.0).view());
        let at = |i: usize, j: usize| px[i * 8 + j];
        assert_eq!(at(0, 0), EMPTY);
        assert_eq!(at(4, 3), HIDDEN_INSIDE, "inside is not filled");
        let edge: Vec<Rgba> = (1..6).map(|j| at(2, j)).collect();
        assert!(
            edge.contains(&HIDDEN_EDGE) && edge.contains(&HIDDEN),
            "dashed: {edge:?}"
        );
        assert!(edge.iter().all(|c| *c != HIDDEN_INSIDE));
        // A structure touching the border is outlined there too.
        let full = ndarray::Array2::<f64>::ones((4, 4));
        let px = hidden_outline(full.mapv(|v| v == 1.0).view());
        assert_eq!(px[5], HIDDEN_INSIDE);
        assert!([0, 1, 4, 15].iter().all(|&k| px[k] != HIDDEN_INSIDE));
    }

    fn lum(c: Rgba) -> f64 {
        0.2126 * f64::from(c[0]) + 0.7152 * f64::from(c[1]) + 0.0722 * f64::from(c[2])
    }

    #[test]
    fn zero_is_neutral_and_signs_are_blue_and_orange() {
        let s = Scale {
            max: 1.0,
            symlog: false,
        };
        assert_eq!(s.colour(0.0), NEUTRAL);
        let neg = s.colour(-1.0);
        let pos = s.colour(1.0);
        assert!(neg[2] > neg[0], "negative is blue: {neg:?}");
        assert!(pos[0] > pos[2], "positive is orange: {pos:?}");
        // Non-finite input never produces garbage.
        assert_eq!(s.colour(f64::NAN), NEUTRAL);
        assert_eq!(s.colour(f64::INFINITY), NEUTRAL);
    }

    #[test]
    fn the_two_ends_differ_in_lightness() {
        let s = Scale {
            max: 1.0,
            symlog: false,
        };
        let (neg, pos) = (lum(s.colour(-1.0)), lum(s.colour(1.0)));
        assert!(pos > 1.7 * neg, "greyscale: −max {neg} vs +max {pos}");
    }

    #[test]
    fn scale_is_symmetric_and_monotone() {
        for symlog in [false, true] {
            let s = Scale { max: 0.02, symlog };
            let mut last = 0.0;
            for k in 1..=100 {
                let v = 0.02 * f64::from(k) / 100.0;
                let t = s.position(v);
                assert_eq!(s.position(-v), -t);
                assert!(t >= last, "monotone");
                last = t;
            }
            assert_eq!(s.position(0.02), 1.0);
            assert_eq!(s.position(5.0), 1.0, "clamped");
            // Colour darkens with magnitude on both sides.
            assert!(lum(s.colour(0.02)) < lum(s.colour(0.002)));
            assert!(lum(s.colour(-0.02)) < lum(s.colour(-0.002)));
        }
    }

    #[test]
    fn symlog_separates_tiny_from_large() {
        let s = Scale {
            max: 1e-2,
            symlog: true,
        };
        let tiny = s.colour(1e-9);
        let big = s.colour(1e-2);
        assert_ne!(tiny, NEUTRAL, "1e-9 is still visible");
        let d: i32 = (0..3)
            .map(|i| (i32::from(tiny[i]) - i32::from(big[i])).abs())
            .sum();
        assert!(
            d > 150,
            "1e-9 and 1e-2 look clearly different: {tiny:?} {big:?}"
        );
        // Below the shown span it fades to neutral.
        assert_eq!(s.colour(1e-12), NEUTRAL);
        // Inverse.
        for t in [-1.0, -0.3, 0.25, 0.9] {
            assert!((s.position(s.value_at(t)) - t).abs() < 1e-12);
        }
        // Linear: 1e-9 is invisible next to 1e-2.
        let lin = Scale {
            max: 1e-2,
            symlog: false,
        };
        assert_eq!(lin.colour(1e-9), NEUTRAL);
    }

    #[test]
    fn fit_ignores_non_finite_and_handles_all_zero() {
        let s = Scale::fit([0.0, -3.0, f64::NAN, f64::INFINITY, 2.0], false);
        assert_eq!(s.max, 3.0);
        let z = Scale::fit([0.0, 0.0], true);
        assert_eq!(z.max, 0.0);
        assert_eq!(z.colour(0.0), NEUTRAL);
        assert_eq!(z.position(1.0), 0.0);
        assert_eq!(z.ticks(), vec![(0.0, "0".to_string())]);
        assert_eq!(s.union(Scale::fit([7.0], false)).max, 7.0);
    }

    #[test]
    fn ticks_are_ordered_symmetric_and_readable() {
        for symlog in [false, true] {
            let s = Scale {
                max: 3.2e-3,
                symlog,
            };
            let t = s.ticks();
            assert!(t.len() >= 5);
            for w in t.windows(2) {
                assert!(w[0].0 < w[1].0, "{t:?}");
            }
            let n = t.len();
            for k in 0..n {
                assert_eq!(t[k].0, -t[n - 1 - k].0);
            }
            assert!(t
                .iter()
                .all(|(_, l)| !l.contains("NaN") && !l.contains("inf")));
        }
        let s = Scale {
            max: 3.2e-3,
            symlog: true,
        };
        let labels: Vec<String> = s.ticks().into_iter().map(|(_, l)| l).collect();
        assert!(labels.contains(&"10⁻⁵".to_string()), "{labels:?}");
        assert!(labels.contains(&"−10⁻⁵".to_string()), "{labels:?}");
    }

    #[test]
    fn the_sign_is_drawn_as_plus_and_minus_without_colour() {
        // "+" has a stem, "−" only the bar: told apart in greyscale.
        let plus = (0..GLYPH_PERIOD * GLYPH_PERIOD)
            .filter(|k| glyph_ink(1, k / GLYPH_PERIOD, k % GLYPH_PERIOD))
            .count();
        let minus = (0..GLYPH_PERIOD * GLYPH_PERIOD)
            .filter(|k| glyph_ink(-1, k / GLYPH_PERIOD, k % GLYPH_PERIOD))
            .count();
        assert_eq!((plus, minus), (9, 5));
        assert!(
            (0..64).all(|k| !glyph_ink(0, k / 8, k % 8)),
            "no glyph at zero"
        );
        let n = 2;
        let r = 16;
        let light = [245u8, 245, 245, 255];
        let dark = [33u8, 102, 172, 255];
        let colours: Vec<u8> = [light, dark, light, light].concat();
        let mut buf = Vec::new();
        sign_overlay(&mut buf, n, r, (&[1, -1, 0, 0], &[]), &colours, &[]);
        assert_eq!(buf.len(), r * r * 4);
        let at = |u: usize, v: usize| &buf[(u * r + v) * 4..(u * r + v) * 4 + 4];
        assert_eq!(at(3, 3), &[0, 0, 0, 170], "dark ink on a light pixel");
        assert_eq!(
            at(3, 8 + 3),
            &[255, 255, 255, 220],
            "white ink on a dark one"
        );
        assert_eq!(at(1, 8 + 3), &[0, 0, 0, 0], "a minus has no stem");
        assert_eq!(
            at(8 + 3, 3),
            &[0, 0, 0, 0],
            "nothing where the gradient is 0"
        );
        // A faint push has faint glyphs.
        let strength = [0.0f32, 1.0, 0.0, 0.0];
        sign_overlay(&mut buf, n, r, (&[1, -1, 0, 0], &strength), &colours, &[]);
        assert_eq!(buf[(3 * r + 3) * 4 + 3], 60);
        // The hidden outline: dashed on the structure's edge, nothing inside it.
        sign_overlay(
            &mut buf,
            4,
            32,
            (&[], &[]),
            &[],
            &[
                false, false, false, false, false, true, true, false, false, true, true, false,
                false, false, false, false,
            ],
        );
        let at = |u: usize, v: usize| buf[(u * 32 + v) * 4 + 3];
        assert_eq!(at(8, 12), 255, "edge");
        assert_eq!(at(15, 15), 0, "inside");
        assert_eq!(at(2, 2), 0, "outside");
        assert_eq!(
            signs(ndarray::arr2(&[[0.5, -1e-300], [0.0, f64::NAN]]).view()),
            vec![1, -1, 0, 0]
        );
    }

    #[test]
    fn sequential_runs_white_to_dark() {
        assert_eq!(sequential(0.0), EMPTY);
        assert_eq!(sequential(1.0), FULL);
        assert!(lum(sequential(0.3)) > lum(sequential(0.7)));
        assert_eq!(sequential(f64::NAN), EMPTY);
    }
}
