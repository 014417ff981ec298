//! The link codec: a page state to the text after `#` and back, exactly.
//!
//! Format 2 (written): `base64url(version ‖ deflate(payload) ‖ crc32(version ‖ payload))`
//! with one binary layer for the payload:
//!
//! | bytes | content |
//! |---|---|
//! | 3 | B, C, H = W |
//! | 1 | page flags: separate ε, exclusive, shared scale, symmetric-log, ∂L/∂z view, embed, presentation |
//! | 4 | Φ, activation, loss flags (squared, Jaccard, background, zeroed empty sets), loss variant |
//! | 3 × (1 + k) | ε_nr, ε_dr, denominator floor: the shortest decimal text that reads back exactly |
//! | ⌈B·C/4⌉ | label statuses, 2 bits each |
//! | ⌈B·C·H·W/8⌉ | labels, 1 bit each |
//! | … | prediction levels (1e-4 grid) per cell in raster order, as zigzag varints of the difference to the previous pixel; with exclusive classes class 0 is left out (it is 1 minus the others) |
//! | … | image intensities (1e-4 grid) per batch element, coded like the predictions |
//! | … | training: model, optimiser (0 SGD, 1 Adam), learning rate (and Adam's β₁, β₂, eps) as number texts, steps per second as a varint |
//! | rest | compare mode: 0, or 1 and the second loss settings, coded like the first |
//!
//! Predictions of a scene are smooth (a blob, a constant background), so the differences
//! are mostly 0 and deflate shrinks them to a few bytes per row. The checksum makes a
//! mistyped or truncated link an error instead of a different page.
//!
//! Format 1 (read only, so old links keep opening): `base64url(deflate(json))` with the
//! tensors base64-encoded inside the JSON; see [`legacy`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ndarray::{Array2, Array3, Array4};

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::train::{ModelKind, Optimizer};
use crate::engine::variants::Variant;
use crate::page::levels::{bit, from_level, level, pack_bits, LEVELS};
use crate::page::state::{check_dims, AppState, StateError, TrainSettings, ViewOptions, MAX_SPEED};

/// The version byte of the format written.
const VERSION: u8 = 2;
/// Bound on the inflated size, so a hostile link cannot exhaust memory.
const MAX_INFLATED: usize = 8 * 1024 * 1024;
/// Longest number text accepted in a link (the shortest form of any f64 is ≤ 24).
const MAX_NUMBER_TEXT: usize = 32;

/// Why a link's data cannot be a page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodecError {
    #[error("the link is not valid base64")]
    Base64,
    #[error(
        "the link is damaged or incomplete (its checksum does not match); copy it again in full"
    )]
    Damaged,
    #[error("the link was made by a newer version of the playground (format {0})")]
    Version(u8),
    #[error("the link's data is not valid compressed data")]
    Inflate,
    #[error("the link's data is cut short")]
    Truncated,
    #[error("the link's data is not a valid page: {0}")]
    Invalid(String),
    #[error(transparent)]
    Dims(#[from] StateError),
}

