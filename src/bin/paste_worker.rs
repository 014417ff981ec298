//! The page's on-demand worker, loaded only when used so neither the loss parser nor the
//! array readers are in the page's first load (`scripts/bundle-size.py`).
//! `paste_worker_start.js` loads it in a web worker and answers each posted message:
//! - "Paste your loss": `read(text)` reads a call with `present::paste` and returns the
//!   answer as a flat array (`present::paste::wire`); the page starts it from
//!   `src/web/paste.rs`.
//! - "Your data": `read_array(bytes, file, name)` reads one array of a file opened or
//!   dropped in the page with the CLI's own readers (`engine::arrays`); the page starts it
//!   from `src/web/yourdata.rs`. The bytes never leave the browser.
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

/// Array `name` ("y" or "pred") of the file named `file` whose bytes are `bytes`:
/// `[dims, integer, values]` (an array of numbers, a boolean, a Float64Array), or
/// `[message]` when it cannot be read.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn read_array(bytes: &[u8], file: &str, name: &str) -> js_sys::Array {
    use dice_playground::engine::arrays::from_bytes;
    use wasm_bindgen::JsValue;
    match from_bytes(bytes, file, name) {
        Ok(a) => {
            let dims: js_sys::Array = a
                .dims
                .iter()
                .map(|&d| JsValue::from_f64(d as f64))
                .collect();
            js_sys::Array::of3(
                &dims,
                &JsValue::from_bool(a.integer),
                &js_sys::Float64Array::from(&a.values[..]),
            )
        }
        Err(e) => js_sys::Array::of1(&JsValue::from_str(&e)),
    }
}
