//! The baseline that `scripts/measure-cli` compares `dice eval` with: read an input
//! document and parse it with serde_json the plain way (a derived struct of vectors),
//! nothing else. `cargo run --release --example json_baseline -- FILE`

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)] // only parsed
struct Plain {
    shape: Vec<usize>,
    y: Vec<f64>,
    pred: Vec<f64>,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: json_baseline FILE");
    let text = std::fs::read_to_string(path).expect("readable file");
    let doc: Plain = serde_json::from_str(&text).expect("a valid document");
    std::hint::black_box(&doc);
}
