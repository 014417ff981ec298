//! `dice eval FILE|-` and `dice train FILE|-`: one JSON object in, one JSON object out
//! (see the README).

use std::io::Read;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: dice eval FILE | dice train FILE   (FILE may be - for standard input)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cmd, path] = args.as_slice() else {
        return usage();
    };
    type Run = fn(&str) -> Result<serde_json::Value, String>;
    let (unknown_fields, run): (fn(&str) -> Vec<String>, Run) = match cmd.as_str() {
        "eval" => (
            dice_playground::cli::unknown_fields,
            dice_playground::cli::eval_str,
        ),
        "train" => (
            dice_playground::cli::train::unknown_fields,
            dice_playground::cli::train::train_str,
        ),
        _ => return usage(),
    };
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    if let Err(e) = read {
        eprintln!("cannot read {path}: {e}");
        return ExitCode::from(2);
    }
    for field in unknown_fields(&text) {
        eprintln!("warning: ignoring unknown field {field:?}");
    }
    match run(&text) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}
