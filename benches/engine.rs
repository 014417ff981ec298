//! Loss + gradient (`evaluate`, no activation, Φ = I and BI) against a single pass that
//! reads `y` and `pred` once (Σ y·ỹ with a plain ndarray `Zip` fold), at 4×3×64×64 and
//! 8×4×128×128.
//!
//! `cargo bench --bench engine` runs criterion first, then measures the medians again
//! with `Instant` (round-robin, so drift hits all of them alike) and prints the ratios
//! (goal: `evaluate` within 3× of the single pass), a breakdown of `evaluate` into its
//! passes (through the public API, or re-created here where the engine's are private)
//! and sketches of a fused engine, to say what a rewrite would gain.
//! `cargo bench --bench engine -- nothing` skips criterion and prints only the report.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use dice_playground::engine::loss::{all_cell_sums, reduce_sets};
use dice_playground::{evaluate, Activation, DiceSettings, Phi};
use ndarray::{s, Array4, ArrayView4, Zip};

use common::{label, medians, rng, Shape, SHAPES};

/// Deterministic data: a disc of foreground per (b, c), predictions uniform in [0, 1].
fn data(shape: Shape) -> (Array4<f64>, Array4<f64>) {
    let (_, _, h, w) = shape;
    let mut rng = rng(1);
    let y = Array4::from_shape_fn(shape, |(b, c, i, j)| {
        let ci = (h * (b + 1)) as f64 / 3.0 % h as f64;
        let cj = (w * (c + 2)) as f64 / 5.0 % w as f64;
        let r = h.min(w) as f64 / 4.0;
        f64::from((i as f64 - ci).powi(2) + (j as f64 - cj).powi(2) < r * r)
    });
    let p = Array4::from_shape_fn(shape, |_| rng.uniform());
    (y, p)
}

fn settings(phi: Phi) -> DiceSettings {
    DiceSettings {
        phi,
        ..DiceSettings::default()
    }
}

