//! Builders of the control panel's widgets, and setters that write a value only when it
//! differs (so syncing costs no layout) and never into a field being edited.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::web::dom::{self, JsResult};

fn cast<T: JsCast>(e: HtmlElement) -> JsResult<T> {
    e.dyn_into::<T>()
        .map_err(|_| JsValue::from_str("unexpected element type"))
}

pub fn section(parent: &Element, title: &str, tip: &str) -> JsResult<HtmlElement> {
    let s = dom::el("section", "panel")?;
    let h = dom::text_el("h2", "", title)?;
    h.set_title(tip);
    dom::append(&s, &h)?;
    dom::append(parent, &s)?;
    Ok(s)
}

pub fn row(parent: &Element, class: &str) -> JsResult<HtmlElement> {
    let r = dom::el("div", &format!("row {class}"))?;
    dom::append(parent, &r)?;
    Ok(r)
}

pub use crate::web::dom::button;

/// A checkbox with its label; returns (input, label element).
pub fn checkbox(
    parent: &Element,
    id: &str,
    text: &str,
    tip: &str,
) -> JsResult<(HtmlInputElement, HtmlElement)> {
    let label = dom::el("label", "check")?;
    label.set_title(tip);
    let input: HtmlInputElement = cast(dom::el("input", "")?)?;
    input.set_type("checkbox");
    input.set_id(id);
    input.set_title(tip);
    dom::append(&label, &input)?;
    let span = dom::text_el("span", "", text)?;
    dom::append(&label, &span)?;
    dom::append(parent, &label)?;
    Ok((input, label))
}

pub fn range(
    parent: &Element,
    id: &str,
    (min, max, step): (f64, f64, f64),
    tip: &str,
) -> JsResult<HtmlInputElement> {
    let input: HtmlInputElement = cast(dom::el("input", "range")?)?;
    input.set_type("range");
    input.set_id(id);
    input.set_min(&min.to_string());
    input.set_max(&max.to_string());
    input.set_step(&step.to_string());
    input.set_title(tip);
    dom::append(parent, &input)?;
    Ok(input)
}

pub fn text_input(parent: &Element, id: &str, tip: &str) -> JsResult<HtmlInputElement> {
    let input: HtmlInputElement = cast(dom::el("input", "num")?)?;
    input.set_type("text");
    input.set_id(id);
    input.set_title(tip);
    dom::set_attr(&input, "inputmode", "decimal");
    dom::set_attr(&input, "spellcheck", "false");
    dom::set_attr(&input, "autocomplete", "off");
    dom::append(parent, &input)?;
    Ok(input)
}

/// A select with (value, text) options; returns it and its option elements.
pub fn select(
    parent: &Element,
    id: &str,
    tip: &str,
    options: &[(String, String)],
) -> JsResult<(HtmlSelectElement, Vec<HtmlElement>)> {
    let s: HtmlSelectElement = cast(dom::el("select", "")?)?;
    s.set_id(id);
    s.set_title(tip);
    let mut opts = Vec::new();
    for (value, text) in options {
        let o = dom::text_el("option", "", text)?;
        dom::set_attr(&o, "value", value);
        dom::append(&s, &o)?;
        opts.push(o);
    }
    dom::append(parent, &s)?;
    Ok((s, opts))
}

pub fn labelled(parent: &Element, text: &str, tip: &str) -> JsResult<HtmlElement> {
    let l = dom::text_el("span", "label", text)?;
    l.set_title(tip);
    dom::append(parent, &l)?;
    Ok(l)
}

/// Names `control` by the visible `label` (for screen readers: a title alone is not a
/// name); `suffix` tells apart two controls of one label (a field and its slider).
pub fn label_for(label: &HtmlElement, control: &Element, suffix: &str) {
    let id = if label.id().is_empty() {
        let id = format!("{}-label", control.id());
        label.set_id(&id);
        id
    } else {
        label.id()
    };
    if suffix.is_empty() {
        dom::set_attr(control, "aria-labelledby", &id);
    } else {
        let text = label.text_content().unwrap_or_default();
        dom::set_attr(control, "aria-label", &format!("{text} {suffix}"));
    }
}

pub fn pressed(b: &HtmlButtonElement, on: bool) {
    dom::set_attr(b, "aria-pressed", if on { "true" } else { "false" });
    dom::toggle_class(b, "on", on);
}

pub fn set_checked(i: &HtmlInputElement, on: bool) {
    if i.checked() != on {
        i.set_checked(on);
    }
}

/// Writes an input's value, unless it has focus (the person may be half-way through).
pub fn set_value(i: &HtmlInputElement, v: &str) {
    if i.value() != v && !dom::has_focus(i) {
        i.set_value(v);
    }
}

pub fn set_select(s: &HtmlSelectElement, v: &str) {
    if s.value() != v {
        s.set_value(v);
    }
}

/// A checkbox's state as a message.
pub fn on_check(
    dispatch: &crate::web::dispatch::Dispatch,
    input: &HtmlInputElement,
    msg: fn(bool) -> crate::page::msg::Msg,
) {
    let i = input.clone();
    dispatch.on(input, "change", move |_| Some(msg(i.checked())));
}
