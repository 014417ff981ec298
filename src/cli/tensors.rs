//! The tensors of one evaluation, from the input document and array files: `y` (labels,
//! or a class-index map with `classes`), `pred`, `missing`, and the data some options need
//! — a pixel `mask` (or the pixels an `ignore_index` marks) and `sample_weights`.
//!
//! Shapes are checked before any array is read. The shape is `pred`'s: the document's
//! `shape`, else `pred`'s file, else (without `classes`) `y`'s file. A `y` whose shape
//! differs is refused naming both arrays, and when it looks like a class-index map (one
//! number per pixel: no class axis, or a class axis of 1) the message says so and names
//! `--classes`.

use std::path::Path;

use ndarray::ArrayViewD;

use super::json::{self, Document};
use super::{excerpt, files, read_missing, read_shape};
use crate::engine::arrays;
use crate::engine::error::DiceError;
use crate::engine::loss::Evaluation;
use crate::engine::objective::Objective;
use crate::engine::options::{Extras, Mask};
use crate::engine::shape::Shape;

/// The tensors of one evaluation, flat in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensors {
    pub shape: Shape,
    pub y: Vec<f64>,
    pub pred: Vec<f64>,
    /// The (b, c) cells whose labels are missing (`missing`).
    pub missing: Vec<(usize, usize)>,
    /// The mask (given, or from `ignore_index`) and the sample weights.
    pub extras: Extras,
}

/// Array files given on the command line instead of the document's fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Files<'a> {
    pub y: Option<&'a Path>,
    pub pred: Option<&'a Path>,
    pub mask: Option<&'a Path>,
}

/// How the labels are given: as they are, or as a class-index map of `classes` classes.
struct LabelForm {
    classes: Option<usize>,
    ignore_index: Option<f64>,
}

impl Tensors {
    /// Reads `shape`, `y` and `pred` from the document alone, the shape first.
    pub fn from_document(doc: &mut Document) -> Result<Tensors, String> {
        Tensors::read(doc, Files::default())
    }

    /// Reads the tensors from the document and the `files` (a file replaces the field).
    pub fn read(doc: &mut Document, files: Files) -> Result<Tensors, String> {
        let form = LabelForm {
            classes: doc
                .take("classes")
                .map(|raw| json::count("classes", &raw))
                .transpose()?,
            ignore_index: doc
                .take("ignore_index")
                .map(|raw| whole("ignore_index", &raw))
                .transpose()?,
        };
        if form.classes == Some(0) {
            return Err("`classes` must be at least 1".into());
        }
        for (name, path) in [("y", files.y), ("pred", files.pred), ("mask", files.mask)] {
            if path.is_some() && doc.has(name) {
                return Err(format!(
                    "`{name}` is given both in the input document and as --{name}"
                ));
            }
        }
        let shape = shape_of_inputs(doc, &files, form.classes.is_some())?;
        let (y, label_mask) = read_labels(doc, &files, &shape, &form)?;
        let pred = match files.pred {
            Some(p) => files::read(p, "pred", &shape)?,
            None => super::read_array(doc, "pred", &shape)?,
        };
        let missing = read_missing(doc)?;
        let extras = read_extras(doc, &files, &shape, label_mask)?;
        Ok(Tensors {
            shape,
            y,
            pred,
            missing,
            extras,
        })
    }

    /// The loss on these tensors (borrowing them: `prob` is `pred` when there is no
    /// activation and no option needs a copy).
    pub fn evaluate(&self, objective: &Objective) -> Result<Evaluation<'_>, String> {
        let dims = ndarray::IxDyn(self.shape.dims());
        let too_large = |e: ndarray::ShapeError| e.to_string();
        let y = ArrayViewD::from_shape(dims.clone(), &self.y[..]).map_err(too_large)?;
        let pred = ArrayViewD::from_shape(dims, &self.pred[..]).map_err(too_large)?;
        objective
            .evaluate_nd_extras(y, pred, &self.missing, &self.extras)
            .map_err(|e| e.to_string())
    }
}

/// A whole number (an index may be negative: smp's and kornia's −100, or 255).
fn whole(name: &str, raw: &str) -> Result<f64, String> {
    let v = json::number(name, raw)?;
    if v.fract() != 0.0 || v.abs() > 9.0e15 {
        return Err(format!(
            "`{name}` must be a whole number, got {}",
            excerpt(raw.trim())
        ));
    }
    Ok(v)
}

