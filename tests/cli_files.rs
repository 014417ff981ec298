//! The `dice` binary's array-file readers on every hostile or unusual file a fuzzer found:
//! NIfTI images whose data starts where `vox_offset` says, headers that
//! promise more (or less) than the file holds, datatypes that are not read, archive
//! members that inflate beyond their header, a named pipe. Each is read correctly or
//! refused with exit 2 and one short line: never an abort, a panic, a hang or a misread.
//!
//! The files are written here, headers by hand where a library would refuse to write them;
//! the NIfTI files are laid out as nibabel writes them (`reference/files.py` checks the same
//! cases against nibabel and numpy themselves).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::BIN;
use dice_playground::engine::arrays::npy_header_bytes;
use serde_json::Value;

fn run(args: &[&str], stdin: &str) -> Output {
    run_limited(args, stdin, None)
}

/// Runs the binary, with its address space capped at `limit_mb` when given (through the
/// shell's `ulimit -v`): an allocation beyond it fails, which Rust turns into an abort, so
/// a reader that allocates what a header claims fails the test instead of the machine.
fn run_limited(args: &[&str], stdin: &str, limit_mb: Option<u64>) -> Output {
    let cmd = match limit_mb {
        Some(mb) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mb * 1024))
                .arg(BIN)
                .args(args);
            c
        }
        None => {
            let mut c = Command::new(BIN);
            c.args(args);
            c
        }
    };
    common::pipe(cmd, stdin)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Exit 2, nothing on stdout, one short line on stderr containing `needle`, and none of
/// the marks of a crash or of Rust's Debug form.
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
    for mark in [
        "panicked",
        "internal error",
        "Error {",
        "Io(",
        "kind:",
        "backtrace",
    ] {
        assert!(!err.contains(mark), "{mark:?} in {err:?}");
    }
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

