//! What the benchmarks share: their sizes, their random data (from the engine's one seeded
//! generator, `engine::rng`) and the round-robin medians they report. Each bench includes
//! this module (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use dice_playground::engine::rng::Rng;

/// (B, C, H, W).
pub type Shape = (usize, usize, usize, usize);

/// The sizes every benchmark runs at.
pub const SHAPES: [Shape; 2] = [(4, 3, 64, 64), (8, 4, 128, 128)];

/// A shape as the benchmark groups name it: "4x3x64x64".
pub fn label(shape: Shape) -> String {
    format!("{}x{}x{}x{}", shape.0, shape.1, shape.2, shape.3)
}

/// The generator of a benchmark's data.
pub fn rng(seed: u64) -> Rng {
    Rng::new(seed, 0)
}

/// Median time per call of each closure, measured round-robin (so drift hits all of them
/// alike): `rounds` rounds, each timing `reps` calls of every closure.
pub fn medians(fs: &mut [&mut dyn FnMut()], rounds: usize, reps: usize) -> Vec<Duration> {
    for f in fs.iter_mut() {
        for _ in 0..reps {
            f();
        }
    }
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (f, out) in fs.iter_mut().zip(samples.iter_mut()) {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            out.push(t.elapsed() / reps as u32);
        }
    }
    samples
        .into_iter()
        .map(|mut v| {
            v.sort();
            v[v.len() / 2]
        })
        .collect()
}
