//! What the integration tests share: the `dice` binary they run, and their random draws,
//! from the engine's one seeded generator (`engine::rng`). Each test file includes this
//! module (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use dice_playground::engine::rng::Rng;

/// The release or debug `dice` binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_dice");

/// Runs the `dice` binary with `args`, `stdin` on its standard input.
pub fn dice<S: AsRef<OsStr>>(args: &[S], stdin: &str) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    pipe(cmd, stdin)
}

/// Runs `cmd` with `stdin` on its standard input and collects its output. The input is
/// written from a thread, and a closed pipe is no error: the binary may refuse its
/// arguments or input and exit before reading it all.
pub fn pipe(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the dice binary");
    let mut input = child.stdin.take().unwrap();
    let text = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().expect("wait for the dice binary");
    writer.join().unwrap();
    out
}

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
