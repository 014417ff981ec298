//! The `dice` command line: arguments, the input document and array files, warnings,
//! the output stream and exit codes (0 success, 2 refused input or failed I/O).
//!
//! Shared by every command: a command names the extra fields it reads on top of the
//! shared ones ([`super::is_field`]; any other is refused, [`super::refuse_unknown`]), parses its [`CommandLine`], reads its fields inside
//! [`CommandLine::with_document`] and writes one JSON value with [`write_json`].

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use serde::Serialize;

use super::json::Document;
use super::tensors::{Files, Tensors};
use super::{excerpt, files, nearest_name, one_line, SETTINGS_FIELDS, TENSOR_FIELDS};

pub const USAGE: &str = "\
usage: dice eval [FILE|-] [--y ARRAY] [--pred ARRAY] [--FIELD VALUE]...
       dice train [FILE|-] [--FIELD VALUE]...   (see the README: x, model, optimizer, steps)
       dice experiment CONFIG|- [--dump DIR]    (see the README: template, seed, images, runs)
  FILE     a JSON object with the input fields (- reads standard input)
  ARRAY    y or pred from a .npy, .npz, .nii or .nii.gz file (the shape comes from it)
  --FIELD  any settings field, overriding FILE: --phi BI, --eps-nr 1e-7, --eps 1e-7
           (both ε), --include-background false, --preset monai_batch, ...";

/// The standard streams of one run.
pub struct Io<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// stderr is a terminal: a long `dice train` says there how far it is.
    pub terminal: bool,
}

/// Why a run stops.
#[derive(Debug, PartialEq)]
pub enum Failure {
    /// Refused input or failed I/O: one line on stderr, exit 2.
    Message(String),
    /// A malformed command line: the message, then the usage, exit 2.
    Usage(String),
    /// The reader of stdout went away (`| head -c1`): nothing more to say, exit 0.
    BrokenPipe,
}

impl From<String> for Failure {
    fn from(m: String) -> Failure {
        Failure::Message(m)
    }
}

/// Runs `dice ARGS…` (without the program name) and returns the exit code.
pub fn main_with(args: Vec<OsString>, io: &mut Io) -> u8 {
    let result = match args.first().map(|a| a.to_str()) {
        Some(Some("eval")) => super::eval::command(&args[1..], io),
        Some(Some("train")) => super::train::command(&args[1..], io),
        Some(Some("experiment")) => super::experiment::command(&args[1..], io),
        Some(Some("-h" | "--help" | "help")) => write_text(io, USAGE),
        _ => Err(Failure::Usage(String::new())),
    };
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => 0,
        Err(Failure::Message(m)) => {
            // A failing stderr has nobody left to tell.
            let _ = writeln!(io.stderr, "{}", one_line(&m));
            2
        }
        Err(Failure::Usage(m)) => {
            let first = USAGE.lines().next().unwrap_or_default();
            let line = if m.is_empty() {
                first.to_string()
            } else {
                format!("{}; {first}", one_line(&m))
            };
            let _ = writeln!(io.stderr, "{line}");
            2
        }
    }
}

fn write_text(io: &mut Io, text: &str) -> Result<(), Failure> {
    writeln!(io.stdout, "{text}")
        .and_then(|()| io.stdout.flush())
        .map_err(output_failure)
}

fn output_failure(e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Failure::BrokenPipe
    } else {
        Failure::Message(format!("cannot write the output: {e}"))
    }
}

/// A parsed command line.
#[derive(Debug, Default)]
pub struct CommandLine {
    /// The input document: a path, or `-` for standard input.
    pub input: Option<OsString>,
    /// Array files for `y`, `pred` and the mask.
    pub y: Option<PathBuf>,
    pub pred: Option<PathBuf>,
    pub mask: Option<PathBuf>,
    /// `dice eval --grad FILE`: the gradient goes to this array file, not into the JSON.
    pub grad: Option<PathBuf>,
    /// `dice eval --summary`: a summary in words instead of the JSON object.
    pub summary: bool,
    /// `--field value` pairs in order, with `-` in names turned into `_`.
    pub flags: Vec<(String, String)>,
}