/// A file in this test's own directory (tests run in parallel; libtest names each
/// test's thread after it), removed with the directory when the test ends.
fn temp(name: &str) -> PathBuf {
    let dir = test_dir();
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn test_dir() -> PathBuf {
    let test = std::thread::current()
        .name()
        .unwrap_or("main")
        .replace("::", "-");
    std::env::temp_dir().join(format!("dice-cli-files-{}-{test}", std::process::id()))
}

/// Removes this test's files (a failing test leaves them to look at).
fn done() {
    let _ = std::fs::remove_dir_all(test_dir());
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = temp(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn doc(shape: &[usize], y: &[f64], pred: &[f64]) -> String {
    format!(
        r#"{{"shape":{},"y":{},"pred":{}}}"#,
        serde_json::to_string(shape).unwrap(),
        serde_json::to_string(y).unwrap(),
        serde_json::to_string(pred).unwrap()
    )
}

// ---------------------------------------------------------------------------------------
// NIfTI-1, as nibabel writes it

/// A NIfTI-1 single-file header with the fields nibabel sets.
#[derive(Clone)]
struct Nii {
    dims: Vec<i16>,
    datatype: i16,
    bitpix: i16,
    vox_offset: f32,
    slope: f32,
    inter: f32,
    big_endian: bool,
    sizeof_hdr: i32,
    magic: [u8; 4],
}

impl Nii {
    /// float32 image of `dims`, data right after the header (vox_offset 352).
    fn f32(dims: &[i16]) -> Nii {
        Nii {
            dims: dims.to_vec(),
            datatype: 16,
            bitpix: 32,
            vox_offset: 352.0,
            slope: f32::NAN,
            inter: f32::NAN,
            big_endian: false,
            sizeof_hdr: 348,
            magic: *b"n+1\0",
        }
    }

    fn u8(dims: &[i16]) -> Nii {
        Nii {
            datatype: 2,
            bitpix: 8,
            ..Nii::f32(dims)
        }
    }

    /// The file: header, extension flag, zeros up to `vox_offset` (when it is a sane
    /// number), then `data`.
    fn bytes(&self, data: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 348];
        let big = self.big_endian;
        let put = |b: &mut Vec<u8>, at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
        let i16b = |v: i16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let i32b = |v: i32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let f32b = |v: f32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        put(&mut b, 0, &i32b(self.sizeof_hdr));
        put(&mut b, 38, b"r");
        put(&mut b, 40, &i16b(self.dims.len() as i16));
        for (k, &d) in self.dims.iter().enumerate() {
            put(&mut b, 42 + 2 * k, &i16b(d));
        }
        for k in self.dims.len() + 1..8 {
            put(&mut b, 40 + 2 * k, &i16b(1));
        }
        put(&mut b, 70, &i16b(self.datatype));
        put(&mut b, 72, &i16b(self.bitpix));
        for k in 0..8 {
            put(&mut b, 76 + 4 * k, &f32b(1.0));
        }
        put(&mut b, 108, &f32b(self.vox_offset));
        put(&mut b, 112, &f32b(self.slope));
        put(&mut b, 116, &f32b(self.inter));
        put(&mut b, 123, &[10]);
        put(&mut b, 254, &i16b(2));
        for (row, at) in [(0usize, 280), (1, 296), (2, 312)] {
            let mut srow = [0f32; 4];
            srow[row] = 1.0;
            for (k, v) in srow.iter().enumerate() {
                put(&mut b, at + 4 * k, &f32b(*v));
            }
        }
        put(&mut b, 344, &self.magic);
        b.extend([0u8; 4]);
        let off = self.vox_offset;
        if (352.0..1e6).contains(&off) {
            b.resize(off as usize, 0);
        }
        b.extend(data);
        b
    }
}

fn f32_bytes(v: &[f32], big: bool) -> Vec<u8> {
    v.iter()
        .flat_map(|x| {
            if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        })
        .collect()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A mask (x, y, z) = (4, 3, 2) and a probability map: the values in the file's order
/// (x fastest) and in the CLI's row-major order over (x, y, z).
struct Pair {
    label_file: Vec<u8>,
    prob_file: Vec<f32>,
    label_rows: Vec<f64>,
    prob_rows: Vec<f64>,
}

fn pair() -> Pair {
    let (nx, ny, nz) = (4usize, 3usize, 2usize);
    let label = |x: usize, y: usize, z: usize| u8::from(x + y + z < 3);
    let prob = |x: usize, y: usize, z: usize| ((x * 6 + y * 2 + z) as f32) / 24.0;
    let mut p = Pair {
        label_file: Vec::new(),
        prob_file: Vec::new(),
        label_rows: Vec::new(),
        prob_rows: Vec::new(),
    };
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                p.label_file.push(label(x, y, z));
                p.prob_file.push(prob(x, y, z));
            }
        }
    }
    for x in 0..nx {
        for y in 0..ny {
            for z in 0..nz {
                p.label_rows.push(f64::from(label(x, y, z)));
                p.prob_rows.push(f64::from(prob(x, y, z)));
            }
        }
    }
    p
}

