//! The page model: everything a person has set up on the page, and nothing computed
//! from it, grouped by domain as the messages are. [`crate::page::update::update`] is
//! the only code that changes it; [`crate::page::derived`] computes the evaluation from
//! it; the browser views draw it.

use ndarray::Array3;

use crate::page::history::History;
use crate::page::lessons::{Scenario, SCENARIOS};
use crate::page::paint::Layer;
use crate::page::route;
use crate::page::state::AppState;
use crate::page::tool::Tool;
use crate::page::training::Training;

/// Which of a cell's three views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    Label,
    Pred,
    Grad,
    /// The input image x of a batch element (its `c` is 0).
    Image,
}

impl ViewKind {
    pub fn code(self) -> &'static str {
        match self {
            ViewKind::Label => "label",
            ViewKind::Pred => "pred",
            ViewKind::Grad => "grad",
            ViewKind::Image => "image",
        }
    }

    pub fn parse(s: &str) -> Option<ViewKind> {
        match s {
            "label" => Some(ViewKind::Label),
            "pred" => Some(ViewKind::Pred),
            "grad" => Some(ViewKind::Grad),
            "image" => Some(ViewKind::Image),
            _ => None,
        }
    }

    /// What the view is, for a screen reader's role description.
    pub fn role_words(self) -> &'static str {
        match self {
            ViewKind::Label => "label view",
            ViewKind::Pred => "prediction view",
            ViewKind::Grad => "gradient view",
            ViewKind::Image => "input image view",
        }
    }

    /// The tensor a brush on this view paints, if any.
    pub fn layer(self) -> Option<Layer> {
        match self {
            ViewKind::Label => Some(Layer::Label),
            ViewKind::Pred => Some(Layer::Pred),
            ViewKind::Grad => None,
            ViewKind::Image => Some(Layer::Image),
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
    /// The pixel, clamped into an n×n image.
    pub fn pixel(&self, n: usize) -> (usize, usize) {
        let clamp = |v: f64| (v.floor().max(0.0) as usize).min(n.saturating_sub(1));
        (clamp(self.i), clamp(self.j))
    }

    /// What a hover shows: its view, cell and pixel (not the sub-pixel position).
    pub fn key(&self, n: usize) -> (ViewKind, usize, usize, (usize, usize)) {
        (self.view, self.b, self.c, self.pixel(n))
    }
}

/// The brush stroke in progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    pub layer: Layer,
    pub b: usize,
    pub c: usize,
    /// The last (row, column) painted to.
    pub last: (f64, f64),
    pub erase: bool,
    /// Whether the stroke changed anything yet.
    pub changed: bool,
    /// Image b's labels and predictions before the stroke (a stroke only touches its own
    /// image), to restore them if the stroke is cancelled.
    pub before: (Array3<f64>, Array3<f64>),
}

/// A message shown above the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// The entry whose typed value this notice refused: a valid value taken there ends it.
    pub entry: Option<Entry>,
}

/// A text entry whose refusals are notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    LearningRate,
    CompareEps,
}

/// The open lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// Index in [`SCENARIOS`].
    pub index: usize,
    /// The lesson's own scene, built once when it opens, to tell whether the page is still
    /// that scene (and keep its short link) without rebuilding it.
    pub scene: AppState,
}

impl Lesson {
    pub fn scenario(&self) -> &'static Scenario {
        &SCENARIOS[self.index.min(SCENARIOS.len() - 1)]
    }
}

/// Which ε field: the first (ε, or ε_nr when separate) or ε_dr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpsField {
    First,
    Dr,
}

impl EpsField {
    pub fn index(self) -> usize {
        match self {
            EpsField::First => 0,
            EpsField::Dr => 1,
        }
    }
}

/// A typed ε the page refused: its text stays in the field with the reason, until ε
/// changes some other way.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub text: String,
    pub reason: String,
}

/// An export or copy asked for: the browser does it once per `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub seq: u32,
    pub kind: crate::page::msg::ExportKind,
}

/// Editing the tensors: the undo history, the brush, the view the buttons act on and the
/// stroke in progress.
#[derive(Clone, Debug)]
pub struct Painting {
    pub history: History,
    pub tool: Tool,
    /// The view that Fill, Clear and the helpers act on.
    pub target: (Layer, usize, usize),
    pub stroke: Option<Stroke>,
}

/// What the explanations point at.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pointing {
    /// The pixel under the pointer (or the keyboard cursor).
    pub hover: Option<Hover>,
    /// The hovered pixel was reached by the keyboard cursor, a deliberate step a screen
    /// reader should announce (a pointer passing over pixels is not announced).
    pub by_key: bool,
    /// The cell whose set the Φ picture, the formula and plot (b) show (chosen by a click).
    pub focus: Option<(usize, usize)>,
}