/// How an array is named in a message: by its file, or as the document's field.
fn described(name: &str, file: Option<&Path>) -> String {
    match file {
        Some(p) => format!("`{name}` from {}", files::shown(p)),
        None => format!("`{name}`"),
    }
}

/// The shape of the input (`pred`'s), checked against every file's header.
fn shape_of_inputs(doc: &mut Document, f: &Files, class_map: bool) -> Result<Shape, String> {
    let stated = read_shape(doc)?;
    let pred = f.pred.map(|p| files::header(p, "pred")).transpose()?;
    if let (Some(s), Some(h), Some(p)) = (&stated, &pred, f.pred) {
        if s.dims() != h.dims.as_slice() {
            return Err(format!(
                "{} has shape {:?} but the input's `shape` is {:?}",
                described("pred", Some(p)),
                h.dims,
                s.dims()
            ));
        }
    }
    if let Some(s) = stated {
        return Ok(s);
    }
    if let (Some(h), Some(p)) = (&pred, f.pred) {
        return Shape::new(&h.dims).map_err(|e| format!("{}: {e}", described("pred", Some(p))));
    }
    match f.y {
        Some(p) if !class_map => Ok(files::shape_of(p, "y")?),
        _ if class_map => Err(
            "missing field `shape`: with `classes` the shape is `pred`'s, [B, C, *spatial] \
             (give `shape`, or `pred` as a file)"
                .into(),
        ),
        _ => Err("missing field `shape`".into()),
    }
}

/// Whether labels of `y` dims look like a class-index map for `pred` dims: the same but
/// without the class axis, or with a class axis of 1 where `pred` has several.
fn looks_like_class_map(y: &[usize], pred: &[usize]) -> bool {
    pred.len() >= 3
        && y.first() == pred.first()
        && ((y.len() + 1 == pred.len() && y[1..] == pred[2..])
            || (y.len() == pred.len() && y[1] == 1 && pred[1] > 1 && y[2..] == pred[2..]))
}

/// The message for labels of the wrong shape, with the likely cause.
fn shape_mismatch(y_file: Option<&Path>, y: &[usize], integer: bool, pred: &Shape) -> String {
    let base = format!(
        "{} has shape {y:?} but `pred` has shape {:?}",
        described("y", y_file),
        pred.dims()
    );
    if !looks_like_class_map(y, pred.dims()) {
        return base;
    }
    format!(
        "{base}: `y` looks like a class-index map ({}one class number per pixel, no class \
         axis); pass --classes {} to one-hot encode it (and --ignore-index K if a label value \
         marks pixels to ignore)",
        if integer { "an integer array, " } else { "" },
        pred.dims()[1]
    )
}

/// The labels as the loss reads them (one-hot from a class-index map), and the mask an
/// ignore index gives: per pixel (batch, 1) for a class map, per entry (batch, classes)
/// otherwise.
fn read_labels(
    doc: &mut Document,
    f: &Files,
    shape: &Shape,
    form: &LabelForm,
) -> Result<(Vec<f64>, Option<Mask>), String> {
    let dims = shape.dims();
    let (bn, cn, pixels) = (dims[0], dims[1], shape.pixels());
    let Some(classes) = form.classes else {
        let mut y = match f.y {
            Some(p) => {
                let h = files::header(p, "y")?;
                if h.dims != dims {
                    return Err(shape_mismatch(Some(p), &h.dims, h.integer, shape));
                }
                files::read(p, "y", shape)?
            }
            None => read_doc_labels(doc, shape)?,
        };
        not_a_class_map(&y, form, f.y)?;
        let mask = form.ignore_index.map(|k| {
            let mut values = vec![1.0; y.len()];
            for (v, m) in y.iter_mut().zip(&mut values) {
                if *v == k {
                    *v = 0.0;
                    *m = 0.0;
                }
            }
            Mask {
                values,
                batch: bn,
                classes: cn,
                before_activation: false,
            }
        });
        return Ok((y, mask));
    };
    if classes != cn {
        return Err(format!(
            "`classes` is {classes} but `pred` has {cn} class{} (shape {dims:?}); a class-index \
             map is one-hot encoded to pred's classes",
            if cn == 1 { "" } else { "es" }
        ));
    }
    let map = match f.y {
        Some(p) => {
            let h = files::header(p, "y")?;
            let with_axis = [&[bn, 1], &dims[2..]].concat();
            let without = [&[bn], &dims[2..]].concat();
            if h.dims != with_axis && h.dims != without {
                return Err(format!(
                    "{} has shape {:?}, but a class-index map for `pred` of shape {dims:?} has \
                     shape {without:?} (or {with_axis:?}): one class number per pixel",
                    described("y", Some(p)),
                    h.dims
                ));
            }
            files::read_dims(p, "y", &h.dims)?
        }
        None => {
            let raw = doc.take("y").ok_or("missing field `y`")?;
            let (data, got) = json::numbers("y", &raw, bn * pixels)?;
            if got != bn * pixels {
                return Err(format!(
                    "`y` has {got} values but a class-index map for shape {dims:?} needs {} \
                     (one class number per pixel)",
                    bn * pixels
                ));
            }
            data
        }
    };
    one_hot(&map, bn, classes, pixels, form.ignore_index, f.y)
}