/// Fuzz finding 1: data after a padded header (vox_offset 512, as nibabel reads it) was
/// read from byte 352: loss 0.99999 instead of 0.28, exit 0. Every layout of the same
/// pair gives exactly what the values give as JSON.
#[test]
fn nifti_data_is_read_where_vox_offset_says() {
    let p = pair();
    let want = json(&run(
        &["eval", "-"],
        &doc(&[1, 1, 4, 3, 2], &p.label_rows, &p.prob_rows),
    ));
    let dims = [4, 3, 2];
    for (tag, offset, big, zipped) in [
        ("plain", 352.0, false, false),
        ("padded", 512.0, false, false),
        ("padded-big-endian", 1024.0, true, false),
        ("padded-gz", 512.0, false, true),
    ] {
        let label = Nii {
            vox_offset: offset,
            big_endian: big,
            ..Nii::u8(&dims)
        }
        .bytes(&p.label_file);
        let prob = Nii {
            vox_offset: offset,
            big_endian: big,
            ..Nii::f32(&dims)
        }
        .bytes(&f32_bytes(&p.prob_file, big));
        let ext = if zipped { "nii.gz" } else { "nii" };
        let (label, prob) = if zipped {
            (gz(&label), gz(&prob))
        } else {
            (label, prob)
        };
        let lp = write(&format!("{tag}-label.{ext}"), &label);
        let pp = write(&format!("{tag}-prob.{ext}"), &prob);
        let out = json(&run(&["eval", "--y", s(&lp), "--pred", s(&pp)], ""));
        assert_eq!(out, want, "{tag}");
    }
    // And that is the pair's own Dice (MONAI's default ε = 1e-5), computed here.
    let x: f64 = p
        .label_rows
        .iter()
        .zip(&p.prob_rows)
        .map(|(y, q)| y * q)
        .sum();
    let v: f64 = p.label_rows.iter().sum::<f64>() + p.prob_rows.iter().sum::<f64>();
    let loss = want["loss"].as_f64().unwrap();
    assert!(
        (loss - (1.0 - (2.0 * x + 1e-5) / (v + 1e-5))).abs() < 1e-15,
        "{loss}"
    );
    done();
}

/// scl_slope / scl_inter as nibabel's get_fdata applies them: a slope of 0 or NaN means
/// no scaling; a slope with a NaN intercept is refused (nibabel raises too).
#[test]
fn nifti_scaling_follows_nibabel() {
    let raw = [0u8, 1, 2, 3];
    let one = |slope: f32, inter: f32| {
        let f = write(
            "scaled.nii",
            &Nii {
                slope,
                inter,
                ..Nii::u8(&[4])
            }
            .bytes(&raw),
        );
        run(
            &["eval", "--pred", s(&f), "-"],
            r#"{"y":[0,0,1,1],"eps_nr":0,"eps_dr":0}"#,
        )
    };
    // Predictions slope·v + inter (the header's float32 values, in f64): 0.5 to 0.8.
    let p: Vec<f64> = raw
        .iter()
        .map(|&v| f64::from(v) * f64::from(0.1f32) + 0.5)
        .collect();
    let want = 1.0 - 2.0 * (p[2] + p[3]) / (2.0 + p.iter().sum::<f64>());
    let out = json(&one(0.1, 0.5));
    assert_eq!(out["loss"].as_f64().unwrap(), want);
    // Slope 0 (or NaN, nibabel's "unscaled"): the raw 0..3, which are no probabilities.
    refused(&one(0.0, 5.0), "prediction at index 2 is 2.0");
    refused(&one(f32::NAN, 5.0), "prediction at index 2 is 2.0");
    refused(&one(2.0, f32::NAN), "scl_inter is NaN");
    done();
}

