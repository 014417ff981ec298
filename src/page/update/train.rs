//! Training on the page: a session starts from the page (Play, Step, a lesson's
//! experiment, a link's `&train=N`), steps at the play speed or in a link's slices, and
//! follows the data it trains on: it ends when that data changes and trains on under new
//! loss settings ([`follow_data`], applied by the router to every other message).

use crate::engine::train::Stop;
use crate::engine::variants::Variant;
use crate::page::change::{Change, Link};
use crate::page::entry;
use crate::page::lessons::{contrast, experiments};
use crate::page::model::{Entry, Lesson, Model};
use crate::page::msg::{OptimizerKind, TrainMsg};
use crate::page::paint::Cells;
use crate::page::state::MAX_SPEED;
use crate::page::training;
use crate::present::format::excerpt_of;

use super::notice::{accept_entry, notice, refuse_entry};
use super::page::load;
use super::paint::finish_stroke;

/// Pauses a playing session (Pause, and Toggle while playing).
fn pause(m: &mut Model) -> Change {
    match m.train.session.as_mut() {
        Some(t) if t.playing => {
            t.playing = false;
            // A link's run ends here: the link says the step reached.
            let reaching = t.target.take().is_some();
            Change::none()
                .training()
                .link(if reaching { Link::Replace } else { Link::Keep })
        }
        _ => Change::none(),
    }
}

pub fn update(m: &mut Model, msg: TrainMsg) -> Change {
    match msg {
        TrainMsg::Play => play(m),
        TrainMsg::Pause => pause(m),
        TrainMsg::Step => {
            let mut ch = ensure_training(m);
            if let Some(t) = m.train.session.as_mut() {
                t.playing = false;
                t.target = None;
            }
            ch.merge(train_steps(m, 1));
            ch
        }
        TrainMsg::Tick(n) => tick(m, n),
        TrainMsg::Toggle => match m.train.session.as_ref() {
            Some(t) if t.playing => pause(m),
            Some(_) => play(m),
            None if has_experiment(m) => lesson(m),
            None => play(m),
        },
        TrainMsg::Reset => drop_training(m),
        TrainMsg::Model(kind) => {
            if m.state.train.model == kind {
                return Change::none();
            }
            m.state.train.model = kind;
            drop_training(m).and(settings_changed())
        }
        TrainMsg::Optimizer(kind) => optimizer(m, kind),
        TrainMsg::Lr(lr) => set_lr(m, lr),
        TrainMsg::LrEntered(text) => match entry::parse_lr(&text) {
            Ok(lr) => set_lr(m, lr),
            Err(e) => refuse_entry(m, Entry::LearningRate, e).controls(),
        },
        TrainMsg::Speed(v) => {
            let v = v.clamp(1, MAX_SPEED);
            if m.state.train.speed == v {
                return Change::none();
            }
            m.state.train.speed = v;
            settings_changed()
        }
        TrainMsg::Lesson => lesson(m),
        TrainMsg::ShowImages(on) => {
            if m.train.show_images == on {
                return Change::none();
            }
            m.train.show_images = on;
            Change::none().layout().controls()
        }
    }
}

fn play(m: &mut Model) -> Change {
    let mut ch = ensure_training(m);
    let Some(t) = m.train.session.as_mut() else {
        return ch;
    };
    // A lesson's run length no longer holds once the person plays on.
    if t.until.is_some_and(|u| t.step_count() >= u) {
        t.until = None;
    }
    if let Some(stop) = t.trainer.stopped() {
        ch.merge(notice(m, stopped_sentence(&stop), true));
        return ch;
    }
    t.playing = true;
    ch.training = true;
    ch
}

/// The scheduler's beat: `n` steps while playing, towards a link's step if there is one.
fn tick(m: &mut Model, n: usize) -> Change {
    let Some(t) = m.train.session.as_ref().filter(|t| t.playing) else {
        return Change::none();
    };
    let target = t.target;
    let mut ch = train_steps(m, n);
    if let Some(goal) = target {
        ch.merge(reach_link_step(m, goal));
    }
    // A long run writes its step count to the link a few times a second.
    if ch.link == Link::Replace {
        ch.link = Link::Soon;
    }
    ch
}