/// The baseline: one pass reading y and pred once.
fn single_pass(y: ArrayView4<f64>, p: ArrayView4<f64>) -> f64 {
    Zip::from(y).and(p).fold(0.0, |acc, &a, &b| acc + a * b)
}
fn bench(c: &mut Criterion) {
    for shape in SHAPES {
        let (y, p) = data(shape);
        let mut g = c.benchmark_group(label(shape));
        g.throughput(Throughput::Elements(y.len() as u64));
        g.bench_function("single_pass", |b| {
            b.iter(|| single_pass(black_box(y.view()), black_box(p.view())))
        });
        for phi in [Phi::I, Phi::BI] {
            let s = settings(phi);
            g.bench_function(format!("evaluate_{}", phi.code()), |b| {
                b.iter(|| evaluate(black_box(y.view()), black_box(p.view()), &s).unwrap())
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}

// ---------------------------------------------------------------------------------------
// Medians with Instant.

/// Repetitions so that one round of one closure takes a few ms.
fn reps_for(elements: usize) -> usize {
    (2_000_000 / elements).clamp(1, 1000)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Minor page faults of this process so far (Linux), from /proc/self/stat.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // minflt is field 10; fields 3… follow the parenthesised command name.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(7)?
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------
// The engine's passes, re-created where they are private.

/// The validation scan of `evaluate` without an activation, as the engine writes it.
fn validation_scan(y: ArrayView4<f64>, p: ArrayView4<f64>) -> bool {
    let bad = |v: &f64| !(0.0..=1.0).contains(v);
    y.iter().enumerate().find(|(_, v)| bad(v)).is_none()
        && p.iter().enumerate().find(|(_, v)| bad(v)).is_none()
}

/// The gradient pass of `evaluate` (zeroed output, then one Zip per cell), with
/// arbitrary per-cell factors.
fn gradient_pass(y: ArrayView4<f64>, p: ArrayView4<f64>) -> Array4<f64> {
    let (bn, cn, _, _) = y.dim();
    let mut g = Array4::<f64>::zeros(y.raw_dim());
    for b in 0..bn {
        for c in 0..cn {
            let (a, r) = (0.01 + b as f64, 0.002 * (c + 1) as f64);
            Zip::from(g.slice_mut(s![b, c, .., ..]))
                .and(y.slice(s![b, c, .., ..]))
                .and(p.slice(s![b, c, .., ..]))
                .for_each(|g, &yv, &_pv| *g = -(a * yv - r));
        }
    }
    g
}

// ---------------------------------------------------------------------------------------
// Sketch of a fused engine (Φ = I, ε = 1e-5, no activation).

/// A branch-free range check of y and pred: one fold, no early exit (`&` on the four
/// comparisons rather than `contains`, whose `&&` may branch).
#[allow(clippy::manual_range_contains)]
fn validation_fold(y: ArrayView4<f64>, p: ArrayView4<f64>) -> bool {
    Zip::from(y).and(p).fold(true, |ok, &a, &b| {
        ok & (a >= 0.0) & (a <= 1.0) & (b >= 0.0) & (b <= 1.0)
    })
}

/// Per-cell results of pass 1.
struct Pass1 {
    /// (2/D, N/D²) per cell.
    factors: Vec<(f64, f64)>,
    valid: bool,
    /// Cells with some y = 1, cells with some y = 0.
    has_fg: usize,
    has_bg: usize,
}

/// Pass 1: per cell V, Ṽ, X and the min and max of y and ỹ, in 8 independent lanes on
/// the cell's contiguous slice. The min/max give the range check (a NaN shows up in the
/// sums instead) and, once y ∈ [0, 1] is known, has_fg = (max y = 1) and
/// has_bg = (min y = 0) — no per-pixel counting. The index of a bad value is only
/// needed for the error message, so a slow scan can find it after the check fails.
fn pass1(y: ArrayView4<f64>, p: ArrayView4<f64>) -> Pass1 {
    const L: usize = 8;
    let (bn, cn, _, _) = y.dim();
    let mut out = Pass1 {
        factors: Vec::with_capacity(bn * cn),
        valid: true,
        has_fg: 0,
        has_bg: 0,
    };
    for b in 0..bn {
        for c in 0..cn {
            let (yc, pc) = (y.slice(s![b, c, .., ..]), p.slice(s![b, c, .., ..]));
            let (ys, ps) = (yc.as_slice().unwrap(), pc.as_slice().unwrap());
            let (mut v, mut vp, mut x) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
            let (mut ymin, mut ymax) = ([f64::INFINITY; L], [f64::NEG_INFINITY; L]);
            let (mut pmin, mut pmax) = ([f64::INFINITY; L], [f64::NEG_INFINITY; L]);
            let (yh, ph) = (ys.chunks_exact(L), ps.chunks_exact(L));
            let (yt, pt) = (yh.remainder(), ph.remainder());
            let mut step = |k: usize, a: f64, q: f64| {
                v[k] += a;
                vp[k] += q;
                x[k] += a * q;
                ymin[k] = if a < ymin[k] { a } else { ymin[k] };
                ymax[k] = if a > ymax[k] { a } else { ymax[k] };
                pmin[k] = if q < pmin[k] { q } else { pmin[k] };
                pmax[k] = if q > pmax[k] { q } else { pmax[k] };
            };
            for (a, q) in yh.zip(ph) {
                for k in 0..L {
                    step(k, a[k], q[k]);
                }
            }
            for (&a, &q) in yt.iter().zip(pt) {
                step(0, a, q);
            }
            let sum = |l: [f64; L]| l.iter().sum::<f64>();
            let (v, vp, x) = (sum(v), sum(vp), sum(x));
            let ymin = ymin.iter().fold(f64::INFINITY, |m, &e| m.min(e));
            let ymax = ymax.iter().fold(f64::NEG_INFINITY, |m, &e| m.max(e));
            let pmin = pmin.iter().fold(f64::INFINITY, |m, &e| m.min(e));
            let pmax = pmax.iter().fold(f64::NEG_INFINITY, |m, &e| m.max(e));
            out.valid &=
                ymin >= 0.0 && ymax <= 1.0 && pmin >= 0.0 && pmax <= 1.0 && (v + vp).is_finite();
            out.has_fg += usize::from(ymax == 1.0);
            out.has_bg += usize::from(ymin == 0.0);
            let d = v + vp + 1e-5;
            out.factors.push((2.0 / d, (2.0 * x + 1e-5) / d / d));
        }
    }
    out
}

/// Pass 2, everything `Evaluation` holds today: per cell (in cache) the copy of pred
/// kept as `prob`, `grad_prob`, and `grad` as a copy of it.
fn pass2_three(
    y: ArrayView4<f64>,
    p: ArrayView4<f64>,
    f: &[(f64, f64)],
    out: &mut [Array4<f64>; 3],
) {
    let (bn, cn, _, _) = y.dim();
    let [prob, gp, g] = out;
    for b in 0..bn {
        for c in 0..cn {
            let (a, r) = f[b * cn + c];
            let yc = y.slice(s![b, c, .., ..]);
            let pc = p.slice(s![b, c, .., ..]);
            let mut prob_c = prob.slice_mut(s![b, c, .., ..]);
            prob_c
                .as_slice_mut()
                .unwrap()
                .copy_from_slice(pc.as_slice().unwrap());
            let mut gp_c = gp.slice_mut(s![b, c, .., ..]);
            let gps = gp_c.as_slice_mut().unwrap();
            for (o, &yv) in gps.iter_mut().zip(yc.as_slice().unwrap()) {
                *o = -(a * yv - r);
            }
            g.slice_mut(s![b, c, .., ..])
                .as_slice_mut()
                .unwrap()
                .copy_from_slice(gps);
        }
    }
}

/// Pass 2 writing only `grad_prob`: what is left if `prob` borrowed `pred` and `grad`
/// were not a second copy of `grad_prob` when there is no activation.
fn pass2_one(y: ArrayView4<f64>, f: &[(f64, f64)], gp: &mut Array4<f64>) {
    let (bn, cn, _, _) = y.dim();
    for b in 0..bn {
        for c in 0..cn {
            let (a, r) = f[b * cn + c];
            let yc = y.slice(s![b, c, .., ..]);
            let mut gp_c = gp.slice_mut(s![b, c, .., ..]);
            for (o, &yv) in gp_c
                .as_slice_mut()
                .unwrap()
                .iter_mut()
                .zip(yc.as_slice().unwrap())
            {
                *o = -(a * yv - r);
            }
        }
    }
}

fn fresh(shape: Shape) -> [Array4<f64>; 3] {
    [
        Array4::zeros(shape),
        Array4::zeros(shape),
        Array4::zeros(shape),
    ]
}

// ---------------------------------------------------------------------------------------
// The report.

struct Row {
    name: &'static str,
    time: Duration,
}

fn print_rows(rows: &[Row], base: Duration) {
    for r in rows {
        println!(
            "  {:<60} {:>9.1} µs {:>6.2}×",
            r.name,
            us(r.time),
            r.time.as_secs_f64() / base.as_secs_f64()
        );
    }
}

fn report() {
    println!("\n=== medians with Instant (per call; round-robin, 31 rounds) ===");
    println!(
        "{:<14} {:>13} {:>13} {:>7} {:>13} {:>7}",
        "shape", "single pass", "evaluate I", "ratio", "evaluate BI", "ratio"
    );
    let mut details = Vec::new();
    for shape in SHAPES {
        let (y, p) = data(shape);
        let (si, sb) = (settings(Phi::I), settings(Phi::BI));
        let reps = reps_for(y.len());
        let (yv, pv) = (y.view(), p.view());
        let m = medians(
            &mut [
                &mut || {
                    black_box(single_pass(black_box(yv), black_box(pv)));
                },
                &mut || {
                    black_box(evaluate(black_box(yv), black_box(pv), &si).unwrap());
                },
                &mut || {
                    black_box(evaluate(black_box(yv), black_box(pv), &sb).unwrap());
                },
            ],
            31,
            reps,
        );
        let ratio = |d: Duration| d.as_secs_f64() / m[0].as_secs_f64();
        println!(
            "{:<14} {:>10.1} µs {:>10.1} µs {:>6.2}× {:>10.1} µs {:>6.2}×",
            label(shape),
            us(m[0]),
            us(m[1]),
            ratio(m[1]),
            us(m[2]),
            ratio(m[2])
        );

        let prob = p.clone();
        let gp = gradient_pass(yv, pv);
        let f = pass1(yv, pv).factors;
        let (mut reused, mut reused2) = (fresh(shape), fresh(shape));
        let (mut reused_one, mut reused_one2) =
            (Array4::<f64>::zeros(shape), Array4::<f64>::zeros(shape));
        let t = medians(
            &mut [
                // 0–5: the engine's passes.
                &mut || {
                    black_box(validation_scan(black_box(yv), black_box(pv)));
                },
                &mut || {
                    black_box(Activation::None.apply(black_box(pv)));
                },
                &mut || {
                    black_box(all_cell_sums(black_box(yv), black_box(prob.view()), false));
                },
                &mut || {
                    let sums = all_cell_sums(yv, prob.view(), false);
                    black_box(reduce_sets(black_box(&sums), &si));
                },
                &mut || {
                    black_box(gradient_pass(black_box(yv), black_box(pv)));
                },
                &mut || {
                    black_box(
                        Activation::None.backward(black_box(prob.view()), black_box(gp.view())),
                    );
                },
                // 6–: alternatives.
                &mut || {
                    black_box(validation_fold(black_box(yv), black_box(pv)));
                },
                &mut || {
                    black_box(Array4::<f64>::from_elem(shape, 0.5));
                },
                &mut || {
                    black_box(pass1(black_box(yv), black_box(pv)));
                },
                &mut || {
                    pass2_three(yv, pv, black_box(&f), &mut reused);
                    black_box(&reused);
                },
                &mut || {
                    pass2_one(yv, black_box(&f), &mut reused_one);
                    black_box(&reused_one);
                },
                &mut || {
                    let p1 = pass1(black_box(yv), black_box(pv));
                    let mut out = fresh(shape);
                    pass2_three(yv, pv, &p1.factors, &mut out);
                    black_box((out, p1.valid, p1.has_fg, p1.has_bg));
                },
                &mut || {
                    let p1 = pass1(black_box(yv), black_box(pv));
                    pass2_three(yv, pv, &p1.factors, &mut reused2);
                    black_box((&reused2, p1.valid));
                },
                &mut || {
                    let p1 = pass1(black_box(yv), black_box(pv));
                    let mut out = Array4::<f64>::zeros(shape);
                    pass2_one(yv, &p1.factors, &mut out);
                    black_box((out, p1.valid));
                },
                &mut || {
                    let p1 = pass1(black_box(yv), black_box(pv));
                    pass2_one(yv, &p1.factors, &mut reused_one2);
                    black_box((&reused_one2, p1.valid));
                },
            ],
            21,
            reps,
        );
        let faults = minor_faults().and_then(|before| {
            for _ in 0..10 {
                black_box(evaluate(yv, pv, &si).unwrap());
            }
            Some((minor_faults()? - before) / 10)
        });
        details.push((shape, m[0], m[1], t, faults));
    }

    for (shape, base, total, t, faults) in details {
        println!(
            "\n--- {}: evaluate(Φ = I) = {:.1} µs; times per call, × the single pass ({:.1} µs) ---",
            label(shape),
            us(total),
            us(base)
        );
        println!("the engine's passes:");
        let engine = [
            Row {
                name: "validation: y.iter().enumerate().find(..), then pred",
                time: t[0],
            },
            Row {
                name: "Activation::None.apply: copy of pred",
                time: t[1],
            },
            Row {
                name: "all_cell_sums: 6-accumulator Zip fold",
                time: t[2],
            },
            Row {
                name: "reduce_sets",
                time: t[3].saturating_sub(t[2]),
            },
            Row {
                name: "gradient pass: zeros + Zip per cell (re-created)",
                time: t[4],
            },
            Row {
                name: "Activation::None.backward: copy of grad_prob",
                time: t[5],
            },
        ];
        print_rows(&engine, base);
        let sum: Duration = engine.iter().map(|r| r.time).sum();
        println!(
            "  {:<60} {:>9.1} µs; evaluate − sum = {:.1} µs",
            "sum",
            us(sum),
            us(total.saturating_sub(sum))
        );
        if let Some(f) = faults {
            println!(
                "  minor page faults per evaluate call: {f} (one B×C×H×W array = {} pages of 4 KiB)",
                (shape.0 * shape.1 * shape.2 * shape.3 * 8).div_ceil(4096)
            );
        }
        println!("alternatives:");
        print_rows(
            &[
                Row {
                    name: "validation as a branch-free Zip fold",
                    time: t[6],
                },
                Row {
                    name: "one fresh array, filled (allocation + page faults)",
                    time: t[7],
                },
                Row {
                    name: "pass 1: sums + min/max in 8 lanes (validates, has_fg/bg)",
                    time: t[8],
                },
                Row {
                    name: "pass 2: prob + grad_prob + grad, per cell, reused buffers",
                    time: t[9],
                },
                Row {
                    name: "pass 2: grad_prob only, reused buffer",
                    time: t[10],
                },
                Row {
                    name: "fused, same outputs as today, fresh arrays",
                    time: t[11],
                },
                Row {
                    name: "fused, same outputs as today, reused buffers",
                    time: t[12],
                },
                Row {
                    name: "fused, grad_prob only (prob, grad shared), fresh",
                    time: t[13],
                },
                Row {
                    name: "fused, grad_prob only (prob, grad shared), reused",
                    time: t[14],
                },
            ],
            base,
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