/// The open lesson and the tour.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Teaching {
    pub open: Option<Lesson>,
    /// The tour step when touring (the lesson is then that step's).
    pub tour: Option<usize>,
    /// The lesson text is folded to its title line.
    pub collapsed: bool,
    /// The whole lesson text is shown on a narrow screen (else its first sentence and
    /// "more"). Each lesson opens folded.
    pub more: bool,
}

/// What the screen shows around the data, and what leaves it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Screen {
    /// The first-visit introduction is shown (the browser remembers a dismissal).
    pub intro: bool,
    /// Classes that are not in the loss are shown as columns (else a one-line note).
    pub show_excluded: bool,
    /// The last export or copy asked for.
    pub request: Option<Request>,
    /// The device has a touch screen: the paint-mode toggle and undo beside the grid
    /// are shown, and the hints speak of touch.
    pub touch: bool,
}

/// What the page says back: the notice above the grid and refused entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Feedback {
    pub notice: Option<Notice>,
    /// Refused entries of the two ε fields.
    pub refused: [Option<Refused>; 2],
    /// What the last pasted loss call did.
    pub paste: Option<PasteStatus>,
}

/// The "Paste your loss" status line and, once a call was applied, its verdicts.
#[derive(Clone, Debug, PartialEq)]
pub struct PasteStatus {
    /// What was applied (the settings in words, and what the page does not show) or why
    /// nothing was.
    pub sentence: String,
    pub error: bool,
    /// The applied loss's verdicts on a missing and on an empty label, judged as the
    /// verdict matrix judges ([`crate::page::matrix::judge`]); `None` when refused.
    pub verdicts: Option<[crate::page::matrix::MatrixEntry; 2]>,
}

/// Training on the page.
#[derive(Clone, Debug, Default)]
pub struct TrainingState {
    /// The training session, if one was started (until Reset or a change of the data it
    /// trains on); the prediction views then show the model's output.
    pub session: Option<Training>,
    /// The grid shows each batch element's input image x (a column before the classes).
    pub show_images: bool,
    /// Training sessions started so far (tells a new session from an old one).
    pub sessions: u64,
}

/// The page model, by domain (as the messages and `update` are).
#[derive(Clone, Debug)]
pub struct Model {
    /// What a link holds.
    pub state: AppState,
    pub paint: Painting,
    pub explain: Pointing,
    pub lesson: Teaching,
    pub screen: Screen,
    pub feedback: Feedback,
    pub train: TrainingState,
    /// The person's own files, once read ("Your data").
    pub data: crate::page::yourdata::YourData,
    /// The Experiment panel.
    pub experiment: crate::page::experiment::ExperimentPanel,
}

impl Model {
    /// A page showing `state`, with nothing selected and an empty history.
    pub fn new(state: AppState) -> Model {
        Model {
            paint: Painting {
                history: History::default(),
                tool: Tool::default(),
                target: (Layer::Pred, 0, state.classes().saturating_sub(1)),
                stroke: None,
            },
            state,
            explain: Pointing::default(),
            lesson: Teaching::default(),
            screen: Screen::default(),
            feedback: Feedback::default(),
            train: TrainingState::default(),
            data: Default::default(),
            experiment: Default::default(),
        }
    }

    /// The link of the page as it is now: `#preset=NAME` while an open lesson is
    /// unchanged, else the whole page.
    pub fn link(&self) -> String {
        self.link_for(&self.state)
    }

    /// The embed's link to the full page: the same page, trained as far, not embedded.
    pub fn full_page_link(&self) -> String {
        let mut s = self.state.clone();
        s.mode.embed = false;
        self.link_for(&s)
    }

    fn link_for(&self, state: &AppState) -> String {
        let lesson = self
            .lesson
            .open
            .as_ref()
            .map(|l| (l.scenario().name, &l.scene));
        let link = route::link_with_scene(state, lesson);
        // Training is deterministic: the step count reproduces the trained page (the
        // step a link asks for, while the run is getting there).
        let steps = |t: &Training| t.step_count().max(t.target.unwrap_or(0));
        match self.train.session.as_ref().map(steps) {
            Some(n) if n > 0 => format!("{link}&train={n}"),
            _ => link,
        }
    }

    /// Whether the page is still the open lesson's own scene.
    /// The first-visit introduction is on screen: not dismissed, on the page (not
    /// presentation or an embed), no lesson open. (The layout plan counts its height.)
    pub fn intro_shown(&self) -> bool {
        let mode = self.state.mode;
        self.screen.intro && self.lesson.open.is_none() && !mode.embed && !mode.present
    }

    pub fn pristine(&self) -> bool {
        self.lesson
            .open
            .as_ref()
            .is_some_and(|l| route::is_scene(&self.state, &l.scene))
    }
}
