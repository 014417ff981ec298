//! The Experiment panel's state (issue 18 §4): the template, the ticked runs of the
//! paper's table and batch sizes, the scale, and what the worker has reported (progress,
//! the measures, the result `dice experiment` would print). The config the panel sends is
//! written here ([`ExperimentPanel::config_text`]), in the CLI's config format, so the
//! worker and `dice experiment` read the same text; the results table and its CSV are
//! computed here too and tested natively. [`crate::page::update`] changes it through
//! [`crate::page::msg::ExperimentMsg`].

use crate::engine::experiment::Template;
use crate::present::format::{exact, number};

/// A run of the paper's table: its name and its fields of a `dice experiment` run.
pub struct RunKind {
    pub name: &'static str,
    pub fields: &'static str,
}

/// The runs the panel offers, in the paper's order.
pub const RUNS: [RunKind; 7] = [
    RunKind {
        name: "I ε≈0",
        fields: r#""phi":"I","eps":1e-7"#,
    },
    RunKind {
        name: "BI ε≈0",
        fields: r#""phi":"BI","eps":1e-7"#,
    },
    RunKind {
        name: "I heuristic ε",
        fields: r#""phi":"I","eps":"heuristic""#,
    },
    RunKind {
        name: "leaf",
        fields: r#""variant":"leaf""#,
    },
    RunKind {
        name: "marginal",
        fields: r#""variant":"marginal","include_background":true"#,
    },
    RunKind {
        name: "Dice + CE",
        fields: r#""ce_weight":1"#,
    },
    RunKind {
        name: "full labels",
        fields: r#""labels":"full""#,
    },
];

/// The ε sweep's log grid: Φ = I with ε_nr = ε_dr = each of these.
pub const SWEEP_EPS: [f64; 9] = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4];

/// The batch sizes the panel offers (the paper's BraTS runs: 1, 2, 4, 8).
pub const BATCHES: [usize; 4] = [1, 2, 4, 8];

/// How big an experiment is: images per split, their size, steps per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// A few seconds in all: small images, few steps (the browser tests use it).
    Quick,
    /// The panel's default: the paper's point with a margin, in well under a minute.
    Standard,
}

impl Scale {
    pub const ALL: [Scale; 2] = [Scale::Quick, Scale::Standard];

    pub fn code(self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Standard => "standard",
        }
    }

    pub fn parse(s: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|k| k.code() == s)
    }

    /// (training images, test images, size, steps).
    pub fn params(self) -> (usize, usize, usize, usize) {
        match self {
            Scale::Quick => (16, 16, 16, 100),
            Scale::Standard => (24, 24, 24, 400),
        }
    }
}

/// Where the panel is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    Running,
    Cancelled,
    Done,
    Failed(String),
}

/// One run of the current experiment as the worker reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub name: String,
    pub batch: usize,
    pub done: usize,
    pub total: usize,
    /// b_ratio, a_dice, AUC, volume error.
    pub measures: Option<[f64; 4]>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentPanel {
    pub template: Template,
    /// Which of [`RUNS`] are ticked.
    pub runs: [bool; 7],
    /// Which of [`BATCHES`] are ticked.
    pub batches: [bool; 4],
    pub scale: Scale,
    pub phase: Phase,
    /// The current (or last) job is the ε sweep rather than the ticked runs.
    pub sweep: bool,
    /// Experiments started so far: the worker's job number.
    pub job: u32,
    /// The config of the current (or last) experiment.
    pub config: Option<String>,
    pub rows: Vec<RunRow>,
    /// The result JSON text, as `dice experiment` prints it for `config`.
    pub result: Option<String>,
    /// Training steps per second in the worker.
    pub steps_per_second: Option<f64>,
}

impl Default for ExperimentPanel {
    fn default() -> ExperimentPanel {
        ExperimentPanel {
            template: Template::Missing,
            // The paper's three: I ε≈0, BI ε≈0, I heuristic ε, at batch 8.
            runs: [true, true, true, false, false, false, false],
            batches: [false, false, false, true],
            scale: Scale::Standard,
            phase: Phase::Idle,
            sweep: false,
            job: 0,
            config: None,
            rows: Vec::new(),
            result: None,
            steps_per_second: None,
        }
    }
}

