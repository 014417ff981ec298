//! Applies the layout plan ([`crate::page::layout::plan`]): its type scale and cell widths
//! as CSS custom properties on the root, the lesson's words (whole, or its first sentence
//! and "more") and the body's `plan` class that turns the rules on. The plan's input is
//! the window's inner size and the model; the grid takes the plan's view bounds and shape.

use web_sys::HtmlElement;

use crate::page::layout::{self, LessonWords, Plan, Viewport};

use super::dom;
use super::Frame;

/// The window's inner size (CSS px).
pub fn viewport() -> Viewport {
    let w = dom::window().ok();
    let num = |v: Option<wasm_bindgen::JsValue>| v.and_then(|v| v.as_f64());
    Viewport {
        w: num(w.as_ref().and_then(|w| w.inner_width().ok())).unwrap_or(1280.0),
        h: num(w.as_ref().and_then(|w| w.inner_height().ok())).unwrap_or(720.0),
    }
}

/// The plan last applied.
#[derive(Default)]
pub struct PlanView {
    last: Option<Plan>,
}

impl PlanView {
    /// The plan of this frame, applied if it changed; and whether the space around the
    /// grid may have changed with it.
    pub fn sync(&mut self, f: &Frame) -> (Plan, bool) {
        let eval = f.derived.main.eval.as_ref().ok();
        let question = f.derived.question.as_deref();
        let plan = layout::plan_for(f.model, eval, question, viewport());
        if self.last.as_ref() == Some(&plan) {
            return (plan, false);
        }
        apply(&plan);
        self.last = Some(plan.clone());
        (plan, true)
    }
}

fn apply(p: &Plan) {
    let Ok(doc) = dom::document() else { return };
    if let Some(root) = doc
        .document_element()
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
    {
        let t = p.type_scale;
        for (name, px) in [
            ("--t-lesson", t.lesson),
            ("--t-title", t.title),
            ("--t-badge", t.badge),
            ("--t-reason", t.reason),
            ("--t-loss", t.loss),
            ("--t-takeaway", t.takeaway),
            ("--b-cell-min", p.b_cell_min),
        ] {
            dom::set_style(&root, name, &format!("{}px", (px * 10.0).round() / 10.0));
        }
        dom::set_data(&root, "planView", &format!("{}", p.view));
    }
    if let Some(body) = doc.body() {
        dom::toggle_class(&body, "plan", true);
        dom::toggle_class(&body, "lesson-brief", p.lesson == LessonWords::Brief);
    }
}
