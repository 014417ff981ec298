//! The one app state: settings and painted tensors, serializable to the URL hash.
//!
//! The hash holds `base64url(deflate(json))` of [`Wire`]; tensors inside it are packed
//! (labels as bits, predictions as integers on a 1e-4 grid) so a 2×2×32×32 page fits in a
//! few hundred characters. Predictions are always kept on that grid, so a link reproduces
//! the page exactly.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ndarray::{Array2, Array4, Zip};
use serde::{Deserialize, Serialize};

use crate::engine::loss::DiceSettings;

/// Limits of the playground's grid (issue #3).
pub const MAX_BATCH: usize = 8;
pub const MAX_CLASSES: usize = 4;
pub const MIN_SIZE: usize = 8;
pub const MAX_SIZE: usize = 128;
/// Predictions live on this grid: value = k / PRED_LEVELS.
pub const PRED_LEVELS: f64 = 10000.0;

/// Snap a probability to the grid the URL can store exactly.
pub fn quantize(p: f64) -> f64 {
    if p.is_nan() {
        return 0.0;
    }
    (p.clamp(0.0, 1.0) * PRED_LEVELS).round() / PRED_LEVELS
}

/// What the annotation of one (b, c) cell means (issue #4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LabelStatus {
    /// The painted label is the ground truth the loss sees.
    #[default]
    Annotated,
    /// The structure is there (painted as a hidden truth) but the loss sees y = 0.
    Missing,
    /// The structure is truly absent: the loss sees y = 0.
    Empty,
}

impl LabelStatus {
    pub fn code(self) -> char {
        match self {
            LabelStatus::Annotated => 'a',
            LabelStatus::Missing => 'm',
            LabelStatus::Empty => 'e',
        }
    }
    pub fn from_code(c: char) -> Option<LabelStatus> {
        match c {
            'a' => Some(LabelStatus::Annotated),
            'm' => Some(LabelStatus::Missing),
            'e' => Some(LabelStatus::Empty),
            _ => None,
        }
    }
}

/// How the gradient views are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewOptions {
    /// One colour scale for all cells (so magnitudes compare) instead of one per cell.
    pub shared_scale: bool,
    /// Symmetric-log colour scale instead of linear.
    pub symlog: bool,
    /// With an activation on: show ∂DL/∂z (true) or ∂DL/∂ỹ (false).
    pub logit_grad: bool,
    /// Embedding: hide the control panels, keep the grid and readouts.
    pub embed: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            shared_scale: true,
            symlog: true,
            logit_grad: true,
            embed: false,
        }
    }
}

/// Everything a page shows, and nothing derived from it.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub settings: DiceSettings,
    /// The ε controls edit ε_nr and ε_dr separately.
    pub separate_eps: bool,
    /// One label per pixel (class 0 is the background) and predictions that sum to 1
    /// over classes; otherwise classes are independent (multi-label).
    pub exclusive: bool,
    /// Painted truth, B×C×H×W in {0, 1}. For a missing cell this is the hidden truth.
    pub labels: Array4<f64>,
    /// Predicted probabilities, B×C×H×W on the 1e-4 grid.
    pub pred: Array4<f64>,
    /// Per (b, c).
    pub status: Array2<LabelStatus>,
    pub view: ViewOptions,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    #[error("the link is not valid base64: {0}")]
    Base64(String),
    #[error("the link's data is not valid compressed data")]
    Inflate,
    #[error("the link's data is not a valid state: {0}")]
    Json(String),
    #[error("unsupported state version {0}")]
    Version(u32),
    #[error("size out of range: B = {b} (1–{MAX_BATCH}), C = {c} (1–{MAX_CLASSES}), H = W = {n} ({MIN_SIZE}–{MAX_SIZE})")]
    Dims { b: usize, c: usize, n: usize },
    #[error("the {0} data has the wrong length")]
    Length(&'static str),
    #[error("prediction level {0} is above {PRED_LEVELS}")]
    Level(u32),
    #[error("invalid label status code {0:?}")]
    Status(char),
    #[error("invalid settings: {0}")]
    Settings(String),
}

/// The serialized form.
#[derive(Serialize, Deserialize)]
struct Wire {
    v: u32,
    b: usize,
    c: usize,
    n: usize,
    s: DiceSettings,
    sep: bool,
    ex: bool,
    view: ViewOptions,
    /// One char per (b, c) cell: a, m, e.
    st: String,
    /// Labels as bits, base64url.
    y: String,
    /// Prediction levels as little-endian u16, base64url.
    p: String,
}

