//! Training sessions, `&train=N` links and the learning-rate entry.

use super::*;

#[test]
fn training_plays_pauses_steps_and_resets() {
    let mut m = model();
    // A shared model needs an activation: refused in words.
    let ch = update(&mut m, Msg::Train(TrainMsg::Step));
    assert!(ch.notice && m.train.session.is_none());
    update(
        &mut m,
        Msg::Settings(SettingsMsg::Activation(
            crate::engine::activation::Activation::Softmax,
        )),
    );
    let painted = m.state.clone();
    let ch = update(&mut m, Msg::Train(TrainMsg::Step));
    assert!(ch.training && ch.preds.len() == 4 && m.train.show_images);
    assert_eq!(m.train.session.as_ref().unwrap().step_count(), 1);
    assert!(m.link().ends_with("&train=1"));
    // Ticks only count while playing.
    assert!(update(&mut m, Msg::Train(TrainMsg::Tick(5))).is_empty());
    update(&mut m, Msg::Train(TrainMsg::Play));
    let ch = update(&mut m, Msg::Train(TrainMsg::Tick(5)));
    assert_eq!(
        ch.link,
        Link::Soon,
        "a run writes its step to the link lazily"
    );
    assert_eq!(m.train.session.as_ref().unwrap().step_count(), 6);
    update(&mut m, Msg::Train(TrainMsg::Pause));
    assert!(update(&mut m, Msg::Train(TrainMsg::Tick(5))).is_empty());
    // The prediction cannot be painted while trained; the state is untouched.
    let ch = update(
        &mut m,
        Msg::Paint(PaintMsg::StrokeStart {
            layer: Layer::Pred,
            b: 0,
            c: 1,
            at: (3.0, 3.0),
            erase: false,
        }),
    );
    assert!(ch.notice && m.paint.stroke.is_none());
    assert_eq!(m.state, painted);
    // Settings train on; the step count stays.
    update(&mut m, Msg::Settings(SettingsMsg::Phi(Phi::BI)));
    assert_eq!(m.train.session.as_ref().unwrap().step_count(), 6);
    assert_eq!(
        m.train.session.as_ref().unwrap().trainer.settings().phi,
        Phi::BI
    );
    // A label edit ends the session: its data changed.
    let ch = update(
        &mut m,
        Msg::Settings(SettingsMsg::Status {
            b: 1,
            c: 1,
            status: LabelStatus::Missing,
        }),
    );
    assert!(m.train.session.is_none() && ch.training);
    update(&mut m, Msg::Train(TrainMsg::Step));
    let ch = update(&mut m, Msg::Train(TrainMsg::Reset));
    assert!(m.train.session.is_none() && ch.preds.len() == 4);
    assert!(!m.link().contains("&train="));
}

#[test]
fn training_a_lesson_keeps_the_presentation_and_the_embed() {
    for (present, embed) in [(true, false), (false, true)] {
        let mut m = model();
        update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
        update(&mut m, Msg::Screen(ScreenMsg::Present(present)));
        m.state.mode.embed = embed;
        update(&mut m, Msg::Train(TrainMsg::Lesson));
        assert!(m.train.session.is_some());
        assert_eq!((m.state.mode.present, m.state.mode.embed), (present, embed));
        assert!(m.lesson.open.is_some(), "the lesson stays open");
    }
}

#[test]
fn the_embeds_full_page_link_keeps_the_training() {
    let mut m = model();
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    m.state.mode.embed = true;
    update(&mut m, Msg::Train(TrainMsg::Lesson));
    update(&mut m, Msg::Train(TrainMsg::Tick(7)));
    let link = m.full_page_link();
    assert!(link.ends_with("&train=7"), "{link}");
    let mut full = model();
    update(&mut full, Msg::Page(PageMsg::LinkLoaded(link)));
    reach_link_step(&mut full);
    assert!(!full.state.mode.embed, "the full page is not embedded");
    let (a, b) = (
        m.train.session.as_ref().unwrap(),
        full.train.session.as_ref().unwrap(),
    );
    assert_eq!(b.step_count(), 7);
    assert_eq!(b.trainer.loss(), a.trainer.loss());
}

