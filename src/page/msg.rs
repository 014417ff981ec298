//! Everything a person can do on the page, as data. The browser turns events into these;
//! [`crate::page::update::update`] applies them.

use crate::engine::activation::Activation;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::train::ModelKind;
use crate::engine::variants::Variant;
use crate::page::model::{EpsField, Hover, ViewKind};
use crate::page::paint::Layer;

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
}

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    // ---- painting ------------------------------------------------------------------
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
    /// The pixel under the pointer, or none.
    Hover(Option<Hover>),
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
    // ---- tools -----------------------------------------------------------------------
    LabelErase(bool),
    PredValue(f64),
    Radius(f64),
    SquareBrush(bool),
    SoftEdge(bool),
    HelpersOnAll(bool),
    Fill,
    Clear,
    Helper(HelperKind),
    Undo,
    Redo,
    // ---- loss settings ---------------------------------------------------------------
    Preset(String),
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
    Status {
        b: usize,
        c: usize,
        status: LabelStatus,
    },
    // ---- gradient view ---------------------------------------------------------------
    LogitGrad(bool),
    SharedScale(bool),
    Symlog(bool),
    // ---- size ------------------------------------------------------------------------
    Size {
        b: usize,
        c: usize,
        n: usize,
    },
    Reset,
    /// The open lesson's scene again, else the default page; presentation and embedding
    /// stay as they are (the embed's reset button).
    StartOver,
    // ---- lessons ---------------------------------------------------------------------
    OpenLesson(usize),
    StartTour,
    /// One tour step forward (+1) or back (−1); past the last step ends the tour.
    TourStep(isize),
    ExitTour,
    CloseLesson,
    RestoreLesson,
    /// Folds the lesson text to its title line (true) or unfolds it.
    CollapseLesson(bool),
    // ---- explanations ----------------------------------------------------------------
    /// Show the set of this cell in the Φ picture, the formula and plot (b).
    Focus {
        b: usize,
        c: usize,
    },
    DismissNotice,
    // ---- the screen ------------------------------------------------------------------
    /// Presentation mode on or off.
    Present(bool),
    /// Show the columns of classes that are not in the loss (else a one-line note).
    ShowExcluded(bool),
    /// Hide the first-visit introduction.
    DismissIntro,
    /// An export or a copy.
    Export(ExportKind),
    // ---- training --------------------------------------------------------------------
    TrainPlay,
    TrainPause,
    /// One step, then paused.
    TrainStep,
    /// Back to the prediction before training.
    TrainReset,
    /// The scheduler's beat while playing: this many steps are due.
    TrainTick(usize),
    TrainModel(ModelKind),
    /// "sgd" or "adam" (the learning rate is kept).
    TrainOptimizer(String),
    TrainLr(f64),
    /// The learning-rate field's entry was committed.
    TrainLrEntered(String),
    TrainSpeed(u32),
    /// The open lesson's training experiment: its scene for training, then play.
    TrainLesson,
    /// Show the input images x in the grid.
    ShowImages(bool),
    // ---- compare mode ----------------------------------------------------------------
    /// The same scene under a second setting, side by side.
    CompareOpen,
    CompareClose,
    ComparePhi(Phi),
    /// The second setting's ε entry was committed (ε_nr = ε_dr).
    CompareEps(String),
    CompareVariant(Variant),
    CompareBackground(bool),
    /// A framework preset as the second setting.
    ComparePreset(String),
    // ---- the page --------------------------------------------------------------------
    /// The address bar's hash changed (a pasted link, Back, Forward).
    LinkLoaded(String),
    /// The window changed size.
    Resized,
}
