//! The app: one `AppState`, its undo history, the tool settings, the cached evaluation and
//! dirty flags. Data flows one way: input → state → compute → draw. Events only change
//! the state (or queue pointer samples) and call [`schedule`]; the animation-frame
//! callback applies queued samples, recomputes when the state changed and redraws only
//! the views whose data changed.

use std::cell::{Cell, RefCell};

use ndarray::{s, Array2, Array3, Array4};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::engine::loss::{evaluate_probs, Evaluation};
use crate::page::route::{self, Route, Source};
use crate::page::state::{AppState, LabelStatus};
use crate::page::teach::{self, CellVerdict, Scenario, SCENARIOS};
use crate::present::colormap::Scale;
use crate::present::formula::Pixel;

use super::controls::Controls;
use super::dom;
use super::explain::Explain;
use super::lessons::Lessons;
use super::readout::Readout;
use super::render::{GridView, Legend};
use super::tools::{self, Layer, Tool};

/// Which of a cell's three views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    Label,
    Pred,
    Grad,
}

impl ViewKind {
    pub fn code(self) -> &'static str {
        match self {
            ViewKind::Label => "label",
            ViewKind::Pred => "pred",
            ViewKind::Grad => "grad",
        }
    }
    pub fn parse(s: &str) -> Option<ViewKind> {
        match s {
            "label" => Some(ViewKind::Label),
            "pred" => Some(ViewKind::Pred),
            "grad" => Some(ViewKind::Grad),
            _ => None,
        }
    }
    pub fn layer(self) -> Option<Layer> {
        match self {
            ViewKind::Label => Some(Layer::Label),
            ViewKind::Pred => Some(Layer::Pred),
            ViewKind::Grad => None,
        }
    }
}

/// A pixel under the pointer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hover {
    pub view: ViewKind,
    pub b: usize,
    pub c: usize,
    /// Row and column in pixel units (fractional).
    pub i: f64,
    pub j: f64,
}

impl Hover {
    pub fn pixel(&self, n: usize) -> (usize, usize) {
        let clamp = |v: f64| (v.floor().max(0.0) as usize).min(n.saturating_sub(1));
        (clamp(self.i), clamp(self.j))
    }
}

/// Pointer input queued until the next frame.
#[derive(Clone, Copy, Debug)]
pub enum Sample {
    Down {
        layer: Layer,
        b: usize,
        c: usize,
        i: f64,
        j: f64,
        erase: bool,
    },
    Move {
        i: f64,
        j: f64,
    },
    Up,
    /// The system took the pointer away (pointercancel): undo the partial stroke.
    Cancel,
}

/// The stroke in progress.
#[derive(Clone, Debug)]
struct Stroke {
    layer: Layer,
    b: usize,
    c: usize,
    last: (f64, f64),
    erase: bool,
    changed: bool,
    /// Image b's labels and predictions before the stroke (a stroke only touches its own
    /// image), to restore them if the stroke is cancelled.
    before: (Array3<f64>, Array3<f64>),
}

/// What must be redone in the next frame.
#[derive(Default)]
pub struct Dirty {
    pub compute: bool,
    /// Colour scales only (a view option changed; the evaluation stands).
    pub rescale: bool,
    /// Per cell (b·C + c).
    pub labels: Vec<bool>,
    pub preds: Vec<bool>,
    /// Gradient views whose values or colour scale changed.
    pub grad_cells: Vec<bool>,
    /// Legend and captions.
    pub grads: bool,
    pub grid: bool,
    pub controls: bool,
    pub readout: bool,
    pub hover: bool,
    pub hash: bool,
    pub layout: bool,
    /// Verdict badges, lesson box, Φ picture and formula.
    pub teach: bool,
    /// The plots may be out of date (checked against their inputs before drawing).
    pub plots: bool,
}

impl Dirty {
    fn all(cells: usize) -> Dirty {
        Dirty {
            compute: true,
            rescale: false,
            labels: vec![true; cells],
            preds: vec![true; cells],
            grad_cells: vec![true; cells],
            grads: true,
            grid: true,
            controls: true,
            readout: true,
            hover: true,
            hash: false,
            layout: true,
            teach: true,
            plots: true,
        }
    }
}

/// Kinds of state change, each with its own set of consequences.
#[derive(Clone, Debug)]
pub enum Change {
    /// Loss settings (Φ, ε, …): new evaluation, gradient views, readouts, controls.
    Settings,
    /// How gradients are drawn.
    View,
    /// Painted data of these cells.
    Cells(Vec<(usize, usize)>),
    /// Predictions of these cells only (the loss's labels stay).
    PredCells(Vec<(usize, usize)>),
    /// Anything, possibly the size.
    Everything,
}

/// A message shown above the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The gradient the views show, and how it is named.
pub struct ShownGrad<'a> {
    pub values: &'a Array4<f64>,
    pub undefined: &'a Array2<bool>,
    /// ∂L/∂z rather than ∂L/∂ỹ.
    pub logits: bool,
}