/// Fuzz findings 1, 2 and 7: vox_offset 1e9, NaN, −100 (and 0, or a fraction) were taken
/// without a word; RGB24 / RGBA32 panicked inside the nifti crate (exit 101); a negative
/// dimension was read as 65534; header errors came out as `Io(Error { kind: … })`.
#[test]
fn bad_nifti_headers_are_refused_in_words() {
    let p = pair();
    let good = Nii::f32(&[4, 3, 2]);
    let data = f32_bytes(&p.prob_file, false);
    let y = format!(
        r#"{{"shape":[1,1,4,3,2],"y":{}}}"#,
        serde_json::to_string(&p.label_rows).unwrap()
    );
    let case = |name: &str, bytes: Vec<u8>, needle: &str| {
        let f = write(name, &bytes);
        refused(&run(&["eval", "-", "--pred", s(&f)], &y), needle);
    };
    for (v, shown) in [
        (f32::NAN, "NaN"),
        (-100.0, "-100.0"),
        (0.0, "0.0"),
        (352.5, "352.5"),
        (f32::INFINITY, "inf"),
    ] {
        let h = Nii {
            vox_offset: v,
            ..good.clone()
        };
        let mut bytes = h.bytes(&[]);
        bytes.extend(&data);
        case(
            "offset.nii",
            bytes,
            &format!("vox_offset is {shown}; the image data of a .nii file starts at"),
        );
    }
    // An offset past the end (1e9 is a valid offset): the file is too short for it.
    let h = Nii {
        vox_offset: 1e9,
        ..good.clone()
    };
    case(
        "e9.nii",
        h.bytes(&data),
        "its header promises 96 bytes of image data (dims [4, 3, 2]) from byte 1000000000, but the file ends at byte 448",
    );
    let far = Nii {
        vox_offset: 4096.0,
        ..good.clone()
    };
    case(
        "far.nii",
        far.bytes(&data)[..600].to_vec(),
        "the file is cut short",
    );
    case(
        "far.nii.gz",
        gz(&far.bytes(&data)[..600]),
        "the file ends at byte 600 but its header's vox_offset says the image data starts at byte 4096",
    );
    // Truncated data, plain and gzipped.
    let full = good.bytes(&data);
    case(
        "short.nii",
        full[..full.len() - 10].to_vec(),
        "promises 96 bytes of image data (dims [4, 3, 2]) from byte 352, but the file ends at byte 438",
    );
    case(
        "short.nii.gz",
        gz(&full[..full.len() - 10]),
        "the data is cut short: the NIfTI header promises 96 bytes, there are 86",
    );
    // Datatypes that are not one number per voxel (or not one this reader converts).
    for (code, bitpix, name) in [
        (128i16, 24i16, "RGB24"),
        (2304, 32, "RGBA32"),
        (32, 64, "complex64"),
        (1792, 128, "complex128"),
        (1536, 128, "float128"),
        (1, 1, "binary"),
        (0, 0, "unknown"),
        (77, 8, "not a NIfTI-1 datatype"),
    ] {
        let h = Nii {
            datatype: code,
            bitpix,
            ..good.clone()
        };
        case(
            "dtype.nii",
            h.bytes(&[0u8; 24 * 16]),
            &format!("datatype {code} ({name}"),
        );
    }
    for (dims, needle) in [
        (
            vec![-2i16, 3, 2],
            "dim[1] is -2; every dimension must be at least 1",
        ),
        (vec![4, 0, 2], "dim[2] is 0"),
    ] {
        case("dims.nii", Nii::f32(&dims).bytes(&data), needle);
    }
    let mut eight = Nii::f32(&[4, 3, 2]).bytes(&data);
    eight[40..42].copy_from_slice(&8i16.to_le_bytes());
    case("rank.nii", eight, "dim[0] (the number of dimensions) is 8");
    // Not NIfTI-1 at all, or another flavour of it.
    case(
        "nifti2.nii",
        Nii {
            sizeof_hdr: 540,
            ..good.clone()
        }
        .bytes(&data),
        "NIfTI-2",
    );
    case(
        "pair.nii",
        Nii {
            magic: *b"ni1\0",
            ..good.clone()
        }
        .bytes(&data),
        "header/image pair",
    );
    case(
        "nomagic.nii",
        Nii {
            magic: *b"abcd",
            ..good.clone()
        }
        .bytes(&data),
        "no \"n+1\" magic",
    );
    case(
        "size.nii",
        Nii {
            sizeof_hdr: 123,
            ..good.clone()
        }
        .bytes(&data),
        "first four bytes are not 348",
    );
    case(
        "tiny.nii",
        b"\x5c\x01\x00\x00 tiny".to_vec(),
        "fewer than the 348-byte header",
    );
    case(
        "tiny.nii.gz",
        gz(b"tiny"),
        "has 4 bytes, fewer than the 348-byte header",
    );
    case(
        "notgz.nii.gz",
        b"not gzip at all".to_vec(),
        "not a readable NIfTI file",
    );
    done();
}

// ---------------------------------------------------------------------------------------
// .npy and .npz

/// A `.npy` file as numpy writes it (format 1.0, the dictionary padded to 64 bytes).
fn npy(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    npy_literal(&format!("'{descr}'"), fortran, shape, data)
}

