//! `dice train` against PyTorch, and the binary's contract.
//!
//! `tests/fixtures/train_reference.json` is written by `python3 reference/train.py`:
//! PyTorch autograd and `torch.optim` (SGD, Adam) in float64 on the Dice formula, for the
//! three models, several Φ/ε/activations/variants/presets, runs that stop early, and the
//! lesson scenes. Every case goes through `dice_playground::cli::train::train_str`; the loss
//! history, final loss, final parameters and final prediction must agree to abs 1e-12 +
//! rel 1e-9, and a run must stop at the same step for the same kind of reason.

mod common;

use std::collections::HashSet;
use std::process::Output;

use serde_json::Value;

const ABS_TOL: f64 = 1e-12;
const REL_TOL: f64 = 1e-9;
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/train_reference.json"
);

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap_or_else(|e| panic!("cannot read {FIXTURE}: {e}; run `python3 reference/train.py`"));
    let doc: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    doc["cases"].as_array().expect("a list of cases").clone()
}

/// Largest |got − want| / (abs + rel·|want|) seen, to report the margin.
struct Worst {
    ratio: f64,
    rel: f64,
    at: String,
}

impl Worst {
    fn number(&mut self, at: &str, got: &Value, want: &Value) -> Result<(), String> {
        match (got.as_f64(), want.as_f64()) {
            (None, None) if got.is_null() && want.is_null() => Ok(()),
            (Some(g), Some(w)) => {
                let ratio = (g - w).abs() / (ABS_TOL + REL_TOL * w.abs());
                if ratio > self.ratio {
                    self.ratio = ratio;
                    self.rel = (g - w).abs() / w.abs().max(1e-300);
                    self.at = at.to_string();
                }
                if ratio <= 1.0 {
                    Ok(())
                } else {
                    Err(format!("{at}: got {g:e}, expected {w:e}"))
                }
            }
            _ => Err(format!("{at}: got {got}, expected {want}")),
        }
    }

    fn numbers(&mut self, at: &str, got: &Value, want: &Value) -> Result<(), String> {
        let (Some(g), Some(w)) = (got.as_array(), want.as_array()) else {
            return Err(format!("{at}: got {got}, expected {want}"));
        };
        if g.len() != w.len() {
            return Err(format!("{at}: {} values, expected {}", g.len(), w.len()));
        }
        for (i, (g, w)) in g.iter().zip(w).enumerate() {
            self.number(&format!("{at}[{i}]"), g, w)?;
        }
        Ok(())
    }
}

fn compare(worst: &mut Worst, name: &str, out: &Value, exp: &Value) -> Result<(), String> {
    worst.numbers(&format!("{name} loss"), &out["loss"], &exp["loss"])?;
    worst.number(
        &format!("{name} final_loss"),
        &out["final_loss"],
        &exp["final_loss"],
    )?;
    let (om, em) = (&out["model"], &exp["model"]);
    if om["kind"] != em["kind"] {
        return Err(format!(
            "{name}: model kind {} vs {}",
            om["kind"], em["kind"]
        ));
    }
    for key in ["w", "b", "z"] {
        if !em[key].is_null() || !om[key].is_null() {
            worst.numbers(&format!("{name} model.{key}"), &om[key], &em[key])?;
        }
    }
    if let Some(pred) = exp.get("pred") {
        if pred.is_null() {
            if !out["pred"].is_null() {
                return Err(format!("{name}: pred should be null"));
            }
        } else {
            worst.numbers(&format!("{name} pred"), &out["pred"], pred)?;
        }
    }
    // Mini-batches: the images of every step, exactly (the shuffle is the documented one).
    if let Some(batches) = exp.get("batches") {
        if &out["batches"] != batches {
            return Err(format!("{name}: batches {} vs {}", out["batches"], batches));
        }
    } else if out.get("batches").is_some() {
        return Err(format!("{name}: batches echoed for a full-batch run"));
    }
    match (&out["stopped"], &exp["stopped"]) {
        (Value::Null, Value::Null) => {}
        (got, want) if !got.is_null() && !want.is_null() => {
            if got["step"] != want["step"] {
                return Err(format!(
                    "{name}: stopped at {} vs {}",
                    got["step"], want["step"]
                ));
            }
            let reason = got["reason"].as_str().unwrap_or("");
            let needle = want["reason_contains"].as_str().expect("fixture reason");
            if !reason.contains(needle) {
                return Err(format!("{name}: reason {reason:?} lacks {needle:?}"));
            }
        }
        (got, want) => return Err(format!("{name}: stopped {got} vs {want}")),
    }
    Ok(())
}

#[test]
fn every_run_matches_pytorch() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut worst = Worst {
        ratio: 0.0,
        rel: 0.0,
        at: String::new(),
    };
    let mut failures = Vec::new();
    let mut names = HashSet::new();
    for case in &cases {
        let name = case["name"].as_str().expect("named");
        assert!(names.insert(name), "duplicate case {name}");
        let input = serde_json::to_string(&case["input"]).unwrap();
        let result = dice_playground::cli::train::train_str(&input)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|out| compare(&mut worst, name, &out, &case["expected"]));
        if let Err(e) = result {
            eprintln!("MISMATCH {e}");
            failures.push(e);
        }
    }
    eprintln!(
        "worst deviation: {:.3}× the tolerance (relative {:.2e}) at {}",
        worst.ratio, worst.rel, worst.at
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ; first: {}",
        failures.len(),
        cases.len(),
        failures[0]
    );
}

