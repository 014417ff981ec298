//! Draws the state and its evaluation: one H×W canvas per view, scaled up by CSS with
//! `image-rendering: pixelated`. Nothing is computed here beyond mapping values to
//! colours (see `crate::present::colormap`).

use std::cell::RefCell;

use ndarray::{Array2, Array4};
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, HtmlSelectElement, ImageData,
};

use crate::engine::loss::Evaluation;
use crate::page::derived::ShownGrad;
use crate::page::model::{Hover, ViewKind};
use crate::page::state::{AppState, LabelStatus};
use crate::page::teach::{threshold_sentence, CellVerdict};
use crate::page::tool::Tool;
use crate::present::colormap::{self, Rgba, Scale};
use crate::present::format;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

/// One square view.
pub struct View {
    pub fig: HtmlElement,
    pub canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    marker: HtmlElement,
    brush: Option<HtmlElement>,
    word: HtmlElement,
}

/// One (b, c) cell: a header (label status, verdict), label, prediction and gradient
/// views and a caption.
pub struct CellView {
    pub el: HtmlElement,
    pub views: [View; 3],
    caption: HtmlElement,
    status: HtmlSelectElement,
    badge: HtmlElement,
}

/// What the hover highlight currently shows, to skip redundant DOM work.
#[derive(Clone, Copy, PartialEq, Default)]
struct Shown {
    /// The set outlined in the grid: the hovered pixel's, else the selected one.
    set: Option<usize>,
    cell: Option<(usize, usize)>,
    pixel: Option<(usize, usize)>,
    view: Option<u8>,
}

pub struct GridView {
    b: usize,
    c: usize,
    n: usize,
    /// One input image view per batch element, when the grid shows them.
    images: Vec<View>,
    /// The training result line of each cell (b·C + c).
    results: Vec<HtmlElement>,
    /// Compare mode's cells (b·C + c), when it is on.
    compare: Vec<CompareCell>,
    root: HtmlElement,
    cells: Vec<CellView>,
    grad_heads: Vec<HtmlElement>,
    class_heads: Vec<HtmlElement>,
    shown: RefCell<Shown>,
    /// What each cell's verdict badge says (b·C + c).
    badges: RefCell<Vec<Option<BadgeKey>>>,
}

/// Everything a verdict badge shows.
#[derive(Clone, Copy, PartialEq)]
struct BadgeKey {
    verdict: Option<CellVerdict>,
    status: LabelStatus,
    /// The reference push's bits (its sentence is in the tooltip).
    reference: u64,
    logits: bool,
}

fn make_view(kind: ViewKind, b: usize, c: usize, n: usize) -> JsResult<View> {
    let fig = dom::el("figure", &format!("view view-{}", kind.code()))?;
    let canvas: HtmlCanvasElement = dom::el("canvas", "")?
        .dyn_into()
        .map_err(|_| JsValue::from_str("canvas"))?;
    canvas.set_width(n as u32);
    canvas.set_height(n as u32);
    let name = kind.code();
    dom::set_attr(&canvas, "data-testid", &format!("{name}-{b}-{c}"));
    dom::set_data(&canvas, "view", name);
    dom::set_data(&canvas, "b", &b.to_string());
    dom::set_data(&canvas, "c", &c.to_string());
    let label = match kind {
        ViewKind::Label => format!("Label y of image {b}, class {c}: paint with the mouse, finger or pen (right button or eraser erases)"),
        ViewKind::Pred => format!("Prediction ỹ of image {b}, class {c}: paint probabilities with the prediction brush"),
        ViewKind::Grad => format!("Gradient of the loss for image {b}, class {c}: blue = descent raises ỹ, orange = lowers it"),
        ViewKind::Image => format!("Input image x of image {b}: what a shared model sees. Paint intensities with the brush value (right button or eraser paints black)"),
    };
    canvas.set_title(&label);
    dom::set_attr(&canvas, "aria-label", &label);
    let ctx = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("2d context"))?;
    dom::append(&fig, &canvas)?;
    let marker = dom::el("div", "marker")?;
    marker.set_hidden(true);
    dom::append(&fig, &marker)?;
    let brush = if kind == ViewKind::Grad {
        None
    } else {
        let b = dom::el("div", "brush")?;
        b.set_hidden(true);
        dom::append(&fig, &b)?;
        Some(b)
    };
    let word = dom::el("span", "view-word")?;
    word.set_hidden(true);
    dom::append(&fig, &word)?;
    Ok(View {
        fig,
        canvas,
        ctx,
        marker,
        brush,
        word,
    })
}