const WIRE_VERSION: u32 = 1;
/// Bound on the inflated size, so a hostile link cannot exhaust memory.
const MAX_INFLATED: usize = 8 * 1024 * 1024;

pub fn check_dims(b: usize, c: usize, n: usize) -> Result<(), StateError> {
    if (1..=MAX_BATCH).contains(&b)
        && (1..=MAX_CLASSES).contains(&c)
        && (MIN_SIZE..=MAX_SIZE).contains(&n)
    {
        Ok(())
    } else {
        Err(StateError::Dims { b, c, n })
    }
}

impl AppState {
    pub fn batch(&self) -> usize {
        self.labels.dim().0
    }
    pub fn classes(&self) -> usize {
        self.labels.dim().1
    }
    pub fn size(&self) -> usize {
        self.labels.dim().2
    }

    /// All-zero tensors of the given size with default settings.
    pub fn blank(b: usize, c: usize, n: usize) -> Result<AppState, StateError> {
        check_dims(b, c, n)?;
        let mut s = AppState {
            settings: DiceSettings::default(),
            separate_eps: false,
            exclusive: c > 1,
            labels: Array4::zeros((b, c, n, n)),
            pred: Array4::zeros((b, c, n, n)),
            status: Array2::from_elem((b, c), LabelStatus::Annotated),
            view: ViewOptions::default(),
        };
        if s.exclusive {
            // Exclusive classes: everything starts as background, predicted as background.
            s.labels.slice_mut(ndarray::s![.., 0, .., ..]).fill(1.0);
            s.pred.slice_mut(ndarray::s![.., 0, .., ..]).fill(1.0);
        }
        Ok(s)
    }

    /// The first page: 2 images × 2 classes (background + structure) at 32×32, a blob in
    /// each image and a prediction that is shifted, too small and not fully confident.
    pub fn default_scene() -> AppState {
        let mut s = AppState::blank(2, 2, 32).expect("default size is within limits");
        s.paint_blob(
            0,
            Some(((13.0, 14.0), 7.0)),
            Some(((15.0, 16.0), 6.0, 0.85)),
            0.03,
        );
        s.paint_blob(
            1,
            Some(((20.0, 18.0), 5.0)),
            Some(((18.5, 17.0), 5.5, 0.7)),
            0.03,
        );
        s
    }

    /// Paints image `b` of a built-in scene with exclusive classes: class 1 is a disk
    /// `label` = ((row, col), radius) and the prediction a disk ((row, col), radius,
    /// confidence) fading over two pixels at its edge, on top of `base`; class 0 is the
    /// complement of both. `None` leaves that part empty.
    pub fn paint_blob(
        &mut self,
        b: usize,
        label: Option<((f64, f64), f64)>,
        pred: Option<((f64, f64), f64, f64)>,
        base: f64,
    ) {
        let n = self.size();
        if b >= self.batch() || self.classes() < 2 {
            return;
        }
        for i in 0..n {
            for j in 0..n {
                let (y, x) = (i as f64 + 0.5, j as f64 + 0.5);
                let inside = label.is_some_and(|((cy, cx), r)| (y - cy).hypot(x - cx) <= r);
                let p = quantize(
                    base + pred.map_or(0.0, |((cy, cx), r, conf)| {
                        conf * ((r + 1.0 - (y - cy).hypot(x - cx)) / 2.0).clamp(0.0, 1.0)
                    }),
                );
                self.labels[[b, 1, i, j]] = f64::from(u8::from(inside));
                self.labels[[b, 0, i, j]] = f64::from(u8::from(!inside));
                self.pred[[b, 1, i, j]] = p;
                self.pred[[b, 0, i, j]] = quantize(1.0 - p);
            }
        }
    }

    /// The labels the loss sees: the painted ones where annotated, zero for a missing or
    /// empty cell. With exclusive classes an unannotated structure's pixels count as
    /// background, as they would in a real annotation that left the structure out.
    pub fn loss_labels(&self) -> Array4<f64> {
        let mut y = self.labels.clone();
        for ((b, c), st) in self.status.indexed_iter() {
            if *st == LabelStatus::Annotated {
                continue;
            }
            if self.exclusive && c > 0 {
                let hidden = self.labels.slice(ndarray::s![b, c, .., ..]).to_owned();
                Zip::from(y.slice_mut(ndarray::s![b, 0, .., ..]))
                    .and(&hidden)
                    .for_each(|bg, &h| *bg = bg.max(h));
            }
            y.slice_mut(ndarray::s![b, c, .., ..]).fill(0.0);
        }
        y
    }

