//! The engine against independent reference values.
//!
//! `tests/fixtures/reference.json` is written by `python3 reference/generate.py`: PyTorch
//! autograd in float64 on the formula of docs/science.md §2, cross-checked where they apply
//! against MONAI, segmentation_models_pytorch, Keras and nnU-Net (each case lists which in
//! `checked_against`). Every case is run through `dice_playground::cli::eval_str` and
//! compared field by field to abs 1e-12 + rel 1e-9, nulls included.

use std::collections::HashSet;

use serde_json::Value;

const ABS_TOL: f64 = 1e-12;
const REL_TOL: f64 = 1e-9;
const MIN_CASES: usize = 200;
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference.json");

fn load_cases() -> Vec<Value> {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| {
        panic!("cannot read {FIXTURE}: {e}; run `python3 reference/generate.py`")
    });
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{FIXTURE} is not JSON: {e}"));
    let cases = doc
        .as_array()
        .unwrap_or_else(|| panic!("{FIXTURE} must hold a JSON list of cases"))
        .clone();
    assert!(
        cases.len() >= MIN_CASES,
        "{FIXTURE} has only {} cases, at least {MIN_CASES} are required; regenerate it with `python3 reference/generate.py`",
        cases.len()
    );
    cases
}

/// A number or null, compared with the tolerance; null must match null.
fn number(field: &str, got: &Value, want: &Value) -> Result<(), String> {
    match (got, want) {
        (Value::Null, Value::Null) => Ok(()),
        (g, Value::Null) => Err(format!("{field}: got {g}, expected null")),
        (g, w) => {
            let w = w
                .as_f64()
                .ok_or_else(|| format!("{field}: fixture holds {w}, not a number"))?;
            let g = g
                .as_f64()
                .ok_or_else(|| format!("{field}: got {g}, expected {w:e}"))?;
            if (g - w).abs() <= ABS_TOL + REL_TOL * w.abs() {
                Ok(())
            } else {
                Err(format!(
                    "{field}: got {g:e}, expected {w:e} (difference {:e})",
                    g - w
                ))
            }
        }
    }
}

fn array<'a>(field: &str, v: &'a Value) -> Result<&'a Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("{field}: expected an array, got {v}"))
}

fn numbers(field: &str, got: &Value, want: &Value) -> Result<(), String> {
    let (g, w) = (array(field, got)?, array(field, want)?);
    if g.len() != w.len() {
        return Err(format!(
            "{field}: {} entries, expected {}",
            g.len(),
            w.len()
        ));
    }
    for (i, (g, w)) in g.iter().zip(w).enumerate() {
        number(&format!("{field}[{i}]"), g, w)?;
    }
    Ok(())
}

