//! The one home of the page's number grids: predictions live on a grid of 1e-4 (so a link
//! and the undo history store them exactly as integers), and labels are bits.
//!
//! With exclusive classes the predictions of a pixel sum to exactly 1, which is only
//! possible on the grid with integer arithmetic: [`apportion`] splits a number of levels
//! in proportion to weights by largest remainders, and the column rules below keep a
//! pixel's classes summing to [`LEVELS`].

/// Predictions live on this grid: value = k / PRED_LEVELS.
pub const PRED_LEVELS: f64 = 10000.0;
/// [`PRED_LEVELS`] as an integer.
pub const LEVELS: i64 = PRED_LEVELS as i64;

/// Snaps a probability to the grid (clamped to [0, 1]; NaN → 0).
pub fn quantize(p: f64) -> f64 {
    if p.is_nan() {
        return 0.0;
    }
    (p.clamp(0.0, 1.0) * PRED_LEVELS).round() / PRED_LEVELS
}

/// A probability as an integer level in 0..=LEVELS.
pub fn level(p: f64) -> i64 {
    (quantize(p) * PRED_LEVELS).round() as i64
}

/// The probability of a level (clamped to 0..=LEVELS).
pub fn from_level(k: i64) -> f64 {
    k.clamp(0, LEVELS) as f64 / PRED_LEVELS
}

/// The label bit: a label value is the structure (1) from 0.5 up, else background (0).
pub fn is_on(v: f64) -> bool {
    v >= 0.5
}

/// A label plane as bits ([`is_on`]).
pub fn bits(plane: ndarray::ArrayView2<f64>) -> ndarray::Array2<bool> {
    plane.mapv(is_on)
}

/// Whether `p` is exactly on the grid.
pub fn on_grid(p: f64) -> bool {
    quantize(p) == p
}

/// Splits `total` levels among entries in proportion to `weights` (negative weights count
/// as 0): floors plus largest remainders, ties to the lower index. All-zero weights get 0.
pub fn apportion(weights: &[i64], total: i64) -> Vec<i64> {
    let total = total.max(0);
    let sum: i128 = weights.iter().map(|&w| i128::from(w.max(0))).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    for &w in weights {
        let p = i128::from(w.max(0)) * i128::from(total);
        out.push((p / sum) as i64);
        rems.push(p % sum);
    }
    let mut short = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| rems[b].cmp(&rems[a]));
    for &k in order.iter().cycle().take(2 * weights.len()) {
        if short <= 0 {
            break;
        }
        out[k] += 1;
        short -= 1;
    }
    out
}

/// Makes a level column sum to LEVELS: unchanged if it does, background if it is empty,
/// proportional otherwise.
pub fn normalise_column(col: &mut [i64]) {
    for v in col.iter_mut() {
        *v = (*v).clamp(0, LEVELS);
    }
    let sum: i64 = col.iter().sum();
    if sum == LEVELS {
        return;
    }
    if sum == 0 {
        col[0] = LEVELS;
        return;
    }
    let out = apportion(col, LEVELS);
    col.copy_from_slice(&out);
}

/// Scales `column` to sum to 1 on the grid; all-zero columns become (1, 0, …).
pub fn normalised(column: &[f64]) -> Vec<f64> {
    let mut levels: Vec<i64> = column.iter().map(|&v| level(v)).collect();
    normalise_column(&mut levels);
    levels.into_iter().map(from_level).collect()
}

/// Sets class `c` of a level column to `k` and rescales the others proportionally to sum
/// to LEVELS − k (all-zero others: everything to class 0, or evenly if c = 0).
pub fn set_class(col: &mut [i64], c: usize, k: i64) {
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
pub fn complement_background(col: &mut [i64], keep: Option<usize>) {
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

/// The one rule for class 0 under one label per pixel: the background is the rest of 1
/// after the other classes of the pixel (`col[1..]`, levels), so a pixel's classes sum to
/// exactly [`LEVELS`]. Sets `col[0]`; when the others already pass 1 it returns by how many
/// levels (and leaves `col` as it was): a link refuses that pixel, fitted data takes the
/// excess back ([`crate::page::yourdata`]).
pub fn background_takes_rest(col: &mut [i64]) -> Result<(), i64> {
    let rest: i64 = col.iter().skip(1).sum();
    if rest > LEVELS {
        return Err(rest - LEVELS);
    }
    if let Some(bg) = col.first_mut() {
        *bg = LEVELS - rest;
    }
    Ok(())
}

/// Packs flags 8 to a byte, least significant bit first.
pub fn pack_bits(flags: impl IntoIterator<Item = bool>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, on) in flags.into_iter().enumerate() {
        if k % 8 == 0 {
            out.push(0);
        }
        if on {
            if let Some(last) = out.last_mut() {
                *last |= 1 << (k % 8);
            }
        }
    }
    out
}

/// Flag `k` of [`pack_bits`]'s output (false beyond its end).
pub fn bit(bytes: &[u8], k: usize) -> bool {
    bytes.get(k / 8).is_some_and(|b| (b >> (k % 8)) & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_columns_sum_exactly() {
        for col in [
            vec![0.3, 0.3, 0.3],
            vec![0.0, 0.0],
            vec![1.0, 1.0, 1.0],
            vec![0.12345, 0.5, 0.9],
        ] {
            let out = normalised(&col);
            let sum: i64 = out.iter().map(|&v| level(v)).sum();
            assert_eq!(sum, LEVELS);
            assert!(out.iter().all(|&v| on_grid(v)));
        }
        assert_eq!(normalised(&[0.0, 0.0, 0.0]), vec![1.0, 0.0, 0.0]);
    }

    #[test]
    fn apportion_is_proportional_and_exact() {
        assert_eq!(apportion(&[1, 1, 1], 10), vec![4, 3, 3]);
        assert_eq!(apportion(&[0, 0], 7), vec![0, 0]);
        assert_eq!(apportion(&[3, -2, 1], 8), vec![6, 0, 2]);
        let mut col = vec![5000, 5000, 0];
        set_class(&mut col, 2, 2000);
        assert_eq!(col, vec![4000, 4000, 2000]);
        let mut col = vec![0, 7000, 6000];
        complement_background(&mut col, Some(1));
        assert_eq!(col, vec![0, 7000, 3000]);
    }

    #[test]
    fn class_0_takes_the_rest_of_1_or_says_the_excess() {
        let mut col = vec![0, 3333, 3333, 3333];
        assert_eq!(background_takes_rest(&mut col), Ok(()));
        assert_eq!(col, vec![1, 3333, 3333, 3333]);
        // A stale background is overwritten, not added to.
        let mut col = vec![9999, 10000];
        assert_eq!(background_takes_rest(&mut col), Ok(()));
        assert_eq!(col, vec![0, 10000]);
        let mut col = vec![7, 6000, 4003];
        assert_eq!(background_takes_rest(&mut col), Err(3));
        assert_eq!(col, vec![7, 6000, 4003], "left as it was");
        let mut one = vec![42];
        assert_eq!(background_takes_rest(&mut one), Ok(()));
        assert_eq!(one, vec![LEVELS]);
    }

    #[test]
    fn bits_round_trip() {
        let flags = [
            true, false, false, true, true, false, true, false, true, true,
        ];
        let packed = pack_bits(flags);
        assert_eq!(packed.len(), 2);
        for (k, &f) in flags.iter().enumerate() {
            assert_eq!(bit(&packed, k), f);
        }
        assert!(!bit(&packed, 100));
        assert!(pack_bits(std::iter::empty()).is_empty());
    }
}
