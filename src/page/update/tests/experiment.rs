//! The Experiment panel's rules: Run starts a job with the ticked runs, reports of another
//! job are dropped, Cancel ends the job, choices wait while a job runs.

use super::*;
use crate::page::experiment::Phase;

fn exp(m: &mut Model, msg: ExperimentMsg) -> Change {
    update(m, Msg::Experiment(msg))
}

#[test]
fn run_starts_a_job_whose_reports_fill_the_rows() {
    let mut m = model();
    let ch = exp(&mut m, ExperimentMsg::Start);
    assert!(ch.experiment && ch.link == Link::Keep);
    let p = &m.experiment;
    assert_eq!(p.phase, Phase::Running);
    assert_eq!((p.job, p.rows.len()), (1, 3));
    assert_eq!(p.config.as_deref(), p.config_text().ok().as_deref());
    exp(
        &mut m,
        ExperimentMsg::Progress {
            job: 1,
            run: 1,
            done: 40,
            total: 400,
        },
    );
    assert_eq!(m.experiment.rows[1].done, 40);
    exp(
        &mut m,
        ExperimentMsg::RunDone {
            job: 1,
            run: 0,
            measures: [0.9, 0.8, 0.5, 1.0],
        },
    );
    assert_eq!(m.experiment.rows[0].measures, Some([0.9, 0.8, 0.5, 1.0]));
    assert_eq!(m.experiment.table().1.len(), 1);
    exp(
        &mut m,
        ExperimentMsg::Done {
            job: 1,
            result: "{}".into(),
            steps_per_second: 1234.4,
        },
    );
    assert_eq!(m.experiment.phase, Phase::Done);
    assert!(m
        .experiment
        .status()
        .contains("1234 training steps per second"));
}

#[test]
fn a_cancelled_jobs_late_reports_are_dropped_and_choices_wait_for_the_end() {
    let mut m = model();
    exp(&mut m, ExperimentMsg::Start);
    // While running, a choice is not taken (the panel shows the model again).
    exp(&mut m, ExperimentMsg::Run(0, false));
    assert!(m.experiment.runs[0]);
    exp(&mut m, ExperimentMsg::Cancel);
    assert_eq!(m.experiment.phase, Phase::Cancelled);
    let late = exp(
        &mut m,
        ExperimentMsg::Progress {
            job: 1,
            run: 0,
            done: 10,
            total: 400,
        },
    );
    assert!(late.is_empty());
    assert_eq!(m.experiment.rows[0].done, 0);
    exp(&mut m, ExperimentMsg::Run(0, false));
    assert!(!m.experiment.runs[0]);
    // A new job: the old job's reports still do not count.
    exp(&mut m, ExperimentMsg::Start);
    assert_eq!((m.experiment.job, m.experiment.rows.len()), (2, 2));
    let old = exp(
        &mut m,
        ExperimentMsg::Done {
            job: 1,
            result: "{}".into(),
            steps_per_second: 1.0,
        },
    );
    assert!(old.is_empty() && m.experiment.running());
}

#[test]
fn nothing_ticked_fails_in_words_and_the_training_session_stays() {
    let mut m = model();
    update(
        &mut m,
        Msg::Settings(SettingsMsg::Activation(
            crate::engine::activation::Activation::Softmax,
        )),
    );
    update(&mut m, Msg::Train(TrainMsg::Step));
    let sessions = m.train.sessions;
    assert!(m.train.session.is_some());
    for i in 0..4 {
        exp(&mut m, ExperimentMsg::Batch(i, false));
    }
    exp(&mut m, ExperimentMsg::Start);
    assert!(matches!(m.experiment.phase, Phase::Failed(ref w) if w.contains("Tick")));
    // The experiment is apart from the page's training session.
    assert!(m.train.session.is_some());
    assert_eq!(m.train.sessions, sessions);
}

#[test]
fn the_sweep_is_a_job_of_its_own_kind() {
    let mut m = model();
    exp(&mut m, ExperimentMsg::Sweep);
    assert!(m.experiment.sweep && m.experiment.running());
    assert_eq!(m.experiment.rows.len(), 9);
    assert!(m
        .experiment
        .config
        .as_deref()
        .unwrap()
        .contains(r#""eps":10000"#));
    exp(&mut m, ExperimentMsg::Cancel);
    exp(&mut m, ExperimentMsg::Start);
    assert!(!m.experiment.sweep);
    assert_eq!(m.experiment.rows.len(), 3);
}
