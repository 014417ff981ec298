//! "Paste your loss", beside the verdict matrix: a text field for a library's loss call,
//! an Apply button that sends it as a settings message, the status line (what was set,
//! what the page does not show, or why nothing was) and the applied loss's verdicts on a
//! missing and an empty label, drawn as the matrix draws its rows.

use wasm_bindgen::JsValue;
use web_sys::{Event, HtmlElement, KeyboardEvent};

use wasm_bindgen::JsCast;

use crate::page::msg::{Msg, SettingsMsg};
use crate::present::figure::esc;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::matrix::cell;
use super::Frame;

pub struct Paste {
    status: HtmlElement,
    table: HtmlElement,
    body: HtmlElement,
}

/// The field's text (a `<textarea>`, read as a property: web-sys's textarea type is not
/// compiled in).
fn field_text(field: &HtmlElement) -> String {
    js_sys::Reflect::get(field, &JsValue::from_str("value"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

impl Paste {
    /// Wires the panel the skeleton holds (`#paste`).
    pub fn build(dispatch: &Dispatch) -> JsResult<Paste> {
        let field: HtmlElement = dom::need("paste-loss")?;
        let apply: HtmlElement = dom::need("paste-loss-apply")?;
        {
            let f = field.clone();
            dispatch.on(&apply, "click", move |_| {
                Some(Msg::Settings(SettingsMsg::Paste(field_text(&f))))
            });
        }
        {
            // Ctrl+Enter (⌘+Enter) applies from the field; Enter alone is a new line.
            let f = field.clone();
            dispatch.on(&field, "keydown", move |ev: &Event| {
                let k = ev.dyn_ref::<KeyboardEvent>()?;
                if k.key() == "Enter" && (k.ctrl_key() || k.meta_key()) {
                    ev.prevent_default();
                    return Some(Msg::Settings(SettingsMsg::Paste(field_text(&f))));
                }
                None
            });
        }
        Ok(Paste {
            status: dom::need("paste-loss-status")?,
            table: dom::need("paste-verdicts")?,
            body: dom::need("paste-verdicts-body")?,
        })
    }

    pub fn sync(&mut self, f: &Frame) {
        if !f.change.paste {
            return;
        }
        let Some(p) = &f.model.feedback.paste else {
            return;
        };
        dom::set_text(&self.status, &p.sentence);
        dom::toggle_class(&self.status, "error", p.error);
        dom::set_data(
            &self.status,
            "error",
            if p.error { "true" } else { "false" },
        );
        match &p.verdicts {
            Some([missing, empty]) => {
                self.body.set_inner_html(&format!(
                    "<tr data-key=\"pasted\"><th scope=\"row\">{}</th>{}{}</tr>",
                    esc("your pasted loss"),
                    cell("pasted", "missing", missing),
                    cell("pasted", "empty", empty),
                ));
                dom::set_hidden(&self.table, false);
            }
            None => {
                self.body.set_inner_html("");
                dom::set_hidden(&self.table, true);
            }
        }
    }
}
