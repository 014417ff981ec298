//! The gradient colour legend: a bar, numeric ticks and the words.

use std::cell::RefCell;

use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, ImageData};

use crate::present::colormap::{self, Scale};

use super::dom::{self, JsResult};
use super::Frame;
use crate::present::verdict::BADGE_DERIVATIVE;

pub struct Legend {
    ctx: Option<CanvasRenderingContext2d>,
    bar: HtmlCanvasElement,
    ticks: HtmlElement,
    neg: HtmlElement,
    neg_d: HtmlElement,
    pos: HtmlElement,
    pos_d: HtmlElement,
    note: HtmlElement,
    /// The badges' key: ✓/✗, the "almost no push" threshold and the label statuses.
    key: HtmlElement,
    last: RefCell<Option<(Scale, bool, bool)>>,
    last_key: RefCell<u64>,
    /// The bar's width and the ticks' font size (CSS px), measured after a layout change.
    room: RefCell<(f64, f64)>,
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
        // The sign in a glyph as on the gradient views, so it reads without colour.
        let side = |class: &str, glyph: &str| -> JsResult<(HtmlElement, HtmlElement)> {
            let d = dom::el("div", class)?;
            let g = dom::text_el("span", "glyph", glyph)?;
            dom::set_attr(&g, "aria-hidden", "true");
            dom::append(&d, &g)?;
            let t = dom::el("span", "")?;
            dom::append(&d, &t)?;
            let m = dom::el("span", "legend-d")?;
            dom::append(&d, &m)?;
            dom::append(&words, &d)?;
            Ok((t, m))
        };
        let (neg, neg_d) = side("legend-neg", "−")?;
        let (pos, pos_d) = side("legend-pos", "+")?;
        dom::append(&root, &words)?;
        // The scale's kind and the badges' key go under the grid (`#grid-key`): read once,
        // they should not push the grid down.
        let under: HtmlElement = dom::by_id("grid-key").unwrap_or_else(|| root.clone());
        let note = dom::el("div", "legend-note")?;
        dom::append(&under, &note)?;
        let key = dom::el("div", "badge-key")?;
        dom::set_attr(&key, "data-testid", "badge-key");
        dom::append(&under, &key)?;
        Ok(Legend {
            ctx,
            bar,
            ticks,
            neg,
            neg_d,
            pos,
            pos_d,
            note,
            key,
            last: RefCell::new(None),
            last_key: RefCell::new(u64::MAX),
            room: RefCell::new((0.0, 12.0)),
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
        // Labels that would overlap a neighbour are left out (a narrow legend, a zoomed
        // page, presentation type): the ends first, then zero, then from the outside in.
        let room = self.room.borrow().0;
        let px = spans
            .first()
            .and_then(|(t, _)| {
                dom::window()
                    .ok()?
                    .get_computed_style(t)
                    .ok()
                    .flatten()?
                    .get_property_value("font-size")
                    .ok()
            })
            .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
            .unwrap_or(12.0);
        if room > 0.0 && spans.len() == ticks.len() {
            let n = ticks.len();
            let width = |l: &str| l.chars().count() as f64 * px * 0.62 + 0.4 * px;
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&k| {
                let t = ticks[k].0;
                if k == 0 || k + 1 == n {
                    0
                } else if t == 0.0 {
                    1
                } else {
                    2 + (100.0 * (1.0 - t.abs())) as i64
                }
            });
            // Mirror ticks go together, so the scale reads the same on both sides.
            let mut placed: Vec<(f64, f64)> = Vec::new();
            let mut done = vec![false; n];
            for k in order {
                if done[k] {
                    continue;
                }
                let pair: Vec<usize> = (0..n)
                    .filter(|&m| m == k || (ticks[m].0 == -ticks[k].0 && !done[m]))
                    .collect();
                let spans_of: Vec<(f64, f64)> = pair
                    .iter()
                    .map(|&m| {
                        let (t, l) = &ticks[m];
                        let (c, w) = ((t + 1.0) / 2.0 * room, width(l));
                        (c - w / 2.0, c + w / 2.0)
                    })
                    .collect();
                let free = spans_of
                    .iter()
                    .all(|&(a, b)| placed.iter().all(|&(pa, pb)| b <= pa || a >= pb));
                for (&m, &span) in pair.iter().zip(&spans_of) {
                    done[m] = true;
                    if free {
                        placed.push(span);
                    }
                    dom::toggle_class(&spans[m].0, "crowded", !free);
                }
            }
        }
        let d = if logits { "∂L/∂z" } else { "∂L/∂ỹ" };
        let what = if logits { "z" } else { "ỹ" };
        dom::set_text(&self.neg, &format!("blue: descent raises {what}"));
        dom::set_text(&self.neg_d, &format!(" ({d} < 0)"));
        dom::set_text(&self.pos, &format!("orange: descent lowers {what}"));
        dom::set_text(&self.pos_d, &format!(" ({d} > 0)"));
        dom::set_attr(&self.bar, "role", "img");
        dom::set_attr(
            &self.bar,
            "aria-label",
            &format!(
                "Colour scale of the gradient from −{0} (blue, marked −) to +{0} (orange, marked +)",
                crate::present::format::number(scale.max, 2)
            ),
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
        let ch = f.change;
        if ch.page || ch.layout || ch.screen || self.room.borrow().0 <= 0.0 {
            let w = f64::from(self.bar.client_width());
            if w != self.room.borrow().0 {
                self.room.borrow_mut().0 = w;
                *self.last.borrow_mut() = None;
            }
        }
        let scale = f.derived.verdict_scale;
        if *self.last_key.borrow() != scale.scale.to_bits() {
            *self.last_key.borrow_mut() = scale.scale.to_bits();
            dom::set_text(&self.key, &badge_key(&scale));
        }
        let logits = f.derived.logits(f.model);
        self.draw(
            &f.derived.shared,
            f.model.state.display.shared_scale,
            logits,
        )
    }
}

/// What the badges mean, on screen: ✓/✗, the "almost no push" threshold with its number
/// now, and the label statuses.
fn badge_key(scale: &crate::engine::verdict::Scale) -> String {
    use crate::engine::verdict::{NO_PUSH_FRACTION, REACHED_HIGH, REACHED_LOW};
    use crate::present::format::number;
    format!(
        "Badges: ✓ right, ✗ wrong for the cell's label status. “Almost no push”: a push below {}% of 1/(|Φ|·H·W) (threshold now {}); right where the label's wanted state is reached (ỹ ≥ {} on a labelled structure, ≤ {} where nothing is wanted). Label status: annotated = the loss sees the painted label; missing = the structure is there (dashed outline) but the loss sees y = 0; empty = truly absent.",
        NO_PUSH_FRACTION * 100.0,
        number(scale.threshold(), 2),
        number(REACHED_HIGH, 2),
        number(REACHED_LOW, 2),
    )
}
