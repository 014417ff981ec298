//! The `dice` binary on real-data inputs (volumes, numpy files, flags) and on every bad
//! input a fuzzer found: exit 2 with one short line, or quiet on a closed pipe, never a
//! panic. The array-file readers' hostile cases (and NIfTI) are in `tests/cli_files.rs`.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::BIN;
use ndarray17 as nd;
use serde_json::Value;

fn run_with(args: &[&std::ffi::OsStr], stdin: &str) -> Output {
    common::dice(args, stdin)
}

fn run(args: &[&str], stdin: &str) -> Output {
    common::dice(args, stdin)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Exit 2, nothing on stdout, one short line on stderr containing `needle`.
#[track_caller]
fn refused(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    assert!(
        err.ends_with('\n') && err.lines().count() == 1,
        "not one line: {err:?}"
    );
    assert!(err.len() < 600, "{} bytes on stderr", err.len());
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dice-cli-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn doc(shape: &[usize], y: &[f64], pred: &[f64], extra: &str) -> String {
    format!(
        r#"{{"shape":{},"y":{},"pred":{}{extra}}}"#,
        serde_json::to_string(shape).unwrap(),
        serde_json::to_string(y).unwrap(),
        serde_json::to_string(pred).unwrap()
    )
}

const SMALL: &str = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,0.5]}"#;

#[test]
fn volumes_with_one_to_three_spatial_dimensions() {
    let y: Vec<f64> = (0..16).map(|i| f64::from(i % 3 == 0)).collect();
    let p: Vec<f64> = (0..16).map(|i| f64::from(i) / 16.0).collect();
    let four = json(&run(&["eval", "-"], &doc(&[2, 1, 4, 2], &y, &p, "")));
    for shape in [&[2, 1, 8][..], &[2, 1, 2, 2, 2]] {
        assert_eq!(
            json(&run(&["eval", "-"], &doc(shape, &y, &p, ""))),
            four,
            "{shape:?}"
        );
    }
    refused(
        &run(&["eval", "-"], &doc(&[1, 1, 2, 2, 2, 2], &y, &p, "")),
        "1 to 3 spatial dimensions",
    );
}

/// Fuzz finding: ε = 0, no foreground and ỹ = 1e-300 was "undefined: overflow … ε_nr is
/// huge"; the loss is 1.
#[test]
fn an_empty_set_with_a_tiny_prediction_has_loss_one() {
    let out = json(&run(
        &["eval", "-"],
        r#"{"shape":[1,1,1,1],"y":[0],"pred":[1e-300],"eps_nr":0,"eps_dr":0}"#,
    ));
    assert_eq!(out["loss"], 1.0);
    assert_eq!(out["undefined"], serde_json::json!([]));
}

#[test]
fn the_output_says_when_the_loss_can_leave_zero_one() {
    let bounded = json(&run(&["eval", "-"], SMALL));
    assert!(bounded["loss_range_warning"].is_null());
    let out = json(&run(
        &["eval", "-", "--eps-nr", "1", "--eps-dr", "0.1"],
        SMALL,
    ));
    let w = out["loss_range_warning"].as_str().unwrap();
    assert!(w.contains("ε_nr > ε_dr") && w.contains("-9"), "{w}");
}

#[test]
fn numbers_that_underflow_are_refused_like_numbers_that_overflow() {
    for (field, value, needle) in [
        ("eps_nr", "1e-400", "would become 0"),
        ("eps_dr", "1e-400", "would become 0"),
        ("denominator_floor", "-1e-999", "would become 0"),
        ("eps_nr", "1e400", "beyond the range"),
    ] {
        let d = SMALL.replacen('{', &format!(r#"{{"{field}":{value},"#), 1);
        refused(&run(&["eval", "-"], &d), needle);
        refused(
            &run(&["eval", "-", &format!("--{field}"), value], SMALL),
            needle,
        );
    }
    let d = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,1e-400]}"#;
    refused(&run(&["eval", "-"], d), "`pred`[1]");
    // The smallest subnormal is a number like any other.
    let d = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,5e-324]}"#;
    assert!(json(&run(&["eval", "-"], d))["loss"].is_number());
}