impl View {
    fn put(&self, buf: &[u8], n: usize) {
        match ImageData::new_with_u8_clamped_array_and_sh(Clamped(buf), n as u32, n as u32) {
            Ok(img) => {
                let _ = self.ctx.put_image_data(&img, 0.0, 0.0);
            }
            Err(_) => dom::warn("ImageData failed"),
        }
    }

    fn word(&self, text: Option<&str>) {
        match text {
            Some(t) => {
                dom::set_text(&self.word, t);
                dom::set_hidden(&self.word, false);
            }
            None => dom::set_hidden(&self.word, true),
        }
    }
}

fn fill_buf(buf: &mut Vec<u8>, n: usize, mut colour: impl FnMut(usize, usize) -> Rgba) {
    buf.resize(n * n * 4, 0);
    for i in 0..n {
        for j in 0..n {
            let k = (i * n + j) * 4;
            buf[k..k + 4].copy_from_slice(&colour(i, j));
        }
    }
}

/// Colours one cell's values (row-major) into `buf`, remembering the last value's colour:
/// the Dice gradient is flat per region, so most pixels repeat their neighbour's value.
fn map_cell(buf: &mut Vec<u8>, values: ndarray::ArrayView2<f64>, colour: impl Fn(f64) -> Rgba) {
    buf.resize(values.len() * 4, 0);
    let mut last: Option<(f64, Rgba)> = None;
    for (px, &v) in buf.chunks_exact_mut(4).zip(values.iter()) {
        let rgba = match last {
            Some((lv, lc)) if lv == v => lc,
            _ => {
                let c = colour(v);
                last = Some((v, c));
                c
            }
        };
        px.copy_from_slice(&rgba);
    }
}

/// Diagonal hatch of an undefined gradient.
fn hatch(i: usize, j: usize, n: usize) -> Rgba {
    let period = (n / 8).max(3);
    if (i + j).is_multiple_of(period) {
        colormap::HATCH_DARK
    } else {
        colormap::HATCH_LIGHT
    }
}

/// A cell's header: its label status select (`status-b-c`) and verdict badge
/// (`verdict-b-c`).
fn cell_head(b: usize, c: usize) -> JsResult<(HtmlElement, HtmlSelectElement, HtmlElement)> {
    let head = dom::el("div", "cell-head")?;
    let status: HtmlSelectElement = dom::el("select", "status")?
        .dyn_into()
        .map_err(|_| JsValue::from_str("select"))?;
    dom::set_attr(&status, "data-testid", &format!("status-{b}-{c}"));
    dom::set_attr(
        &status,
        "aria-label",
        &format!("Label status of image {b}, class {c}"),
    );
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
    dom::set_attr(&badge, "aria-live", "polite");
    dom::append(&head, &badge)?;
    Ok((head, status, badge))
}

/// Which derivative the verdict badges judge, in words (for the badge and the legend).
pub const BADGE_DERIVATIVE: &str =
    "judged on what a small gradient-descent step does to the probabilities ỹ (through the activation and the coupling of the classes)";

/// A badge's tooltip: the verdict's sentence, what it was judged on and against what.
fn badge_tip(
    cv: &CellVerdict,
    status: LabelStatus,
    reference: f64,
    rule: &str,
    logits: bool,
) -> String {
    let which = if logits {
        format!("{BADGE_DERIVATIVE}, not the ∂L/∂z the gradient view shows")
    } else {
        BADGE_DERIVATIVE.to_string()
    };
    if cv.undefined {
        return format!("{}. The verdict is {which}. {rule}", cv.sentence(status));
    }
    format!(
        "{}. The verdict is {which}: its mean here is {} ({}). {rule}",
        cv.sentence(status),
        format::number(cv.push, 3),
        ratio_text(cv.ratio, reference)
    )
}

/// Draws cell (b, c) of a shown gradient into a gradient view (hatched where undefined).
fn draw_grad_view(
    view: &View,
    shown: Option<&ShownGrad<'_>>,
    b: usize,
    c: usize,
    scale: Scale,
    n: usize,
    buf: &mut Vec<u8>,
) {
    match shown {
        None => {
            fill_buf(buf, n, |_, _| colormap::NEUTRAL);
            view.word(Some("not computed"));
        }
        Some(g) if g.undefined.get((b, c)).copied().unwrap_or(false) => {
            fill_buf(buf, n, |i, j| hatch(i, j, n));
            view.word(Some("undefined"));
        }
        Some(g) => {
            map_cell(buf, g.values.slice(ndarray::s![b, c, .., ..]), |v| {
                scale.colour(v)
            });
            view.word(None);
        }
    }
    view.put(buf, n);
}