pub struct App {
    pub state: AppState,
    pub history: tools::History,
    pub tool: Tool,
    /// The view that Fill/Clear/helpers act on.
    pub selected: (Layer, usize, usize),
    pub eval: Result<Evaluation<'static>, String>,
    /// Colour scale per cell (already shared when `view.shared_scale`).
    pub scales: Vec<Scale>,
    /// The scale over all cells (for the legend).
    pub shared: Scale,
    pub dirty: Dirty,
    pub pending: Vec<Sample>,
    stroke: Option<Stroke>,
    pub hover: Option<Hover>,
    pub notice: Option<Notice>,
    pub grid: Option<GridView>,
    pub legend: Legend,
    pub controls: Controls,
    pub readout: Readout,
    pub perf: bool,
    pub ready: bool,
    /// Pixel buffer reused for ImageData.
    pub buf: Vec<u8>,
    hash_timer: Option<i32>,
    /// The labels the loss sees, kept while only predictions change.
    y_cache: Option<Array4<f64>>,
    pub lessons: Lessons,
    pub explain: Explain,
    /// The scenario whose text is shown, and the tour step when touring.
    pub lesson: Option<&'static Scenario>,
    /// The open lesson's own scene, built once when it opens (to tell whether the page
    /// is still that scene without rebuilding it every frame).
    lesson_scene: Option<AppState>,
    pub tour: Option<usize>,
    /// The cell whose set the Φ picture, formula and plot (b) show (chosen by a click).
    focus: Option<(usize, usize)>,
    /// Per-cell verdicts of the current evaluation and the push they are judged against.
    pub verdicts: Array2<Option<CellVerdict>>,
    pub reference: f64,
    /// Counts changes of what the plots show (data and settings, not view options).
    data_gen: u64,
    plot_key: Option<PlotKey>,
    last_plot: f64,
    plot_timer: Option<i32>,
}

/// The inputs of the plots on screen: (data_gen, focus cell, canvas width).
type PlotKey = (u64, Option<(usize, usize)>, u32);

/// The animation-frame callback.
type FrameClosure = Closure<dyn FnMut(f64)>;

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    static FRAME_CB: RefCell<Option<FrameClosure>> = const { RefCell::new(None) };
    static FRAME_PENDING: Cell<bool> = const { Cell::new(false) };
    static HASH_CB: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
    static PLOT_CB: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
}

/// Runs `f` on the app; `None` if there is none or it is busy (re-entrant event).
pub fn with_app<R>(f: impl FnOnce(&mut App) -> R) -> Option<R> {
    APP.with(|cell| match cell.try_borrow_mut() {
        Ok(mut guard) => guard.as_mut().map(f),
        Err(_) => {
            dom::warn("event ignored: the app is busy");
            None
        }
    })
}

pub fn install(app: App) {
    APP.with(|cell| {
        if let Ok(mut guard) = cell.try_borrow_mut() {
            *guard = Some(app);
        }
    });
    FRAME_CB.with(|cb| {
        if let Ok(mut guard) = cb.try_borrow_mut() {
            *guard = Some(Closure::<dyn FnMut(f64)>::new(|_t: f64| {
                FRAME_PENDING.with(|p| p.set(false));
                with_app(|a| a.frame());
            }));
        }
    });
    HASH_CB.with(|cb| {
        if let Ok(mut guard) = cb.try_borrow_mut() {
            *guard = Some(Closure::<dyn FnMut()>::new(|| {
                with_app(|a| a.write_hash());
            }));
        }
    });
    PLOT_CB.with(|cb| {
        if let Ok(mut guard) = cb.try_borrow_mut() {
            *guard = Some(Closure::<dyn FnMut()>::new(|| {
                with_app(|a| {
                    a.plot_timer = None;
                    a.dirty.plots = true;
                });
                schedule();
            }));
        }
    });
}

/// Asks for one animation frame (several requests in one frame coalesce).
pub fn schedule() {
    if FRAME_PENDING.with(|p| p.get()) {
        return;
    }
    let Ok(w) = dom::window() else { return };
    FRAME_CB.with(|cb| {
        if let Ok(guard) = cb.try_borrow() {
            if let Some(cb) = guard.as_ref() {
                if w.request_animation_frame(cb.as_ref().unchecked_ref())
                    .is_ok()
                {
                    FRAME_PENDING.with(|p| p.set(true));
                }
            }
        }
    });
}

/// Debounce for writing the URL hash.
const HASH_DELAY_MS: i32 = 200;
/// Frames kept on `window.__diceFrames`.
const FRAME_LOG: u32 = 600;
/// The plots are redrawn at most this often (ms) while things change, e.g. while ε is
/// dragged; during a brush stroke they wait for the stroke to end.
const PLOT_INTERVAL_MS: f64 = 150.0;