#[test]
fn echoes_of_user_input_are_short() {
    let huge = "X".repeat(10_000_000);
    let d = SMALL.replacen('{', &format!(r#"{{"phi":"{huge}","#), 1);
    refused(&run(&["eval", "-"], &d), "unknown phi \"XXXX");
    let d = SMALL.replacen('{', &format!(r#"{{"eps_nr":"{huge}","#), 1);
    refused(&run(&["eval", "-"], &d), "`eps_nr` must be a number");
    let d = SMALL.replacen('{', &format!(r#"{{"{huge}":1,"{huge}":2,"#), 1);
    refused(&run(&["eval", "-"], &d), "is given twice");
    refused(
        &run(&["eval", "-"], &format!("\"{huge}\"")),
        "must be one JSON object",
    );
    refused(
        // One argument can hold at most 128 KiB on Linux.
        &run(&["eval", "-", "--phi", &"Y".repeat(100_000)], SMALL),
        "(100000 characters)",
    );
    // A 1 MB unknown key: refused, echoed as a short excerpt.
    let key = "k".repeat(1_000_000);
    let out = run(
        &["eval", "-"],
        &SMALL.replacen('{', &format!(r#"{{"{key}":0,"#), 1),
    );
    refused(&out, "(1000000 characters); the fields are");
}

#[test]
fn an_unknown_field_nested_beyond_the_recursion_limit_is_refused() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let d = SMALL.replacen('{', &format!(r#"{{"meta":{deep},"#), 1);
    refused(&run(&["eval", "-"], &d), "unknown field \"meta\";");
    // Deep nesting inside a field the engine reads is a plain error.
    let d = SMALL.replacen('{', &format!(r#"{{"phi":{deep},"#), 1);
    refused(&run(&["eval", "-"], &d), "`phi` must be a string");
}

#[cfg(unix)]
#[test]
fn a_non_utf8_argument_is_a_message() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"\xff");
    refused(
        &run_with(&[std::ffi::OsStr::new("eval"), bad], ""),
        "cannot read",
    );
    refused(&run_with(&[bad], ""), "usage");
    let flag = [
        std::ffi::OsStr::new("eval"),
        "-".as_ref(),
        "--phi".as_ref(),
        bad,
    ];
    refused(&run_with(&flag, SMALL), "not valid UTF-8");
}

/// A large output, so the binary is still writing when the reader goes away.
fn large_input() -> String {
    let n = 300_000;
    doc(&[1, 1, n], &vec![0.0; n], &vec![0.25; n], "")
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mut child = Command::new(BIN)
        .args(["eval", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(large_input().as_bytes())
        .unwrap();
    let mut first = [0u8; 1];
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_exact(&mut first).unwrap(); // like `| head -c1`
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(&first, b"{");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_exit_2_with_one_line() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut child = Command::new(BIN)
        .args(["eval", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(SMALL.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    refused(&out, "cannot write the output: No space left on device");
}

/// y and pred from files give exactly what the same values give as JSON.
#[test]
fn numpy_files_give_what_json_gives() {
    let y = nd::Array::from_shape_fn((2, 2, 3, 4), |(b, c, i, j)| ((b + c + i * j) % 2) as u8);
    let pred = nd::Array::from_shape_fn((2, 2, 3, 4), |(b, c, i, j)| {
        0.05 + 0.9 * ((b * 7 + c * 5 + i * 3 + j) % 11) as f32 / 10.0
    });
    let as_json = doc(
        &[2, 2, 3, 4],
        &y.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        &pred.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        r#","phi":"BI","eps_nr":1e-7,"eps_dr":1e-7"#,
    );
    let want = run(&["eval", "-"], &as_json);
    json(&want);

    let (yp, pp) = (temp("y.npy"), temp("pred.npy"));
    ndarray_npy::write_npy(&yp, &y).unwrap();
    ndarray_npy::write_npy(&pp, &pred).unwrap();
    let (ys, ps) = (yp.to_str().unwrap(), pp.to_str().unwrap());
    let out = run(
        &[
            "eval", "--y", ys, "--pred", ps, "--phi", "BI", "--eps", "1e-7",
        ],
        "",
    );
    assert_eq!(text(&out.stdout), text(&want.stdout));
    assert_eq!(text(&out.stderr), "");

    // Settings from a JSON file, arrays from an .npz archive.
    let zp = temp("batch.npz");
    let mut w = ndarray_npy::NpzWriter::new_compressed(std::fs::File::create(&zp).unwrap());
    w.add_array("y", &y).unwrap();
    w.add_array("pred", &pred).unwrap();
    w.finish().unwrap();
    let zs = zp.to_str().unwrap();
    let settings = r#"{"phi":"BI","eps_nr":1e-7,"eps_dr":1e-7}"#;
    let out = run(&["eval", "-", "--y", zs, "--pred", zs], settings);
    assert_eq!(text(&out.stdout), text(&want.stdout));

    // Shapes are compared before any data is read.
    let other = temp("other.npy");
    ndarray_npy::write_npy(&other, &nd::Array::<f32, _>::zeros((2, 2, 4, 3))).unwrap();
    refused(
        &run(&["eval", "--y", ys, "--pred", other.to_str().unwrap()], ""),
        "has shape [2, 2, 3, 4] but `pred` has shape [2, 2, 4, 3]",
    );
    refused(
        &run(
            &["eval", "-", "--y", ys, "--pred", ps],
            r#"{"shape":[1,1,1,2]}"#,
        ),
        "but the input's `shape` is [1, 1, 1, 2]",
    );
    refused(
        &run(&["eval", "-", "--y", ys], r#"{"y":[1]}"#),
        "given both in the input document and as --y",
    );
    refused(&run(&["eval", "--y", ys], ""), "missing field `pred`");
    refused(
        &run(&["eval", "--y", "labels.csv", "--pred", ps], ""),
        "unknown file type",
    );
    for p in [yp, pp, zp, other] {
        std::fs::remove_file(p).unwrap();
    }
}

/// Fuzz finding 5: repeated flags were accepted and the last one won, though a repeated
/// JSON field is refused. A flag given twice is refused, also under its other spelling or
/// through `--eps` (which sets both ε).
#[test]
fn a_flag_given_twice_is_refused() {
    for (args, needle) in [
        (
            vec!["--eps-nr", "1", "--eps_nr", "2"],
            "--eps-nr and --eps_nr both set `eps_nr`; give each option once",
        ),
        (vec!["--phi", "I", "--phi=BI"], "--phi is given twice"),
        (
            vec!["--eps", "1e-5", "--eps-dr=0"],
            "--eps and --eps-dr both set `eps_dr`",
        ),
        (
            vec![
                "--include_background",
                "true",
                "--include-background",
                "false",
            ],
            "both set `include_background`",
        ),
        (vec!["--y", "a.npy", "--y", "b.npy"], "--y is given twice"),
    ] {
        let mut all = vec!["eval", "-"];
        all.extend(args.iter().copied());
        refused(&run(&all, SMALL), needle);
    }
    // `dice train`'s own fields too.
    refused(
        &run(&["train", "-", "--steps", "1", "--steps", "2"], "{}"),
        "--steps is given twice",
    );
    // Different fields are fine, and a flag still overrides the document.
    let out = json(&run(
        &["eval", "-", "--eps-nr", "0", "--eps-dr", "0", "--phi", "BI"],
        SMALL,
    ));
    assert_eq!(out["loss"], 0.5);
}

/// Fuzz finding 3: a valid 48 MB JSON input peaked at 552 MB (the gradient's text was kept
/// whole to be written twice). A document is at most 64 MiB, said before anything is
/// read when the file says its size, and a run stays within a small multiple of its input:
/// here 24 MB of single digits, the worst case (2 bytes a number), in a 200 MB address
/// space (the text alone took 130 MB before).
#[test]
fn json_input_is_limited_and_memory_stays_a_small_multiple_of_it() {
    let n = 6_000_000;
    let y: String = (0..n)
        .map(|i| if i % 7 < 3 { "1," } else { "0," })
        .collect();
    let pred: String = (0..n)
        .map(|i| if i % 5 < 2 { "1," } else { "0," })
        .collect();
    let d = format!(
        r#"{{"shape":[1,1,{n}],"y":[{}],"pred":[{}]}}"#,
        y.trim_end_matches(','),
        pred.trim_end_matches(',')
    );
    assert!(d.len() > 23_000_000);
    let dir = std::env::temp_dir().join(format!("dice-cli-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("big.json");
    std::fs::write(&f, &d).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {}; exec \"$0\" eval \"$1\" > /dev/null",
            200 * 1024
        ))
        .arg(BIN)
        .arg(&f)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Beyond the limit: refused, from a file (before reading it) and from a pipe.
    let limit = 64 << 20;
    let big = format!(
        r#"{{"shape":[1,1,2],"y":[1,0],"pred":[0.5,0.5],"pad":"{}"}}"#,
        "x".repeat(limit)
    );
    std::fs::write(&f, &big).unwrap();
    let needle = "is larger than 64 MiB, the most an input document may have";
    refused(&run(&["eval", f.to_str().unwrap()], ""), needle);
    refused(&run(&["eval", "-"], &big), needle);
    refused(&run(&["train", "-"], &big), needle);
    std::fs::remove_file(&f).unwrap();
}

/// Fuzz finding 5: in `dice train`, `1e-400` inside `model` or `optimizer` silently
/// became 0, and `1e400` there was reported at a column counted from the sub-object.
#[test]
fn numbers_inside_model_and_optimizer_are_checked_like_the_others() {
    let base = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,0.5],"steps":1,
        "model":{"kind":"pixels"},"optimizer":{"kind":"sgd","lr":0.1}}"#;
    for (field, value, needle) in [
        (
            "optimizer",
            r#"{"kind":"sgd","lr":1e-400}"#,
            "`optimizer` field \"lr\": \"1e-400\" is below the smallest positive 64-bit float",
        ),
        (
            "optimizer",
            r#"{"kind":"adam","lr":0.1,"betas":[0.9,1e-999]}"#,
            "`optimizer` field \"betas\": \"1e-999\" is below",
        ),
        (
            "optimizer",
            r#"{"kind":"adam","lr":0.1,"eps":-1e400}"#,
            "`optimizer` field \"eps\": \"-1e400\" is beyond the range of 64-bit floats",
        ),
        (
            "model",
            r#"{"kind":"linear","w":[1e-400],"b":[0]}"#,
            "`model` field \"w\": \"1e-400\" is below",
        ),
    ] {
        let d = base.replace(
            &format!(
                r#""{field}":{}"#,
                if field == "model" {
                    r#"{"kind":"pixels"}"#
                } else {
                    r#"{"kind":"sgd","lr":0.1}"#
                }
            ),
            &format!(r#""{field}":{value}"#),
        );
        assert_ne!(d, base);
        let out = run(&["train", "-"], &d);
        refused(&out, needle);
        assert!(
            !text(&out.stderr).contains("column"),
            "{}",
            text(&out.stderr)
        );
    }
    // serde's own errors inside a sub-object carry no position counted from it.
    let d = base.replace(r#""lr":0.1"#, r#""lr":"fast""#);
    let out = run(&["train", "-"], &d);
    refused(
        &out,
        "invalid `optimizer`: invalid type: string \"fast\", expected f64",
    );
    assert!(
        !text(&out.stderr).contains("column"),
        "{}",
        text(&out.stderr)
    );
    // A subnormal is a number like any other, and 0 is 0.
    let d = base.replace(r#""lr":0.1"#, r#""lr":0"#);
    assert_eq!(
        json(&run(&["train", "-"], &d))["loss"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Fuzz finding 7: error messages printed numbers in full (`-1e-300` as 300 digits, then
/// cut mid-word by the length cap; a 309-digit learning rate in `stopped.reason`).
#[test]
fn numbers_in_messages_are_short() {
    refused(
        &run(&["eval", "-", "--eps-nr", "-1e-300"], SMALL),
        "`eps_nr` must be a finite number ≥ 0, got -1e-300",
    );
    refused(
        &run(
            &["eval", "-"],
            r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,1.5e300]}"#,
        ),
        "prediction at index 1 is 1.5e300; without an activation",
    );
    let d = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,0.5],"activation":"sigmoid","steps":5,
        "model":{"kind":"pixels"},"optimizer":{"kind":"adam","lr":1e308}}"#;
    let out = json(&run(&["train", "-"], d));
    let reason = out["stopped"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("(learning rate 1e308 too large)") && reason.len() < 120,
        "{reason}"
    );
}

/// Fuzz finding 7: with ε = 0 a set whose only foreground is labels of 1e-300 was reported
/// "overflow", though its loss is 1 and its gradient −2 on those pixels.
#[test]
fn a_set_whose_only_foreground_is_tiny_labels_has_loss_one() {
    for label in ["1e-300", "1e-305"] {
        let d =
            format!(r#"{{"shape":[1,1,1,2],"y":[{label},0],"pred":[0,0],"eps_nr":0,"eps_dr":0}}"#);
        let out = json(&run(&["eval", "-"], &d));
        assert_eq!(out["loss"], 1.0, "{label}");
        assert_eq!(out["undefined"], serde_json::json!([]), "{label}");
        let g = out["grad"].as_array().unwrap();
        assert!(
            (g[0].as_f64().unwrap() + 2.0).abs() < 1e-12,
            "{label}: {g:?}"
        );
        assert_eq!(g[1].as_f64(), Some(0.0), "{label}: {g:?}");
    }
    // With the squared denominator the labels square to 0: the set is not "0/0, no
    // foreground", its sums are beyond 64-bit floats.
    let d =
        r#"{"shape":[1,1,1,2],"y":[1e-300,0],"pred":[0,0],"eps_nr":0,"eps_dr":0,"squared":true}"#;
    let out = json(&run(&["eval", "-"], d));
    let why = out["undefined"][0].as_str().unwrap();
    assert!(
        why.contains("overflow") && !why.contains("no foreground"),
        "{why}"
    );
}

/// Fuzz finding 7: `loss_range_warning` said "bounded below only by -inf" (and put `inf`
/// in the JSON) or "only by 0".
#[test]
fn the_loss_range_warning_never_says_inf_or_zero() {
    for (flags, needle) in [
        (
            vec!["--eps-nr", "1e300", "--eps-dr", "1e-300"],
            "below −1.8e308 (beyond 64-bit floats)",
        ),
        (
            vec![
                "--eps-nr",
                "1e-20",
                "--eps-dr",
                "0",
                "--denominator-floor",
                "1",
            ],
            "bounded below only by -1e-20",
        ),
        (
            vec!["--eps-nr", "1.0000000000000002", "--eps-dr", "1"],
            "bounded below only by -2.22e-16",
        ),
        (
            vec![
                "--eps-nr",
                "5e-324",
                "--eps-dr",
                "0",
                "--denominator-floor",
                "1e300",
            ],
            "closer to 0 than 64-bit floats reach",
        ),
    ] {
        let mut args = vec!["eval", "-"];
        args.extend(flags.iter().copied());
        let out = json(&run(&args, SMALL));
        let w = out["loss_range_warning"].as_str().unwrap();
        assert!(w.contains(needle), "{flags:?}: {w}");
        assert!(
            !w.contains("inf") && !w.contains("by 0") && !w.contains("by -0"),
            "{w}"
        );
    }
}
