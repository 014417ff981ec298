//! Everything a person can do on the page, as data, one enum per domain (as the page
//! model and [`crate::page::update`] are split). The browser turns events into these;
//! [`crate::page::update::update`] applies them. Payloads are typed: a value the page
//! does not know never becomes a message.

use crate::engine::activation::Activation;
use crate::engine::phi::Phi;
use crate::engine::presets::{framework_preset, FrameworkPreset};
use crate::engine::status::LabelStatus;
use crate::engine::train::{ModelKind, Optimizer};
use crate::engine::variants::Variant;
use crate::page::model::{EpsField, Hover, ViewKind};
use crate::page::paint::Layer;
use crate::page::yourdata::Fitted;
use crate::present::paste::Pasted;

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Brush strokes, the keyboard cursor, Fill, Clear, the helpers, undo and redo.
    Paint(PaintMsg),
    /// The brush and helper settings.
    Tool(ToolMsg),
    /// The loss settings and the label statuses.
    Settings(SettingsMsg),
    /// How the gradient views are drawn.
    Display(DisplayMsg),
    /// What the explanations point at: the hovered pixel, the selected set.
    Explain(ExplainMsg),
    /// The page as a whole: its size, a reset, a link, the notice.
    Page(PageMsg),
    /// The lessons and the guided tour.
    Lesson(LessonMsg),
    /// What the screen shows around the data, and exports.
    Screen(ScreenMsg),
    /// Training a model on the page. Every message that must not end a session is here
    /// (the session follows the data of every other message).
    Train(TrainMsg),
    /// Compare mode: the same scene under a second setting.
    Compare(CompareMsg),
    /// The person's own label/prediction files ("Your data").
    Data(DataMsg),
    /// The Experiment panel and its worker's reports.
    Experiment(ExperimentMsg),
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataMsg {
    /// The web layer posted request `id` to the worker: the latest, so the answers to
    /// earlier ones are dropped. `opening`: it opens files (else a pick or Swap).
    Asked { id: u32, opening: bool },
    /// The worker's answer to request `id`: the part of the person's files the page shows
    /// (read with the CLI's readers and fitted by `page::yourdata::fit` in the worker), or
    /// why it cannot be shown.
    Shown {
        id: u32,
        fitted: Box<Result<Fitted, String>>,
    },
}

