//! Draws the state and its evaluation: one H×W canvas per view, scaled up by CSS with
//! `image-rendering: pixelated`. Nothing is computed here beyond mapping values to
//! colours (see `crate::present::colormap`); the words are `present`'s (`grid_words`,
//! `verdict`, `describe`, `readout`). By job: `build` makes the cells, `pixels` makes the
//! views and draws into them, `badges` writes the verdicts, result lines and captions,
//! `layout` applies the layout plan and `hover` the hover highlight; this module holds
//! the views' types and routes a frame's changes to them.

mod badges;
mod build;
mod hover;
mod layout;
mod pixels;

use std::cell::RefCell;

use ndarray::Array2;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, HtmlSelectElement};

use crate::engine::status::LabelStatus;
use crate::engine::verdict::CellVerdict;
use crate::page::layout::{self as page_layout, Plan};

use super::dom;
use super::Frame;

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

    fn cell(&self, b: usize, c: usize) -> Option<&CellView> {
        if b < self.b && c < self.c {
            self.cells.get(b * self.c + c)
        } else {
            None
        }
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
        let columns = page_layout::columns(m, eval);
        // The plan may leave out the images the lesson is not about, the input images'
        // column and the captions, to keep readable views.
        let (rows, left) = page_layout::drawn_rows(m, &columns.shown, plan);
        let shape = (plan.shape.no_image, plan.shape.no_captions);
        let reshaped = g.shape.get() != shape;
        g.shape.set(shape);
        dom::toggle_class(&g.root, "no-x", plan.shape.no_image);
        dom::toggle_class(&g.root, "no-captions", plan.shape.no_captions);
        let regrid = reshaped || *g.columns.borrow() != columns.shown || *g.rows.borrow() != rows;
        if regrid || ch.screen {
            // The line above the grid naming the images left out (the plan counts it).
            if let Some(note) = dom::by_id::<HtmlElement>("rows-note") {
                let text = crate::present::grid_words::rows_left_out(&left);
                dom::set_text(&note, text.as_deref().unwrap_or(""));
                dom::set_hidden(&note, text.is_none());
            }
        }
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
                let scale = derived.main.scale_of(b, c);
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
            g.layout(s.mode.present, plan);
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
