//! Steps per second of an experiment run (`engine::experiment`): the default missing
//! template (48 training images of 32×32, four classes, conv3x3, Adam), at batch sizes 1,
//! 8 and 48 (one mini-batch of every image, shuffled), and the shared warm start.
//!
//! `cargo bench --bench experiment` prints the medians of 5 rounds, round-robin.

use std::time::Instant;

use dice_playground::engine::experiment::{Experiment, ExperimentConfig, RunConfig, Template};

fn main() {
    let steps = 200;
    let mut config = ExperimentConfig::new(Template::Missing);
    config.steps = steps;
    config.runs = [1, 8, 48]
        .into_iter()
        .map(|k| {
            let mut r = RunConfig::new(&format!("batch {k}"));
            r.batch_size = k;
            r
        })
        .collect();
    let t = Instant::now();
    let exp = Experiment::new(config).expect("a valid config");
    println!(
        "data + warm start (150 full-batch steps on the 24 group-A images): {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let mut times = vec![Vec::new(); exp.config.runs.len()];
    for _ in 0..5 {
        for (i, out) in times.iter_mut().enumerate() {
            let mut run = exp.start(i).expect("starts");
            let t = Instant::now();
            run.advance(steps);
            out.push(t.elapsed().as_secs_f64());
        }
    }
    for (i, mut ts) in times.into_iter().enumerate() {
        ts.sort_by(f64::total_cmp);
        let median = ts[ts.len() / 2];
        println!(
            "{:<9} {:>8.0} steps/s  ({:.3} s per 200 steps; the default 800 steps: {:.2} s)",
            exp.config.runs[i].name,
            steps as f64 / median,
            median,
            median * 4.0
        );
    }
}
