//! Builds the grid's DOM for the state's size: the column and row heads, each cell's
//! header, views (`View::new`, in `pixels`), reason, caption and result line, and
//! compare mode's side. The words are `present::grid_words`'.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlSelectElement};

use crate::engine::status::LabelStatus;
use crate::page::model::ViewKind;
use crate::page::state::AppState;
use crate::present::grid_words as words;
use crate::present::labels::{self, StatusWords as _};
use crate::web::dom::{self, JsResult};

use super::{CellView, CompareCell, GridView, Shown, View};

/// A cell's header: its label status select (`status-b-c`) and verdict badge
/// (`verdict-b-c`).
fn cell_head(
    b: usize,
    c: usize,
) -> JsResult<(HtmlElement, HtmlSelectElement, HtmlElement, HtmlElement)> {
    let head = dom::el("div", "cell-head")?;
    let word = dom::el("span", "status-word")?;
    // Where the cell is, for the stacked arrangement that has no row and column heads.
    let place = dom::text_el("span", "sw-where", &words::cell_place(b, c, false).0)?;
    dom::append(&word, &place)?;
    let what = dom::el("span", "sw-what")?;
    dom::append(&word, &what)?;
    dom::append(&head, &word)?;
    let status: HtmlSelectElement = dom::el("select", "status")?
        .dyn_into()
        .map_err(|_| JsValue::from_str("select"))?;
    dom::set_attr(&status, "data-testid", &format!("status-{b}-{c}"));
    dom::set_attr(&status, "aria-label", &words::status_select_label(b, c));
    dom::set_data(&status, "b", &b.to_string());
    dom::set_data(&status, "c", &c.to_string());
    for st in LabelStatus::ALL {
        let o = dom::text_el("option", "", st.words())?;
        dom::set_attr(&o, "value", st.code());
        o.set_title(st.meaning());
        dom::append(&status, &o)?;
    }
    dom::append(&head, &status)?;
    let badge = dom::text_el("span", "verdict neutral", "")?;
    dom::set_attr(&badge, "data-testid", &format!("verdict-{b}-{c}"));
    dom::append(&head, &badge)?;
    Ok((head, status, what, badge))
}

/// The input image column's head.
fn image_head(root: &HtmlElement) -> JsResult<()> {
    let head = dom::el("div", "col-head x-head")?;
    let name = dom::text_el("div", "class-name", words::IMAGE_HEAD)?;
    dom::append(&head, &name)?;
    let subs = dom::el("div", "sub-heads")?;
    let x = dom::text_el("span", "sub-head", words::IMAGE_SUB_HEAD.symbol)?;
    x.set_title(words::IMAGE_SUB_HEAD.tip);
    dom::append(&subs, &x)?;
    dom::append(&head, &subs)?;
    dom::append(root, &head)
}

/// A column head's sub-head: its word (which goes when the views are too small for it,
/// `compact`) and symbol, with its tooltip if it has one. Returns it and its symbol.
fn sub_head(sub: &words::SubHead, class: &str) -> JsResult<(HtmlElement, HtmlElement)> {
    let s = dom::el("span", class)?;
    if !sub.tip.is_empty() {
        s.set_title(sub.tip);
    }
    let w = dom::text_el("span", "sh-word", &format!("{} ", sub.word))?;
    dom::append(&s, &w)?;
    let sym = dom::text_el("span", "sh-symbol", sub.symbol)?;
    dom::append(&s, &sym)?;
    Ok((s, sym))
}

/// The heads of the class columns, appended to the grid.
struct ClassHeads {
    /// Each column's gradient symbol (∂L/∂ỹ or ∂L/∂z).
    grad: Vec<HtmlElement>,
    /// Each column's class name.
    names: Vec<HtmlElement>,
    /// The heads.
    cols: Vec<HtmlElement>,
}

fn class_heads(root: &HtmlElement, state: &AppState) -> JsResult<ClassHeads> {
    let mut heads = ClassHeads {
        grad: Vec::new(),
        names: Vec::new(),
        cols: Vec::new(),
    };
    for c in 0..state.classes() {
        let head = dom::el("div", "col-head")?;
        let title = dom::text_el("div", "class-name", &labels::class_name(c, state.exclusive))?;
        dom::append(&head, &title)?;
        heads.names.push(title);
        let subs = dom::el("div", "sub-heads")?;
        for (k, sub) in words::CLASS_SUB_HEADS.iter().enumerate() {
            let (s, sym) = sub_head(sub, "sub-head")?;
            dom::append(&subs, &s)?;
            // The third is the gradient's, whose symbol follows the logit view.
            if k == 2 {
                heads.grad.push(sym);
            }
        }
        dom::append(&head, &subs)?;
        dom::set_data(&head, "class", &c.to_string());
        dom::append(root, &head)?;
        heads.cols.push(head);
    }
    Ok(heads)
}

