//! Format 2's payload, section by section, each writer beside its reader (the table in
//! [`super`] lists them in order). Every enum has one code table, used both ways.

use ndarray::{Array2, Array3, Array4};

use super::bytes::{Codes, Reader, Writer};
use super::CodecError;
use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::train::{ModelKind, Optimizer};
use crate::engine::variants::Variant;
use crate::page::levels::{background_takes_rest, bit, from_level, level, pack_bits, LEVELS};
use crate::page::state::{
    check_dims, AppState, DisplayOptions, PageMode, TrainSettings, MAX_SPEED,
};

const PHI: Codes<Phi> = Codes {
    what: "Φ code",
    table: &[(Phi::I, 0), (Phi::CI, 1), (Phi::BI, 2), (Phi::BCI, 3)],
};
const ACTIVATION: Codes<Activation> = Codes {
    what: "activation code",
    table: &[
        (Activation::None, 0),
        (Activation::Sigmoid, 1),
        (Activation::Softmax, 2),
    ],
};
const VARIANT: Codes<Variant> = Codes {
    what: "loss variant code",
    table: &[
        (Variant::Dice, 0),
        (Variant::Leaf, 1),
        (Variant::Marginal, 2),
    ],
};
const STATUS: Codes<LabelStatus> = Codes {
    what: "label status",
    table: &[
        (LabelStatus::Annotated, 0),
        (LabelStatus::Missing, 1),
        (LabelStatus::Empty, 2),
    ],
};
const MODEL: Codes<ModelKind> = Codes {
    what: "model code",
    table: &[
        (ModelKind::Pixels, 0),
        (ModelKind::Linear, 1),
        (ModelKind::Conv3x3, 2),
    ],
};
/// By [`Optimizer::code`].
const OPTIMIZER: Codes<&str> = Codes {
    what: "optimiser code",
    table: &[("sgd", 0), ("adam", 1)],
};
const COMPARE: Codes<bool> = Codes {
    what: "compare code",
    table: &[(false, 0), (true, 1)],
};

/// The payload of `state`.
pub fn write(state: &AppState) -> Vec<u8> {
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
        display,
        mode,
    } = state;
    let mut w = Writer::default();
    let (b, c, n, _) = labels.dim();
    w.bytes([b as u8, c as u8, n as u8]);
    write_page_flags(&mut w, *separate_eps, *exclusive, display, mode);
    write_settings(&mut w, settings);
    write_statuses(&mut w, status);
    w.bytes(pack_bits(
        labels.iter().map(|&v| crate::page::levels::is_on(v)),
    ));
    write_predictions(&mut w, pred, first_stored_class(state));
    write_image(&mut w, image);
    write_training(&mut w, train);
    w.byte(COMPARE.code(compare.is_some()));
    if let Some(s) = compare {
        write_settings(&mut w, s);
    }
    w.out
}

/// Reads a payload.
pub fn read(payload: &[u8]) -> Result<AppState, CodecError> {
    let mut r = Reader::new(payload);
    let dims = r.take(3)?;
    let (b, c, n) = (
        usize::from(dims[0]),
        usize::from(dims[1]),
        usize::from(dims[2]),
    );
    check_dims(b, c, n)?;
    let (separate_eps, exclusive, display, mode) = read_page_flags(&mut r, c)?;
    let settings = read_settings(&mut r, c)?;
    let status = read_statuses(&mut r, b, c)?;
    let bits = r.take((b * c * n * n).div_ceil(8))?;
    let labels = Array4::from_shape_fn((b, c, n, n), |(bb, cc, i, j)| {
        f64::from(u8::from(bit(bits, ((bb * c + cc) * n + i) * n + j)))
    });
    let pred = read_predictions(&mut r, (b, c, n), usize::from(exclusive))?;
    let image = read_image(&mut r, (b, n))?;
    let train = read_training(&mut r)?;
    let compare = match COMPARE.read(&mut r)? {
        false => None,
        true => Some(read_settings(&mut r, c)?),
    };
    if !r.done() {
        return Err(CodecError::Invalid(
            "the link has data after its end".into(),
        ));
    }
    Ok(AppState {
        settings,
        separate_eps,
        exclusive,
        labels,
        pred,
        status,
        image,
        train,
        compare,
        display,
        mode,
    })
}