/// The fixture covers what the reference promises.
#[test]
fn fixture_covers_models_optimisers_and_stops() {
    let cases = cases();
    let mut seen = HashSet::new();
    let mut reasons = HashSet::new();
    for c in &cases {
        let inp = &c["input"];
        seen.insert((
            inp["model"]["kind"].as_str().unwrap().to_string(),
            inp["optimizer"]["kind"].as_str().unwrap().to_string(),
        ));
        if let Some(r) = c["expected"]["stopped"]["reason_contains"].as_str() {
            let step = c["expected"]["stopped"]["step"].as_u64().unwrap();
            reasons.insert((r.to_string(), step > 0));
        }
    }
    for model in ["pixels", "linear", "conv3x3"] {
        for opt in ["sgd", "adam"] {
            assert!(
                seen.contains(&(model.into(), opt.into())),
                "no {model}/{opt} case"
            );
        }
    }
    for want in [
        ("0/0", true),
        ("ε_nr/0", true),
        ("must lie in [0, 1]", true),
        ("0/0", false),
    ] {
        assert!(
            reasons.contains(&(want.0.to_string(), want.1)),
            "no stop {want:?}"
        );
    }
}

/// Mini-batches (lists and the shuffle, with a stop), per-class ε and Dice + CE are
/// covered by the PyTorch runs.
#[test]
fn fixture_covers_mini_batches_class_eps_and_cross_entropy() {
    let cases = cases();
    let has = |pred: &dyn Fn(&Value) -> bool| cases.iter().any(|c| pred(&c["input"]));
    assert!(has(
        &|i| i["batches"].is_array() && i["model"]["kind"] == "pixels"
    ));
    assert!(has(
        &|i| i["batch_size"].is_u64() && i["model"]["kind"] == "conv3x3"
    ));
    assert!(has(&|i| i["batch_size"].is_u64() && i["phi"] == "BI"));
    assert!(has(&|i| i["eps_nr"].is_array() && i["phi"] == "BI"));
    assert!(has(&|i| i["eps_nr"].is_array() && i["batch_size"].is_u64()));
    assert!(has(
        &|i| i["ce_weight"].as_f64().is_some_and(|w| w > 0.0) && i["activation"] == "sigmoid"
    ));
    assert!(has(&|i| i["dice_weight"] == 0.0));
    for preset in ["monai_dice_ce", "nnunet_dice_ce", "nnunet_dice_ce_batch"] {
        assert!(has(&|i| i["preset"] == preset), "no {preset} run");
    }
    assert!(cases.iter().any(|c| c["input"]["batches"].is_array()
        && c["expected"]["stopped"]["step"]
            .as_u64()
            .is_some_and(|s| s > 0)));
}

/// The fixture's scene is the engine's own lesson scene, so those runs vouch for it.
#[test]
fn fixture_scene_is_the_engines_scene() {
    use dice_playground::engine::train::scenes::Scene;
    let scene = Scene::mixed();
    let case = cases()
        .into_iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("scene/mixed/"))
        .expect("a scene case");
    let flat = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    assert_eq!(
        flat(&case["input"]["x"]),
        scene.x.iter().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        flat(&case["input"]["y"]),
        scene.y.iter().copied().collect::<Vec<_>>()
    );
}

fn run(args: &[&str], stdin: &str) -> Output {
    common::dice(args, stdin)
}

const DOC: &str = r#"{"shape":[1,2,2,3],"y":[1,1,0, 0,0,1,  0,0,1, 1,1,0],
  "x":[0.9,0.8,0.1, 0.2,0.0,0.7],"activation":"softmax","include_background":false,
  "model":{"kind":"conv3x3","w":[0,0,0,0,0,0,0,0,0, 0,0,0,0,1,0,0,0,0],"b":[0,0]},
  "optimizer":{"kind":"adam","lr":0.05,"betas":[0.9,0.99]},"steps":3}"#;

#[test]
fn the_binary_trains_from_stdin_and_from_a_file() {
    let out = run(&["train", "-"], DOC);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v, dice_playground::cli::train::train_str(DOC).unwrap());
    for key in ["loss", "final_loss", "model", "pred", "stopped"] {
        assert!(v.get(key).is_some(), "no {key}");
    }
    let path = std::env::temp_dir().join(format!("dice-train-test-{}.json", std::process::id()));
    std::fs::write(&path, DOC).unwrap();
    let from_file = run(&["train", path.to_str().unwrap()], "");
    let _ = std::fs::remove_file(&path);
    assert_eq!(from_file.stdout, stdout.as_bytes());
}

#[test]
fn the_binary_refuses_unknown_fields_naming_the_train_fields() {
    let mut doc: Value = serde_json::from_str(DOC).unwrap();
    doc["comment"] = Value::from("mine");
    let out = run(&["train", "-"], &doc.to_string());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("unknown field \"comment\"; the fields are shape, y, pred,")
            && err.contains("x, model, optimizer, steps"),
        "{err}"
    );
    let mut doc: Value = serde_json::from_str(DOC).unwrap();
    doc["optimiser"] = doc["optimizer"].take();
    let out = run(&["train", "-"], &doc.to_string());
    let err = String::from_utf8(out.stderr).unwrap();
    // The missing field is met first; either way the run does not start.
    assert_eq!(out.status.code(), Some(2), "{err}");
}

#[test]
fn bad_training_input_exits_2_with_one_line() {
    let mut doc: Value = serde_json::from_str(DOC).unwrap();
    doc["optimizer"]["lr"] = Value::from(-1.0);
    for (text, needle) in [
        (doc.to_string(), "lr must be"),
        ("{}".to_string(), "missing field `model`"),
        ("[]".to_string(), "invalid input JSON"),
    ] {
        let out = run(&["train", "-"], &text);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}
