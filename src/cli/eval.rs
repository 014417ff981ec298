//! `dice eval`: settings and tensors in, the loss, its gradients and the per-set reports
//! out.
//!
//! The output is written straight from the [`Evaluation`] ([`EvalOutput::write_to`]): the
//! binary streams it to stdout without building a JSON tree, and [`eval_str`] reads the
//! same text back into a `serde_json::Value`, so the two can never disagree.

use std::io::{self, Write};

use ndarray::ArrayView4;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::Value;

use super::json::Document;
pub use super::tensors::Tensors;
use super::{read_objective, refuse_implied_activation, refuse_unknown};
use crate::engine::loss::{Evaluation, SetReport, Terms};
use crate::engine::objective::Objective;
use crate::engine::options::OptionsReport;

/// What `dice eval` prints for an evaluation made with `objective`.
pub fn output<'a, 'b>(e: &'a Evaluation<'b>, objective: &Objective) -> EvalOutput<'a, 'b> {
    EvalOutput {
        e,
        loss_range_warning: Some(objective.loss_range_warning(e.cell_set.dim().1)),
        arrays: true,
    }
}

/// The output object of one evaluation, its keys in reading order: the loss and what
/// qualifies it first, then the per-set table, the terms, and the per-pixel arrays last.
pub struct EvalOutput<'a, 'b> {
    e: &'a Evaluation<'b>,
    /// `None`: the field is left out (as [`to_json`] does, which has no settings).
    loss_range_warning: Option<Option<String>>,
    /// Whether `grad` and `grad_prob` are written (not when they go to a file).
    pub arrays: bool,
}

impl EvalOutput<'_, '_> {
    /// Writes the object as one line of JSON (without the newline), streamed: no JSON
    /// tree is built. Keys: `loss`, `loss_range_warning`, `undefined`, `options` (with the
    /// peer libraries' options), `sets`, `terms` (Dice + CE), `grad`, `grad_prob`.
    pub fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        fn value(w: &mut dyn Write, key: &str, v: &impl Serialize) -> io::Result<()> {
            write!(w, ",\"{key}\":")?;
            serde_json::to_writer(&mut *w, v).map_err(io::Error::from)
        }
        let e = self.e;
        w.write_all(b"{\"loss\":")?;
        serde_json::to_writer(&mut *w, &e.loss).map_err(io::Error::from)?;
        if let Some(warning) = &self.loss_range_warning {
            value(w, "loss_range_warning", warning)?;
        }
        value(w, "undefined", &e.undefined_reasons())?;
        if let Some(o) = &e.options {
            value(w, "options", &OptionsJson(o))?;
        }
        let weights = e.options.as_ref().map(|o| o.set_weights.as_slice());
        value(w, "sets", &Sets(&e.sets, weights))?;
        if let Some(t) = &e.terms {
            value(w, "terms", &TermsJson(t))?;
        }
        if self.arrays {
            self.write_arrays(w)?;
        }
        w.write_all(b"}")
    }

    /// `grad` and `grad_prob`, each formatted once where it can be.
    fn write_arrays(&self, w: &mut dyn Write) -> io::Result<()> {
        let e = self.e;
        let grad = WithNulls(e.grad().view(), &e.grad_undefined);
        let grad_prob = WithNulls(e.grad_prob.view(), &e.grad_prob_undefined);
        w.write_all(b",\"grad\":")?;
        if std::ptr::eq(e.grad(), &e.grad_prob) && e.grad_prob.len() <= SHARED_TEXT_VALUES {
            // No activation: both fields hold the same numbers, so they are formatted
            // once (formatting is most of the cost of writing a large output); a large
            // array is formatted twice instead, so its text never sits in memory.
            let text = serde_json::to_vec(&grad_prob).map_err(io::Error::from)?;
            w.write_all(&text)?;
            w.write_all(b",\"grad_prob\":")?;
            w.write_all(&text)
        } else {
            serde_json::to_writer(&mut *w, &grad).map_err(io::Error::from)?;
            w.write_all(b",\"grad_prob\":")?;
            serde_json::to_writer(&mut *w, &grad_prob).map_err(io::Error::from)
        }
    }

    /// The same object as a `serde_json::Value` (whose keys print in sorted order).
    pub fn to_value(&self) -> Value {
        let mut text = Vec::new();
        self.write_to(&mut text)
            .expect("writing to memory succeeds");
        serde_json::from_slice(&text).expect("the output is valid JSON")
    }
}

