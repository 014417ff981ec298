//! Input: pointer and keyboard events become queued samples or state changes. Thin on
//! purpose: no drawing and no computing here.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlElement, KeyboardEvent, PointerEvent};

use crate::engine::phi::Phi;
use crate::page::route;

use super::app::{schedule, with_app, Change, Hover, Sample, ViewKind};
use super::dom;

thread_local! {
    /// The pointer that is painting, if any.
    static ACTIVE: Cell<Option<i32>> = const { Cell::new(None) };
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
    let j = (f64::from(e.client_x()) - rect.left()) / rect.width() * n;
    let i = (f64::from(e.client_y()) - rect.top()) / rect.height() * n;
    if !(i.is_finite() && j.is_finite()) {
        return None;
    }
    Some((canvas, view, b, c, i, j))
}

fn pointer(e: &Event) -> Option<PointerEvent> {
    e.dyn_ref::<PointerEvent>().cloned()
}

/// Sets the hovered pixel. Compared by pixel, not by the pointer's fractional position:
/// a move within one pixel changes nothing shown (the formula, the hover line, markers).
fn set_hover(h: Option<Hover>) {
    with_app(|a| {
        let n = a.state.size();
        let at = |h: Option<Hover>| h.map(|h| (h.view, h.b, h.c, h.pixel(n)));
        if at(a.hover) != at(h) {
            a.hover = h;
            a.dirty.hover = true;
            schedule();
        }
    });
}

/// Wires the grid, the window's keys, resizing and link changes.
pub fn wire() {
    let Some(grid) = dom::by_id::<HtmlElement>("grid") else {
        dom::warn("no #grid to listen to");
        return;
    };
    dom::on(&grid, "pointerdown", |ev| {
        let Some(e) = pointer(&ev) else { return };
        let Some((canvas, view, b, c, i, j)) = locate(&e) else {
            return;
        };
        let Some(layer) = view.layer() else { return };
        // Left button, touch and pen contact paint; the right button and a pen's eraser erase.
        let button = e.button();
        let erase = button == 2 || (e.buttons() & 32) != 0;
        if button != 0 && button != 2 && button != 5 {
            return;
        }
        ev.prevent_default();
        if ACTIVE.with(|a| a.get()).is_some() {
            return; // a second finger does not start another stroke
        }
        let _ = canvas.set_pointer_capture(e.pointer_id());
        ACTIVE.with(|a| a.set(Some(e.pointer_id())));
        with_app(|a| {
            a.hover = Some(Hover { view, b, c, i, j });
            a.dirty.hover = true;
            a.push_sample(Sample::Down {
                layer,
                b,
                c,
                i,
                j,
                erase,
            });
        });
    });
    dom::on(&grid, "pointermove", |ev| {
        let Some(e) = pointer(&ev) else { return };
        let active = ACTIVE.with(|a| a.get()) == Some(e.pointer_id());
        match locate(&e) {
            Some((_, view, b, c, i, j)) => {
                let n = with_app(|a| a.state.size()).unwrap_or(1) as f64;
                let inside = (0.0..n).contains(&i) && (0.0..n).contains(&j);
                set_hover(inside.then_some(Hover { view, b, c, i, j }));
                if active {
                    with_app(|a| a.push_sample(Sample::Move { i, j }));
                }
            }
            None => set_hover(None),
        }
    });
    let end = |ev: Event| {
        let Some(e) = pointer(&ev) else { return };
        if ACTIVE.with(|a| a.get()) == Some(e.pointer_id()) {
            ACTIVE.with(|a| a.set(None));
            with_app(|a| a.push_sample(Sample::Up));
        }
    };
    dom::on(&grid, "pointerup", end);
    // The system took the pointer (a scroll gesture, a palm, the window lost it): the
    // stroke was not meant, so it is undone rather than kept.
    dom::on(&grid, "pointercancel", |ev| {
        let Some(e) = pointer(&ev) else { return };
        if ACTIVE.with(|a| a.get()) == Some(e.pointer_id()) {
            ACTIVE.with(|a| a.set(None));
            with_app(|a| a.push_sample(Sample::Cancel));
        }
    });
    dom::on(&grid, "lostpointercapture", end);
    dom::on(&grid, "pointerleave", |ev| {
        if let Some(e) = pointer(&ev) {
            if ACTIVE.with(|a| a.get()) != Some(e.pointer_id()) {
                set_hover(None);
            }
        }
    });
    dom::on(&grid, "contextmenu", |ev| ev.prevent_default());
    // The label status selects in the cells' headers.
    dom::on(&grid, "change", |ev| {
        let Some(sel) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        else {
            return;
        };
        let cell = |k: &str| dom::get_data(&sel, k).and_then(|v| v.parse::<usize>().ok());
        let (Some(b), Some(c), Some(status)) = (
            cell("b"),
            cell("c"),
            super::render::parse_status(&sel.value()),
        ) else {
            return;
        };
        with_app(|a| a.set_status(b, c, status));
    });

    let Ok(window) = dom::window() else { return };
    dom::on(&window, "keydown", |ev| {
        let Some(k) = ev.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        if dom::focus_in_text_field() {
            return;
        }
        let key = k.key().to_lowercase();
        if k.ctrl_key() || k.meta_key() {
            let redo = (key == "z" && k.shift_key()) || key == "y";
            let undo = key == "z" && !k.shift_key();
            if undo || redo {
                ev.prevent_default();
                with_app(|a| if redo { a.redo() } else { a.undo() });
            }
            return;
        }
        if k.alt_key() || dom::focus_in_form_field() {
            return;
        }
        // The guided tour: arrows step, Escape ends it.
        let touring = with_app(|a| a.tour.is_some()).unwrap_or(false);
        if touring {
            let step = match k.key().as_str() {
                "ArrowRight" | "PageDown" => Some(1),
                "ArrowLeft" | "PageUp" => Some(-1),
                _ => None,
            };
            if let Some(d) = step {
                ev.prevent_default();
                with_app(|a| a.tour_step(d));
                return;
            }
            if k.key() == "Escape" {
                with_app(|a| a.exit_tour());
                return;
            }
        }
        // Keys 1–4 choose Φ (handy on a projector).
        let phi = match key.as_str() {
            "1" => Some(Phi::I),
            "2" => Some(Phi::CI),
            "3" => Some(Phi::BI),
            "4" => Some(Phi::BCI),
            _ => None,
        };
        if let Some(p) = phi {
            with_app(|a| {
                a.state.settings.phi = p;
                a.changed(Change::Settings);
            });
        }
    });
    dom::on(&window, "resize", |_| {
        with_app(|a| {
            a.dirty.layout = true;
            a.dirty.plots = true;
            schedule();
        });
    });
    dom::on(&window, "hashchange", |_| {
        let Ok(w) = dom::window() else { return };
        let hash = w.location().hash().unwrap_or_default();
        with_app(|a| {
            if a.link() == hash {
                return;
            }
            let (r, msg) = route::resolve(&hash);
            a.load_route(r);
            a.set_notice(msg, true);
        });
    });
}
