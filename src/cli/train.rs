//! `dice train FILE|-`: every field of `dice eval` plus the image, the model, the optimiser
//! and the number of steps; the loss history, the trained model and its prediction out
//! (see the README, "Command line").

use ndarray::{Array3, Array4};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{self, Document};
use super::{
    excerpt, one_line, read_array, read_missing, read_objective, read_shape,
    refuse_implied_activation, refuse_unknown,
};
use crate::engine::error::DiceError;
use crate::engine::train::{Batches, Model, ModelKind, TrainReport, Trainer};

/// The fields `dice train` reads beyond those of `dice eval`.
pub const TRAIN_FIELDS: [&str; 7] = [
    "x",
    "model",
    "optimizer",
    "steps",
    "batches",
    "batch_size",
    "shuffle_seed",
];

use super::optimizer::OptimizerSpec;
pub use super::optimizer::{optimizer_from_raw, MAX_STEPS};

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an object {\"kind\": \"pixels\"|\"linear\"|\"conv3x3\", \"w\": [...], \"b\": [...]}"
)]
struct ModelSpec {
    kind: String,
    w: Option<Vec<f64>>,
    b: Option<Vec<f64>>,
}

/// Takes `key` from the document and reads it as `T` (a JSON object or value).
/// Its numbers are checked as the top-level ones are (`1e-400` is refused, not read as 0).
fn take<T: DeserializeOwned>(doc: &mut Document, key: &str) -> Result<Option<T>, String> {
    doc.take(key)
        .map(|raw| {
            json::check_numbers(key, &raw)?;
            serde_json::from_str(&raw)
                .map_err(|e| one_line(&format!("invalid `{key}`: {}", json::without_position(&e))))
        })
        .transpose()
}