fn write_page_flags(
    w: &mut Writer,
    separate_eps: bool,
    exclusive: bool,
    display: &DisplayOptions,
    mode: &PageMode,
) {
    let DisplayOptions {
        shared_scale,
        symlog,
        logit_grad,
    } = *display;
    let PageMode { embed, present } = *mode;
    w.flags(&[
        separate_eps,
        exclusive,
        shared_scale,
        symlog,
        logit_grad,
        embed,
        present,
    ]);
}

/// (separate ε, exclusive classes, display options, page mode); one class is never
/// exclusive.
fn read_page_flags(
    r: &mut Reader,
    classes: usize,
) -> Result<(bool, bool, DisplayOptions, PageMode), CodecError> {
    let page = r.byte()?;
    let on = |k| Reader::on(page, k);
    let display = DisplayOptions {
        shared_scale: on(2),
        symlog: on(3),
        logit_grad: on(4),
    };
    let mode = PageMode {
        embed: on(5),
        present: on(6),
    };
    Ok((on(0), on(1) && classes > 1, display, mode))
}

fn write_settings(w: &mut Writer, settings: &DiceSettings) {
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
    w.byte(PHI.code(phi));
    w.byte(ACTIVATION.code(activation));
    w.flags(&[squared, jaccard, include_background, zero_empty_sets]);
    w.byte(VARIANT.code(variant));
    for v in [eps_nr, eps_dr, denominator_floor] {
        w.number(v);
    }
}

fn read_settings(r: &mut Reader, classes: usize) -> Result<DiceSettings, CodecError> {
    let phi = PHI.read(r)?;
    let activation = ACTIVATION.read(r)?;
    let loss = r.byte()?;
    let variant = VARIANT.read(r)?;
    let settings = DiceSettings {
        phi,
        eps_nr: r.number("ε_nr")?,
        eps_dr: r.number("ε_dr")?,
        squared: Reader::on(loss, 0),
        jaccard: Reader::on(loss, 1),
        include_background: Reader::on(loss, 2),
        activation,
        denominator_floor: r.number("the denominator floor")?,
        zero_empty_sets: Reader::on(loss, 3),
        variant,
    };
    settings
        .validate(classes)
        .map_err(|e| CodecError::Invalid(e.to_string()))?;
    Ok(settings)
}

/// Two bits per cell, four cells to a byte.
fn write_statuses(w: &mut Writer, status: &Array2<LabelStatus>) {
    let mut st = vec![0u8; status.len().div_ceil(4)];
    for (k, &s) in status.iter().enumerate() {
        st[k / 4] |= STATUS.code(s) << (2 * (k % 4));
    }
    w.bytes(st);
}

fn read_statuses(r: &mut Reader, b: usize, c: usize) -> Result<Array2<LabelStatus>, CodecError> {
    let cells = b * c;
    let st = r.take(cells.div_ceil(4))?;
    let status = (0..cells)
        .map(|k| STATUS.value((st[k / 4] >> (2 * (k % 4))) & 3))
        .collect::<Result<Vec<_>, _>>()?;
    Array2::from_shape_vec((b, c), status).map_err(|_| CodecError::Invalid("label statuses".into()))
}

/// With exclusive classes the background's predictions are 1 minus the others'.
fn first_stored_class(state: &AppState) -> usize {
    usize::from(state.exclusive && state.classes() > 1)
}