impl App {
    pub fn new(
        state: AppState,
        controls: Controls,
        readout: Readout,
        legend: Legend,
        lessons: Lessons,
        explain: Explain,
        perf: bool,
    ) -> App {
        let cells = state.batch() * state.classes();
        App {
            selected: (Layer::Pred, 0, state.classes().saturating_sub(1)),
            history: tools::History::default(),
            tool: Tool::default(),
            eval: Err("not computed yet".into()),
            scales: Vec::new(),
            shared: Scale {
                max: 0.0,
                symlog: state.view.symlog,
            },
            dirty: Dirty::all(cells),
            pending: Vec::new(),
            stroke: None,
            hover: None,
            notice: None,
            grid: None,
            legend,
            controls,
            readout,
            perf,
            ready: false,
            buf: Vec::new(),
            hash_timer: None,
            y_cache: None,
            lessons,
            explain,
            lesson: None,
            lesson_scene: None,
            tour: None,
            focus: None,
            verdicts: Array2::from_elem(state.status.dim(), None),
            reference: 0.0,
            data_gen: 0,
            plot_key: None,
            last_plot: f64::NEG_INFINITY,
            plot_timer: None,
            state,
        }
    }

    pub fn cells(&self) -> usize {
        self.state.batch() * self.state.classes()
    }

    fn cell_index(&self, b: usize, c: usize) -> usize {
        b * self.state.classes() + c
    }

    /// Records the consequences of a state change and asks for a frame.
    pub fn changed(&mut self, change: Change) {
        let cells = self.cells();
        if self.dirty.labels.len() != cells
            || self.dirty.preds.len() != cells
            || self.dirty.grad_cells.len() != cells
        {
            self.dirty.labels = vec![true; cells];
            self.dirty.preds = vec![true; cells];
            self.dirty.grad_cells = vec![true; cells];
        }
        let labels_too = !matches!(change, Change::PredCells(_));
        // The loss's labels depend on the painted labels, label statuses and class mode
        // only: settings, view options and predictions leave them.
        if !matches!(
            change,
            Change::PredCells(_) | Change::View | Change::Settings
        ) {
            self.y_cache = None;
        }
        if matches!(change, Change::Settings | Change::View) {
            self.dirty.grad_cells.iter_mut().for_each(|d| *d = true);
        }
        if !matches!(change, Change::View) {
            self.data_gen = self.data_gen.wrapping_add(1);
            self.dirty.plots = true;
        }
        self.dirty.teach = true;
        match change {
            Change::Settings => {
                // The label views draw the loss's labels, which settings do not change.
                self.dirty.compute = true;
                self.dirty.grads = true;
                self.dirty.readout = true;
                self.dirty.controls = true;
            }
            Change::View => {
                // Same evaluation; only the colour scales (and which gradient) change.
                self.dirty.rescale = true;
                self.dirty.grads = true;
                self.dirty.controls = true;
            }
            Change::Cells(list) | Change::PredCells(list) => {
                self.dirty.compute = true;
                self.dirty.grads = true;
                self.dirty.readout = true;
                for (b, c) in list {
                    if b < self.state.batch() && c < self.state.classes() {
                        let k = self.cell_index(b, c);
                        self.dirty.labels[k] |= labels_too;
                        self.dirty.preds[k] = true;
                    }
                }
            }
            Change::Everything => {
                let grid_ok = self.grid.as_ref().is_some_and(|g| {
                    g.dims() == (self.state.batch(), self.state.classes(), self.state.size())
                });
                self.dirty = Dirty::all(cells);
                self.dirty.grid = !grid_ok;
                let (layer, b, c) = self.selected;
                if b >= self.state.batch() || c >= self.state.classes() {
                    self.selected = (layer, 0, self.state.classes().saturating_sub(1));
                }
                self.hover = None;
            }
        }
        self.dirty.hover = true;
        self.dirty.hash = true;
        schedule();
    }

    /// Shows the set of cell (b, c) in the Φ picture, the formula and plot (b).
    pub fn focus_on(&mut self, b: usize, c: usize) {
        if b < self.state.batch() && c < self.state.classes() {
            self.focus = Some((b, c));
            self.dirty.teach = true;
            self.dirty.plots = true;
            self.dirty.hover = true;
            schedule();
        }
    }

    /// The cell the explanations are about: the clicked one while it is in the loss, else
    /// the lesson's cell (`teach::focus_cell`).
    pub fn focus_cell(&self) -> Option<(usize, usize)> {
        let e = self.eval.as_ref().ok()?;
        self.focus
            .filter(|&(b, c)| e.cell_set.get((b, c)).copied().flatten().is_some())
            .or_else(|| teach::focus_cell(&self.state, e))
    }

