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
use crate::engine::status::LabelStatus;
use crate::engine::verdict::{CellVerdict, Scale as VerdictScale};
use crate::page::cells::{self, GradLook};
use crate::page::derived::ShownGrad;
use crate::page::layout::{self, Plan};
use crate::page::levels;
use crate::page::model::{Hover, ViewKind};
use crate::page::state::AppState;
use crate::page::tool::Tool;
use crate::page::training::Training;
use crate::present::colormap::{self, Scale};
use crate::present::describe::{self, NoGradient};
use crate::present::format;
use crate::present::labels;
use crate::present::readout;
use crate::present::verdict::{threshold_sentence, BADGE_DERIVATIVE, TIED_CLASSES_CLAUSE};

use super::dom::{self, JsResult};
use super::Frame;
use crate::present::labels::StatusWords as _;
use crate::present::verdict::{CellWords as _, Words as _};

/// On a narrow screen, cells stack one per line when side by side they would be smaller.
const NARROW_MIN_VIEW: f64 = 84.0;
/// Below this view size (CSS px) the column headers keep only their symbols.
const COMPACT_VIEW: f64 = 84.0;
/// The same in presentation mode, whose headers are in hall-sized type.
const PRESENT_COMPACT_VIEW: f64 = 150.0;
/// Room kept under the grid (CSS px).
const BOTTOM_GAP: f64 = 10.0;

/// One square view.
pub struct View {
    pub fig: HtmlElement,
    pub canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    /// A finer canvas on top of the prediction and gradient views: the gradient's sign as
    /// + / − glyphs (readable in greyscale) and a missing label's hidden outline.
    overlay: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    marker: HtmlElement,
    brush: Option<HtmlElement>,
    word: HtmlElement,
    /// The description on the canvas now (for screen readers).
    described: RefCell<String>,
}

/// One (b, c) cell: a header (label status, verdict), label, prediction and gradient
/// views and a caption.
pub struct CellView {
    pub el: HtmlElement,
    pub views: [View; 3],
    caption: HtmlElement,
    status: HtmlSelectElement,
    /// The label status in words (presentation mode shows it instead of the select).
    status_word: HtmlElement,
    badge: HtmlElement,
    /// The badge's reason, written out.
    why: HtmlElement,
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
    /// Compare mode's column heads (one per class).
    compare_heads: Vec<HtmlElement>,
    /// The compare side's reasons as last written (a change may need a new layout).
    compare_words: RefCell<String>,
    /// Views per compare cell: the gradient, and B's prediction while B trains.
    compare_views: std::cell::Cell<f64>,
    /// The plan's shape applied: (no input images' column, no captions).
    shape: std::cell::Cell<(bool, bool)>,
    root: HtmlElement,
    cells: Vec<CellView>,
    grad_heads: Vec<HtmlElement>,
    class_heads: Vec<HtmlElement>,
    col_heads: Vec<HtmlElement>,
    /// The columns drawn now (`page::layout::columns`).
    columns: RefCell<Vec<bool>>,
    /// Per image: its row is drawn ([`layout::rows`]); its head.
    rows: RefCell<Vec<bool>>,
    row_heads: Vec<HtmlElement>,
    /// Pixel buffer of the overlays.
    obuf: RefCell<Vec<u8>>,
    shown: RefCell<Shown>,
    /// What each cell's verdict badge says (b·C + c).
    badges: RefCell<Vec<Option<BadgeKey>>>,
}

/// Everything a verdict badge shows.
#[derive(Clone, Copy, PartialEq)]
struct BadgeKey {
    verdict: Option<CellVerdict>,
    status: LabelStatus,
    /// The scale's bits (its sentence is in the tooltip) and whether the classes are tied.
    scale: u64,
    tied: bool,
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
        ViewKind::Grad => format!("Gradient of the loss for image {b}, class {c}: blue (−) = descent raises ỹ, orange (+) = lowers it"),
        ViewKind::Image => format!("Input image x of image {b}: what a shared model sees. Paint intensities with the brush value (right button or eraser paints black)"),
    };
    canvas.set_title(&label);
    dom::set_attr(&canvas, "aria-label", &label);
    // An image with a live description; focusable for the arrow-key cursor.
    dom::set_attr(&canvas, "role", "img");
    dom::set_attr(&canvas, "tabindex", "0");
    dom::set_attr(&canvas, "aria-roledescription", kind.role_words());
    let ctx = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("2d context"))?;
    dom::append(&fig, &canvas)?;
    let overlay = if matches!(kind, ViewKind::Label | ViewKind::Image) {
        None
    } else {
        let o: HtmlCanvasElement = dom::el("canvas", "overlay")?
            .dyn_into()
            .map_err(|_| JsValue::from_str("canvas"))?;
        let r = overlay_size(n);
        o.set_width(r as u32);
        o.set_height(r as u32);
        dom::set_attr(&o, "aria-hidden", "true");
        let octx = o
            .get_context("2d")?
            .ok_or_else(|| JsValue::from_str("no 2d context"))?
            .dyn_into::<CanvasRenderingContext2d>()
            .map_err(|_| JsValue::from_str("2d context"))?;
        dom::append(&fig, &o)?;
        Some((o, octx))
    };
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
        overlay,
        marker,
        brush,
        word,
        described: RefCell::new(String::new()),
    })
}