/// One cell of compare mode's side: its badge and gradient view.
struct CompareCell {
    badge: HtmlElement,
    view: View,
}

/// Writes a verdict badge: the few words, the data attributes tests and styles read, and
/// the reason in the tooltip.
fn write_badge(
    badge: &HtmlElement,
    cv: Option<CellVerdict>,
    status: LabelStatus,
    reference: f64,
    rule: &str,
    logits: bool,
) {
    match cv {
        Some(cv) => {
            dom::set_text(badge, &cv.badge());
            dom::set_data(badge, "verdict", cv.verdict.code());
            dom::set_data(badge, "correct", if cv.correct { "true" } else { "false" });
            dom::set_data(
                badge,
                "undefined",
                if cv.undefined { "true" } else { "false" },
            );
            badge.set_class_name(&format!(
                "verdict {}",
                if cv.correct { "right" } else { "wrong" }
            ));
            badge.set_title(&badge_tip(&cv, status, reference, rule, logits));
        }
        None => {
            dom::set_text(badge, "not in the loss");
            for key in ["verdict", "correct", "undefined"] {
                badge.dataset().delete(key);
            }
            badge.set_class_name("verdict neutral");
            badge.set_title("This class is excluded from the loss (background), so it gets no gradient and no verdict");
        }
    }
}

/// "N× the reference" for the push ratio, in words where it has no finite value (a
/// reference push of 0, or a ratio beyond f64): never "inf" or "NaN".
fn ratio_text(ratio: f64, reference: f64) -> String {
    if !(reference.is_finite() && reference > 0.0) {
        "the reference push is 0, so there is no ratio".to_string()
    } else if ratio.is_nan() {
        "no ratio to the reference".to_string()
    } else {
        format!("{}× the reference", format::large(ratio, 2))
    }
}

fn class_name(c: usize, state: &AppState) -> String {
    if c == 0 && state.exclusive {
        "class 0 (background)".to_string()
    } else {
        format!("class {c}")
    }
}

impl GridView {
    pub fn dims(&self) -> (usize, usize, usize, bool, bool) {
        (
            self.b,
            self.c,
            self.n,
            !self.images.is_empty(),
            !self.compare.is_empty(),
        )
    }

    /// Draws image b's input intensities in grey (black 0, white 1).
    pub fn draw_image(&self, state: &AppState, b: usize, buf: &mut Vec<u8>) {
        let Some(view) = self.images.get(b) else {
            return;
        };
        map_cell(
            buf,
            state.image.slice(ndarray::s![b, .., ..]),
            colormap::grey,
        );
        view.put(buf, self.n);
    }

    /// The training result line of each cell ("mean ỹ on … : a → b"), or none.
    pub fn results(&self, lines: &Array2<Option<String>>) {
        for ((b, c), line) in lines.indexed_iter() {
            let Some(el) = self.results.get(b * self.c + c) else {
                continue;
            };
            match line {
                Some(t) => {
                    dom::set_text(el, t);
                    dom::set_hidden(el, false);
                }
                None => dom::set_hidden(el, true),
            }
        }
    }

