//! Input: pointer, keyboard, window and address-bar events become messages. Thin on
//! purpose: no drawing, no computing, no rules beyond reading the event.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement, KeyboardEvent, PointerEvent};

use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::page::model::{Hover, ViewKind};
use crate::page::msg::{ExplainMsg, LessonMsg, Msg, PageMsg, PaintMsg, ScreenMsg, SettingsMsg};
use crate::page::tool::{paints, PointerKind};

use super::dispatch::Dispatch;
use super::dom;
use super::effects;
use super::Frame;

thread_local! {
    /// The pointer that is painting, if any.
    static ACTIVE: Cell<Option<i32>> = const { Cell::new(None) };
    /// Whether a tour is on: arrow keys then belong to it (mirrored from the model by
    /// [`Events::sync`], so a key handler can decide whether to take the key).
    static TOURING: Cell<bool> = const { Cell::new(false) };
    /// Whether presentation mode is on (mirrored the same way, for P and Esc).
    static PRESENTING: Cell<bool> = const { Cell::new(false) };
    /// Paint mode (a finger paints) and whether the page knows of the touch screen
    /// (mirrored the same way, for the pointer handler).
    static PAINT_MODE: Cell<bool> = const { Cell::new(false) };
    static TOUCH: Cell<bool> = const { Cell::new(false) };
}

/// The view side of the event wiring: what the handlers need to know of the model.
#[derive(Default)]
pub struct Events;

impl Events {
    pub fn sync(&mut self, f: &Frame) {
        TOURING.with(|t| t.set(f.model.lesson.tour.is_some()));
        PRESENTING.with(|p| p.set(f.model.state.mode.present));
        PAINT_MODE.with(|p| p.set(f.model.paint.tool.paint_mode));
        TOUCH.with(|t| t.set(f.model.screen.touch));
    }
}

/// The view canvas under an event and the (row, column) position in pixel units.
fn locate(e: &PointerEvent) -> Option<(HtmlElement, ViewKind, usize, usize, f64, f64)> {
    let target = dom::event_element(e)?;
    let canvas = dom::closest_with_data(&target, "view")?;
    let view = ViewKind::parse(&dom::get_data(&canvas, "view")?)?;
    let b: usize = dom::get_data(&canvas, "b")?.parse().ok()?;
    let c: usize = dom::get_data(&canvas, "c")?.parse().ok()?;
    let n = canvas
        .dyn_ref::<web_sys::HtmlCanvasElement>()
        .map(|cv| cv.width() as f64)?;
    let rect = canvas.get_bounding_client_rect();
    if !(rect.width() > 0.0 && rect.height() > 0.0) {
        return None;
    }
    // The event's own fractional position (a pointer event's clientX is a double; the
    // binding's integer one is off by up to a CSS pixel, a whole pixel of a small view).
    let at = |key: &str, whole: i32| {
        js_sys::Reflect::get(e, &key.into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::from(whole))
    };
    let j = (at("clientX", e.client_x()) - rect.left()) / rect.width() * n;
    let i = (at("clientY", e.client_y()) - rect.top()) / rect.height() * n;
    if !(i.is_finite() && j.is_finite()) {
        return None;
    }
    Some((canvas, view, b, c, i, j))
}

/// The view canvas an event happened on: (view, b, c).
fn view_of(e: &Event) -> Option<(ViewKind, usize, usize)> {
    let target = dom::event_element(e)?;
    let view = ViewKind::parse(&dom::get_data(&target, "view")?)?;
    let b: usize = dom::get_data(&target, "b")?.parse().ok()?;
    let c: usize = dom::get_data(&target, "c")?.parse().ok()?;
    Some((view, b, c))
}

fn pointer(e: &Event) -> Option<PointerEvent> {
    e.dyn_ref::<PointerEvent>().cloned()
}

fn active(e: &PointerEvent) -> bool {
    ACTIVE.with(|a| a.get()) == Some(e.pointer_id())
}

