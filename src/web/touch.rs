//! A touch screen: the "✎ Paint" toggle and undo/redo beside the grid, the paint hint in
//! the reader's terms, and the body classes the style sheet uses (`touch`: a swipe on a
//! view scrolls the page unless `paint-mode` is on). Draws from the model; its buttons send
//! messages. Whether a press paints is the model's rule ([`crate::page::tool::Tool`]).

use web_sys::{HtmlButtonElement, HtmlElement};

use crate::page::msg::{Msg, PaintMsg, ToolMsg};
use crate::present::hints::{paint_how, paint_mode_tip};

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

pub struct Touch {
    body: HtmlElement,
    paint_mode: HtmlButtonElement,
    undo: HtmlButtonElement,
    redo: HtmlButtonElement,
    how: HtmlElement,
}

impl Touch {
    pub fn build(dispatch: &Dispatch) -> JsResult<Touch> {
        let t = Touch {
            body: dom::document()?
                .body()
                .ok_or_else(|| wasm_bindgen::JsValue::from_str("no body"))?,
            paint_mode: dom::need("paint-mode")?,
            undo: dom::need("grid-undo")?,
            redo: dom::need("grid-redo")?,
            how: dom::need("paint-how")?,
        };
        {
            let b = t.paint_mode.clone();
            dispatch.on(&t.paint_mode, "click", move |_| {
                let on = dom::get_data(&b, "on").as_deref() == Some("1");
                Some(Msg::Tool(ToolMsg::PaintMode(!on)))
            });
        }
        dispatch.on_click(&t.undo, Msg::Paint(PaintMsg::Undo));
        dispatch.on_click(&t.redo, Msg::Paint(PaintMsg::Redo));
        Ok(t)
    }

    /// Returns whether the space above the grid may have changed.
    pub fn sync(&self, f: &Frame) -> bool {
        let (m, ch) = (f.model, f.change);
        if ch.page || ch.history {
            self.undo.set_disabled(!m.paint.history.can_undo());
            self.redo.set_disabled(!m.paint.history.can_redo());
        }
        if !(ch.page || ch.screen || ch.tool) {
            return false;
        }
        let (touch, on) = (m.screen.touch, m.paint.tool.paint_mode);
        let was = self.body.class_list().contains("touch");
        dom::toggle_class(&self.body, "touch", touch);
        dom::toggle_class(&self.body, "paint-mode", touch && on);
        dom::set_data(&self.paint_mode, "on", if on { "1" } else { "0" });
        dom::set_attr(
            &self.paint_mode,
            "aria-pressed",
            if on { "true" } else { "false" },
        );
        self.paint_mode.set_title(paint_mode_tip(on));
        dom::set_text(&self.how, paint_how(touch, on));
        was != touch
    }
}
