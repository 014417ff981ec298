//! "Your data": a file input and a drop zone for a label/prediction pair, the class count
//! of an integer label map, the first image and slice shown, Swap, the status line and the
//! notes on what was cropped or down-sampled. The files go to the on-demand worker
//! (`paste_worker_start.js`), started on first use, which reads them with the CLI's
//! readers and fits the part the page shows, so neither is in the page's first load; its
//! answer (the fitted arrays, which the page's update places into its scene) becomes one
//! data message, tagged with its request's id. Nothing is sent anywhere.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Float64Array, Function};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, HtmlElement};

use crate::page::msg::{DataMsg, Msg};
use crate::page::yourdata::Fitted;
use crate::present::figure::esc;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::paste::{get, start_worker};
use super::Frame;

/// The worker, once started, and the id of the latest request posted to it.
#[derive(Clone, Default)]
struct Worker {
    js: Rc<RefCell<Option<JsValue>>>,
    asked: Rc<Cell<u32>>,
}

impl Worker {
    /// Ends a worker that could not start, so the next request starts a new one.
    fn drop_dead(&self) {
        if let Some(w) = self.js.borrow_mut().take() {
            let _ = get(&w, "terminate")
                .dyn_ref::<Function>()
                .map(|f| f.call0(&w));
        }
    }
}

pub struct YourData {
    status: HtmlElement,
    notes: HtmlElement,
    slice: HtmlElement,
    swap: HtmlElement,
    link: HtmlElement,
}

/// A number field's value (`None` when empty or not a whole number ≥ 0).
fn number(id: &str) -> Option<u32> {
    let f: HtmlElement = dom::by_id(id)?;
    get(&f, "value").as_string()?.trim().parse().ok()
}

/// The worker's `show_pair` answer (`[numbers, status, files, notes…]` or `[message]`) as
/// the fitted data, or why not.
fn fitted(a: &Array) -> Result<Fitted, String> {
    let Ok(nums) = a.get(0).dyn_into::<Float64Array>() else {
        return Err(a
            .get(0)
            .as_string()
            .unwrap_or_else(|| "the files could not be read".into()));
    };
    let text = (1..a.length())
        .map(|k| a.get(k).as_string().unwrap_or_default())
        .collect();
    Fitted::from_wire(&nums.to_vec(), text)
}

/// The worker's answer, or its failure to start (a module that did not load answers
/// `{failed}`; a script that did not load is an error event, which has no data), as a
/// message. A worker that could not start is dropped.
fn answer(d: Dispatch, worker: Worker) -> impl FnMut(Event) {
    move |ev| {
        let data = get(&ev, "data");
        let id = get(&data, "id")
            .as_f64()
            .map_or_else(|| worker.asked.get(), |v| v as u32);
        let failed = if data.is_undefined() {
            let why = get(&ev, "message").as_string();
            Some(format!(
                "the worker could not start: {}",
                why.unwrap_or_else(|| "its script did not load".into())
            ))
        } else {
            get(&data, "failed").as_string()
        };
        let fitted = match failed {
            Some(why) => {
                worker.drop_dead();
                Err(why)
            }
            None => fitted(&Array::from(&get(&data, "answer"))),
        };
        let fitted = Box::new(fitted);
        d.send(Msg::Data(DataMsg::Shown { id, fitted }));
    }
}

/// Posts a request (`kind`, with `files` for "read") and the fields' pick to the worker,
/// starting it on first use, under a new id (the page keeps only the latest's answer).
fn post(worker: &Worker, d: &Dispatch, kind: &str, files: Option<&JsValue>, status: &HtmlElement) {
    let opening = kind == "read";
    let mut w = worker.js.borrow_mut();
    if w.is_none() {
        if !opening {
            // Nothing was read yet: a pick has nothing to show.
            return;
        }
        *w = start_worker(
            answer(d.clone(), worker.clone()),
            answer(d.clone(), worker.clone()),
        )
        .ok();
    }
    let id = worker.asked.get() + 1;
    worker.asked.set(id);
    d.send(Msg::Data(DataMsg::Asked { id, opening }));
    let num = |id| JsValue::from(number(id).map_or(-1, |v| v as i32));
    let msg = Array::of5(
        &kind.into(),
        files.unwrap_or(&JsValue::NULL),
        &num("yourdata-first"),
        &num("yourdata-slice"),
        &num("yourdata-classes"),
    );
    msg.push(&JsValue::from(id));
    let call = w.as_ref().map(|w| (get(w, "postMessage"), w));
    match call
        .as_ref()
        .and_then(|(f, w)| Some((f.dyn_ref::<Function>()?, w)))
    {
        Some((f, w)) => {
            // Until the answer's message is drawn (tests wait for this to go).
            dom::set_data(status, "pending", "true");
            if opening {
                dom::set_text(status, "Reading the files in this browser…");
            }
            let _ = f.call1(w, &msg);
        }
        _ => {
            let fitted = Box::new(Err("the worker could not start in this browser".into()));
            d.send(Msg::Data(DataMsg::Shown { id, fitted }));
        }
    }
}

impl YourData {
    /// Wires the panel the skeleton holds (`#yourdata`).
    pub fn build(dispatch: &Dispatch) -> JsResult<YourData> {
        let input: HtmlElement = dom::need("yourdata-files")?;
        let drop: HtmlElement = dom::need("yourdata-drop")?;
        let status: HtmlElement = dom::need("yourdata-status")?;
        let swap: HtmlElement = dom::need("yourdata-swap")?;
        let worker = Worker::default();
        let on = |target: &HtmlElement, event: &'static str, kind: &'static str| {
            let (w, d, s) = (worker.clone(), dispatch.clone(), status.clone());
            dom::on(target, event, move |ev: Event| {
                let files = match (kind, event) {
                    ("read", "drop") => {
                        ev.prevent_default();
                        Some(get(&get(&ev, "dataTransfer"), "files"))
                    }
                    ("read", _) => dom::event_element(&ev).map(|e| get(&e, "files")),
                    _ => None,
                };
                post(&w, &d, kind, files.as_ref(), &s);
            });
        };
        on(&input, "change", "read");
        on(&drop, "drop", "read");
        dom::on(&drop, "dragover", |ev| ev.prevent_default());
        for id in ["yourdata-classes", "yourdata-first", "yourdata-slice"] {
            on(&dom::need(id)?, "change", "pick");
        }
        on(&swap, "click", "swap");
        Ok(YourData {
            status,
            notes: dom::need("yourdata-notes")?,
            slice: dom::need("yourdata-slice-label")?,
            swap,
            link: dom::need("yourdata-link")?,
        })
    }

    pub fn sync(&mut self, f: &Frame) {
        if !f.change.yourdata {
            return;
        }
        let d = &f.model.data;
        dom::set_answer(&self.status, &d.status, d.error);
        let notes = if d.error { &[][..] } else { &d.notes[..] };
        let items: String = notes
            .iter()
            .map(|n| format!("<li>{}</li>", esc(n)))
            .collect();
        self.notes.set_inner_html(&items);
        let shown = d.shown && !d.error;
        dom::set_hidden(&self.swap, !d.shown);
        dom::set_hidden(&self.link, !shown);
        dom::set_hidden(&self.slice, d.slices <= 1);
    }
}
