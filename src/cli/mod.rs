//! The JSON front end of the engine, shared by the `dice` command and the tests.
//!
//! Input and output formats are those of the README ("Command line").

use ndarray::{Array4, ArrayView4};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::engine::activation::Activation;
use crate::engine::error::DiceError;
use crate::engine::loss::{evaluate_missing, DiceSettings, Evaluation};
use crate::engine::phi::Phi;
use crate::engine::presets::framework_preset;
use crate::engine::variants::Variant;

pub mod train;

/// The fields `Input` reads; others are ignored with a warning (scripts often carry
/// their own metadata along).
pub const FIELDS: [&str; 15] = [
    "shape",
    "y",
    "pred",
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
    "variant",
    "missing",
];

#[derive(Deserialize)]
struct Input {
    shape: Vec<usize>,
    y: Vec<f64>,
    pred: Vec<f64>,
    phi: Option<String>,
    eps_nr: Option<f64>,
    eps_dr: Option<f64>,
    squared: Option<bool>,
    jaccard: Option<bool>,
    include_background: Option<bool>,
    activation: Option<String>,
    preset: Option<String>,
    denominator_floor: Option<f64>,
    zero_empty_sets: Option<bool>,
    variant: Option<String>,
    /// `[[b, c], …]`: the cells whose labels are missing (read by the leaf and marginal
    /// variants; checked, and otherwise unused, by the plain Dice).
    #[serde(default)]
    missing: Vec<[usize; 2]>,
}

impl Input {
    fn settings(&self) -> Result<DiceSettings, String> {
        let mut s = match &self.preset {
            None => DiceSettings::default(),
            Some(name) => {
                framework_preset(name)
                    .ok_or_else(|| format!("unknown preset {name:?}; known: {}", preset_names()))?
                    .settings
            }
        };
        if let Some(p) = &self.phi {
            s.phi = Phi::parse(p).ok_or_else(|| {
                format!("unknown phi {p:?}; use \"I\", \"CI\", \"BI\" or \"BCI\"")
            })?;
        }
        if let Some(a) = &self.activation {
            s.activation = Activation::parse(a).ok_or_else(|| {
                format!("unknown activation {a:?}; use \"none\", \"sigmoid\" or \"softmax\"")
            })?;
        }
        s.eps_nr = self.eps_nr.unwrap_or(s.eps_nr);
        s.eps_dr = self.eps_dr.unwrap_or(s.eps_dr);
        s.squared = self.squared.unwrap_or(s.squared);
        s.jaccard = self.jaccard.unwrap_or(s.jaccard);
        s.include_background = self.include_background.unwrap_or(s.include_background);
        s.denominator_floor = self.denominator_floor.unwrap_or(s.denominator_floor);
        s.zero_empty_sets = self.zero_empty_sets.unwrap_or(s.zero_empty_sets);
        if let Some(v) = &self.variant {
            s.variant = Variant::parse(v).ok_or_else(|| {
                format!("unknown variant {v:?}; use \"dice\", \"leaf\" or \"marginal\"")
            })?;
        }
        Ok(s)
    }

    /// The missing cells as (b, c); the engine checks them against the shape.
    pub(crate) fn missing_cells(&self) -> Vec<(usize, usize)> {
        self.missing.iter().map(|&[b, c]| (b, c)).collect()
    }
}

