//! The lessons: a panel with one button per scenario of `crate::page::teach` and a guided tour,
//! and the lesson box above the grid that says what to look at. The scenes, their texts
//! and the expected verdicts all live in `crate::page::teach`.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlButtonElement, HtmlElement};

use crate::page::teach::{Scenario, SCENARIOS};

use super::app::with_app;
use super::dom::{self, JsResult};

pub struct Lessons {
    buttons: Vec<HtmlButtonElement>,
    tour_start: HtmlButtonElement,
    box_: HtmlElement,
    step: HtmlElement,
    title: HtmlElement,
    text: HtmlElement,
    changed: HtmlElement,
    prev: HtmlButtonElement,
    next: HtmlButtonElement,
    exit: HtmlButtonElement,
    restore: HtmlButtonElement,
    close: HtmlButtonElement,
}

fn need<T: JsCast>(id: &str) -> JsResult<T> {
    dom::by_id(id).ok_or_else(|| JsValue::from_str(&format!("missing #{id}")))
}

fn button(parent: &HtmlElement, class: &str, text: &str, tip: &str) -> JsResult<HtmlButtonElement> {
    let b: HtmlButtonElement = dom::text_el("button", class, text)?
        .dyn_into()
        .map_err(|_| JsValue::from_str("button"))?;
    b.set_type("button");
    b.set_title(tip);
    dom::append(parent, &b)?;
    Ok(b)
}

impl Lessons {
    /// Fills `#lessons-panel` (in the control panel) and wires it and the lesson box that
    /// `super::build_page` put above the grid.
    pub fn build() -> JsResult<Lessons> {
        let panel: HtmlElement = need("lessons-panel")?;
        panel.set_inner_html("");
        let h = dom::text_el("h2", "", "Lessons from the paper")?;
        h.set_title("One click sets up a scene of PAPER §4: missing versus empty labels under different Φ and ε");
        dom::append(&panel, &h)?;
        let grid = dom::el("div", "lesson-buttons")?;
        dom::append(&panel, &grid)?;
        let mut buttons = Vec::new();
        for (k, sc) in SCENARIOS.iter().enumerate() {
            let b = button(&grid, "btn lesson-btn", sc.short, sc.title)?;
            dom::set_attr(&b, "data-testid", &format!("lesson-{}", sc.name));
            dom::set_data(&b, "lesson", sc.name);
            dom::on(&b, "click", move |_| {
                with_app(|a| a.open_lesson(k, true));
            });
            buttons.push(b);
        }
        let tour_start = button(
            &panel,
            "btn tour-start",
            "▶ Guided tour (6 steps)",
            "Step through the six scenes in order; ← and → keys step, Esc ends the tour",
        )?;
        dom::set_attr(&tour_start, "data-testid", "tour-start");
        dom::on(&tour_start, "click", |_| {
            with_app(|a| a.start_tour());
        });

        let l = Lessons {
            buttons,
            tour_start,
            box_: need("lesson")?,
            step: need("lesson-step")?,
            title: need("lesson-title")?,
            text: need("lesson-text")?,
            changed: need("lesson-changed")?,
            prev: need("tour-prev")?,
            next: need("tour-next")?,
            exit: need("tour-exit")?,
            restore: need("lesson-restore")?,
            close: need("lesson-close")?,
        };
        dom::on(&l.prev, "click", |_| {
            with_app(|a| a.tour_step(-1));
        });
        dom::on(&l.next, "click", |_| {
            with_app(|a| a.tour_step(1));
        });
        dom::on(&l.exit, "click", |_| {
            with_app(|a| a.exit_tour());
        });
        dom::on(&l.restore, "click", |_| {
            with_app(|a| a.restore_lesson());
        });
        dom::on(&l.close, "click", |_| {
            with_app(|a| a.close_lesson());
        });
        Ok(l)
    }

    /// Shows the lesson (or hides the box); `pristine` says whether the scene is still the
    /// lesson's own. Returns whether the box's size may have changed (the grid moves).
    pub fn sync(
        &self,
        lesson: Option<&'static Scenario>,
        tour: Option<usize>,
        pristine: bool,
    ) -> bool {
        let was_hidden = self.box_.hidden();
        let old_text = self.text.text_content();
        for (b, sc) in self.buttons.iter().zip(SCENARIOS.iter()) {
            let on = lesson.is_some_and(|l| std::ptr::eq(l, sc));
            dom::set_attr(b, "aria-pressed", if on { "true" } else { "false" });
            dom::toggle_class(b, "on", on);
        }
        dom::toggle_class(&self.tour_start, "on", tour.is_some());
        let Some(sc) = lesson else {
            dom::set_hidden(&self.box_, true);
            return !was_hidden;
        };
        dom::set_hidden(&self.box_, false);
        dom::set_data(&self.box_, "lesson", sc.name);
        dom::set_text(&self.title, sc.title);
        dom::set_text(&self.text, sc.text);
        dom::set_hidden(&self.changed, pristine);
        dom::set_hidden(&self.restore, pristine);
        let touring = tour.is_some();
        for b in [&self.prev, &self.next, &self.exit] {
            dom::set_hidden(b, !touring);
        }
        dom::set_hidden(&self.close, touring);
        dom::set_hidden(&self.step, !touring);
        if let Some(k) = tour {
            dom::set_text(
                &self.step,
                &format!("Step {} of {}", k + 1, SCENARIOS.len()),
            );
            self.prev.set_disabled(k == 0);
            let last = k + 1 >= SCENARIOS.len();
            dom::set_text(&self.next, if last { "Finish ✓" } else { "Next ▶" });
        }
        was_hidden || old_text.as_deref() != Some(sc.text)
    }
}
