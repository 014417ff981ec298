//! The Experiment panel: its choices (not while a run is under way), Run and Cancel, and
//! the worker's reports. Run writes the config and starts a new job (the web layer posts
//! it to a worker); a report of another job than the current running one is dropped.

use crate::page::change::Change;
use crate::page::experiment::{Phase, RunRow, BATCHES, RUNS};
use crate::page::model::Model;
use crate::page::msg::ExperimentMsg;

pub fn update(m: &mut Model, msg: ExperimentMsg) -> Change {
    let p = &mut m.experiment;
    let changed = Change::none().experiment();
    let current =
        |p: &crate::page::experiment::ExperimentPanel, job: u32| p.running() && p.job == job;
    let sweep = msg == ExperimentMsg::Sweep;
    match msg {
        ExperimentMsg::Template(_)
        | ExperimentMsg::Scale(_)
        | ExperimentMsg::Run(..)
        | ExperimentMsg::Batch(..)
            if p.running() =>
        {
            // The controls show the model again (they are disabled while running).
            changed
        }
        ExperimentMsg::Template(t) => {
            p.template = t;
            changed
        }
        ExperimentMsg::Scale(s) => {
            p.scale = s;
            changed
        }
        ExperimentMsg::Run(i, on) if i < RUNS.len() => {
            p.runs[i] = on;
            changed
        }
        ExperimentMsg::Batch(i, on) if i < BATCHES.len() => {
            p.batches[i] = on;
            changed
        }
        ExperimentMsg::Run(..) | ExperimentMsg::Batch(..) => Change::none(),
        ExperimentMsg::Start | ExperimentMsg::Sweep if p.running() => Change::none(),
        ExperimentMsg::Start | ExperimentMsg::Sweep => {
            p.sweep = sweep;
            p.job += 1;
            p.result = None;
            p.steps_per_second = None;
            match p.config_text() {
                Ok(text) => {
                    p.rows = p
                        .planned()
                        .into_iter()
                        .map(|(name, _, batch)| RunRow {
                            name,
                            batch,
                            done: 0,
                            total: p.scale.params().3,
                            measures: None,
                        })
                        .collect();
                    p.config = Some(text);
                    p.phase = Phase::Running;
                }
                Err(why) => {
                    p.rows.clear();
                    p.phase = Phase::Failed(why.into());
                }
            }
            changed
        }
        ExperimentMsg::Cancel if p.running() => {
            p.phase = Phase::Cancelled;
            changed
        }
        ExperimentMsg::Cancel => Change::none(),
        ExperimentMsg::Progress {
            job,
            run,
            done,
            total,
        } if current(p, job) => match p.rows.get_mut(run) {
            Some(r) => {
                (r.done, r.total) = (done, total);
                changed
            }
            None => Change::none(),
        },
        ExperimentMsg::RunDone { job, run, measures } if current(p, job) => {
            match p.rows.get_mut(run) {
                Some(r) => {
                    r.done = r.total;
                    r.measures = Some(measures);
                    changed
                }
                None => Change::none(),
            }
        }
        ExperimentMsg::Done {
            job,
            result,
            steps_per_second,
        } if current(p, job) => {
            p.result = Some(result);
            p.steps_per_second = Some(steps_per_second);
            p.phase = Phase::Done;
            changed
        }
        ExperimentMsg::Failed { job, why } if current(p, job) => {
            p.phase = Phase::Failed(why);
            changed
        }
        // A report of a cancelled or finished job.
        _ => Change::none(),
    }
}