fn preset_names() -> String {
    crate::engine::presets::FRAMEWORK_PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds a B×C×H×W tensor from a flat row-major vector, checking the length.
pub fn tensor(
    name: &'static str,
    shape: &[usize],
    data: Vec<f64>,
) -> Result<Array4<f64>, DiceError> {
    let &[b, c, h, w] = shape else {
        return Err(DiceError::ShapeRank(shape.len()));
    };
    if shape.contains(&0) {
        return Err(DiceError::EmptyDimension(shape.to_vec()));
    }
    let want = b
        .checked_mul(c)
        .and_then(|n| n.checked_mul(h))
        .and_then(|n| n.checked_mul(w))
        .ok_or_else(|| DiceError::ShapeTooLarge(shape.to_vec()))?;
    if data.len() != want {
        return Err(DiceError::Length {
            name,
            got: data.len(),
            want,
            shape: shape.to_vec(),
        });
    }
    Array4::from_shape_vec((b, c, h, w), data).map_err(|_| DiceError::ShapeTooLarge(shape.to_vec()))
}

/// A flat array with `null` wherever the per-cell flag says "undefined".
fn flat_with_nulls(a: ArrayView4<f64>, undefined: &ndarray::Array2<bool>) -> Value {
    let (bn, cn, _, _) = a.dim();
    let mut out = Vec::with_capacity(a.len());
    for b in 0..bn {
        for c in 0..cn {
            let cell = a.slice(ndarray::s![b, c, .., ..]);
            if undefined[(b, c)] {
                out.extend(std::iter::repeat_n(Value::Null, cell.len()));
            } else {
                out.extend(cell.iter().map(|&v| json!(v)));
            }
        }
    }
    Value::Array(out)
}

/// The output object for one evaluation.
pub fn to_json(e: &Evaluation) -> Value {
    let sets: Vec<Value> = e
        .sets
        .iter()
        .map(|s| {
            json!({
                "cells": s.cells.iter().map(|&(b, c)| json!([b, c])).collect::<Vec<_>>(),
                "v": s.v,
                "v_pred": s.v_pred,
                "x": s.x,
                "numerator": s.numerator,
                "denominator": s.denominator,
                "sdsc": s.sdsc,
                "term": s.term,
                "grad_fg": s.grad_fg,
                "grad_bg": s.grad_bg,
                "undefined": s.undefined.map(|u| u.explain()),
            })
        })
        .collect();
    json!({
        "loss": e.loss,
        "grad": flat_with_nulls(e.grad().view(), &e.grad_undefined),
        "grad_prob": flat_with_nulls(e.grad_prob.view(), &e.grad_prob_undefined),
        "sets": sets,
        "undefined": e.undefined_reasons(),
    })
}

/// Top-level fields of `input` that the engine does not read (empty if it is not an object).
pub fn unknown_fields(input: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(input) {
        Ok(Value::Object(map)) => map
            .keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// Evaluates one JSON input document; the error is a one-line message.
pub fn eval_str(input: &str) -> Result<Value, String> {
    let input: Input =
        serde_json::from_str(input).map_err(|e| format!("invalid input JSON: {e}"))?;
    let settings = input.settings()?;
    let missing = input.missing_cells();
    let y = tensor("y", &input.shape, input.y).map_err(|e| e.to_string())?;
    let pred = tensor("pred", &input.shape, input.pred).map_err(|e| e.to_string())?;
    let e =
        evaluate_missing(y.view(), pred.view(), &settings, &missing).map_err(|e| e.to_string())?;
    Ok(to_json(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_monai_and_output_has_every_field() {
        let out = eval_str(r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,0.5]}"#).unwrap();
        // V = 1, Ṽ = 1, X = 0.5: sDSC = (1 + 1e-5)/(2 + 1e-5).
        let s = (1.0 + 1e-5) / (2.0 + 1e-5);
        assert_eq!(out["loss"].as_f64().unwrap(), 1.0 - s);
        assert_eq!(out["sets"][0]["cells"], json!([[0, 0]]));
        assert_eq!(out["grad"].as_array().unwrap().len(), 2);
        assert!(out["undefined"].as_array().unwrap().is_empty());
    }

    #[test]
    fn bad_inputs_are_one_line_errors() {
        for (doc, needle) in [
            (
                r#"{"shape":[1,1,2],"y":[1,0],"pred":[0,0]}"#,
                "4 dimensions",
            ),
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
            ("not json", "invalid input JSON"),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0,0,0,0],"variant":"sleaf"}"#,
                "unknown variant",
            ),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0,0,0,0],"variant":"leaf","missing":[[1,1]]}"#,
                "outside the batch",
            ),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0,0,0,0],"variant":"leaf","missing":[[0,0]]}"#,
                "background",
            ),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0,0,0,0],"variant":"leaf","missing":[[0,-1]]}"#,
                "invalid input JSON",
            ),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0.5,0,0,0],"variant":"marginal","missing":[[0,1]]}"#,
                "sum to 0.5 instead of 1",
            ),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0,0,0,0],"variant":"marginal","activation":"sigmoid"}"#,
                "not sigmoid",
            ),
            (
                r#"{"shape":[1,2,1,2],"y":[1,0,0,1],"pred":[0,0,0,0],"variant":"marginal","activation":"softmax","include_background":false}"#,
                "include_background",
            ),
        ] {
            let err = eval_str(doc).unwrap_err();
            assert!(err.contains(needle), "{doc}: {err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn unknown_fields_are_reported_not_fatal() {
        let doc = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"ph":"BI","name":"x"}"#;
        assert_eq!(
            unknown_fields(doc),
            vec!["name".to_string(), "ph".to_string()]
        );
        assert!(eval_str(doc).is_ok());
        assert!(unknown_fields(r#"{"shape":[1]}"#).is_empty());
    }

    #[test]
    fn leaf_drops_a_missing_cell_and_scores_its_set_zero() {
        // Image 1's structure is missing. Set (0,1): V = Ṽ = 1, X = 0.5, ε = 1: U = 3,
        // N = 2, sDSC = 2/3; set (1,1) has only the missing cell: constant 0, term 1.
        let doc = r#"{"shape":[2,2,1,2],"y":[0,1,1,0, 1,1,0,0],"pred":[0.5,0.5,0.5,0.5, 0.1,0.1,0.9,0.9],
            "include_background":false,"eps_nr":1,"eps_dr":1,"variant":"leaf","missing":[[1,1]]}"#;
        let out = eval_str(doc).unwrap();
        let close = |v: &Value, w: f64| (v.as_f64().unwrap() - w).abs() < 1e-15;
        assert!(
            close(&out["loss"], (1.0 / 3.0 + 1.0) / 2.0),
            "{}",
            out["loss"]
        );
        // y = 1: −(1/2)(2·3 − 2)/9; y = 0: (1/2)·2/9; the missing cell: no gradient.
        let want = [0.0, 0.0, -2.0 / 9.0, 1.0 / 9.0, 0.0, 0.0, 0.0, 0.0];
        for (g, w) in out["grad_prob"].as_array().unwrap().iter().zip(want) {
            assert!(close(g, w), "{g} vs {w}");
        }
        assert_eq!(out["sets"][1]["sdsc"], json!(0.0));
        assert_eq!(out["sets"][1]["term"], json!(1.0));
        // The plain Dice with the same list still pushes the missing cell.
        let plain = eval_str(&doc.replace(r#""variant":"leaf","#, "")).unwrap();
        assert!(plain["grad_prob"][6].as_f64().unwrap() > 0.01);
    }

    #[test]
    fn marginal_gives_a_missing_class_the_background_gradient() {
        // The missing structure's pixels are background to the loss; its probabilities
        // are added to the background's, which then predicts 1 everywhere: set (0,0) has
        // V = Ṽ = X = 2 (sDSC 1) and each pixel −(1/2)(2·4 − 4)/16 = −1/8.
        let doc = r#"{"shape":[1,2,1,2],"y":[1,1,0,0],"pred":[0.6,0.2,0.4,0.8],
            "eps_nr":0,"eps_dr":0,"variant":"marginal","missing":[[0,1]]}"#;
        let out = eval_str(doc).unwrap();
        assert_eq!(out["loss"], json!(0.5));
        assert_eq!(out["grad_prob"], json!([-0.125, -0.125, -0.125, -0.125]));
        assert_eq!(out["sets"][0]["v_pred"], json!(2.0));
        // Without the list the marginal Dice is the plain one.
        let none = eval_str(&doc.replace(r#","missing":[[0,1]]"#, "")).unwrap();
        let plain = eval_str(&doc.replace(r#""variant":"marginal","#, "")).unwrap();
        assert_eq!(none, plain);
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