/// The link payload of `state` (the text after `#`).
pub fn encode(state: &AppState) -> String {
    let payload = payload(state);
    let mut bytes = Vec::with_capacity(payload.len() / 4 + 8);
    bytes.push(VERSION);
    bytes.extend(miniz_oxide::deflate::compress_to_vec(&payload, 9));
    bytes.extend(checksum(&payload).to_le_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a link payload of either format; any text gives a page or an error, never a
/// panic. The page is made consistent ([`AppState::make_consistent`]).
pub fn decode(text: &str) -> Result<AppState, CodecError> {
    let text = text.trim();
    let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).map_err(|_| {
        // Only link characters, but not a whole number of them: a link cut short.
        let alphabet = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !text.is_empty() && text.chars().all(alphabet) {
            CodecError::Damaged
        } else {
            CodecError::Base64
        }
    })?;
    let mut state = match read_current(&bytes) {
        Ok(s) => s,
        // Not format 2: maybe an old link. A damaged format-2 link says so, unless it
        // happens to read as an old link; data that is neither says what it is not.
        Err(e) => legacy::decode(&bytes).map_err(|old| match (bytes.first(), e, old) {
            (Some(&VERSION), e, _) => e,
            // Only a link framed as this format frames it (compressed data and a checksum
            // over its version byte) is a newer one; anything else, junk or a link cut or
            // padded out of shape, is a damaged link, whatever its first byte says.
            (_, CodecError::Version(v), CodecError::Inflate) if v > VERSION => {
                if framed(&bytes) {
                    CodecError::Version(v)
                } else {
                    CodecError::Damaged
                }
            }
            (_, _, old) => old,
        })?,
    };
    state.make_consistent();
    Ok(state)
}

/// CRC-32 (ISO-HDLC, the one of zlib and PNG) of the version byte and the payload.
const CRC32: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

fn checksum(payload: &[u8]) -> u32 {
    checksum_of(VERSION, payload)
}

fn checksum_of(version: u8, payload: &[u8]) -> u32 {
    let mut h = CRC32.digest();
    h.update(&[version]);
    h.update(payload);
    h.finalize()
}

/// Whether `bytes` is `version ‖ deflate(payload) ‖ crc32(version ‖ payload)`, the frame
/// of every format from 2 on, whatever its version and payload.
fn framed(bytes: &[u8]) -> bool {
    let Some((&version, rest)) = bytes.split_first() else {
        return false;
    };
    if rest.len() < 4 {
        return false;
    }
    let (packed, crc) = rest.split_at(rest.len() - 4);
    miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED).is_ok_and(|p| {
        checksum_of(version, &p) == u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]])
    })
}

fn read_current(bytes: &[u8]) -> Result<AppState, CodecError> {
    let (&version, rest) = bytes.split_first().ok_or(CodecError::Truncated)?;
    if version != VERSION {
        return Err(CodecError::Version(version));
    }
    if rest.len() < 4 {
        return Err(CodecError::Truncated);
    }
    let (packed, crc) = rest.split_at(rest.len() - 4);
    // A cut or mistyped link usually breaks the compressed data before the checksum.
    let payload = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED)
        .map_err(|_| CodecError::Damaged)?;
    let crc = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc != checksum(&payload) {
        return Err(CodecError::Damaged);
    }
    parse(&payload)
}

// ---------------------------------------------------------------------------------------
// Format 2 payload

fn flags(bits: &[bool]) -> u8 {
    bits.iter()
        .enumerate()
        .fold(0, |acc, (k, &on)| acc | (u8::from(on) << k))
}

fn phi_index(p: Phi) -> u8 {
    match p {
        Phi::I => 0,
        Phi::CI => 1,
        Phi::BI => 2,
        Phi::BCI => 3,
    }
}

fn activation_index(a: Activation) -> u8 {
    match a {
        Activation::None => 0,
        Activation::Sigmoid => 1,
        Activation::Softmax => 2,
    }
}

fn variant_index(v: Variant) -> u8 {
    match v {
        Variant::Dice => 0,
        Variant::Leaf => 1,
        Variant::Marginal => 2,
    }
}

