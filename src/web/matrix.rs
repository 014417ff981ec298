//! The verdict matrix: for each framework preset and the leaf and marginal Dice, the
//! verdict on a missing and on an empty label of the lessons' two-image scene, each a link
//! to that page. Computed once by `page::matrix` (it does not depend on the page).

use wasm_bindgen::JsValue;
use web_sys::HtmlElement;

use crate::page::matrix::{verdict_matrix, MatrixEntry};
use crate::page::route;
use crate::present::figure::esc;

use super::dom::{self, JsResult};
use crate::present::verdict::CellWords as _;

/// One verdict as a table cell linking to its page (the pasted loss's row uses it too).
pub fn cell(key: &str, which: &str, e: &MatrixEntry) -> String {
    let (verdict, correct, class) = match &e.verdict {
        Ok(v) => (
            v.verdict.code(),
            if v.correct { "true" } else { "false" },
            if v.correct { "right" } else { "wrong" },
        ),
        Err(_) => ("none", "false", "neutral"),
    };
    let reason = match &e.verdict {
        Ok(v) => v.sentence(e.status),
        Err(err) => err.clone(),
    };
    format!(
        "<td><a class=\"verdict {class}\" href=\"{}\" data-testid=\"matrix-{key}-{which}\" data-verdict=\"{verdict}\" data-correct=\"{correct}\">{}</a><div class=\"matrix-why\">{}</div></td>",
        esc(&route::hash_of(&e.state)),
        esc(&e.badge()),
        esc(&reason),
    )
}

/// Fills `#matrix-body`.
pub fn build() -> JsResult<()> {
    let body: HtmlElement =
        dom::by_id("matrix-body").ok_or_else(|| JsValue::from_str("missing #matrix-body"))?;
    let mut html = String::new();
    for r in verdict_matrix() {
        html.push_str(&format!(
            "<tr data-key=\"{}\"><th scope=\"row\">{}<div class=\"matrix-code\">{}</div></th>{}{}</tr>",
            r.key,
            esc(r.label),
            esc(r.code),
            cell(r.key, "missing", &r.missing),
            cell(r.key, "empty", &r.empty),
        ));
    }
    body.set_inner_html(&html);
    Ok(())
}
