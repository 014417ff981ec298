//! The browser app (wasm32 only): builds the page, reads the link, installs the app and
//! its event handlers, and exposes test hooks (`window.diceDebug`, `window.__diceFrames`).
//!
//! Modules: `app` (state, history, cached evaluation, dirty flags, frame loop), `events`
//! (pointer/keyboard → state), `controls` (the panel), `readout` (loss, sets, hover),
//! `render` (canvases and legend), `tools` (brush settings over `crate::paint`), `dom`.

pub mod app;
pub mod controls;
pub mod dom;
pub mod events;
pub mod readout;
pub mod render;
pub mod tools;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use crate::route;

use app::{with_app, App};

/// Shows a fatal error as a red banner instead of a dead page.
fn show_fatal(msg: &str) {
    let Ok(doc) = dom::document() else { return };
    let banner = match doc.get_element_by_id("fatal") {
        Some(b) => b,
        None => {
            let Ok(b) = doc.create_element("div") else {
                return;
            };
            b.set_id("fatal");
            let _ = b.set_attribute("role", "alert");
            if let Some(body) = doc.body() {
                let _ = body.prepend_with_node_1(&b);
            }
            b
        }
    };
    banner.set_text_content(Some(&format!(
        "Something went wrong and the playground stopped: {msg} — reload the page to start again."
    )));
    if let Some(b) = banner.dyn_ref::<HtmlElement>() {
        b.set_hidden(false);
    }
    if let Some(body) = doc.body() {
        let _ = body.dataset().set("error", "true");
    }
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_fatal(&info.to_string());
    }));
}

/// The page skeleton; `index.html` only holds the stylesheet and the wasm link.
fn build_page(perf: bool, embed: bool) -> dom::JsResult<()> {
    let doc = dom::document()?;
    let body = doc.body().ok_or_else(|| JsValue::from_str("no body"))?;
    let shell = dom::el("div", "app")?;
    shell.set_id("app");
    shell.set_inner_html(
        r#"<aside id="controls" aria-label="Controls"></aside>
<main id="main">
  <div id="notice" class="notice" role="status" hidden><span id="notice-text"></span><button type="button" id="notice-close" class="btn" title="Hide this message">×</button></div>
  <header class="topbar">
    <div class="loss-box" title="The loss DL = 1 − mean over the sets φ of sDSC_φ">
      <div id="loss-name" class="loss-name">Dice loss</div>
      <div id="loss-value" class="loss-value" data-value="undefined">…</div>
      <div id="loss-why" class="loss-why"></div>
      <div id="loss-sub" class="loss-sub"></div>
      <div id="loss-code" class="loss-code" title="The MONAI call that computes the same loss"></div>
    </div>
    <div class="side-box">
      <div id="legend" class="legend"></div>
      <div id="hover-info" class="hover-info" aria-live="polite"></div>
    </div>
  </header>
  <div id="grid-wrap"><div id="grid" class="grid"></div></div>
  <section id="sets-section" class="sets">
    <h2 id="sets-title">Reduction sets</h2>
    <div class="table-wrap"><table id="sets">
      <thead><tr>
        <th title="The reduction set">φ</th>
        <th title="The (image b, class c) cells summed in this set">cells</th>
        <th title="True volume V = Σ y (Σ y² when squared)">V</th>
        <th title="Predicted volume Ṽ = Σ ỹ (Σ ỹ² when squared)">Ṽ</th>
        <th title="Overlap X = Σ y·ỹ">X</th>
        <th title="Smoothed Dice sDSC = (2X + ε_nr)/(V + Ṽ + ε_dr)">sDSC</th>
        <th title="This set's term of the loss, 1 − sDSC">1 − sDSC</th>
        <th title="∂L/∂ỹ of every pixel with y = 1 in this set">∂L/∂ỹ on y = 1</th>
        <th title="∂L/∂ỹ of every pixel with y = 0 in this set">∂L/∂ỹ on y = 0</th>
        <th title="Why a value is missing, empty sets, floors">note</th>
      </tr></thead>
      <tbody id="sets-body"></tbody>
    </table></div>
  </section>
</main>"#,
    );
    dom::append(&body, &shell)?;
    if perf {
        let p = dom::text_el("div", "perf", "…")?;
        p.set_id("perf");
        p.set_title("Compute and draw time of the last frame (performance.now)");
        dom::append(&body, &p)?;
    }
    dom::toggle_class(&body, "embed", embed);
    if let Some(close) = dom::by_id::<HtmlElement>("notice-close") {
        dom::on(&close, "click", |_| {
            with_app(|a| a.set_notice(None, false));
        });
    }
    Ok(())
}

