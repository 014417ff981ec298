//! Painting: brush strokes (one undo step each, cancelled ones leave nothing), the
//! keyboard cursor, Fill, Clear, the prediction helpers, undo and redo. Every discrete
//! edit of the state goes through [`edit`], which makes it one undo step.

use ndarray::s;

use crate::page::change::{Change, Link};
use crate::page::model::{Hover, Model, Stroke, ViewKind};
use crate::page::msg::{HelperKind, PaintMsg};
use crate::page::paint::{self, Cells, Helper, Layer, Target};
use crate::page::rules;
use crate::page::state::AppState;

use super::explain;
use super::notice::notice;
use super::page::fit_to_page;

pub fn update(m: &mut Model, msg: PaintMsg) -> Change {
    match msg {
        PaintMsg::StrokeStart {
            layer,
            b,
            c,
            at,
            erase,
        } => stroke_start(m, (layer, b, c), at, erase),
        PaintMsg::StrokeMove { at } => stroke_move(m, at),
        PaintMsg::StrokeEnd => finish_stroke(m),
        PaintMsg::StrokeCancel => cancel_stroke(m),
        PaintMsg::CursorMove {
            view,
            b,
            c,
            di,
            dj,
            paint,
        } => cursor_move(m, (view, b, c), (di, dj), paint),
        PaintMsg::PaintAtCursor { erase } => paint_at_cursor(m, erase),
        PaintMsg::Fill => fill(m, true),
        PaintMsg::Clear => fill(m, false),
        PaintMsg::Helper(kind) => helper(m, kind),
        PaintMsg::Undo => {
            let mut ch = finish_stroke(m);
            if let Some(r) = m.paint.history.undo(&mut m.state) {
                ch.merge(restored(r));
            }
            ch.history()
        }
        PaintMsg::Redo => {
            let mut ch = finish_stroke(m);
            if let Some(r) = m.paint.history.redo(&mut m.state) {
                ch.merge(restored(r));
            }
            ch.history()
        }
    }
}

/// Why painting is refused while a training session shows the model's output.
pub const TRAINED_PREDICTION: &str = "While training, the prediction views show the model's output and cannot be painted: press Reset in the Train panel to paint the prediction again.";

/// Why a stroke or Fill/Clear on this view does nothing, if it does nothing.
fn refusal(m: &Model, layer: Layer, b: usize, c: usize) -> Option<String> {
    if layer == Layer::Pred && m.train.session.is_some() {
        return Some(TRAINED_PREDICTION.into());
    }
    rules::paint_refusal(&m.state, layer, b, c)
}

/// Fill (or Clear) the target view.
fn fill(m: &mut Model, fill: bool) -> Change {
    let (layer, b, c) = m.paint.target;
    if let Some(why) = refusal(m, layer, b, c) {
        return notice(m, why, false);
    }
    let value = match (fill, layer) {
        (false, _) => 0.0,
        (true, Layer::Label) => 1.0,
        (true, Layer::Pred | Layer::Image) => m.paint.tool.pred_value,
    };
    edit(m, |s| {
        let cells = paint::fill(s, layer, b, c, value);
        Ok((stroke_change(layer, cells), None))
    })
}

/// A prediction helper on the target cell, or on every cell.
fn helper(m: &mut Model, kind: HelperKind) -> Change {
    if m.train.session.is_some() {
        return notice(m, TRAINED_PREDICTION.into(), false);
    }
    let helper = match kind {
        HelperKind::Copy => Helper::Copy,
        HelperKind::Shift => Helper::Shift { dx: 2, dy: 1 },
        HelperKind::Dilate => Helper::Dilate(2.0),
        HelperKind::Erode => Helper::Erode(2.0),
        HelperKind::Blur => Helper::Blur(1.5),
        HelperKind::Noise => {
            // A new seed each time, so noise can be re-rolled.
            m.paint.tool.noise_seed = m.paint.tool.noise_seed.wrapping_add(1);
            Helper::Noise {
                amount: 0.3,
                seed: m.paint.tool.noise_seed,
            }
        }
    };
    let (_, b, c) = m.paint.target;
    let target = if m.paint.tool.helper_all {
        Target::All
    } else {
        Target::Cell(b, c)
    };
    edit(m, |s| {
        Ok((
            Change::cells(Vec::new(), paint::apply_helper(s, helper, target)),
            None,
        ))
    })
}

/// Runs one discrete edit (fill, helper, resize, …) as one undo step. The edit says what
/// changed and maybe a sentence to show; an error leaves the state as it was.
pub fn edit(
    m: &mut Model,
    f: impl FnOnce(&mut AppState) -> Result<(Change, Option<String>), String>,
) -> Change {
    let mut ch = finish_stroke(m);
    let before = m.state.clone();
    match f(&mut m.state) {
        Ok((change, note)) => {
            if m.state != before {
                let same_shape = before.labels.dim() == m.state.labels.dim()
                    && before.exclusive == m.state.exclusive;
                if same_shape {
                    m.paint.history.record(&before, &m.state);
                } else {
                    // The history does not span a new size or class mode.
                    m.paint.history.clear();
                }
                if change.page {
                    fit_to_page(m);
                }
                ch.merge(change);
                ch.history = true;
            }
            if let Some(n) = note {
                ch.merge(notice(m, n, false));
            }
        }
        Err(msg) => {
            m.state = before;
            ch.merge(notice(m, msg, true));
            // Controls the person just changed go back to what the state says.
            ch.controls = true;
        }
    }
    ch
}

