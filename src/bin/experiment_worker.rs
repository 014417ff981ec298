//! The Experiment panel's worker: `run(config)` reads an experiment config exactly as
//! `dice experiment` does (`cli::experiment::config_from_str`), trains its runs a chunk at
//! a time (`RunState::advance`) and posts, as flat arrays:
//!
//! - `["progress", run, done, total]` between chunks;
//! - `["run", run, b_ratio, a_dice, auc, volume_error]` when a run ends;
//! - `["done", result, steps_per_second]` at the end, `result` the JSON text
//!   `dice experiment` writes for the same config;
//! - `["error", why]` when the config is refused.
//!
//! `experiment_worker_start.js` loads it in a web worker; the page starts that worker on
//! first use and cancels a run by terminating it (`src/web/experiment.rs`). Native builds
//! get an empty program (the experiment is tested natively as a library).

fn main() {}

/// Steps trained between two progress messages.
#[cfg(target_arch = "wasm32")]
const CHUNK: usize = 10;

#[cfg(target_arch = "wasm32")]
fn post(items: Vec<wasm_bindgen::JsValue>) {
    use js_sys::{Array, Function, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let scope = js_sys::global();
    let post = Reflect::get(&scope, &JsValue::from_str("postMessage"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(f) = post {
        let _ = f.call1(&scope, &items.into_iter().collect::<Array>());
    }
}

/// Runs the experiment of `config`, posting as it goes.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn run(config: &str) {
    use dice_playground::cli::experiment::{config_from_str, to_json};
    use dice_playground::engine::experiment::Experiment;
    use wasm_bindgen::JsValue;
    let s = JsValue::from_str;
    let n = JsValue::from_f64;
    let exp = match config_from_str(config).and_then(Experiment::new) {
        Ok(e) => e,
        Err(why) => return post(vec![s("error"), s(&why)]),
    };
    let now = || js_sys::Date::now();
    let (start, mut steps) = (now(), 0usize);
    let mut results = Vec::with_capacity(exp.config.runs.len());
    for i in 0..exp.config.runs.len() {
        let mut state = match exp.start(i) {
            Ok(st) => st,
            Err(why) => return post(vec![s("error"), s(&why)]),
        };
        while !state.is_finished() {
            steps += state.advance(CHUNK);
            post(vec![
                s("progress"),
                n(i as f64),
                n(state.done() as f64),
                n(state.total() as f64),
            ]);
        }
        let r = state.finish(&exp);
        let m = &r.measures;
        let msg = vec![
            s("run"),
            n(i as f64),
            n(m.b_ratio),
            n(m.a_dice),
            n(m.auc),
            n(m.volume_error),
        ];
        post(msg);
        results.push(r);
    }
    let seconds = (now() - start) / 1000.0;
    let text = serde_json::to_string(&to_json(&exp, &results)).expect("JSON");
    post(vec![
        s("done"),
        s(&text),
        n(steps as f64 / seconds.max(1e-3)),
    ]);
}