/// Wires the grid, the window's keys, resizing and link changes.
pub fn wire(dispatch: &Dispatch) {
    let Some(grid) = dom::by_id::<HtmlElement>("grid") else {
        dom::warn("no #grid to listen to");
        return;
    };
    {
        let dispatch = dispatch.clone();
        dom::on(&grid, "pointerdown", move |ev| {
            let Some(e) = pointer(&ev) else { return };
            let Some((canvas, view, b, c, i, j)) = locate(&e) else {
                return;
            };
            let kind = PointerKind::parse(&e.pointer_type());
            if kind == PointerKind::Touch && !TOUCH.with(Cell::get) {
                // A finger on a device that reported no touch points (a hybrid laptop).
                TOUCH.with(|t| t.set(true));
                dispatch.send(Msg::Screen(ScreenMsg::Touch));
            }
            // Outside paint mode a finger does not paint and the browser keeps the
            // gesture: a swipe that starts on a view scrolls the page.
            if !paints(PAINT_MODE.with(Cell::get), kind) {
                return;
            }
            let Some(layer) = view.layer() else { return };
            // Left button, touch and pen contact paint; the right button and a pen's
            // eraser erase.
            let button = e.button();
            let erase = button == 2 || (e.buttons() & 32) != 0;
            if button != 0 && button != 2 && button != 5 {
                return;
            }
            // A finger that lands while the page still glides from a swipe cannot cancel
            // the gesture (the browser would log an intervention); it paints all the same.
            if ev.cancelable() {
                ev.prevent_default();
            }
            if ACTIVE.with(|a| a.get()).is_some() {
                return; // a second finger does not start another stroke
            }
            effects::capture_pointer(&canvas, e.pointer_id());
            ACTIVE.with(|a| a.set(Some(e.pointer_id())));
            // Painting focuses this page's window (preventing the default above also
            // prevents the usual focus on a press).
            effects::focus_window();
            dispatch.send(Msg::Explain(ExplainMsg::Hover(Some(Hover {
                view,
                b,
                c,
                i,
                j,
            }))));
            dispatch.send(Msg::Paint(PaintMsg::StrokeStart {
                layer,
                b,
                c,
                at: (i, j),
                erase,
            }));
        });
    }
    {
        let dispatch = dispatch.clone();
        dom::on(&grid, "pointermove", move |ev| {
            let Some(e) = pointer(&ev) else { return };
            match locate(&e) {
                Some((canvas, view, b, c, i, j)) => {
                    let n = canvas
                        .dyn_ref::<web_sys::HtmlCanvasElement>()
                        .map_or(1.0, |cv| f64::from(cv.width()));
                    let inside = (0.0..n).contains(&i) && (0.0..n).contains(&j);
                    dispatch.send(Msg::Explain(ExplainMsg::Hover(inside.then_some(Hover {
                        view,
                        b,
                        c,
                        i,
                        j,
                    }))));
                    if active(&e) {
                        dispatch.send(Msg::Paint(PaintMsg::StrokeMove { at: (i, j) }));
                    }
                }
                None => dispatch.send(Msg::Explain(ExplainMsg::Hover(None))),
            }
        });
    }
    let end = |msg: Msg| {
        move |ev: &Event| {
            let e = pointer(ev)?;
            if !active(&e) {
                return None;
            }
            ACTIVE.with(|a| a.set(None));
            Some(msg.clone())
        }
    };
    dispatch.on(&grid, "pointerup", end(Msg::Paint(PaintMsg::StrokeEnd)));
    dispatch.on(
        &grid,
        "lostpointercapture",
        end(Msg::Paint(PaintMsg::StrokeEnd)),
    );
    // The system took the pointer (a scroll gesture, a palm, the window lost it): the
    // stroke was not meant, so it is undone rather than kept.
    dispatch.on(
        &grid,
        "pointercancel",
        end(Msg::Paint(PaintMsg::StrokeCancel)),
    );
    dispatch.on(&grid, "pointerleave", |ev| {
        let e = pointer(ev)?;
        (!active(&e)).then_some(Msg::Explain(ExplainMsg::Hover(None)))
    });
    dom::on(&grid, "contextmenu", |ev| ev.prevent_default());
    // The keyboard cursor of a focused view: arrows move it (Shift paints along), Space
    // or Enter paints a dab, Delete erases one.
    dispatch.on(&grid, "keydown", |ev| {
        let k = ev.dyn_ref::<KeyboardEvent>()?;
        let (view, b, c) = view_of(ev)?;
        if k.ctrl_key() || k.meta_key() || k.alt_key() {
            return None;
        }
        let step = |di, dj| {
            Msg::Paint(PaintMsg::CursorMove {
                view,
                b,
                c,
                di,
                dj,
                paint: k.shift_key(),
            })
        };
        let msg = match k.key().as_str() {
            "ArrowUp" => step(-1, 0),
            "ArrowDown" => step(1, 0),
            "ArrowLeft" => step(0, -1),
            "ArrowRight" => step(0, 1),
            " " | "Enter" => Msg::Paint(PaintMsg::PaintAtCursor { erase: false }),
            "Delete" | "Backspace" => Msg::Paint(PaintMsg::PaintAtCursor { erase: true }),
            _ => return None,
        };
        // The view has the key: not the tour, not the page's scroll.
        ev.prevent_default();
        ev.stop_propagation();
        Some(msg)
    });
    dispatch.on(&grid, "focusin", |ev| {
        // Focus from the brush: the pointer says where the cursor is.
        if ACTIVE.with(|a| a.get()).is_some() {
            return None;
        }
        let (view, b, c) = view_of(ev)?;
        Some(Msg::Paint(PaintMsg::CursorMove {
            view,
            b,
            c,
            di: 0,
            dj: 0,
            paint: false,
        }))
    });
    dispatch.on(&grid, "focusout", |ev| {
        view_of(ev)?;
        (ACTIVE.with(|a| a.get()).is_none()).then_some(Msg::Explain(ExplainMsg::Hover(None)))
    });
    // The label status selects in the cells' headers.
    dispatch.on(&grid, "change", |ev| {
        let sel = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())?;
        let cell = |k: &str| dom::get_data(&sel, k).and_then(|v| v.parse::<usize>().ok());
        Some(Msg::Settings(SettingsMsg::Status {
            b: cell("b")?,
            c: cell("c")?,
            status: LabelStatus::parse(&sel.value())?,
        }))
    });

    let Ok(window) = dom::window() else { return };
    dispatch.on(&window, "keydown", |ev| {
        let k = ev.dyn_ref::<KeyboardEvent>()?;
        if dom::focus_in_text_field() {
            return None;
        }
        // The keys below are ASCII (and Unicode lowercasing would bring a 12 KB table).
        let key = k.key().to_ascii_lowercase();
        if k.ctrl_key() || k.meta_key() {
            let redo = (key == "z" && k.shift_key()) || key == "y";
            let undo = key == "z" && !k.shift_key();
            if !(undo || redo) {
                return None;
            }
            ev.prevent_default();
            return Some(if redo {
                Msg::Paint(PaintMsg::Redo)
            } else {
                Msg::Paint(PaintMsg::Undo)
            });
        }
        if k.alt_key() || dom::focus_in_form_field() {
            return None;
        }
        // Presentation mode: P toggles it, Esc leaves it.
        let presenting = PRESENTING.with(|p| p.get());
        if key == "p" {
            if presenting {
                effects::leave_fullscreen();
            } else {
                effects::enter_fullscreen();
            }
            return Some(Msg::Screen(ScreenMsg::Present(!presenting)));
        }
        if presenting && k.key() == "Escape" {
            effects::leave_fullscreen();
            return Some(Msg::Screen(ScreenMsg::Present(false)));
        }
        // The guided tour: arrows step, Escape ends it.
        if TOURING.with(|t| t.get()) {
            let step = match k.key().as_str() {
                "ArrowRight" | "PageDown" => Some(1),
                "ArrowLeft" | "PageUp" => Some(-1),
                _ => None,
            };
            if let Some(delta) = step {
                ev.prevent_default();
                return Some(Msg::Lesson(LessonMsg::TourStep(delta)));
            }
            if k.key() == "Escape" {
                return Some(Msg::Lesson(LessonMsg::ExitTour));
            }
        }
        // Keys 1–4 choose Φ (handy on a projector).
        let phi = match key.as_str() {
            "1" => Phi::I,
            "2" => Phi::CI,
            "3" => Phi::BI,
            "4" => Phi::BCI,
            _ => return None,
        };
        Some(Msg::Settings(SettingsMsg::Phi(phi)))
    });
    dispatch.on(&window, "resize", |_| Some(Msg::Screen(ScreenMsg::Resized)));
    // A pasted link, Back or Forward. Both events, because a traversal between entries
    // made by pushState fires only popstate in some browsers; `update` ignores a link to
    // what is already shown.
    for event in ["hashchange", "popstate"] {
        dispatch.on(&window, event, |_| {
            let w = dom::window().ok()?;
            Some(Msg::Page(PageMsg::LinkLoaded(
                w.location().hash().unwrap_or_default(),
            )))
        });
    }
}
