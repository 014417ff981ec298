//! Training narrated in the hall: the Play/Pause button, the pace of a presented run, and
//! compare mode kept while training (B trains its own model beside A's, one step counter).

use super::*;
use crate::engine::train::scenes::Role;
use crate::page::lessons::experiments::{lesson_plan, plan_state, role_of};
use crate::page::training::{Training, PRESENT_RUN_SECONDS};
use crate::present::readout::step_counter;

fn open(name: &str) -> Model {
    let mut m = model();
    let k = SCENARIOS.iter().position(|s| s.name == name).unwrap();
    update(&mut m, Msg::Lesson(LessonMsg::Open(k)));
    m
}

/// The mean ỹ on image b's object at the last step of a run.
fn last_mean(t: &Training, b: usize) -> f64 {
    t.trace.last().unwrap().means[(b, 1)].unwrap()
}

fn unannotated(name: &str) -> usize {
    let p = lesson_plan(name).unwrap();
    (0..p.roles.len())
        .find(|&b| role_of(&p, b) == Some(Role::Unannotated))
        .unwrap()
}

#[test]
fn a_compare_lesson_trained_keeps_b_and_both_sides_step_together() {
    let mut m = open("missing-I");
    assert_eq!(m.state.compare.map(|b| b.phi), Some(Phi::BI));
    update(&mut m, Msg::Train(TrainMsg::Lesson));
    // Compare mode stays, under the lesson's contrast on the experiment's scene.
    let b_settings = m.state.compare.expect("compare mode kept while training");
    assert_eq!(
        b_settings,
        crate::page::lessons::contrast("missing-I", &m.state.settings).unwrap()
    );
    let t = m.train.session.as_ref().unwrap();
    let b = t.compare.as_ref().expect("B trains a model of its own");
    assert_eq!(*b.trainer.settings(), b_settings);
    assert_eq!(
        b.trainer.probabilities(),
        t.trainer.probabilities(),
        "one start"
    );
    // Play to the lesson's run length: one step counter for both.
    for _ in 0..400 {
        update(&mut m, Msg::Train(TrainMsg::Tick(1)));
    }
    let t = m.train.session.as_ref().unwrap();
    let b = t.compare.as_ref().unwrap();
    assert!(!t.playing);
    assert_eq!((t.step_count(), b.step_count()), (300, 300));
    assert_eq!(b.trace.len(), t.trace.len());
    // What the audience watches: each side is its lesson's own experiment (which keeps
    // the unlabelled structure under Φ = I and erases it under Φ = BI, as the
    // experiments' tests check), side by side.
    let u = unannotated("missing-I");
    for (side, lesson) in [(t, "missing-I"), (&**b, "missing-BI")] {
        let alone = crate::page::training::start(&plan_state(&lesson_plan(lesson).unwrap()));
        let mut alone = alone.unwrap();
        alone.run(300);
        assert_eq!(last_mean(side, u), last_mean(&alone, u), "{lesson}");
    }
    assert!(
        last_mean(t, u) - last_mean(b, u) > 0.4,
        "A keeps what B erases: {} vs {}",
        last_mean(t, u),
        last_mean(b, u)
    );
    assert!(b
        .result_line(u, 1)
        .unwrap()
        .starts_with("mean ỹ on the unannotated structure"));
    // Reset: both back to step 0.
    let t = m.train.session.as_mut().unwrap();
    t.reset();
    assert_eq!(
        (t.step_count(), t.compare.as_ref().unwrap().step_count()),
        (0, 0)
    );
}

