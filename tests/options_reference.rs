//! The peer libraries' options against the libraries themselves, through the `dice` binary.
//!
//! `tests/fixtures/options_reference.json` is written by `reference/options.py`: for each
//! case a `dice eval` input document (the README's fields) and the loss and ∂loss/∂pred that
//! MONAI's, segmentation_models_pytorch's, kornia's or Keras' own loss class returns on the
//! same data (float64, torch autograd). Each document is piped to `dice eval -` and the
//! loss and every gradient entry must agree within 1e-12·max(1, |expected|).

use serde_json::Value;

mod common;
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/options_reference.json"
);
const TOL: f64 = 1e-12;

fn eval(doc: &Value) -> Result<Value, String> {
    let out = common::dice(&["eval", "-"], &doc.to_string());
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// |got − want| / max(1, |want|).
fn err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1.0)
}

#[test]
fn every_option_matches_its_library() {
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap_or_else(|e| panic!("cannot read {FIXTURE}: {e}; run reference/options.py"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    // Every library the issue names has cases (the fixture was made with all of them).
    for lib in ["monai", "smp", "kornia", "keras"] {
        let n = cases
            .iter()
            .filter(|c| c["library"].as_str().unwrap().starts_with(lib))
            .count();
        assert!(n >= 4, "only {n} cases from {lib}");
    }
    let mut failures = Vec::new();
    let mut worst: std::collections::BTreeMap<String, f64> = Default::default();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let lib = case["library"].as_str().unwrap().to_string();
        let out = match eval(&case["input"]) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: dice eval refused: {e}"));
                continue;
            }
        };
        let want = &case["expected"];
        let Some(loss) = out["loss"].as_f64() else {
            failures.push(format!(
                "{name}: loss {} (expected {})",
                out["loss"], want["loss"]
            ));
            continue;
        };
        let mut e = err(loss, want["loss"].as_f64().unwrap());
        let (g, wg) = (
            out["grad"].as_array().unwrap(),
            want["grad"].as_array().unwrap(),
        );
        assert_eq!(g.len(), wg.len(), "{name}: gradient length");
        for (a, b) in g.iter().zip(wg) {
            let a = a.as_f64().unwrap_or(f64::NAN);
            e = e.max(err(a, b.as_f64().unwrap()));
        }
        if e.is_nan() || e > TOL {
            failures.push(format!("{name} ({}): max error {e:e}", case["call"]));
        }
        let w = worst.entry(lib).or_insert(0.0);
        *w = w.max(e);
    }
    eprintln!("largest error per library: {worst:?}");
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
