//! Progress of a long `dice train` on a terminal: a million steps at a large size take
//! hours, and a command that says nothing for that long looks hung. Only written when
//! stderr is a terminal (a script reading stderr gets no progress lines), on one line
//! that is rewritten in place, at most twice a second.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::engine::train::{TrainReport, Trainer};
use crate::present::format;

/// How often the line is rewritten.
const EVERY: Duration = Duration::from_millis(500);

/// [`Trainer::train`] for `steps` steps; with `out` (stderr on a terminal) it trains in
/// slices and writes how far it is between them. The report is the one a single
/// `train(steps)` gives: the slices stop where it would stop.
pub fn train(
    trainer: &mut Trainer,
    steps: usize,
    out: Option<&mut (dyn Write + '_)>,
) -> TrainReport {
    let Some(out) = out else {
        return trainer.train(steps);
    };
    let start = Instant::now();
    // No step yet: the loss where training starts, and whether it can start.
    let mut report = trainer.train(0);
    report.losses.reserve(steps.min(1 << 20));
    let mut slice = 1;
    let mut last_line: Option<Instant> = None;
    while report.losses.len() < steps && report.stopped.is_none() {
        let n = slice.min(steps - report.losses.len());
        let t = Instant::now();
        let part = trainer.train(n);
        report.losses.extend(part.losses);
        report.final_loss = part.final_loss;
        report.stopped = part.stopped;
        // Slices of about a tenth of the rewrite interval, so the line keeps its pace.
        let per_step = t.elapsed().as_secs_f64() / n as f64;
        slice = ((EVERY.as_secs_f64() / 10.0 / per_step.max(1e-9)) as usize).clamp(1, 1 << 20);
        if last_line.is_none_or(|l| l.elapsed() >= EVERY) {
            let _ = write!(out, "\r\x1b[K{}", line(&report, steps, start.elapsed()));
            let _ = out.flush();
            last_line = Some(Instant::now());
        }
    }
    let done = report.losses.len();
    let end = match &report.stopped {
        Some(s) => format!("stopped at step {}", s.step),
        None => format!("{done} steps"),
    };
    let _ = writeln!(
        out,
        "\r\x1b[Kdice train: {end} in {}",
        duration(start.elapsed())
    );
    report
}

/// "dice train: step 1200 of 1000000 (0.1%), loss 0.4123, about 2 h 13 min left".
fn line(report: &TrainReport, steps: usize, spent: Duration) -> String {
    let done = report.losses.len();
    let loss = report
        .final_loss
        .map_or("undefined".to_string(), |l| format::number(l, 4));
    let left = if done == 0 {
        String::new()
    } else {
        let rest = spent.mul_f64((steps - done) as f64 / done as f64);
        format!(", about {} left", duration(rest))
    };
    format!(
        "dice train: step {done} of {steps} ({}%), loss {loss}{left}",
        format::number(100.0 * done as f64 / steps.max(1) as f64, 2)
    )
}

/// "2 h 13 min", "4 min 10 s", "12 s", "0.4 s".
fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    let whole = s as u64;
    if s < 10.0 {
        format!("{s:.1} s")
    } else if whole < 600 {
        format!("{} min {} s", whole / 60, whole % 60)
    } else {
        format!("{} h {} min", whole / 3600, whole / 60 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trainer() -> Trainer {
        crate::cli::train::trainer_from_str(
            r#"{"shape":[1,1,1,3],"y":[1,0,0],"pred":[0.5,0.4,0.3],"activation":"sigmoid",
              "model":{"kind":"pixels"},"optimizer":{"kind":"sgd","lr":0.01},"steps":1}"#,
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_terminal_gets_progress_and_the_same_report() {
        let mut out = Vec::new();
        let with = train(&mut trainer(), 2000, Some(&mut out));
        let without = trainer().train(2000);
        assert_eq!(with, without);
        assert!(with.stopped.is_none() && with.losses.len() == 2000);
        let text = String::from_utf8(out).unwrap();
        // The first slice is one step, and the line is written after it.
        assert!(
            text.starts_with("\r\x1b[Kdice train: step 1 of 2000 (0.05%), loss "),
            "{text:?}"
        );
        let last = text.rsplit("\r\x1b[K").next().unwrap();
        assert!(
            last.starts_with("dice train: 2000 steps in ") && last.ends_with(" s\n"),
            "{text:?}"
        );
        assert_eq!(duration(Duration::from_secs(7993)), "2 h 13 min");
        assert_eq!(duration(Duration::from_secs(250)), "4 min 10 s");
    }

    #[test]
    fn a_run_that_stops_says_where() {
        let (mut t, _) = crate::cli::train::trainer_from_str(
            r#"{"shape":[1,1,1,2],"y":[0,0],"pred":[0,0],"eps_nr":0,"eps_dr":0,
              "model":{"kind":"pixels"},"optimizer":{"kind":"sgd","lr":1},"steps":3}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        let r = train(&mut t, 3, Some(&mut out));
        assert_eq!(r.stopped.as_ref().map(|s| s.step), Some(0));
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("dice train: stopped at step 0 in"),
            "{text:?}"
        );
    }
}
