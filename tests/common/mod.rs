//! What the integration tests share: the `dice` binary they run, and their random draws,
//! from the engine's one seeded generator (`engine::rng`). Each test file includes this
//! module (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use dice_playground::engine::rng::Rng;

/// The release or debug `dice` binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_dice");

/// Random test data drawn from one seed.
pub struct Draws(Rng);

impl Draws {
    pub fn new(seed: u64) -> Draws {
        Draws(Rng::new(seed, 0))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0.uniform()
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        self.0.range(lo, hi)
    }

    /// An index below `n` (at least 1).
    pub fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `from` (not empty).
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}
