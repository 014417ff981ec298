//! "Your data": a file input and a drop zone for a label/prediction pair, the class count
//! of an integer label map, the first image and slice shown, Swap, the status line and the
//! notes on what was cropped or down-sampled. The files go to the on-demand worker
//! (`paste_worker_start.js`), started on first use, which reads them with the CLI's
//! readers and fits the part the page shows, so neither is in the page's first load; its
//! answer becomes one data message. Nothing is sent anywhere.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, HtmlElement};

use crate::page::msg::{DataMsg, Msg};
use crate::page::yourdata::Shown;
use crate::present::figure::esc;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::paste::{get, start_worker};
use super::Frame;

type Worker = Rc<RefCell<Option<JsValue>>>;

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

/// The worker's `show_pair` answer as what the page shows, or why not.
fn shown(a: &Array) -> Result<Shown, String> {
    let text = |k| a.get(k).as_string().unwrap_or_default();
    if a.length() < 4 {
        return Err(a
            .get(0)
            .as_string()
            .unwrap_or_else(|| "The files could not be read.".into()));
    }
    let n = |k| a.get(k).as_f64().unwrap_or(0.0) as usize;
    Ok(Shown {
        hash: text(0),
        status: text(1),
        images: n(2),
        slices: n(3),
        notes: (4..a.length()).map(text).collect(),
    })
}

/// The worker's answer (or its failure to load: an error event has no data) as a message.
fn answer(d: Dispatch) -> impl FnMut(Event) {
    move |ev| {
        let data = get(&ev, "data");
        let shown =
            if data.is_undefined() {
                Err("The file reader could not be loaded; reload the page and open the files again."
                .to_string())
            } else {
                shown(&Array::from(&get(&data, "answer")))
            };
        d.send(Msg::Data(DataMsg::Shown(Box::new(shown))));
    }
}

/// Posts a request (`kind`, with `files` for "read") and the fields' pick to the worker,
/// starting it on first use.
fn post(worker: &Worker, d: &Dispatch, kind: &str, files: Option<&JsValue>, status: &HtmlElement) {
    let mut w = worker.borrow_mut();
    if w.is_none() {
        if kind != "read" {
            // Nothing was read yet: a pick has nothing to show.
            return;
        }
        *w = start_worker(answer(d.clone()), answer(d.clone())).ok();
    }
    let num = |id| JsValue::from(number(id).map_or(-1, |v| v as i32));
    let msg = Array::of5(
        &kind.into(),
        files.unwrap_or(&JsValue::NULL),
        &num("yourdata-first"),
        &num("yourdata-slice"),
        &num("yourdata-classes"),
    );
    // The page's link (the address bar follows the page): the worker fits the data into
    // that scene, so it keeps the page's settings.
    let hash = dom::window().ok().and_then(|w| w.location().hash().ok());
    msg.push(&hash.unwrap_or_default().into());
    let call = w.as_ref().map(|w| (get(w, "postMessage"), w));
    match call
        .as_ref()
        .and_then(|(f, w)| Some((f.dyn_ref::<Function>()?, w)))
    {
        Some((f, w)) => {
            // Until the answer's message is drawn (tests wait for this to go).
            dom::set_data(status, "pending", "true");
            if kind == "read" {
                dom::set_text(status, "Reading the files in this browser…");
            }
            let _ = f.call1(w, &msg);
        }
        _ => {
            let why = "The file reader could not be started in this browser.";
            d.send(Msg::Data(DataMsg::Shown(Box::new(Err(why.into())))));
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
        let worker: Worker = Rc::default();
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