/// Compare mode's column heads, one per class.
fn compare_heads(root: &HtmlElement, state: &AppState) -> JsResult<Vec<HtmlElement>> {
    let mut heads = Vec::new();
    for c in 0..state.classes() {
        let head = dom::el("div", "col-head compare-head")?;
        dom::set_data(&head, "class", &c.to_string());
        let (name, tip) = words::b_head(c, &labels::class_name(c, state.exclusive));
        let title = dom::text_el("div", "class-name", &name)?;
        title.set_title(&tip);
        dom::append(&head, &title)?;
        let subs = dom::el("div", "sub-heads")?;
        // B's own prediction, shown while B trains a model of its own.
        let [pred, grad] = &words::B_SUB_HEADS;
        let (p, _) = sub_head(pred, "sub-head b-pred-head")?;
        dom::append(&subs, &p)?;
        let (g, _) = sub_head(grad, "sub-head")?;
        dom::append(&subs, &g)?;
        dom::append(&head, &subs)?;
        dom::append(root, &head)?;
        heads.push(head);
    }
    Ok(heads)
}

/// Image b's row head.
fn row_head(root: &HtmlElement, b: usize) -> JsResult<HtmlElement> {
    let (name, tip) = words::row_head(b);
    let rh = dom::text_el("div", "row-head", &name)?;
    rh.set_title(&tip);
    dom::append(root, &rh)?;
    Ok(rh)
}

/// Image b's input image cell: one view under a header-high spacer.
fn image_cell(root: &HtmlElement, b: usize, n: usize) -> JsResult<View> {
    let el = dom::el("div", "cell x-cell")?;
    // The same header height as the class cells, so the views line up.
    let spacer = dom::el("div", "cell-head")?;
    dom::append(&el, &spacer)?;
    let v = View::new(ViewKind::Image, b, 0, n)?;
    let views_el = dom::el("div", "views")?;
    dom::append(&views_el, &v.fig)?;
    dom::append(&el, &views_el)?;
    let caption = dom::el("div", "caption")?;
    dom::append(&el, &caption)?;
    dom::append(root, &el)?;
    Ok(v)
}

/// Cell (b, c): its header, label, prediction and gradient views, reason, caption and
/// training result line (returned apart: the grid keeps the result lines in a list).
fn class_cell(
    root: &HtmlElement,
    b: usize,
    c: usize,
    n: usize,
) -> JsResult<(CellView, HtmlElement)> {
    let el = dom::el("div", "cell")?;
    dom::set_data(&el, "cell", &format!("{b}-{c}"));
    dom::set_data(&el, "class", &c.to_string());
    dom::set_attr(&el, "role", "group");
    dom::set_attr(&el, "aria-label", &words::cell_place(b, c, false).1);
    let (head, status, status_word, badge) = cell_head(b, c)?;
    dom::append(&el, &head)?;
    let why = dom::el("div", "verdict-why")?;
    dom::set_attr(&why, "data-testid", &format!("why-{b}-{c}"));
    let views_el = dom::el("div", "views")?;
    let views = [
        View::new(ViewKind::Label, b, c, n)?,
        View::new(ViewKind::Pred, b, c, n)?,
        View::new(ViewKind::Grad, b, c, n)?,
    ];
    for v in &views {
        dom::append(&views_el, &v.fig)?;
    }
    dom::append(&el, &views_el)?;
    // The reason sits with the badge: beside the views in the wide arrangement, under
    // them otherwise (CSS).
    dom::append(&el, &why)?;
    let caption = dom::el("div", "caption")?;
    dom::append(&el, &caption)?;
    let result = dom::el("div", "train-result")?;
    dom::set_attr(&result, "data-testid", &format!("train-result-{b}-{c}"));
    result.set_hidden(true);
    dom::append(&el, &result)?;
    dom::append(root, &el)?;
    let cell = CellView {
        el,
        views,
        caption,
        status,
        status_word,
        badge,
        why,
    };
    Ok((cell, result))
}