impl CommandLine {
    /// Parses the arguments after the command name; `extra` are the command's own
    /// fields on top of the settings (which `--FIELD` may set too).
    pub fn parse(args: &[OsString], extra: &[&str]) -> Result<CommandLine, Failure> {
        let mut cl = CommandLine::default();
        // The fields set so far, with the option as written: each may be set once.
        let mut set: Vec<(String, String)> = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(text) = arg.to_str() else {
                // Only a path may be non-UTF-8, and only the input document is positional.
                if cl.input.replace(arg.clone()).is_some() {
                    return Err(Failure::Usage("more than one input document".into()));
                }
                continue;
            };
            let Some(flag) = text.strip_prefix("--") else {
                if cl.input.replace(arg.clone()).is_some() {
                    return Err(Failure::Usage("more than one input document".into()));
                }
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.replace('-', "_"), Some(OsString::from(v))),
                None => (flag.replace('-', "_"), None),
            };
            let options: Vec<&str> = ["eps", "grad", "summary"]
                .iter()
                .chain(TENSOR_FIELDS.iter())
                .chain(SETTINGS_FIELDS.iter())
                .chain(extra.iter())
                .copied()
                .collect();
            if !options.contains(&name.as_str()) {
                let hint = nearest_name(&name, &options)
                    .map(|k| format!("; did you mean --{}?", k.replace('_', "-")))
                    .unwrap_or_default();
                return Err(Failure::Usage(format!(
                    "unknown option --{}{hint}",
                    excerpt_name(flag)
                )));
            }
            once(&mut set, &name, flag.split('=').next().unwrap_or(flag))?;
            if name == "summary" {
                // A switch: it takes no value.
                if inline.is_some() {
                    return Err(Failure::Usage("--summary takes no value".into()));
                }
                cl.summary = true;
                continue;
            }
            let value = match inline.or_else(|| it.next().cloned()) {
                Some(v) => v,
                None => {
                    return Err(Failure::Usage(format!(
                        "--{} needs a value",
                        excerpt_name(flag)
                    )))
                }
            };
            match name.as_str() {
                "y" => cl.y = Some(PathBuf::from(value)),
                "pred" => cl.pred = Some(PathBuf::from(value)),
                "mask" => cl.mask = Some(PathBuf::from(value)),
                "grad" => cl.grad = Some(PathBuf::from(value)),
                _ => {
                    let value = value.into_string().map_err(|v| {
                        Failure::Usage(format!(
                            "the value of --{} is not valid UTF-8: {}",
                            excerpt_name(flag),
                            excerpt(&v.to_string_lossy())
                        ))
                    })?;
                    if name == "eps" {
                        cl.flags.push(("eps_nr".into(), value.clone()));
                        cl.flags.push(("eps_dr".into(), value));
                    } else {
                        cl.flags.push((name, value));
                    }
                }
            }
        }
        if cl.input.is_none() && cl.y.is_none() && cl.pred.is_none() {
            return Err(Failure::Usage("no input".into()));
        }
        Ok(cl)
    }

    /// Reads the input document (empty without one), applies the flags over it and hands
    /// it to `read`, which takes what it needs; the document's text is dropped when `read`
    /// returns, before any computation, so it never sits in memory next to the results.
    pub fn with_document<T>(
        &self,
        stdin: &mut dyn Read,
        read: impl FnOnce(&mut Document) -> Result<T, String>,
    ) -> Result<T, Failure> {
        let text = match &self.input {
            None => String::new(),
            Some(path) => read_text(path, stdin)?,
        };
        let mut doc = if self.input.is_some() {
            Document::parse(&text)?
        } else {
            Document::default()
        };
        for (name, value) in &self.flags {
            doc.set_flag(name, value);
        }
        Ok(read(&mut doc)?)
    }

    /// `shape`, `y`, `pred` and the mask from the document and the array files: the shape
    /// (the document's, else the files' headers) is checked before any array is read.
    pub fn read_tensors(&self, doc: &mut Document) -> Result<Tensors, String> {
        Tensors::read(
            doc,
            Files {
                y: self.y.as_deref(),
                pred: self.pred.as_deref(),
                mask: self.mask.as_deref(),
            },
        )
    }
}

/// The one rule for repeated options: each field is set once, whichever spelling
/// (`--eps-nr`, `--eps_nr`) and whether directly or through `--eps` (both ε). `name` is
/// the option with `-` turned into `_`, `flag` as written (without `=value`).
fn once(set: &mut Vec<(String, String)>, name: &str, flag: &str) -> Result<(), Failure> {
    let fields = match name {
        "eps" => vec!["eps_nr", "eps_dr"],
        other => vec![other],
    };
    for field in fields {
        if let Some((_, before)) = set.iter().find(|(f, _)| f == field) {
            let (flag, before) = (excerpt_name(flag), excerpt_name(before));
            return Err(Failure::Usage(if flag == before {
                format!("--{flag} is given twice; give each option once")
            } else {
                format!("--{before} and --{flag} both set `{field}`; give each option once")
            }));
        }
        set.push((field.to_string(), flag.to_string()));
    }
    Ok(())
}