#[test]
fn a_train_link_opens_the_run_at_that_step() {
    let mut m = model();
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    update(&mut m, Msg::Train(TrainMsg::Lesson));
    update(&mut m, Msg::Train(TrainMsg::Tick(12)));
    let t = m.train.session.as_ref().unwrap();
    assert!(t.playing && t.until == Some(300));
    let (loss, link) = (t.trainer.loss(), m.link());
    assert!(link.ends_with("&train=12"), "{link}");
    let mut other = model();
    update(&mut other, Msg::Page(PageMsg::LinkLoaded(link.clone())));
    // Opening the link trains nothing: the run gets there in ticks between frames.
    let t2 = other.train.session.as_ref().unwrap();
    assert_eq!((t2.step_count(), t2.target), (0, Some(12)));
    assert_eq!(other.link(), link, "the link keeps the step it asks for");
    let ticks = reach_link_step(&mut other);
    assert_eq!(ticks, 12);
    let t2 = other.train.session.as_ref().unwrap();
    assert_eq!(t2.step_count(), 12);
    assert!(!t2.playing && t2.target.is_none(), "it stops there, paused");
    assert_eq!(t2.trainer.loss(), loss, "deterministic");
    assert_eq!(other.link(), link);
}

/// Drives a link's run to its step one tick at a time, as the page's frames do;
/// returns the ticks taken.
fn reach_link_step(m: &mut Model) -> usize {
    let mut ticks = 0;
    while m.train.session.as_ref().is_some_and(|t| t.target.is_some()) {
        update(m, Msg::Train(TrainMsg::Tick(1)));
        ticks += 1;
        assert!(ticks < 100_000, "the run never ends");
    }
    ticks
}

/// Fuzz finding (issue 15): `&train=20000` trained synchronously while the page opened
/// (310 s on the largest page, nothing shown meanwhile). Opening trains nothing; ticks
/// move the run; Pause ends it where it is, and the link then says that step.
#[test]
fn a_train_link_opens_at_step_0_and_trains_in_ticks() {
    let mut m = model();
    update(
        &mut m,
        Msg::Settings(SettingsMsg::Activation(
            crate::engine::activation::Activation::Sigmoid,
        )),
    );
    let hash = format!("{}&train=20000", m.link());
    let mut other = model();
    let ch = open_link(&mut other, &hash);
    assert_eq!(
        ch.link,
        Link::Opened,
        "the address bar keeps the link as opened"
    );
    let t = other.train.session.as_ref().unwrap();
    assert_eq!(
        (t.step_count(), t.target, t.playing),
        (0, Some(20000), true)
    );
    assert!(other.feedback.notice.is_none());
    assert_eq!(other.link(), hash);
    for _ in 0..3 {
        update(&mut other, Msg::Train(TrainMsg::Tick(1)));
    }
    assert_eq!(other.train.session.as_ref().unwrap().step_count(), 3);
    assert_eq!(
        other.link(),
        hash,
        "still the link's step while getting there"
    );
    let ch = update(&mut other, Msg::Train(TrainMsg::Pause));
    assert_eq!(ch.link, Link::Replace);
    let t = other.train.session.as_ref().unwrap();
    assert!(!t.playing && t.target.is_none());
    assert!(other.link().ends_with("&train=3"), "{}", other.link());
    assert!(
        update(&mut other, Msg::Train(TrainMsg::Tick(1))).is_empty(),
        "paused"
    );
}

