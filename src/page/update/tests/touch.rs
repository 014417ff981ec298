//! A touch screen: paint mode, the touch flag, and the lesson text's "more".

use super::*;
use crate::page::tool::PointerKind;

#[test]
fn paint_mode_decides_whether_a_finger_paints_and_nothing_else() {
    let mut m = model();
    let state = m.state.clone();
    // Off by default: a finger does not paint, the mouse and the pen do.
    assert!(!m.paint.tool.paint_mode);
    assert!(!m.paint.tool.paints_with(PointerKind::Touch));
    assert!(m.paint.tool.paints_with(PointerKind::Mouse));
    assert!(m.paint.tool.paints_with(PointerKind::Pen));
    let ch = update(&mut m, Msg::Tool(ToolMsg::PaintMode(true)));
    assert!(ch.tool, "the toggle is redrawn");
    assert!(!ch.data() && !ch.history && ch.link == Link::Keep, "{ch:?}");
    assert!(m.paint.tool.paints_with(PointerKind::Touch));
    assert!(m.paint.tool.paints_with(PointerKind::Mouse));
    assert!(m.paint.tool.paints_with(PointerKind::Pen));
    // The same value again is no change.
    assert!(update(&mut m, Msg::Tool(ToolMsg::PaintMode(true))).is_empty());
    update(&mut m, Msg::Tool(ToolMsg::PaintMode(false)));
    assert!(!m.paint.tool.paints_with(PointerKind::Touch));
    assert!(m.paint.tool.paints_with(PointerKind::Pen));
    // The scene, its link and the undo history are not the toggle's.
    assert!(route::is_scene(&m.state, &state));
    assert!(!m.paint.history.can_undo());
    // It is a setting of the page, not of the scene: a lesson keeps it.
    update(&mut m, Msg::Tool(ToolMsg::PaintMode(true)));
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    assert!(m.paint.tool.paint_mode);
}

#[test]
fn pointer_kinds_are_read_from_the_pointer_type() {
    assert_eq!(PointerKind::parse("touch"), PointerKind::Touch);
    assert_eq!(PointerKind::parse("pen"), PointerKind::Pen);
    assert_eq!(PointerKind::parse("mouse"), PointerKind::Mouse);
    // An unknown kind paints, as a mouse does.
    assert_eq!(PointerKind::parse(""), PointerKind::Mouse);
}

#[test]
fn a_touch_screen_is_known_once_and_redraws_the_screen() {
    let mut m = model();
    assert!(!m.screen.touch);
    let ch = update(&mut m, Msg::Screen(ScreenMsg::Touch));
    assert!(m.screen.touch);
    assert!(ch.screen && ch.layout && !ch.data(), "{ch:?}");
    assert!(update(&mut m, Msg::Screen(ScreenMsg::Touch)).is_empty());
    // A new page keeps it.
    update(
        &mut m,
        Msg::Page(PageMsg::LinkLoaded("#preset=empty-BI".into())),
    );
    assert!(m.screen.touch);
}

#[test]
fn the_lesson_text_opens_folded_and_more_unfolds_it() {
    let mut m = model();
    // No lesson: nothing to unfold.
    assert!(update(&mut m, Msg::Lesson(LessonMsg::More(true))).is_empty());
    update(&mut m, Msg::Lesson(LessonMsg::Open(0)));
    assert!(!m.lesson.more);
    let ch = update(&mut m, Msg::Lesson(LessonMsg::More(true)));
    assert!(m.lesson.more && ch.lesson && ch.layout && !ch.data());
    assert!(update(&mut m, Msg::Lesson(LessonMsg::More(true))).is_empty());
    // Another lesson opens folded again, also by link.
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    assert!(!m.lesson.more);
    update(&mut m, Msg::Lesson(LessonMsg::More(true)));
    update(
        &mut m,
        Msg::Page(PageMsg::LinkLoaded("#preset=empty-BI".into())),
    );
    assert!(!m.lesson.more);
}
