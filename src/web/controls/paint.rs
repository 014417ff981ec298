//! The Paint panel: the label and prediction brushes, Fill/Clear, the prediction helpers,
//! undo and redo.

use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement};

use crate::page::model::Model;
use crate::page::msg::{HelperKind, Msg, PaintMsg, ToolMsg};
use crate::page::paint::Layer;
use crate::web::dispatch::Dispatch;
use crate::web::dom::{self, JsResult};

use super::widgets::{
    button, checkbox, label_for, labelled, on_check, pressed, range, row, section, set_checked,
    set_value,
};

pub struct PaintPanel {
    label_paint: HtmlButtonElement,
    label_erase: HtmlButtonElement,
    pred_value: HtmlInputElement,
    pred_value_out: HtmlElement,
    soft: HtmlInputElement,
    radius: HtmlInputElement,
    radius_out: HtmlElement,
    disk: HtmlButtonElement,
    square: HtmlButtonElement,
    target_text: HtmlElement,
    helper_all: HtmlInputElement,
    undo: HtmlButtonElement,
    redo: HtmlButtonElement,
}

/// (id, button text, tooltip) of each helper.
fn helper_text(h: HelperKind) -> (&'static str, &'static str, &'static str) {
    match h {
        HelperKind::Copy => (
            "copy",
            "Copy y→ỹ",
            "Prediction = the label (a perfect prediction)",
        ),
        HelperKind::Shift => (
            "shift",
            "Shift",
            "Prediction = the label shifted 2 pixels right and 1 down",
        ),
        HelperKind::Dilate => (
            "dilate",
            "Dilate",
            "Prediction = the label dilated by 2 pixels (over-segmentation)",
        ),
        HelperKind::Erode => (
            "erode",
            "Erode",
            "Prediction = the label eroded by 2 pixels (under-segmentation)",
        ),
        HelperKind::Blur => (
            "blur",
            "Blur",
            "Prediction = the label blurred (σ = 1.5 px): uncertain edges",
        ),
        HelperKind::Noise => (
            "noise",
            "Noise",
            "Prediction = the label plus random noise of ±0.3",
        ),
    }
}

