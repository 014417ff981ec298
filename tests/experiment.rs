//! `dice experiment`: the paper's points on generated data, with the defaults, for both
//! templates, several seeds, sizes 24 and 32 and 16 to 48 images per split; the dumped
//! runs replay through `dice train` to the same model; the same config gives the same
//! bytes.

mod common;

use serde_json::{json, Value};

/// Runs given only name, Φ, ε and batch size, as the acceptance asks.
fn paper_runs() -> Value {
    json!([
        {"name": "I", "phi": "I", "eps": 1e-7, "batch_size": 8},
        {"name": "BI", "phi": "BI", "eps": 1e-7, "batch_size": 8},
        {"name": "I heuristic", "phi": "I", "eps": "heuristic", "batch_size": 8},
        {"name": "BI b1", "phi": "BI", "eps": 1e-7, "batch_size": 1},
        {"name": "I b1", "phi": "I", "eps": 1e-7, "batch_size": 1},
    ])
}

fn run(template: &str, seed: u64, size: usize, images: usize) -> Value {
    let config = json!({
        "template": template,
        "seed": seed,
        "images": {"train": images, "test": images, "size": size},
        "runs": paper_runs(),
    });
    let (exp, results) =
        dice_playground::cli::experiment::run_str(&config.to_string()).expect("runs");
    dice_playground::cli::experiment::to_json(&exp, &results)
}