impl ExperimentPanel {
    /// The runs of the ticked kinds × the ticked batch sizes: (name, fields, batch). In an
    /// ε sweep: Φ = I at each ε of [`SWEEP_EPS`], at the largest ticked batch size.
    pub fn planned(&self) -> Vec<(String, String, usize)> {
        let batches: Vec<usize> = BATCHES
            .iter()
            .zip(self.batches)
            .filter(|(_, on)| *on)
            .map(|(b, _)| *b)
            .collect();
        if self.sweep {
            let Some(&b) = batches.last() else {
                return Vec::new();
            };
            return SWEEP_EPS
                .iter()
                .map(|&e| {
                    let e = exact(e);
                    (
                        format!("I · ε = {e} · batch {b}"),
                        format!(r#""phi":"I","eps":{e}"#),
                        b,
                    )
                })
                .collect();
        }
        let mut out = Vec::new();
        for (kind, _) in RUNS.iter().zip(self.runs).filter(|(_, on)| *on) {
            for &b in &batches {
                out.push((format!("{} · batch {b}", kind.name), kind.fields.into(), b));
            }
        }
        out
    }

    /// The `dice experiment` config of the ticked runs, or why there is none.
    pub fn config_text(&self) -> Result<String, &'static str> {
        let planned = self.planned();
        if planned.is_empty() {
            return Err("Tick at least one run and one batch size.");
        }
        let (train, test, size, steps) = self.scale.params();
        let runs: Vec<String> = planned
            .iter()
            .map(|(name, fields, b)| format!(r#"{{"name":"{name}",{fields},"batch_size":{b}}}"#))
            .collect();
        Ok(format!(
            r#"{{"template":"{}","seed":0,"images":{{"train":{train},"test":{test},"size":{size}}},"steps":{steps},"runs":[{}]}}"#,
            self.template.code(),
            runs.join(",")
        ))
    }

    /// Whether a run is under way.
    pub fn running(&self) -> bool {
        self.phase == Phase::Running
    }

    /// The status line under the buttons.
    pub fn status(&self) -> String {
        let finished = self.rows.iter().filter(|r| r.measures.is_some()).count();
        match &self.phase {
            Phase::Idle => "Pick a template, tick runs and batch sizes, press Run.".into(),
            Phase::Running => format!(
                "Training in a worker: {finished} of {} runs done.",
                self.rows.len()
            ),
            Phase::Cancelled => format!("Cancelled after {finished} of {} runs.", self.rows.len()),
            Phase::Done => match self.steps_per_second {
                Some(v) => format!(
                    "Done: {} runs, {} training steps per second in the worker.",
                    self.rows.len(),
                    v.round()
                ),
                None => format!("Done: {} runs.", self.rows.len()),
            },
            Phase::Failed(why) => format!("The experiment did not run: {why}"),
        }
    }

    /// The results table: a header and one row per finished run (run, b_ratio, a_dice,
    /// AUC, volume error), numbers to 3 significant digits.
    pub fn table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let head = vec!["run", "b_ratio", "a_dice", "AUC", "volume error (px)"];
        let rows = self
            .rows
            .iter()
            .filter_map(|r| {
                let m = r.measures?;
                let mut row = vec![r.name.clone()];
                row.extend(m.iter().map(|&v| number(v, 3)));
                Some(row)
            })
            .collect();
        (head, rows)
    }

    /// The table as CSV, numbers in full (`{}` of f64: the shortest text that reads back
    /// the same).
    pub fn csv(&self) -> String {
        let (head, _) = self.table();
        let mut out = head.join(",") + "\n";
        for r in &self.rows {
            if let Some(m) = r.measures {
                let nums: Vec<String> = m.iter().map(|v| v.to_string()).collect();
                out += &format!("\"{}\",{}\n", r.name.replace('"', "\"\""), nums.join(","));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_config_names_the_papers_three_runs_at_batch_8() {
        let p = ExperimentPanel::default();
        let text = p.config_text().unwrap();
        assert!(
            text.starts_with(r#"{"template":"missing","seed":0,"#),
            "{text}"
        );
        let names: Vec<String> = p.planned().into_iter().map(|r| r.0).collect();
        assert_eq!(
            names,
            [
                "I ε≈0 · batch 8",
                "BI ε≈0 · batch 8",
                "I heuristic ε · batch 8"
            ]
        );
    }

    #[test]
    fn the_sweep_runs_phi_i_across_the_grid_at_the_largest_ticked_batch() {
        let p = ExperimentPanel {
            sweep: true,
            batches: [true, true, false, false],
            ..ExperimentPanel::default()
        };
        let runs = p.planned();
        assert_eq!(runs.len(), SWEEP_EPS.len());
        assert_eq!(runs[0].0, "I · ε = 1e-4 · batch 2");
        let eps = runs[8].1.strip_prefix(r#""phi":"I","eps":"#).unwrap();
        assert_eq!(eps.parse::<f64>(), Ok(1e4));
        assert!(runs.iter().all(|r| r.2 == 2));
    }

    #[test]
    fn nothing_ticked_is_refused_in_words() {
        let p = ExperimentPanel {
            batches: [false; 4],
            ..ExperimentPanel::default()
        };
        assert!(p.config_text().unwrap_err().contains("Tick"));
    }

    #[test]
    fn the_table_and_csv_list_finished_runs_only() {
        let row = |name: &str, m: Option<[f64; 4]>| RunRow {
            name: name.into(),
            batch: 8,
            done: 1,
            total: 1,
            measures: m,
        };
        let p = ExperimentPanel {
            rows: vec![
                row("I \"a\"", Some([0.98765, 0.9, 0.5, -1.25])),
                row("BI", None),
            ],
            ..ExperimentPanel::default()
        };
        let (head, rows) = p.table();
        assert_eq!(head.len(), 5);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][1], "0.988");
        assert_eq!(
            p.csv(),
            "run,b_ratio,a_dice,AUC,volume error (px)\n\"I \"\"a\"\"\",0.98765,0.9,0.5,-1.25\n"
        );
    }
}
