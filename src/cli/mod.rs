//! The command-line front end of the engine, shared by the `dice` command and the tests.
//!
//! Input and output formats are those of the README ("Command line"). Every command
//! reads one [`json::Document`] (and, natively, command-line flags and array files):
//! the settings and tensors that all commands share are read here ([`read_settings`],
//! [`read_shape`], [`read_array`]); a command takes its own extra fields from the same
//! document, and a field nobody took is refused as unknown ([`refuse_unknown`], with the
//! nearest known name: a mistyped option must not silently compute another loss). `eval` lives in
//! [`eval`]; the command line itself (arguments, files, exit codes) in `run`.

// In wasm (the experiment worker) only what `experiment` reads: no array files.
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
pub mod experiment;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
pub mod json;
pub mod optimizer;
#[cfg(not(target_arch = "wasm32"))]
pub mod progress;
#[cfg(not(target_arch = "wasm32"))]
pub mod run;
#[cfg(not(target_arch = "wasm32"))]
pub mod summary;
#[cfg(not(target_arch = "wasm32"))]
pub mod tensors;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;

use ndarray::Array4;

use crate::engine::activation::Activation;
use crate::engine::error::DiceError;
use crate::engine::loss::ClassEps;
use crate::engine::loss::DiceSettings;
use crate::engine::objective::Objective;
use crate::engine::options::{ClassWeighting, ClassWeights, LossOptions};
use crate::engine::phi::Phi;
use crate::engine::presets::objective_preset;
use crate::engine::shape::Shape;
use crate::engine::variants::Variant;
use json::Document;

#[cfg(not(target_arch = "wasm32"))]
pub use eval::{eval_str, to_json};

/// The tensor fields every command reads; with [`SETTINGS_FIELDS`], the fields of
/// [`is_field`]. Beside `shape`, `y` and `pred`: a pixel mask and what to do with it,
/// Keras' per-image sample weights, and a class-index label map's class count and ignore
/// index (the data that follows the images, not the loss's settings).
pub const TENSOR_FIELDS: [&str; 8] = [
    "shape",
    "y",
    "pred",
    "mask",
    "mask_before_activation",
    "sample_weights",
    "classes",
    "ignore_index",
];

/// Whether every command reads this field (settings and tensors); any other is refused
/// unless the command reads it ([`refuse_unknown`]).
pub fn is_field(name: &str) -> bool {
    TENSOR_FIELDS.contains(&name) || SETTINGS_FIELDS.contains(&name)
}

/// The settings fields every command reads (the loss fields of [`LOSS_OPTION_FIELDS`]
/// included).
pub const SETTINGS_FIELDS: [&str; 24] = [
    "variant",
    "missing",
    "phi",
    "eps_nr",
    "eps_dr",
    "squared",
    "jaccard",
    "include_background",
    "activation",
    "preset",
    "denominator_floor",
    "zero_empty_sets",
    "ce_weight",
    "dice_weight",
    "class_weights",
    "class_weighting",
    "soft_label",
    "tversky_alpha",
    "tversky_beta",
    "focal_gamma",
    "log_loss",
    "log_loss_eps",
    "class_subset",
    "infer_missing",
];

/// The fields of the peer libraries' options (`engine::options`), part of the loss.
pub const LOSS_OPTION_FIELDS: [&str; 10] = [
    "class_weights",
    "class_weighting",
    "soft_label",
    "tversky_alpha",
    "tversky_beta",
    "focal_gamma",
    "log_loss",
    "log_loss_eps",
    "class_subset",
    "infer_missing",
];

/// A message line is cut to this many characters (a last guard for messages of other
/// crates, which may echo their input).
pub const MAX_MESSAGE_CHARS: usize = 400;

/// User input as it is echoed in messages ([`crate::engine::arrays::excerpt`]).
pub use crate::engine::arrays::excerpt;

/// A message as one line of bounded length.
pub fn one_line(msg: &str) -> String {
    let line: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let n = line.chars().count();
    if n <= MAX_MESSAGE_CHARS {
        return line;
    }
    // Keep the start (what went wrong) and the end (serde_json's position).
    let head: String = line.chars().take(MAX_MESSAGE_CHARS - 60).collect();
    let tail: String = line.chars().skip(n - 50).collect();
    format!("{head} … {tail}")
}

