//! Strokes, the keyboard cursor, Fill, the tools, undo and redo.

use super::*;

#[test]
fn a_stroke_is_one_undo_step() {
    let mut m = model();
    m.paint.tool.pred_value = 0.0;
    let before = m.state.clone();
    let ch = paint_pred(&mut m, 0, 1, &[(14.0, 14.0), (14.0, 20.0), (18.0, 20.0)]);
    assert_ne!(m.state, before);
    assert!(
        ch.labels.is_empty(),
        "a prediction stroke leaves the labels"
    );
    assert!(ch.preds.contains(&(0, 1)) && ch.preds.contains(&(0, 0)));
    assert!(!ch.preds.iter().any(|&(b, _)| b == 1), "image 1 untouched");
    assert_eq!(ch.link, Link::Replace);
    assert!(ch.history);
    assert_eq!(m.paint.history.undo_len(), 1);
    assert_eq!(
        m.paint.target,
        (Layer::Pred, 0, 1),
        "painting selects the view"
    );
    let after = m.state.clone();
    let ch = update(&mut m, Msg::Paint(PaintMsg::Undo));
    assert_eq!(m.state, before);
    assert!(ch.history && !ch.preds.is_empty());
    update(&mut m, Msg::Paint(PaintMsg::Redo));
    assert_eq!(m.state, after);
    // Undo with nothing to undo changes no data.
    let mut fresh = model();
    let ch = update(&mut fresh, Msg::Paint(PaintMsg::Undo));
    assert!(!ch.data());
}

#[test]
fn a_cancelled_stroke_leaves_nothing_behind() {
    let mut m = model();
    m.paint.tool.pred_value = 0.0;
    let before = m.state.clone();
    update(
        &mut m,
        Msg::Paint(PaintMsg::StrokeStart {
            layer: Layer::Label,
            b: 1,
            c: 1,
            at: (3.0, 3.0),
            erase: false,
        }),
    );
    update(&mut m, Msg::Paint(PaintMsg::StrokeMove { at: (3.0, 25.0) }));
    assert_ne!(m.state, before);
    let ch = update(&mut m, Msg::Paint(PaintMsg::StrokeCancel));
    assert_eq!(m.state, before);
    assert!(ch.labels.contains(&(1, 0)) && ch.labels.contains(&(1, 1)));
    assert!(!m.paint.history.can_undo());
    assert!(m.paint.stroke.is_none());
    // A move after the cancel paints nothing.
    assert!(update(&mut m, Msg::Paint(PaintMsg::StrokeMove { at: (9.0, 9.0) })).is_empty());
}

#[test]
fn an_empty_label_refuses_the_brush_and_fill() {
    let mut m = model();
    m.state.status[(1, 1)] = LabelStatus::Empty;
    let before = m.state.clone();
    let ch = update(
        &mut m,
        Msg::Paint(PaintMsg::StrokeStart {
            layer: Layer::Label,
            b: 1,
            c: 1,
            at: (5.0, 5.0),
            erase: false,
        }),
    );
    assert!(ch.notice && !ch.data());
    assert!(m
        .feedback
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("marked empty"));
    m.paint.target = (Layer::Label, 1, 1);
    update(&mut m, Msg::Paint(PaintMsg::Fill));
    assert_eq!(m.state, before);
    // A prediction can still be painted there.
    m.paint.target = (Layer::Pred, 1, 1);
    let ch = update(&mut m, Msg::Paint(PaintMsg::Fill));
    assert!(ch.preds.contains(&(1, 1)) && ch.labels.is_empty());
}

#[test]
fn tool_messages_change_the_tool_and_say_so() {
    let mut m = model();
    for (msg, check) in [
        (
            Msg::Tool(ToolMsg::SoftEdge(false)),
            (|m: &Model| !m.paint.tool.soft) as fn(&Model) -> bool,
        ),
        (Msg::Tool(ToolMsg::HelpersOnAll(true)), |m| {
            m.paint.tool.helper_all
        }),
        (Msg::Tool(ToolMsg::Radius(f64::NAN)), |m| {
            m.paint.tool.radius == 2.0
        }),
        (Msg::Tool(ToolMsg::Radius(100.0)), |m| {
            m.paint.tool.radius == 64.0
        }),
        (Msg::Tool(ToolMsg::PredValue(-3.0)), |m| {
            m.paint.tool.pred_value == 0.0
        }),
        (Msg::Tool(ToolMsg::SquareBrush(true)), |m| {
            m.paint.tool.square
        }),
        (Msg::Tool(ToolMsg::LabelErase(true)), |m| {
            m.paint.tool.label_erase
        }),
    ] {
        let ch = update(&mut m, msg.clone());
        assert!(check(&m), "{msg:?}");
        // NaN falls back to the default radius, which it already is.
        assert!(
            ch.tool || matches!(msg, Msg::Tool(ToolMsg::Radius(r)) if r.is_nan()),
            "{msg:?}"
        );
        assert!(!ch.data());
    }
    // Helpers act on all cells when asked.
    let ch = update(&mut m, Msg::Paint(PaintMsg::Helper(HelperKind::Copy)));
    assert!(ch.preds.iter().any(|&(b, _)| b == 0) && ch.preds.iter().any(|&(b, _)| b == 1));
}

