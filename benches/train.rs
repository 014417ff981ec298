//! One training step (forward, loss, backward, update) of `conv3x3` with Adam, beside one
//! `evaluate` at the same size, at 4×3×64×64 and 8×4×128×128. Goal: a step within 5× one
//! evaluate.
//!
//! `cargo bench --bench train` runs criterion, then measures medians again with `Instant`,
//! round-robin so drift hits every closure alike, and prints the ratios.
//! `cargo bench --bench train -- nothing` runs no criterion benchmark (the filter matches
//! none) and prints only the ratios.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use dice_playground::engine::train::{Model, Optimizer, Trainer};
use dice_playground::{evaluate, Activation, DiceSettings, Phi};
use ndarray::{Array3, Array4};

use common::{label, medians, rng, Shape, SHAPES};
/// One-hot labels (a disc of class 1 + b % (C − 1) per image), a noisy image, logits.
fn data(shape: Shape) -> (Array4<f64>, Array3<f64>, Array4<f64>) {
    let (bn, cn, h, w) = shape;
    let mut rng = rng(1);
    let inside = |b: usize, i: usize, j: usize| {
        let (ci, cj) = ((h * (b + 1)) as f64 / 3.0 % h as f64, w as f64 / 2.0);
        let r = h.min(w) as f64 / 4.0;
        (i as f64 - ci).powi(2) + (j as f64 - cj).powi(2) < r * r
    };
    let y = Array4::from_shape_fn(shape, |(b, c, i, j)| {
        let class = if inside(b, i, j) { 1 + b % (cn - 1) } else { 0 };
        f64::from(c == class)
    });
    let x = Array3::from_shape_fn((bn, h, w), |(b, i, j)| {
        let base = if inside(b, i, j) { 0.8 } else { 0.1 };
        base + 0.2 * rng.uniform() - 0.1
    });
    let z = Array4::from_shape_fn(shape, |_| 4.0 * rng.uniform() - 2.0);
    (y, x, z)
}

fn settings() -> DiceSettings {
    DiceSettings {
        phi: Phi::I,
        activation: Activation::Softmax,
        include_background: false,
        ..DiceSettings::default()
    }
}

fn trainer(y: &Array4<f64>, x: &Array3<f64>) -> Trainer {
    let cn = y.dim().1;
    let mut rng = rng(7);
    let w = (0..9 * cn).map(|_| rng.uniform() - 0.5).collect();
    let model = Model::conv3x3(w, vec![0.0; cn]).unwrap();
    // A small learning rate: thousands of benchmark steps must not end the run.
    Trainer::new(
        y.clone(),
        Some(x.clone()),
        settings(),
        model,
        Optimizer::adam(1e-4),
    )
    .unwrap()
}
fn bench(c: &mut Criterion) {
    for shape in SHAPES {
        let (y, x, z) = data(shape);
        let s = settings();
        let mut t = trainer(&y, &x);
        let mut g = c.benchmark_group(label(shape));
        g.throughput(Throughput::Elements(y.len() as u64));
        g.bench_function("evaluate_softmax", |b| {
            b.iter(|| evaluate(black_box(y.view()), black_box(z.view()), &s).unwrap())
        });
        g.bench_function("train_step_conv3x3_adam", |b| {
            b.iter(|| black_box(t.step().unwrap()))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}

fn report() {
    println!("\n=== medians with Instant (per call; round-robin, 31 rounds) ===");
    println!(
        "{:<14} {:>16} {:>16} {:>16} {:>8} {:>8}",
        "shape", "evaluate none", "evaluate softmax", "step conv3x3", "step/sm", "step/none"
    );
    for shape in SHAPES {
        let (y, x, z) = data(shape);
        let s = settings();
        let plain = DiceSettings::default();
        let p = z.mapv(|v| 0.25 + 0.125 * v);
        let mut t = trainer(&y, &x);
        let reps = (1_000_000 / y.len()).clamp(1, 200);
        let m = medians(
            &mut [
                &mut || {
                    black_box(evaluate(black_box(y.view()), black_box(p.view()), &plain).unwrap());
                },
                &mut || {
                    black_box(evaluate(black_box(y.view()), black_box(z.view()), &s).unwrap());
                },
                &mut || {
                    black_box(t.step().unwrap());
                },
            ],
            31,
            reps,
        );
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{:<14} {:>13.1} µs {:>13.1} µs {:>13.1} µs {:>7.2}× {:>7.2}×",
            label(shape),
            us(m[0]),
            us(m[1]),
            us(m[2]),
            m[2].as_secs_f64() / m[1].as_secs_f64(),
            m[2].as_secs_f64() / m[0].as_secs_f64()
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs the benchmarks once in test mode: no report there.
    if std::env::args().any(|a| a == "--bench") {
        report();
    }
}
