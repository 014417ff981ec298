//! The `dice` binary: one JSON object in, one JSON object out; bad input exits 2 with a
//! one-line message on stderr and nothing on stdout.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::BIN;
use serde_json::Value;

/// Two images, two classes, batch-wise sets, with an empty class in image 0.
const VALID: &str = r#"{"shape":[2,2,1,3],
  "y":   [1,1,1, 0,0,0,  0,1,1, 1,0,0],
  "pred":[0.9,0.8,0.7, 0.1,0.2,0.3,  0.2,0.6,0.9, 0.8,0.3,0.1],
  "phi":"BI","eps_nr":1e-5,"eps_dr":1e-5}"#;

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the dice binary");
    if let Some(text) = stdin {
        // The binary may refuse its arguments before reading stdin: a closed pipe here is
        // part of that answer, not a failure of the test.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    child.wait_with_output().expect("wait for the dice binary")
}

/// A file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, contents: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("dice-cli-test-{}-{tag}.json", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// Exit 0, nothing on stderr, and stdout is exactly one JSON object with every field.
fn check_success(out: &Output) -> Value {
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "status {:?}, stderr: {}",
        out.status,
        text(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "unexpected stderr: {}",
        text(&out.stderr)
    );
    assert!(
        stdout.ends_with('\n') && stdout.trim_end().lines().count() == 1,
        "stdout is not one line: {stdout:?}"
    );
    let v: Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    let obj = v.as_object().expect("stdout is a JSON object");
    for key in ["loss", "grad", "grad_prob", "sets", "undefined"] {
        assert!(obj.contains_key(key), "missing field {key} in {stdout}");
    }
    assert!(v["loss"].is_number(), "loss: {}", v["loss"]);
    for key in ["grad", "grad_prob"] {
        let a = v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} is not an array"));
        assert_eq!(a.len(), 12, "{key} has one entry per input value");
        assert!(a.iter().all(Value::is_number), "{key}: {}", v[key]);
    }
    let sets = v["sets"].as_array().expect("sets is an array");
    assert_eq!(sets.len(), 2, "batch-wise: one set per class");
    for s in sets {
        for key in [
            "cells",
            "v",
            "v_pred",
            "x",
            "numerator",
            "denominator",
            "sdsc",
            "term",
            "grad_fg",
            "grad_bg",
            "undefined",
        ] {
            assert!(s.get(key).is_some(), "set is missing {key}: {s}");
        }
    }
    assert_eq!(sets[0]["cells"], serde_json::json!([[0, 0], [1, 0]]));
    assert!(v["undefined"]
        .as_array()
        .expect("undefined is an array")
        .is_empty());
    v
}

#[test]
fn valid_input_from_a_file_and_from_stdin() {
    let file = TempFile::new("valid", VALID);
    let from_file = run(&["eval", file.path()], None);
    let from_stdin = run(&["eval", "-"], Some(VALID));
    check_success(&from_file);
    check_success(&from_stdin);
    assert_eq!(from_file.stdout, from_stdin.stdout);
    // The binary prints exactly what the library computes.
    let library = dice_playground::cli::eval_str(VALID).unwrap();
    let printed: serde_json::Value = serde_json::from_str(&text(&from_file.stdout)).unwrap();
    assert_eq!(printed, library);
    // In reading order: the loss first, the per-pixel arrays last.
    let out = text(&from_file.stdout);
    assert!(out.starts_with("{\"loss\":"), "{out}");
    assert!(out.find("\"sets\"").unwrap() < out.find("\"grad\"").unwrap());
}