/// `{"loss_before_power", "focal_gamma", "constant", "inferred_missing"}`: what the
/// options add (the set weights are in `sets`).
struct OptionsJson<'a>(&'a OptionsReport);

impl Serialize for OptionsJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("loss_before_power", &o.loss_before_power)?;
        m.serialize_entry("focal_gamma", &o.focal_gamma)?;
        m.serialize_entry("constant", &o.constant)?;
        let cells: Vec<[usize; 2]> = o.inferred_missing.iter().map(|&(b, c)| [b, c]).collect();
        m.serialize_entry("inferred_missing", &cells)?;
        m.end()
    }
}

/// Up to this many values, a gradient written twice (`grad` and `grad_prob` without an
/// activation) is formatted once and its text kept (about 5 MB at most).
const SHARED_TEXT_VALUES: usize = 1 << 18;

/// A flat array with `null` wherever the per-cell flag says "undefined".
struct WithNulls<'a>(ArrayView4<'a, f64>, &'a ndarray::Array2<bool>);

impl Serialize for WithNulls<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (a, undefined) = (self.0, self.1);
        let mut seq = ser.serialize_seq(Some(a.len()))?;
        for ((b, c), &u) in undefined.indexed_iter() {
            let cell = a.slice(ndarray::s![b, c, .., ..]);
            for &v in cell.iter() {
                // serde_json writes a non-finite f64 as null; the engine gives none.
                if u {
                    seq.serialize_element(&None::<f64>)?;
                } else {
                    seq.serialize_element(&v)?;
                }
            }
        }
        seq.end()
    }
}

/// `{"ce": {"grad", "loss", "weight"}, "dice": {…}}`: each term unweighted, its gradient
/// w.r.t. `pred` (null where undefined); `ce` is null when its weight is 0.
struct TermsJson<'a>(&'a Terms);

impl Serialize for TermsJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        struct Term<'a> {
            grad: WithNulls<'a>,
            loss: Option<f64>,
            weight: f64,
        }
        impl Serialize for Term<'_> {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                let mut m = ser.serialize_map(Some(3))?;
                m.serialize_entry("loss", &self.loss)?;
                m.serialize_entry("weight", &self.weight)?;
                m.serialize_entry("grad", &self.grad)?;
                m.end()
            }
        }
        let t = self.0;
        let none = ndarray::Array2::from_elem(t.dice_grad_undefined.raw_dim(), false);
        let mut m = ser.serialize_map(Some(2))?;
        let ce = t.ce_grad.as_ref().map(|g| Term {
            grad: WithNulls(g.view(), &none),
            loss: t.ce,
            weight: t.ce_weight,
        });
        m.serialize_entry(
            "dice",
            &Term {
                grad: WithNulls(t.dice_grad.view(), &t.dice_grad_undefined),
                loss: t.dice,
                weight: t.dice_weight,
            },
        )?;
        m.serialize_entry("ce", &ce)?;
        m.end()
    }
}

/// The sets, with each one's weight in the loss when the options give them weights.
struct Sets<'a>(&'a [SetReport], Option<&'a [f64]>);

impl Serialize for Sets<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(self.0.len()))?;
        for (i, s) in self.0.iter().enumerate() {
            seq.serialize_element(&SetJson(s, self.1.map(|w| w[i])))?;
        }
        seq.end()
    }
}

struct SetJson<'a>(&'a SetReport, Option<f64>);

impl Serialize for SetJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let s = self.0;
        let mut m = ser.serialize_map(None)?;
        let cells: Vec<[usize; 2]> = s.cells.iter().map(|&(b, c)| [b, c]).collect();
        m.serialize_entry("cells", &cells)?;
        m.serialize_entry("sdsc", &s.sdsc)?;
        m.serialize_entry("term", &s.term)?;
        if let Some(weight) = self.1 {
            m.serialize_entry("weight", &weight)?;
        }
        m.serialize_entry("v", &s.v)?;
        m.serialize_entry("v_pred", &s.v_pred)?;
        m.serialize_entry("x", &s.x)?;
        m.serialize_entry("numerator", &s.numerator)?;
        m.serialize_entry("denominator", &s.denominator)?;
        m.serialize_entry("grad_fg", &s.grad_fg)?;
        m.serialize_entry("grad_bg", &s.grad_bg)?;
        m.serialize_entry("undefined", &s.undefined.map(|u| u.explain()))?;
        m.end()
    }
}

