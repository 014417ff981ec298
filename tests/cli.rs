//! The `dice` binary: one JSON object in, one JSON object out; bad input exits 2 with a
//! one-line message on stderr and nothing on stdout.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dice");

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
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
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
    let library = dice_playground::cli::eval_str(VALID).unwrap().to_string();
    assert_eq!(text(&from_file.stdout).trim_end(), library);
}

#[test]
fn unknown_fields_are_ignored_with_a_warning() {
    let doc = VALID.replacen('{', r#"{"case":"from a script","#, 1);
    let out = run(&["eval", "-"], Some(&doc));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).trim(),
        r#"warning: ignoring unknown field "case""#
    );
    assert_eq!(out.stdout, run(&["eval", "-"], Some(VALID)).stdout);
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