    /// The URL hash payload (without '#').
    pub fn encode(&self) -> String {
        let (b, c, n, _) = self.labels.dim();
        let mut bits = vec![0u8; self.labels.len().div_ceil(8)];
        for (i, &v) in self.labels.iter().enumerate() {
            if v >= 0.5 {
                bits[i / 8] |= 1 << (i % 8);
            }
        }
        let levels: Vec<u8> = self
            .pred
            .iter()
            .flat_map(|&p| ((quantize(p) * PRED_LEVELS).round() as u16).to_le_bytes())
            .collect();
        let wire = Wire {
            v: WIRE_VERSION,
            b,
            c,
            n,
            s: self.settings,
            sep: self.separate_eps,
            ex: self.exclusive,
            view: self.view,
            st: self.status.iter().map(|s| s.code()).collect(),
            y: URL_SAFE_NO_PAD.encode(bits),
            p: URL_SAFE_NO_PAD.encode(levels),
        };
        let json = serde_json::to_vec(&wire).expect("state serializes");
        URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&json, 9))
    }

    /// Parses a hash payload; any input gives a state or an error, never a panic.
    pub fn decode(text: &str) -> Result<AppState, StateError> {
        let packed = URL_SAFE_NO_PAD
            .decode(text.trim().as_bytes())
            .map_err(|e| StateError::Base64(e.to_string()))?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_INFLATED)
            .map_err(|_| StateError::Inflate)?;
        let w: Wire = serde_json::from_slice(&json).map_err(|e| StateError::Json(e.to_string()))?;
        if w.v != WIRE_VERSION {
            return Err(StateError::Version(w.v));
        }
        check_dims(w.b, w.c, w.n)?;
        w.s.validate(w.c)
            .map_err(|e| StateError::Settings(e.to_string()))?;
        let len = w.b * w.c * w.n * w.n;
        let bits = URL_SAFE_NO_PAD
            .decode(w.y.as_bytes())
            .map_err(|e| StateError::Base64(e.to_string()))?;
        if bits.len() != len.div_ceil(8) {
            return Err(StateError::Length("label"));
        }
        let levels = URL_SAFE_NO_PAD
            .decode(w.p.as_bytes())
            .map_err(|e| StateError::Base64(e.to_string()))?;
        if levels.len() != 2 * len {
            return Err(StateError::Length("prediction"));
        }
        let statuses: Vec<char> = w.st.chars().collect();
        if statuses.len() != w.b * w.c {
            return Err(StateError::Length("label status"));
        }
        let status = statuses
            .iter()
            .map(|&ch| LabelStatus::from_code(ch).ok_or(StateError::Status(ch)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut pred = Vec::with_capacity(len);
        for pair in levels.chunks_exact(2) {
            let k = u16::from_le_bytes([pair[0], pair[1]]);
            if f64::from(k) > PRED_LEVELS {
                return Err(StateError::Level(u32::from(k)));
            }
            pred.push(f64::from(k) / PRED_LEVELS);
        }
        let labels: Vec<f64> = (0..len)
            .map(|i| f64::from((bits[i / 8] >> (i % 8)) & 1))
            .collect();
        let shape = (w.b, w.c, w.n, w.n);
        let mut state = AppState {
            settings: w.s,
            separate_eps: w.sep,
            exclusive: w.ex && w.c > 1,
            labels: Array4::from_shape_vec(shape, labels)
                .map_err(|_| StateError::Length("label"))?,
            pred: Array4::from_shape_vec(shape, pred)
                .map_err(|_| StateError::Length("prediction"))?,
            status: Array2::from_shape_vec((w.b, w.c), status)
                .map_err(|_| StateError::Length("label status"))?,
            view: w.view,
        };
        state.normalise_decoded();
        Ok(state)
    }

    /// Makes a decoded page one the controls could have made, since a link is outside
    /// input: softmax ties the classes of a pixel together, so it comes with exclusive
    /// classes (as switching it on in the controls does); exclusive classes have one-hot
    /// labels ([`AppState::one_hot_labels`]) and predictions that sum to 1.
    fn normalise_decoded(&mut self) {
        if self.settings.activation == crate::Activation::Softmax && self.classes() > 1 {
            self.exclusive = true;
        }
        if self.exclusive {
            self.one_hot_labels();
            self.normalise_exclusive();
        }
    }

    /// One label per pixel: the highest class painted there, else class 0 (the
    /// background). The same rule as switching to exclusive classes in the controls
    /// (`paint::set_exclusive`), so a link cannot hold labels the page cannot paint.
    pub fn one_hot_labels(&mut self) {
        let (bn, cn, h, w) = self.labels.dim();
        for b in 0..bn {
            for i in 0..h {
                for j in 0..w {
                    let keep = (0..cn)
                        .rev()
                        .find(|&k| self.labels[[b, k, i, j]] >= 0.5)
                        .unwrap_or(0);
                    for k in 0..cn {
                        self.labels[[b, k, i, j]] = f64::from(u8::from(k == keep));
                    }
                }
            }
        }
    }

    /// Makes every pixel's predictions sum to 1 over classes on the 1e-4 grid (largest
    /// remainder, so the sum is exact); a pixel with no prediction becomes background.
    pub fn normalise_exclusive(&mut self) {
        let (bn, cn, h, w) = self.pred.dim();
        for b in 0..bn {
            for i in 0..h {
                for j in 0..w {
                    let column: Vec<f64> = (0..cn).map(|c| self.pred[[b, c, i, j]]).collect();
                    for (c, v) in normalised_levels(&column).into_iter().enumerate() {
                        self.pred[[b, c, i, j]] = v;
                    }
                }
            }
        }
    }

    /// Whether every prediction is on the grid and in [0, 1] (an invariant tests check).
    pub fn pred_on_grid(&self) -> bool {
        let mut ok = true;
        Zip::from(&self.pred).for_each(|&p| ok &= quantize(p) == p);
        ok
    }
}

