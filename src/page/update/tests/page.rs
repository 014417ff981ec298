//! Links, new sizes and starting over.

use super::*;

#[test]
fn links_open_lessons_and_bad_links_say_why() {
    let mut m = model();
    let ch = update(
        &mut m,
        Msg::Page(PageMsg::LinkLoaded("#preset=empty-BI&embed".into())),
    );
    assert!(ch.page && ch.lesson);
    assert_eq!(
        SCENARIOS[m.lesson.open.as_ref().unwrap().index].name,
        "empty-BI"
    );
    assert!(m.state.mode.embed, "embed follows the link");
    assert!(m.pristine());
    assert_eq!(m.link(), "#preset=empty-BI&embed");
    update(
        &mut m,
        Msg::Page(PageMsg::LinkLoaded("#preset=empty-BI".into())),
    );
    assert!(!m.state.mode.embed, "and follows it back");
    let ch = update(&mut m, Msg::Page(PageMsg::LinkLoaded("#Ag-broken".into())));
    assert!(ch.notice);
    let n = m.feedback.notice.clone().unwrap();
    assert!(
        n.error && n.text.contains("could not be opened"),
        "{}",
        n.text
    );
    assert_eq!(m.state, AppState::default_scene());
}

#[test]
fn a_new_size_starts_a_new_history_and_keeps_the_target_inside() {
    let mut m = model();
    m.paint.target = (Layer::Label, 1, 1);
    paint_pred(&mut m, 1, 1, &[(3.0, 3.0)]);
    assert!(m.paint.history.can_undo());
    let ch = update(&mut m, Msg::Page(PageMsg::Size { b: 1, c: 2, n: 16 }));
    assert!(ch.page && ch.history);
    assert_eq!(m.state.labels.dim(), (1, 2, 16, 16));
    assert!(!m.paint.history.can_undo());
    assert!(m.paint.target.1 < 1);
    // An impossible size is refused with a message and no change.
    let before = m.state.clone();
    let ch = update(&mut m, Msg::Page(PageMsg::Size { b: 9, c: 2, n: 16 }));
    assert!(ch.notice && ch.controls && !ch.page);
    assert_eq!(m.state, before);
}

#[test]
fn start_over_restores_the_lesson_in_an_embed() {
    let mut m = model();
    update(
        &mut m,
        Msg::Page(PageMsg::LinkLoaded("#preset=empty-BI&embed".into())),
    );
    let scene = m.state.clone();
    paint_pred(&mut m, 1, 1, &[(3.0, 3.0), (3.0, 20.0)]);
    assert_ne!(m.state, scene);
    let ch = update(&mut m, Msg::Page(PageMsg::StartOver));
    assert!(ch.page);
    assert_eq!(m.state, scene, "the lesson's own scene, still embedded");
    assert_eq!(m.link(), "#preset=empty-BI&embed");
    // Without a lesson: the default page, still embedded.
    update(&mut m, Msg::Lesson(LessonMsg::Close));
    update(&mut m, Msg::Settings(SettingsMsg::Phi(Phi::BCI)));
    update(&mut m, Msg::Page(PageMsg::StartOver));
    let mut want = AppState::default_scene();
    want.mode.embed = true;
    assert_eq!(m.state, want);
}

/// Fuzz finding (issue 15): Back to the first, hash-less history entry rewrote it with
/// the default page's full hash.
#[test]
fn back_to_the_hash_less_entry_keeps_it_hash_less() {
    let mut m = model();
    open_link(&mut m, "");
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    let ch = update(&mut m, Msg::Page(PageMsg::LinkLoaded(String::new())));
    assert!(ch.page && m.lesson.open.is_none());
    assert_eq!(m.state, AppState::default_scene());
    assert_eq!(ch.link, Link::Opened, "the address bar is not rewritten");
    // The second event of the same Back (hashchange and popstate) changes nothing.
    assert!(update(&mut m, Msg::Page(PageMsg::LinkLoaded(String::new()))).is_empty());
    // Nor does a link to what is shown; an edit makes "" a new page again.
    update(&mut m, Msg::Settings(SettingsMsg::Phi(Phi::BI)));
    assert!(update(&mut m, Msg::Page(PageMsg::LinkLoaded(String::new()))).page);
}