/// Compare mode's cell (b, c): B's badge, its reason, B's gradient view, and B's own
/// prediction view and result line (hidden until B trains a model of its own).
fn compare_cell(root: &HtmlElement, b: usize, c: usize, n: usize) -> JsResult<CompareCell> {
    let el = dom::el("div", "cell compare-cell")?;
    dom::set_data(&el, "class", &c.to_string());
    dom::set_attr(&el, "role", "group");
    let (place, group) = words::cell_place(b, c, true);
    dom::set_attr(&el, "aria-label", &group);
    let head = dom::el("div", "cell-head")?;
    // Stacked (a phone), the column heads are gone: the cell says it is B's.
    let place = dom::text_el("span", "sw-where", &place)?;
    dom::append(&head, &place)?;
    let badge = dom::text_el("span", "verdict neutral", "")?;
    dom::set_attr(&badge, "data-testid", &format!("compare-verdict-{b}-{c}"));
    dom::append(&head, &badge)?;
    dom::append(&el, &head)?;
    // Not views of the page's own: no hover, painting or test id clash.
    let b_view = |kind: ViewKind, name: &str| -> JsResult<View> {
        let v = View::new(kind, b, c, n)?;
        dom::set_attr(&v.canvas, "data-testid", &format!("{name}-{b}-{c}"));
        let _ = v.canvas.remove_attribute("data-view");
        Ok(v)
    };
    // B's prediction: shown while B trains a model of its own.
    let pred = b_view(ViewKind::Pred, "compare-pred")?;
    pred.canvas.set_title(words::B_PREDICTION_TIP);
    dom::set_attr(&pred.canvas, "aria-label", words::B_PREDICTION_TIP);
    dom::set_hidden(&pred.fig, true);
    let view = b_view(ViewKind::Grad, "compare-grad")?;
    let views_el = dom::el("div", "views")?;
    dom::append(&views_el, &pred.fig)?;
    dom::append(&views_el, &view.fig)?;
    dom::append(&el, &views_el)?;
    let why = dom::el("div", "verdict-why")?;
    dom::set_attr(&why, "data-testid", &format!("compare-why-{b}-{c}"));
    dom::append(&el, &why)?;
    let result = dom::el("div", "train-result")?;
    dom::set_attr(
        &result,
        "data-testid",
        &format!("compare-train-result-{b}-{c}"),
    );
    result.set_hidden(true);
    dom::append(&el, &result)?;
    dom::append(root, &el)?;
    Ok(CompareCell {
        el,
        badge,
        why,
        view,
        pred,
        result,
    })
}

impl GridView {
    /// Builds the grid for the state's size inside `#grid`.
    pub fn build(state: &AppState, with_images: bool, compare: bool) -> JsResult<GridView> {
        let root: HtmlElement =
            dom::by_id("grid").ok_or_else(|| JsValue::from_str("no #grid element"))?;
        root.set_inner_html("");
        let (bn, cn, n) = (state.batch(), state.classes(), state.size());
        dom::set_style(&root, "--classes", &cn.to_string());
        dom::set_data(&root, "images", if with_images { "true" } else { "false" });
        dom::set_data(&root, "compare", if compare { "true" } else { "false" });
        // The columns (row heads, the images, the classes shown, compare mode's side) are
        // CSS's, from these data attributes and `--classes`: the arrangements (stacked,
        // presentation) change them.
        dom::set_data(&root, "b", &bn.to_string());
        dom::set_data(&root, "c", &cn.to_string());
        dom::set_data(&root, "n", &n.to_string());
        let corner = dom::el("div", "corner")?;
        dom::append(&root, &corner)?;
        if with_images {
            image_head(&root)?;
        }
        let heads = class_heads(&root, state)?;
        let compare_heads = if compare {
            compare_heads(&root, state)?
        } else {
            Vec::new()
        };
        let mut cells = Vec::with_capacity(bn * cn);
        let mut compare_cells = Vec::new();
        let mut images = Vec::new();
        let mut results = Vec::with_capacity(bn * cn);
        let mut row_heads = Vec::with_capacity(bn);
        for b in 0..bn {
            row_heads.push(row_head(&root, b)?);
            if with_images {
                images.push(image_cell(&root, b, n)?);
            }
            for c in 0..cn {
                let (cell, result) = class_cell(&root, b, c, n)?;
                cells.push(cell);
                results.push(result);
            }
            if compare {
                for c in 0..cn {
                    compare_cells.push(compare_cell(&root, b, c, n)?);
                }
            }
        }
        Ok(GridView {
            b: bn,
            c: cn,
            n,
            images,
            results,
            compare: compare_cells,
            compare_heads,
            compare_words: RefCell::new(String::new()),
            compare_views: std::cell::Cell::new(1.0),
            shape: std::cell::Cell::new((false, false)),
            root,
            cells,
            grad_heads: heads.grad,
            class_heads: heads.names,
            col_heads: heads.cols,
            columns: RefCell::new(vec![true; cn]),
            rows: RefCell::new(vec![true; bn]),
            row_heads,
            obuf: RefCell::new(Vec::new()),
            shown: RefCell::new(Shown::default()),
            badges: RefCell::new(Vec::new()),
        })
    }
}