/// [`npy`] with the descriptor as a Python literal (a structured dtype is a list).
fn npy_literal(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
    [npy_header_bytes(descr, fortran, shape), data.to_vec()].concat()
}

const SETTINGS: &str = r#"{"y":[1,0],"shape":[1,1,1,2]}"#;

/// Fuzz finding 2: a 192-byte `.npy` whose header claims (1,1,1048576,1048576), or 4 Gi
/// u8 elements (read as f64), aborted with exit 134 and a backtrace. The header is now
/// compared with the file's size first: refused in words, within a small address space.
#[test]
fn npy_headers_are_compared_with_the_file_size_first() {
    for (name, descr, shape, needle) in [
        (
            "huge.npy",
            "<f8",
            vec![1, 1, 1_048_576, 1_048_576],
            "its header promises 8796093022208 bytes of data (shape [1, 1, 1048576, 1048576], float64), there are 4",
        ),
        (
            "u8.npy",
            "|u1",
            vec![1, 1, 65_536, 65_536],
            "its header promises 4294967296 bytes",
        ),
        (
            "short.npy",
            "<f4",
            vec![1, 1, 1, 2],
            "its header promises 8 bytes of data (shape [1, 1, 1, 2], float32), there are 4",
        ),
    ] {
        let p = write(name, &npy(descr, false, &shape, &[0, 0, 0, 0]));
        let len = std::fs::metadata(&p).unwrap().len();
        assert!(len < 200, "{len}");
        refused(
            &run_limited(&["eval", "--y", s(&p), "--pred", s(&p)], "", Some(64)),
            needle,
        );
    }
    // Extra bytes after the data are refused, not ignored.
    let p = write("long.npy", &npy("<f8", false, &[1, 1, 1, 2], &[0u8; 20]));
    refused(
        &run(&["eval", "--y", s(&p), "--pred", s(&p)], ""),
        "has 4 bytes more than its header promises",
    );
    // A header length beyond the file, or beyond what numpy writes.
    let mut cut = npy("<f8", false, &[1, 1, 1, 2], &[0u8; 16]);
    cut.truncate(40);
    let p = write("cut.npy", &cut);
    refused(
        &run(&["eval", "--y", s(&p), "--pred", s(&p)], ""),
        "its header claims 118 bytes, but only 30 follow",
    );
    let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
    v2.extend(0xffff_fff0u32.to_le_bytes());
    let p = write("v2.npy", &v2);
    refused(
        &run_limited(&["eval", "--y", s(&p), "--pred", s(&p)], "", Some(64)),
        "its header claims 4294967280 bytes, more than the 65536 a header may have",
    );
    done();
}

/// Fuzz finding 2: dtypes that are not one real number per element are refused.
#[test]
fn unsupported_npy_dtypes_are_refused() {
    for (descr, needle) in [
        ("<c16", "unsupported dtype \"<c16\""),
        ("|O", "unsupported dtype \"|O\""),
        ("<U1", "unsupported dtype \"<U1\""),
        ("|f8", "a byte order is needed"),
    ] {
        let p = write("dtype.npy", &npy(descr, false, &[1, 1, 1, 2], &[0u8; 32]));
        refused(&run(&["eval", "-", "--pred", s(&p)], SETTINGS), needle);
    }
    let structured = npy_literal("[('a', '<f8')]", false, &[1, 1, 1, 2], &[0u8; 16]);
    let p = write("structured.npy", &structured);
    refused(
        &run(&["eval", "-", "--pred", s(&p)], SETTINGS),
        "(a structured dtype, a list of fields)",
    );
    done();
}

