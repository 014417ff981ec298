//! Applies the layout plan (`page::layout::Plan`) to the grid: which columns and rows
//! are drawn, and the views' size within the plan's bounds.

use wasm_bindgen::JsValue;
use web_sys::HtmlElement;

use crate::page::layout::Plan;
use crate::web::dom;

use super::GridView;

/// On a narrow screen, cells stack one per line when side by side they would be smaller.
const NARROW_MIN_VIEW: f64 = 84.0;
/// Below this view size (CSS px) the column headers keep only their symbols.
const COMPACT_VIEW: f64 = 84.0;
/// The same in presentation mode, whose headers are in hall-sized type.
const PRESENT_COMPACT_VIEW: f64 = 150.0;
/// Room kept under the grid (CSS px).
const BOTTOM_GAP: f64 = 10.0;

impl GridView {
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
}