fn optimizer(m: &mut Model, kind: OptimizerKind) -> Change {
    let next = kind.with_lr(m.state.train.optimizer.lr());
    if next.code() == m.state.train.optimizer.code() {
        return Change::none();
    }
    m.state.train.optimizer = next;
    drop_training(m).and(settings_changed())
}

/// A new learning rate: from the next step on (Adam keeps its moments, as in PyTorch).
fn set_lr(m: &mut Model, lr: f64) -> Change {
    let next = m.state.train.optimizer.with_lr(lr);
    if next.validate().is_err() {
        return refuse_entry(
            m,
            Entry::LearningRate,
            "The learning rate must be a positive finite number.".into(),
        )
        .controls();
    }
    let accepted = accept_entry(m, Entry::LearningRate);
    if next == m.state.train.optimizer {
        return accepted;
    }
    m.state.train.optimizer = next;
    if let Some(t) = m.train.session.as_mut() {
        let _ = t.trainer.set_lr(lr);
        if let Some(b) = t.compare.as_mut() {
            let _ = b.trainer.set_lr(lr);
        }
    }
    settings_changed().and(accepted)
}

/// Whether the open lesson has a training experiment.
fn has_experiment(m: &Model) -> bool {
    m.lesson
        .open
        .as_ref()
        .is_some_and(|l| experiments::lesson_plan(l.scenario().name).is_some())
}

/// The open lesson's experiment: its scene for training, then play to its run length.
/// Compare mode stays: B trains beside A on the experiment's scene, under the lesson's
/// contrast (or the B a person chose, if it is not the lesson's).
fn lesson(m: &mut Model) -> Change {
    let Some(lesson) = m.lesson.open.as_ref() else {
        return Change::none();
    };
    let Some(plan) = experiments::lesson_plan(lesson.scenario().name) else {
        return Change::none();
    };
    let index = lesson.index;
    let mut s = experiments::plan_state(&plan);
    // The screen stays as it is: an embed, a presentation.
    s.mode.embed = m.state.mode.embed;
    s.mode.present = m.state.mode.present;
    s.compare = match m.state.compare {
        None => None,
        Some(b) if Some(b) == lesson.scene.compare => contrast(lesson.scenario().name, &s.settings),
        Some(b) => Some(b),
    };
    let scene = lesson.scene.clone();
    let mut ch = load(m, s);
    // The lesson stays open: its text says what the run shows.
    m.lesson.open = Some(Lesson { index, scene });
    ch.merge(ensure_training(m));
    if let Some(t) = m.train.session.as_mut() {
        t.playing = true;
        t.until = Some(plan.steps);
    }
    ch
}

fn settings_changed() -> Change {
    Change::none().controls().link(Link::Replace)
}

/// Every prediction view shows something new (the model's output, or the painting).
fn all_preds(m: &Model) -> Cells {
    let (bn, cn) = m.state.status.dim();
    (0..bn).flat_map(|b| (0..cn).map(move |c| (b, c))).collect()
}

/// Starts a session if there is none; a session that cannot start says why.
fn ensure_training(m: &mut Model) -> Change {
    start_session(m).unwrap_or_else(|e| notice(m, e, true))
}

/// Starts a session if there is none, or says why it cannot start.
fn start_session(m: &mut Model) -> Result<Change, String> {
    if m.train.session.is_some() {
        return Ok(Change::none());
    }
    finish_stroke(m);
    m.train.session = Some(training::start(&m.state)?);
    m.train.sessions += 1;
    // What a shared model learns from is now worth seeing.
    m.train.show_images = true;
    Ok(Change::none()
        .training()
        .preds(all_preds(m))
        .layout()
        .controls()
        .link(Link::Replace))
}

