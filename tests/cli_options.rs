//! The command line's inputs and outputs for a researcher's own batch: class-index label
//! maps (`--classes`, `--ignore-index`) in .npy and NIfTI, integer and float16 arrays,
//! masks from files, the shape error that points to `--classes`, `--grad FILE` and
//! `--summary`. Every result is compared with the same data written as a JSON document.

use std::path::{Path, PathBuf};
use std::process::Output;

use ndarray17 as nd;
use serde_json::Value;

mod common;

fn run(args: &[&str], stdin: &str) -> Output {
    common::dice(args, stdin)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[track_caller]
fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Exit 2, nothing on stdout, one line on stderr containing every needle.
#[track_caller]
fn refused(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} lacks {n:?}");
    }
}

fn dir() -> PathBuf {
    let test = std::thread::current()
        .name()
        .unwrap_or("main")
        .replace("::", "-");
    let d = std::env::temp_dir().join(format!("dice-cli-options-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn done() {
    let _ = std::fs::remove_dir_all(dir());
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A `.npy` of any dtype from raw little-endian bytes.
fn npy(path: &Path, descr: &str, shape: &[usize], data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((dict.len() as u16).to_le_bytes());
    b.extend(dict.as_bytes());
    b.extend(data);
    std::fs::write(path, b).unwrap();
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A NIfTI-1 `.nii` (x fastest in the file) of `datatype` (2 uint8, 16 float32).
fn nifti(path: &Path, dims: &[i16], datatype: i16, bitpix: i16, data: &[u8]) {
    let mut b = vec![0u8; 352];
    let put = |b: &mut Vec<u8>, at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
    put(&mut b, 0, &348i32.to_le_bytes());
    put(&mut b, 40, &(dims.len() as i16).to_le_bytes());
    for k in 1..8 {
        let d = dims.get(k - 1).copied().unwrap_or(1);
        put(&mut b, 40 + 2 * k, &d.to_le_bytes());
    }
    put(&mut b, 70, &datatype.to_le_bytes());
    put(&mut b, 72, &bitpix.to_le_bytes());
    for k in 0..8 {
        put(&mut b, 76 + 4 * k, &1f32.to_le_bytes());
    }
    put(&mut b, 108, &352f32.to_le_bytes());
    put(&mut b, 254, &2i16.to_le_bytes());
    for (row, at) in [(0usize, 280), (1, 296), (2, 312)] {
        put(&mut b, at + 4 * row, &1f32.to_le_bytes());
    }
    put(&mut b, 344, b"n+1\0");
    b.extend(data);
    std::fs::write(path, b).unwrap();
}

/// Two images, three classes, 2×3 pixels: a class map with every class, its one-hot
/// labels and logits.
const SHAPE: [usize; 4] = [2, 3, 2, 3];
const MAP: [u8; 12] = [0, 1, 2, 2, 1, 0, 1, 1, 0, 0, 2, 2];

fn one_hot(map: &[u8]) -> Vec<f64> {
    let mut y = vec![0.0; 2 * 3 * 6];
    for (i, &k) in map.iter().enumerate() {
        let (b, px) = (i / 6, i % 6);
        if k < 3 {
            y[(b * 3 + usize::from(k)) * 6 + px] = 1.0;
        }
    }
    y
}

fn logits() -> Vec<f64> {
    (0..36).map(|i| ((i * 7 % 11) as f64 - 5.0) / 4.0).collect()
}

fn document(y: &[f64], pred: &[f64], extra: &str) -> String {
    format!(r#"{{"shape":{SHAPE:?},"y":{y:?},"pred":{pred:?},"activation":"softmax"{extra}}}"#)
}

#[test]
fn class_index_maps_are_one_hot_encoded() {
    let d = dir();
    let (map, pred) = (d.join("map.npy"), d.join("pred.npy"));
    npy(&map, "|u1", &[2, 2, 3], &MAP);
    npy(&pred, "<f8", &SHAPE, &f64_bytes(&logits()));
    let want = json(&run(
        &["eval", "-"],
        &document(&one_hot(&MAP), &logits(), ""),
    ));
    let args = [
        "eval",
        "--y",
        s(&map),
        "--pred",
        s(&pred),
        "--activation",
        "softmax",
    ];
    let got = json(&run(&[&args[..], &["--classes", "3"]].concat(), ""));
    assert_eq!(got, want);
    // The same map with a class axis of 1, as int64.
    let map1 = d.join("map1.npy");
    let wide: Vec<u8> = MAP
        .iter()
        .flat_map(|&k| i64::from(k).to_le_bytes())
        .collect();
    npy(&map1, "<i8", &[2, 1, 2, 3], &wide);
    let got = json(&run(
        &[
            "eval",
            "--y",
            s(&map1),
            "--pred",
            s(&pred),
            "--activation",
            "softmax",
            "--classes",
            "3",
        ],
        "",
    ));
    assert_eq!(got, want);

    // An ignore index: its pixels leave the loss (labels and probabilities masked after
    // the softmax), as the JSON mask of those pixels does.
    let mut ignored = MAP;
    ignored[4] = 255;
    ignored[9] = 255;
    npy(&map, "|u1", &[2, 2, 3], &ignored);
    let mask: Vec<f64> = ignored
        .iter()
        .map(|&k| f64::from(u8::from(k != 255)))
        .collect();
    let want = json(&run(
        &["eval", "-"],
        &document(
            &one_hot(&ignored),
            &logits(),
            &format!(r#","mask":{mask:?}"#),
        ),
    ));
    let got = json(&run(
        &[&args[..], &["--classes", "3", "--ignore-index", "255"]].concat(),
        "",
    ));
    assert_eq!(got, want);
    assert_ne!(
        got["loss"],
        json(&run(
            &["eval", "-"],
            &document(&one_hot(&MAP), &logits(), "")
        ))["loss"]
    );
    // A class number out of range is refused, naming it.
    refused(
        &run(&[&args[..], &["--classes", "3"]].concat(), ""),
        &["255"],
    );
    // Without --classes the map's shape is refused, naming `y` and the fix.
    refused(
        &run(&args, ""),
        &["`y` from", "[2, 2, 3]", "class-index map", "--classes 3"],
    );
    done();
}

#[test]
fn a_nifti_integer_map_with_classes_and_a_uint8_mask_without() {
    let d = dir();
    // One image of 3×2×2 voxels (x fastest in the file), two classes.
    let (nx, ny, nz) = (3usize, 2usize, 2usize);
    let label = |x: usize, y: usize, z: usize| u8::from(x + 2 * y + z >= 3);
    let mut file = Vec::new();
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                file.push(label(x, y, z));
            }
        }
    }
    let mut fg = Vec::new();
    for x in 0..nx {
        for y in 0..ny {
            for z in 0..nz {
                fg.push(f64::from(label(x, y, z)));
            }
        }
    }
    let map = d.join("labels.nii");
    nifti(&map, &[3, 2, 2], 2, 8, &file);
    let probs: Vec<f64> = (0..12).map(|i| f64::from(i as u8 + 1) / 16.0).collect();
    let mut pred2 = probs.iter().map(|p| 1.0 - p).collect::<Vec<_>>();
    pred2.extend(&probs);
    let pred = d.join("pred.npy");
    npy(&pred, "<f8", &[1, 2, 3, 2, 2], &f64_bytes(&pred2));
    let mut y2: Vec<f64> = fg.iter().map(|v| 1.0 - v).collect();
    y2.extend(&fg);
    let doc = format!(r#"{{"shape":[1,2,3,2,2],"y":{y2:?},"pred":{pred2:?}}}"#);
    let want = json(&run(&["eval", "-"], &doc));
    let got = json(&run(
        &["eval", "--y", s(&map), "--pred", s(&pred), "--classes", "2"],
        "",
    ));
    assert_eq!(got, want);
    // Without --classes a uint8 mask of pred's shape is a binary label, read as it is.
    let fg_pred = d.join("fg.npy");
    npy(&fg_pred, "<f8", &[1, 1, 3, 2, 2], &f64_bytes(&probs));
    let doc = format!(r#"{{"shape":[1,1,3,2,2],"y":{fg:?},"pred":{probs:?}}}"#);
    let want = json(&run(&["eval", "-"], &doc));
    let got = json(&run(&["eval", "--y", s(&map), "--pred", s(&fg_pred)], ""));
    assert_eq!(got, want);
    done();
}

/// numpy's float16 (mixed-precision outputs) is read exactly; an integer label array of
/// pred's shape is read as labels whatever its dtype.
#[test]
fn float16_and_integer_arrays_are_read() {
    let d = dir();
    // Halves exact in binary: 0.25·k, a subnormal-free set, and 1.0.
    let halves: [u16; 4] = [0x3400, 0x3800, 0x3A00, 0x3C00]; // 0.25, 0.5, 0.75, 1.0
    let values = [0.25, 0.5, 0.75, 1.0];
    let pred16 = d.join("pred16.npy");
    let bytes: Vec<u8> = halves.iter().flat_map(|h| h.to_le_bytes()).collect();
    npy(&pred16, "<f2", &[1, 1, 2, 2], &bytes);
    let y = d.join("y.npy");
    npy(&y, "<i2", &[1, 1, 2, 2], &[1, 0, 0, 0, 1, 0, 1, 0]);
    let doc = format!(r#"{{"shape":[1,1,2,2],"y":[1,0,1,1],"pred":{values:?}}}"#);
    let want = json(&run(&["eval", "-"], &doc));
    let got = json(&run(&["eval", "--y", s(&y), "--pred", s(&pred16)], ""));
    assert_eq!(got, want);
    done();
}

#[test]
fn a_mask_file_gives_what_the_mask_field_gives() {
    let d = dir();
    let mask: Vec<f64> = (0..12).map(|i| f64::from(u8::from(i % 5 != 0))).collect();
    let m = d.join("mask.npy");
    npy(&m, "<f8", &[2, 1, 2, 3], &f64_bytes(&mask));
    let y = one_hot(&MAP);
    let want = json(&run(
        &["eval", "-"],
        &document(&y, &logits(), &format!(r#","mask":{mask:?}"#)),
    ));
    let got = json(&run(
        &["eval", "-", "--mask", s(&m)],
        &document(&y, &logits(), ""),
    ));
    assert_eq!(got, want);
    assert!(got["loss"].as_f64().is_some());
    // A mask of another shape is refused in words.
    npy(&m, "<f8", &[2, 2, 3], &f64_bytes(&mask));
    assert_eq!(
        json(&run(
            &["eval", "-", "--mask", s(&m)],
            &document(&y, &logits(), "")
        )),
        want
    );
    npy(&m, "<f8", &[3, 2, 2], &f64_bytes(&mask));
    refused(
        &run(
            &["eval", "-", "--mask", s(&m)],
            &document(&y, &logits(), ""),
        ),
        &["`mask` from", "[3, 2, 2]"],
    );
    done();
}

/// Reads a float64 .npy written by the CLI: its shape and values.
fn read_f64(path: &Path) -> (Vec<usize>, Vec<f64>) {
    let a: nd::ArrayD<f64> = ndarray_npy::read_npy(path).unwrap();
    (a.shape().to_vec(), a.iter().copied().collect())
}

#[test]
fn grad_goes_to_an_array_file_in_the_input_layout() {
    let d = dir();
    let doc = document(&one_hot(&MAP), &logits(), "");
    let full = json(&run(&["eval", "-"], &doc));
    let g = d.join("g.npy");
    let out = json(&run(&["eval", "-", "--grad", s(&g)], &doc));
    // The JSON keeps the loss and the sets, without the per-pixel arrays.
    assert_eq!(out["loss"], full["loss"]);
    assert_eq!(out["sets"], full["sets"]);
    assert!(out.get("grad").is_none() && out.get("grad_prob").is_none());
    let (shape, values) = read_f64(&g);
    assert_eq!(shape, SHAPE);
    let want: Vec<f64> = full["grad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values, want);
    // A 5-D input keeps its layout.
    let doc5 = r#"{"shape":[1,1,2,1,2],"y":[1,0,0,1],"pred":[0.9,0.2,0.4,0.6]}"#;
    let g5 = d.join("g5.npy");
    json(&run(&["eval", "-", "--grad", s(&g5)], doc5));
    assert_eq!(read_f64(&g5).0, vec![1, 1, 2, 1, 2]);
    // .npz: both arrays by name.
    let z = d.join("g.npz");
    json(&run(&["eval", "-", "--grad", s(&z)], &doc));
    let mut npz = ndarray_npy::NpzReader::new(std::fs::File::open(&z).unwrap()).unwrap();
    let gp: nd::ArrayD<f64> = npz.by_name("grad_prob").unwrap();
    let want_gp: Vec<f64> = full["grad_prob"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(gp.iter().copied().collect::<Vec<_>>(), want_gp);
    let gg: nd::ArrayD<f64> = npz.by_name("grad").unwrap();
    assert_eq!(gg.iter().copied().collect::<Vec<_>>(), want);
    // Another file type is refused before anything is written.
    refused(
        &run(&["eval", "-", "--grad", s(&d.join("g.txt"))], &doc),
        &["cannot write the gradient", "give a .npy file"],
    );
    done();
}

#[test]
fn summary_is_words_without_per_pixel_arrays() {
    // 1 image of 64×64 with 2 classes: the summary stays short whatever the size.
    let n = 64 * 64;
    let y: Vec<f64> = (0..2 * n)
        .map(|i| f64::from(u8::from((i < n) == (i % 3 == 0))))
        .collect();
    let pred: Vec<f64> = (0..2 * n)
        .map(|i| 0.1 + 0.8 * f64::from((i % 7) as u8) / 6.0)
        .collect();
    let doc = format!(r#"{{"shape":[1,2,64,64],"y":{y:?},"pred":{pred:?},"phi":"I"}}"#);
    let full = json(&run(&["eval", "-"], &doc));
    let out = run(&["eval", "-", "--summary"], &doc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sum = text(&out.stdout);
    assert!(sum.len() < 4000, "{} bytes", sum.len());
    let loss = full["loss"].as_f64().unwrap();
    let first = sum.lines().next().unwrap();
    assert!(first.starts_with("loss"), "{first}");
    let shown: f64 = first.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((shown - loss).abs() <= 1e-3 * loss, "{shown} vs {loss}");
    for needle in ["Φ = I", "ε", "sets", "cells", "sDSC"] {
        assert!(sum.contains(needle), "{needle} missing from:\n{sum}");
    }
    // One row per set (b0 c0, b0 c1) and one per cell, no per-pixel list.
    assert!(sum.contains("b0 c0") && sum.contains("b0 c1"), "{sum}");
    assert!(!sum.contains("grad_prob") && !sum.contains("[["));
    refused(&run(&["eval", "-", "--summary=yes"], &doc), &["--summary"]);
}

/// `dice train` reads the same fields: its first loss is `dice eval`'s on the initial
/// model's logits (class 0: 0, class 1: x), with a class map, micro weights and a mask.
#[test]
fn train_reads_the_options_and_the_class_map() {
    let fields = r#""shape":[1,2,2,3],"y":[0,0,1,1,1,0],"classes":2,"activation":"softmax",
        "class_weights":[1,3],"class_weighting":"micro","phi":"CI","mask":[1,1,0,1,1,1]"#;
    let train = format!(
        r#"{{{fields},"x":[0.9,0.8,0.1, 0.2,0.0,0.7],
        "model":{{"kind":"conv3x3","w":[0,0,0,0,0,0,0,0,0, 0,0,0,0,1,0,0,0,0],"b":[0,0]}},
        "optimizer":{{"kind":"adam","lr":0.05}},"steps":3}}"#
    );
    let trained = json(&run(&["train", "-"], &train));
    let eval = json(&run(
        &["eval", "-"],
        &format!(r#"{{{fields},"pred":[0,0,0,0,0,0, 0.9,0.8,0.1,0.2,0.0,0.7]}}"#),
    ));
    let first = trained["loss"][0].as_f64().unwrap();
    let want = eval["loss"].as_f64().unwrap();
    assert!((first - want).abs() <= 1e-15, "{first} vs {want}");
    let last = trained["final_loss"].as_f64().unwrap();
    assert!(last < first, "{last} ≥ {first}");
}