impl PaintPanel {
    pub fn build(root: &Element, d: &Dispatch) -> JsResult<PaintPanel> {
        let pt = section(
            root,
            "Paint",
            "Paint directly on the y and ỹ views (mouse, touch or pen); right button or pen eraser erases",
        )?;
        let r = row(&pt, "seg")?;
        labelled(&r, "Label brush", "What the brush does on a label view y")?;
        let label_paint = button(
            &r,
            "label-paint",
            "paint y = 1",
            "Label brush paints foreground (y = 1)",
        )?;
        let label_erase = button(&r, "label-erase", "erase", "Label brush erases (y = 0)")?;
        d.on_click(&label_paint, Msg::Tool(ToolMsg::LabelErase(false)));
        d.on_click(&label_erase, Msg::Tool(ToolMsg::LabelErase(true)));
        let r = row(&pt, "")?;
        let value_label = labelled(
            &r,
            "ỹ brush value",
            "The probability the prediction brush paints",
        )?;
        let pred_value = range(
            &r,
            "pred-value",
            (0.0, 1.0, 0.05),
            "Probability painted on the prediction views, 0 … 1",
        )?;
        label_for(&value_label, &pred_value, "");
        let pred_value_out = dom::el("output", "out")?;
        dom::append(&r, &pred_value_out)?;
        {
            let i = pred_value.clone();
            d.on(&pred_value, "input", move |_| {
                Some(Msg::Tool(ToolMsg::PredValue(
                    i.value().parse().unwrap_or(f64::NAN),
                )))
            });
        }
        let r = row(&pt, "")?;
        let radius_label = labelled(&r, "Radius", "Brush radius in pixels")?;
        let radius = range(
            &r,
            "radius",
            (0.0, 16.0, 0.5),
            "Brush radius in pixels (0 = one pixel)",
        )?;
        label_for(&radius_label, &radius, "");
        let radius_out = dom::el("output", "out")?;
        dom::append(&r, &radius_out)?;
        {
            let i = radius.clone();
            d.on(&radius, "input", move |_| {
                Some(Msg::Tool(ToolMsg::Radius(
                    i.value().parse().unwrap_or(f64::NAN),
                )))
            });
        }
        let r = row(&pt, "seg")?;
        labelled(&r, "Shape", "Brush stamp shape")?;
        let disk = button(&r, "shape-disk", "disk", "Round brush")?;
        let square = button(&r, "shape-square", "square", "Square brush")?;
        d.on_click(&disk, Msg::Tool(ToolMsg::SquareBrush(false)));
        d.on_click(&square, Msg::Tool(ToolMsg::SquareBrush(true)));
        let (soft, _) = checkbox(
            &r,
            "soft",
            "soft edge",
            "Prediction brush: full value in the middle, blending into the old value at the rim",
        )?;
        on_check(d, &soft, |on| Msg::Tool(ToolMsg::SoftEdge(on)));

        let target_text = dom::el("div", "note target")?;
        target_text.set_title(
            "The view that Fill, Clear and the helpers act on: click or paint a view to choose it",
        );
        dom::append(&pt, &target_text)?;
        let r = row(&pt, "buttons")?;
        let fill = button(
            &r,
            "fill",
            "Fill",
            "Fill the selected view: label y = 1, or prediction ỹ = the brush value",
        )?;
        let clear = button(
            &r,
            "clear",
            "Clear",
            "Clear the selected view (y = 0 or ỹ = 0)",
        )?;
        d.on_click(&fill, Msg::Paint(PaintMsg::Fill));
        d.on_click(&clear, Msg::Paint(PaintMsg::Clear));
        let r = row(&pt, "buttons helpers")?;
        for h in HelperKind::ALL {
            let (id, text, tip) = helper_text(h);
            let b = button(&r, &format!("helper-{id}"), text, tip)?;
            d.on_click(&b, Msg::Paint(PaintMsg::Helper(h)));
        }
        let r = row(&pt, "")?;
        let (helper_all, _) = checkbox(
            &r,
            "helper-all",
            "helpers act on all cells",
            "On: the helpers above rewrite every prediction; off: only the selected cell's",
        )?;
        on_check(d, &helper_all, |on| Msg::Tool(ToolMsg::HelpersOnAll(on)));
        let r = row(&pt, "buttons")?;
        let undo = button(
            &r,
            "undo",
            "↶ Undo",
            "Undo the last stroke or edit (Ctrl+Z)",
        )?;
        let redo = button(&r, "redo", "↷ Redo", "Redo (Ctrl+Shift+Z or Ctrl+Y)")?;
        d.on_click(&undo, Msg::Paint(PaintMsg::Undo));
        d.on_click(&redo, Msg::Paint(PaintMsg::Redo));
        Ok(PaintPanel {
            label_paint,
            label_erase,
            pred_value,
            pred_value_out,
            soft,
            radius,
            radius_out,
            disk,
            square,
            target_text,
            helper_all,
            undo,
            redo,
        })
    }

    pub fn sync(&self, m: &Model) {
        let tool = &m.paint.tool;
        pressed(&self.label_paint, !tool.label_erase);
        pressed(&self.label_erase, tool.label_erase);
        set_value(&self.pred_value, &tool.pred_value.to_string());
        dom::set_text(&self.pred_value_out, &format!("{:.2}", tool.pred_value));
        set_value(&self.radius, &tool.radius.to_string());
        dom::set_text(&self.radius_out, &format!("{} px", tool.radius));
        pressed(&self.disk, !tool.square);
        pressed(&self.square, tool.square);
        set_checked(&self.soft, tool.soft);
        set_checked(&self.helper_all, tool.helper_all);
        let (layer, b, c) = m.paint.target;
        let what = match layer {
            Layer::Label => "label y",
            Layer::Pred => "prediction ỹ",
            Layer::Image => "input image x",
        };
        dom::set_text(
            &self.target_text,
            &format!(
                "Fill/Clear act on: {what} of image {b}{}. Helpers rewrite {}.",
                if layer == Layer::Image {
                    String::new()
                } else {
                    format!(", class {c}")
                },
                if tool.helper_all {
                    "every prediction"
                } else {
                    "this cell's prediction"
                }
            ),
        );
        self.undo.set_disabled(!m.paint.history.can_undo());
        self.redo.set_disabled(!m.paint.history.can_redo());
    }
}