/// Found while fixing the above: a header of nested brackets (`[[[…]]]` 100 deep, 320
/// bytes) kept ndarray-npy's Python-literal parser busy for minutes. The dictionary is
/// read in one pass now.
#[test]
fn nested_brackets_in_an_npy_header_are_refused_at_once() {
    for descr in [
        format!("{}{}", "[".repeat(100), "]".repeat(100)),
        format!("'<f8', 'x': {}{}", "(".repeat(3000), ")".repeat(3000)),
    ] {
        let p = write(
            "nested.npy",
            &npy_literal(&descr, false, &[1, 1, 1, 2], &[0u8; 16]),
        );
        refused(
            &run(&["eval", "-", "--pred", s(&p)], SETTINGS),
            "`pred` from",
        );
    }
    let mut shape = npy("<f8", false, &[1, 1, 1, 2], &[0u8; 16]);
    let at = shape.windows(4).position(|w| w == b"(1, ").unwrap();
    shape[at + 1] = b'(';
    let p = write("nested-shape.npy", &shape);
    refused(
        &run(&["eval", "-", "--pred", s(&p)], SETTINGS),
        "the shape must be a tuple of whole numbers",
    );
    done();
}

/// Every dtype and order that is read gives the same values: the big-endian, Fortran,
/// bool and integer forms of one array.
#[test]
fn npy_dtypes_and_orders_read_the_same_values() {
    // Row-major [[1, 0, 1], [0, 1, 1]] as a (1, 1, 2, 3) array; Fortran order stores it
    // column by column.
    let rows = [1u8, 0, 1, 0, 1, 1];
    let cols = [1u8, 0, 0, 1, 1, 1];
    let pred = write("pred.npy", &npy("<f8", false, &[1, 1, 2, 3], &[0u8; 48]));
    let base = json(&run(
        &["eval", "--pred", s(&pred), "-"],
        r#"{"y":[1,0,1,0,1,1]}"#,
    ));
    let widen = |v: &[u8], size: usize, big: bool| -> Vec<u8> {
        v.iter()
            .flat_map(|&b| {
                let mut e = vec![0u8; size];
                if big {
                    e[size - 1] = b;
                } else {
                    e[0] = b;
                }
                e
            })
            .collect()
    };
    let f8 = |v: &[u8], big: bool| -> Vec<u8> {
        v.iter()
            .flat_map(|&b| {
                let x = f64::from(b);
                if big {
                    x.to_be_bytes()
                } else {
                    x.to_le_bytes()
                }
            })
            .collect()
    };
    for (descr, fortran, data) in [
        ("|b1", false, rows.to_vec()),
        ("|u1", true, cols.to_vec()),
        ("|i1", false, rows.to_vec()),
        ("<i2", false, widen(&rows, 2, false)),
        (">u2", true, widen(&cols, 2, true)),
        ("<i4", false, widen(&rows, 4, false)),
        (">i8", false, widen(&rows, 8, true)),
        ("<u8", true, widen(&cols, 8, false)),
        (">f8", false, f8(&rows, true)),
        ("<f8", true, f8(&cols, false)),
    ] {
        let y = write("y.npy", &npy(descr, fortran, &[1, 1, 2, 3], &data));
        let out = json(&run(&["eval", "--y", s(&y), "--pred", s(&pred)], ""));
        assert_eq!(out, base, "{descr} fortran={fortran}");
    }
    done();
}