    /// Builds the grid for the state's size inside `#grid`.
    pub fn build(state: &AppState, with_images: bool, compare: bool) -> JsResult<GridView> {
        let root: HtmlElement =
            dom::by_id("grid").ok_or_else(|| JsValue::from_str("no #grid element"))?;
        root.set_inner_html("");
        let (bn, cn, n) = (state.batch(), state.classes(), state.size());
        dom::set_style(&root, "--classes", &cn.to_string());
        dom::set_data(&root, "images", if with_images { "true" } else { "false" });
        dom::set_data(&root, "compare", if compare { "true" } else { "false" });
        // Row heads, the images, the classes, and compare mode's side.
        let cols = format!(
            "26px {}repeat({cn}, max-content){}",
            if with_images { "max-content " } else { "" },
            if compare {
                format!(" repeat({cn}, max-content)")
            } else {
                String::new()
            }
        );
        dom::set_style(&root, "grid-template-columns", &cols);
        dom::set_data(&root, "b", &bn.to_string());
        dom::set_data(&root, "c", &cn.to_string());
        dom::set_data(&root, "n", &n.to_string());
        let corner = dom::el("div", "corner")?;
        dom::append(&root, &corner)?;
        if with_images {
            let head = dom::el("div", "col-head")?;
            let name = dom::text_el("div", "class-name", "input image")?;
            dom::append(&head, &name)?;
            let subs = dom::el("div", "sub-heads")?;
            let x = dom::text_el("span", "sub-head", "x")?;
            x.set_title("The intensities a shared model sees; every structure is visible here, labelled or not");
            dom::append(&subs, &x)?;
            dom::append(&head, &subs)?;
            dom::append(&root, &head)?;
        }
        let mut grad_heads = Vec::new();
        let mut class_heads = Vec::new();
        for c in 0..cn {
            let head = dom::el("div", "col-head")?;
            let title = dom::text_el("div", "class-name", &class_name(c, state))?;
            dom::append(&head, &title)?;
            class_heads.push(title);
            let subs = dom::el("div", "sub-heads")?;
            for (text, tip) in [
                (
                    "y",
                    "The label y the loss sees (a missing label: its hidden truth, dashed)",
                ),
                ("ỹ", "The prediction ỹ (probabilities in [0, 1])"),
                (
                    "∂L/∂ỹ",
                    "The gradient of the loss with respect to each pixel",
                ),
            ] {
                let s = dom::text_el("span", "sub-head", text)?;
                s.set_title(tip);
                dom::append(&subs, &s)?;
                if text.starts_with('∂') {
                    grad_heads.push(s);
                }
            }
            dom::append(&head, &subs)?;
            dom::append(&root, &head)?;
        }
        if compare {
            for c in 0..cn {
                let head = dom::el("div", "col-head compare-head")?;
                let title = dom::text_el("div", "class-name", &format!("B · class {c}"))?;
                title.set_title(&format!(
                    "{} under compare mode's second setting B",
                    class_name(c, state)
                ));
                dom::append(&head, &title)?;
                let subs = dom::el("div", "sub-heads")?;
                let g = dom::text_el("span", "sub-head", "∂L/∂ỹ")?;
                g.set_title("The gradient under compare mode's second setting (B)");
                dom::append(&subs, &g)?;
                dom::append(&head, &subs)?;
                dom::append(&root, &head)?;
            }
        }
        let mut cells = Vec::with_capacity(bn * cn);
        let mut compare_cells = Vec::new();
        let mut images = Vec::new();
        let mut results = Vec::with_capacity(bn * cn);
        for b in 0..bn {
            let rh = dom::text_el("div", "row-head", &format!("image {b}"))?;
            rh.set_title(&format!("Batch element b = {b}"));
            dom::append(&root, &rh)?;
            if with_images {
                let el = dom::el("div", "cell x-cell")?;
                // The same header height as the class cells, so the views line up.
                let spacer = dom::el("div", "cell-head")?;
                dom::append(&el, &spacer)?;
                let v = make_view(ViewKind::Image, b, 0, n)?;
                let views_el = dom::el("div", "views")?;
                dom::append(&views_el, &v.fig)?;
                dom::append(&el, &views_el)?;
                let caption = dom::el("div", "caption")?;
                dom::append(&el, &caption)?;
                dom::append(&root, &el)?;
                images.push(v);
            }
            for c in 0..cn {
                let el = dom::el("div", "cell")?;
                dom::set_data(&el, "cell", &format!("{b}-{c}"));
                let (head, status, badge) = cell_head(b, c)?;
                dom::append(&el, &head)?;
                let views_el = dom::el("div", "views")?;
                let views = [
                    make_view(ViewKind::Label, b, c, n)?,
                    make_view(ViewKind::Pred, b, c, n)?,
                    make_view(ViewKind::Grad, b, c, n)?,
                ];
                for v in &views {
                    dom::append(&views_el, &v.fig)?;
                }
                dom::append(&el, &views_el)?;
                let caption = dom::el("div", "caption")?;
                dom::append(&el, &caption)?;
                let result = dom::el("div", "train-result")?;
                dom::set_attr(&result, "data-testid", &format!("train-result-{b}-{c}"));
                result.set_hidden(true);
                dom::append(&el, &result)?;
                results.push(result);
                dom::append(&root, &el)?;
                cells.push(CellView {
                    el,
                    views,
                    caption,
                    status,
                    badge,
                });
            }
            if compare {
                for c in 0..cn {
                    let el = dom::el("div", "cell compare-cell")?;
                    let head = dom::el("div", "cell-head")?;
                    let badge = dom::text_el("span", "verdict neutral", "")?;
                    dom::set_attr(&badge, "data-testid", &format!("compare-verdict-{b}-{c}"));
                    dom::append(&head, &badge)?;
                    dom::append(&el, &head)?;
                    let view = make_view(ViewKind::Grad, b, c, n)?;
                    // Not a view of the page's own gradient: no hover or test id clash.
                    dom::set_attr(
                        &view.canvas,
                        "data-testid",
                        &format!("compare-grad-{b}-{c}"),
                    );
                    let _ = view.canvas.remove_attribute("data-view");
                    let views_el = dom::el("div", "views")?;
                    dom::append(&views_el, &view.fig)?;
                    dom::append(&el, &views_el)?;
                    dom::append(&root, &el)?;
                    compare_cells.push(CompareCell { badge, view });
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
            root,
            cells,
            grad_heads,
            class_heads,
            shown: RefCell::new(Shown::default()),
            badges: RefCell::new(Vec::new()),
        })
    }

    fn cell(&self, b: usize, c: usize) -> Option<&CellView> {
        if b < self.b && c < self.c {
            self.cells.get(b * self.c + c)
        } else {
            None
        }
    }

    /// Sizes the views so the grid fits the space left of the page.
    pub fn layout(&self, embed: bool) {
        let Ok(w) = dom::window() else { return };
        let parent_w = self
            .root
            .parent_element()
            .map(|p| p.client_width())
            .unwrap_or(800) as f64;
        let top = self.root.get_bounding_client_rect().top().max(0.0);
        let scroll = w.scroll_y().unwrap_or(0.0);
        let inner_h = w
            .inner_height()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(800.0);
        let (bn, cn) = (self.b as f64, self.c as f64);
        let xn = if self.images.is_empty() { 0.0 } else { 1.0 };
        let bn_cells = if self.compare.is_empty() { 0.0 } else { cn };
        // Row head, cell padding, header and gaps in CSS px (see style/main.css).
        let per_cell_extra = 2.0 * 6.0 + 2.0 * 4.0 + 8.0;
        let avail_w = parent_w - 34.0 - 8.0 - (cn + xn + bn_cells) * per_cell_extra;
        let v_w = avail_w / (3.0 * cn + xn + bn_cells);
        let avail_h = inner_h - (top + scroll).min(inner_h * 0.6) - 16.0;
        let per_row_extra = 22.0 + 12.0 + 8.0 + 32.0;
        let v_h = (avail_h - 46.0 - bn * per_row_extra) / bn;
        let max = if embed { 400.0 } else { 320.0 };
        // Fit the height when that leaves readable views; else fit the width and scroll.
        let v = v_w.min(v_h.max(96.0)).clamp(40.0, max).floor();
        dom::set_style(&self.root, "--view", &format!("{v}px"));
    }

    /// Draws the label view of cell (b, c). An annotated cell shows the labels the loss
    /// sees (`y_loss`, i.e. `AppState::loss_labels`): with exclusive classes that includes
    /// an unannotated structure counted as background in class 0. A missing cell shows its
    /// hidden truth dashed, an empty one nothing.
    pub fn draw_label(
        &self,
        state: &AppState,
        y_loss: Option<&Array4<f64>>,
        b: usize,
        c: usize,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        let n = self.n;
        let status = state
            .status
            .get((b, c))
            .copied()
            .unwrap_or(LabelStatus::Annotated);
        let painted = state.labels.slice(ndarray::s![b, c, .., ..]);
        // Annotated cells whose loss labels differ from the painted ones: class 0 of an
        // image with an unannotated structure (exclusive classes).
        let mut widened = false;
        match status {
            LabelStatus::Annotated => {
                let seen = y_loss
                    .filter(|y| y.dim() == state.labels.dim())
                    .map(|y| y.slice(ndarray::s![b, c, .., ..]));
                match seen {
                    Some(y) => {
                        widened = y != painted;
                        map_cell(buf, y, colormap::sequential);
                    }
                    None => map_cell(buf, painted, colormap::sequential),
                }
            }
            // Outlined, not filled: the structure is there, the loss does not see it.
            LabelStatus::Missing => {
                buf.clear();
                buf.extend(colormap::hidden_outline(painted).into_iter().flatten());
            }
            // Truly absent: nothing to show, whatever was painted before.
            LabelStatus::Empty => fill_buf(buf, n, |_, _| colormap::EMPTY),
        }
        let view = &cell.views[0];
        view.put(buf, n);
        view.word(match status {
            LabelStatus::Annotated => None,
            LabelStatus::Missing => Some("missing"),
            LabelStatus::Empty => Some("empty"),
        });
        dom::toggle_class(&view.word, "low", status == LabelStatus::Missing);
        let tip = match status {
            LabelStatus::Annotated if widened => format!("Label y of image {b}, class {c} as the loss sees it: the unannotated structures of this image count as background here. Paint with the mouse, finger or pen (right button or eraser erases)"),
            LabelStatus::Annotated => format!("Label y of image {b}, class {c}: paint with the mouse, finger or pen (right button or eraser erases)"),
            LabelStatus::Missing => format!("Hidden truth of image {b}, class {c}: the structure is there but the loss sees y = 0 (dashed outline). Paint to move the hidden structure"),
            LabelStatus::Empty => format!("Empty label of image {b}, class {c}: the structure is truly absent, the loss sees y = 0, and there is nothing to paint"),
        };
        view.canvas.set_title(&tip);
        dom::set_attr(&view.canvas, "aria-label", &tip);
        let code = status.code();
        if cell.status.value() != code {
            cell.status.set_value(code);
        }
        let locked = status == LabelStatus::Annotated && c == 0 && state.exclusive;
        cell.status.set_disabled(locked);
        // Nothing to choose: keep the header's height, drop the clutter.
        dom::set_style(
            &cell.status,
            "visibility",
            if locked { "hidden" } else { "visible" },
        );
        cell.status.set_title(if locked {
            "With exclusive classes, class 0 is the background left over by the others: it cannot be missing or empty"
        } else {
            "What this label means: annotated, missing (structure there, not labelled) or empty (structure truly absent)"
        });
        dom::set_data(&cell.el, "status", code);
    }

    /// The verdict badges: which way gradient descent moves each cell's prediction and
    /// whether that is right for its label status (`crate::page::teach`).
    /// `logits`: the gradient views show ∂L/∂z (the badges still judge ∂DL/∂ỹ).
    pub fn verdicts(
        &self,
        state: &AppState,
        v: &Array2<Option<CellVerdict>>,
        reference: f64,
        logits: bool,
    ) {
        let rule = threshold_sentence(reference);
        let mut shown = self.badges.borrow_mut();
        shown.resize(self.b * self.c, None);
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.cell(b, c) else {
                    continue;
                };
                let cv = v.get((b, c)).copied().flatten();
                let status = state.status.get((b, c)).copied().unwrap_or_default();
                // Rewrite a badge only when what it says changed.
                let key = BadgeKey {
                    verdict: cv,
                    status,
                    reference: reference.to_bits(),
                    logits,
                };
                let slot = &mut shown[b * self.c + c];
                if *slot == Some(key) {
                    continue;
                }
                *slot = Some(key);
                write_badge(&cell.badge, cv, status, reference, &rule, logits);
            }
        }
    }

    /// Compare mode's side: its gradient views and verdict badges.
    pub fn draw_compare(
        &self,
        state: &AppState,
        side: &crate::page::derived::Side,
        buf: &mut Vec<u8>,
    ) {
        let shown = side.shown(state.view.logit_grad);
        let logits = shown.as_ref().is_some_and(|g| g.logits);
        let rule = threshold_sentence(side.reference);
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.compare.get(b * self.c + c) else {
                    continue;
                };
                let scale = side.scales.get((b, c)).copied().unwrap_or_default();
                draw_grad_view(&cell.view, shown.as_ref(), b, c, scale, self.n, buf);
                let excluded = side
                    .eval
                    .as_ref()
                    .is_ok_and(|e| e.cell_set.get((b, c)).copied().flatten().is_none());
                if excluded {
                    cell.view.word(Some("excluded"));
                }
                let cv = side.verdicts.get((b, c)).copied().flatten();
                let status = state.status.get((b, c)).copied().unwrap_or_default();
                write_badge(&cell.badge, cv, status, side.reference, &rule, logits);
            }
        }
    }

    /// Draws the prediction view of cell (b, c) from `pred` (the painted prediction, or
    /// a trained model's output).
    pub fn draw_pred(&self, pred: ndarray::ArrayView4<f64>, b: usize, c: usize, buf: &mut Vec<u8>) {
        let Some(cell) = self.cell(b, c) else { return };
        let n = self.n;
        map_cell(
            buf,
            pred.slice(ndarray::s![b, c, .., ..]),
            colormap::sequential,
        );
        cell.views[1].put(buf, n);
    }

    pub fn draw_grad(
        &self,
        shown: Option<&ShownGrad<'_>>,
        b: usize,
        c: usize,
        scale: Scale,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        draw_grad_view(&cell.views[2], shown, b, c, scale, self.n, buf);
    }

    /// Captions (set, sDSC, per-cell maximum), headings and the excluded-class look.
    pub fn captions(&self, state: &AppState, eval: Option<&Evaluation>, scales: &Array2<Scale>) {
        let logits = state.settings.activation != crate::Activation::None && state.view.logit_grad;
        for h in &self.grad_heads {
            dom::set_text(h, if logits { "∂L/∂z" } else { "∂L/∂ỹ" });
        }
        for (c, h) in self.class_heads.iter().enumerate() {
            dom::set_text(h, &class_name(c, state));
        }
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.cell(b, c) else {
                    continue;
                };
                let set = eval
                    .and_then(|e| e.cell_set.get((b, c)).copied().flatten())
                    .filter(|&k| eval.is_some_and(|e| k < e.sets.len()));
                dom::toggle_class(&cell.el, "excluded", eval.is_some() && set.is_none());
                let text = match (eval, set) {
                    (None, _) => String::new(),
                    (Some(_), None) => "not in the loss (background excluded)".to_string(),
                    (Some(e), Some(k)) => {
                        let Some(r) = e.sets.get(k) else { continue };
                        let mut t = format!("φ{}", k + 1);
                        match r.sdsc {
                            Some(s) if r.zeroed => {
                                t.push_str(&format!(" · sDSC {} (zeroed)", format::number(s, 3)))
                            }
                            Some(s) => t.push_str(&format!(" · sDSC {}", format::number(s, 3))),
                            None => t.push_str(" · undefined"),
                        }
                        if !state.view.shared_scale {
                            if let Some(s) = scales.get((b, c)) {
                                t.push_str(&format!(" · max |g| {}", format::number(s.max, 2)));
                            }
                        }
                        t
                    }
                };
                dom::set_text(&cell.caption, &text);
                if let Some(e) = eval {
                    if set.is_none() {
                        cell.views[2].word(Some("excluded"));
                    } else if set
                        .and_then(|k| e.sets.get(k))
                        .is_some_and(|r| r.undefined.is_some())
                    {
                        cell.views[2].word(Some("undefined"));
                    }
                }
            }
        }
        // Set membership may have changed: make the next hover update redo the outline.
        self.shown.borrow_mut().set = Some(usize::MAX);
    }

    /// Highlights the hovered pixel in its cell's three views, every cell of its set (or,
    /// with no hover, of the selected set), and the brush outline on a paintable view.
    pub fn show_hover(
        &self,
        eval: Option<&Evaluation>,
        hover: Option<Hover>,
        tool: &Tool,
        selected_set: Option<usize>,
    ) {
        let n = self.n;
        let next = match hover {
            Some(h) => Shown {
                set: eval
                    .and_then(|e| e.cell_set.get((h.b, h.c)).copied().flatten())
                    .or(selected_set),
                cell: Some((h.b, h.c)),
                pixel: Some(h.pixel(n)),
                view: Some(h.view as u8),
            },
            None => Shown {
                set: selected_set,
                ..Shown::default()
            },
        };
        let prev = *self.shown.borrow();
        if prev.set != next.set || prev.cell != next.cell {
            for (k, cell) in self.cells.iter().enumerate() {
                let (b, c) = (k / self.c, k % self.c);
                let in_set = next.set.is_some()
                    && eval.and_then(|e| e.cell_set.get((b, c)).copied().flatten()) == next.set;
                dom::toggle_class(&cell.el, "in-set", in_set);
                dom::toggle_class(&cell.el, "hover-cell", next.cell == Some((b, c)));
            }
        }
        // Pixel markers: hide the old ones, place the new ones.
        if let Some((b, c)) = prev.cell {
            if prev.cell != next.cell {
                if let Some(cell) = self.cell(b, c) {
                    for v in &cell.views {
                        dom::set_hidden(&v.marker, true);
                        if let Some(br) = &v.brush {
                            dom::set_hidden(br, true);
                        }
                    }
                }
            }
        }
        if let (Some(h), Some((i, j))) = (hover, next.pixel) {
            if let Some(cell) = self.cell(h.b, h.c) {
                let pct = 100.0 / n as f64;
                for (k, v) in cell.views.iter().enumerate() {
                    dom::set_style(&v.marker, "left", &format!("{}%", j as f64 * pct));
                    dom::set_style(&v.marker, "top", &format!("{}%", i as f64 * pct));
                    dom::set_style(&v.marker, "width", &format!("{pct}%"));
                    dom::set_style(&v.marker, "height", &format!("{pct}%"));
                    dom::set_hidden(&v.marker, false);
                    if let Some(br) = &v.brush {
                        let on_this = (k == 0 && h.view == ViewKind::Label)
                            || (k == 1 && h.view == ViewKind::Pred);
                        if on_this {
                            let d = (2.0 * tool.radius + 1.0) * pct;
                            let ci = (i as f64 + 0.5) * pct;
                            let cj = (j as f64 + 0.5) * pct;
                            dom::set_style(br, "left", &format!("{}%", cj - d / 2.0));
                            dom::set_style(br, "top", &format!("{}%", ci - d / 2.0));
                            dom::set_style(br, "width", &format!("{d}%"));
                            dom::set_style(br, "height", &format!("{d}%"));
                            dom::set_style(
                                br,
                                "border-radius",
                                if tool.square { "0" } else { "50%" },
                            );
                        }
                        dom::set_hidden(br, !on_this);
                    }
                }
            }
        }
        *self.shown.borrow_mut() = next;
    }
}

