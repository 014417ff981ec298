//! The page's on-demand worker, loaded only when used so neither the loss parser nor the
//! array readers are in the page's first load (`scripts/bundle-size.py`).
//! `paste_worker_start.js` loads it in a web worker and answers each posted message:
//! - "Paste your loss": `read(text)` reads a call with `present::paste` and returns the
//!   answer as a flat array (`present::paste::wire`); the page starts it from
//!   `src/web/paste.rs`.
//! - "Your data": `read_pair` reads a label/prediction pair opened or dropped in the page
//!   with the CLI's own readers (`engine::arrays`) and keeps it; `show_pair` fits the part
//!   the page shows (`page::yourdata::fit`) and returns the fitted arrays, which the page
//!   places into its scene; the page starts it from `src/web/yourdata.rs`.
//!   The bytes never leave the browser.
//!
//! Native builds get an empty program (the parser and the readers are tested natively as
//! a library).

fn main() {}

/// The answer to one pasted call.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn read(text: &str) -> js_sys::Array {
    use dice_playground::present::paste::read_loss;
    use dice_playground::present::paste::wire::{to_fields, Field};
    use wasm_bindgen::JsValue;
    to_fields(&read_loss(text))
        .into_iter()
        .map(|f| match f {
            Field::Bool(b) => JsValue::from_bool(b),
            Field::Num(v) => JsValue::from_f64(v),
            Field::Str(s) => JsValue::from_str(&s),
        })
        .collect()
}

/// "Your data": the pair last read, kept here so a new pick of images, slice or class
/// count, or Swap, needs no new reading.
#[cfg(target_arch = "wasm32")]
mod data {
    use std::cell::RefCell;

    use dice_playground::engine::arrays::from_bytes;
    use dice_playground::page::yourdata::{assign, fit, Loaded, Pick};
    use js_sys::{Array, Float64Array};
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::JsValue;

    thread_local! {
        static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
    }

    /// Which of the files (`names`) hold the labels and the predictions: `[y, pred]`
    /// indices, or `[message]`.
    #[wasm_bindgen]
    pub fn assign_files(names: Vec<String>) -> Array {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        match assign(&refs) {
            Ok((y, p)) => Array::of2(&JsValue::from(y as u32), &JsValue::from(p as u32)),
            Err(e) => Array::of1(&JsValue::from_str(&e)),
        }
    }

    /// Reads the pair with the CLI's readers and keeps it; the message when it cannot.
    #[wasm_bindgen]
    pub fn read_pair(y: &[u8], y_name: &str, pred: &[u8], pred_name: &str) -> Option<String> {
        let read = from_bytes(y, y_name, "y").and_then(|y| {
            Ok(Loaded {
                y,
                pred: from_bytes(pred, pred_name, "pred")?,
                y_file: y_name.to_string(),
                pred_file: pred_name.to_string(),
            })
        });
        match read {
            Ok(l) => {
                LOADED.with(|d| *d.borrow_mut() = Some(l));
                None
            }
            Err(e) => Some(e),
        }
    }

    /// The kept pair the other way round.
    #[wasm_bindgen]
    pub fn swap_pair() {
        LOADED.with(|d| {
            if let Some(l) = d.borrow_mut().as_mut() {
                std::mem::swap(&mut l.y, &mut l.pred);
                std::mem::swap(&mut l.y_file, &mut l.pred_file);
            }
        });
    }

    /// The part of the kept pair the page shows (`page::yourdata::fit`): `[numbers, status,
    /// files, notes…]` with the numbers of `Fitted::to_wire` as a Float64Array, or
    /// `[message]`. `slice` < 0: the middle one; `classes` 0: none.
    #[wasm_bindgen]
    pub fn show_pair(first: u32, slice: i32, classes: u32) -> Array {
        let pick = Pick {
            first: first as usize,
            slice: usize::try_from(slice).ok(),
            classes: Some(classes as usize).filter(|&c| c > 0),
        };
        LOADED.with(|d| {
            let d = d.borrow();
            let Some(l) = d.as_ref() else {
                return Array::of1(&JsValue::from_str("no files are open yet"));
            };
            match fit(l, pick) {
                Ok(f) => {
                    let (nums, text) = f.to_wire();
                    let out = Array::of1(&Float64Array::from(&nums[..]));
                    for t in &text {
                        out.push(&JsValue::from_str(t));
                    }
                    out
                }
                Err(e) => Array::of1(&JsValue::from_str(&e)),
            }
        })
    }
}