    /// The selected set: the focus cell's.
    pub fn selected_set(&self) -> Option<usize> {
        let (b, c) = self.focus_cell()?;
        self.eval
            .as_ref()
            .ok()?
            .cell_set
            .get((b, c))
            .copied()
            .flatten()
    }

    /// Changes what cell (b, c)'s label means; the loss's labels of image b change with it
    /// (with exclusive classes an unannotated structure counts as background).
    pub fn set_status(&mut self, b: usize, c: usize, status: LabelStatus) {
        if self.state.status.get((b, c)) == Some(&status) {
            return;
        }
        let cells: Vec<(usize, usize)> = (0..self.state.classes()).map(|k| (b, k)).collect();
        self.edit(move |s| match s.status.get_mut((b, c)) {
            Some(st) => {
                *st = status;
                Ok((Change::Cells(cells), None))
            }
            None => Err(format!("there is no cell image {b}, class {c}")),
        });
    }

    /// Opens a page from a link: a scenario link also opens its lesson text.
    pub fn load_route(&mut self, r: Route) {
        let lesson = match &r.source {
            Source::Preset(name) => teach::scenario(name),
            _ => None,
        };
        // A lesson's link holds its own scene.
        self.lesson_scene = lesson.map(|_| r.state.clone());
        self.load(r.state);
        self.lesson = lesson;
        if lesson.is_none() {
            self.tour = None;
        }
        self.focus = None;
    }

    /// Loads scenario k and shows its text; `push_url` makes it a new history entry.
    pub fn open_lesson(&mut self, k: usize, push_url: bool) {
        let Some(sc) = SCENARIOS.get(k) else { return };
        let mut s = sc.state();
        s.view.embed = self.state.view.embed;
        self.lesson_scene = Some(s.clone());
        self.load(s);
        self.lesson = Some(sc);
        if self.tour.is_some() {
            self.tour = Some(k);
        }
        self.focus = None;
        self.notice = None;
        self.dirty.teach = true;
        if push_url {
            self.push_link();
        }
    }

    pub fn start_tour(&mut self) {
        self.tour = Some(0);
        self.open_lesson(0, true);
    }

    /// One step of the tour forward (+1) or back (−1); past the last step ends it.
    pub fn tour_step(&mut self, delta: isize) {
        let Some(k) = self.tour else { return };
        match k.checked_add_signed(delta) {
            Some(next) if next < SCENARIOS.len() => self.open_lesson(next, true),
            Some(_) => self.exit_tour(),
            None => {}
        }
    }

    pub fn exit_tour(&mut self) {
        self.tour = None;
        self.dirty.teach = true;
        schedule();
    }

    pub fn close_lesson(&mut self) {
        self.lesson = None;
        self.lesson_scene = None;
        self.tour = None;
        self.dirty.teach = true;
        self.dirty.hash = true;
        schedule();
    }

    /// Back to the lesson's own scene after changes.
    pub fn restore_lesson(&mut self) {
        if let Some(k) = self
            .lesson
            .and_then(|l| SCENARIOS.iter().position(|s| std::ptr::eq(s, l)))
        {
            self.open_lesson(k, false);
        }
    }

    /// The link of the page as it is now.
    pub fn link(&self) -> String {
        let lesson = self.lesson.zip(self.lesson_scene.as_ref());
        route::link_with_scene(&self.state, lesson.map(|(l, scene)| (l.name, scene)))
    }

    /// Whether the page is still the open lesson's own scene.
    fn pristine(&self) -> bool {
        self.lesson_scene
            .as_ref()
            .is_some_and(|scene| route::is_scene(&self.state, scene))
    }

    /// Makes the current link a new browser-history entry (so Back returns to the last
    /// lesson).
    fn push_link(&mut self) {
        let Ok(w) = dom::window() else { return };
        if let Some(t) = self.hash_timer.take() {
            w.clear_timeout_with_handle(t);
        }
        let link = self.link();
        if w.location().hash().unwrap_or_default() == link {
            return;
        }
        if let Ok(h) = w.history() {
            if h.push_state_with_url(&JsValue::NULL, "", Some(&link))
                .is_err()
            {
                dom::warn("could not write the link to the address bar");
            }
        }
    }

    pub fn set_notice(&mut self, text: Option<String>, error: bool) {
        self.notice = text.map(|text| Notice { text, error });
        self.dirty.readout = true;
        schedule();
    }