/// The output object for one evaluation, without the fields that need the settings
/// (`loss_range_warning`).
pub fn to_json(e: &Evaluation) -> Value {
    EvalOutput {
        e,
        loss_range_warning: None,
        arrays: true,
    }
    .to_value()
}

/// Reads the objective and tensors of `dice eval` from `doc`, and refuses fields nobody
/// reads and probabilities a preset's activation would read as logits.
pub fn read_input(doc: &mut Document) -> Result<(Objective, Tensors), String> {
    let (settings, implied) = read_objective(doc)?;
    let tensors = Tensors::from_document(doc)?;
    refuse_unknown(doc, &[])?;
    refuse_implied_activation(implied, &tensors.pred)?;
    Ok((settings, tensors))
}

/// `dice eval ARGS…`: reads the input (refusing unknown fields), evaluates and streams
/// the output: the JSON object, with `--grad FILE` the gradient in an array file instead
/// of the JSON, with `--summary` a summary in words.
#[cfg(not(target_arch = "wasm32"))]
pub fn command(
    args: &[std::ffi::OsString],
    io: &mut super::run::Io,
) -> Result<(), super::run::Failure> {
    use super::run::{write_output, CommandLine};
    let cl = CommandLine::parse(args, &[])?;
    let (settings, tensors) = cl.with_document(&mut *io.stdin, |doc| {
        let (settings, implied) = read_objective(doc)?;
        let tensors = cl.read_tensors(doc)?;
        refuse_unknown(doc, &[])?;
        refuse_implied_activation(implied, &tensors.pred)?;
        Ok((settings, tensors))
    })?;
    let e = tensors.evaluate(&settings)?;
    if let Some(path) = &cl.grad {
        write_gradient(path, &tensors, &e)?;
    }
    if cl.summary {
        let text = summary_of(&e, &settings, &tensors);
        return write_output(io, |w| w.write_all(text.trim_end().as_bytes()));
    }
    write_output(io, |w| {
        let mut out = output(&e, &settings);
        out.arrays = cl.grad.is_none();
        out.write_to(w)
    })
}

/// The summary in words of an evaluation of `tensors`.
pub fn summary_of(e: &Evaluation, o: &Objective, tensors: &Tensors) -> String {
    let mut y = ndarray::Array4::from_shape_vec(e.prob.raw_dim(), tensors.y.clone())
        .expect("the labels have the evaluation's shape");
    if let Some(m) = &tensors.extras.mask {
        let (_, _, h, w) = y.dim();
        for ((b, c, i, j), v) in y.indexed_iter_mut() {
            if m.at(b, c, i * w + j, h * w) == 0.0 {
                *v = f64::NAN;
            }
        }
    }
    super::summary::summary(e, o, y.view(), &tensors.missing, &tensors.extras)
}

/// `--grad FILE`: ∂loss/∂pred in the input's layout (`[B, C, *spatial]`, float64, NaN
/// where the JSON would say null) as a `.npy`; a `.npz` holds `grad` and `grad_prob`.
#[cfg(not(target_arch = "wasm32"))]
fn write_gradient(path: &std::path::Path, t: &Tensors, e: &Evaluation) -> Result<(), String> {
    let with_nan = |a: &ndarray::Array4<f64>, undefined: &ndarray::Array2<bool>| {
        let mut out = a.as_standard_layout().into_owned();
        for ((b, c), &u) in undefined.indexed_iter() {
            if u {
                out.slice_mut(ndarray::s![b, c, .., ..]).fill(f64::NAN);
            }
        }
        out.into_raw_vec_and_offset().0
    };
    let grad = with_nan(e.grad(), &e.grad_undefined);
    let grad_prob = with_nan(&e.grad_prob, &e.grad_prob_undefined);
    super::files::write_arrays(
        path,
        t.shape.dims(),
        &[("grad", &grad), ("grad_prob", &grad_prob)],
    )
}

