//! The gradient colour legend: a bar, numeric ticks and the words.

use std::cell::RefCell;

use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, ImageData};

use crate::present::colormap::{self, Scale};

use super::dom::{self, JsResult};
use super::grid::BADGE_DERIVATIVE;
use super::Frame;

pub struct Legend {
    ctx: Option<CanvasRenderingContext2d>,
    ticks: HtmlElement,
    neg: HtmlElement,
    pos: HtmlElement,
    note: HtmlElement,
    last: RefCell<Option<(Scale, bool, bool)>>,
    /// The tick labels on screen and their `left`: reused while a stroke rescales the
    /// legend every frame (new elements would need new layout objects each time).
    tick_spans: RefCell<Vec<(HtmlElement, String)>>,
}

const LEGEND_STEPS: usize = 256;

impl Legend {
    /// Builds the legend inside `#legend`.
    pub fn build() -> JsResult<Legend> {
        let root: HtmlElement =
            dom::by_id("legend").ok_or_else(|| JsValue::from_str("no #legend"))?;
        root.set_inner_html("");
        root.set_title("Colour scale of the gradient views");
        let bar: HtmlCanvasElement = dom::el("canvas", "legend-bar")?
            .dyn_into()
            .map_err(|_| JsValue::from_str("canvas"))?;
        bar.set_width(LEGEND_STEPS as u32);
        bar.set_height(1);
        let ctx = bar
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        let bar_wrap = dom::el("div", "legend-bar-wrap")?;
        dom::append(&bar_wrap, &bar)?;
        let ticks = dom::el("div", "legend-ticks")?;
        dom::append(&bar_wrap, &ticks)?;
        dom::append(&root, &bar_wrap)?;
        let words = dom::el("div", "legend-words")?;
        let neg = dom::el("div", "legend-neg")?;
        let pos = dom::el("div", "legend-pos")?;
        dom::append(&words, &neg)?;
        dom::append(&words, &pos)?;
        dom::append(&root, &words)?;
        let note = dom::el("div", "legend-note")?;
        dom::append(&root, &note)?;
        Ok(Legend {
            ctx,
            ticks,
            neg,
            pos,
            note,
            last: RefCell::new(None),
            tick_spans: RefCell::new(Vec::new()),
        })
    }

    /// Draws the legend of `scale`; returns false if it already shows it.
    pub fn draw(&self, scale: &Scale, shared: bool, logits: bool) -> bool {
        if *self.last.borrow() == Some((*scale, shared, logits)) {
            return false;
        }
        *self.last.borrow_mut() = Some((*scale, shared, logits));
        if let Some(ctx) = &self.ctx {
            let mut buf = Vec::with_capacity(LEGEND_STEPS * 4);
            for k in 0..LEGEND_STEPS {
                let t = -1.0 + 2.0 * (k as f64 + 0.5) / LEGEND_STEPS as f64;
                buf.extend_from_slice(&colormap::diverging(t));
            }
            if let Ok(img) =
                ImageData::new_with_u8_clamped_array_and_sh(Clamped(&buf), LEGEND_STEPS as u32, 1)
            {
                let _ = ctx.put_image_data(&img, 0.0, 0.0);
            }
        }
        let ticks = scale.ticks();
        let mut spans = self.tick_spans.borrow_mut();
        while spans.len() > ticks.len() {
            if let Some((s, _)) = spans.pop() {
                s.remove();
            }
        }
        while spans.len() < ticks.len() {
            let Ok(s) = dom::el("span", "tick") else {
                break;
            };
            let _ = self.ticks.append_child(&s);
            spans.push((s, String::new()));
        }
        for ((s, shown_left), (t, label)) in spans.iter_mut().zip(&ticks) {
            dom::set_text(s, label);
            let left = format!("{}%", (t + 1.0) * 50.0);
            if *shown_left != left {
                dom::set_style(s, "left", &left);
                *shown_left = left;
            }
        }
        let d = if logits { "∂L/∂z" } else { "∂L/∂ỹ" };
        let what = if logits {
            "the logit"
        } else {
            "the prediction"
        };
        dom::set_text(
            &self.neg,
            &format!("blue: gradient descent raises {what} here ({d} < 0)"),
        );
        dom::set_text(
            &self.pos,
            &format!("orange: gradient descent lowers it ({d} > 0)"),
        );
        let kind = if scale.symlog {
            format!(
                "symmetric-log: {} decades below the largest value fade to grey",
                colormap::SYMLOG_DECADES
            )
        } else {
            "linear".to_string()
        };
        let who = if shared {
            "one scale for all cells"
        } else {
            "each cell scaled to its own maximum (in its caption); ticks show the largest"
        };
        let badges = if logits {
            format!("the verdict badges are {BADGE_DERIVATIVE}, not on the ∂L/∂z shown here")
        } else {
            format!("the verdict badges are {BADGE_DERIVATIVE}")
        };
        dom::set_text(
            &self.note,
            &format!("{kind}; {who}; hatched = undefined (no value); {badges}"),
        );
        true
    }
}

impl Legend {
    pub fn sync(&self, f: &Frame) -> bool {
        let logits = f.derived.logits(f.model);
        self.draw(&f.derived.shared, f.model.state.view.shared_scale, logits)
    }
}