/// Integer prediction levels: value = level / PRED_LEVELS.
pub(crate) const LEVELS: i64 = PRED_LEVELS as i64;

/// Splits `total` levels among entries in proportion to `weights` (negative weights count
/// as 0): floors plus largest remainders, ties to the lower index. All-zero weights get 0.
pub(crate) fn apportion(weights: &[i64], total: i64) -> Vec<i64> {
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
pub(crate) fn normalise_levels(col: &mut [i64]) {
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

/// Scales `column` to sum to 1 on the 1e-4 grid; all-zero columns become (1, 0, …).
pub fn normalised_levels(column: &[f64]) -> Vec<f64> {
    let mut levels: Vec<i64> = column
        .iter()
        .map(|&v| (quantize(v) * PRED_LEVELS).round() as i64)
        .collect();
    normalise_levels(&mut levels);
    levels.into_iter().map(|k| k as f64 / PRED_LEVELS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::phi::Phi;

    #[test]
    fn hash_round_trip_is_exact() {
        let mut s = AppState::default_scene();
        s.settings.phi = Phi::BI;
        s.settings.eps_nr = 1e-7;
        s.status[(1, 1)] = LabelStatus::Missing;
        s.view.symlog = false;
        let text = s.encode();
        assert!(
            text.len() < 2000,
            "default page hash is {} chars",
            text.len()
        );
        assert_eq!(AppState::decode(&text).unwrap(), s);
    }

    #[test]
    fn default_scene_is_normalised_and_imperfect() {
        let s = AppState::default_scene();
        assert!(s.pred_on_grid());
        let mut t = s.clone();
        t.normalise_exclusive();
        assert_eq!(t, s);
        let e = crate::engine::loss::evaluate(s.loss_labels().view(), s.pred.view(), &s.settings)
            .unwrap();
        let loss = e.loss.unwrap();
        assert!(loss > 0.05 && loss < 0.5, "loss {loss}");
    }

    #[test]
    fn a_missing_structure_is_background_to_the_loss() {
        let mut s = AppState::default_scene();
        s.status[(0, 1)] = LabelStatus::Missing;
        let y = s.loss_labels();
        assert!(y.slice(ndarray::s![0, 1, .., ..]).iter().all(|&v| v == 0.0));
        assert!(y.slice(ndarray::s![0, 0, .., ..]).iter().all(|&v| v == 1.0));
        // The painted (hidden) truth itself is kept.
        assert!(s
            .labels
            .slice(ndarray::s![0, 1, .., ..])
            .iter()
            .any(|&v| v == 1.0));
        assert_eq!(
            y.slice(ndarray::s![1, .., .., ..]),
            s.labels.slice(ndarray::s![1, .., .., ..])
        );
    }

    #[test]
    fn garbage_links_are_errors_not_panics() {
        for text in ["", "!!!", "AAAA", "eJzLSM3JyQcABiwCFQ", &"A".repeat(10_000)] {
            assert!(AppState::decode(text).is_err(), "{text:?}");
        }
        // A valid payload with a wrong size is refused with a message.
        let mut s = AppState::default_scene();
        s.labels = Array4::zeros((9, 2, 32, 32));
        s.pred = Array4::zeros((9, 2, 32, 32));
        s.status = Array2::from_elem((9, 2), LabelStatus::Annotated);
        assert!(matches!(
            AppState::decode(&s.encode()),
            Err(StateError::Dims { .. })
        ));
    }

    #[test]
    fn a_link_with_softmax_and_independent_classes_opens_exclusive() {
        let mut s = AppState::default_scene();
        s.exclusive = false;
        s.settings.activation = crate::Activation::Softmax;
        // Independent classes: both structure and background painted, predictions not
        // summing to 1.
        s.labels[[0, 0, 14, 14]] = 1.0;
        s.pred[[1, 0, 3, 3]] = 0.2;
        s.pred[[1, 1, 3, 3]] = 0.2;
        let d = AppState::decode(&s.encode()).unwrap();
        assert!(d.exclusive, "softmax comes with exclusive classes");
        // What the controls would have made of it.
        let mut want = s.clone();
        crate::page::ui::set_activation(&mut want, crate::Activation::Softmax).unwrap();
        assert_eq!(d.labels, want.labels);
        for b in 0..2 {
            for i in 0..32 {
                for j in 0..32 {
                    let sum: f64 = (0..2).map(|c| d.pred[[b, c, i, j]]).sum();
                    assert!((sum - 1.0).abs() < 1e-12);
                }
            }
        }
        assert!(d.pred_on_grid());
        // The engine accepts it (it refused the link's state before).
        crate::engine::loss::evaluate_probs(d.loss_labels().view(), d.pred.clone(), &d.settings)
            .unwrap();
        // A valid page is unchanged by the normalisation.
        assert_eq!(AppState::decode(&d.encode()).unwrap(), d);
        // Sigmoid keeps independent classes as they are.
        s.settings.activation = crate::Activation::Sigmoid;
        assert_eq!(AppState::decode(&s.encode()).unwrap(), s);
    }

    #[test]
    fn exclusive_links_get_one_hot_labels() {
        let mut s = AppState::blank(1, 3, 8).unwrap();
        // Two classes painted on one pixel, none on another.
        s.labels[[0, 1, 0, 0]] = 1.0;
        s.labels[[0, 2, 0, 0]] = 1.0;
        s.labels[[0, 0, 1, 1]] = 0.0;
        let d = AppState::decode(&s.encode()).unwrap();
        let column =
            |i: usize, j: usize| -> Vec<f64> { (0..3).map(|c| d.labels[[0, c, i, j]]).collect() };
        assert_eq!(
            column(0, 0),
            vec![0.0, 0.0, 1.0],
            "the highest painted class wins"
        );
        assert_eq!(column(1, 1), vec![1.0, 0.0, 0.0], "no class: background");
        assert_eq!(column(5, 5), vec![1.0, 0.0, 0.0]);
        // The same rule as switching to exclusive classes in the controls.
        let mut want = s.clone();
        want.exclusive = false;
        crate::page::paint::set_exclusive(&mut want, true);
        assert_eq!(d.labels, want.labels);
        assert_eq!(d.pred, want.pred);
    }

    #[test]
    fn normalised_levels_sum_exactly() {
        for col in [
            vec![0.3, 0.3, 0.3],
            vec![0.0, 0.0],
            vec![1.0, 1.0, 1.0],
            vec![0.12345, 0.5, 0.9],
        ] {
            let out = normalised_levels(&col);
            let sum: i64 = out.iter().map(|v| (v * PRED_LEVELS).round() as i64).sum();
            assert_eq!(sum, 10000);
            assert!(out.iter().all(|&v| quantize(v) == v));
        }
    }
}