/// A mistyped field or option, or another library's name for one, is refused with the
/// nearest known name: a loss computed without it would be another loss.
#[test]
fn unknown_fields_and_options_are_refused_with_the_nearest_known_name() {
    for (field, needle) in [
        (
            r#""include_backgroud":false"#,
            r#"unknown field "include_backgroud"; did you mean `include_background`?"#,
        ),
        (
            r#""sqaured":true"#,
            r#"unknown field "sqaured"; did you mean `squared`?"#,
        ),
        (r#""smooth_dr":0"#, "did you mean `eps_dr`?"),
        (
            r#""case":"from a script""#,
            r#"unknown field "case"; the fields are shape, y, pred,"#,
        ),
    ] {
        let doc = VALID.replacen('{', &format!("{{{field},"), 1);
        check_failure(field, &run(&["eval", "-"], Some(&doc)), needle);
    }
    check_failure(
        "--sqaured",
        &run(&["eval", "-", "--sqaured", "true"], Some(VALID)),
        "unknown option --sqaured; did you mean --squared?",
    );
    check_failure(
        "--include_backgroud",
        &run(&["eval", "-", "--include_backgroud", "false"], Some(VALID)),
        "did you mean --include-background?",
    );
}

/// The README's recipe: a batch saved from a PyTorch loop as one-hot labels and softmax
/// probabilities, read from an .npz with each preset. A preset that applies a softmax
/// refuses probabilities with what to pass; `--activation none` reads them as they are
/// and gives what the JSON input gives; logits work with the preset's softmax.
#[test]
fn the_readme_recipe_with_every_preset() {
    use ndarray17 as nd;
    // Near-perfect probabilities of 3 exclusive classes over 2 images of 2×3 pixels.
    let (b, c, h, w) = (2, 3, 2, 3);
    let class = |bi: usize, i: usize, j: usize| (bi + i + 2 * j) % c;
    let y = nd::Array::from_shape_fn((b, c, h, w), |(bi, k, i, j)| {
        f32::from(u8::from(class(bi, i, j) == k))
    });
    let logits = nd::Array::from_shape_fn((b, c, h, w), |(bi, k, i, j)| {
        if class(bi, i, j) == k {
            4.0f32
        } else {
            -1.5 + 0.1 * (i + j) as f32
        }
    });
    let mut prob = logits.clone();
    for bi in 0..b {
        for i in 0..h {
            for j in 0..w {
                let sum: f32 = (0..c).map(|k| logits[[bi, k, i, j]].exp()).sum();
                for k in 0..c {
                    prob[[bi, k, i, j]] = logits[[bi, k, i, j]].exp() / sum;
                }
            }
        }
    }
    let dir = std::env::temp_dir();
    let save = |name: &str, pred: &nd::Array4<f32>| {
        let path = dir.join(format!("dice-cli-{}-{name}.npz", std::process::id()));
        let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&path).unwrap());
        npz.add_array("y", &y).unwrap();
        npz.add_array("pred", pred).unwrap();
        npz.finish().unwrap();
        path
    };
    let (probs, logit_file) = (save("probs", &prob), save("logits", &logits));
    let eval = |file: &PathBuf, extra: &[&str]| {
        let f = file.to_str().unwrap();
        let mut args = vec!["eval", "--y", f, "--pred", f];
        args.extend_from_slice(extra);
        run(&args, None)
    };
    let ok = |out: &Output| -> Value {
        assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("stdout is JSON")
    };
    let as_json = |pred: &nd::Array4<f32>, settings: &str| {
        let flat = |a: &nd::Array4<f32>| {
            a.iter()
                .map(|&v| f64::from(v).to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let doc = format!(
            r#"{{"shape":[{b},{c},{h},{w}],"y":[{}],"pred":[{}],{settings}}}"#,
            flat(&y),
            flat(pred)
        );
        ok(&run(&["eval", "-"], Some(&doc)))["loss"].clone()
    };
    for preset in ["monai", "monai_batch", "keras"] {
        let out = ok(&eval(&probs, &["--preset", preset]));
        let want = as_json(&prob, &format!(r#""preset":"{preset}""#));
        assert_eq!(out["loss"], want, "{preset}");
    }
    for preset in ["nnunet", "nnunet_batch", "smp"] {
        check_failure(
            preset,
            &eval(&probs, &["--preset", preset]),
            &format!("preset {preset} applies a softmax to `pred`, reading it as logits, but every value of `pred` lies in [0, 1] like probabilities: if `pred` holds probabilities, pass --activation none"),
        );
        // The documented way to pass probabilities.
        let out = ok(&eval(&probs, &["--preset", preset, "--activation", "none"]));
        let want = as_json(
            &prob,
            &format!(r#""preset":"{preset}","activation":"none""#),
        );
        assert_eq!(out["loss"], want, "{preset}");
        // Logits with the preset's softmax give the same loss as those probabilities.
        let from_logits = ok(&eval(&logit_file, &["--preset", preset]));
        let (a, z) = (
            out["loss"].as_f64().unwrap(),
            from_logits["loss"].as_f64().unwrap(),
        );
        assert!((a - z).abs() < 1e-6, "{preset}: {a} vs {z}");
        // Saying it holds logits when it holds probabilities is taken at its word.
        ok(&eval(
            &probs,
            &["--preset", preset, "--activation", "softmax"],
        ));
    }
    for p in [probs, logit_file] {
        std::fs::remove_file(p).unwrap();
    }
}

#[test]
fn variant_and_missing_are_read_without_a_warning() {
    let doc = r#"{"shape":[1,2,1,2],"y":[1,1,0,0],"pred":[0.6,0.2,0.4,0.8],"eps_nr":0,"eps_dr":0,"variant":"marginal","missing":[[0,1]]}"#;
    let out = run(&["eval", "-"], Some(doc));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(
        v["grad_prob"],
        serde_json::json!([-0.125, -0.125, -0.125, -0.125])
    );
    let bad = doc.replace("[[0,1]]", "[[0,0]]");
    check_failure(
        "background missing",
        &run(&["eval", "-"], Some(&bad)),
        "background",
    );
}

#[test]
fn undefined_result_is_still_success_with_nulls() {
    let doc = r#"{"shape":[2,1,1,2],"y":[1,0,0,0],"pred":[1,0,0,0],"eps_nr":0,"eps_dr":0}"#;
    let out = run(&["eval", "-"], Some(doc));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert!(v["loss"].is_null());
    assert_eq!(v["grad"], serde_json::json!([-0.25, 0.25, null, null]));
    assert_eq!(v["undefined"].as_array().unwrap().len(), 1);
}

/// Exit status 2, nothing on stdout, one line on stderr containing `needle`.
fn check_failure(what: &str, out: &Output, needle: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: status {:?}, stderr {stderr:?}",
        out.status
    );
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout should be empty, got {:?}",
        text(&out.stdout)
    );
    assert!(
        stderr.ends_with('\n'),
        "{what}: stderr should end with a newline: {stderr:?}"
    );
    let line = &stderr[..stderr.len() - 1];
    assert!(!line.trim().is_empty(), "{what}: empty message");
    assert!(
        !line.contains('\n'),
        "{what}: stderr has more than one line: {stderr:?}"
    );
    assert!(
        line.contains(needle),
        "{what}: {stderr:?} does not mention {needle:?}"
    );
}

#[test]
fn invalid_documents_exit_2_with_one_line_on_stderr() {
    for (what, doc, needle) in [
        ("not JSON", "this is not json", "invalid input JSON"),
        ("empty input", "", "invalid input JSON"),
        ("two documents", "{} {}", "invalid input JSON"),
        (
            "shape rank",
            r#"{"shape":[1,1,2,2,2,2],"y":[1,0],"pred":[0,0]}"#,
            "1 to 3 spatial dimensions",
        ),
        (
            "wrong length",
            r#"{"shape":[1,1,1,2],"y":[1],"pred":[0,0]}"#,
            "`y` has 1 values",
        ),
        (
            "probability > 1",
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,2]}"#,
            "[0, 1]",
        ),
        (
            "label < 0",
            r#"{"shape":[1,1,1,2],"y":[-1,0],"pred":[0,0]}"#,
            "[0, 1]",
        ),
        (
            "negative eps",
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"eps_dr":-1}"#,
            "eps_dr",
        ),
        (
            "bad phi",
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"phi":"XY"}"#,
            "unknown phi",
        ),
        (
            "bad activation",
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"activation":"relu"}"#,
            "unknown activation",
        ),
        (
            "bad preset",
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"preset":"nope"}"#,
            "unknown preset",
        ),
        (
            "softmax on one class",
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"activation":"softmax"}"#,
            "2 classes",
        ),
    ] {
        check_failure(
            &format!("stdin: {what}"),
            &run(&["eval", "-"], Some(doc)),
            needle,
        );
    }
    let file = TempFile::new(
        "invalid",
        r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0,0],"phi":"XY"}"#,
    );
    check_failure(
        "file: bad phi",
        &run(&["eval", file.path()], None),
        "unknown phi",
    );
}

#[test]
fn bad_command_lines_exit_2_with_one_line_on_stderr() {
    let missing = std::env::temp_dir().join(format!(
        "dice-cli-test-{}-does-not-exist.json",
        std::process::id()
    ));
    check_failure(
        "missing file",
        &run(&["eval", missing.to_str().unwrap()], None),
        "cannot read",
    );
    check_failure("no arguments", &run(&[], None), "usage");
    check_failure("unknown command", &run(&["evaluate", "-"], None), "usage");
    check_failure(
        "too many arguments",
        &run(&["eval", "-", "extra"], None),
        "usage",
    );
}