fn required<T>(value: Option<T>, key: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{key}`"))
}

/// The trainer a document describes, and the number of steps it asks for. Reads the
/// settings and tensors as `dice eval` does (the shape first); `pred` is read only by the
/// pixels model (its starting logits).
pub fn trainer_from_document(doc: &mut Document) -> Result<(Trainer, usize), String> {
    let (settings, implied) = read_objective(doc)?;
    let model: ModelSpec = required(take(doc, "model")?, "model")?;
    let optimizer: OptimizerSpec = required(take(doc, "optimizer")?, "optimizer")?;
    let steps = json::count("steps", &required(doc.take("steps"), "steps")?)
        .map_err(|e| format!("invalid `steps`: {e}"))?;
    let kind = ModelKind::parse(&model.kind).ok_or_else(|| {
        format!(
            "unknown model kind {}; use \"pixels\", \"linear\" or \"conv3x3\"",
            excerpt(&model.kind)
        )
    })?;
    if kind == ModelKind::Pixels && (model.w.is_some() || model.b.is_some()) {
        return Err("model pixels has no `w` or `b`: its initial logits are `pred`".into());
    }
    if steps > MAX_STEPS {
        return Err(format!("`steps` is {steps}; at most {MAX_STEPS} per run"));
    }
    let shape = read_shape(doc)?.ok_or("missing field `shape`")?;
    // A 3×3 kernel needs the image's two axes; the other models see pixels only.
    if kind == ModelKind::Conv3x3 && shape.dims().len() != 4 {
        return Err(format!(
            "model conv3x3 needs 2-D images, shape [B, C, H, W]; got {} spatial dimension(s)",
            shape.dims().len() - 2
        ));
    }
    let dims = shape.dims();
    let (b, c, h, w) = match *dims {
        [b, c, h, w] => (b, c, h, w),
        _ => shape.engine_dim(),
    };
    let (y, extras) = super::tensors::labels_and_extras(doc, &shape)?;
    let y = Array4::from_shape_vec((b, c, h, w), y).map_err(|e| e.to_string())?;
    let x = match doc.take("x") {
        None => None,
        Some(raw) => {
            let want = b * h * w;
            let (data, got) = json::numbers("x", &raw, want)?;
            if got != want {
                return Err(DiceError::Length {
                    name: "x",
                    got,
                    want,
                    shape: dims.to_vec(),
                }
                .to_string());
            }
            Some(Array3::from_shape_vec((b, h, w), data).map_err(|e| e.to_string())?)
        }
    };
    let built = match kind {
        ModelKind::Pixels => {
            let z = read_array(doc, "pred", &shape)?;
            // The pixels model's `pred` is its logits when an activation applies.
            refuse_implied_activation(implied, &z)?;
            Model::pixels(Array4::from_shape_vec((b, c, h, w), z).map_err(|e| e.to_string())?)
        }
        _ => {
            // A shared model makes its own prediction: a given `pred` is not read.
            let _ = doc.take("pred");
            let (Some(mw), Some(mb)) = (model.w, model.b) else {
                return Err(format!("model {} needs `w` and `b`", kind.code()));
            };
            Model::shared(kind, mw, mb)
        }
    }
    .map_err(|e| e.to_string())?;
    let missing = read_missing(doc)?;
    let batches = read_batches(doc)?;
    refuse_unknown(doc, &TRAIN_FIELDS)?;
    let trainer = Trainer::with_missing(y, x, settings, built, optimizer.optimizer()?, missing)
        .and_then(|t| t.with_extras(extras))
        .and_then(|t| t.with_batches(batches))
        .map_err(|e| e.to_string())?;
    Ok((trainer, steps))
}

/// `batches` (a list of lists of image indices), or `batch_size` with `shuffle_seed`
/// (default 0), or neither: full batch.
fn read_batches(doc: &mut Document) -> Result<Batches, String> {
    let lists = doc.take("batches");
    let size = doc.take("batch_size");
    let seed = doc.take("shuffle_seed");
    match (lists, size, seed) {
        (None, None, None) => Ok(Batches::Full),
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(
            "give either `batches` or `batch_size` (with `shuffle_seed`), not both".into(),
        ),
        (Some(raw), None, None) => serde_json::from_str::<Vec<Vec<usize>>>(&raw)
            .map(Batches::List)
            .map_err(|_| {
                format!(
                    "`batches` must be a list of lists of image indices (whole numbers ≥ 0), got {}",
                    excerpt(raw.trim())
                )
            }),
        (None, None, Some(_)) => {
            Err("`shuffle_seed` needs `batch_size` (the size of the shuffled mini-batches)".into())
        }
        (None, Some(size), seed) => {
            let size = json::count("batch_size", &size)?;
            let seed = match seed {
                None => 0,
                Some(raw) => raw.trim().parse::<u64>().map_err(|_| {
                    format!(
                        "`shuffle_seed` must be a whole number from 0 to 2^64 − 1, got {}",
                        excerpt(raw.trim())
                    )
                })?,
            };
            Ok(Batches::Shuffle { size, seed })
        }
    }
}

/// [`trainer_from_document`] of a JSON text.
pub fn trainer_from_str(input: &str) -> Result<(Trainer, usize), String> {
    let mut doc = Document::parse(input)?;
    trainer_from_document(&mut doc)
}

/// `dice train ARGS…`: reads the input (a JSON document; flags set any field; unknown
/// fields refused), trains and writes the output.
#[cfg(not(target_arch = "wasm32"))]
pub fn command(
    args: &[std::ffi::OsString],
    io: &mut super::run::Io,
) -> Result<(), super::run::Failure> {
    use super::run::{write_json, CommandLine, Failure};
    let cl = CommandLine::parse(args, &TRAIN_FIELDS)?;
    if cl.y.is_some() || cl.pred.is_some() || cl.mask.is_some() {
        return Err(Failure::Usage(
            "dice train reads y, pred, x and mask from the JSON document".into(),
        ));
    }
    if cl.grad.is_some() || cl.summary {
        return Err(Failure::Usage(
            "--grad and --summary are dice eval's (dice train writes its run as JSON)".into(),
        ));
    }
    let (mut trainer, steps) = cl.with_document(&mut *io.stdin, trainer_from_document)?;
    let report =
        super::progress::train(&mut trainer, steps, io.terminal.then_some(&mut *io.stderr));
    write_json(&to_json(&trainer, &report), io)
}

/// The output object of a run.
pub fn to_json(trainer: &Trainer, report: &TrainReport) -> Value {
    let m = trainer.model();
    let model = match m.kind() {
        ModelKind::Pixels => json!({"kind": "pixels", "z": m.params()}),
        kind => json!({"kind": kind.code(), "w": m.weights(), "b": m.biases()}),
    };
    let pred = trainer
        .probabilities()
        .map(|p| Value::Array(p.iter().map(|&v| json!(v)).collect()));
    let mut out = json!({
        "loss": report.losses,
        "final_loss": report.final_loss,
        "model": model,
        "pred": pred,
        "stopped": report.stopped,
    });
    // Mini-batches: the images of every step taken (batches[t] is the batch of loss[t]),
    // so any framework can replay the run.
    if *trainer.batches() != Batches::Full {
        out["batches"] = json!(trainer.batches_used());
    }
    out
}

/// Trains as one JSON input document says; the error is a one-line message.
pub fn train_str(input: &str) -> Result<Value, String> {
    let (mut trainer, steps) = trainer_from_str(input)?;
    let report = trainer.train(steps);
    Ok(to_json(&trainer, &report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::train::Optimizer;

    const LINEAR: &str = r#"{"shape":[2,2,1,3],
      "y":[0,1,1, 1,0,0,  0,0,0, 1,1,1],
      "x":[0.1,0.9,0.8, 0.2,0.1,0.0],
      "activation":"softmax","include_background":false,"phi":"BI",
      "model":{"kind":"linear","w":[0,1],"b":[0,-0.5]},
      "optimizer":{"kind":"adam","lr":0.1},"steps":4}"#;

    #[test]
    fn output_has_every_field_and_matches_the_trainer() {
        let out = train_str(LINEAR).unwrap();
        assert_eq!(out["loss"].as_array().unwrap().len(), 4);
        assert_eq!(out["model"]["kind"], "linear");
        assert_eq!(out["model"]["w"].as_array().unwrap().len(), 2);
        assert_eq!(out["pred"].as_array().unwrap().len(), 12);
        assert!(out["stopped"].is_null());
        let (mut t, steps) = trainer_from_str(LINEAR).unwrap();
        assert_eq!(steps, 4);
        assert_eq!(t.optimizer(), &Optimizer::adam(0.1));
        let r = t.train(4);
        assert_eq!(out["final_loss"].as_f64(), r.final_loss);
        assert_eq!(out["loss"], json!(r.losses));
        assert_eq!(out["model"]["b"], json!(t.model().biases()));
    }

    #[test]
    fn pixels_start_from_pred_and_report_z() {
        let doc = r#"{"shape":[1,1,1,3],"y":[1,0,0],"pred":[0.5,0.4,0.3],
          "model":{"kind":"pixels"},"optimizer":{"kind":"sgd","lr":0.01},"steps":2}"#;
        let out = train_str(doc).unwrap();
        let z = out["model"]["z"].as_array().unwrap();
        assert_eq!(z.len(), 3);
        // Without an activation z is the prediction itself.
        assert_eq!(out["pred"], out["model"]["z"]);
        assert!(z[0].as_f64().unwrap() > 0.5 && z[1].as_f64().unwrap() < 0.4);
    }

    #[test]
    fn an_undefined_loss_is_a_stop_with_nulls() {
        let doc = r#"{"shape":[1,1,1,2],"y":[0,0],"pred":[0,0],"eps_nr":0,"eps_dr":0,
          "model":{"kind":"pixels"},"optimizer":{"kind":"sgd","lr":1},"steps":3}"#;
        let out = train_str(doc).unwrap();
        assert_eq!(out["loss"], json!([]));
        assert!(out["final_loss"].is_null());
        assert_eq!(out["stopped"]["step"], 0);
        assert!(out["stopped"]["reason"].as_str().unwrap().contains("0/0"));
        assert_eq!(out["pred"], json!([0.0, 0.0]));
    }

    #[test]
    fn bad_documents_are_one_line_errors() {
        let base: Value = serde_json::from_str(LINEAR).unwrap();
        let with = |key: &str, v: Value| {
            let mut d = base.clone();
            d[key] = v;
            d.to_string()
        };
        let without = |key: &str| {
            let mut d = base.clone();
            d.as_object_mut().unwrap().remove(key);
            d.to_string()
        };
        for (doc, needle) in [
            (without("model"), "missing field `model`"),
            (without("optimizer"), "missing field `optimizer`"),
            (without("steps"), "missing field `steps`"),
            (without("x"), "needs the image `x`"),
            (
                with("x", json!([0.5])),
                "`x` has 1 values but shape [2, 2, 1, 3] needs 6",
            ),
            (
                with("x", json!([0, 0, 0, 0, 0, 2])),
                "intensities must lie in [0, 1]",
            ),
            (with("steps", json!(-1)), "invalid `steps`"),
            (with("steps", json!(1.5)), "invalid `steps`"),
            (with("steps", json!(MAX_STEPS + 1)), "at most"),
            (
                with("model", json!({"kind": "mlp", "w": [], "b": []})),
                "unknown model kind",
            ),
            (
                with("model", json!({"kind": "linear", "w": [1], "b": [0, 0]})),
                "needs 2 weights, got 1",
            ),
            (
                with("model", json!({"kind": "linear", "b": [0, 0]})),
                "needs `w` and `b`",
            ),
            (
                with(
                    "model",
                    json!({"kind": "conv3x3", "w": [0, 1], "b": [0, 0]}),
                ),
                "needs 18 weights",
            ),
            (
                with("model", json!({"kind": "linear", "w": [0], "b": [0]})),
                "1 classes but the labels have 2",
            ),
            (
                with("model", json!({"kind": "pixels", "w": [0, 0]})),
                "its initial logits are `pred`",
            ),
            (
                with(
                    "model",
                    json!({"kind": "linear", "w": [0, 1], "b": [0, 0], "depth": 2}),
                ),
                "unknown field `depth`",
            ),
            (with("model", json!("linear")), "invalid `model`"),
            (
                with("model", json!({"kind": "pixels"})),
                "missing field `pred`",
            ),
            (
                with("optimizer", json!({"kind": "rmsprop", "lr": 0.1})),
                "unknown optimizer kind",
            ),
            (
                with("optimizer", json!({"kind": "adam"})),
                "missing field `lr`",
            ),
            (
                with(
                    "optimizer",
                    json!({"kind": "sgd", "lr": 0.1, "betas": [0.9, 0.9]}),
                ),
                "`betas` and `eps` are Adam's",
            ),
            (
                with(
                    "optimizer",
                    json!({"kind": "sgd", "lr": 0.1, "momentum": 0.9}),
                ),
                "unknown field `momentum`",
            ),
            (
                with(
                    "optimizer",
                    json!({"kind": "adam", "lr": 0.1, "betas": [1.0, 0.9]}),
                ),
                "beta1 must be in [0, 1)",
            ),
            (
                with("optimizer", json!({"kind": "adam", "lr": -0.1})),
                "lr must be a finite number ≥ 0",
            ),
            (
                with(
                    "optimizer",
                    json!({"kind": "adam", "lr": 0.1, "betas": [0.9]}),
                ),
                "invalid `optimizer`",
            ),
            (with("phi", json!("XY")), "unknown phi"),
            (with("activation", json!("none")), "must lie in [0, 1]"),
            // [B, C, *spatial] with 1 to 3 spatial dimensions; none is refused.
            (with("shape", json!([2, 2])), "spatial dimension"),
            ("[1, 2]".to_string(), "invalid input JSON"),
            ("not json".to_string(), "invalid input JSON"),
        ] {
            let err = train_str(&doc).unwrap_err();
            assert!(err.contains(needle), "{doc}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn unknown_fields_know_the_train_fields() {
        let mut doc: Value = serde_json::from_str(LINEAR).unwrap();
        doc["stpes"] = json!(3);
        let err = train_str(&doc.to_string()).unwrap_err();
        assert!(
            err.contains("unknown field \"stpes\"; did you mean `steps`?"),
            "{err}"
        );
        // `pred` may be left out by a shared model, and is ignored when given.
        let given = {
            let mut d: Value = serde_json::from_str(LINEAR).unwrap();
            d["pred"] = json!(vec![0.5; 12]);
            d.to_string()
        };
        assert_eq!(train_str(&given).unwrap(), train_str(LINEAR).unwrap());
    }
}
