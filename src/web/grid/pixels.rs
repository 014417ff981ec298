//! The views and their pixels: a view's canvases, and the input images, labels,
//! predictions, gradients (with their sign overlay) and compare mode's gradient drawn into
//! them, each described for screen readers.

use std::cell::RefCell;

use ndarray::Array4;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::engine::loss::Evaluation;
use crate::engine::status::LabelStatus;
use crate::page::cells::{self, GradLook};
use crate::page::derived::ShownGrad;
use crate::page::layout;
use crate::page::levels;
use crate::page::model::ViewKind;
use crate::page::state::AppState;
use crate::present::colormap::{self, Scale};
use crate::present::describe::{self, NoGradient};
use crate::present::grid_words as words;
use crate::web::dom::{self, JsResult};

use super::{GridView, View};

/// The overlay's resolution: at least 128 pixels across, a whole number per data pixel.
fn overlay_size(n: usize) -> usize {
    let n = n.max(1);
    n * 128usize.div_ceil(n).max(1)
}

/// A `size`×`size` canvas of class `class` and its 2d context.
fn canvas_2d(class: &str, size: usize) -> JsResult<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas: HtmlCanvasElement = dom::el("canvas", class)?
        .dyn_into()
        .map_err(|_| JsValue::from_str("canvas"))?;
    canvas.set_width(size as u32);
    canvas.set_height(size as u32);
    let ctx = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("2d context"))?;
    Ok((canvas, ctx))
}

impl View {
    /// A view of `kind` for cell (b, c) (image b's for the input image), an n×n canvas
    /// with its test id, data attributes, tooltip and role; the prediction and gradient
    /// views get an overlay, the paintable ones a brush outline.
    pub(super) fn new(kind: ViewKind, b: usize, c: usize, n: usize) -> JsResult<View> {
        let fig = dom::el("figure", &format!("view view-{}", kind.code()))?;
        let (canvas, ctx) = canvas_2d("", n)?;
        let name = kind.code();
        dom::set_attr(&canvas, "data-testid", &format!("{name}-{b}-{c}"));
        dom::set_data(&canvas, "view", name);
        dom::set_data(&canvas, "b", &b.to_string());
        dom::set_data(&canvas, "c", &c.to_string());
        // (A label view's tip follows its status once drawn: `pixels`.)
        let label = match kind {
            ViewKind::Label => words::label_tip(b, c, LabelStatus::Annotated, false),
            ViewKind::Pred => words::prediction_tip(b, c),
            ViewKind::Grad => words::gradient_tip(b, c),
            ViewKind::Image => words::image_tip(b),
        };
        canvas.set_title(&label);
        dom::set_attr(&canvas, "aria-label", &label);
        // An image with a live description; focusable for the arrow-key cursor.
        dom::set_attr(&canvas, "role", "img");
        dom::set_attr(&canvas, "tabindex", "0");
        dom::set_attr(&canvas, "aria-roledescription", kind.role_words());
        dom::append(&fig, &canvas)?;
        let overlay = if matches!(kind, ViewKind::Label | ViewKind::Image) {
            None
        } else {
            let (o, octx) = canvas_2d("overlay", overlay_size(n))?;
            dom::set_attr(&o, "aria-hidden", "true");
            dom::append(&fig, &o)?;
            Some((o, octx))
        };
        let marker = dom::el("div", "marker")?;
        marker.set_hidden(true);
        dom::append(&fig, &marker)?;
        let brush = if kind == ViewKind::Grad {
            None
        } else {
            let b = dom::el("div", "brush")?;
            b.set_hidden(true);
            dom::append(&fig, &b)?;
            Some(b)
        };
        let word = dom::el("span", "view-word")?;
        word.set_hidden(true);
        dom::append(&fig, &word)?;
        Ok(View {
            fig,
            canvas,
            ctx,
            overlay,
            marker,
            brush,
            word,
            described: RefCell::new(String::new()),
        })
    }

    pub(super) fn put(&self, buf: &[u8], n: usize) {
        match ImageData::new_with_u8_clamped_array_and_sh(Clamped(buf), n as u32, n as u32) {
            Ok(img) => {
                let _ = self.ctx.put_image_data(&img, 0.0, 0.0);
            }
            Err(_) => dom::warn("ImageData failed"),
        }
    }

    /// Sets the canvas's description (for screen readers) when it changed.
    pub(super) fn describe(&self, text: String) {
        if *self.described.borrow() != text {
            dom::set_attr(&self.canvas, "aria-label", &text);
            *self.described.borrow_mut() = text;
        }
    }

    /// Draws the overlay: the sign glyphs of `sign` (−1, 0, +1 per data pixel; empty for
    /// none) and the outline of `hidden` (empty for none); hidden when both are empty.
    pub(super) fn overlay(
        &self,
        n: usize,
        sign: (&[i8], &[f32]),
        colours: &[u8],
        hidden: &[bool],
        buf: &mut Vec<u8>,
    ) {
        let Some((canvas, ctx)) = &self.overlay else {
            return;
        };
        if sign.0.is_empty() && hidden.is_empty() {
            dom::set_style(canvas, "visibility", "hidden");
            return;
        }
        let r = canvas.width() as usize;
        colormap::sign_overlay(buf, n, r, sign, colours, hidden);
        match ImageData::new_with_u8_clamped_array_and_sh(Clamped(buf), r as u32, r as u32) {
            Ok(img) => {
                let _ = ctx.put_image_data(&img, 0.0, 0.0);
            }
            Err(_) => dom::warn("ImageData failed"),
        }
        dom::set_style(canvas, "visibility", "visible");
    }

