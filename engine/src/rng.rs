//! The one seeded random number generator of the engine: mini-batch shuffles, the
//! experiment's data and its models' starting weights all draw from it, so a seed gives
//! the same numbers on every machine and in the browser (docs/training.md, "Mini-batches").
//!
//! The generator is PCG64 — PCG XSL RR 128/64 with an LCG state, `rand_pcg::Pcg64`, the
//! same bit generator as numpy's `PCG64` — started as `Pcg64::new(seed, stream)`: with
//! the multiplier M = 0x2360ED051FC65DA44385DF649FCCF645 and the increment
//! inc = 2·stream + 1, the state starts at (seed + inc)·M + inc (mod 2¹²⁸), and every draw
//! first steps the state, s ← s·M + inc, then outputs XSL RR of it:
//! rotate_right((s >> 64) xor (s mod 2⁶⁴), s >> 122). What is drawn from the 64-bit
//! outputs x:
//! - an index below n ([`Rng::below`]): x mod n, redrawing while x < 2⁶⁴ mod n (so every
//!   index is equally likely);
//! - a number in [0, 1) ([`Rng::uniform`]): (x >> 11)·2⁻⁵³;
//! - a shuffle ([`Rng::shuffle`]): Fisher–Yates from the end, for i = n − 1 down to 1,
//!   swap items i and `below(i + 1)`.
//!
//! Only integer arithmetic and exact float operations are used, so the numbers are the
//! same bit for bit natively and in WebAssembly.

use rand_core::Rng as _;
use rand_pcg::Pcg64;

/// The stream of mini-batch shuffles (`shuffle_seed`).
pub const STREAM_SHUFFLE: u64 = 1;
/// The stream of the experiment's images.
pub const STREAM_DATA: u64 = 2;
/// The stream of the experiment's starting weights.
pub const STREAM_MODEL: u64 = 3;

/// A seeded PCG64 generator (see the module comment for the exact algorithm).
#[derive(Clone, Debug)]
pub struct Rng(Pcg64);

impl Rng {
    /// The generator of `seed` on `stream` (the streams are independent sequences).
    pub fn new(seed: u64, stream: u64) -> Rng {
        Rng(Pcg64::new(u128::from(seed), u128::from(stream)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// An index in [0, n), every one equally likely; `n` must be at least 1.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        // 2⁶⁴ mod n: the values below it are the surplus that would favour small indices.
        let surplus = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64();
            if x >= surplus {
                return x % n;
            }
        }
    }

    /// A number in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A number in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Fisher–Yates from the end: for i = n − 1 down to 1, swap items i and `below(i + 1)`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The algorithm of the module comment written out with plain u128 arithmetic.
    fn by_hand(seed: u64, stream: u64, n: usize) -> Vec<u64> {
        const M: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;
        let inc = (u128::from(stream) << 1) | 1;
        let mut s = (u128::from(seed).wrapping_add(inc))
            .wrapping_mul(M)
            .wrapping_add(inc);
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(M).wrapping_add(inc);
                let xsl = ((s >> 64) as u64) ^ (s as u64);
                xsl.rotate_right((s >> 122) as u32)
            })
            .collect()
    }

    #[test]
    fn the_generator_is_the_documented_pcg64() {
        for (seed, stream) in [(0, 0), (7, STREAM_SHUFFLE), (u64::MAX, STREAM_MODEL)] {
            let mut r = Rng::new(seed, stream);
            let got: Vec<u64> = (0..20).map(|_| r.next_u64()).collect();
            assert_eq!(got, by_hand(seed, stream, 20));
        }
        let (mut a, mut b) = (Rng::new(5, STREAM_DATA), Rng::new(5, STREAM_MODEL));
        assert_ne!(a.next_u64(), b.next_u64(), "streams differ");
    }

    #[test]
    fn below_is_in_range_and_unbiased_enough() {
        let mut r = Rng::new(1, 0);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[r.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_400..10_600).contains(&c), "{counts:?}");
        }
        assert_eq!(r.below(1), 0);
        // n near 2⁶⁴: the surplus rule still terminates and stays in range.
        let big = u64::MAX / 3 * 2;
        assert!((0..100).all(|_| r.below(big) < big));
    }

    #[test]
    fn uniform_and_shuffle() {
        let mut r = Rng::new(3, 0);
        for _ in 0..1000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
        }
        let mut v: Vec<usize> = (0..10).collect();
        r.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(v, sorted, "a shuffle of 10 moves something (seeded)");
        // Fisher–Yates by hand with the same draws.
        let (mut a, mut b) = (Rng::new(9, 1), Rng::new(9, 1));
        let mut w: Vec<usize> = (0..7).collect();
        a.shuffle(&mut w);
        let mut h: Vec<usize> = (0..7).collect();
        for i in (1..7).rev() {
            let j = b.below(i as u64 + 1) as usize;
            h.swap(i, j);
        }
        assert_eq!(w, h);
    }
}