/// The Experiment panel: its choices, Run and Cancel, and what the worker reports (each
/// report names the job it belongs to, so a cancelled job's late reports are dropped).
#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentMsg {
    Template(crate::engine::experiment::Template),
    Scale(crate::page::experiment::Scale),
    /// Tick (or untick) run kind `i` of `page::experiment::RUNS`.
    Run(usize, bool),
    /// Tick (or untick) batch size `i` of `page::experiment::BATCHES`.
    Batch(usize, bool),
    Start,
    /// Run the ε sweep (Φ = I across `page::experiment::SWEEP_EPS`).
    Sweep,
    Cancel,
    Progress {
        job: u32,
        run: usize,
        done: usize,
        total: usize,
    },
    /// A run finished: b_ratio, a_dice, AUC, volume error.
    RunDone {
        job: u32,
        run: usize,
        measures: [f64; 4],
    },
    /// Every run finished: the result JSON text and the worker's steps per second.
    Done {
        job: u32,
        result: String,
        steps_per_second: f64,
    },
    /// The worker refused the config or could not start.
    Failed {
        job: u32,
        why: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum PaintMsg {
    /// Pointer down on a paintable view at (row, column); `erase` for the right button
    /// or a pen's eraser.
    StrokeStart {
        layer: Layer,
        b: usize,
        c: usize,
        at: (f64, f64),
        erase: bool,
    },
    /// The painting pointer moved to (row, column) of the stroke's view.
    StrokeMove {
        at: (f64, f64),
    },
    StrokeEnd,
    /// The system took the pointer (a scroll gesture, a palm): the stroke was not meant.
    StrokeCancel,
    /// The keyboard cursor of a focused view moves by (rows, columns) (0, 0 puts it on
    /// the view); `paint`: the move paints a line on a paintable view (one undo step).
    CursorMove {
        view: ViewKind,
        b: usize,
        c: usize,
        di: i32,
        dj: i32,
        paint: bool,
    },
    /// Paints (or erases) one brush dab at the keyboard cursor: one undo step.
    PaintAtCursor {
        erase: bool,
    },
    Fill,
    Clear,
    Helper(HelperKind),
    Undo,
    Redo,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ToolMsg {
    LabelErase(bool),
    PredValue(f64),
    Radius(f64),
    SquareBrush(bool),
    SoftEdge(bool),
    HelpersOnAll(bool),
    /// Paint mode on a touch screen (the "✎ Paint" toggle): a finger paints while on.
    PaintMode(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SettingsMsg {
    /// A framework's settings; `None`: "custom settings", which is not a preset (the
    /// select shows the settings again).
    Preset(Option<Preset>),
    Phi(Phi),
    /// An ε slider moved to this stop.
    EpsSlider {
        field: EpsField,
        pos: u32,
    },
    /// An ε field's entry was committed (Enter or leaving the field).
    EpsEntered {
        field: EpsField,
        text: String,
    },
    /// An ε field lost focus (it may show the value in its usual form again).
    EpsLeft(EpsField),
    SeparateEps(bool),
    HeuristicEps,
    Jaccard(bool),
    Squared(bool),
    IncludeBackground(bool),
    Exclusive(bool),
    Activation(Activation),
    /// The plain, leaf or marginal Dice.
    Variant(Variant),
    /// A library's loss call from the "Paste your loss" field, as the paste worker read
    /// it (`present::paste::read_loss`): settings to apply, or why not.
    Paste(Box<Result<Pasted, String>>),
    Status {
        b: usize,
        c: usize,
        status: LabelStatus,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayMsg {
    LogitGrad(bool),
    SharedScale(bool),
    Symlog(bool),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ExplainMsg {
    /// The pixel under the pointer, or none.
    Hover(Option<Hover>),
    /// Show the set of this cell in the Φ picture, the formula and plot (b).
    Focus { b: usize, c: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub enum PageMsg {
    Size {
        b: usize,
        c: usize,
        n: usize,
    },
    Reset,
    /// The open lesson's scene again, else the default page; presentation and embedding
    /// stay as they are (the embed's reset button).
    StartOver,
    /// The address bar's hash changed (a pasted link, Back, Forward).
    LinkLoaded(String),
    DismissNotice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonMsg {
    Open(usize),
    StartTour,
    /// One tour step forward (+1) or back (−1); past the last step ends the tour.
    TourStep(isize),
    ExitTour,
    Close,
    Restore,
    /// Folds the lesson text to its title line (true) or unfolds it.
    Collapse(bool),
    /// On a narrow screen the lesson text shows its first sentence; "more" shows it all
    /// (true), "less" folds it again.
    More(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenMsg {
    /// Presentation mode on or off.
    Present(bool),
    /// Show the columns of classes that are not in the loss (else a one-line note).
    ShowExcluded(bool),
    /// Hide the first-visit introduction.
    DismissIntro,
    /// The window changed size.
    Resized,
    /// The device has a touch screen (a coarse pointer, or a finger pressed): the page
    /// offers paint mode and speaks of touch.
    Touch,
    /// An export or a copy.
    Export(ExportKind),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TrainMsg {
    Play,
    Pause,
    /// One step, then paused.
    Step,
    /// Back to the prediction before training.
    Reset,
    /// The scheduler's beat while playing: this many steps are due.
    Tick(usize),
    Model(ModelKind),
    /// The optimiser (the learning rate is kept).
    Optimizer(OptimizerKind),
    Lr(f64),
    /// The learning-rate field's entry was committed.
    LrEntered(String),
    Speed(u32),
    /// The open lesson's training experiment: its scene for training, then play.
    Lesson,
    /// Presentation's Play/Pause button: pause a playing run, play a paused one, or
    /// start the open lesson's experiment when nothing was trained yet.
    Toggle,
    /// Show the input images x in the grid.
    ShowImages(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum CompareMsg {
    /// The same scene under a second setting, side by side.
    Open,
    Close,
    Phi(Phi),
    /// The second setting's ε entry was committed (ε_nr = ε_dr).
    Eps(String),
    Variant(Variant),
    Background(bool),
    /// A framework preset as the second setting; `None`: "a library's setting…", which
    /// is not one (the bar shows B again).
    Preset(Option<Preset>),
}

/// A framework preset of [`crate::engine::presets`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset(pub &'static FrameworkPreset);

impl Preset {
    /// The preset of this name, if there is one.
    pub fn named(name: &str) -> Option<Preset> {
        framework_preset(name).map(Preset)
    }
}

/// The optimisers the Train panel offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    Sgd,
    Adam,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 2] = [OptimizerKind::Sgd, OptimizerKind::Adam];

    /// The name in links, selects and the CLI ([`Optimizer::code`]).
    pub fn code(self) -> &'static str {
        self.with_lr(1.0).code()
    }

    pub fn parse(s: &str) -> Option<OptimizerKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The optimiser of this kind with learning rate `lr` (and PyTorch's defaults).
    pub fn with_lr(self, lr: f64) -> Optimizer {
        match self {
            OptimizerKind::Sgd => Optimizer::sgd(lr),
            OptimizerKind::Adam => Optimizer::adam(lr),
        }
    }
}

/// The prediction helpers offered by the Paint panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperKind {
    Copy,
    Shift,
    Dilate,
    Erode,
    Blur,
    Noise,
}

impl HelperKind {
    pub const ALL: [HelperKind; 6] = [
        HelperKind::Copy,
        HelperKind::Shift,
        HelperKind::Dilate,
        HelperKind::Erode,
        HelperKind::Blur,
        HelperKind::Noise,
    ];
}

/// What an export or copy button asks for. The plots are numbered as on the page:
/// 0 = (a), 1 = (b), 2 = (c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The grid with its headers, badges and legend, as a PNG at twice the screen's size.
    GridPng,
    GridSvg,
    PlotPng(u8),
    PlotSvg(u8),
    /// The page's link to the clipboard.
    CopyLink,
    /// An `<iframe>` of the page as an embed, sized to fit it, to the clipboard.
    CopyEmbed,
    /// The Experiment panel's results table as CSV.
    ExperimentCsv,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_parsed_into_their_types_or_refused() {
        assert_eq!(Preset::named("keras").map(|p| p.0.name), Some("keras"));
        assert_eq!(Preset::named("custom"), None);
        assert_eq!(Preset::named("not a preset"), None);
        for k in OptimizerKind::ALL {
            assert_eq!(OptimizerKind::parse(k.code()), Some(k));
            assert_eq!(k.with_lr(0.3).lr(), 0.3);
        }
        assert_eq!(OptimizerKind::parse("sgd"), Some(OptimizerKind::Sgd));
        assert_eq!(OptimizerKind::parse("adam"), Some(OptimizerKind::Adam));
        // An unknown optimiser is no message at all (it once was a string that did nothing).
        assert_eq!(OptimizerKind::parse("rmsprop"), None);
        assert_eq!(OptimizerKind::parse(""), None);
    }
}