/// The first difference between the engine's output and the expected values.
fn compare(out: &Value, exp: &Value) -> Result<(), String> {
    number("loss", &out["loss"], &exp["loss"])?;
    numbers("grad", &out["grad"], &exp["grad"])?;
    numbers("grad_prob", &out["grad_prob"], &exp["grad_prob"])?;
    let (got_sets, want_sets) = (array("sets", &out["sets"])?, array("sets", &exp["sets"])?);
    if got_sets.len() != want_sets.len() {
        return Err(format!(
            "sets: {} sets, expected {}",
            got_sets.len(),
            want_sets.len()
        ));
    }
    for (i, (g, w)) in got_sets.iter().zip(want_sets).enumerate() {
        if g["cells"] != w["cells"] {
            return Err(format!(
                "sets[{i}].cells: got {}, expected {}",
                g["cells"], w["cells"]
            ));
        }
        for key in [
            "v",
            "v_pred",
            "x",
            "numerator",
            "denominator",
            "sdsc",
            "term",
            "grad_fg",
            "grad_bg",
        ] {
            number(&format!("sets[{i}].{key}"), &g[key], &w[key])?;
        }
        let want_undefined = w["undefined"]
            .as_bool()
            .ok_or("fixture: sets[].undefined must be a bool")?;
        let got_undefined = match &g["undefined"] {
            Value::Null => false,
            Value::String(_) => true,
            other => {
                return Err(format!(
                    "sets[{i}].undefined: got {other}, expected a string or null"
                ))
            }
        };
        if got_undefined != want_undefined {
            return Err(format!(
                "sets[{i}].undefined: got {}, expected {}",
                g["undefined"],
                if want_undefined { "a reason" } else { "null" }
            ));
        }
    }
    // Dice + cross-entropy: each term, unweighted, and its gradient.
    match (&exp["terms"], &out["terms"]) {
        (Value::Null, Value::Null) => {}
        (Value::Null, got) => return Err(format!("terms: got {got}, expected none")),
        (want, got) => {
            for term in ["dice", "ce"] {
                let (g, w) = (&got[term], &want[term]);
                if w.is_null() || g.is_null() {
                    if !(w.is_null() && g.is_null()) {
                        return Err(format!("terms.{term}: got {g}, expected {w}"));
                    }
                    continue;
                }
                number(&format!("terms.{term}.loss"), &g["loss"], &w["loss"])?;
                number(&format!("terms.{term}.weight"), &g["weight"], &w["weight"])?;
                numbers(&format!("terms.{term}.grad"), &g["grad"], &w["grad"])?;
            }
        }
    }
    let reasons = array("undefined", &out["undefined"])?.len() as u64;
    let want = exp["undefined_count"]
        .as_u64()
        .ok_or("fixture: undefined_count missing")?;
    if reasons != want {
        return Err(format!("undefined: {reasons} reasons, expected {want}"));
    }
    Ok(())
}

