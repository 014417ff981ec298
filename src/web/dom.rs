//! Small DOM helpers. Every JS failure becomes a `Result`/`Option`, never a panic.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, EventTarget, HtmlButtonElement, HtmlElement, HtmlInputElement, Window,
};

pub type JsResult<T> = Result<T, JsValue>;

pub fn window() -> JsResult<Window> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

pub fn document() -> JsResult<Document> {
    window()?
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// `performance.now()` in ms (0 if unavailable).
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

pub fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(msg));
}

/// Creates `<tag class="…">`.
pub fn el(tag: &str, class: &str) -> JsResult<HtmlElement> {
    let e = document()?.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    e.dyn_into::<HtmlElement>()
        .map_err(|_| JsValue::from_str("not an HTML element"))
}

/// Creates an element with text.
pub fn text_el(tag: &str, class: &str, text: &str) -> JsResult<HtmlElement> {
    let e = el(tag, class)?;
    e.set_text_content(Some(text));
    Ok(e)
}

/// The one button builder: a `type="button"` (never a form submit) with class `btn`, the
/// id (none when empty) and the tooltip, appended to `parent`.
pub fn button(parent: &Element, id: &str, text: &str, tip: &str) -> JsResult<HtmlButtonElement> {
    let b: HtmlButtonElement = text_el("button", "btn", text)?
        .dyn_into()
        .map_err(|_| JsValue::from_str("unexpected element type"))?;
    b.set_type("button");
    if !id.is_empty() {
        b.set_id(id);
    }
    b.set_title(tip);
    append(parent, &b)?;
    Ok(b)
}

pub fn append(parent: &Element, child: &Element) -> JsResult<()> {
    parent.append_child(child).map(|_| ())
}

pub fn by_id<T: JsCast>(id: &str) -> Option<T> {
    document().ok()?.get_element_by_id(id)?.dyn_into::<T>().ok()
}

/// The skeleton's element `#id`, which a view cannot work without.
pub fn need<T: JsCast>(id: &str) -> JsResult<T> {
    by_id(id).ok_or_else(|| JsValue::from_str(&format!("missing #{id}")))
}

pub fn set_attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

pub fn set_data(e: &HtmlElement, key: &str, value: &str) {
    let _ = e.dataset().set(key, value);
}

pub fn get_data(e: &HtmlElement, key: &str) -> Option<String> {
    e.dataset().get(key)
}

pub fn toggle_class(e: &Element, class: &str, on: bool) {
    let _ = e.class_list().toggle_with_force(class, on);
}

/// A worker's answer in a status line: its sentence, whether it is an error (class
/// `error`, `data-error`), and no longer pending (`data-pending`, which tests wait on).
pub fn set_answer(e: &HtmlElement, text: &str, error: bool) {
    set_text(e, text);
    toggle_class(e, "error", error);
    set_data(e, "error", if error { "true" } else { "false" });
    set_data(e, "pending", "false");
}

pub fn set_text(e: &Element, text: &str) {
    if e.text_content().as_deref() != Some(text) {
        e.set_text_content(Some(text));
    }
}

pub fn set_style(e: &HtmlElement, prop: &str, value: &str) {
    let _ = e.style().set_property(prop, value);
}

/// Colours every `.swatch[data-colour]` inside `root` through the CSSOM: the page's
/// Content-Security-Policy refuses `style="…"` attributes in markup, not style properties
/// set from script.
pub fn paint_swatches(root: &Element) {
    let Ok(list) = root.query_selector_all(".swatch[data-colour]") else {
        return;
    };
    for k in 0..list.length() {
        let Some(el) = list.item(k).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else {
            continue;
        };
        if let Some(colour) = el.get_attribute("data-colour") {
            set_style(&el, "background", &colour);
        }
    }
}

pub fn set_hidden(e: &HtmlElement, hidden: bool) {
    if e.hidden() != hidden {
        e.set_hidden(hidden);
    }
}

/// Adds a listener that lives as long as the page.
pub fn on(target: &EventTarget, event: &str, f: impl FnMut(Event) + 'static) {
    let cb = Closure::<dyn FnMut(Event)>::new(f);
    if target
        .add_event_listener_with_callback(event, cb.as_ref().unchecked_ref())
        .is_err()
    {
        warn(&format!("could not listen to {event}"));
    }
    cb.forget();
}

/// The element an event happened on, as an HTML element.
pub fn event_element(e: &Event) -> Option<HtmlElement> {
    e.target()?.dyn_into::<HtmlElement>().ok()
}

/// The nearest ancestor (or self) with `data-<key>`.
pub fn closest_with_data(e: &HtmlElement, key: &str) -> Option<HtmlElement> {
    let selector = format!("[data-{key}]");
    e.closest(&selector)
        .ok()
        .flatten()
        .and_then(|x| x.dyn_into::<HtmlElement>().ok())
}

/// Whether keyboard focus is in a text field (where Ctrl+Z belongs to the field).
pub fn focus_in_text_field() -> bool {
    let Ok(doc) = document() else { return false };
    match doc.active_element() {
        Some(a) => match a.dyn_ref::<HtmlInputElement>() {
            Some(input) => matches!(input.type_().as_str(), "text" | "number" | "search"),
            None => a.tag_name().eq_ignore_ascii_case("textarea"),
        },
        None => false,
    }
}

/// Whether keyboard focus is in any form field (text, slider, select), where plain keys
/// belong to the field.
pub fn focus_in_form_field() -> bool {
    let Ok(doc) = document() else { return false };
    doc.active_element().is_some_and(|a| {
        let tag = a.tag_name().to_ascii_lowercase();
        matches!(tag.as_str(), "input" | "select" | "textarea")
    })
}