/// A zip archive with one stored or deflated member.
fn zip_with(name: &str, member: &str, parts: &[&[u8]], deflate: bool) -> PathBuf {
    let p = temp(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    z.start_file(member, options).unwrap();
    for part in parts {
        z.write_all(part).unwrap();
    }
    z.finish().unwrap();
    p
}

/// Fuzz finding 3: an `.npz` member was inflated whole before its header was checked: a
/// 1 MB file holding a (1,1,1,2) header and 1 GiB of zeros took 1.04 GB. The header is now
/// compared with the member's size in the archive, and nothing past it is inflated: the
/// same archive (with 256 MiB of zeros here) is refused within a 64 MB address space.
#[test]
fn npz_members_are_checked_before_they_are_inflated() {
    let header = npy("<f8", false, &[1, 1, 1, 2], &[]);
    let zeros = vec![0u8; 1 << 20];
    let mut parts: Vec<&[u8]> = vec![&header, &[0u8; 16]];
    parts.extend(std::iter::repeat_n(&zeros[..], 256));
    let bomb = zip_with("bomb.npz", "y.npy", &parts, true);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    refused(
        &run_limited(
            &["eval", "-", "--y", s(&bomb)],
            r#"{"pred":[0.5,0.5]}"#,
            Some(64),
        ),
        "member \"y.npy\" has 268435456 bytes more than its header promises",
    );
    // Shorter than promised, stored or deflated.
    for deflate in [false, true] {
        let short = zip_with("short.npz", "y.npy", &[&header, &[0u8; 8]], deflate);
        refused(
            &run(&["eval", "-", "--y", s(&short)], r#"{"pred":[0.5,0.5]}"#),
            "member \"y.npy\" is cut short: its header promises 16 bytes",
        );
    }
    // A header that claims a huge array in a small member.
    let huge = npy("<f8", false, &[1, 1, 1 << 20, 1 << 20], &[]);
    let p = zip_with("huge.npz", "pred.npy", &[&huge], true);
    refused(
        &run_limited(&["eval", "-", "--pred", s(&p)], SETTINGS, Some(64)),
        "member \"pred.npy\" is cut short: its header promises 8796093022208 bytes",
    );
    done();
}

/// A member whose archive entry understates what it inflates to (the sizes in the zip
/// headers edited down to what the `.npy` header promises): read up to the promise, and
/// refused when more follows.
#[test]
fn an_npz_member_that_inflates_beyond_its_declared_size_is_refused() {
    let header = npy("<f8", false, &[1, 1, 1, 2], &[]);
    let data: Vec<u8> = [0.25f64, 0.75]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let extra = vec![0u8; 1 << 20];
    let p = zip_with("liar.npz", "pred.npy", &[&header, &data, &extra], true);
    let mut bytes = std::fs::read(&p).unwrap();
    let honest = (header.len() + 16) as u32;
    let declared = (header.len() + 16 + extra.len()) as u32;
    // The uncompressed size: local header offset 22, central directory entry offset 24.
    let mut patched = 0;
    for (sig, at) in [(b"PK\x03\x04", 22usize), (b"PK\x01\x02", 24)] {
        let starts: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == sig)
            .map(|(i, _)| i)
            .collect();
        for i in starts {
            let field = &mut bytes[i + at..i + at + 4];
            if field == declared.to_le_bytes() {
                field.copy_from_slice(&honest.to_le_bytes());
                patched += 1;
            }
        }
    }
    assert_eq!(patched, 2, "both size fields found");
    std::fs::write(&p, &bytes).unwrap();
    refused(
        &run(&["eval", "-", "--pred", s(&p)], SETTINGS),
        "the archive member holds more data than its header describes",
    );
    done();
}

/// Fuzz finding 6: a named pipe called `y.npy` hung the command (the file was opened
/// several times). It is refused before it is opened. (The deadline only turns a hang of
/// a broken binary into a failure; it is no measure of speed.)
#[cfg(unix)]
#[test]
fn a_named_pipe_is_refused_without_opening_it() {
    let fifo = temp("fifo-y.npy");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = Command::new(BIN)
        .args(["eval", "-", "--y", s(&fifo)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"pred":[0.5,0.5]}"#)
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("dice hung on a named pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    refused(&out, "is a named pipe, not a regular file");
    refused(
        &run(&["eval", "-", "--y", "/dev/zero"], r#"{"pred":[0.5]}"#),
        "unknown file type",
    );
    let dev = temp("zero.npy");
    let _ = std::fs::remove_file(&dev);
    std::os::unix::fs::symlink("/dev/zero", &dev).unwrap();
    refused(
        &run(&["eval", "-", "--y", s(&dev)], r#"{"pred":[0.5]}"#),
        "is a device, not a regular file",
    );
    let dir = temp("dir.npy");
    std::fs::create_dir_all(&dir).unwrap();
    refused(
        &run(&["eval", "-", "--y", s(&dir)], r#"{"pred":[0.5]}"#),
        "is a directory, not a regular file",
    );
    done();
}
