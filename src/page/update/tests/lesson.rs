//! The lessons and the tour.

use super::*;

#[test]
fn the_tour_steps_through_every_lesson_and_ends() {
    let mut m = model();
    let ch = update(&mut m, Msg::Lesson(LessonMsg::StartTour));
    assert_eq!(m.lesson.tour, Some(0));
    assert_eq!(m.lesson.open.as_ref().unwrap().index, 0);
    assert_eq!(m.state, SCENARIOS[0].state());
    assert!(matches!(ch.link, Link::Push { .. }));
    assert_eq!(m.link(), format!("#preset={}", SCENARIOS[0].name));
    assert!(
        update(&mut m, Msg::Lesson(LessonMsg::TourStep(-1))).is_empty(),
        "no step before the first"
    );
    for (k, sc) in SCENARIOS.iter().enumerate().skip(1) {
        update(&mut m, Msg::Lesson(LessonMsg::TourStep(1)));
        assert_eq!(m.lesson.tour, Some(k));
        assert_eq!(m.state, sc.state());
    }
    update(&mut m, Msg::Lesson(LessonMsg::TourStep(1)));
    assert_eq!(m.lesson.tour, None, "past the last step ends the tour");
    assert_eq!(m.lesson.open.as_ref().unwrap().index, SCENARIOS.len() - 1);
    // Arrow keys do nothing outside a tour.
    assert!(update(&mut m, Msg::Lesson(LessonMsg::TourStep(1))).is_empty());
    update(&mut m, Msg::Lesson(LessonMsg::StartTour));
    update(&mut m, Msg::Lesson(LessonMsg::ExitTour));
    assert_eq!(m.lesson.tour, None);
    assert!(m.lesson.open.is_some(), "exiting the tour keeps the scene");
    update(&mut m, Msg::Lesson(LessonMsg::Close));
    assert!(m.lesson.open.is_none());
    assert_eq!(m.link(), route::hash_of(&m.state));
}

#[test]
fn a_lesson_click_right_after_an_edit_keeps_the_edit_for_back() {
    let mut m = model();
    update(&mut m, Msg::Settings(SettingsMsg::Phi(Phi::BCI)));
    let edited = m.state.clone();
    let ch = update(&mut m, Msg::Lesson(LessonMsg::Open(2)));
    let Link::Push { before } = ch.link else {
        panic!("a lesson click is a new history entry: {:?}", ch.link);
    };
    let back = codec::decode(before.trim_start_matches('#')).unwrap();
    assert_eq!(back, edited);
    // Back: the address bar says the edited page again.
    let ch = update(&mut m, Msg::Page(PageMsg::LinkLoaded(before)));
    assert!(ch.page);
    assert_eq!(m.state, edited);
    assert!(m.lesson.open.is_none());
    // A link to what is shown changes nothing.
    let own = m.link();
    assert!(update(&mut m, Msg::Page(PageMsg::LinkLoaded(own))).is_empty());
}

#[test]
fn the_lesson_text_folds_and_unfolds() {
    let mut m = model();
    assert!(
        update(&mut m, Msg::Lesson(LessonMsg::Collapse(true))).is_empty(),
        "no lesson"
    );
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    let ch = update(&mut m, Msg::Lesson(LessonMsg::Collapse(true)));
    assert!(ch.lesson && m.lesson.collapsed);
    assert_eq!(
        m.link(),
        format!("#preset={}", SCENARIOS[1].name),
        "the link stays"
    );
    assert!(update(&mut m, Msg::Lesson(LessonMsg::Collapse(true))).is_empty());
    update(&mut m, Msg::Lesson(LessonMsg::Open(2)));
    assert!(!m.lesson.collapsed, "a new lesson shows its text");
}