fn excerpt_name(flag: &str) -> String {
    let e = excerpt(flag);
    e.trim_matches('"').to_string()
}

/// The largest input document read. Every number of it becomes an `f64` (8 bytes for
/// at least 2 of text, "0,") and the gradient another, so a run's memory stays within
/// about 6× its input; tensors larger than this go in array files (`--y`, `--pred`).
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

fn read_text(path: &OsString, stdin: &mut dyn Read) -> Result<String, Failure> {
    let (bytes, shown) = if path == "-" {
        let shown = "standard input".to_string();
        (read_limited(stdin, None, &shown), shown)
    } else {
        let p = PathBuf::from(path);
        let shown = files::shown(&p);
        let bytes = std::fs::File::open(&p)
            .map_err(|e| format!("cannot read {shown}: {e}"))
            .and_then(|mut f| {
                // A regular file says its size: too large is refused before reading.
                let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                read_limited(&mut f, len, &shown)
            });
        (bytes, shown)
    };
    let bytes = bytes?;
    String::from_utf8(bytes).map_err(|e| {
        Failure::Message(format!(
            "cannot read {shown}: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads at most [`MAX_INPUT_BYTES`] (`len`: the size, when known beforehand).
fn read_limited(r: &mut dyn Read, len: Option<u64>, shown: &str) -> Result<Vec<u8>, String> {
    let too_large = || {
        format!(
            "{shown} is larger than {} MiB, the most an input document may have; give y and \
             pred as .npy, .npz or NIfTI files instead (--y, --pred)",
            MAX_INPUT_BYTES >> 20
        )
    };
    if len.is_some_and(|n| n > MAX_INPUT_BYTES) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len.unwrap_or(0) as usize);
    r.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Writes `value` as one line of JSON, streamed (no JSON tree is built).
pub fn write_json<T: Serialize>(value: &T, io: &mut Io) -> Result<(), Failure> {
    write_output(io, |w| {
        serde_json::to_writer(w, value).map_err(|e| {
            // serde_json wraps the writer's error; the value itself always serialises.
            io::Error::new(e.io_error_kind().unwrap_or(io::ErrorKind::Other), e)
        })
    })
}

/// Writes one line to stdout with `write` (buffered), then the newline; a closed pipe
/// is [`Failure::BrokenPipe`], any other error a message.
pub fn write_output(
    io: &mut Io,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut out = BufWriter::with_capacity(1 << 16, &mut *io.stdout);
    write(&mut out)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(output_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn run(args: Vec<OsString>, stdin: &str, stdout: &mut dyn Write) -> (u8, String) {
        let mut input = stdin.as_bytes();
        let mut err = Vec::new();
        let code = main_with(
            args,
            &mut Io {
                stdin: &mut input,
                stdout,
                stderr: &mut err,
                terminal: false,
            },
        );
        (code, String::from_utf8(err).unwrap())
    }

    /// A stdout that fails like a closed pipe or a full disk.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(self.0))
        }
    }

    const DOC: &str = r#"{"shape":[1,1,2],"y":[1,0],"pred":[0.5,0.5]}"#;

    #[test]
    fn a_failing_stdout_is_one_line_and_a_closed_pipe_is_quiet() {
        let (code, err) = run(
            os(&["eval", "-"]),
            DOC,
            &mut Failing(io::ErrorKind::BrokenPipe),
        );
        assert_eq!((code, err.as_str()), (0, ""));
        let (code, err) = run(
            os(&["eval", "-"]),
            DOC,
            &mut Failing(io::ErrorKind::StorageFull),
        );
        assert_eq!(code, 2);
        assert!(
            err.starts_with("cannot write the output") && err.lines().count() == 1,
            "{err}"
        );
    }

    #[test]
    fn flags_set_fields_and_override_the_document() {
        let mut out = Vec::new();
        let args = os(&[
            "eval",
            "-",
            "--phi",
            "BI",
            "--eps=0",
            "--include-background",
            "true",
        ]);
        let (code, err) = run(args, DOC, &mut out);
        assert_eq!((code, err.as_str()), (0, ""));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        // ε = 0: sDSC = 2·0.5/(1 + 1) = 0.5.
        assert_eq!(v["loss"], 0.5);
        for (args, needle) in [
            (
                vec!["eval", "-", "--ph", "BI"],
                "unknown option --ph; did you mean --phi?",
            ),
            (
                vec!["eval", "-", "--include-backgroud", "false"],
                "did you mean --include-background?",
            ),
            (
                vec!["eval", "-", "--smooth-nr", "0"],
                "unknown option --smooth-nr; did you mean --eps-nr?",
            ),
            (vec!["eval", "-", "--smooth", "0"], "did you mean --eps?"),
            (vec!["eval", "-", "--phi"], "--phi needs a value"),
            (vec!["eval", "-", "-"], "more than one input"),
            (vec!["eval"], "no input"),
            (vec!["evaluate"], "usage: dice eval"),
            (vec![], "usage: dice eval"),
        ] {
            let (code, err) = run(os(&args), DOC, &mut Vec::new());
            assert_eq!(code, 2, "{args:?}");
            assert!(
                err.contains(needle) && err.lines().count() == 1,
                "{args:?}: {err}"
            );
        }
        let (code, err) = run(
            os(&["eval", "-", "--eps-nr", "1e-400"]),
            DOC,
            &mut Vec::new(),
        );
        assert_eq!(code, 2);
        assert!(
            err.contains("`eps_nr`") && err.contains("would become 0"),
            "{err}"
        );
    }

    #[test]
    fn a_terminal_gets_the_progress_of_dice_train() {
        let doc = r#"{"shape":[1,1,1,2],"y":[1,0],"pred":[0.5,0.5],"steps":3,
          "model":{"kind":"pixels"},"optimizer":{"kind":"sgd","lr":0.1}}"#;
        let mut outputs = Vec::new();
        for terminal in [false, true] {
            let (mut input, mut out, mut err) = (doc.as_bytes(), Vec::new(), Vec::new());
            let code = main_with(
                os(&["train", "-"]),
                &mut Io {
                    stdin: &mut input,
                    stdout: &mut out,
                    stderr: &mut err,
                    terminal,
                },
            );
            assert_eq!(code, 0);
            let err = String::from_utf8(err).unwrap();
            if terminal {
                assert!(
                    err.starts_with("\r\x1b[Kdice train: step 1 of 3")
                        && err.contains("\r\x1b[Kdice train: 3 steps in "),
                    "{err:?}"
                );
            } else {
                assert_eq!(err, "");
            }
            outputs.push(out);
        }
        assert_eq!(outputs[0], outputs[1], "the same run either way");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_arguments_are_messages_not_panics() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![0xff, b'x']);
        let (code, err) = run(vec!["eval".into(), bad.clone()], "", &mut Vec::new());
        assert_eq!(code, 2);
        assert!(
            err.starts_with("cannot read \"\u{fffd}x\"") && err.lines().count() == 1,
            "{err}"
        );
        let (code, err) = run(vec![bad.clone()], "", &mut Vec::new());
        assert!(code == 2 && err.starts_with("usage"), "{err}");
        let args = vec!["eval".into(), "-".into(), "--phi".into(), bad];
        let (code, err) = run(args, DOC, &mut Vec::new());
        assert!(code == 2 && err.contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused_even_deeply_nested_and_many() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let doc = DOC.replacen('{', &format!(r#"{{"deep":{deep},"#), 1);
        let mut out = Vec::new();
        let (code, err) = run(os(&["eval", "-"]), &doc, &mut out);
        assert_eq!(code, 2);
        assert!(out.is_empty(), "nothing computed");
        assert!(
            err.starts_with("unknown field \"deep\"; the fields are shape, y, pred")
                && err.lines().count() == 1,
            "{err}"
        );
        let many: String = (0..25).map(|i| format!(r#""k{i:02}":0,"#)).collect();
        let doc = DOC.replacen('{', &format!("{{{many}"), 1);
        let (code, err) = run(os(&["eval", "-"]), &doc, &mut Vec::new());
        assert_eq!(code, 2);
        assert!(
            err.starts_with("unknown field \"k00\" (and 24 more unknown fields)"),
            "{err}"
        );
        // A mistyped train field, in the document and as a flag.
        let (code, err) = run(os(&["train", "-", "--step", "3"]), DOC, &mut Vec::new());
        assert_eq!(code, 2);
        assert!(
            err.starts_with("unknown option --step; did you mean --steps?"),
            "{err}"
        );
    }
}