fn by_name<'a>(out: &'a Value, name: &str) -> &'a Value {
    out["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no run {name}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// The paper's table on one data set; returns a line for the log.
fn check(template: &str, seed: u64, size: usize, images: usize) -> String {
    let out = run(template, seed, size, images);
    let lose = if template == "missing" { 0.3 } else { 0.2 };
    let at = format!("{template} seed {seed} size {size} images {images}");
    let b = |name: &str| f(&by_name(&out, name)["b_ratio"]);
    assert!(b("I") >= 0.5, "{at}: I keeps group B: {}", b("I"));
    assert!(b("BI") <= lose, "{at}: BI at batch 8 loses it: {}", b("BI"));
    assert!(
        b("I heuristic") <= lose,
        "{at}: I with the heuristic ε loses it: {}",
        b("I heuristic")
    );
    for r in out["runs"].as_array().unwrap() {
        let d = f(&r["a_dice"]);
        assert!(d >= 0.7, "{at}: {} a_dice {d}", r["name"]);
        assert!(r["stopped"].is_null(), "{at}: {} stopped", r["name"]);
    }
    // BI with one image per batch is I: the same sets, so the same run to rounding.
    let (bi, i) = (by_name(&out, "BI b1"), by_name(&out, "I b1"));
    let close = |a: &Value, b: &Value| (f(a) - f(b)).abs() <= 1e-9 * f(b).abs().max(1e-300);
    for key in ["b_ratio", "a_dice", "auc", "volume_error"] {
        assert!(
            close(&bi[key], &i[key]),
            "{at}: {key} {} vs {}",
            bi[key],
            i[key]
        );
    }
    for key in ["w", "b"] {
        for (x, y) in bi["model"][key]
            .as_array()
            .unwrap()
            .iter()
            .zip(i["model"][key].as_array().unwrap())
        {
            assert!(close(x, y), "{at}: model {key}: {x} vs {y}");
        }
    }
    format!(
        "{at}: I {:.3}, BI {:.3}, I heuristic {:.3}, BI b1 {:.3}, min a_dice {:.3}",
        b("I"),
        b("BI"),
        b("I heuristic"),
        b("BI b1"),
        out["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| f(&r["a_dice"]))
            .fold(1.0, f64::min)
    )
}

#[test]
fn the_missing_template_makes_the_papers_points() {
    for (seed, size, images) in [(1, 24, 16), (2, 32, 48), (3, 24, 48), (4, 32, 16)] {
        eprintln!("{}", check("missing", seed, size, images));
    }
}

#[test]
fn the_empty_template_makes_the_papers_points() {
    for (seed, size, images) in [(1, 24, 16), (2, 32, 48), (3, 24, 48), (4, 32, 16)] {
        eprintln!("{}", check("empty", seed, size, images));
    }
}

fn dice(args: &[&str], stdin: &str) -> std::process::Output {
    common::dice(args, stdin)
}

/// Every dumped run is a complete `dice train` input (no field it warns about) that
/// trains to the run's model exactly; the dump and the output are the same bytes twice.
#[test]
fn dumped_runs_replay_to_the_same_model_and_bytes_repeat() {
    let config = json!({
        "template": "missing",
        "seed": 7,
        "images": {"train": 16, "test": 16, "size": 24},
        "steps": 120,
        "runs": [
            {"name": "I", "eps": 1e-7},
            {"name": "heuristic BI", "phi": "BI", "eps": "heuristic", "batch_size": 4},
            {"name": "marginal", "variant": "marginal", "include_background": true},
            {"name": "MONAI Dice+CE sigmoid", "preset": "monai_dice_ce", "activation": "sigmoid"},
            {"name": "full", "labels": "full", "ce_weight": 1, "batch_size": 16},
            // The peer libraries' options are written into the dumped input and replayed.
            {"name": "options", "soft_label": true, "tversky_alpha": 0.3, "tversky_beta": 0.7,
             "class_weights": [1, 2, 0.5, 3], "class_weighting": "mean", "focal_gamma": 1.5,
             "log_loss": true, "infer_missing": true, "variant": "leaf"},
        ],
    })
    .to_string();
    let base = std::env::temp_dir().join(format!("dice-experiment-{}", std::process::id()));
    let (a, b) = (base.join("a"), base.join("b"));
    let out_a = dice(&["experiment", "-", "--dump", a.to_str().unwrap()], &config);
    assert_eq!(
        out_a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out_a.stderr)
    );
    std::fs::create_dir_all(&b).unwrap(); // an existing directory is fine
    let out_b = dice(&["experiment", "-", "--dump", b.to_str().unwrap()], &config);
    assert_eq!(
        out_a.stdout, out_b.stdout,
        "the same config gives the same bytes"
    );
    for name in ["dataset.npz", "run-00.json", "run-05.json"] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
    assert!(!a.join("run-06.json").exists());
    let out: Value = serde_json::from_slice(&out_a.stdout).unwrap();
    for (i, r) in out["runs"].as_array().unwrap().iter().enumerate() {
        let path = a.join(format!("run-{i:02}.json"));
        let replay = dice(&["train", path.to_str().unwrap()], "");
        assert_eq!(replay.status.code(), Some(0));
        assert!(
            replay.stderr.is_empty(),
            "run {i}: {}",
            String::from_utf8_lossy(&replay.stderr)
        );
        let t: Value = serde_json::from_slice(&replay.stdout).unwrap();
        assert_eq!(t["model"], r["model"], "run {i} ({})", r["name"]);
        assert_eq!(t["loss"], r["loss"], "run {i} ({})", r["name"]);
    }
    // The dataset: x, the labels as the loss sees them, the truth, the group and split.
    let npz = std::fs::read(a.join("dataset.npz")).unwrap();
    assert!(npz.starts_with(b"PK"));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn bad_configs_are_one_line_errors() {
    for (config, needle) in [
        (json!({}), "missing field `template`"),
        (json!({"template": "brats"}), "unknown template"),
        (
            json!({"template": "empty", "sed": 1}),
            "unknown field \"sed\"",
        ),
        (
            json!({"template": "empty", "images": {"size": 4}}),
            "images.size must be from",
        ),
        (
            json!({"template": "empty", "images": {"train": 1}}),
            "images.train must be from",
        ),
        (
            json!({"template": "empty", "runs": [{"phi": "I"}]}),
            "missing field `name`",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "ph": "I"}]}),
            "unknown field \"ph\"",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "eps": "tiny"}]}),
            "a number or \"heuristic\"",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "eps": 1, "eps_nr": 1}]}),
            "not both",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "batch_size": 99}]}),
            "batch_size must be from 1",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a"}, {"name": "a"}]}),
            "two runs are named",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "phi": "CI", "eps": "heuristic"}]}),
            "Φ = I or BI",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "activation": "none", "ce_weight": 1}]}),
            "needs logits",
        ),
        (
            json!({"template": "empty", "runs": [{"name": "a", "missing": [[0, 1]]}]}),
            "knows which labels are missing",
        ),
        (
            json!({"template": "empty", "model": {"kind": "pixels"}}),
            "shared model",
        ),
        (
            json!({"template": "empty", "model": {"kind": "conv3x3", "w": [0]}}),
            "its weights come from the seed",
        ),
    ] {
        let out = dice(&["experiment", "-"], &config.to_string());
        assert_eq!(out.status.code(), Some(2), "{config}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{config}: {err}");
    }
    let out = dice(&["experiment"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = dice(&["experiment", "-", "--dump"], "{}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dump needs a directory"));
}