/// Per cell from class `first` on, in raster order: the level's difference to the
/// previous pixel's.
fn write_predictions(w: &mut Writer, pred: &Array4<f64>, first: usize) {
    let (b, c, _, _) = pred.dim();
    for bb in 0..b {
        for cc in first..c {
            let mut prev = 0i64;
            for &p in pred.slice(ndarray::s![bb, cc, .., ..]).iter() {
                let k = level(p);
                w.diff(k - prev);
                prev = k;
            }
        }
    }
}

/// The predictions of classes `first..` as written, and the background as the rest of 1
/// when `first` is 1 (exclusive classes).
fn read_predictions(
    r: &mut Reader,
    (b, c, n): (usize, usize, usize),
    first: usize,
) -> Result<Array4<f64>, CodecError> {
    let mut levels = Array4::<i64>::zeros((b, c, n, n));
    for bb in 0..b {
        for cc in first..c {
            let mut prev = 0i64;
            for k in levels.slice_mut(ndarray::s![bb, cc, .., ..]).iter_mut() {
                prev = prev
                    .checked_add(r.diff()?)
                    .filter(|v| (0..=LEVELS).contains(v))
                    .ok_or_else(|| CodecError::Invalid("a prediction is outside [0, 1]".into()))?;
                *k = prev;
            }
        }
        if first == 1 {
            for i in 0..n {
                for j in 0..n {
                    let mut col: Vec<i64> = (0..c).map(|cc| levels[[bb, cc, i, j]]).collect();
                    background_takes_rest(&mut col).map_err(|_| {
                        CodecError::Invalid(
                            "the class predictions of a pixel add up to more than 1".into(),
                        )
                    })?;
                    levels[[bb, 0, i, j]] = col[0];
                }
            }
        }
    }
    Ok(levels.mapv(from_level))
}

/// Per batch element, coded like the predictions.
fn write_image(w: &mut Writer, image: &Array3<f64>) {
    for plane in image.outer_iter() {
        let mut prev = 0i64;
        for &v in plane.iter() {
            let k = level(v);
            w.diff(k - prev);
            prev = k;
        }
    }
}

fn read_image(r: &mut Reader, (b, n): (usize, usize)) -> Result<Array3<f64>, CodecError> {
    let mut image = Array3::<f64>::zeros((b, n, n));
    for mut plane in image.outer_iter_mut() {
        let mut prev = 0i64;
        for v in plane.iter_mut() {
            prev = prev
                .checked_add(r.diff()?)
                .filter(|k| (0..=LEVELS).contains(k))
                .ok_or_else(|| {
                    CodecError::Invalid("an image intensity is outside [0, 1]".into())
                })?;
            *v = from_level(prev);
        }
    }
    Ok(image)
}

fn write_training(w: &mut Writer, train: &TrainSettings) {
    let TrainSettings {
        model,
        optimizer,
        speed,
    } = *train;
    w.byte(MODEL.code(model));
    w.byte(OPTIMIZER.code(optimizer.code()));
    let numbers = match optimizer {
        Optimizer::Sgd { lr } => vec![lr],
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => vec![lr, beta1, beta2, eps],
    };
    for v in numbers {
        w.number(v);
    }
    w.varint(u64::from(speed));
}

fn read_training(r: &mut Reader) -> Result<TrainSettings, CodecError> {
    let model = MODEL.read(r)?;
    let optimizer = match OPTIMIZER.read(r)? {
        "sgd" => Optimizer::Sgd {
            lr: r.number("the learning rate")?,
        },
        _ => Optimizer::Adam {
            lr: r.number("the learning rate")?,
            beta1: r.number("Adam's β₁")?,
            beta2: r.number("Adam's β₂")?,
            eps: r.number("Adam's eps")?,
        },
    };
    optimizer
        .validate()
        .map_err(|e| CodecError::Invalid(e.to_string()))?;
    let speed = u32::try_from(r.varint()?)
        .ok()
        .filter(|s| (1..=MAX_SPEED).contains(s))
        .ok_or_else(|| CodecError::Invalid("the training speed is out of range".into()))?;
    Ok(TrainSettings {
        model,
        optimizer,
        speed,
    })
}