/// Names other libraries give these settings, and the field meant here (`eps`: both ε,
/// which `--eps` sets on the command line).
const OTHER_NAMES: [(&str, &str); 20] = [
    ("smooth_nr", "eps_nr"),
    ("smooth_dr", "eps_dr"),
    ("smooth", "eps"),
    ("epsilon", "eps"),
    ("eps", "eps"),
    ("squared_pred", "squared"),
    ("batch", "phi"),
    ("batch_dice", "phi"),
    ("do_bg", "include_background"),
    ("sigmoid", "activation"),
    ("softmax", "activation"),
    ("from_logits", "activation"),
    ("weight", "class_weights"),
    ("average", "class_weighting"),
    ("alpha", "tversky_alpha"),
    ("beta", "tversky_beta"),
    ("gamma", "focal_gamma"),
    ("sample_weight", "sample_weights"),
    ("num_classes", "classes"),
    ("to_onehot_y", "classes"),
];

/// The known name `name` most likely stands for: another library's name for it
/// ([`OTHER_NAMES`]; `eps`, both ε, when `eps_nr` is known), else the nearest of `known`
/// within a typo or two (optimal string alignment, so `sqaured` is one typo from
/// `squared`; case and `-`/`_` ignored). `None` when nothing is that close.
pub fn nearest_name<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let name = norm(name);
    if let Some(&(_, meant)) = OTHER_NAMES.iter().find(|(other, _)| *other == name) {
        let target = if meant == "eps" && !known.contains(&"eps") {
            "eps_nr"
        } else {
            meant
        };
        if let Some(k) = known.iter().find(|k| **k == target) {
            return Some(if meant == "eps" { "eps" } else { k });
        }
    }
    let len = name.chars().count();
    // Short names allow one typo: two would turn "case" into "mask".
    let allowed = match len {
        0..=4 => 1,
        5..=9 => 2,
        _ => 3,
    };
    known
        .iter()
        // The distance is at least the difference in length: a long name is far from all.
        .filter(|k| k.len().abs_diff(len) <= allowed)
        .map(|k| (strsim::osa_distance(&name, &norm(k)), *k))
        .filter(|&(d, _)| d <= allowed)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Refuses `doc` if a field is left that no command reads and `extra` (the command's
/// own fields) does not name: "unknown field "include_backgroud"; did you mean
/// `include_background`?", or the known fields when none is near. The name is echoed as
/// a short excerpt.
pub fn refuse_unknown(doc: &Document, extra: &[&str]) -> Result<(), String> {
    let unknown: Vec<&str> = doc
        .remaining()
        .filter(|k| !is_field(k) && !extra.contains(k))
        .collect();
    let Some(first) = unknown.first() else {
        return Ok(());
    };
    let known: Vec<&str> = TENSOR_FIELDS
        .iter()
        .chain(SETTINGS_FIELDS.iter())
        .chain(extra.iter())
        .copied()
        .collect();
    let more = match unknown.len() {
        1 => String::new(),
        n => format!(
            " (and {} more unknown field{})",
            n - 1,
            if n > 2 { "s" } else { "" }
        ),
    };
    let hint = match nearest_name(first, &known) {
        Some("eps") => "; did you mean `eps_nr` and `eps_dr`?".to_string(),
        Some(k) => format!("; did you mean `{k}`?"),
        None => {
            // The main fields by name, the rest by kind: the line stays readable.
            let main: Vec<&str> = known
                .iter()
                .copied()
                .filter(|k| !LOSS_OPTION_FIELDS.contains(k) && !TENSOR_FIELDS[3..].contains(k))
                .collect();
            format!(
                "; the fields are {}, the data fields mask, classes, ignore_index, \
                 sample_weights and the options of the README's field table",
                main.join(", ")
            )
        }
    };
    Err(format!("unknown field {}{more}{hint}", excerpt(first)))
}

/// The activation a `preset` applies to `pred`, when the input does not state one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImpliedActivation {
    pub preset: &'static str,
    pub activation: Activation,
}