/// The grid view: built for the model's size, redrawn from what changed.
pub struct Grid {
    view: Option<GridView>,
    /// Pixel buffer reused for ImageData.
    buf: Vec<u8>,
}

impl Grid {
    /// Wires the cells' label status selects (the cells themselves are built on the first
    /// sync, for the model's size).
    pub fn new(d: &Dispatch) -> JsResult<Grid> {
        let root: HtmlElement =
            dom::by_id("grid").ok_or_else(|| JsValue::from_str("no #grid element"))?;
        d.on(&root, "change", |ev| {
            let sel = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())?;
            let cell = |k: &str| dom::get_data(&sel, k).and_then(|v| v.parse::<usize>().ok());
            Some(crate::page::msg::Msg::Status {
                b: cell("b")?,
                c: cell("c")?,
                status: LabelStatus::parse(&sel.value())?,
            })
        });
        Ok(Grid {
            view: None,
            buf: Vec::new(),
        })
    }

    /// Redraws what changed; `moved`: the space above the grid changed size.
    pub fn sync(&mut self, f: &Frame, moved: bool) -> bool {
        let (m, d, ch, fresh) = (f.model, f.derived, f.change, f.fresh);
        let s = &m.state;
        let dims = (
            s.batch(),
            s.classes(),
            s.size(),
            m.show_images,
            s.compare.is_some(),
        );
        let rebuilt = self.view.as_ref().map(GridView::dims) != Some(dims);
        if rebuilt {
            match GridView::build(s, m.show_images, s.compare.is_some()) {
                Ok(g) => self.view = Some(g),
                Err(e) => {
                    dom::warn(&format!("grid: {e:?}"));
                    self.view = None;
                }
            }
        }
        let Some(g) = self.view.as_ref() else {
            return false;
        };
        let all = rebuilt || ch.page;
        let mut drew = false;
        if all || ch.layout || moved {
            g.layout(s.view.embed);
            drew = true;
        }
        let eval = d.eval.as_ref().ok();
        let pred = d.shown_pred(m);
        for b in 0..dims.0 {
            if all || ch.images.contains(&b) {
                g.draw_image(s, b, &mut self.buf);
            }
            for c in 0..dims.1 {
                if all || ch.labels.contains(&(b, c)) {
                    g.draw_label(s, d.y(), b, c, &mut self.buf);
                    drew = true;
                }
                if all || ch.preds.contains(&(b, c)) {
                    g.draw_pred(pred, b, c, &mut self.buf);
                    drew = true;
                }
            }
        }
        if all || ch.training {
            let lines = Array2::from_shape_fn((dims.0, dims.1), |(b, c)| {
                m.training.as_ref().and_then(|t| t.result_line(b, c))
            });
            g.results(&lines);
        }
        let shown = d.shown_grad(m);
        for ((b, c), &dirty) in fresh.grads.indexed_iter() {
            if all || dirty {
                let scale = d.scales.get((b, c)).copied().unwrap_or(d.shared);
                g.draw_grad(shown.as_ref(), b, c, scale, &mut self.buf);
                drew = true;
            }
        }
        let logits = shown.as_ref().is_some_and(|g| g.logits);
        let captions = all || fresh.evaluated || fresh.rescaled;
        if captions {
            g.captions(s, eval, &d.scales);
        }
        if all || fresh.evaluated || ch.view {
            g.verdicts(s, &d.verdicts, d.reference, logits);
        }
        if let Some(side) = &d.compare {
            if all || fresh.compared {
                g.draw_compare(s, side, &mut self.buf);
                drew = true;
            }
        }
        if captions || ch.hover || ch.focus || ch.tool {
            g.show_hover(eval, m.hover, &m.tool, d.selected_set(m));
        }
        drew
    }
}