/// Labels from the document without `classes`, with a hint when their count is one per
/// pixel (a class-index map) rather than one per entry.
fn read_doc_labels(doc: &mut Document, shape: &Shape) -> Result<Vec<f64>, String> {
    let dims = shape.dims();
    let raw = doc.take("y").ok_or("missing field `y`")?;
    let want = shape.values();
    let (data, got) = json::numbers("y", &raw, want)?;
    if got != want {
        let per_pixel = dims[0] * shape.pixels();
        let hint = if got == per_pixel && dims[1] > 1 {
            format!(
                "; that is one number per pixel: if `y` is a class-index map, add \"classes\": {}",
                dims[1]
            )
        } else {
            String::new()
        };
        return Err(DiceError::Length {
            name: "y",
            got,
            want,
            shape: dims.to_vec(),
        }
        .to_string()
            + &hint);
    }
    Ok(data)
}

/// Refuses labels that hold class indices above 1 without `classes`, saying so.
fn not_a_class_map(y: &[f64], form: &LabelForm, file: Option<&Path>) -> Result<(), String> {
    let found = y.iter().enumerate().find(|(_, &v)| {
        v > 1.0 && v.fract() == 0.0 && v.is_finite() && form.ignore_index != Some(v)
    });
    match found {
        Some((i, v)) => Err(format!(
            "{} at index {i} is {v}: labels must lie in [0, 1], and whole numbers above 1 look \
             like class indices; a class-index map has no class axis (one number per pixel) \
             and is read with --classes C",
            described("y", file)
        )),
        None => Ok(()),
    }
}

/// One-hot labels [B, C, pixels] from a map of class indices [B, pixels]
/// ([`arrays::one_hot`]); pixels holding `ignore` get no label and a mask of 0.
fn one_hot(
    map: &[f64],
    bn: usize,
    cn: usize,
    pixels: usize,
    ignore: Option<f64>,
    file: Option<&Path>,
) -> Result<(Vec<f64>, Option<Mask>), String> {
    let (y, mask) = arrays::one_hot(map, bn, cn, pixels, ignore, &described("y", file))?;
    Ok((
        y,
        mask.map(|values| Mask {
            values,
            batch: bn,
            classes: 1,
            before_activation: false,
        }),
    ))
}

/// The labels (`y`, with `classes` and `ignore_index`) and the extras (`mask`,
/// `mask_before_activation`, `sample_weights`) of a document without array files, for a
/// checked `shape` (`dice train`).
pub fn labels_and_extras(doc: &mut Document, shape: &Shape) -> Result<(Vec<f64>, Extras), String> {
    let form = LabelForm {
        classes: doc
            .take("classes")
            .map(|raw| json::count("classes", &raw))
            .transpose()?,
        ignore_index: doc
            .take("ignore_index")
            .map(|raw| whole("ignore_index", &raw))
            .transpose()?,
    };
    let files = Files::default();
    let (y, label_mask) = read_labels(doc, &files, shape, &form)?;
    let extras = read_extras(doc, &files, shape, label_mask)?;
    Ok((y, extras))
}