/// With exclusive classes the background's predictions are 1 minus the others'.
fn first_stored_class(state: &AppState) -> usize {
    usize::from(state.exclusive && state.classes() > 1)
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn payload(state: &AppState) -> Vec<u8> {
    let (b, c, n, _) = state.labels.dim();
    // Every field by name, so a new one cannot be forgotten here.
    let AppState {
        settings,
        separate_eps,
        exclusive,
        labels,
        pred,
        status,
        image,
        train,
        compare,
        view,
    } = state;
    let ViewOptions {
        shared_scale,
        symlog,
        logit_grad,
        embed,
        present,
    } = *view;
    let mut out = vec![b as u8, c as u8, n as u8];
    out.push(flags(&[
        *separate_eps,
        *exclusive,
        shared_scale,
        symlog,
        logit_grad,
        embed,
        present,
    ]));
    push_settings(&mut out, settings);
    let mut st = vec![0u8; (b * c).div_ceil(4)];
    for (k, s) in status.iter().enumerate() {
        st[k / 4] |= s.index() << (2 * (k % 4));
    }
    out.extend(st);
    out.extend(pack_bits(labels.iter().map(|&v| v >= 0.5)));
    for bb in 0..b {
        for cc in first_stored_class(state)..c {
            let mut prev = 0i64;
            for &p in pred.slice(ndarray::s![bb, cc, .., ..]).iter() {
                let k = level(p);
                let d = k - prev;
                prev = k;
                // Zigzag: small differences of either sign are small numbers.
                push_varint(&mut out, zigzag(d));
            }
        }
    }
    for plane in image.outer_iter() {
        let mut prev = 0i64;
        for &v in plane.iter() {
            let k = level(v);
            push_varint(&mut out, zigzag(k - prev));
            prev = k;
        }
    }
    let TrainSettings {
        model,
        optimizer,
        speed,
    } = *train;
    out.push(model_index(model));
    let numbers = match optimizer {
        Optimizer::Sgd { lr } => {
            out.push(0);
            vec![lr]
        }
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => {
            out.push(1);
            vec![lr, beta1, beta2, eps]
        }
    };
    for v in numbers {
        push_number(&mut out, v);
    }
    push_varint(&mut out, u64::from(speed));
    match compare {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            push_settings(&mut out, s);
        }
    }
    out
}

fn push_settings(out: &mut Vec<u8>, settings: &DiceSettings) {
    // Every field by name, so a new one cannot be forgotten here.
    let DiceSettings {
        phi,
        eps_nr,
        eps_dr,
        squared,
        jaccard,
        include_background,
        activation,
        denominator_floor,
        zero_empty_sets,
        variant,
    } = *settings;
    out.push(phi_index(phi));
    out.push(activation_index(activation));
    out.push(flags(&[
        squared,
        jaccard,
        include_background,
        zero_empty_sets,
    ]));
    out.push(variant_index(variant));
    for v in [eps_nr, eps_dr, denominator_floor] {
        push_number(out, v);
    }
}

fn read_settings(r: &mut Reader, classes: usize) -> Result<DiceSettings, CodecError> {
    let on = |bits: u8, k: u8| bits & (1 << k) != 0;
    let phi = match r.byte()? {
        0 => Phi::I,
        1 => Phi::CI,
        2 => Phi::BI,
        3 => Phi::BCI,
        k => return Err(CodecError::Invalid(format!("unknown Φ code {k}"))),
    };
    let activation = match r.byte()? {
        0 => Activation::None,
        1 => Activation::Sigmoid,
        2 => Activation::Softmax,
        k => return Err(CodecError::Invalid(format!("unknown activation code {k}"))),
    };
    let loss = r.byte()?;
    let variant = match r.byte()? {
        0 => Variant::Dice,
        1 => Variant::Leaf,
        2 => Variant::Marginal,
        k => {
            return Err(CodecError::Invalid(format!(
                "unknown loss variant code {k}"
            )))
        }
    };
    let settings = DiceSettings {
        phi,
        eps_nr: r.number("ε_nr")?,
        eps_dr: r.number("ε_dr")?,
        squared: on(loss, 0),
        jaccard: on(loss, 1),
        include_background: on(loss, 2),
        activation,
        denominator_floor: r.number("the denominator floor")?,
        zero_empty_sets: on(loss, 3),
        variant,
    };
    settings
        .validate(classes)
        .map_err(|e| CodecError::Invalid(e.to_string()))?;
    Ok(settings)
}

/// Zigzag: small differences of either sign are small numbers.
fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// The shortest text that reads back as the same double (`{:e}`), with its length.
fn push_number(out: &mut Vec<u8>, v: f64) {
    let text = format!("{v:e}");
    out.push(text.len() as u8);
    out.extend(text.as_bytes());
}

fn model_index(m: ModelKind) -> u8 {
    match m {
        ModelKind::Pixels => 0,
        ModelKind::Linear => 1,
        ModelKind::Conv3x3 => 2,
    }
}

