//! The hover highlight: the hovered pixel's marker in its cell's views, the cells of its
//! set (or the selected set) outlined, and the brush outline on a paintable view.

use crate::engine::loss::Evaluation;
use crate::page::model::{Hover, ViewKind};
use crate::page::tool::Tool;
use crate::web::dom;

use super::{GridView, Shown};

impl GridView {
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
