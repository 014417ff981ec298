//! Median time of one `evaluate` (loss + ∂DL/∂ỹ, Φ = I and BI, MONAI's ε = 1e-5) on the
//! data in a .npz written by reference/timing.py, printed as JSON for that script.
//! `cargo run --release --example engine_time -- FILE.npz`

use std::time::Instant;

use dice_playground::cli::files;
use dice_playground::{evaluate_nd, DiceSettings, Phi};
use ndarray::{ArrayViewD, IxDyn};

fn main() {
    let path = std::path::PathBuf::from(std::env::args().nth(1).expect("FILE.npz"));
    let shape = files::shape_of(&path, "y").expect("y in the archive");
    let y = files::read(&path, "y", &shape).expect("y");
    let p = files::read(&path, "pred", &shape).expect("pred");
    let dims = IxDyn(shape.dims());
    let yv = ArrayViewD::from_shape(dims.clone(), &y[..]).unwrap();
    let pv = ArrayViewD::from_shape(dims, &p[..]).unwrap();
    let mut out = Vec::new();
    for phi in [Phi::I, Phi::BI] {
        let s = DiceSettings {
            phi,
            ..DiceSettings::default()
        };
        let reps = (2_000_000 / y.len()).clamp(1, 1000);
        let mut samples = Vec::new();
        for _ in 0..31 {
            let t = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(evaluate_nd(yv.view(), pv.view(), &s).unwrap());
            }
            samples.push(t.elapsed().as_secs_f64() / reps as f64);
        }
        samples.sort_by(f64::total_cmp);
        let loss = evaluate_nd(yv.view(), pv.view(), &s).unwrap().loss.unwrap();
        out.push(format!(
            r#""{}":{{"seconds":{},"loss":{loss}}}"#,
            phi.code(),
            samples[15]
        ));
    }
    println!("{{{}}}", out.join(","));
}
