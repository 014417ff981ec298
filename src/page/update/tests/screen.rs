//! Presentation mode, the introduction, folded columns and exports.

use super::*;

#[test]
fn presentation_walks_the_lessons_and_keeps_its_flag() {
    let mut m = model();
    update(&mut m, Msg::Lesson(LessonMsg::Open(3)));
    let ch = update(&mut m, Msg::Screen(ScreenMsg::Present(true)));
    assert!(ch.screen && ch.layout && ch.lesson);
    assert_eq!(ch.link, Link::Replace);
    assert_eq!(m.lesson.tour, Some(3), "the lesson becomes a tour step");
    assert_eq!(m.link(), format!("#preset={}&present", SCENARIOS[3].name));
    assert!(update(&mut m, Msg::Screen(ScreenMsg::Present(true))).is_empty());
    update(&mut m, Msg::Lesson(LessonMsg::TourStep(1)));
    assert_eq!(m.lesson.open.as_ref().unwrap().index, 4);
    assert!(m.state.mode.present, "a new lesson keeps presentation mode");
    assert_eq!(m.link(), format!("#preset={}&present", SCENARIOS[4].name));
    // Undo history and the data are not touched by the mode.
    let before = m.state.clone();
    update(&mut m, Msg::Screen(ScreenMsg::Present(false)));
    assert!(!m.state.mode.present);
    assert!(route::is_scene(&m.state, &before));
    assert_eq!(m.link(), format!("#preset={}", SCENARIOS[4].name));
    // A link with &present opens the lesson as a tour step.
    let mut m = model();
    update(
        &mut m,
        Msg::Page(PageMsg::LinkLoaded("#preset=leaf&present".into())),
    );
    assert!(m.state.mode.present);
    assert_eq!(m.lesson.tour, m.lesson.open.as_ref().map(|l| l.index));
    // Presentation without a lesson: → starts the tour.
    let mut m = model();
    update(&mut m, Msg::Screen(ScreenMsg::Present(true)));
    assert_eq!(m.lesson.tour, None);
    assert!(update(&mut m, Msg::Lesson(LessonMsg::TourStep(-1))).is_empty());
    update(&mut m, Msg::Lesson(LessonMsg::TourStep(1)));
    assert_eq!(
        (m.lesson.tour, m.lesson.open.as_ref().map(|l| l.index)),
        (Some(0), Some(0))
    );
    assert!(m.state.mode.present);
    // Reset keeps the mode too.
    update(&mut m, Msg::Page(PageMsg::Reset));
    assert!(m.state.mode.present && m.lesson.open.is_none());
}

#[test]
fn screen_messages_change_only_the_screen() {
    let mut m = model();
    m.screen.intro = true;
    let ch = update(&mut m, Msg::Screen(ScreenMsg::DismissIntro));
    assert!(ch.screen && !ch.data() && !m.screen.intro);
    assert!(update(&mut m, Msg::Screen(ScreenMsg::DismissIntro)).is_empty());
    let ch = update(&mut m, Msg::Screen(ScreenMsg::ShowExcluded(true)));
    assert!(ch.screen && ch.layout && m.screen.show_excluded && ch.link == Link::Keep);
    let ch = update(
        &mut m,
        Msg::Screen(ScreenMsg::Export(crate::page::msg::ExportKind::GridPng)),
    );
    assert!(ch.export && !ch.data());
    let first = m.screen.request.unwrap();
    update(
        &mut m,
        Msg::Screen(ScreenMsg::Export(crate::page::msg::ExportKind::GridPng)),
    );
    let second = m.screen.request.unwrap();
    assert_eq!(second.kind, first.kind);
    assert_ne!(
        second.seq, first.seq,
        "the same export asked twice is done twice"
    );
}