/// Fuzz finding (issue 15): a trained link whose training cannot start opened at step
/// 0 with no word (start-up and hashchange overwrote the notice that said why).
#[test]
fn a_train_link_that_cannot_train_says_why_and_keeps_saying_it() {
    let mut m = model();
    update(
        &mut m,
        Msg::Train(TrainMsg::Model(crate::engine::train::ModelKind::Conv3x3)),
    );
    let hash = format!("{}&train=50", m.link());
    let mut other = model();
    other.feedback.notice = Some(Notice {
        text: "an old message".into(),
        error: false,
        entry: None,
    });
    open_link(&mut other, &hash);
    let n = other.feedback.notice.clone().expect("a notice");
    assert!(
        n.error
            && n.text.starts_with(
                "The link asks for 50 training steps, but training cannot start. The conv3x3 model outputs logits"
            ),
        "{}",
        n.text
    );
    assert!(other.train.session.is_none());
    // It stays through what follows (a frame's tick, a hover), until closed.
    update(&mut other, Msg::Train(TrainMsg::Tick(1)));
    update(&mut other, Msg::Explain(ExplainMsg::Hover(None)));
    assert_eq!(other.feedback.notice.as_ref(), Some(&n));
    update(&mut other, Msg::Page(PageMsg::DismissNotice));
    assert!(other.feedback.notice.is_none());
    // Pasted into an open page (hashchange), the same.
    update(
        &mut other,
        Msg::Page(PageMsg::LinkLoaded(format!("{}&train=1", m.link()))),
    );
    let text = other.feedback.notice.as_ref().unwrap().text.clone();
    assert!(
        text.starts_with("The link asks for 1 training step, but"),
        "{text}"
    );
    // A run that stops at step 0 (0/0 with the pixels model) says so.
    let mut z = model();
    update(
        &mut z,
        Msg::Lesson(LessonMsg::Open(
            SCENARIOS
                .iter()
                .position(|s| s.name == "zero-over-zero")
                .unwrap(),
        )),
    );
    update(
        &mut z,
        Msg::Train(TrainMsg::Model(crate::engine::train::ModelKind::Pixels)),
    );
    let hash = format!("{}&train=5", z.link());
    let mut other = model();
    open_link(&mut other, &hash);
    let text = other.feedback.notice.as_ref().unwrap().text.clone();
    assert!(
        text.starts_with("The link asks for 5 training steps, but training stopped at step 0:")
            && text.contains("0/0"),
        "{text}"
    );
    assert!(!other.train.session.as_ref().unwrap().playing);
}

/// Fuzz finding (issue 15): a refused learning rate's notice stayed after a valid one.
#[test]
fn a_refused_entry_s_notice_ends_with_a_valid_entry() {
    let mut m = model();
    update(&mut m, Msg::Train(TrainMsg::LrEntered("fast".into())));
    assert!(m
        .feedback
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("is not a number"));
    // Another control's change leaves it.
    update(&mut m, Msg::Settings(SettingsMsg::Phi(Phi::BI)));
    assert!(m.feedback.notice.is_some());
    let ch = update(&mut m, Msg::Train(TrainMsg::LrEntered("0.05".into())));
    assert!(ch.notice && m.feedback.notice.is_none());
    assert_eq!(m.state.train.optimizer.lr(), 0.05);
    // The same value again still ends it.
    update(&mut m, Msg::Train(TrainMsg::LrEntered("-1".into())));
    assert!(m.feedback.notice.is_some());
    update(&mut m, Msg::Train(TrainMsg::LrEntered("0.05".into())));
    assert!(m.feedback.notice.is_none());
    // A valid entry elsewhere does not end another notice.
    update(&mut m, Msg::Train(TrainMsg::LrEntered("x".into())));
    update(&mut m, Msg::Compare(CompareMsg::Open));
    update(&mut m, Msg::Compare(CompareMsg::Eps("1e-3".into())));
    assert!(
        m.feedback.notice.is_some(),
        "the learning rate's notice stays"
    );
    update(&mut m, Msg::Compare(CompareMsg::Eps("nope".into())));
    update(&mut m, Msg::Compare(CompareMsg::Eps("1e-4".into())));
    assert!(m.feedback.notice.is_none());
}
