//! Undo/redo of whole edits: a brush stroke from pointer-down ([`History::begin`]) to
//! pointer-up ([`History::commit`]), or a one-shot operation such as fill, clear or a helper
//! ([`History::record`]).
//!
//! A step stores, for each (b, c) cell that changed, before/after copies of that cell's
//! H×W label and/or prediction image, compactly (labels as bits, predictions as 1e-4 grid
//! levels; values off the grid are kept as raw floats, so restoring is always exact). The
//! history is bounded in steps (default 200) and in stored bytes (default 64 MiB); the
//! oldest steps go first. A new edit clears the redo stack.
//!
//! Settings are not in this history (they live in the URL). The history does not span a
//! change of dimensions or of exclusive mode: call [`History::clear`] after either. As a
//! safeguard, recording across such a change, or undoing/redoing into a state of another
//! size or mode, clears the history instead.

use std::collections::VecDeque;

use ndarray::{s, Array3, Array4, ArrayView2, ArrayViewMut2};

use crate::page::levels::{bit, on_grid, pack_bits, PRED_LEVELS};
use crate::page::paint::Cells;
use crate::page::state::AppState;

pub const DEFAULT_MAX_STEPS: usize = 200;
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// One H×W image, stored exactly in the most compact form that fits.
#[derive(Clone, Debug)]
enum Plane {
    /// Values all 0 or 1, packed 8 to a byte.
    Bits(Vec<u8>),
    /// Values all on the 1e-4 grid.
    Levels(Vec<u16>),
    Raw(Vec<f64>),
}

impl Plane {
    fn capture(view: ArrayView2<f64>) -> Plane {
        if view.iter().all(|&v| v == 0.0 || v == 1.0) {
            Plane::Bits(pack_bits(view.iter().map(|&v| v == 1.0)))
        } else if view.iter().all(|&v| on_grid(v)) {
            Plane::Levels(
                view.iter()
                    .map(|&v| (v * PRED_LEVELS).round() as u16)
                    .collect(),
            )
        } else {
            Plane::Raw(view.iter().copied().collect())
        }
    }

    fn restore(&self, mut view: ArrayViewMut2<f64>) {
        for (k, v) in view.iter_mut().enumerate() {
            *v = match self {
                Plane::Bits(bits) => f64::from(u8::from(bit(bits, k))),
                Plane::Levels(levels) => f64::from(levels[k]) / PRED_LEVELS,
                Plane::Raw(raw) => raw[k],
            };
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Plane::Bits(b) => b.len(),
            Plane::Levels(l) => 2 * l.len(),
            Plane::Raw(r) => 8 * r.len(),
        }
    }
}

/// Before and after of one tensor's image of one cell.
type Pair = Option<[Plane; 2]>;

#[derive(Clone, Debug)]
struct CellChange {
    b: usize,
    c: usize,
    labels: Pair,
    pred: Pair,
}

#[derive(Clone, Debug)]
struct Step {
    dims: (usize, usize, usize, usize),
    exclusive: bool,
    cells: Vec<CellChange>,
    /// Batch elements whose input image changed, with before and after.
    images: Vec<(usize, [Plane; 2])>,
    bytes: usize,
}

/// What an undo or redo rewrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Restored {
    /// Cells whose label or prediction changed.
    pub cells: Cells,
    /// Batch elements whose input image changed.
    pub images: Vec<usize>,
}

impl Step {
    fn fits(&self, state: &AppState) -> bool {
        state.labels.dim() == self.dims
            && state.pred.dim() == self.dims
            && state.exclusive == self.exclusive
    }