/// Refuses a `pred` that looks like probabilities (every value in [0, 1]) when a preset,
/// not the input, chose an activation that reads it as logits: the README's recipes save
/// probabilities, and a softmax applied to them is another loss, computed silently. An
/// activation the input states is never second-guessed.
pub fn refuse_implied_activation(
    implied: Option<ImpliedActivation>,
    pred: &[f64],
) -> Result<(), String> {
    let Some(ImpliedActivation { preset, activation }) = implied else {
        return Ok(());
    };
    if pred.is_empty() || !pred.iter().all(|v| (0.0..=1.0).contains(v)) {
        return Ok(());
    }
    let act = activation.code();
    Err(format!(
        "preset {preset} applies a {act} to `pred`, reading it as logits, but every value of `pred` lies in [0, 1] like probabilities: if `pred` holds probabilities, pass --activation none (\"activation\": \"none\"); if it holds logits, pass --activation {act} to say so"
    ))
}

fn preset_names() -> String {
    crate::engine::presets::preset_names()
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes the settings fields from `doc` for a loss of the Dice alone with one ε; refuses
/// per-class ε and a cross-entropy (see [`read_objective`]).
pub fn read_settings(doc: &mut Document) -> Result<DiceSettings, String> {
    let (o, _) = read_objective(doc)?;
    if o.class_eps.is_some() || !o.is_plain_dice() {
        return Err("per-class ε and the cross-entropy need the objective reader".into());
    }
    Ok(o.dice)
}

/// Takes the loss fields from `doc`: a `preset` first (a Dice preset or a Dice +
/// cross-entropy one), then each field over it. `eps_nr` and `eps_dr` may each be one
/// number or a list of one number per class. Also returns the activation the preset
/// applies to `pred` if the document does not state one (for
/// [`refuse_implied_activation`]).
pub fn read_objective(
    doc: &mut Document,
) -> Result<(Objective, Option<ImpliedActivation>), String> {
    read_objective_over(Objective::default(), doc)
}

/// [`read_objective`] starting from `base` instead of `dice eval`'s defaults (a `preset`
/// replaces it).
pub fn read_objective_over(
    base: Objective,
    doc: &mut Document,
) -> Result<(Objective, Option<ImpliedActivation>), String> {
    let stated = doc.has("activation");
    let (mut o, implied) = match doc.take("preset") {
        None => (base, None),
        Some(raw) => {
            let name = json::string("preset", &raw)?;
            let unknown = || {
                format!(
                    "unknown preset {}; known: {}",
                    excerpt(&name),
                    preset_names()
                )
            };
            let o = objective_preset(&name).ok_or_else(unknown)?;
            let preset = crate::engine::presets::preset_names()
                .find(|p| p.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(unknown)?;
            let activation = o.dice.activation;
            let implied = (!stated && activation != Activation::None)
                .then_some(ImpliedActivation { preset, activation });
            (o, implied)
        }
    };
    let nr = read_eps(doc, "eps_nr")?;
    let dr = read_eps(doc, "eps_dr")?;
    read_dice_fields(&mut o.dice, doc)?;
    for (field, value) in [(&mut o.dice.eps_nr, &nr), (&mut o.dice.eps_dr, &dr)] {
        if let Some(Eps::One(v)) = value {
            *field = *v;
        }
    }
    let per_class = |e: Option<Eps>, scalar: f64, n: usize| match e {
        Some(Eps::PerClass(list)) => list,
        _ => vec![scalar; n],
    };
    let n = [&nr, &dr].iter().find_map(|e| match e {
        Some(Eps::PerClass(list)) => Some(list.len()),
        _ => None,
    });
    if let Some(n) = n {
        o.class_eps = Some(ClassEps {
            nr: per_class(nr, o.dice.eps_nr, n),
            dr: per_class(dr, o.dice.eps_dr, n),
        });
    }
    for (name, field) in [
        ("ce_weight", &mut o.ce_weight),
        ("dice_weight", &mut o.dice_weight),
    ] {
        if let Some(raw) = doc.take(name) {
            *field = json::number(name, &raw)?;
        }
    }
    read_loss_options(&mut o.options, doc)?;
    Ok((o, implied))
}

/// A JSON list of numbers (each checked as a top-level number is).
pub(crate) fn number_list(
    doc: &mut Document,
    name: &'static str,
) -> Result<Option<Vec<f64>>, String> {
    let Some(raw) = doc.take(name) else {
        return Ok(None);
    };
    if !raw.trim_start().starts_with('[') {
        return Err(format!(
            "`{name}` must be a list of numbers, got {}",
            excerpt(raw.trim())
        ));
    }
    let mut list = Vec::new();
    json::for_each_number(name, &raw, |i, literal| {
        list.push(json::number_literal(literal).map_err(|e| format!("`{name}`[{i}]: {e}"))?);
        Ok(())
    })?;
    Ok(Some(list))
}

/// Takes the fields of [`LOSS_OPTION_FIELDS`] from `doc` into `o` (over a preset's).
fn read_loss_options(o: &mut LossOptions, doc: &mut Document) -> Result<(), String> {
    for (name, field) in [
        ("soft_label", &mut o.soft_label),
        ("infer_missing", &mut o.infer_missing),
    ] {
        if let Some(raw) = doc.take(name) {
            *field = json::boolean(name, &raw)?;
        }
    }
    let alpha = doc.take("tversky_alpha");
    let beta = doc.take("tversky_beta");
    if alpha.is_some() || beta.is_some() {
        let (mut a, mut b) = o.tversky.unwrap_or((0.5, 0.5));
        if let Some(raw) = alpha {
            a = json::number("tversky_alpha", &raw)?;
        }
        if let Some(raw) = beta {
            b = json::number("tversky_beta", &raw)?;
        }
        o.tversky = Some((a, b));
    }
    if let Some(raw) = doc.take("focal_gamma") {
        o.focal_gamma = json::number("focal_gamma", &raw)?;
    }
    let log_eps = doc.take("log_loss_eps");
    if let Some(raw) = doc.take("log_loss") {
        o.log_loss = json::boolean("log_loss", &raw)?.then_some(o.log_loss.unwrap_or(1e-7));
    }
    if let Some(raw) = log_eps {
        let eps = json::number("log_loss_eps", &raw)?;
        if o.log_loss.is_none() {
            return Err(
                "`log_loss_eps` is the clamp of smp's log loss: it needs \"log_loss\": true".into(),
            );
        }
        o.log_loss = Some(eps);
    }
    let weights = number_list(doc, "class_weights")?;
    let mode = match doc.take("class_weighting") {
        None => None,
        Some(raw) => {
            let text = json::string("class_weighting", &raw)?;
            Some(ClassWeighting::parse(&text).ok_or_else(|| {
                format!(
                    "unknown class_weighting {}; use \"term\" (MONAI weight), \"mean\" (smp class_weights), \"micro\" or \"macro\" (kornia average)",
                    excerpt(&text)
                )
            })?)
        }
    };
    if weights.is_some() || mode.is_some() {
        let before = o.class_weights.take();
        o.class_weights = Some(ClassWeights {
            // No list: every class weighs 1 (kornia's average without a weight).
            weights: weights
                .or_else(|| before.as_ref().map(|w| w.weights.clone()))
                .unwrap_or_default(),
            mode: mode.or_else(|| before.map(|w| w.mode)).unwrap_or_default(),
        });
    }
    if let Some(raw) = doc.take("class_subset") {
        let list: Vec<usize> = serde_json::from_str(&raw).map_err(|_| {
            format!(
                "`class_subset` must be a list of class indices (whole numbers ≥ 0), got {}",
                excerpt(raw.trim())
            )
        })?;
        o.class_subset = Some(list);
    }
    Ok(())
}

/// An ε field: one number, or one per class.
enum Eps {
    One(f64),
    PerClass(Vec<f64>),
}

fn read_eps(doc: &mut Document, name: &'static str) -> Result<Option<Eps>, String> {
    let Some(raw) = doc.take(name) else {
        return Ok(None);
    };
    if !raw.trim_start().starts_with('[') {
        return json::number(name, &raw).map(|v| Some(Eps::One(v)));
    }
    let mut list = Vec::new();
    json::for_each_number(name, &raw, |i, literal| {
        let v = json::number_literal(literal).map_err(|e| format!("`{name}`[{i}]: {e}"))?;
        list.push(v);
        Ok(())
    })?;
    if list.is_empty() {
        return Err(format!(
            "`{name}` is an empty list; give one number, or one per class"
        ));
    }
    Ok(Some(Eps::PerClass(list)))
}

/// Takes the Dice's own fields (not the preset, not ε) from `doc` into `s`.
fn read_dice_fields(s: &mut DiceSettings, doc: &mut Document) -> Result<(), String> {
    // A named choice: the field's string, one of the names `parse` knows.
    fn choice<T>(
        doc: &mut Document,
        field: &str,
        parse: fn(&str) -> Option<T>,
        names: &str,
    ) -> Result<Option<T>, String> {
        let Some(raw) = doc.take(field) else {
            return Ok(None);
        };
        let text = json::string(field, &raw)?;
        parse(&text)
            .map(Some)
            .ok_or_else(|| format!("unknown {field} {}; use {names}", excerpt(&text)))
    }
    if let Some(p) = choice(doc, "phi", Phi::parse, "\"I\", \"CI\", \"BI\" or \"BCI\"")? {
        s.phi = p;
    }
    if let Some(v) = choice(
        doc,
        "variant",
        Variant::parse,
        "\"dice\", \"leaf\" or \"marginal\"",
    )? {
        s.variant = v;
    }
    if let Some(a) = choice(
        doc,
        "activation",
        Activation::parse,
        "\"none\", \"sigmoid\" or \"softmax\"",
    )? {
        s.activation = a;
    }
    if let Some(raw) = doc.take("denominator_floor") {
        s.denominator_floor = json::number("denominator_floor", &raw)?;
    }
    for (name, field) in [
        ("squared", &mut s.squared),
        ("jaccard", &mut s.jaccard),
        ("include_background", &mut s.include_background),
        ("zero_empty_sets", &mut s.zero_empty_sets),
    ] {
        if let Some(raw) = doc.take(name) {
            *field = json::boolean(name, &raw)?;
        }
    }
    Ok(())
}

/// Takes `missing` from `doc`: the `[[b, c], …]` cells whose labels are missing, for the
/// leaf and marginal Dice (the engine checks them against the shape).
pub fn read_missing(doc: &mut Document) -> Result<Vec<(usize, usize)>, String> {
    let Some(raw) = doc.take("missing") else {
        return Ok(Vec::new());
    };
    let cells: Vec<[usize; 2]> = serde_json::from_str(&raw).map_err(|_| {
        format!(
            "`missing` must be a list of [b, c] pairs of whole numbers, got {}",
            excerpt(&raw)
        )
    })?;
    Ok(cells.into_iter().map(|[b, c]| (b, c)).collect())
}

/// Takes `shape` from `doc` and checks it, before any array is read.
pub fn read_shape(doc: &mut Document) -> Result<Option<Shape>, String> {
    let Some(raw) = doc.take("shape") else {
        return Ok(None);
    };
    // A shape has at most 5 entries: store no more than that, only count the rest.
    let mut dims = Vec::new();
    let n = json::for_each_number("shape", &raw, |i, literal| {
        if i < 6 {
            dims.push(json::count("shape", literal).map_err(|_| {
                format!(
                    "`shape`[{i}] must be a whole number ≥ 0, got {}",
                    excerpt(literal)
                )
            })?);
        }
        Ok(())
    })?;
    if n != dims.len() {
        return Err(DiceError::ShapeRank(n).to_string());
    }
    Shape::new(&dims).map(Some).map_err(|e| e.to_string())
}

/// Takes the flat array `name` from `doc`; it must have `shape.values()` numbers.
pub fn read_array(
    doc: &mut Document,
    name: &'static str,
    shape: &Shape,
) -> Result<Vec<f64>, String> {
    let raw = doc
        .take(name)
        .ok_or_else(|| format!("missing field `{name}`"))?;
    let want = shape.values();
    let (data, got) = json::numbers(name, &raw, want)?;
    if got != want {
        return Err(DiceError::Length {
            name,
            got,
            want,
            shape: shape.dims().to_vec(),
        }
        .to_string());
    }
    Ok(data)
}

/// Builds a tensor from a flat row-major vector, checking the length: `[B, C, H, W]`
/// gives that 4-D array; `[B, C, *spatial]` with 1 or 3 spatial dimensions gives the
/// engine's `(B, C, 1, L)` view (see `engine::shape`).
pub fn tensor(
    name: &'static str,
    shape: &[usize],
    data: Vec<f64>,
) -> Result<Array4<f64>, DiceError> {
    let checked = Shape::new(shape)?;
    let want = checked.values();
    if data.len() != want {
        return Err(DiceError::Length {
            name,
            got: data.len(),
            want,
            shape: shape.to_vec(),
        });
    }
    let dim = match *shape {
        [b, c, h, w] => (b, c, h, w),
        _ => checked.engine_dim(),
    };
    Array4::from_shape_vec(dim, data).map_err(|_| DiceError::ShapeTooLarge(shape.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_quoted_and_one_line() {
        assert_eq!(excerpt("XY"), "\"XY\"");
        let long = "a\n".repeat(1_000_000);
        let e = excerpt(&long);
        assert!(
            e.len() < 80 && !e.contains('\n') && e.contains("2000000 characters"),
            "{e}"
        );
        let m = one_line(&format!("bad {}\n at line 1 column 9", "x".repeat(10_000)));
        assert!(
            m.chars().count() <= MAX_MESSAGE_CHARS && !m.contains('\n'),
            "{m}"
        );
        assert!(
            m.starts_with("bad x") && m.ends_with("at line 1 column 9"),
            "{m}"
        );
    }

    #[test]
    fn shapes_are_checked_before_any_array_is_read() {
        let mut doc = Document::parse(r#"{"y":[1,2,3],"shape":[1,1,2,2,2,2,2]}"#).unwrap();
        let e = read_shape(&mut doc).unwrap_err();
        assert!(e.contains("got 7 numbers"), "{e}");
        assert!(doc.has("y"), "y was not touched");
        for (shape, needle) in [
            ("[1,1,2.5]", "`shape`[2] must be a whole number"),
            ("[1,-1,2]", "`shape`[1] must be a whole number"),
            ("[1,1]", "got 2 numbers"),
            ("[1,0,3]", "at least 1"),
            ("[99999999999,99999999999,99999999999]", "too large"),
            ("\"1x1x2\"", "array of numbers"),
        ] {
            let text = format!(r#"{{"shape":{shape}}}"#);
            let mut doc = Document::parse(&text).unwrap();
            let e = read_shape(&mut doc).unwrap_err();
            assert!(e.contains(needle), "{shape}: {e}");
        }
        let mut doc = Document::parse(r#"{"shape":[2,1,3,4,5]}"#).unwrap();
        let s = read_shape(&mut doc).unwrap().unwrap();
        assert_eq!((s.values(), s.engine_dim()), (120, (2, 1, 1, 60)));
    }

    #[test]
    fn tensor_keeps_four_dimensions_and_views_others_as_b_c_1_l() {
        let t = tensor("y", &[1, 2, 3, 4], vec![0.0; 24]).unwrap();
        assert_eq!(t.dim(), (1, 2, 3, 4));
        let t = tensor("y", &[1, 2, 2, 3, 4], (0..48).map(f64::from).collect()).unwrap();
        assert_eq!(t.dim(), (1, 2, 1, 24));
        assert_eq!(t[[0, 1, 0, 0]], 24.0);
        assert!(matches!(
            tensor("y", &[1, 2, 3], vec![0.0; 5]),
            Err(DiceError::Length {
                got: 5,
                want: 6,
                ..
            })
        ));
    }
}