/// What painting `cells` of `layer` changed.
fn stroke_change(layer: Layer, cells: Cells) -> Change {
    match layer {
        Layer::Pred => Change::cells(Vec::new(), cells),
        Layer::Label => Change::cells(cells.clone(), cells),
        // Painting the image reports cell (b, 0) for image b.
        Layer::Image => Change::none()
            .images(cells.iter().map(|&(b, _)| b).collect())
            .link(Link::Replace),
    }
}

/// What an undo or redo rewrote, as a change.
fn restored(r: crate::page::history::Restored) -> Change {
    Change::cells(r.cells.clone(), r.cells).images(r.images)
}

fn stroke_start(
    m: &mut Model,
    (layer, b, c): (Layer, usize, usize),
    at: (f64, f64),
    erase: bool,
) -> Change {
    let mut ch = finish_stroke(m);
    if b >= m.state.batch() || c >= m.state.classes() {
        return ch;
    }
    if let Some(why) = refusal(m, layer, b, c) {
        ch.merge(notice(m, why, false));
        return ch;
    }
    if m.paint.target != (layer, b, c) {
        m.paint.target = (layer, b, c);
        ch.tool = true;
    }
    m.paint.history.begin(&m.state);
    let before = (
        m.state.labels.slice(s![b, .., .., ..]).to_owned(),
        m.state.pred.slice(s![b, .., .., ..]).to_owned(),
    );
    let changed = m
        .paint
        .tool
        .stroke(&mut m.state, (layer, b, c), at, at, erase);
    m.paint.stroke = Some(Stroke {
        layer,
        b,
        c,
        last: at,
        erase,
        changed: !changed.is_empty(),
        before,
    });
    if !changed.is_empty() {
        ch.merge(stroke_change(layer, changed));
    }
    ch
}

fn stroke_move(m: &mut Model, at: (f64, f64)) -> Change {
    let Some(st) = m.paint.stroke.as_mut() else {
        return Change::none();
    };
    let (layer, b, c, last, erase) = (st.layer, st.b, st.c, st.last, st.erase);
    st.last = at;
    let changed = m
        .paint
        .tool
        .stroke(&mut m.state, (layer, b, c), last, at, erase);
    if changed.is_empty() {
        return Change::none();
    }
    if let Some(st) = m.paint.stroke.as_mut() {
        st.changed = true;
    }
    stroke_change(layer, changed)
}

/// Pointer-up: the stroke becomes one undo step.
pub fn finish_stroke(m: &mut Model) -> Change {
    let Some(st) = m.paint.stroke.take() else {
        return Change::none();
    };
    m.paint.history.commit(&m.state);
    let ch = Change {
        history: st.changed,
        ..Change::none()
    };
    // The link waits for the end of a stroke (see the web root).
    ch.link(if st.changed {
        Link::Replace
    } else {
        Link::Keep
    })
}

/// Puts image b back as it was before the stroke; the history keeps nothing of it.
fn cancel_stroke(m: &mut Model) -> Change {
    let Some(st) = m.paint.stroke.take() else {
        return Change::none();
    };
    m.paint.history.cancel();
    let b = st.b;
    let (labels, pred) = st.before;
    if !st.changed
        || b >= m.state.batch()
        || labels.dim() != m.state.labels.slice(s![b, .., .., ..]).dim()
    {
        return Change::none();
    }
    m.state.labels.slice_mut(s![b, .., .., ..]).assign(&labels);
    m.state.pred.slice_mut(s![b, .., .., ..]).assign(&pred);
    let image: Cells = (0..m.state.classes()).map(|c| (b, c)).collect();
    stroke_change(st.layer, image).history()
}

/// Moves the keyboard cursor of a focused view (it starts in the middle); with `paint`,
/// the move paints a line there as one stroke.
fn cursor_move(
    m: &mut Model,
    (view, b, c): (ViewKind, usize, usize),
    (di, dj): (i32, i32),
    paint: bool,
) -> Change {
    let n = m.state.size();
    if b >= m.state.batch() || c >= m.state.classes() {
        return Change::none();
    }
    let here = m
        .explain
        .hover
        .filter(|h| (h.view, h.b, h.c) == (view, b, c))
        .map(|h| h.pixel(n));
    let (i0, j0) = here.unwrap_or((n / 2, n / 2));
    let step = |v: usize, d: i32| (v as i64 + i64::from(d)).clamp(0, n as i64 - 1) as f64 + 0.5;
    let (i, j) = (step(i0, di), step(j0, dj));
    let mut ch = Change::none();
    if paint && here.is_some() {
        if let Some(layer) = view.layer() {
            let from = (i0 as f64 + 0.5, j0 as f64 + 0.5);
            ch.merge(stroke_start(m, (layer, b, c), from, false));
            ch.merge(stroke_move(m, (i, j)));
            ch.merge(finish_stroke(m));
        }
    }
    ch.merge(explain::hover(m, Some(Hover { view, b, c, i, j }), true));
    ch
}

/// One dab of the brush at the keyboard cursor (the hovered pixel of a paintable view).
fn paint_at_cursor(m: &mut Model, erase: bool) -> Change {
    let Some(h) = m.explain.hover else {
        return Change::none();
    };
    let Some(layer) = h.view.layer() else {
        return notice(
            m,
            "The gradient view cannot be painted: paint the label y or the prediction ỹ.".into(),
            false,
        );
    };
    let (i, j) = h.pixel(m.state.size());
    let at = (i as f64 + 0.5, j as f64 + 0.5);
    let mut ch = stroke_start(m, (layer, h.b, h.c), at, erase);
    ch.merge(finish_stroke(m));
    ch
}