/// Whether `e` currently has focus.
pub fn has_focus(e: &Element) -> bool {
    document()
        .ok()
        .and_then(|d| d.active_element())
        .is_some_and(|a| &a == e)
}

/// An element whose content is given as markup, redrawn without re-parsing when it can:
/// if the new markup differs from the shown one only in the text between tags (the
/// numbers of the formula or the sets table while a stroke goes on), just those text nodes
/// are rewritten, which leaves the DOM exactly as parsing the new markup would (same
/// elements, attributes and text) at a fraction of the cost (no HTML parsing, no new
/// layout objects). The last few shapes are kept, detached, so markup that alternates
/// between them (the formula of a y = 1 and of a y = 0 pixel under a moving pointer) is
/// not parsed again either. Any other change replaces the content.
pub struct Markup {
    el: HtmlElement,
    /// What is shown (`None`: nothing shown through this yet, or markup whose text nodes
    /// could not be matched to its text runs).
    shown: Option<Shape>,
    /// Shapes shown before, newest last, their nodes held in detached elements.
    kept: Vec<(Shape, Element)>,
}

/// One shape of markup: its tags with a marker for every text run, the runs' texts and
/// the text nodes that show them.
struct Shape {
    skeleton: String,
    texts: Vec<String>,
    nodes: Vec<web_sys::Node>,
}

/// Shapes kept for reuse.
const KEPT_SHAPES: usize = 4;

/// Markup split into its tags (with a marker where a non-empty text run was) and the
/// decoded text runs; `None` if a run holds an entity this does not decode.
fn split_markup(html: &str) -> Option<(String, Vec<String>)> {
    let mut skeleton = String::with_capacity(html.len());
    let mut texts = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        match rest.find('<') {
            Some(0) => {
                let end = rest.find('>')? + 1;
                skeleton.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            found => {
                let end = found.unwrap_or(rest.len());
                texts.push(decode_entities(&rest[..end])?);
                // A character that cannot occur in markup marks the run.
                skeleton.push('\u{0}');
                rest = &rest[end..];
            }
        }
    }
    Some((skeleton, texts))
}

fn decode_entities(s: &str) -> Option<String> {
    if !s.contains('&') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find('&') {
        out.push_str(&rest[..k]);
        let end = rest[k..].find(';')? + k;
        out.push(match &rest[k + 1..end] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" | "#39" => '\'',
            _ => return None,
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The text nodes under `node`, in document order.
fn text_nodes(node: &web_sys::Node, out: &mut Vec<web_sys::Node>) {
    let mut child = node.first_child();
    while let Some(c) = child {
        if c.node_type() == web_sys::Node::TEXT_NODE {
            out.push(c.clone());
        } else {
            text_nodes(&c, out);
        }
        child = c.next_sibling();
    }
}

impl Markup {
    pub fn new(el: HtmlElement) -> Markup {
        Markup {
            el,
            shown: None,
            kept: Vec::new(),
        }
    }

    /// The element it writes into.
    pub fn element(&self) -> &HtmlElement {
        &self.el
    }

    /// Shows `html`; returns whether the elements changed (replaced, or swapped for kept
    /// ones) rather than staying, at most with new text.
    pub fn set(&mut self, html: &str) -> bool {
        let Some((skeleton, texts)) = split_markup(html) else {
            self.el.set_inner_html(html);
            self.shown = None;
            return true;
        };
        if let Some(shape) = self.shown.as_mut().filter(|s| s.skeleton == skeleton) {
            shape.patch(texts);
            return false;
        }
        // Keep the shape on screen, detached, for when it comes back.
        if let Some(shape) = self.shown.take() {
            if let Ok(holder) = document().and_then(|d| d.create_element("div")) {
                move_children(&self.el, &holder);
                self.kept.push((shape, holder));
                if self.kept.len() > KEPT_SHAPES {
                    self.kept.remove(0);
                }
            }
        }
        if let Some(k) = self.kept.iter().position(|(s, _)| s.skeleton == skeleton) {
            let (mut shape, holder) = self.kept.remove(k);
            // (The shown nodes went to a holder above, unless that failed.)
            while let Some(child) = self.el.first_child() {
                if self.el.remove_child(&child).is_err() {
                    break;
                }
            }
            move_children(&holder, &self.el);
            shape.patch(texts);
            self.shown = Some(shape);
            return true;
        }
        self.el.set_inner_html(html);
        let mut nodes = Vec::with_capacity(texts.len());
        text_nodes(&self.el, &mut nodes);
        // Patch later only if the parser made one text node per run, in order (it may
        // move or merge text, e.g. inside a table).
        let matches = nodes.len() == texts.len()
            && nodes
                .iter()
                .zip(&texts)
                .all(|(n, t)| n.node_value().as_deref() == Some(t.as_str()));
        self.shown = matches.then_some(Shape {
            skeleton,
            texts,
            nodes,
        });
        true
    }
}

impl Shape {
    fn patch(&mut self, texts: Vec<String>) {
        for ((node, old), new) in self.nodes.iter().zip(&mut self.texts).zip(texts) {
            if *old != new {
                node.set_node_value(Some(&new));
                *old = new;
            }
        }
    }
}

/// Moves every child of `from` to the end of `to`.
fn move_children(from: &Element, to: &Element) {
    while let Some(child) = from.first_child() {
        if to.append_child(&child).is_err() {
            break;
        }
    }
}