/// Reads format 2's payload.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, k: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(k).ok_or(CodecError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(CodecError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn number(&mut self, what: &str) -> Result<f64, CodecError> {
        let len = usize::from(self.byte()?);
        if len > MAX_NUMBER_TEXT {
            return Err(CodecError::Invalid(format!("{what} is too long")));
        }
        let text = std::str::from_utf8(self.take(len)?)
            .map_err(|_| CodecError::Invalid(format!("{what} is not a number")))?;
        text.parse()
            .map_err(|_| CodecError::Invalid(format!("{what} is not a number")))
    }

    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Invalid("a prediction level is too long".into()))
    }
}

fn parse(payload: &[u8]) -> Result<AppState, CodecError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let dims = r.take(3)?;
    let (b, c, n) = (
        usize::from(dims[0]),
        usize::from(dims[1]),
        usize::from(dims[2]),
    );
    check_dims(b, c, n)?;
    let page = r.byte()?;
    let on = |bits: u8, k: u8| bits & (1 << k) != 0;
    let settings = read_settings(&mut r, c)?;
    let cells = b * c;
    let st = r.take(cells.div_ceil(4))?;
    let status = (0..cells)
        .map(|k| {
            let code = (st[k / 4] >> (2 * (k % 4))) & 3;
            LabelStatus::from_index(code)
                .ok_or_else(|| CodecError::Invalid(format!("unknown label status {code}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let len = cells * n * n;
    let bits = r.take(len.div_ceil(8))?;
    let labels = Array4::from_shape_fn((b, c, n, n), |(bb, cc, i, j)| {
        f64::from(u8::from(bit(bits, ((bb * c + cc) * n + i) * n + j)))
    });
    let exclusive = on(page, 1) && c > 1;
    let first = usize::from(exclusive);
    let mut levels = Array4::<i64>::zeros((b, c, n, n));
    for bb in 0..b {
        for cc in first..c {
            let mut prev = 0i64;
            for k in levels.slice_mut(ndarray::s![bb, cc, .., ..]).iter_mut() {
                let d = unzigzag(r.varint()?);
                prev = prev
                    .checked_add(d)
                    .filter(|v| (0..=LEVELS).contains(v))
                    .ok_or_else(|| CodecError::Invalid("a prediction is outside [0, 1]".into()))?;
                *k = prev;
            }
        }
        if exclusive {
            for i in 0..n {
                for j in 0..n {
                    let rest: i64 = (1..c).map(|cc| levels[[bb, cc, i, j]]).sum();
                    if rest > LEVELS {
                        return Err(CodecError::Invalid(
                            "the class predictions of a pixel add up to more than 1".into(),
                        ));
                    }
                    levels[[bb, 0, i, j]] = LEVELS - rest;
                }
            }
        }
    }
    let mut image = Array3::<f64>::zeros((b, n, n));
    for mut plane in image.outer_iter_mut() {
        let mut prev = 0i64;
        for v in plane.iter_mut() {
            prev = prev
                .checked_add(unzigzag(r.varint()?))
                .filter(|k| (0..=LEVELS).contains(k))
                .ok_or_else(|| {
                    CodecError::Invalid("an image intensity is outside [0, 1]".into())
                })?;
            *v = from_level(prev);
        }
    }
    let model = match r.byte()? {
        0 => ModelKind::Pixels,
        1 => ModelKind::Linear,
        2 => ModelKind::Conv3x3,
        k => return Err(CodecError::Invalid(format!("unknown model code {k}"))),
    };
    let optimizer = match r.byte()? {
        0 => Optimizer::Sgd {
            lr: r.number("the learning rate")?,
        },
        1 => Optimizer::Adam {
            lr: r.number("the learning rate")?,
            beta1: r.number("Adam's β₁")?,
            beta2: r.number("Adam's β₂")?,
            eps: r.number("Adam's eps")?,
        },
        k => return Err(CodecError::Invalid(format!("unknown optimiser code {k}"))),
    };
    optimizer
        .validate()
        .map_err(|e| CodecError::Invalid(e.to_string()))?;
    let speed = u32::try_from(r.varint()?)
        .ok()
        .filter(|s| (1..=MAX_SPEED).contains(s))
        .ok_or_else(|| CodecError::Invalid("the training speed is out of range".into()))?;
    let compare = match r.byte()? {
        0 => None,
        1 => Some(read_settings(&mut r, c)?),
        k => return Err(CodecError::Invalid(format!("unknown compare code {k}"))),
    };
    if r.at != payload.len() {
        return Err(CodecError::Invalid(
            "the link has data after its end".into(),
        ));
    }
    Ok(AppState {
        settings,
        separate_eps: on(page, 0),
        exclusive,
        labels,
        pred: levels.mapv(from_level),
        status: Array2::from_shape_vec((b, c), status)
            .map_err(|_| CodecError::Invalid("label statuses".into()))?,
        image,
        train: TrainSettings {
            model,
            optimizer,
            speed,
        },
        compare,
        view: ViewOptions {
            shared_scale: on(page, 2),
            symlog: on(page, 3),
            logit_grad: on(page, 4),
            embed: on(page, 5),
            present: on(page, 6),
        },
    })
}

/// Format 1: `base64url(deflate(json))`, written until format 2. Read only.
pub mod legacy {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use ndarray::{Array2, Array4};
    use serde::{Deserialize, Serialize};

    use super::{CodecError, MAX_INFLATED};
    use crate::engine::loss::DiceSettings;
    use crate::engine::status::LabelStatus;
    use crate::page::levels::{bit, pack_bits, LEVELS, PRED_LEVELS};
    use crate::page::state::{check_dims, AppState, ViewOptions};

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
        /// One char per (b, c) cell: a, m, e (the first letter of the status's code).
        st: String,
        /// Labels as bits, base64url.
        y: String,
        /// Prediction levels as little-endian u16, base64url.
        p: String,
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
            view: state.view,
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
        let status = w
            .st
            .chars()
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
            view: w.view,
        })
        .map(|mut s: AppState| {
            s.image = s.scene_image();
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_is_bit_6_of_the_page_flags_and_older_links_open_without_it() {
        let mut s = AppState::default_scene();
        s.view.embed = true;
        let without = payload(&s);
        s.view.present = true;
        let with = payload(&s);
        // Only bit 6 of the page flags byte (after B, C, H) differs: the other flags,
        // the variant, image, training and compare bytes are where they were.
        let diff: Vec<usize> = (0..with.len()).filter(|&k| with[k] != without[k]).collect();
        assert_eq!(diff, vec![3]);
        assert_eq!(with[3] ^ without[3], 1 << 6);
        // A link written before presentation mode existed (bit 6 clear) opens without it.
        s.view.present = false;
        let old = decode(&encode(&s)).unwrap();
        assert!(!old.view.present && old.view.embed);
        s.view.present = true;
        assert!(decode(&encode(&s)).unwrap().view.present);
    }
    use crate::page::lessons::SCENARIOS;

    #[test]
    fn checksum_is_the_standard_crc32() {
        // The check value of CRC-32/ISO-HDLC (zlib's crc32, which links were written with).
        assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn hash_round_trip_is_exact() {
        let mut s = AppState::default_scene();
        s.settings.phi = Phi::BI;
        s.settings.eps_nr = 1e-7;
        s.status[(1, 1)] = LabelStatus::Missing;
        s.view.symlog = false;
        let text = encode(&s);
        assert!(
            text.len() < 2000,
            "default page hash is {} chars",
            text.len()
        );
        assert_eq!(decode(&text).unwrap(), s);
    }

    #[test]
    fn the_default_page_link_is_short() {
        let n = encode(&AppState::default_scene()).len();
        let old = legacy::encode(&AppState::default_scene()).len();
        assert!(
            n <= 800,
            "default page link is {n} characters (format 1: {old})"
        );
        assert!(2 * n <= old + 40, "{n} is not about half of {old}");
    }

    #[test]
    fn every_field_and_scenario_round_trips() {
        for sc in &SCENARIOS {
            let s = sc.state();
            assert_eq!(decode(&encode(&s)).unwrap(), s, "{}", sc.name);
        }
        // Independent classes with soft predictions, every flag on, odd numbers.
        let mut s = AppState::blank(3, 3, 13).unwrap();
        crate::page::paint::set_exclusive(&mut s, false);
        s.settings = DiceSettings {
            phi: Phi::BCI,
            eps_nr: 0.1 + 0.2,
            eps_dr: 5e-324,
            squared: true,
            jaccard: true,
            include_background: false,
            activation: Activation::Sigmoid,
            denominator_floor: 1e-8,
            zero_empty_sets: true,
            variant: Variant::Leaf,
        };
        s.separate_eps = true;
        s.view = ViewOptions {
            shared_scale: false,
            symlog: false,
            logit_grad: false,
            embed: true,
            present: true,
        };
        s.status[(2, 1)] = LabelStatus::Empty;
        s.status[(0, 2)] = LabelStatus::Missing;
        s.compare = Some(DiceSettings {
            phi: Phi::BI,
            eps_nr: 1e-7,
            ..s.settings
        });
        s.train.model = crate::engine::train::ModelKind::Linear;
        s.train.optimizer = crate::engine::train::Optimizer::sgd(0.05);
        s.train.speed = 7;
        for (k, v) in s.image.iter_mut().enumerate() {
            *v = from_level((k as i64 * 31) % (LEVELS + 1));
        }
        for (k, p) in s.pred.iter_mut().enumerate() {
            *p = from_level((k as i64 * 7919) % (LEVELS + 1));
        }
        s.labels[[1, 2, 12, 0]] = 1.0;
        s.labels[[2, 0, 3, 4]] = 1.0;
        assert_eq!(decode(&encode(&s)).unwrap(), s);
    }

    #[test]
    fn old_links_keep_opening() {
        for sc in &SCENARIOS {
            // Format 1 had no compare mode.
            let s = AppState {
                compare: None,
                ..sc.state()
            };
            assert_eq!(decode(&legacy::encode(&s)).unwrap(), s, "{}", sc.name);
        }
        let mut s = AppState::default_scene();
        s.settings.eps_nr = 0.0;
        s.status[(0, 1)] = LabelStatus::Missing;
        // Format 1 held no image: the page it opens has its scene's image.
        s.image = s.scene_image();
        assert_eq!(decode(&legacy::encode(&s)).unwrap(), s);
    }

    /// 17-digit settings come back bit for bit (the page's serde_json alone would miss some
    /// by one unit in the last place; e2e/url-state.test.mjs checks it in the browser).
    #[test]
    fn old_links_keep_every_digit_of_the_settings() {
        let mut s = AppState::default_scene();
        s.image = s.scene_image();
        for (nr, dr, floor) in [
            (
                4.7263513513513517e-7,
                2.748695652173913e-11,
                1.7301204819277105e-6,
            ),
            (907186.8583162217, 0.1 + 0.2, 5e-324),
        ] {
            s.settings.eps_nr = nr;
            s.settings.eps_dr = dr;
            s.settings.denominator_floor = floor;
            let back = decode(&legacy::encode(&s)).unwrap().settings;
            assert_eq!(
                (back.eps_nr.to_bits(), back.eps_dr.to_bits()),
                (nr.to_bits(), dr.to_bits())
            );
            assert_eq!(back.denominator_floor.to_bits(), floor.to_bits());
        }
    }

    /// Every single-character change and every truncation of a link is refused (or, for
    /// a change the base64 alphabet cannot tell apart, opens the same page): never a
    /// different page.
    #[test]
    fn a_mistyped_or_truncated_link_is_refused() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let s = SCENARIOS[1].state();
        let link = encode(&s);
        let bytes = link.as_bytes();
        let mut tried = 0;
        for pos in 0..bytes.len() {
            // A few substitutions per position keep the test quick.
            for &ch in ALPHABET.iter().step_by(9) {
                if ch == bytes[pos] {
                    continue;
                }
                let mut t = bytes.to_vec();
                t[pos] = ch;
                let t = String::from_utf8(t).unwrap();
                tried += 1;
                if let Ok(d) = decode(&t) {
                    assert_eq!(d, s, "changed char {pos} opened a different page");
                }
            }
        }
        assert!(tried > 1000);
        for cut in 1..link.len() {
            assert!(decode(&link[..cut]).is_err(), "truncated at {cut}");
        }
        assert_eq!(
            decode(&link[..link.len() - 3]).unwrap_err(),
            CodecError::Damaged
        );
    }

    #[test]
    fn garbage_links_are_errors_not_panics() {
        for text in [
            "",
            "!!!",
            "AAAA",
            "eJzLSM3JyQcABiwCFQ",
            &"A".repeat(10_000),
            "Ag",
            "AgAAAAA",
        ] {
            assert!(decode(text).is_err(), "{text:?}");
        }
        // A valid payload with a wrong size is refused with a message.
        let mut s = AppState::default_scene();
        s.labels = Array4::zeros((9, 2, 32, 32));
        s.pred = Array4::zeros((9, 2, 32, 32));
        s.status = Array2::from_elem((9, 2), LabelStatus::Annotated);
        assert!(matches!(decode(&encode(&s)), Err(CodecError::Dims(_))));
        assert!(matches!(
            decode(&legacy::encode(&s)),
            Err(CodecError::Dims(_))
        ));
        // A newer format says so: a link framed like this one, with another version.
        let payload = b"a page of format 9";
        let mut newer = vec![9u8];
        newer.extend(miniz_oxide::deflate::compress_to_vec(payload, 9));
        newer.extend(checksum_of(9, payload).to_le_bytes());
        let newer = URL_SAFE_NO_PAD.encode(newer);
        assert_eq!(decode(&newer).unwrap_err(), CodecError::Version(9));
    }

    /// Fuzz finding (issue 15): junk and oversized links said "made by a newer version of
    /// the playground (format 105)" whenever their first byte was above 2.
    #[test]
    fn only_a_framed_link_is_from_a_newer_version() {
        let mut junk = vec![
            URL_SAFE_NO_PAD.encode([9u8, 1, 2, 3, 4, 5, 6]),
            "iiiiiiiiiiiiiiiiiiii".to_string(),
            "zzzz".repeat(1000),
            "_".repeat(1 << 20),
        ];
        // A real link with its first byte changed, and a real link padded out.
        let real = encode(&AppState::default_scene());
        junk.push(format!("i{}", &real[1..]));
        junk.push(format!("{real}{}", "A".repeat(4000)));
        for text in &junk {
            let e = decode(text).unwrap_err();
            assert!(!matches!(e, CodecError::Version(_)), "{}: {e}", &text[..20]);
            assert!(!e.to_string().contains("newer version"), "{e}");
        }
        let e = decode(&junk[1]).unwrap_err();
        assert_eq!(e, CodecError::Damaged, "{e}");
    }

    #[test]
    fn a_link_with_softmax_and_independent_classes_opens_exclusive() {
        let mut s = AppState::default_scene();
        s.exclusive = false;
        s.settings.activation = Activation::Softmax;
        // Independent classes: both structure and background painted, predictions not
        // summing to 1.
        s.labels[[0, 0, 14, 14]] = 1.0;
        s.pred[[1, 0, 3, 3]] = 0.2;
        s.pred[[1, 1, 3, 3]] = 0.2;
        let d = decode(&encode(&s)).unwrap();
        assert!(d.exclusive, "softmax comes with exclusive classes");
        // What the controls would have made of it.
        let mut want = s.clone();
        crate::page::ui::set_activation(&mut want, Activation::Softmax).unwrap();
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
        // The engine accepts it.
        crate::engine::loss::evaluate_probs(d.loss_labels().view(), d.pred.clone(), &d.settings)
            .unwrap();
        // A valid page is unchanged by the normalisation.
        assert_eq!(decode(&encode(&d)).unwrap(), d);
        // Sigmoid keeps independent classes as they are.
        s.settings.activation = Activation::Sigmoid;
        assert_eq!(decode(&encode(&s)).unwrap(), s);
    }

    #[test]
    fn exclusive_links_get_one_hot_labels() {
        let mut s = AppState::blank(1, 3, 8).unwrap();
        // Two classes painted on one pixel, none on another.
        s.labels[[0, 1, 0, 0]] = 1.0;
        s.labels[[0, 2, 0, 0]] = 1.0;
        s.labels[[0, 0, 1, 1]] = 0.0;
        let d = decode(&encode(&s)).unwrap();
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
}
