//! Draws the views' pixels: the input images, labels, predictions, gradients (with
//! their sign overlay) and compare mode's gradient, and describes each for screen readers.

use ndarray::Array4;
use wasm_bindgen::Clamped;
use web_sys::ImageData;

use crate::engine::loss::Evaluation;
use crate::engine::status::LabelStatus;
use crate::page::cells::{self, GradLook};
use crate::page::derived::ShownGrad;
use crate::page::layout;
use crate::page::levels;
use crate::page::state::AppState;
use crate::present::colormap::{self, Scale};
use crate::present::describe::{self, NoGradient};
use crate::web::dom;

use super::{GridView, View};

impl View {
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
            view.word(Some("not computed"));
            describe::gradient(b, c, Err(NoGradient::NotComputed), logits)
        }
        (GradLook::Undefined, _) => {
            view.word(Some("undefined"));
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
        view.word(match status {
            LabelStatus::Annotated => None,
            LabelStatus::Missing => Some("missing"),
            LabelStatus::Empty => Some("empty"),
        });
        dom::toggle_class(&view.word, "low", status == LabelStatus::Missing);
        let tip = match status {
            LabelStatus::Annotated if widened => format!("Label y of image {b}, class {c} as the loss sees it: the unannotated structures of this image count as background here. Paint with the mouse, finger or pen (right button or eraser erases)"),
            LabelStatus::Annotated => format!("Label y of image {b}, class {c}: paint with the mouse, finger or pen (right button or eraser erases)"),
            LabelStatus::Missing => format!("Hidden truth of image {b}, class {c}: the structure is there but the loss sees y = 0 (dashed outline). Paint to move the hidden structure"),
            LabelStatus::Empty => format!("Empty label of image {b}, class {c}: the structure is truly absent, the loss sees y = 0, and there is nothing to paint"),
        };
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
        cell.status.set_title(if locked {
            "With exclusive classes, class 0 is the background left over by the others: it cannot be missing or empty"
        } else {
            "What this label means: annotated, missing (structure there, not labelled) or empty (structure truly absent)"
        });
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