    /// Writes the before (0) or after (1) images into `state`.
    fn apply(&self, state: &mut AppState, side: usize) -> Restored {
        for (b, pair) in &self.images {
            pair[side].restore(state.image.slice_mut(s![*b, .., ..]));
        }
        for cell in &self.cells {
            if let Some(pair) = &cell.labels {
                pair[side].restore(state.labels.slice_mut(s![cell.b, cell.c, .., ..]));
            }
            if let Some(pair) = &cell.pred {
                pair[side].restore(state.pred.slice_mut(s![cell.b, cell.c, .., ..]));
            }
        }
        Restored {
            cells: self.cells.iter().map(|cell| (cell.b, cell.c)).collect(),
            images: self.images.iter().map(|(b, _)| *b).collect(),
        }
    }
}

fn same(a: ArrayView2<f64>, b: ArrayView2<f64>) -> bool {
    a.iter()
        .zip(b.iter())
        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

fn pair(before: ArrayView2<f64>, after: ArrayView2<f64>) -> Pair {
    if same(before, after) {
        None
    } else {
        Some([Plane::capture(before), Plane::capture(after)])
    }
}

/// The step from (before tensors, mode) to `after`, or None if nothing changed or the
/// sizes/mode differ.
fn diff(before: &Snapshot, after: &AppState) -> Option<Step> {
    let dims = before.labels.dim();
    if before.pred.dim() != dims
        || after.labels.dim() != dims
        || after.pred.dim() != dims
        || after.exclusive != before.exclusive
        || after.image.dim() != before.image.dim()
    {
        return None;
    }
    let mut cells = Vec::new();
    let mut bytes = 0;
    for b in 0..dims.0 {
        for c in 0..dims.1 {
            let sl = s![b, c, .., ..];
            let labels = pair(before.labels.slice(sl), after.labels.slice(sl));
            let pred = pair(before.pred.slice(sl), after.pred.slice(sl));
            if labels.is_none() && pred.is_none() {
                continue;
            }
            for p in labels.iter().chain(pred.iter()) {
                bytes += p[0].bytes() + p[1].bytes();
            }
            cells.push(CellChange { b, c, labels, pred });
        }
    }
    let mut images = Vec::new();
    for b in 0..dims.0 {
        let sl = s![b, .., ..];
        if let Some(p) = pair(before.image.slice(sl), after.image.slice(sl)) {
            bytes += p[0].bytes() + p[1].bytes();
            images.push((b, p));
        }
    }
    if cells.is_empty() && images.is_empty() {
        return None;
    }
    Some(Step {
        dims,
        exclusive: before.exclusive,
        cells,
        images,
        bytes,
    })
}

/// The tensors at pointer-down.
#[derive(Clone, Debug)]
struct Snapshot {
    labels: Array4<f64>,
    pred: Array4<f64>,
    image: Array3<f64>,
    exclusive: bool,
}

impl Snapshot {
    fn of(state: &AppState) -> Snapshot {
        Snapshot {
            labels: state.labels.clone(),
            pred: state.pred.clone(),
            image: state.image.clone(),
            exclusive: state.exclusive,
        }
    }
}

#[derive(Clone, Debug)]
pub struct History {
    undo: VecDeque<Step>,
    redo: Vec<Step>,
    pending: Option<Snapshot>,
    max_steps: usize,
    max_bytes: usize,
    /// Bytes held by both stacks.
    bytes: usize,
}

impl Default for History {
    fn default() -> Self {
        History::with_limits(DEFAULT_MAX_STEPS, DEFAULT_MAX_BYTES)
    }
}

impl History {
    /// At most `max_steps` (≥ 1) undo steps and about `max_bytes` of stored images (the
    /// newest step is always kept, whatever its size).
    pub fn with_limits(max_steps: usize, max_bytes: usize) -> History {
        History {
            undo: VecDeque::new(),
            redo: Vec::new(),
            pending: None,
            max_steps: max_steps.max(1),
            max_bytes,
            bytes: 0,
        }
    }

    /// Pointer-down: remembers the tensors (replacing an unfinished stroke).
    pub fn begin(&mut self, state: &AppState) {
        self.pending = Some(Snapshot::of(state));
    }

    #[cfg(test)]
    /// Whether a stroke is under way (between `begin` and `commit`/`cancel`).
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets an unfinished stroke (pointer-cancel), storing nothing.
    pub fn cancel(&mut self) {
        self.pending = None;
    }

    /// Pointer-up: stores the stroke as one step. Returns false, storing nothing, if there
    /// was no `begin`, nothing changed, or the size/mode changed meanwhile (then the whole
    /// history is cleared).
    pub fn commit(&mut self, state: &AppState) -> bool {
        let Some(snap) = self.pending.take() else {
            return false;
        };
        if snap.labels.dim() != state.labels.dim() || snap.exclusive != state.exclusive {
            self.clear();
            return false;
        }
        match diff(&snap, state) {
            Some(step) => {
                self.push(step);
                true
            }
            None => false,
        }
    }

    /// Stores a one-shot edit (fill, clear, helper). Same return value as `commit`.
    pub fn record(&mut self, before: &AppState, after: &AppState) -> bool {
        if before.labels.dim() != after.labels.dim() || before.exclusive != after.exclusive {
            self.clear();
            return false;
        }
        match diff(&Snapshot::of(before), after) {
            Some(step) => {
                self.push(step);
                true
            }
            None => false,
        }
    }

    fn push(&mut self, step: Step) {
        for old in self.redo.drain(..) {
            self.bytes -= old.bytes;
        }
        self.bytes += step.bytes;
        self.undo.push_back(step);
        while self.undo.len() > self.max_steps
            || (self.bytes > self.max_bytes && self.undo.len() > 1)
        {
            if let Some(old) = self.undo.pop_front() {
                self.bytes -= old.bytes;
            }
        }
    }

    /// Restores the state before the last step; returns the cells it rewrote, or None if
    /// there is nothing to undo (or the state no longer fits the history, which is then
    /// cleared). Abandons an unfinished stroke.
    pub fn undo(&mut self, state: &mut AppState) -> Option<Restored> {
        self.pending = None;
        let step = self.undo.pop_back()?;
        if !step.fits(state) {
            self.bytes -= step.bytes;
            self.clear();
            return None;
        }
        let cells = step.apply(state, 0);
        self.redo.push(step);
        Some(cells)
    }

    /// Re-applies the last undone step; like `undo`.
    pub fn redo(&mut self, state: &mut AppState) -> Option<Restored> {
        self.pending = None;
        let step = self.redo.pop()?;
        if !step.fits(state) {
            self.bytes -= step.bytes;
            self.clear();
            return None;
        }
        let cells = step.apply(state, 1);
        self.undo.push_back(step);
        Some(cells)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    #[cfg(test)]
    /// Number of undo steps held.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    #[cfg(test)]
    /// Number of redo steps held.
    pub fn redo_len(&self) -> usize {
        self.redo.len()
    }

    #[cfg(test)]
    /// Bytes of stored images (both stacks).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Forgets everything (after a resize or a change of exclusive mode).
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
        self.pending = None;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::paint::tests::{check_invariants, diff_cells, random_op};
    use crate::page::paint::{apply_helper, fill, resize, stroke, Brush, Helper, Layer, Target};

    fn brush(value: f64) -> Brush {
        Brush {
            radius: 2.0,
            value,
            ..Brush::default()
        }
    }

    #[test]
    fn stroke_undo_redo_restore_exactly() {
        let mut s = AppState::default_scene();
        let s0 = s.clone();
        let mut h = History::default();
        h.begin(&s);
        stroke(
            &mut s,
            Layer::Label,
            1,
            1,
            (2.0, 2.0),
            (20.0, 9.0),
            &brush(1.0),
        );
        stroke(
            &mut s,
            Layer::Pred,
            1,
            1,
            (20.0, 9.0),
            (25.0, 25.0),
            &brush(0.3),
        );
        assert!(h.commit(&s));
        let s1 = s.clone();
        // Only image 1 (both classes) is stored, not whole tensors.
        assert_eq!(h.undo.back().unwrap().cells.len(), 2);
        // Two cells × (label bits + pred levels) × (before, after): a quarter of the bytes of
        // the two f64 tensors.
        assert_eq!(h.bytes(), 2 * 2 * (32 * 32 / 8 + 2 * 32 * 32));
        assert_eq!(h.undo(&mut s).map(|r| r.cells), Some(vec![(1, 0), (1, 1)]));
        assert_eq!(s, s0);
        assert_eq!(h.redo(&mut s).map(|r| r.cells), Some(vec![(1, 0), (1, 1)]));
        assert_eq!(s, s1);
        assert_eq!(h.undo(&mut s).map(|r| r.cells), Some(vec![(1, 0), (1, 1)]));
        assert_eq!(s, s0);
        assert!(h.undo(&mut s).is_none());
        assert_eq!(s, s0);
        assert!(h.redo(&mut s).is_some());
        assert!(h.redo(&mut s).is_none());
        assert_eq!(s, s1);
    }

    #[test]
    fn a_no_op_stroke_adds_no_step() {
        let mut s = AppState::default_scene();
        let mut h = History::default();
        assert!(!h.commit(&s), "commit without begin");
        h.begin(&s);
        // Painting background where it already is, and a stroke far outside the image.
        stroke(
            &mut s,
            Layer::Label,
            0,
            0,
            (0.5, 0.5),
            (0.5, 0.5),
            &brush(1.0),
        );
        stroke(
            &mut s,
            Layer::Label,
            0,
            1,
            (-50.0, -50.0),
            (-60.0, -40.0),
            &brush(1.0),
        );
        assert!(!h.commit(&s));
        assert!(!h.can_undo());
        // A stroke that changes and then changes back is also a no-op.
        h.begin(&s);
        let s0 = s.clone();
        fill(&mut s, Layer::Pred, 0, 1, 0.5);
        s = s0;
        assert!(!h.commit(&s));
        assert_eq!(h.undo_len(), 0);
        assert!(!h.record(&s.clone(), &s));
        // A no-op does not clear the redo stack either.
        let before = s.clone();
        fill(&mut s, Layer::Label, 0, 1, 1.0);
        assert!(h.record(&before, &s));
        h.undo(&mut s);
        assert!(!h.record(&s.clone(), &s));
        assert!(h.can_redo());
    }

    #[test]
    fn new_edits_clear_redo_and_depth_is_bounded() {
        let mut s = AppState::blank(1, 2, 16).unwrap();
        let mut h = History::with_limits(5, usize::MAX);
        let mut states = vec![s.clone()];
        for k in 0..8 {
            let before = s.clone();
            stroke(
                &mut s,
                Layer::Label,
                0,
                1,
                (k as f64 * 2.0, 0.0),
                (k as f64 * 2.0, 15.0),
                &brush(1.0),
            );
            assert!(h.record(&before, &s));
            states.push(s.clone());
        }
        assert_eq!(h.undo_len(), 5);
        for k in (3..8).rev() {
            assert!(h.undo(&mut s).is_some());
            assert_eq!(s, states[k]);
        }
        assert!(h.undo(&mut s).is_none());
        assert_eq!(h.redo_len(), 5);
        h.redo(&mut s);
        let before = s.clone();
        fill(&mut s, Layer::Pred, 0, 1, 0.5);
        assert!(h.record(&before, &s));
        assert!(!h.can_redo());
        assert_eq!(h.undo_len(), 2);
        // The byte budget drops old steps but keeps the newest.
        let mut h = History::with_limits(100, 1);
        let before = s.clone();
        fill(&mut s, Layer::Pred, 0, 1, 0.25);
        assert!(h.record(&before, &s));
        let before = s.clone();
        fill(&mut s, Layer::Pred, 0, 1, 0.75);
        assert!(h.record(&before, &s));
        assert_eq!(h.undo_len(), 1);
        h.undo(&mut s);
        assert_eq!(s, before);
        assert_eq!(h.bytes(), h.redo[0].bytes);
    }

    #[test]
    fn helpers_are_recorded_as_one_step() {
        let mut s = AppState::two_labelled();
        let mut h = History::default();
        let before = s.clone();
        apply_helper(&mut s, Helper::Blur(1.0), Target::All);
        assert!(h.record(&before, &s));
        let after = s.clone();
        assert_eq!(
            h.undo(&mut s).map(|r| r.cells),
            Some(vec![(0, 0), (0, 1), (1, 0), (1, 1)])
        );
        assert_eq!(s, before);
        h.redo(&mut s);
        assert_eq!(s, after);
    }

    #[test]
    fn size_or_mode_changes_reset_the_history() {
        let mut s = AppState::default_scene();
        let mut h = History::default();
        let before = s.clone();
        fill(&mut s, Layer::Label, 0, 1, 1.0);
        h.record(&before, &s);
        // `update` calls clear() on a resize (page/update/paint.rs); if it forgot, undo would
        // refuse and clear.
        let mut big = resize(&s, 2, 2, 40).unwrap();
        let big0 = big.clone();
        assert!(h.undo(&mut big).is_none());
        assert_eq!(big, big0);
        assert!(!h.can_undo() && !h.can_redo());
        assert_eq!(h.bytes(), 0);
        // A stroke across a resize stores nothing.
        h.begin(&s);
        assert!(!h.commit(&big));
        // Across a mode change neither.
        let before = s.clone();
        crate::page::paint::set_exclusive(&mut s, false);
        fill(&mut s, Layer::Label, 0, 1, 0.0);
        assert!(!h.record(&before, &s));
        h.clear();
        assert!(!h.is_pending());
    }

    #[test]
    fn off_grid_values_are_restored_exactly() {
        let mut s = AppState::blank(1, 1, 8).unwrap();
        s.pred[[0, 0, 1, 1]] = 0.123_456_789;
        s.labels[[0, 0, 2, 2]] = 0.5;
        let s0 = s.clone();
        let mut h = History::default();
        let before = s.clone();
        fill(&mut s, Layer::Pred, 0, 0, 0.9);
        fill(&mut s, Layer::Label, 0, 0, 1.0);
        h.record(&before, &s);
        h.undo(&mut s);
        assert_eq!(s, s0);
    }

    #[test]
    fn random_edits_undo_to_the_start_and_redo_to_the_end() {
        let mut rng = crate::engine::rng::Rng::new(0xD1CE, 0);
        for excl in [true, false] {
            let mut s = AppState::blank(2, 3, 10).unwrap();
            crate::page::paint::set_exclusive(&mut s, excl);
            let start = s.clone();
            let mut h = History::default();
            let mut states = vec![s.clone()];
            for k in 0..150 {
                let before = s.clone();
                let stored = if k % 2 == 0 {
                    h.begin(&s);
                    random_op(&mut s, &mut rng);
                    random_op(&mut s, &mut rng);
                    h.commit(&s)
                } else {
                    random_op(&mut s, &mut rng);
                    h.record(&before, &s)
                };
                assert_eq!(stored, before != s);
                if stored {
                    states.push(s.clone());
                }
            }
            let end = s.clone();
            let n = h.undo_len();
            assert_eq!(n, states.len() - 1);
            for k in (0..n).rev() {
                let prev = s.clone();
                let cells = h.undo(&mut s).unwrap().cells;
                assert_eq!(cells, diff_cells(&prev, &s));
                assert_eq!(s, states[k]);
                check_invariants(&s);
            }
            assert_eq!(s, start);
            for _ in 0..n {
                h.redo(&mut s).unwrap();
            }
            assert_eq!(s, end);
        }
    }
}