/// Evaluates one JSON input document; the error is a one-line message.
pub fn eval_str(input: &str) -> Result<Value, String> {
    let mut doc = Document::parse(input)?;
    let (settings, tensors) = read_input(&mut doc)?;
    let e = tensors.evaluate(&settings)?;
    Ok(output(&e, &settings).to_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_monai_and_output_has_every_field() {
        let out = eval_str(r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,0.5]}"#).unwrap();
        // V = 1, Ṽ = 1, X = 0.5: sDSC = (1 + 1e-5)/(2 + 1e-5).
        let s = (1.0 + 1e-5) / (2.0 + 1e-5);
        assert_eq!(out["loss"].as_f64().unwrap(), 1.0 - s);
        assert_eq!(out["sets"][0]["cells"], json!([[0, 0]]));
        assert_eq!(out["grad"].as_array().unwrap().len(), 2);
        assert!(out["undefined"].as_array().unwrap().is_empty());
        assert!(out["loss_range_warning"].is_null());
    }

    #[test]
    fn streamed_output_equals_the_value() {
        let doc = r#"{"shape":[2,1,1,2],"y":[1,0,0,0],"pred":[1,0,0,0],"eps_nr":0,"eps_dr":0}"#;
        let mut d = Document::parse(doc).unwrap();
        let (s, t) = read_input(&mut d).unwrap();
        let e = t.evaluate(&s).unwrap();
        let mut streamed = Vec::new();
        output(&e, &s).write_to(&mut streamed).unwrap();
        let streamed = String::from_utf8(streamed).unwrap();
        let parsed: Value = serde_json::from_str(&streamed).unwrap();
        assert_eq!(parsed, eval_str(doc).unwrap());
        // Reading order: the loss and the sets first, the per-pixel arrays last.
        let at = |key: &str| streamed.find(&format!("\"{key}\":")).unwrap();
        assert_eq!(at("loss"), 1);
        assert!(at("loss") < at("undefined") && at("undefined") < at("sets"));
        assert!(at("sets") < at("grad") && at("grad") < at("grad_prob"));
        assert!(at("sdsc") < at("v") && at("term") < at("numerator"));
        // to_json is the same without the settings' field.
        let mut v = eval_str(doc).unwrap();
        v.as_object_mut().unwrap().remove("loss_range_warning");
        assert_eq!(to_json(&e), v);
    }

    #[test]
    fn bad_inputs_are_one_line_errors() {
        for (doc, needle) in [
            (r#"{"shape":[2],"y":[1,0],"pred":[0,0]}"#, "1 to 3 spatial"),
            (
                r#"{"shape":[1,1,1,2],"y":[1],"pred":[0,0]}"#,
                "`y` has 1 values",
            ),
            (
                r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,2]}"#,
                "must lie in [0, 1]",
            ),
            (
                r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"eps_nr":-1}"#,
                "eps_nr",
            ),
            (
                r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"activation":"softmax"}"#,
                "at least 2 classes",
            ),
            (
                r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"include_background":false}"#,
                "no class is left",
            ),
            (
                r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"phi":"XY"}"#,
                "unknown phi",
            ),
            (
                r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"preset":"nope"}"#,
                "unknown preset",
            ),
            (r#"{"shape":[0,1,1,2],"y":[],"pred":[]}"#, "at least 1"),
            (
                r#"{"shape":[99999999999,99999999999,99999999999,2],"y":[],"pred":[]}"#,
                "too large",
            ),
            (r#"{"y":[1],"pred":[1]}"#, "missing field `shape`"),
            (r#"{"shape":[1,1,1],"pred":[1]}"#, "missing field `y`"),
            (
                r#"{"shape":[1,1,1],"y":[1],"y":[1],"pred":[1]}"#,
                "given twice",
            ),
            (
                r#"{"shape":[1,1,1],"y":[1],"pred":[1],"squared":1}"#,
                "true or false",
            ),
            (
                r#"{"shape":[1,1,1],"y":[1],"pred":[1],"phi":1}"#,
                "must be a string",
            ),
            (
                r#"{"shape":[1,1,1],"y":[1],"pred":[1],"eps_dr":"1"}"#,
                "must be a number",
            ),
            ("not json", "invalid input JSON"),
            ("", "invalid input JSON"),
        ] {
            let err = eval_str(doc).unwrap_err();
            assert!(err.contains(needle), "{doc}: {err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn unknown_fields_are_refused_with_the_nearest_known_name() {
        let base = r#""shape":[1,2,1,2],"y":[1,1,0,0],"pred":[0.6,0.2,0.4,0.8]"#;
        for (extra, needle) in [
            (
                r#""include_backgroud":false"#,
                r#"unknown field "include_backgroud"; did you mean `include_background`?"#,
            ),
            (r#""sqaured":true"#, "did you mean `squared`?"),
            (r#""ph":"BI""#, "did you mean `phi`?"),
            (r#""Eps_NR":0"#, "did you mean `eps_nr`?"),
            // Another library's names.
            (r#""smooth_nr":0"#, "did you mean `eps_nr`?"),
            (r#""squared_pred":true"#, "did you mean `squared`?"),
            (r#""batch":true"#, "did you mean `phi`?"),
            (r#""eps":0"#, "did you mean `eps_nr` and `eps_dr`?"),
            // Nothing near: the fields are listed.
            (
                r#""name":"x""#,
                "unknown field \"name\"; the fields are shape, y, pred, variant",
            ),
            (
                r#""ph":"BI","name":"x""#,
                "unknown field \"name\" (and 1 more unknown field); the fields are",
            ),
        ] {
            let doc = format!("{{{base},{extra}}}");
            let err = eval_str(&doc).unwrap_err();
            assert!(err.contains(needle), "{extra}: {err}");
            assert!(!err.contains('\n') && err.chars().count() <= 400, "{err}");
        }
        // A long name is echoed as a short excerpt.
        let long = format!("{{{base},\"{}\":1}}", "x".repeat(5000));
        let err = eval_str(&long).unwrap_err();
        assert!(
            err.contains("(5000 characters)") && err.len() < 400,
            "{err}"
        );
        assert!(eval_str(&format!("{{{base}}}")).is_ok());
    }

    /// A preset that applies an activation never silently reads probabilities as
    /// logits; the input saying which it holds is never second-guessed.
    #[test]
    fn a_presets_activation_needs_logits_or_a_word() {
        // Near-perfect probabilities of two exclusive classes.
        let probs = r#""shape":[1,2,1,3],"y":[1,0,0,0,1,1],"pred":[0.98,0.01,0.02,0.02,0.99,0.98]"#;
        for preset in ["nnunet", "nnunet_batch", "smp"] {
            let err = eval_str(&format!(r#"{{{probs},"preset":"{preset}"}}"#)).unwrap_err();
            assert!(
                err.contains(&format!("preset {preset} applies a softmax to `pred`"))
                    && err.contains("--activation none")
                    && err.contains("--activation softmax"),
                "{err}"
            );
            // Saying so: probabilities as they are, or logits through the softmax.
            let none = eval_str(&format!(
                r#"{{{probs},"preset":"{preset}","activation":"none"}}"#
            ))
            .unwrap();
            let direct = eval_str(&format!(
                r#"{{{probs},"preset":"{preset}","activation":"softmax"}}"#
            ))
            .unwrap();
            assert_ne!(none["loss"], direct["loss"], "{preset}");
        }
        // Presets without an activation read probabilities as they are.
        for preset in ["monai", "monai_batch", "keras"] {
            assert!(eval_str(&format!(r#"{{{probs},"preset":"{preset}"}}"#)).is_ok());
        }
        // Logits with the preset's activation keep working without a word.
        let logits = r#""shape":[1,2,1,3],"y":[1,0,0,0,1,1],"pred":[3.2,-1.0,0.4,-2.5,2.0,1.1]"#;
        let implied = eval_str(&format!(r#"{{{logits},"preset":"nnunet"}}"#)).unwrap();
        let stated = eval_str(&format!(
            r#"{{{logits},"preset":"nnunet","activation":"softmax"}}"#
        ))
        .unwrap();
        assert_eq!(implied, stated);
    }

    #[test]
    fn undefined_set_gives_null_loss_and_null_gradients() {
        let out =
            eval_str(r#"{"shape":[2,1,1,2],"y":[1,0,0,0],"pred":[1,0,0,0],"eps_nr":0,"eps_dr":0}"#)
                .unwrap();
        assert!(out["loss"].is_null());
        // Set 0: V = Ṽ = X = 1, |Φ| = 2: foreground −(1/2)(2/2 − 2/4), background +(1/2)(2/4).
        assert_eq!(out["grad"], json!([-0.25, 0.25, null, null]));
        assert_eq!(out["sets"][1]["sdsc"], Value::Null);
        assert!(out["undefined"][0].as_str().unwrap().contains("0/0"));
    }
}
