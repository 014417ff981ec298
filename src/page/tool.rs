//! The painting tools: brush and helper settings (part of the page model, not of the
//! link) and a stroke segment in the pointer's (row, column) coordinates.

use crate::page::paint::{self, Brush, Cells, Layer, Shape};
use crate::page::state::AppState;

/// The brush and helper settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    /// Brush radius in pixels (0 = the pixel under the pointer only).
    pub radius: f64,
    pub square: bool,
    /// The label brush erases.
    pub label_erase: bool,
    /// The prediction brush's value.
    pub pred_value: f64,
    /// The prediction brush fades to the old value at its rim.
    pub soft: bool,
    /// Helpers act on every cell instead of the selected one.
    pub helper_all: bool,
    /// Seed of the next noise helper (changes each time, so noise can be re-rolled).
    pub noise_seed: u64,
    /// Paint mode on a touch screen: a finger paints (else a swipe scrolls the page).
    /// The mouse and the pen paint either way.
    pub paint_mode: bool,
}

/// What kind of pointer pressed a view (a pointer event's `pointerType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointerKind {
    Mouse,
    Pen,
    Touch,
}

/// [`Tool::paints_with`] for a tool whose paint mode is `paint_mode` (the browser keeps
/// only that flag at hand for its pointer handler).
pub fn paints(paint_mode: bool, pointer: PointerKind) -> bool {
    pointer != PointerKind::Touch || paint_mode
}

impl PointerKind {
    /// The kind of a `pointerType`; an unknown kind counts as a mouse (it paints).
    pub fn parse(s: &str) -> PointerKind {
        match s {
            "touch" => PointerKind::Touch,
            "pen" => PointerKind::Pen,
            _ => PointerKind::Mouse,
        }
    }
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            radius: 2.0,
            square: false,
            label_erase: false,
            pred_value: 1.0,
            soft: true,
            helper_all: false,
            noise_seed: 1,
            paint_mode: false,
        }
    }
}

impl Tool {
    /// Whether a press of this pointer on a view paints: a finger only in paint mode, so
    /// that a swipe which starts on a view scrolls the page instead of changing the scene.
    pub fn paints_with(&self, pointer: PointerKind) -> bool {
        paints(self.paint_mode, pointer)
    }

    pub fn brush(&self, erase: bool) -> Brush {
        Brush {
            radius: self.radius.max(0.0),
            shape: if self.square {
                Shape::Square
            } else {
                Shape::Disk
            },
            erase,
            value: self.pred_value,
            soft: self.soft,
        }
    }

    /// Paints the segment between two (row, column) points of cell (b, c). `erase` is the
    /// eraser (right button, pen eraser): it erases a label and paints ỹ = 0.
    pub fn stroke(
        &self,
        state: &mut AppState,
        (layer, b, c): (Layer, usize, usize),
        from: (f64, f64),
        to: (f64, f64),
        erase: bool,
    ) -> Cells {
        let mut brush = self.brush(erase || (layer == Layer::Label && self.label_erase));
        if layer != Layer::Label && erase {
            // The eraser paints ỹ = 0, or a black image.
            brush.value = 0.0;
        }
        // paint works in (x, y) = (column, row).
        paint::stroke(state, layer, b, c, (from.1, from.0), (to.1, to.0), &brush)
    }
}