#[test]
fn engine_matches_every_reference_case() {
    let cases = load_cases();
    let mut names = HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().expect("every case has a name");
        assert!(names.insert(name.to_string()), "duplicate case name {name}");
        let checked = case["checked_against"].as_array().map_or(0, Vec::len);
        assert!(checked > 0, "{name}: checked_against is empty");
        let input = serde_json::to_string(&case["input"]).unwrap();
        let result = match dice_playground::cli::eval_str(&input) {
            Ok(out) => compare(&out, &case["expected"]),
            Err(e) => Err(format!("eval_str failed: {e}")),
        };
        if let Err(msg) = result {
            eprintln!("MISMATCH in case {name}: {msg}");
            failures.push(format!("{name}: {msg}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} reference cases differ; first: {}",
        failures.len(),
        cases.len(),
        failures[0]
    );
}

/// The fixture covers every Φ × squared × Jaccard × background × activation combination,
/// every preset, and undefined (null) results.
#[test]
fn fixture_covers_every_combination() {
    let cases = load_cases();
    let mut seen = HashSet::new();
    let mut presets = HashSet::new();
    let mut null_losses = 0;
    for case in &cases {
        let inp = &case["input"];
        if let Some(p) = inp["preset"].as_str() {
            presets.insert(p.to_string());
            continue;
        }
        let text = |k: &str, d: &str| inp[k].as_str().unwrap_or(d).to_string();
        let flag = |k: &str, d: bool| inp[k].as_bool().unwrap_or(d);
        seen.insert((
            text("phi", "I"),
            flag("squared", false),
            flag("jaccard", false),
            flag("include_background", true),
            text("activation", "none"),
        ));
        null_losses += usize::from(case["expected"]["loss"].is_null());
    }
    for phi in ["I", "CI", "BI", "BCI"] {
        for squared in [false, true] {
            for jaccard in [false, true] {
                for bg in [false, true] {
                    for act in ["none", "sigmoid", "softmax"] {
                        let key = (phi.to_string(), squared, jaccard, bg, act.to_string());
                        assert!(seen.contains(&key), "no case for {key:?}");
                    }
                }
            }
        }
    }
    for p in dice_playground::engine::presets::FRAMEWORK_PRESETS {
        assert!(presets.contains(p.name), "no case for preset {}", p.name);
    }
    assert!(
        null_losses >= 5,
        "only {null_losses} cases with an undefined loss"
    );
}

/// The leaf and marginal Dice: every Φ, the background in and out for leaf (the marginal
/// Dice keeps it), every activation each allows, a constant set with ε = 0, and the
/// authors' own losses (transcribed) checked on their settings.
#[test]
fn fixture_covers_the_variants() {
    let cases = load_cases();
    let mut seen = HashSet::new();
    let mut authors = HashSet::new();
    let mut constant_with_zero_eps = 0;
    for case in &cases {
        let inp = &case["input"];
        let Some(variant) = inp["variant"].as_str() else {
            continue;
        };
        if inp["missing"].as_array().is_none_or(Vec::is_empty) {
            continue;
        }
        let text = |k: &str, d: &str| inp[k].as_str().unwrap_or(d).to_string();
        seen.insert((
            variant.to_string(),
            text("phi", "I"),
            inp["include_background"].as_bool().unwrap_or(true),
            text("activation", "none"),
        ));
        for check in case["checked_against"].as_array().unwrap() {
            let check = check.as_str().unwrap();
            if check.starts_with("dicegrad ") {
                authors.insert(variant.to_string());
            }
            assert!(
                !check.starts_with("monai") && !check.starts_with("nnunet"),
                "{}: a library does not compute the {variant} Dice",
                case["name"]
            );
        }
        let zero_eps = inp["eps_dr"].as_f64() == Some(0.0);
        let loss_defined = !case["expected"]["loss"].is_null();
        if zero_eps && loss_defined && case["name"].as_str().unwrap().contains("everywhere") {
            constant_with_zero_eps += 1;
        }
    }
    for phi in ["I", "CI", "BI", "BCI"] {
        for act in ["none", "sigmoid", "softmax"] {
            for bg in [true, false] {
                let key = ("leaf".to_string(), phi.to_string(), bg, act.to_string());
                assert!(seen.contains(&key), "no case for {key:?}");
            }
            if act != "sigmoid" {
                let key = (
                    "marginal".to_string(),
                    phi.to_string(),
                    true,
                    act.to_string(),
                );
                assert!(seen.contains(&key), "no case for {key:?}");
            }
        }
    }
    assert_eq!(
        authors,
        HashSet::from(["leaf".to_string(), "marginal".to_string()]),
        "the authors' losses are checked for both"
    );
    assert!(constant_with_zero_eps >= 4, "{constant_with_zero_eps}");
}

/// Per-class ε and Dice + cross-entropy are covered, and the CE presets were checked
/// against the libraries they reproduce (MONAI's softmax CE under sigmoid=True included).
#[test]
fn fixture_covers_class_eps_and_cross_entropy() {
    let cases = load_cases();
    let checked_by = |name: &str, lib: &str| {
        cases.iter().any(|c| {
            c["name"].as_str().unwrap().starts_with(name)
                && c["checked_against"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x.as_str().unwrap().contains(lib))
        })
    };
    for (name, lib) in [
        ("ce_preset/monai_dice_ce/sigmoid/C3", "DiceCELoss"),
        ("ce_preset/monai_dice_ce/sigmoid/C1", "DiceCELoss"),
        ("ce_preset/monai_dice_ce/0", "DiceCELoss"),
        ("ce_preset/nnunet_dice_ce/", "DC_and_CE_loss"),
        ("ce_preset/nnunet_dice_ce_batch/", "DC_and_CE_loss"),
        ("class_eps/BI/", "formula"),
        ("class_eps/I/", "formula"),
        ("ce/dice_weight0", "formula"),
        ("ce/saturated_probability", "formula"),
    ] {
        assert!(
            checked_by(name, lib),
            "no {name} case checked against {lib}"
        );
    }
    let lists = cases
        .iter()
        .filter(|c| c["input"]["eps_nr"].is_array())
        .count();
    assert!(lists >= 20, "only {lists} per-class ε cases");
}
