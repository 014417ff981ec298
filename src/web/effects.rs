//! The side effects an event handler may have besides sending a message, all of them
//! here. Each must happen inside the person's gesture — the browser allows full screen
//! only in a click or key handler, and focus, pointer capture and a dismissal remembered
//! for the next visit belong to the event itself — so they cannot wait for `update` and
//! the next frame:
//!
//! - full screen for presentation mode ([`enter_fullscreen`], [`leave_fullscreen`],
//!   [`left_fullscreen`] for the browser's own Esc);
//! - focus on this page's window when painting starts ([`focus_window`]), so Ctrl+Z undoes
//!   here, inside an embed's frame too;
//! - pointer capture for the stroke in progress ([`capture_pointer`]);
//! - focus on the grid's first view for the skip link ([`focus_grid`]);
//! - the introduction's dismissal, remembered in this browser ([`dismiss_intro_for_good`],
//!   read back at start-up by [`intro_dismissed`]).
//!
//! Everything else a handler does is read the event and send a message. (Outside the
//! handlers, the root `app.rs` owns frames, timers, the address bar and the link left in
//! session storage for a reload; the sets table keeps keyboard focus on the row it rebuilt.)

use std::cell::Cell;

use wasm_bindgen::JsCast;
use web_sys::Element;

use super::dom;

/// Where a dismissed introduction is remembered (this browser only).
pub const INTRO_KEY: &str = "dice-playground-intro";

thread_local! {
    /// Presentation mode asked the browser for full screen (so leaving full screen with
    /// the browser's own Esc also leaves presentation mode).
    static FULLSCREEN_ASKED: Cell<bool> = const { Cell::new(false) };
}

/// Asks for full screen (only allowed inside a click or key handler).
pub fn enter_fullscreen() {
    let Ok(doc) = dom::document() else { return };
    if doc.fullscreen_element().is_some() {
        return;
    }
    if let Some(root) = doc.document_element() {
        // A refusal (an iframe without allowfullscreen, a headless browser) only means
        // the mode fills the window instead.
        let _ = root.request_fullscreen();
        FULLSCREEN_ASKED.with(|f| f.set(true));
    }
}

pub fn leave_fullscreen() {
    FULLSCREEN_ASKED.with(|f| f.set(false));
    if let Ok(doc) = dom::document() {
        if doc.fullscreen_element().is_some() {
            doc.exit_fullscreen();
        }
    }
}

/// On `fullscreenchange`: whether the browser left the full screen presentation mode
/// asked for (its own Esc), which then leaves presentation mode too.
pub fn left_fullscreen() -> bool {
    let Ok(doc) = dom::document() else {
        return false;
    };
    let left = doc.fullscreen_element().is_none() && FULLSCREEN_ASKED.with(|f| f.get());
    if left {
        FULLSCREEN_ASKED.with(|f| f.set(false));
    }
    left
}

/// Focuses this page's window, so Ctrl+Z undoes here — inside an embed's frame too, which
/// otherwise leaves the keys with the parent page. Focus inside the page stays where it
/// was.
pub fn focus_window() {
    if let Ok(w) = dom::window() {
        let _ = w.focus();
    }
}

/// Moves keyboard focus to the grid's first focusable view (the "Skip to the grid" link),
/// where the arrow keys move the cursor and read the pixels out.
pub fn focus_grid() {
    let Ok(doc) = dom::document() else { return };
    let Ok(views) = doc.query_selector_all("#grid-wrap [tabindex=\"0\"]") else {
        return;
    };
    // The first one drawn: a folded column's views are in the page but not shown.
    for k in 0..views.length() {
        let Some(view) = views
            .item(k)
            .and_then(|v| v.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            continue;
        };
        if view.get_client_rects().length() > 0 {
            let _ = view.focus();
            return;
        }
    }
}

/// The pointer's further events go to `target` until it is released.
pub fn capture_pointer(target: &Element, pointer_id: i32) {
    let _ = target.set_pointer_capture(pointer_id);
}

/// Remembers in this browser that the introduction was dismissed for good.
pub fn dismiss_intro_for_good() {
    if let Some(s) = dom::window()
        .ok()
        .and_then(|w| w.local_storage().ok().flatten())
    {
        let _ = s.set_item(INTRO_KEY, "dismissed");
    }
}

/// Whether the device has a touch screen (it reports touch points).
pub fn touch_screen() -> bool {
    dom::window().is_ok_and(|w| w.navigator().max_touch_points() > 0)
}

/// Whether the intro was dismissed for good in this browser.
pub fn intro_dismissed() -> bool {
    dom::window()
        .ok()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(INTRO_KEY).ok().flatten())
        .is_some()
}
