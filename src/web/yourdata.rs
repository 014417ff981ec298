//! "Your data": a file input and a drop zone for a label/prediction pair, the class count
//! of an integer label map, the first image and slice shown, Swap, the status line and the
//! notes on what was cropped or down-sampled. The files go to the on-demand worker
//! (`paste_worker_start.js`, the CLI's readers compiled for the browser), started on first
//! use, so the readers are not in the page's first load; its answer becomes one data
//! message. Nothing is sent anywhere.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Float64Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, HtmlElement};

use crate::engine::arrays::Array as Values;
use crate::page::msg::{DataMsg, Msg};
use crate::page::yourdata::{assign, status, Loaded, Pick};
use crate::present::figure::esc;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::paste::{get, start_worker};
use super::Frame;

pub struct YourData {
    status: HtmlElement,
    notes: HtmlElement,
    slice: HtmlElement,
    swap: HtmlElement,
    link: HtmlElement,
    first: HtmlElement,
    slice_field: HtmlElement,
}

/// A number field's value (`None` when empty or not a whole number ≥ 0).
fn number(field: &HtmlElement) -> Option<usize> {
    get(field, "value").as_string()?.trim().parse().ok()
}

/// The pick the fields say.
fn pick() -> Pick {
    let field = |id: &str| dom::by_id::<HtmlElement>(id).and_then(|f| number(&f));
    Pick {
        first: field("yourdata-first").unwrap_or(0),
        slice: field("yourdata-slice"),
        classes: field("yourdata-classes").filter(|&c| c > 0),
    }
}

/// One array of the worker's answer: `[dims, integer, values]` or `[message]`.
fn values_of(v: &JsValue) -> Result<Values, String> {
    let a = Array::from(v);
    if a.length() != 3 {
        return Err(a
            .get(0)
            .as_string()
            .unwrap_or_else(|| "the file could not be read".into()));
    }
    let dims = Array::from(&a.get(0))
        .iter()
        .map(|d| d.as_f64().unwrap_or(0.0) as usize)
        .collect();
    Ok(Values {
        dims,
        integer: a.get(1).as_bool().unwrap_or(false),
        values: Float64Array::new(&a.get(2)).to_vec(),
    })
}

/// The worker's answer (or its failure to load: an error event has no data) as a message.
fn answer(d: Dispatch) -> impl FnMut(Event) {
    move |ev| {
        let data = get(&ev, "data");
        let read =
            if data.is_undefined() {
                Err("The file reader could not be loaded; reload the page and open the files again."
                .to_string())
            } else {
                let name = |k: &str| get(&data, k).as_string().unwrap_or_default();
                values_of(&get(&data, "y")).and_then(|y| {
                    Ok(Loaded {
                        y,
                        pred: values_of(&get(&data, "pred"))?,
                        y_file: name("yName"),
                        pred_file: name("predName"),
                    })
                })
            };
        d.send(Msg::Data(DataMsg::Read(Box::new(read), pick().classes)));
    }
}