#[test]
fn hover_changes_only_between_pixels() {
    let mut m = model();
    let h = |i: f64, j: f64| {
        Msg::Explain(ExplainMsg::Hover(Some(Hover {
            view: ViewKind::Grad,
            b: 0,
            c: 1,
            i,
            j,
        })))
    };
    assert!(update(&mut m, h(3.2, 4.1)).hover);
    assert!(update(&mut m, h(3.7, 4.9)).is_empty(), "same pixel");
    assert!(update(&mut m, h(4.1, 4.9)).hover);
    assert!(update(&mut m, Msg::Explain(ExplainMsg::Hover(None))).hover);
}

#[test]
fn only_the_keyboard_cursor_is_marked_to_be_announced() {
    let mut m = model();
    let key = Msg::Paint(PaintMsg::CursorMove {
        view: ViewKind::Pred,
        b: 0,
        c: 1,
        di: 0,
        dj: 1,
        paint: false,
    });
    assert!(update(&mut m, key).hover);
    assert!(m.explain.by_key, "a cursor step is a deliberate step");
    // The pointer arriving on the very same pixel is no longer the cursor's step.
    let at = m.explain.hover.unwrap();
    assert!(update(&mut m, Msg::Explain(ExplainMsg::Hover(Some(at)))).hover);
    assert!(
        !m.explain.by_key,
        "a pointer passing over pixels is not announced"
    );
    update(&mut m, Msg::Explain(ExplainMsg::Hover(None)));
    assert!(!m.explain.by_key && m.explain.hover.is_none());
}

#[test]
fn the_keyboard_cursor_reads_and_paints() {
    let mut m = model();
    let n = m.state.size();
    let mv = |view, di, dj, paint| {
        Msg::Paint(PaintMsg::CursorMove {
            view,
            b: 0,
            c: 1,
            di,
            dj,
            paint,
        })
    };
    let ch = update(&mut m, mv(ViewKind::Pred, 0, 0, false));
    assert!(ch.hover && !ch.data());
    assert_eq!(
        m.explain.hover.unwrap().pixel(n),
        (n / 2, n / 2),
        "it starts in the middle"
    );
    update(&mut m, mv(ViewKind::Pred, -1, 2, false));
    assert_eq!(m.explain.hover.unwrap().pixel(n), (n / 2 - 1, n / 2 + 2));
    // The edges hold it.
    for _ in 0..40 {
        update(&mut m, mv(ViewKind::Pred, 1, 1, false));
    }
    assert_eq!(m.explain.hover.unwrap().pixel(n), (n - 1, n - 1));
    // Space paints one dab at the cursor: one undo step.
    m.paint.tool.pred_value = 0.5;
    m.paint.tool.radius = 0.0;
    let ch = update(&mut m, Msg::Paint(PaintMsg::PaintAtCursor { erase: false }));
    assert!(ch.preds.contains(&(0, 1)) && ch.history);
    assert_eq!(m.state.pred[[0, 1, n - 1, n - 1]], 0.5);
    assert_eq!(m.paint.history.undo_len(), 1);
    assert!(m.paint.stroke.is_none(), "the dab is a whole stroke");
    // A painting move draws a line from the old pixel to the new one.
    update(&mut m, mv(ViewKind::Label, 0, 0, false));
    update(&mut m, mv(ViewKind::Label, -99, -99, false));
    let (i, j) = m.explain.hover.unwrap().pixel(n);
    assert_eq!((i, j), (0, 0));
    assert_eq!(
        m.state.labels[[0, 1, 0, 1]],
        0.0,
        "the corner starts unlabelled"
    );
    m.paint.tool.label_erase = false;
    update(&mut m, mv(ViewKind::Label, 0, 3, true));
    for jj in j..=j + 3 {
        assert_eq!(m.state.labels[[0, 1, i, jj]], 1.0, "({i}, {jj}) painted");
    }
    assert_eq!(m.paint.history.undo_len(), 2);
    // The gradient view is not paintable: said, nothing changes.
    update(&mut m, mv(ViewKind::Grad, 0, 0, false));
    let before = m.state.clone();
    let ch = update(&mut m, Msg::Paint(PaintMsg::PaintAtCursor { erase: false }));
    assert!(ch.notice && !ch.data());
    assert_eq!(m.state, before);
    // Out of range cells are ignored.
    assert!(update(
        &mut m,
        Msg::Paint(PaintMsg::CursorMove {
            view: ViewKind::Pred,
            b: 9,
            c: 0,
            di: 0,
            dj: 0,
            paint: false
        })
    )
    .is_empty());
}

#[test]
fn painting_the_image_is_an_undo_step_of_its_own() {
    let mut m = model();
    let before = m.state.image.clone();
    m.paint.tool.pred_value = 0.5;
    let mut ch = update(
        &mut m,
        Msg::Paint(PaintMsg::StrokeStart {
            layer: Layer::Image,
            b: 1,
            c: 0,
            at: (2.0, 2.0),
            erase: false,
        }),
    );
    ch.merge(update(&mut m, Msg::Paint(PaintMsg::StrokeEnd)));
    assert_eq!(ch.images, vec![1]);
    assert!(
        ch.labels.is_empty() && ch.preds.is_empty(),
        "the loss's data is untouched"
    );
    assert_ne!(m.state.image, before);
    assert!((m.state.image[[1, 2, 2]] - 0.5).abs() < 1e-12);
    let ch = update(&mut m, Msg::Paint(PaintMsg::Undo));
    assert_eq!(ch.images, vec![1]);
    assert_eq!(m.state.image, before);
    update(&mut m, Msg::Paint(PaintMsg::Redo));
    assert!((m.state.image[[1, 2, 2]] - 0.5).abs() < 1e-12);
}