/// The mask (the document's `mask` or `--mask`, times an ignore index's) and the sample
/// weights.
fn read_extras(
    doc: &mut Document,
    f: &Files,
    shape: &Shape,
    label_mask: Option<Mask>,
) -> Result<Extras, String> {
    let before = doc
        .take("mask_before_activation")
        .map(|raw| json::boolean("mask_before_activation", &raw))
        .transpose()?;
    let given = match f.mask {
        Some(p) => Some(mask_file(p, shape)?),
        None => match doc.take("mask") {
            Some(raw) => Some(mask_values(&raw, shape)?),
            None => None,
        },
    };
    let mut mask = match (given, label_mask) {
        (Some(a), Some(b)) => Some(product(&a, &b, shape)),
        (a, b) => a.or(b),
    };
    match (&mut mask, before) {
        (Some(m), Some(b)) => m.before_activation = b,
        (None, Some(true)) => {
            return Err(
                "`mask_before_activation` needs a mask (`mask`, --mask or an ignore index)".into(),
            )
        }
        _ => {}
    }
    let sample_weights = super::number_list(doc, "sample_weights")?;
    Ok(Extras {
        mask,
        sample_weights,
    })
}

/// A mask from the document: one value per pixel of one image (L), of every image (B·L)
/// or per entry (B·C·L).
fn mask_values(raw: &str, shape: &Shape) -> Result<Mask, String> {
    let dims = shape.dims();
    let (bn, cn, l) = (dims[0], dims[1], shape.pixels());
    let (mut data, got) = json::numbers("mask", raw, bn * cn * l)?;
    if got != bn * cn * l && (got == bn * l || got == l) {
        // `numbers` stores only a list of the length it was asked for.
        data = json::numbers("mask", raw, got)?.0;
    }
    let (batch, classes) = if got == bn * cn * l {
        (bn, cn)
    } else if got == bn * l {
        (bn, 1)
    } else if got == l {
        (1, 1)
    } else {
        return Err(format!(
            "`mask` has {got} values; for shape {dims:?} give one per pixel ({} for all images, \
             or {l} for every image alike) or one per entry ({})",
            bn * l,
            bn * cn * l
        ));
    };
    Ok(Mask {
        values: data,
        batch,
        classes,
        before_activation: false,
    })
}

/// A mask from a file: its dimensions end with the spatial ones, and before them come
/// [B, C], [B, 1], [B], [1, C], [1, 1], [1] or nothing.
fn mask_file(p: &Path, shape: &Shape) -> Result<Mask, String> {
    let dims = shape.dims();
    let (bn, cn) = (dims[0], dims[1]);
    let h = files::header(p, "mask")?;
    let sp = &dims[2..];
    let fits = h.dims.len() >= sp.len() && h.dims[h.dims.len() - sp.len()..] == *sp;
    let lead = if fits {
        &h.dims[..h.dims.len() - sp.len()]
    } else {
        &[][..]
    };
    let (batch, classes) = match (fits, lead) {
        (true, []) | (true, [1]) | (true, [1, 1]) => (1, 1),
        (true, [b]) | (true, [b, 1]) if *b == bn => (bn, 1),
        (true, [1, c]) if *c == cn => (1, cn),
        (true, [b, c]) if *b == bn && *c == cn => (bn, cn),
        _ => {
            return Err(format!(
                "{} has shape {:?}; for `pred` of shape {dims:?} a mask has shape \
                 [B, 1, *spatial] or [B, *spatial] (per pixel), [B, C, *spatial] (per entry) or \
                 [*spatial] (every image alike)",
                described("mask", Some(p)),
                h.dims
            ))
        }
    };
    Ok(Mask {
        values: files::read_dims(p, "mask", &h.dims)?,
        batch,
        classes,
        before_activation: false,
    })
}

/// The product of two masks, on the larger of their shapes.
fn product(a: &Mask, b: &Mask, shape: &Shape) -> Mask {
    let l = shape.pixels();
    let batch = a.batch.max(b.batch);
    let classes = a.classes.max(b.classes);
    let mut values = Vec::with_capacity(batch * classes * l);
    for bi in 0..batch {
        for c in 0..classes {
            for i in 0..l {
                values.push(a.at(bi, c, i, l) * b.at(bi, c, i, l));
            }
        }
    }
    Mask {
        values,
        batch,
        classes,
        before_activation: false,
    }
}
