//! Applies the layout plan (`page::layout::Plan`) to the grid: which columns and rows
//! are drawn, and the views' size within the plan's bounds.

use wasm_bindgen::JsValue;
use web_sys::HtmlElement;

use crate::page::layout::Plan;
use crate::web::dom;

use super::GridView;

/// On a screen that scrolls, cells stack one per line when side by side they would be smaller.
const NARROW_MIN_VIEW: f64 = 84.0;
/// Below this view size (CSS px) the column headers keep only their symbols.
const COMPACT_VIEW: f64 = 84.0;
/// The same in presentation mode, whose headers are in hall-sized type.
const PRESENT_COMPACT_VIEW: f64 = 150.0;
/// Room kept under the grid (CSS px).
const BOTTOM_GAP: f64 = 10.0;

/// The space the grid has and what it must hold, read once per layout.
struct Room {
    /// The screen scrolls down (the plan's `scrolls`): the views need not fit its height.
    scrolls: bool,
    /// The window's inner height and the grid's column's width (CSS px).
    inner_h: f64,
    avail_w: f64,
    /// How far the page is scrolled (the grid's top in the document, whatever is
    /// scrolled).
    scrolled: f64,
    /// The class columns and image rows shown.
    cols: f64,
    rows: f64,
    /// Cells of one view each beside the classes: the input image, compare mode's side.
    side_cells: f64,
    /// The plan's bounds: its floor (never smaller views) and its largest views.
    min_view: f64,
    max: f64,
    /// The cells' least width (the plan's: the width there is, shared).
    cell_min: f64,
}

impl Room {
    /// The height left for the grid below its top (`r`: the grid's box now).
    fn height(&self, r: &web_sys::DomRect) -> f64 {
        if self.scrolls {
            f64::INFINITY
        } else {
            self.inner_h - BOTTOM_GAP - r.top() - self.scrolled
        }
    }

    /// Views across one line and lines of views in an arrangement: compare mode's side
    /// and the input images add one view per shown class and one per image.
    fn per_and_lines(&self, stack: bool) -> (f64, f64) {
        if stack {
            (3.0, self.rows * (self.cols + self.side_cells))
        } else {
            (3.0 * self.cols + self.side_cells, self.rows)
        }
    }
}

impl GridView {
    /// Reads the space the grid has now (`None` without a window).
    fn room(&self, present: bool, plan: &Plan) -> Option<Room> {
        let w = dom::window().ok()?;
        let num = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64());
        // Where the plan's screen scrolls down (the one-column page and presentation, a
        // page or presentation below the sizes that hold the grid, an embed's frame that
        // cannot) the grid need not fit the height: its views are the plan's, which keep
        // each row within one screen, or smaller where the width needs it.
        let scrolls = plan.scrolls;
        let cols = self.columns.borrow().iter().filter(|&&s| s).count().max(1) as f64;
        let rows = self.rows.borrow().iter().filter(|&&s| s).count().max(1) as f64;
        let avail_w = self
            .root
            .parent_element()
            .map(|p| f64::from(p.client_width()))
            .unwrap_or(800.0);
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
        let scrolled = dom::by_id::<HtmlElement>("main").map_or(0.0, |m| f64::from(m.scroll_top()))
            + w.scroll_y().unwrap_or(0.0);
        Some(Room {
            scrolls,
            inner_h: num(w.inner_height()).unwrap_or(800.0),
            avail_w,
            scrolled,
            cols,
            rows,
            side_cells,
            min_view: plan.view_floor,
            max: if plan.scrolls {
                plan.view
            } else {
                plan.view_max
            },
            cell_min: plan.cell_min,
        })
    }

    fn set_view(&self, v: f64) {
        dom::set_style(&self.root, "--view", &format!("{v}px"));
    }

    /// Lays the grid out in one arrangement: a first guess from a probe size, then
    /// corrections with what is measured (the words beside or under the views wrap
    /// differently at each size and may be taller than the views), shrinking on overflow
    /// and growing into room left; never ending on an overflow. Returns the view size,
    /// which is set.
    fn settle(&self, room: &Room, beside: bool, stack: bool) -> f64 {
        let (min_view, max, avail_w) = (room.min_view, room.max, room.avail_w);
        dom::toggle_class(&self.root, "beside", beside);
        dom::toggle_class(&self.root, "stack", stack);
        dom::set_style(&self.root, "--cell-min", &format!("{}px", room.cell_min));
        let probe = 160.0;
        self.set_view(probe);
        let r = self.root.get_bounding_client_rect();
        let (per, lines) = room.per_and_lines(stack);
        let extra_w = r.width() - per * probe;
        let extra_h = r.height() - lines * probe;
        let mut v = ((avail_w - extra_w) / per)
            .min((room.height(&r) - extra_h) / lines)
            .clamp(min_view, max)
            .floor();
        self.set_view(v);
        for _ in 0..4 {
            let r = self.root.get_bounding_client_rect();
            let over_w = r.width() - avail_w;
            let over_h = r.height() - room.height(&r);
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
            self.set_view(v);
        }
        for _ in 0..3 {
            let r = self.root.get_bounding_client_rect();
            let over_w = r.width() - avail_w;
            let over_h = r.height() - room.height(&r);
            if (over_w <= 0.5 && over_h <= 0.5) || v <= min_view {
                break;
            }
            v = (v
                - (over_w.max(0.0) / per)
                    .max(over_h.max(0.0) / lines)
                    .ceil()
                    .max(1.0))
            .max(min_view);
            self.set_view(v);
        }
        v
    }

    /// Sizes the views so the grid fits the space it has: the width of its column and,
    /// except on a screen that scrolls, the height left below its top, so every shown cell and
    /// badge is on screen without scrolling. The space the headers, badges, reasons and
    /// captions take is measured, not assumed; with one column the cells' words may go
    /// beside the views (`beside`) when that leaves larger views. On a screen that scrolls the
    /// cells stack one per line when the columns side by side would be too small.
    pub fn layout(&self, present: bool, plan: &Plan) {
        let Some(room) = self.room(present, plan) else {
            return;
        };
        let (scrolls, cols) = (room.scrolls, room.cols);
        let mut candidates = vec![(false, false)];
        if cols == 1.0 {
            candidates.push((true, false));
        }
        // (Cells beside one class, compare's B or the input images, may stack too: a
        // scrolling embed after a run has them beside its one class at the floor.)
        if scrolls && (cols > 1.0 || room.side_cells > 0.0) {
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
            let v = self.settle(&room, arr.0, arr.1);
            tried.push(format!("{}{}:{v}", u8::from(arr.0), u8::from(arr.1)));
            if k == 0 && scrolls && cols == 1.0 && room.side_cells > 0.0 {
                overflowed = self.root.get_bounding_client_rect().width() > room.avail_w + 0.5;
                if overflowed && !candidates.contains(&(false, true)) {
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
            self.settle(&room, best.1 .0, best.1 .1)
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
        // (Rows are hidden only where the input images' column is hidden too: presentation,
        // and the plan's shapes, which leave out that column before any image.)
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
}