#[test]
fn b_follows_compare_mode_during_a_run_and_a_link_reproduces_both() {
    let mut m = open("empty-BI");
    update(&mut m, Msg::Train(TrainMsg::Lesson));
    update(&mut m, Msg::Train(TrainMsg::Tick(9)));
    // Closing compare mode drops B; A trains on.
    update(&mut m, Msg::Compare(CompareMsg::Close));
    let t = m.train.session.as_ref().unwrap();
    assert!(t.compare.is_none() && t.step_count() == 9);
    // Opening it again: B starts from the shared start and catches up with A's step.
    update(&mut m, Msg::Compare(CompareMsg::Open));
    let t = m.train.session.as_ref().unwrap();
    let b = t.compare.as_ref().expect("B again");
    assert_eq!(b.step_count(), 9);
    assert_eq!(b.trainer.settings().phi, Phi::I);
    // A new B setting: B again from the start, caught up.
    update(&mut m, Msg::Compare(CompareMsg::Phi(Phi::BCI)));
    let b = m.train.session.as_ref().unwrap().compare.as_ref().unwrap();
    assert_eq!((b.step_count(), b.trainer.settings().phi), (9, Phi::BCI));
    let (a_loss, b_loss) = (
        m.train.session.as_ref().unwrap().trainer.loss(),
        b.trainer.loss(),
    );
    // The link reproduces both sides at step 9 exactly.
    let link = m.link();
    assert!(link.ends_with("&train=9"), "{link}");
    let mut other = model();
    update(&mut other, Msg::Page(PageMsg::LinkLoaded(link)));
    while other
        .train
        .session
        .as_ref()
        .is_some_and(|t| t.target.is_some())
    {
        update(&mut other, Msg::Train(TrainMsg::Tick(1)));
    }
    let t = other.train.session.as_ref().unwrap();
    let b = t.compare.as_ref().unwrap();
    assert_eq!((t.step_count(), b.step_count()), (9, 9));
    assert_eq!((t.trainer.loss(), b.trainer.loss()), (a_loss, b_loss));
}

#[test]
fn the_play_button_starts_the_lessons_run_pauses_and_plays_on() {
    let mut m = open("empty-I");
    update(&mut m, Msg::Screen(ScreenMsg::Present(true)));
    update(&mut m, Msg::Train(TrainMsg::Toggle));
    let t = m
        .train
        .session
        .as_ref()
        .expect("the lesson's experiment started");
    assert!(t.playing && t.until == Some(lesson_plan("empty-I").unwrap().steps));
    assert!(m.state.mode.present && m.lesson.open.is_some());
    update(&mut m, Msg::Train(TrainMsg::Tick(4)));
    update(&mut m, Msg::Train(TrainMsg::Toggle));
    assert!(!m.train.session.as_ref().unwrap().playing, "paused");
    assert!(
        update(&mut m, Msg::Train(TrainMsg::Tick(4))).is_empty(),
        "a paused run stays"
    );
    assert_eq!(m.train.session.as_ref().unwrap().step_count(), 4);
    update(&mut m, Msg::Train(TrainMsg::Toggle));
    assert!(m.train.session.as_ref().unwrap().playing, "plays on");
    update(&mut m, Msg::Train(TrainMsg::Tick(2)));
    assert_eq!(
        m.train.session.as_ref().unwrap().step_count(),
        6,
        "from where it was"
    );
}

#[test]
fn a_presented_lesson_run_lasts_long_enough_to_narrate() {
    for name in ["missing-BI", "leaf-bg"] {
        let mut m = open(name);
        update(&mut m, Msg::Train(TrainMsg::Lesson));
        let t = m.train.session.as_ref().unwrap();
        let steps = lesson_plan(name).unwrap().steps;
        let speed = m.state.train.speed;
        // The page's own speed: about 5 s (unchanged).
        assert_eq!(t.pace(speed, false), speed);
        assert!(steps as f64 / f64::from(speed) <= 10.0, "{name}");
        // Presented: 20–30 s.
        let pace = t.pace(speed, true);
        let seconds = steps as f64 / f64::from(pace);
        assert!(
            (20.0..=30.0).contains(&seconds),
            "{name}: {seconds} s at {pace}/s"
        );
        assert!(seconds <= PRESENT_RUN_SECONDS as f64 + 1e-9);
        // Never faster than a slower speed a person chose.
        assert_eq!(t.pace(3, true), 3);
    }
    // A link's run towards its step is not paced; an open-ended run plays at its speed.
    let mut m = open("missing-BI");
    update(&mut m, Msg::Train(TrainMsg::Lesson));
    let t = m.train.session.as_mut().unwrap();
    t.target = Some(50);
    assert_eq!(t.pace(60, true), 60);
    t.target = None;
    t.until = None;
    assert_eq!(t.pace(60, true), 60);
    // The counter's words.
    assert_eq!(step_counter(120, Some(300)), "step 120 of 300");
    assert_eq!(step_counter(300, Some(300)), "step 300");
    assert_eq!(step_counter(7, None), "step 7");
}