/// `window.diceDebug = { cliInput(), gradAt(b, c, i, j), loss() }` for end-to-end tests.
fn install_debug() -> dom::JsResult<()> {
    let w = dom::window()?;
    let obj = js_sys::Object::new();
    let cli = Closure::<dyn Fn() -> JsValue>::new(|| {
        with_app(|a| JsValue::from_str(&crate::ui::cli_input(&a.state).to_string()))
            .unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&obj, &"cliInput".into(), cli.as_ref())?;
    cli.forget();
    let grad = Closure::<dyn Fn(JsValue, JsValue, JsValue, JsValue) -> JsValue>::new(
        |b: JsValue, c: JsValue, i: JsValue, j: JsValue| {
            let idx = |v: &JsValue| {
                v.as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0 && x.fract() == 0.0)
                    .map(|x| x as usize)
            };
            let (Some(b), Some(c), Some(i), Some(j)) = (idx(&b), idx(&c), idx(&i), idx(&j)) else {
                return JsValue::NULL;
            };
            with_app(|a| a.grad_at(b, c, i, j))
                .flatten()
                .map_or(JsValue::NULL, JsValue::from_f64)
        },
    );
    js_sys::Reflect::set(&obj, &"gradAt".into(), grad.as_ref())?;
    grad.forget();
    let hash = Closure::<dyn Fn() -> JsValue>::new(|| {
        with_app(|a| JsValue::from_str(&route::hash_of(&a.state))).unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&obj, &"hash".into(), hash.as_ref())?;
    hash.forget();
    // Lets tests check that a crash shows the red banner instead of a dead page.
    let crash =
        Closure::<dyn Fn()>::new(|| panic!("test panic requested by diceDebug.panicForTest()"));
    js_sys::Reflect::set(&obj, &"panicForTest".into(), crash.as_ref())?;
    crash.forget();
    js_sys::Reflect::set(&w, &"diceDebug".into(), &obj)?;
    js_sys::Reflect::set(&w, &"__diceFrames".into(), &js_sys::Array::new())?;
    Ok(())
}

fn start_app() -> dom::JsResult<()> {
    let w = dom::window()?;
    let search = w.location().search().unwrap_or_default();
    let perf = search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == "perf" || p.starts_with("perf="));
    let hash = w.location().hash().unwrap_or_default();
    let (r, msg) = route::resolve(&hash);
    build_page(perf, r.state.view.embed)?;
    let controls = controls::Controls::build()?;
    let readout = readout::Readout::find()?;
    let legend = render::Legend::build()?;
    let mut app = App::new(r.state, controls, readout, legend, perf);
    if let Some(m) = msg {
        app.notice = Some(app::Notice {
            text: m,
            error: true,
        });
    }
    app::install(app);
    events::wire();
    install_debug()?;
    app::schedule();
    Ok(())
}

#[wasm_bindgen(start)]
pub fn start() {
    install_panic_hook();
    if let Err(e) = start_app() {
        let msg = e.as_string().unwrap_or_else(|| format!("{e:?}"));
        show_fatal(&format!("the page could not be built ({msg})"));
    }
}