/// Sends the chosen files (a FileList) to the worker, starting it on first use.
fn open(worker: &RefCell<Option<JsValue>>, d: &Dispatch, files: &JsValue, status: &HtmlElement) {
    let n = get(files, "length").as_f64().unwrap_or(0.0) as u32;
    let list: Vec<JsValue> = (0..n)
        .filter_map(|i| Reflect::get_u32(files, i).ok())
        .collect();
    let names: Vec<String> = list
        .iter()
        .map(|f| get(f, "name").as_string().unwrap_or_default())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (yi, pi) = match assign(&refs) {
        Ok(pair) => pair,
        Err(why) => return d.send(Msg::Data(DataMsg::Read(Box::new(Err(why)), None))),
    };
    let mut w = worker.borrow_mut();
    if w.is_none() {
        *w = start_worker(answer(d.clone()), answer(d.clone())).ok();
    }
    let msg = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&msg, &JsValue::from_str(k), v).is_ok();
    let ok = set("kind", &JsValue::from_str("read"))
        && set("y", &list[yi])
        && set("pred", &list[pi])
        && set("yName", &JsValue::from_str(&names[yi]))
        && set("predName", &JsValue::from_str(&names[pi]));
    let post = w.as_ref().map(|w| (get(w, "postMessage"), w));
    match post
        .as_ref()
        .and_then(|(f, w)| Some((f.dyn_ref::<Function>()?, w)))
    {
        Some((f, w)) if ok => {
            dom::set_data(status, "pending", "true");
            dom::set_text(
                status,
                &format!("Reading {} in this browser…", names.join(" and ")),
            );
            let _ = f.call1(w, &msg);
        }
        _ => {
            let why = "The file reader could not be started in this browser.";
            d.send(Msg::Data(DataMsg::Read(Box::new(Err(why.into())), None)));
        }
    }
}

impl YourData {
    /// Wires the panel the skeleton holds (`#yourdata`).
    pub fn build(dispatch: &Dispatch) -> JsResult<YourData> {
        let input: HtmlElement = dom::need("yourdata-files")?;
        let drop: HtmlElement = dom::need("yourdata-drop")?;
        let status: HtmlElement = dom::need("yourdata-status")?;
        let worker = Rc::new(RefCell::new(None));
        let (w, d, s) = (worker.clone(), dispatch.clone(), status.clone());
        let field = input.clone();
        dom::on(&input, "change", move |_| {
            open(&w, &d, &get(&field, "files"), &s);
        });
        dom::on(&drop, "dragover", |ev| ev.prevent_default());
        let (w, d, s) = (worker, dispatch.clone(), status.clone());
        dom::on(&drop, "drop", move |ev| {
            ev.prevent_default();
            open(&w, &d, &get(&get(&ev, "dataTransfer"), "files"), &s);
        });
        for id in ["yourdata-classes", "yourdata-first", "yourdata-slice"] {
            let d = dispatch.clone();
            let f: HtmlElement = dom::need(id)?;
            dom::on(&f, "change", move |_| {
                d.send(Msg::Data(DataMsg::Pick(pick())))
            });
        }
        let swap: HtmlElement = dom::need("yourdata-swap")?;
        let d = dispatch.clone();
        dom::on(&swap, "click", move |_| d.send(Msg::Data(DataMsg::Swap)));
        Ok(YourData {
            status,
            notes: dom::need("yourdata-notes")?,
            slice: dom::need("yourdata-slice-label")?,
            swap,
            link: dom::need("yourdata-link")?,
            first: dom::need("yourdata-first")?,
            slice_field: dom::need("yourdata-slice")?,
        })
    }

    pub fn sync(&mut self, f: &Frame) {
        if !f.change.yourdata {
            return;
        }
        let d = &f.model.data;
        let line = status(d, &f.model.state).unwrap_or_default();
        dom::set_text(&self.status, &line);
        dom::toggle_class(&self.status, "error", d.error);
        dom::set_data(
            &self.status,
            "error",
            if d.error { "true" } else { "false" },
        );
        dom::set_data(&self.status, "pending", "false");
        let notes = if d.error { &[][..] } else { &d.notes[..] };
        let items: String = notes
            .iter()
            .map(|n| format!("<li>{}</li>", esc(n)))
            .collect();
        self.notes.set_inner_html(&items);
        let shown = d.loaded.is_some() && !d.error;
        dom::set_hidden(&self.swap, d.loaded.is_none());
        dom::set_hidden(&self.link, !shown);
        dom::set_hidden(&self.slice, d.slices <= 1);
        let max =
            |e: &HtmlElement, n: usize| dom::set_attr(e, "max", &n.saturating_sub(1).to_string());
        max(&self.first, d.images);
        max(&self.slice_field, d.slices);
    }
}