/// `&train=N`: the same deterministic run, N steps on, paused there. It is not trained
/// here: the page shows its first frame at step 0 and the run reaches N in slices
/// between frames ([`training::Training::target`]); a run that cannot start or stops at
/// once says why in the link's words.
pub fn train_to_link_step(m: &mut Model, n: usize) -> Change {
    let mut ch = match start_session(m) {
        Ok(ch) => ch,
        Err(why) => {
            let text = match why.strip_prefix("Training cannot start: ") {
                Some(rest) => format!("{} training cannot start: {rest}", link_asks(n)),
                None => format!("{} training cannot start. {why}", link_asks(n)),
            };
            return notice(m, text, true);
        }
    };
    let Some(t) = m.train.session.as_mut() else {
        return ch;
    };
    if let Some(stop) = t.trainer.stopped() {
        ch.merge(notice(m, link_stopped_sentence(n, &stop), true));
        return ch;
    }
    t.playing = true;
    t.until = Some(n);
    t.target = Some(n);
    ch
}

/// After steps of a link's run towards `goal`: the run ends at the goal, or where training
/// stopped, which the notice then says in the link's words.
fn reach_link_step(m: &mut Model, goal: usize) -> Change {
    let Some(t) = m.train.session.as_mut() else {
        return Change::none();
    };
    let stop = t.trainer.stopped();
    if t.step_count() < goal && stop.is_none() && t.playing {
        return Change::none();
    }
    t.target = None;
    t.playing = false;
    let mut ch = Change::none().training();
    if let Some(stop) = stop.filter(|s| s.step < goal) {
        ch.merge(notice(m, link_stopped_sentence(goal, &stop), true));
    }
    ch
}

/// "The link asks for N training steps, but …": why the page shows fewer.
fn link_asks(n: usize) -> String {
    let steps = if n == 1 { "step" } else { "steps" };
    format!("The link asks for {n} training {steps}, but")
}

fn link_stopped_sentence(n: usize, stop: &Stop) -> String {
    format!(
        "{} training stopped at step {}: {} (this is where a training run would get NaN).",
        link_asks(n),
        stop.step,
        excerpt_of(&stop.reason, 200)
    )
}

fn train_steps(m: &mut Model, n: usize) -> Change {
    let Some(t) = m.train.session.as_mut() else {
        return Change::none();
    };
    let before = t.step_count();
    let stop = t.run(n);
    let moved = t.step_count() != before;
    let mut ch = Change::none()
        .training()
        .preds(if moved { all_preds(m) } else { Vec::new() })
        .link(if moved { Link::Replace } else { Link::Keep });
    if let Some(stop) = stop {
        ch.merge(notice(m, stopped_sentence(&stop), true));
    }
    ch
}

fn stopped_sentence(stop: &Stop) -> String {
    format!(
        "Training stopped at step {}: {} (this is where a training run would get NaN).",
        stop.step,
        excerpt_of(&stop.reason, 200)
    )
}

fn drop_training(m: &mut Model) -> Change {
    if m.train.session.take().is_none() {
        return Change::none();
    }
    Change::none()
        .training()
        .preds(all_preds(m))
        .link(Link::Replace)
}

/// The session follows the page: it ends when the data it trains on changes (labels,
/// statuses, images, the size, a new page, the loss variant), and trains on under new
/// loss settings.
pub fn follow_data(m: &mut Model, ch: &mut Change, variant_before: Variant) {
    if m.train.session.is_none() {
        return;
    }
    let data = ch.page || !ch.labels.is_empty() || !ch.images.is_empty();
    if data || m.state.settings.variant != variant_before {
        let dropped = drop_training(m);
        ch.merge(dropped);
        return;
    }
    if ch.compare {
        // Side B trains under compare mode's setting as it now is.
        let state = &m.state;
        if let Some(t) = m.train.session.as_mut() {
            let trained_b = t.compare.as_ref().map(|b| *b.trainer.settings());
            if trained_b != state.compare {
                t.follow_compare(state);
                ch.training = true;
            }
        }
    }
    if ch.settings {
        let settings = m.state.settings;
        let ok = m
            .train
            .session
            .as_mut()
            .map(|t| t.trainer.set_settings(settings));
        if let Some(Err(e)) = ok {
            let dropped = drop_training(m);
            ch.merge(dropped);
            ch.merge(notice(m, format!("Training was reset: {e}"), true));
        } else {
            ch.training = true;
        }
    }
}
