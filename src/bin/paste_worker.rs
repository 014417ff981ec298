//! The "Paste your loss" worker: `read(text)` reads a call with `present::paste` and
//! returns the answer as a flat array (`present::paste::wire`). `paste_worker_start.js`
//! loads it in a web worker and answers each posted call; the page starts that worker on
//! first use (`src/web/paste.rs`), so the parser is not in the page's first load. Native
//! builds get an empty program (the parser is tested natively as a library).

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
