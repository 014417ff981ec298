//! "Paste your loss", beside the verdict matrix: a text field for a library's loss call,
//! an Apply button, the status line (what was set, what the page does not show, or why
//! nothing was) and the applied loss's verdicts on a missing and an empty label, drawn as
//! the matrix draws its rows. The call is read in a web worker started on first use
//! (`paste_worker_start.js`, `src/bin/paste_worker.rs`), so the parser is not part of the
//! page's first load; its answer becomes one settings message.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{EventTarget, HtmlElement};

use crate::page::msg::{Msg, SettingsMsg};
use crate::present::figure::esc;
use crate::present::paste::wire::{from_fields, Field};

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::matrix::cell;
use super::Frame;

/// The worker's script (copied by trunk, index.html): it loads the reader module.
const WORKER_URL: &str = "./paste_worker_start.js";

pub struct Paste {
    status: HtmlElement,
    table: HtmlElement,
    body: HtmlElement,
}

pub(super) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The worker's answer (an array of strings, numbers and booleans) as fields.
fn fields_of(data: &JsValue) -> Vec<Field> {
    Array::from(data)
        .iter()
        .map(|v| match (v.as_bool(), v.as_f64()) {
            (Some(b), _) => Field::Bool(b),
            (_, Some(x)) => Field::Num(x),
            _ => Field::Str(v.as_string().unwrap_or_default()),
        })
        .collect()
}

/// Starts the worker; each answer becomes a settings message. The worker is reached
/// through plain JS property calls: typed bindings for it would cost the page's first
/// load more than the rest of this panel.
fn start(dispatch: &Dispatch, worker: &Rc<RefCell<Option<JsValue>>>) -> Result<JsValue, JsValue> {
    start_worker(
        answer(dispatch.clone(), worker.clone()),
        answer(dispatch.clone(), worker.clone()),
    )
}

/// A new instance of the on-demand worker (each panel starts its own, so their answers
/// never cross), with its message and error handlers.
pub(super) fn start_worker(
    on_message: impl FnMut(web_sys::Event) + 'static,
    on_error: impl FnMut(web_sys::Event) + 'static,
) -> Result<JsValue, JsValue> {
    let class: Function = get(&js_sys::global(), "Worker").dyn_into()?;
    let worker = Reflect::construct(&class, &Array::of1(&JsValue::from_str(WORKER_URL)))?;
    let target: &EventTarget = worker.unchecked_ref();
    dom::on(target, "message", on_message);
    dom::on(target, "error", on_error);
    Ok(worker)
}

/// The worker's answer, or its failure to start (a module that did not load answers
/// `{failed}`; a script that did not load is an error event, which has no data), as a
/// message. One handler for both, so the page carries one closure for them. A worker that
/// could not start is dropped, so the next Apply starts a new one.
fn answer(d: Dispatch, worker: Rc<RefCell<Option<JsValue>>>) -> impl FnMut(web_sys::Event) {
    move |ev| {
        let data = get(&ev, "data");
        let failed = if data.is_undefined() {
            let why = get(&ev, "message").as_string();
            Some(why.unwrap_or_else(|| "its script did not load".into()))
        } else {
            get(&data, "failed").as_string()
        };
        let read = match failed {
            Some(why) => {
                if let Some(w) = worker.borrow_mut().take() {
                    let _ = get(&w, "terminate")
                        .dyn_ref::<Function>()
                        .map(|f| f.call0(&w));
                }
                let why = why.trim_start_matches("the worker could not start: ");
                Err(format!(
                    "The loss reader (a worker) could not start: {why}. Press Apply to try again."
                ))
            }
            None => from_fields(&fields_of(&data)),
        };
        d.send(Msg::Settings(SettingsMsg::Paste(Box::new(read))));
    }
}

/// Posts `text` to the worker, starting it on first use.
fn read(worker: &Rc<RefCell<Option<JsValue>>>, dispatch: &Dispatch, text: &str) {
    let mut w = worker.borrow_mut();
    if w.is_none() {
        *w = start(dispatch, worker).ok();
    }
    let post = w.as_ref().map(|w| (get(w, "postMessage"), w));
    match post
        .as_ref()
        .and_then(|(f, w)| Some((f.dyn_ref::<Function>()?, w)))
    {
        Some((f, w)) => {
            let _ = f.call1(w, &JsValue::from_str(text));
        }
        None => {
            let why = "The loss reader could not be started in this browser.";
            dispatch.send(Msg::Settings(SettingsMsg::Paste(Box::new(Err(why.into())))));
        }
    }
}

/// The field's text (a `<textarea>`, read as a property: web-sys's textarea type is not
/// compiled in).
fn field_text(field: &HtmlElement) -> String {
    get(field, "value").as_string().unwrap_or_default()
}

impl Paste {
    /// Wires the panel the skeleton holds (`#paste`).
    pub fn build(dispatch: &Dispatch) -> JsResult<Paste> {
        let field: HtmlElement = dom::need("paste-loss")?;
        let apply: HtmlElement = dom::need("paste-loss-apply")?;
        let status: HtmlElement = dom::need("paste-loss-status")?;
        let worker = Rc::new(RefCell::new(None));
        let (s, d) = (status.clone(), dispatch.clone());
        dom::on(&apply, "click", move |_| {
            // Until the answer's message is drawn (tests wait for this to go).
            dom::set_data(&s, "pending", "true");
            read(&worker, &d, &field_text(&field));
        });
        Ok(Paste {
            status,
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
        dom::set_answer(&self.status, &p.sentence, p.error);
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
