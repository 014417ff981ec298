//! Format 1: `base64url(deflate(json))`, written until format 2. Read only (and written
//! by the tests of old links and by `diceDebug.hash()`, which a script can read and edit).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ndarray::{Array2, Array4};
use serde::{Deserialize, Serialize};

use super::envelope::MAX_INFLATED;
use super::CodecError;
use crate::engine::loss::DiceSettings;
use crate::engine::status::LabelStatus;
use crate::page::levels::{bit, pack_bits, LEVELS, PRED_LEVELS};
use crate::page::state::{check_dims, AppState, DisplayOptions, PageMode};

#[derive(Serialize, Deserialize)]
struct Wire {
    v: u32,
    b: usize,
    c: usize,
    n: usize,
    s: DiceSettings,
    sep: bool,
    ex: bool,
    view: WireView,
    /// One char per (b, c) cell: a, m, e (the first letter of the status's code).
    st: String,
    /// Labels as bits, base64url.
    y: String,
    /// Prediction levels as little-endian u16, base64url.
    p: String,
}

/// The display options and page mode as format 1 held them, in one object.
#[derive(Serialize, Deserialize)]
#[serde(default)]
struct WireView {
    shared_scale: bool,
    symlog: bool,
    logit_grad: bool,
    embed: bool,
    present: bool,
}

impl Default for WireView {
    fn default() -> Self {
        WireView::of(&DisplayOptions::default(), &PageMode::default())
    }
}

impl WireView {
    fn of(display: &DisplayOptions, mode: &PageMode) -> WireView {
        WireView {
            shared_scale: display.shared_scale,
            symlog: display.symlog,
            logit_grad: display.logit_grad,
            embed: mode.embed,
            present: mode.present,
        }
    }

    fn display(&self) -> DisplayOptions {
        DisplayOptions {
            shared_scale: self.shared_scale,
            symlog: self.symlog,
            logit_grad: self.logit_grad,
        }
    }

    fn mode(&self) -> PageMode {
        PageMode {
            embed: self.embed,
            present: self.present,
        }
    }
}

fn status_char(s: LabelStatus) -> char {
    s.code().chars().next().unwrap_or('a')
}

/// Writes a format-1 link (for tests of old links only).
pub fn encode(state: &AppState) -> String {
    let (b, c, n, _) = state.labels.dim();
    let levels: Vec<u8> = state
        .pred
        .iter()
        .flat_map(|&p| (crate::page::levels::level(p) as u16).to_le_bytes())
        .collect();
    let wire = Wire {
        v: 1,
        b,
        c,
        n,
        s: state.settings,
        sep: state.separate_eps,
        ex: state.exclusive,
        view: WireView::of(&state.display, &state.mode),
        st: state.status.iter().map(|&s| status_char(s)).collect(),
        y: URL_SAFE_NO_PAD.encode(pack_bits(state.labels.iter().map(|&v| v >= 0.5))),
        p: URL_SAFE_NO_PAD.encode(levels),
    };
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&json, 9))
}

/// The number after `"key":` in a format-1 document, parsed exactly. The keys of the
/// settings occur once (the other fields hold only base64 and status letters).
fn exact_number(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Reads the bytes of a format-1 link (already base64-decoded).
pub fn decode(packed: &[u8]) -> Result<AppState, CodecError> {
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED)
        .map_err(|_| CodecError::Inflate)?;
    let mut w: Wire = serde_json::from_slice(&json)
        .map_err(|e| CodecError::Invalid(crate::present::format::excerpt(&e.to_string())))?;
    // serde_json reads a decimal to the nearest f64 only with its `float_roundtrip`
    // feature, which the page's build leaves out (12 KB gzip); without it about one
    // 17-digit value in seven comes back one unit in the last place off. The three
    // real-valued settings are read again from their text with Rust's exact parser.
    let text = String::from_utf8_lossy(&json);
    for (key, field) in [
        ("eps_nr", &mut w.s.eps_nr),
        ("eps_dr", &mut w.s.eps_dr),
        ("denominator_floor", &mut w.s.denominator_floor),
    ] {
        if let Some(v) = exact_number(&text, key) {
            *field = v;
        }
    }
    if w.v != 1 {
        return Err(CodecError::Invalid(format!(
            "unsupported state version {}",
            w.v
        )));
    }
    check_dims(w.b, w.c, w.n)?;
    w.s.validate(w.c)
        .map_err(|e| CodecError::Invalid(e.to_string()))?;
    let len = w.b * w.c * w.n * w.n;
    let bits = URL_SAFE_NO_PAD
        .decode(w.y.as_bytes())
        .map_err(|_| CodecError::Base64)?;
    if bits.len() != len.div_ceil(8) {
        return Err(CodecError::Invalid(
            "the label data has the wrong length".into(),
        ));
    }
    let levels = URL_SAFE_NO_PAD
        .decode(w.p.as_bytes())
        .map_err(|_| CodecError::Base64)?;
    if levels.len() != 2 * len {
        return Err(CodecError::Invalid(
            "the prediction data has the wrong length".into(),
        ));
    }
    let status =
        w.st.chars()
            .map(|ch| {
                LabelStatus::ALL
                    .into_iter()
                    .find(|&s| status_char(s) == ch)
                    .ok_or_else(|| CodecError::Invalid(format!("invalid label status code {ch:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
    if status.len() != w.b * w.c {
        return Err(CodecError::Invalid(
            "the label status data has the wrong length".into(),
        ));
    }
    let mut pred = Vec::with_capacity(len);
    for pair in levels.chunks_exact(2) {
        let k = i64::from(u16::from_le_bytes([pair[0], pair[1]]));
        if k > LEVELS {
            return Err(CodecError::Invalid(format!(
                "prediction level {k} is above {PRED_LEVELS}"
            )));
        }
        pred.push(k as f64 / PRED_LEVELS);
    }
    let shape = (w.b, w.c, w.n, w.n);
    let labels: Vec<f64> = (0..len)
        .map(|i| f64::from(u8::from(bit(&bits, i))))
        .collect();
    let bad = |what: &str| CodecError::Invalid(format!("the {what} data has the wrong length"));
    Ok(AppState {
        settings: w.s,
        separate_eps: w.sep,
        exclusive: w.ex && w.c > 1,
        labels: Array4::from_shape_vec(shape, labels).map_err(|_| bad("label"))?,
        pred: Array4::from_shape_vec(shape, pred).map_err(|_| bad("prediction"))?,
        status: Array2::from_shape_vec((w.b, w.c), status).map_err(|_| bad("label status"))?,
        // Format 1 had no image or training settings: the scene's image, the defaults.
        image: ndarray::Array3::zeros((w.b, w.n, w.n)),
        train: Default::default(),
        compare: None,
        display: w.view.display(),
        mode: w.view.mode(),
    })
    .map(|mut s: AppState| {
        s.image = s.scene_image();
        s
    })
}