    /// Which gradient the views show.
    pub fn shown_grad(&self) -> Option<ShownGrad<'_>> {
        let e = self.eval.as_ref().ok()?;
        let logits =
            self.state.settings.activation != crate::Activation::None && self.state.view.logit_grad;
        Some(if logits {
            ShownGrad {
                values: e.grad(),
                undefined: &e.grad_undefined,
                logits,
            }
        } else {
            ShownGrad {
                values: &e.grad_prob,
                undefined: &e.grad_prob_undefined,
                logits,
            }
        })
    }

    /// The gradient value shown at a pixel, `None` if undefined or out of range.
    pub fn grad_at(&self, b: usize, c: usize, i: usize, j: usize) -> Option<f64> {
        let g = self.shown_grad()?;
        if *g.undefined.get((b, c))? {
            return None;
        }
        g.values
            .get((b, c, i, j))
            .copied()
            .filter(|v| v.is_finite())
    }

    fn recompute(&mut self) {
        let y = match self.y_cache.take() {
            Some(y) if y.dim() == self.state.labels.dim() => y,
            _ => self.state.loss_labels(),
        };
        let next = evaluate_probs(y.view(), self.state.pred.clone(), &self.state.settings)
            .map_err(|e| e.to_string());
        match &next {
            Ok(e) => {
                (self.verdicts, self.reference) = teach::verdicts_and_reference(&self.state, &y, e);
            }
            Err(_) => self.verdicts = Array2::from_elem(self.state.status.dim(), None),
        }
        self.y_cache = Some(y);
        let old = std::mem::replace(&mut self.eval, next);
        self.rescale(Some(&old));
    }

    /// Fits the colour scales to the shown gradient and marks the gradient views whose
    /// values or scale changed since `old` (the previous evaluation; `None`: only the
    /// scales are new, e.g. after a view option, whose change marked every view already).
    fn rescale(&mut self, old: Option<&Result<Evaluation<'static>, String>>) {
        let symlog = self.state.view.symlog;
        let (bn, cn) = (self.state.batch(), self.state.classes());
        let mut scales = vec![Scale { max: 0.0, symlog }; bn * cn];
        if let Some(g) = self.shown_grad() {
            for b in 0..bn {
                for c in 0..cn {
                    if !g.undefined[(b, c)] {
                        let cell = g.values.slice(ndarray::s![b, c, .., ..]);
                        scales[b * cn + c] = Scale::fit(cell.iter().copied(), symlog);
                    }
                }
            }
        }
        let shared = scales
            .iter()
            .fold(Scale { max: 0.0, symlog }, |a, s| a.union(*s));
        if self.state.view.shared_scale {
            scales.iter_mut().for_each(|s| *s = shared);
        }
        // Redraw only the gradient views whose values or scale changed.
        let cells = bn * cn;
        if self.dirty.grad_cells.len() != cells {
            self.dirty.grad_cells = vec![true; cells];
        }
        let logits = self.shown_grad().is_some_and(|g| g.logits);
        for b in 0..bn {
            for c in 0..cn {
                let k = b * cn + c;
                if self.dirty.grad_cells[k] {
                    continue;
                }
                let same_scale = self.scales.get(k) == Some(&scales[k]);
                let same_values = match (old, &self.eval) {
                    (None, _) => true,
                    (Some(Ok(o)), Ok(n)) if o.grad().dim() == n.grad().dim() => {
                        let (ov, ou, nv, nu) = if logits {
                            (o.grad(), &o.grad_undefined, n.grad(), &n.grad_undefined)
                        } else {
                            (
                                &o.grad_prob,
                                &o.grad_prob_undefined,
                                &n.grad_prob,
                                &n.grad_prob_undefined,
                            )
                        };
                        ou.get((b, c)) == nu.get((b, c))
                            && o.cell_set.get((b, c)) == n.cell_set.get((b, c))
                            && ov.slice(ndarray::s![b, c, .., ..])
                                == nv.slice(ndarray::s![b, c, .., ..])
                    }
                    _ => false,
                };
                self.dirty.grad_cells[k] = !(same_scale && same_values);
            }
        }
        self.scales = scales;
        self.shared = shared;
    }

    /// Queues a pointer sample.
    pub fn push_sample(&mut self, s: Sample) {
        self.pending.push(s);
        schedule();
    }

    /// Applies the queued pointer samples to the state.
    fn apply_samples(&mut self) {
        let samples = std::mem::take(&mut self.pending);
        for s in samples {
            match s {
                Sample::Down {
                    layer,
                    b,
                    c,
                    i,
                    j,
                    erase,
                } => {
                    if let Some(st) = self.stroke.take() {
                        self.finish_stroke(st);
                    }
                    if b >= self.state.batch() || c >= self.state.classes() {
                        continue;
                    }
                    if let Some(why) = crate::page::ui::paint_refusal(&self.state, layer, b, c) {
                        self.set_notice(Some(why), false);
                        continue;
                    }
                    self.selected = (layer, b, c);
                    self.dirty.controls = true;
                    self.history.begin(&self.state);
                    let before = (
                        self.state.labels.slice(s![b, .., .., ..]).to_owned(),
                        self.state.pred.slice(s![b, .., .., ..]).to_owned(),
                    );
                    let changed = tools::stroke(
                        &mut self.state,
                        &self.tool,
                        layer,
                        b,
                        c,
                        (i, j),
                        (i, j),
                        erase,
                    );
                    let any = !changed.is_empty();
                    let change = match layer {
                        Layer::Pred => Change::PredCells(changed),
                        Layer::Label => Change::Cells(changed),
                    };
                    self.stroke = Some(Stroke {
                        layer,
                        b,
                        c,
                        last: (i, j),
                        erase,
                        changed: any,
                        before,
                    });
                    if any {
                        self.changed(change);
                    }
                }
                Sample::Move { i, j } => {
                    let Some(mut st) = self.stroke.take() else {
                        continue;
                    };
                    let changed = tools::stroke(
                        &mut self.state,
                        &self.tool,
                        st.layer,
                        st.b,
                        st.c,
                        st.last,
                        (i, j),
                        st.erase,
                    );
                    st.last = (i, j);
                    if !changed.is_empty() {
                        st.changed = true;
                        self.changed(match st.layer {
                            Layer::Pred => Change::PredCells(changed),
                            Layer::Label => Change::Cells(changed),
                        });
                    }
                    self.stroke = Some(st);
                }
                Sample::Up => {
                    if let Some(st) = self.stroke.take() {
                        self.finish_stroke(st);
                    }
                }
                Sample::Cancel => {
                    if let Some(st) = self.stroke.take() {
                        self.cancel_stroke(st);
                    }
                }
            }
        }
    }

    /// Puts image b back as it was before the stroke; the history keeps nothing of it.
    fn cancel_stroke(&mut self, st: Stroke) {
        self.history.cancel();
        let b = st.b;
        let (labels, pred) = st.before;
        if st.changed
            && b < self.state.batch()
            && labels.dim() == self.state.labels.slice(s![b, .., .., ..]).dim()
        {
            self.state
                .labels
                .slice_mut(s![b, .., .., ..])
                .assign(&labels);
            self.state.pred.slice_mut(s![b, .., .., ..]).assign(&pred);
            let cells = (0..self.state.classes()).map(|c| (b, c)).collect();
            self.changed(match st.layer {
                Layer::Pred => Change::PredCells(cells),
                Layer::Label => Change::Cells(cells),
            });
        }
        self.dirty.controls = true;
    }

    fn finish_stroke(&mut self, st: Stroke) {
        self.history.commit(&self.state);
        if st.changed {
            self.dirty.controls = true; // undo button state
        }
    }

    /// Runs one discrete edit (fill, helper, resize, …) as one undo step. The edit returns
    /// what changed and maybe a sentence to show; an error leaves the state unchanged.
    pub fn edit(
        &mut self,
        f: impl FnOnce(&mut AppState) -> Result<(Change, Option<String>), String>,
    ) {
        if let Some(st) = self.stroke.take() {
            self.finish_stroke(st);
        }
        let before = self.state.clone();
        match f(&mut self.state) {
            Ok((change, note)) => {
                if self.state != before {
                    let same_shape = before.labels.dim() == self.state.labels.dim()
                        && before.exclusive == self.state.exclusive;
                    if same_shape {
                        self.history.record(&before, &self.state);
                    } else {
                        // The history does not span a new size or class mode.
                        self.history.clear();
                    }
                    self.changed(change);
                }
                if let Some(n) = note {
                    self.set_notice(Some(n), false);
                }
            }
            Err(msg) => {
                self.state = before;
                self.set_notice(Some(msg), true);
            }
        }
        self.dirty.controls = true;
        schedule();
    }

    pub fn undo(&mut self) {
        if let Some(st) = self.stroke.take() {
            self.finish_stroke(st);
        }
        if let Some(cells) = self.history.undo(&mut self.state) {
            self.changed(Change::Cells(cells));
        }
        self.dirty.controls = true;
    }

    pub fn redo(&mut self) {
        if let Some(st) = self.stroke.take() {
            self.finish_stroke(st);
        }
        if let Some(cells) = self.history.redo(&mut self.state) {
            self.changed(Change::Cells(cells));
        }
        self.dirty.controls = true;
    }

    /// Replaces the whole page (a new link); the history starts over.
    pub fn load(&mut self, state: AppState) {
        self.stroke = None;
        self.pending.clear();
        self.state = state;
        self.history.clear();
        self.changed(Change::Everything);
    }

    fn schedule_hash(&mut self) {
        let Ok(w) = dom::window() else { return };
        if let Some(t) = self.hash_timer.take() {
            w.clear_timeout_with_handle(t);
        }
        HASH_CB.with(|cb| {
            if let Ok(guard) = cb.try_borrow() {
                if let Some(cb) = guard.as_ref() {
                    self.hash_timer = w
                        .set_timeout_with_callback_and_timeout_and_arguments_0(
                            cb.as_ref().unchecked_ref(),
                            HASH_DELAY_MS,
                        )
                        .ok();
                }
            }
        });
    }

    /// Writes the state to the URL (called by the debounce timer).
    pub fn write_hash(&mut self) {
        self.hash_timer = None;
        if self.stroke.is_some() {
            // Not in the middle of a stroke: try again after it.
            self.schedule_hash();
            return;
        }
        let hash = self.link();
        let Ok(w) = dom::window() else { return };
        let current = w.location().hash().unwrap_or_default();
        if current == hash {
            return;
        }
        if let Ok(h) = w.history() {
            if h.replace_state_with_url(&JsValue::NULL, "", Some(&hash))
                .is_err()
            {
                dom::warn("could not write the link to the address bar");
            }
        }
    }

    /// One animation frame: input → state → compute → draw.
    pub fn frame(&mut self) {
        let t0 = dom::now();
        if !self.pending.is_empty() {
            self.apply_samples();
        }
        let computed = self.dirty.compute || self.dirty.rescale;
        if self.dirty.compute {
            self.recompute();
            self.dirty.compute = false;
        } else if self.dirty.rescale {
            self.rescale(None);
        }
        self.dirty.rescale = false;
        let t1 = dom::now();
        let mut drew = self.draw();
        // The plots take ~10 ms: after a recompute they wait for the next frame, so the
        // grid and the loss answer the input first.
        if computed && self.dirty.plots {
            schedule();
        } else {
            drew |= self.draw_plots_if_due();
        }
        let t2 = dom::now();
        if self.dirty.hash {
            self.dirty.hash = false;
            self.schedule_hash();
        }
        if computed || drew {
            self.log_frame(t1 - t0, t2 - t1);
        }
        if !self.ready {
            self.ready = true;
            if let Some(body) = dom::document().ok().and_then(|d| d.body()) {
                dom::set_data(&body, "ready", "true");
            }
        }
    }

    /// Redraws what is dirty; returns whether anything was drawn.
    fn draw(&mut self) -> bool {
        let mut drew = false;
        if self.dirty.teach {
            // First: the lesson box sits above the grid, so the grid's size depends on it.
            let pristine = self.pristine();
            if self.lessons.sync(self.lesson, self.tour, pristine) {
                self.dirty.layout = true;
            }
        }
        if self.dirty.grid || self.grid.is_none() {
            match GridView::build(&self.state) {
                Ok(g) => self.grid = Some(g),
                Err(e) => dom::warn(&format!("grid: {e:?}")),
            }
            self.dirty.grid = false;
            self.dirty.layout = true;
            let cells = self.cells();
            self.dirty.labels = vec![true; cells];
            self.dirty.preds = vec![true; cells];
            self.dirty.grad_cells = vec![true; cells];
            self.dirty.grads = true;
            self.dirty.hover = true;
        }
        let Some(grid) = self.grid.as_ref() else {
            return drew;
        };
        if self.dirty.layout {
            grid.layout(self.state.view.embed);
            self.dirty.layout = false;
            drew = true;
        }
        let cn = self.state.classes();
        for k in 0..self.dirty.labels.len().min(self.cells()) {
            let (b, c) = (k / cn, k % cn);
            if self.dirty.labels[k] {
                grid.draw_label(&self.state, self.y_cache.as_ref(), b, c, &mut self.buf);
                self.dirty.labels[k] = false;
                drew = true;
            }
            if self.dirty.preds[k] {
                grid.draw_pred(&self.state, b, c, &mut self.buf);
                self.dirty.preds[k] = false;
                drew = true;
            }
        }
        if self.dirty.grads {
            let mut buf = std::mem::take(&mut self.buf);
            let todo = std::mem::take(&mut self.dirty.grad_cells);
            let shown = self.shown_grad();
            for b in 0..self.state.batch() {
                for c in 0..cn {
                    let k = b * cn + c;
                    if todo.get(k).copied().unwrap_or(true) {
                        let scale = self.scales.get(k).copied().unwrap_or(self.shared);
                        grid.draw_grad(shown.as_ref(), b, c, scale, &mut buf);
                    }
                }
            }
            let logits = shown.as_ref().is_some_and(|g| g.logits);
            self.dirty.grad_cells = vec![false; todo.len()];
            self.legend
                .draw(&self.shared, self.state.view.shared_scale, logits);
            grid.captions(&self.state, self.eval.as_ref().ok(), &self.scales);
            self.buf = buf;
            self.dirty.grads = false;
            drew = true;
        }
        if self.dirty.readout {
            self.readout
                .update(&self.state, &self.eval, self.notice.as_ref());
            self.dirty.readout = false;
            self.dirty.hover = true;
            drew = true;
        }
        if self.dirty.teach {
            if let Some(grid) = self.grid.as_ref() {
                let logits = self.shown_grad().is_some_and(|g| g.logits);
                grid.verdicts(&self.state, &self.verdicts, self.reference, logits);
            }
            self.explain
                .phi(&self.state, self.eval.as_ref().ok(), self.selected_set());
            self.dirty.teach = false;
            self.dirty.hover = true;
            drew = true;
        }
        if self.dirty.controls {
            self.controls.sync(
                &self.state,
                &self.tool,
                self.selected,
                self.history.can_undo(),
                self.history.can_redo(),
            );
            self.dirty.controls = false;
            drew = true;
        }
        if self.dirty.hover {
            let hover = self.hover;
            let selected = self.selected_set();
            let grid = self.grid.as_ref();
            if let Some(grid) = grid {
                grid.show_hover(self.eval.as_ref().ok(), hover, &self.tool, selected);
            }
            self.draw_formula(selected);
            let pointed = hover.map(|h| {
                let (i, j) = h.pixel(self.state.size());
                (h, self.grad_at(h.b, h.c, i, j))
            });
            let logits = self.shown_grad().is_some_and(|g| g.logits);
            self.readout.hover(
                &self.state,
                self.y_cache.as_ref(),
                self.eval.as_ref().ok(),
                pointed,
                logits,
                selected,
            );
            self.dirty.hover = false;
        }
        drew
    }

    /// The formula of the hovered pixel's set with its numbers, else of the selected set.
    fn draw_formula(&self, selected: Option<usize>) {
        let e = self.eval.as_ref().ok();
        let hovered = self.hover.and_then(|h| {
            let e = e?;
            let set = e.cell_set.get((h.b, h.c)).copied().flatten()?;
            let (i, j) = h.pixel(self.state.size());
            let at = (h.b, h.c, i, j);
            let pixel = Pixel {
                y: *self.y_cache.as_ref()?.get(at)?,
                p: *self.state.pred.get(at)?,
                grad: (!e.grad_prob_undefined.get((h.b, h.c))?)
                    .then(|| e.grad_prob.get(at).copied())
                    .flatten(),
            };
            Some((set, (at, pixel)))
        });
        match hovered {
            Some((set, pixel)) => self.explain.formula(&self.state, e, Some(set), Some(pixel)),
            None => self.explain.formula(&self.state, e, selected, None),
        }
    }

    /// Redraws the plots when their inputs changed: never during a brush stroke (they
    /// wait for its end) and at most every `PLOT_INTERVAL_MS`.
    fn draw_plots_if_due(&mut self) -> bool {
        if !self.dirty.plots || self.stroke.is_some() || self.state.view.embed {
            return false;
        }
        let (Ok(e), Some(y)) = (&self.eval, &self.y_cache) else {
            if let Err(msg) = &self.eval {
                // Not the curves of the last state that could be evaluated.
                self.explain.blank_plots(msg);
                self.plot_key = None;
                self.dirty.plots = false;
                return true;
            }
            return false;
        };
        let focus = self.focus_cell();
        let key = (self.data_gen, focus, self.explain.plot_width());
        if self.plot_key == Some(key) {
            self.dirty.plots = false;
            return false;
        }
        let wait = PLOT_INTERVAL_MS - (dom::now() - self.last_plot);
        if wait > 0.0 {
            self.plots_later(wait);
            return false;
        }
        let selected = self.selected_set();
        if let Err(msg) = self.explain.draw_plots(&self.state, y, e, focus, selected) {
            dom::warn(&format!("plots: {msg}"));
        }
        self.plot_key = Some(key);
        self.last_plot = dom::now();
        self.dirty.plots = false;
        true
    }

    /// Comes back for the plots after `ms` (one timer at a time).
    fn plots_later(&mut self, ms: f64) {
        if self.plot_timer.is_some() {
            return;
        }
        let Ok(w) = dom::window() else { return };
        PLOT_CB.with(|cb| {
            if let Ok(guard) = cb.try_borrow() {
                if let Some(cb) = guard.as_ref() {
                    self.plot_timer = w
                        .set_timeout_with_callback_and_timeout_and_arguments_0(
                            cb.as_ref().unchecked_ref(),
                            ms.ceil() as i32,
                        )
                        .ok();
                }
            }
        });
    }

    fn log_frame(&self, compute: f64, draw: f64) {
        let Ok(w) = dom::window() else { return };
        let key = JsValue::from_str("__diceFrames");
        let list = js_sys::Reflect::get(&w, &key)
            .ok()
            .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
            .unwrap_or_else(|| {
                let a = js_sys::Array::new();
                let _ = js_sys::Reflect::set(&w, &key, &a);
                a
            });
        let entry = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&entry, &"compute".into(), &compute.into());
        let _ = js_sys::Reflect::set(&entry, &"draw".into(), &draw.into());
        list.push(&entry);
        if list.length() > FRAME_LOG {
            list.shift();
        }
        if self.perf {
            if let Some(o) = dom::by_id::<web_sys::HtmlElement>("perf") {
                dom::set_text(&o, &format!("compute {compute:.1} ms · draw {draw:.1} ms"));
            }
        }
    }
}