    pub(super) fn word(&self, text: Option<&str>) {
        match text {
            Some(t) => {
                dom::set_text(&self.word, t);
                dom::set_hidden(&self.word, false);
            }
            None => dom::set_hidden(&self.word, true),
        }
    }
}

/// Draws cell (b, c) of a shown gradient into a gradient view (hatched where undefined),
/// its sign as glyphs and a missing label's hidden outline on the overlay, and describes
/// it. `in_loss`: the cell has a set (else no sign is drawn: there is no push).
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_grad_view(
    view: &View,
    state: &AppState,
    in_loss: bool,
    shown: Option<&ShownGrad<'_>>,
    b: usize,
    c: usize,
    scale: Scale,
    n: usize,
    buf: &mut Vec<u8>,
    obuf: &mut Vec<u8>,
) {
    let logits = shown.is_some_and(|g| g.logits);
    let mut sign = Vec::new();
    let mut strength = Vec::new();
    let text = match (cells::gradient(shown, (b, c), n, scale, buf), shown) {
        (GradLook::NotComputed, _) | (_, None) => {
            view.word(Some(words::gradient_word(NoGradient::NotComputed)));
            describe::gradient(b, c, Err(NoGradient::NotComputed), logits)
        }
        (GradLook::Undefined, _) => {
            view.word(Some(words::gradient_word(NoGradient::Undefined)));
            describe::gradient(b, c, Err(NoGradient::Undefined), logits)
        }
        (GradLook::Values, Some(g)) => {
            let values = g.values.slice(ndarray::s![b, c, .., ..]);
            view.word(None);
            if in_loss {
                sign = colormap::signs(values);
                strength = values
                    .iter()
                    .map(|&v| scale.position(v).abs() as f32)
                    .collect();
                describe::gradient(b, c, Ok(values), logits)
            } else {
                describe::gradient(b, c, Err(NoGradient::NotInLoss), logits)
            }
        }
    };
    view.put(buf, n);
    view.overlay(
        n,
        (&sign, &strength),
        buf,
        &layout::hidden_mask(state, b, c),
        obuf,
    );
    view.describe(text);
}

impl GridView {
    /// Draws image b's input intensities in grey (black 0, white 1).
    pub fn draw_image(&self, state: &AppState, b: usize, buf: &mut Vec<u8>) {
        let Some(view) = self.images.get(b) else {
            return;
        };
        cells::map(
            buf,
            state.image.slice(ndarray::s![b, .., ..]),
            colormap::grey,
        );
        view.put(buf, self.n);
    }

    /// Draws the label view of cell (b, c). An annotated cell shows the labels the loss
    /// sees (`y_loss`, i.e. `AppState::loss_labels`): with exclusive classes that includes
    /// an unannotated structure counted as background in class 0. A missing cell shows its
    /// hidden truth dashed, an empty one nothing.
    pub fn draw_label(
        &self,
        state: &AppState,
        y_loss: Option<&Array4<f64>>,
        b: usize,
        c: usize,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        let n = self.n;
        let status = state
            .status
            .get((b, c))
            .copied()
            .unwrap_or(LabelStatus::Annotated);
        let painted = state.labels.slice(ndarray::s![b, c, .., ..]);
        let widened = cells::label(state, y_loss, (b, c), buf);
        let view = &cell.views[0];
        view.put(buf, n);
        view.describe(describe::label(b, c, status, levels::bits(painted).view()));
        view.word(words::label_word(status));
        dom::toggle_class(&view.word, "low", status == LabelStatus::Missing);
        let tip = words::label_tip(b, c, status, widened);
        view.canvas.set_title(&tip);
        let code = status.code();
        if cell.status.value() != code {
            cell.status.set_value(code);
        }
        let locked = status == LabelStatus::Annotated && c == 0 && state.exclusive;
        cell.status.set_disabled(locked);
        // Nothing to choose: keep the header's height, drop the clutter.
        dom::set_style(
            &cell.status,
            "visibility",
            if locked { "hidden" } else { "visible" },
        );
        cell.status.set_title(words::status_select_tip(locked));
        dom::set_data(&cell.el, "status", code);
    }

    /// Draws the prediction view of cell (b, c) from `pred` (the painted prediction, or
    /// a trained model's output).
    pub fn draw_pred(
        &self,
        state: &AppState,
        pred: ndarray::ArrayView4<f64>,
        b: usize,
        c: usize,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        let n = self.n;
        let pred = pred.slice(ndarray::s![b, c, .., ..]);
        cells::prediction(pred, buf);
        let view = &cell.views[1];
        view.put(buf, n);
        view.overlay(
            n,
            (&[], &[]),
            &[],
            &layout::hidden_mask(state, b, c),
            &mut self.obuf.borrow_mut(),
        );
        view.describe(describe::prediction(b, c, pred));
    }

    #[allow(clippy::too_many_arguments)]
    pub fn draw_grad(
        &self,
        state: &AppState,
        eval: Option<&Evaluation>,
        shown: Option<&ShownGrad<'_>>,
        b: usize,
        c: usize,
        scale: Scale,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        let in_loss = eval.is_some_and(|e| e.cell_set.get((b, c)).copied().flatten().is_some());
        draw_grad_view(
            &cell.views[2],
            state,
            in_loss,
            shown,
            b,
            c,
            scale,
            self.n,
            buf,
            &mut self.obuf.borrow_mut(),
        );
    }
}