/// The overlay's resolution: at least 128 pixels across, a whole number per data pixel.
fn overlay_size(n: usize) -> usize {
    let n = n.max(1);
    n * 128usize.div_ceil(n).max(1)
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

    /// Sets the canvas's description (for screen readers) when it changed.
    fn describe(&self, text: String) {
        if *self.described.borrow() != text {
            dom::set_attr(&self.canvas, "aria-label", &text);
            *self.described.borrow_mut() = text;
        }
    }

    /// Draws the overlay: the sign glyphs of `sign` (−1, 0, +1 per data pixel; empty for
    /// none) and the outline of `hidden` (empty for none); hidden when both are empty.
    fn overlay(
        &self,
        n: usize,
        sign: (&[i8], &[f32]),
        colours: &[u8],
        hidden: &[bool],
        buf: &mut Vec<u8>,
    ) {
        let Some((canvas, ctx)) = &self.overlay else {
            return;
        };
        if sign.0.is_empty() && hidden.is_empty() {
            dom::set_style(canvas, "visibility", "hidden");
            return;
        }
        let r = canvas.width() as usize;
        colormap::sign_overlay(buf, n, r, sign, colours, hidden);
        match ImageData::new_with_u8_clamped_array_and_sh(Clamped(buf), r as u32, r as u32) {
            Ok(img) => {
                let _ = ctx.put_image_data(&img, 0.0, 0.0);
            }
            Err(_) => dom::warn("ImageData failed"),
        }
        dom::set_style(canvas, "visibility", "visible");
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

/// A cell's header: its label status select (`status-b-c`) and verdict badge
/// (`verdict-b-c`).
fn cell_head(
    b: usize,
    c: usize,
) -> JsResult<(HtmlElement, HtmlSelectElement, HtmlElement, HtmlElement)> {
    let head = dom::el("div", "cell-head")?;
    let word = dom::el("span", "status-word")?;
    // Where the cell is, for the stacked arrangement that has no row and column heads.
    let place = dom::text_el("span", "sw-where", &format!("image {b} · class {c} · "))?;
    dom::append(&word, &place)?;
    let what = dom::el("span", "sw-what")?;
    dom::append(&word, &what)?;
    dom::append(&head, &word)?;
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
    dom::append(&head, &badge)?;
    Ok((head, status, what, badge))
}

/// A badge's tooltip: the verdict's sentence, what it was judged on and against what.
fn badge_tip(
    cv: &CellVerdict,
    status: LabelStatus,
    tied: bool,
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
    // The lessons' formulas are ∂DL/∂ỹ; say why the number shown differs from them.
    let tied = if tied {
        format!(" ({TIED_CLASSES_CLAUSE})")
    } else {
        String::new()
    };
    format!(
        "{}. The verdict is {which}: its mean over {} is {}{tied}, {} the scale. {rule}",
        cv.sentence(status),
        cv.judged.words(),
        format::number(cv.push, 3),
        ratio_text(cv.ratio),
    )
}

/// Draws cell (b, c) of a shown gradient into a gradient view (hatched where undefined),
/// its sign as glyphs and a missing label's hidden outline on the overlay, and describes
/// it. `in_loss`: the cell has a set (else no sign is drawn: there is no push).
#[allow(clippy::too_many_arguments)]
fn draw_grad_view(
    view: &View,
    state: &AppState,
    in_loss: bool,
    shown: Option<&ShownGrad<'_>>,
    b: usize,
    c: usize,
    scale: Scale,
    n: usize,
    buf: &mut Vec<u8>,
    obuf: &mut Vec<u8>,
) {
    let logits = shown.is_some_and(|g| g.logits);
    let mut sign = Vec::new();
    let mut strength = Vec::new();
    let text = match (cells::gradient(shown, (b, c), n, scale, buf), shown) {
        (GradLook::NotComputed, _) | (_, None) => {
            view.word(Some("not computed"));
            describe::gradient(b, c, Err(NoGradient::NotComputed), logits)
        }
        (GradLook::Undefined, _) => {
            view.word(Some("undefined"));
            describe::gradient(b, c, Err(NoGradient::Undefined), logits)
        }
        (GradLook::Values, Some(g)) => {
            let values = g.values.slice(ndarray::s![b, c, .., ..]);
            view.word(None);
            if in_loss {
                sign = colormap::signs(values);
                strength = values
                    .iter()
                    .map(|&v| scale.position(v).abs() as f32)
                    .collect();
                describe::gradient(b, c, Ok(values), logits)
            } else {
                describe::gradient(b, c, Err(NoGradient::NotInLoss), logits)
            }
        }
    };
    view.put(buf, n);
    view.overlay(
        n,
        (&sign, &strength),
        buf,
        &layout::hidden_mask(state, b, c),
        obuf,
    );
    view.describe(text);
}

/// One cell of compare mode's side: its badge, the badge's reason and gradient view;
/// while B trains its own model, also B's prediction view and result line.
struct CompareCell {
    el: HtmlElement,
    badge: HtmlElement,
    why: HtmlElement,
    view: View,
    pred: View,
    result: HtmlElement,
}

/// Writes a verdict badge: the few words, the data attributes tests and styles read, the
/// reason written out in `why` and the details in the tooltip.
fn write_badge(
    badge: &HtmlElement,
    why: &HtmlElement,
    cv: Option<CellVerdict>,
    status: LabelStatus,
    tied: bool,
    rule: &str,
    logits: bool,
) {
    match cv {
        Some(cv) => {
            dom::set_text(why, &cv.reason(status));
            dom::toggle_class(why, "wrong", !cv.correct);
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
            badge.set_title(&badge_tip(&cv, status, tied, rule, logits));
        }
        None => {
            dom::set_text(why, "no gradient, no verdict");
            dom::toggle_class(why, "wrong", false);
            dom::set_text(badge, "not in the loss");
            for key in ["verdict", "correct", "undefined"] {
                badge.dataset().delete(key);
            }
            badge.set_class_name("verdict neutral");
            badge.set_title("This class is excluded from the loss (background), so it gets no gradient and no verdict");
        }
    }
}

/// Whether the verdicts of `state` under `activation` tie the classes of a pixel.
fn ties_classes(state: &AppState, activation: crate::engine::activation::Activation) -> bool {
    crate::engine::step::ties_classes(activation, state.exclusive, state.classes())
}

/// "N×" for the push's ratio to the scale, in words where it has no finite value (a ratio
/// beyond f64): never "inf" or "NaN".
fn ratio_text(ratio: f64) -> String {
    if ratio.is_nan() {
        "no ratio to".to_string()
    } else {
        format!("{}×", format::large(ratio, 2))
    }
}

fn class_name(c: usize, state: &AppState) -> String {
    labels::class_name(c, state.exclusive)
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
        cells::map(
            buf,
            state.image.slice(ndarray::s![b, .., ..]),
            colormap::grey,
        );
        view.put(buf, self.n);
    }

    /// The training result line of each cell ("mean ỹ on … : a → b"), or none.
    /// Returns whether a line appeared or went (the cells' heights changed).
    pub fn results(&self, lines: &Array2<Option<String>>) -> bool {
        let mut changed = false;
        for ((b, c), line) in lines.indexed_iter() {
            let Some(el) = self.results.get(b * self.c + c) else {
                continue;
            };
            changed |= el.hidden() != line.is_none();
            match line {
                Some(t) => {
                    dom::set_text(el, t);
                    dom::set_hidden(el, false);
                }
                None => dom::set_hidden(el, true),
            }
        }
        changed
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
        // The columns (row heads, the images, the classes shown, compare mode's side) are
        // CSS's, from these data attributes and `--classes`: the arrangements (stacked,
        // presentation) change them.
        dom::set_data(&root, "b", &bn.to_string());
        dom::set_data(&root, "c", &cn.to_string());
        dom::set_data(&root, "n", &n.to_string());
        let corner = dom::el("div", "corner")?;
        dom::append(&root, &corner)?;
        if with_images {
            let head = dom::el("div", "col-head x-head")?;
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
        let mut col_heads = Vec::new();
        for c in 0..cn {
            let head = dom::el("div", "col-head")?;
            let title = dom::text_el("div", "class-name", &class_name(c, state))?;
            dom::append(&head, &title)?;
            class_heads.push(title);
            let subs = dom::el("div", "sub-heads")?;
            for (word, symbol, tip) in [
                (
                    "label",
                    "y",
                    "The label y the loss sees (a missing label: its hidden truth, dashed); paint it",
                ),
                ("prediction", "ỹ", "The prediction ỹ (probabilities in [0, 1]); paint it"),
                (
                    "gradient",
                    "∂L/∂ỹ",
                    "The gradient of the loss with respect to each pixel: − (blue) descent raises ỹ, + (orange) lowers it",
                ),
            ] {
                let s = dom::el("span", "sub-head")?;
                s.set_title(tip);
                // The word goes when the views are too small for it (`compact`).
                let w = dom::text_el("span", "sh-word", &format!("{word} "))?;
                dom::append(&s, &w)?;
                let sym = dom::text_el("span", "sh-symbol", symbol)?;
                dom::append(&s, &sym)?;
                dom::append(&subs, &s)?;
                if word == "gradient" {
                    grad_heads.push(sym);
                }
            }
            dom::append(&head, &subs)?;
            dom::set_data(&head, "class", &c.to_string());
            dom::append(&root, &head)?;
            col_heads.push(head);
        }
        let mut compare_heads = Vec::new();
        if compare {
            for c in 0..cn {
                let head = dom::el("div", "col-head compare-head")?;
                dom::set_data(&head, "class", &c.to_string());
                let title = dom::text_el("div", "class-name", &format!("B · class {c}"))?;
                title.set_title(&format!(
                    "{} under compare mode's second setting B",
                    class_name(c, state)
                ));
                dom::append(&head, &title)?;
                let subs = dom::el("div", "sub-heads")?;
                // B's own prediction, shown while B trains a model of its own.
                let p = dom::el("span", "sub-head b-pred-head")?;
                let w = dom::text_el("span", "sh-word", "prediction ")?;
                dom::append(&p, &w)?;
                let sym = dom::text_el("span", "sh-symbol", "ỹ")?;
                dom::append(&p, &sym)?;
                dom::append(&subs, &p)?;
                let g = dom::el("span", "sub-head")?;
                g.set_title("The gradient under compare mode's second setting (B)");
                let w = dom::text_el("span", "sh-word", "gradient ")?;
                dom::append(&g, &w)?;
                let sym = dom::text_el("span", "sh-symbol", "∂L/∂ỹ")?;
                dom::append(&g, &sym)?;
                dom::append(&subs, &g)?;
                dom::append(&head, &subs)?;
                dom::append(&root, &head)?;
                compare_heads.push(head);
            }
        }
        let mut cells = Vec::with_capacity(bn * cn);
        let mut compare_cells = Vec::new();
        let mut images = Vec::new();
        let mut results = Vec::with_capacity(bn * cn);
        let mut row_heads = Vec::with_capacity(bn);
        for b in 0..bn {
            let rh = dom::text_el("div", "row-head", &format!("image {b}"))?;
            rh.set_title(&format!("Batch element b = {b}"));
            dom::append(&root, &rh)?;
            row_heads.push(rh.clone());
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
                dom::set_data(&el, "class", &c.to_string());
                dom::set_attr(&el, "role", "group");
                dom::set_attr(&el, "aria-label", &format!("image {b}, class {c}"));
                let (head, status, status_word, badge) = cell_head(b, c)?;
                dom::append(&el, &head)?;
                let why = dom::el("div", "verdict-why")?;
                dom::set_attr(&why, "data-testid", &format!("why-{b}-{c}"));
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
                // The reason sits with the badge: beside the views in the wide
                // arrangement, under them otherwise (CSS).
                dom::append(&el, &why)?;
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
                    status_word,
                    badge,
                    why,
                });
            }
            if compare {
                for c in 0..cn {
                    let el = dom::el("div", "cell compare-cell")?;
                    dom::set_data(&el, "class", &c.to_string());
                    dom::set_attr(&el, "role", "group");
                    dom::set_attr(&el, "aria-label", &format!("B: image {b}, class {c}"));
                    let head = dom::el("div", "cell-head")?;
                    // Stacked (a phone), the column heads are gone: the cell says it is B's.
                    let place =
                        dom::text_el("span", "sw-where", &format!("B · image {b} · class {c} "))?;
                    dom::append(&head, &place)?;
                    let badge = dom::text_el("span", "verdict neutral", "")?;
                    dom::set_attr(&badge, "data-testid", &format!("compare-verdict-{b}-{c}"));
                    dom::append(&head, &badge)?;
                    dom::append(&el, &head)?;
                    // Not views of the page's own: no hover, painting or test id clash.
                    let b_view = |kind: ViewKind, name: &str| -> JsResult<View> {
                        let v = make_view(kind, b, c, n)?;
                        dom::set_attr(&v.canvas, "data-testid", &format!("{name}-{b}-{c}"));
                        let _ = v.canvas.remove_attribute("data-view");
                        Ok(v)
                    };
                    // B's prediction: shown while B trains a model of its own.
                    let pred = b_view(ViewKind::Pred, "compare-pred")?;
                    let tip = "Prediction ỹ of B's own model, trained under B's setting";
                    pred.canvas.set_title(tip);
                    dom::set_attr(&pred.canvas, "aria-label", tip);
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
                    dom::append(&root, &el)?;
                    compare_cells.push(CompareCell {
                        el,
                        badge,
                        why,
                        view,
                        pred,
                        result,
                    });
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
            grad_heads,
            class_heads,
            col_heads,
            columns: RefCell::new(vec![true; cn]),
            rows: RefCell::new(vec![true; bn]),
            row_heads,
            obuf: RefCell::new(Vec::new()),
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

    /// Sizes the views so the grid fits the space it has: the width of its column and,
    /// except on a narrow screen, the height left below its top, so every shown cell and
    /// badge is on screen without scrolling. The space the headers, badges, reasons and
    /// captions take is measured, not assumed; with one column the cells' words may go
    /// beside the views (`beside`) when that leaves larger views. On a narrow screen the
    /// cells stack one per line when the columns side by side would be too small.
    pub fn layout(&self, embed: bool, present: bool, plan: &Plan) {
        let Ok(w) = dom::window() else { return };
        let num = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64());
        let inner_h = num(w.inner_height()).unwrap_or(800.0);
        // The one-column page (phones, portrait tablets) is CSS's decision (`--narrow`);
        // it scrolls, so the views need not fit its height. An embed's frame does not
        // scroll: there the grid fits the height whatever the width.
        let narrow = !present
            && !embed
            && w.get_computed_style(&self.root)
                .ok()
                .flatten()
                .and_then(|st| st.get_property_value("--narrow").ok())
                .is_some_and(|v| v.trim() == "1");
        let cols = self.columns.borrow().iter().filter(|&&s| s).count().max(1) as f64;
        let rows = self.rows.borrow().iter().filter(|&&s| s).count().max(1) as f64;
        let wrap = self.root.parent_element();
        let avail_w = wrap
            .as_ref()
            .map(|p| f64::from(p.client_width()))
            .unwrap_or(800.0);
        // Cells of one view each beside the classes: the input image, compare mode's side.
        // (Presentation hides the input images: the lesson is about the classes' cells.)
        let image_cells = f64::from(u8::from(
            !self.images.is_empty() && !present && !plan.shape.no_image,
        ));
        let side_cells = image_cells
            + if self.compare.is_empty() {
                0.0
            } else {
                cols * self.compare_views.get()
            };
        // The grid's top in the document, whatever is scrolled.
        let scrolled = dom::by_id::<HtmlElement>("main").map_or(0.0, |m| f64::from(m.scroll_top()))
            + w.scroll_y().unwrap_or(0.0);
        // The plan's bounds: its floor (never smaller views) and its largest views.
        let (min_view, max) = (plan.view_floor, plan.view_max);
        let set = |v: f64| dom::set_style(&self.root, "--view", &format!("{v}px"));
        // Lays the grid out in one arrangement: a first guess from a probe size, then
        // corrections with what is measured (the words beside or under the views wrap
        // differently at each size and may be taller than the views), shrinking on
        // overflow and growing into room left; never ending on an overflow. Returns the
        // view size, which is set.
        let settle = |beside: bool, stack: bool| -> f64 {
            dom::toggle_class(&self.root, "beside", beside);
            dom::toggle_class(&self.root, "stack", stack);
            // The cells' least width is the plan's (the width there is, shared).
            let cell_min = plan.cell_min;
            dom::set_style(&self.root, "--cell-min", &format!("{cell_min}px"));
            let probe = 160.0;
            set(probe);
            let r = self.root.get_bounding_client_rect();
            // Views across one line and lines of views: compare mode's side and the
            // input images add one view per shown class and one per image.
            let (per, lines) = if stack {
                (3.0, rows * (cols + side_cells))
            } else {
                (3.0 * cols + side_cells, rows)
            };
            let room_h = |r: &web_sys::DomRect| {
                if narrow {
                    f64::INFINITY
                } else {
                    inner_h - BOTTOM_GAP - r.top() - scrolled
                }
            };
            let extra_w = r.width() - per * probe;
            let extra_h = r.height() - lines * probe;
            let mut v = ((avail_w - extra_w) / per)
                .min((room_h(&r) - extra_h) / lines)
                .clamp(min_view, max)
                .floor();
            set(v);
            for _ in 0..4 {
                let r = self.root.get_bounding_client_rect();
                let over_w = r.width() - avail_w;
                let over_h = r.height() - room_h(&r);
                let dv = if over_w > 0.5 || over_h > 0.5 {
                    -(over_w.max(0.0) / per).max(over_h.max(0.0) / lines).ceil()
                } else {
                    (-over_w / per).min(-over_h / lines).floor()
                };
                let next = (v + dv).clamp(min_view, max);
                if dv.abs() < 1.0 || next == v {
                    break;
                }
                v = next;
                set(v);
            }
            for _ in 0..3 {
                let r = self.root.get_bounding_client_rect();
                let over_w = r.width() - avail_w;
                let over_h = r.height() - room_h(&r);
                if (over_w <= 0.5 && over_h <= 0.5) || v <= min_view {
                    break;
                }
                v = (v
                    - (over_w.max(0.0) / per)
                        .max(over_h.max(0.0) / lines)
                        .ceil()
                        .max(1.0))
                .max(min_view);
                set(v);
            }
            v
        };
        let mut candidates = vec![(false, false)];
        if cols == 1.0 {
            candidates.push((true, false));
        }
        if narrow && cols > 1.0 {
            candidates.push((false, true));
        }
        let mut best = (0.0, (false, false));
        let mut tried = Vec::new();
        // A phone's one class with cells beside it (the input image, compare's side B,
        // which grows a prediction view while it trains) may not fit side by side even at
        // the smallest views: then the cells stack, rather than scroll sideways.
        let mut overflowed = false;
        let mut k = 0;
        while k < candidates.len() {
            let arr = candidates[k];
            let v = settle(arr.0, arr.1);
            tried.push(format!("{}{}:{v}", u8::from(arr.0), u8::from(arr.1)));
            if k == 0 && narrow && cols == 1.0 && side_cells > 0.0 {
                overflowed = self.root.get_bounding_client_rect().width() > avail_w + 0.5;
                if overflowed {
                    candidates.push((false, true));
                }
            }
            // The words read best under the views, on one grid: another arrangement
            // has to give clearly larger views (stacking only when the views are small,
            // or when nothing else fits the width).
            let better = match arr {
                (true, _) => v > best.0 * 1.08,
                (_, true) => overflowed || (best.0 < NARROW_MIN_VIEW && v > best.0),
                _ => k == 0,
            };
            if better {
                best = (v, arr);
            }
            k += 1;
        }
        let last = candidates.last().copied();
        let v = if last == Some(best.1) {
            best.0
        } else {
            settle(best.1 .0, best.1 .1)
        };
        dom::set_data(&self.root, "view", &format!("{v}"));
        let compact = if present {
            PRESENT_COMPACT_VIEW
        } else {
            COMPACT_VIEW
        };
        dom::toggle_class(&self.root, "compact", v < compact);
        dom::set_data(&self.root, "tried", &tried.join(" "));
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
        let widened = cells::label(state, y_loss, (b, c), buf);
        let view = &cell.views[0];
        view.put(buf, n);
        view.describe(describe::label(b, c, status, levels::bits(painted).view()));
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
    /// whether that is right for its label status (`crate::engine::verdict`).
    /// `logits`: the gradient views show ∂L/∂z (the badges still judge the push on ỹ).
    pub fn verdicts(
        &self,
        state: &AppState,
        v: &Array2<Option<CellVerdict>>,
        scale: &VerdictScale,
        logits: bool,
    ) -> bool {
        let rule = threshold_sentence(scale);
        let tied = ties_classes(state, state.settings.activation);
        let mut reworded = false;
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
                    scale: scale.scale.to_bits(),
                    tied,
                    logits,
                };
                let slot = &mut shown[b * self.c + c];
                if *slot == Some(key) {
                    continue;
                }
                // New words when the verdict, its correctness, what it judged or the
                // status changed.
                let words = |k: &BadgeKey| {
                    (
                        k.verdict
                            .map(|v| (v.verdict, v.correct, v.undefined, v.judged, v.reached)),
                        k.status,
                    )
                };
                reworded |= slot.as_ref().map(words) != Some(words(&key));
                *slot = Some(key);
                dom::set_text(&cell.status_word, status.words());
                write_badge(&cell.badge, &cell.why, cv, status, tied, &rule, logits);
            }
        }
        reworded
    }

    /// Compare mode's side: its gradient views and verdict badges, and while B trains a
    /// model of its own (`trained`) its prediction views and result lines.
    pub fn draw_compare(
        &self,
        state: &AppState,
        side: &crate::page::derived::Side,
        trained: Option<&Training>,
        buf: &mut Vec<u8>,
    ) -> bool {
        let b_prob = trained.and(side.eval.as_ref().ok()).map(|e| e.prob.view());
        let mut words = self.draw_compare_preds(state, b_prob, trained, buf);
        let shown = side.shown(state.display.logit_grad);
        let logits = shown.as_ref().is_some_and(|g| g.logits);
        let rule = threshold_sentence(&side.verdict_scale);
        let tied = ties_classes(state, side.settings.activation);
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.compare.get(b * self.c + c) else {
                    continue;
                };
                let scale = side.scales.get((b, c)).copied().unwrap_or_default();
                let excluded = side
                    .eval
                    .as_ref()
                    .is_ok_and(|e| e.cell_set.get((b, c)).copied().flatten().is_none());
                draw_grad_view(
                    &cell.view,
                    state,
                    !excluded,
                    shown.as_ref(),
                    b,
                    c,
                    scale,
                    self.n,
                    buf,
                    &mut self.obuf.borrow_mut(),
                );
                if excluded {
                    cell.view.word(Some("excluded"));
                }
                let cv = side.verdicts.get((b, c)).copied().flatten();
                let status = state.status.get((b, c)).copied().unwrap_or_default();
                write_badge(&cell.badge, &cell.why, cv, status, tied, &rule, logits);
                words.push_str(&cell.why.text_content().unwrap_or_default());
            }
        }
        // The reasons' lengths decide the cells' heights: a new text may need a new layout.
        let changed = *self.compare_words.borrow() != words;
        *self.compare_words.borrow_mut() = words;
        changed
    }

    /// B's prediction views and result lines: drawn from B's own model while it trains,
    /// else hidden. Returns their words and shape (a change may need a new layout).
    fn draw_compare_preds(
        &self,
        state: &AppState,
        prob: Option<ndarray::ArrayView4<f64>>,
        trained: Option<&Training>,
        buf: &mut Vec<u8>,
    ) -> String {
        let mut words = String::from(if prob.is_some() { "B-pred " } else { "" });
        for (k, cell) in self.compare.iter().enumerate() {
            let (b, c) = (k / self.c, k % self.c);
            dom::set_hidden(&cell.pred.fig, prob.is_none());
            if let Some(p) = prob {
                let pred = p.slice(ndarray::s![b, c, .., ..]);
                cells::prediction(pred, buf);
                cell.pred.put(buf, self.n);
                cell.pred.overlay(
                    self.n,
                    (&[], &[]),
                    &[],
                    &layout::hidden_mask(state, b, c),
                    &mut self.obuf.borrow_mut(),
                );
                cell.pred.describe(describe::prediction(b, c, pred));
            }
            match trained.and_then(|t| t.result_line(b, c)) {
                Some(line) => {
                    dom::set_text(&cell.result, &line);
                    dom::set_hidden(&cell.result, false);
                    words.push_str(&line);
                }
                None => dom::set_hidden(&cell.result, true),
            }
        }
        self.compare_views
            .set(if prob.is_some() { 2.0 } else { 1.0 });
        dom::set_data(
            &self.root,
            "bTrained",
            if prob.is_some() { "true" } else { "false" },
        );
        words
    }

    /// Draws the prediction view of cell (b, c) from `pred` (the painted prediction, or
    /// a trained model's output).
    pub fn draw_pred(
        &self,
        state: &AppState,
        pred: ndarray::ArrayView4<f64>,
        b: usize,
        c: usize,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        let n = self.n;
        let pred = pred.slice(ndarray::s![b, c, .., ..]);
        cells::prediction(pred, buf);
        let view = &cell.views[1];
        view.put(buf, n);
        view.overlay(
            n,
            (&[], &[]),
            &[],
            &layout::hidden_mask(state, b, c),
            &mut self.obuf.borrow_mut(),
        );
        view.describe(describe::prediction(b, c, pred));
    }

    #[allow(clippy::too_many_arguments)]
    pub fn draw_grad(
        &self,
        state: &AppState,
        eval: Option<&Evaluation>,
        shown: Option<&ShownGrad<'_>>,
        b: usize,
        c: usize,
        scale: Scale,
        buf: &mut Vec<u8>,
    ) {
        let Some(cell) = self.cell(b, c) else { return };
        let in_loss = eval.is_some_and(|e| e.cell_set.get((b, c)).copied().flatten().is_some());
        draw_grad_view(
            &cell.views[2],
            state,
            in_loss,
            shown,
            b,
            c,
            scale,
            self.n,
            buf,
            &mut self.obuf.borrow_mut(),
        );
    }

    /// Which class columns are drawn: the others and their headers are hidden, and the
    /// grid has as many columns as are shown.
    pub fn set_columns(&self, shown: &[bool], rows: &[bool]) {
        if *self.columns.borrow() == shown && *self.rows.borrow() == rows {
            return;
        }
        *self.rows.borrow_mut() = rows.to_vec();
        let row = |k: usize| rows.get(k / self.c).copied().unwrap_or(true);
        for (b, head) in self.row_heads.iter().enumerate() {
            dom::set_hidden(head, !row(b * self.c));
        }
        // (Rows are hidden only in presentation, which hides the input images anyway.)
        for (c, head) in self.col_heads.iter().enumerate() {
            dom::set_hidden(head, !shown.get(c).copied().unwrap_or(true));
        }
        for (k, cell) in self.cells.iter().enumerate() {
            let on = shown.get(k % self.c).copied().unwrap_or(true) && row(k);
            dom::set_hidden(&cell.el, !on);
        }
        // Compare mode's side shows the same classes.
        for (c, head) in self.compare_heads.iter().enumerate() {
            dom::set_hidden(head, !shown.get(c).copied().unwrap_or(true));
        }
        for (k, cell) in self.compare.iter().enumerate() {
            let on = shown.get(k % self.c).copied().unwrap_or(true) && row(k);
            dom::set_hidden(&cell.el, !on);
        }
        let count = shown.iter().filter(|&&s| s).count().max(1);
        dom::set_style(&self.root, "--classes", &count.to_string());
        dom::set_data(&self.root, "shown", &count.to_string());
        *self.columns.borrow_mut() = shown.to_vec();
    }

    /// Captions (set, sDSC, per-cell maximum), headings and the excluded-class look.
    pub fn captions(&self, state: &AppState, eval: Option<&Evaluation>, scales: &Array2<Scale>) {
        let logits =
            state.settings.activation != crate::Activation::None && state.display.logit_grad;
        for h in &self.grad_heads {
            dom::set_text(h, if logits { "∂L/∂z" } else { "∂L/∂ỹ" });
        }
        // Beside compare mode's "B · class c", A's columns say they are A's.
        let side = if self.compare.is_empty() { "" } else { "A · " };
        for (c, h) in self.class_heads.iter().enumerate() {
            dom::set_text(h, &format!("{side}{}", class_name(c, state)));
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
                let own_scale = (!state.display.shared_scale)
                    .then(|| scales.get((b, c)).copied())
                    .flatten();
                let text = readout::caption(eval, b, c, own_scale);
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

/// The grid view: built for the model's size, redrawn from what changed. It starts
/// empty: the cells are built on the first sync, for the model's size (their label status
/// selects are wired with the grid's other events, `super::events`).
#[derive(Default)]
pub struct Grid {
    view: Option<GridView>,
    /// Pixel buffer reused for ImageData.
    buf: Vec<u8>,
}

impl Grid {
    /// Redraws what changed; `moved`: the space above the grid changed size.
    pub fn sync(&mut self, f: &Frame, moved: bool, plan: &Plan) -> bool {
        let (m, derived, ch, fresh) = (f.model, f.derived, f.change, f.fresh);
        let s = &m.state;
        let dims = (
            s.batch(),
            s.classes(),
            s.size(),
            m.train.show_images,
            s.compare.is_some(),
        );
        let rebuilt = self.view.as_ref().map(GridView::dims) != Some(dims);
        if rebuilt {
            match GridView::build(s, m.train.show_images, s.compare.is_some()) {
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
        let eval = derived.main.eval.as_ref().ok();
        let columns = layout::columns(m, eval);
        // The plan may leave out the images the lesson is not about, the input images'
        // column and the captions, to keep readable views.
        let rows = if plan.shape.taught_rows_only {
            layout::taught(m, &columns.shown)
        } else {
            layout::rows(m, &columns.shown)
        };
        let shape = (plan.shape.no_image, plan.shape.no_captions);
        let reshaped = g.shape.get() != shape;
        g.shape.set(shape);
        dom::toggle_class(&g.root, "no-x", plan.shape.no_image);
        dom::toggle_class(&g.root, "no-captions", plan.shape.no_captions);
        let regrid = reshaped || *g.columns.borrow() != columns.shown || *g.rows.borrow() != rows;
        g.set_columns(&columns.shown, &rows);
        let pred = derived.shown_pred(m);
        for b in 0..dims.0 {
            if all || ch.images.contains(&b) {
                g.draw_image(s, b, &mut self.buf);
            }
            for c in 0..dims.1 {
                if all || ch.labels.contains(&(b, c)) {
                    g.draw_label(s, derived.y(), b, c, &mut self.buf);
                    drew = true;
                }
                // The labels too: a missing label's outline is drawn on the prediction.
                if all || ch.preds.contains(&(b, c)) || ch.labels.contains(&(b, c)) {
                    g.draw_pred(s, pred, b, c, &mut self.buf);
                    drew = true;
                }
            }
        }
        let mut reworded = false;
        if all || ch.training {
            let lines = Array2::from_shape_fn((dims.0, dims.1), |(b, c)| {
                m.train.session.as_ref().and_then(|t| t.result_line(b, c))
            });
            reworded |= g.results(&lines);
        }
        let shown = derived.shown_grad(m);
        for ((b, c), &dirty) in fresh.grads.indexed_iter() {
            if all || dirty {
                let scale = derived
                    .main
                    .scales
                    .get((b, c))
                    .copied()
                    .unwrap_or(derived.main.shared);
                g.draw_grad(s, eval, shown.as_ref(), b, c, scale, &mut self.buf);
                drew = true;
            }
        }
        let logits = shown.as_ref().is_some_and(|g| g.logits);
        let captions = all || fresh.evaluated || fresh.rescaled;
        if captions {
            g.captions(s, eval, &derived.main.scales);
        }
        if all || fresh.evaluated || ch.display {
            reworded |= g.verdicts(
                s,
                &derived.main.verdicts,
                &derived.main.verdict_scale,
                logits,
            );
        }
        if let Some(side) = &derived.compare {
            if all || fresh.compared {
                let trained_b = m.train.session.as_ref().and_then(|t| t.compare.as_deref());
                reworded |= g.draw_compare(s, side, trained_b, &mut self.buf);
                drew = true;
            }
        }
        // Last, once the words are in: their size decides the views' size. Not in the
        // middle of a stroke (the grid must not move under the pointer).
        if all
            || ch.layout
            || moved
            || regrid
            || ch.screen
            || (reworded && m.paint.stroke.is_none())
        {
            g.layout(s.mode.embed, s.mode.present, plan);
            drew = true;
        }
        if captions || ch.hover || ch.focus || ch.tool {
            g.show_hover(
                eval,
                m.explain.hover,
                &m.paint.tool,
                derived.selected_set(m),
            );
        }
        drew
    }
}
