//! The layout as data: from the viewport (CSS px), the mode and the scene, what is shown
//! where and how large — the type scale, the views' size, the lesson's words, the order of
//! the blocks. Pure (no browser types), tested natively over every lesson, mode, size and
//! training state; the DOM applies the plan as CSS custom properties and classes.
//!
//! The geometry mirrors `style/main.css` (the column widths and the paddings named below);
//! the words' heights are estimated from their type size and length, on the safe side.
//!
//! **Floors** (never below, in every mode and size):
//! - views: 60 px in presentation at 1280×720 and larger ([`PRESENT_VIEW_FLOOR`]), 48 px
//!   in presentation on smaller screens, 44 px in an embed (40 px below 680 px wide),
//!   56 px on the page
//!   ([`PAGE_VIEW_FLOOR`]);
//! - type on the page and in an embed: lesson text 14 px, badges 13.5 px, reasons 13 px;
//! - type in presentation: badges 20 px, reasons 16 px, takeaway 22 px; at 1280×720 and
//!   larger badges 25 px, reasons 21 px, takeaway 28 px.
//!
//! **Where the grid must fit the screen** (every shown cell's views, badge, reason and
//! result line inside the viewport without scrolling): presentation from 1024×720 up, an
//! embed from 680×600, and the page from 1000×700 up. Below
//! those the page, presentation (whose side column goes under the grid on the page's
//! one-column screens) and the embed scroll down — never sideways — and every row of
//! cells fits one screen.

/// The three ways the page is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Page,
    Present,
    Embed,
}

/// The window's inner size (CSS px).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    pub w: f64,
    pub h: f64,
}

/// What the grid holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scene {
    /// Images (rows) shown.
    pub rows: usize,
    /// Classes (columns of three views) shown.
    pub classes: usize,
    /// A column of input images x.
    pub image: bool,
    /// Compare mode: a column of B's cells per class.
    pub compare: bool,
    /// B's views per cell: 1 (its gradient), 2 while B trains a prediction of its own.
    pub b_views: usize,
    /// A training result line under every cell (a run is on or done).
    pub results: bool,
    /// Of the rows, those with a missing or empty label in a shown column (the images
    /// the lesson is about; all rows when none has one).
    pub taught_rows: usize,
}

/// What the grid leaves out to fit, least first: the numeric captions under the views,
/// the input images' column, the images the lesson is not about; and on a screen that
/// scrolls, cells one per line (stacked) rather than side by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Shape {
    pub no_captions: bool,
    pub no_image: bool,
    pub taught_rows_only: bool,
    pub stack: bool,
    /// One class without B: each cell's words beside its views rather than under them
    /// (the grid's `beside`), taken where it gives clearly larger views.
    pub beside: bool,
}

/// The words around the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Words {
    /// Characters of the open lesson's title, of its text (with the experiment's
    /// sentences while it trains) and of its first sentence; `None` without a lesson.
    pub lesson: Option<(usize, usize, usize)>,
    /// The reader asked for the whole text ("more").
    pub more: bool,
    /// Characters of the first page's question line above the grid (0: none shown).
    pub question: usize,
    /// Characters of the first-visit introduction above the work area (0: not shown).
    pub intro: usize,
}

/// Font sizes (CSS px).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TypeScale {
    pub lesson: f64,
    pub title: f64,
    pub badge: f64,
    pub reason: f64,
    pub loss: f64,
    pub takeaway: f64,
}

/// How the lesson text is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonWords {
    /// Every word, no scroll box.
    Whole,
    /// Its first sentence and a "more" button (the rest one click away).
    Brief,
}

/// The blocks of the work area, in reading order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// The lesson text, the loss and the legend.
    Side,
    Grid,
}

/// The plan: what is shown where and how large.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub type_scale: TypeScale,
    /// The views' size the plan's geometry gives (CSS px), within the bounds below.
    pub view: f64,
    pub view_floor: f64,
    pub view_max: f64,
    pub lesson: LessonWords,
    pub shape: Shape,
    pub order: [Block; 2],
    /// The page scrolls (one column): the grid need not fit the height.
    pub scrolls: bool,
    /// The grid's box (CSS px) and the grid's estimated size in it at [`Plan::view`].
    /// On a screen that scrolls, the height is one row's (each row fits a screen).
    pub area: (f64, f64),
    pub grid: (f64, f64),
    /// A class cell's least width (CSS px), and B's.
    pub cell_min: f64,
    pub b_cell_min: f64,
    /// One row of cells' height (CSS px).
    pub row: f64,
    /// The loss number's box width (CSS px).
    pub loss_box: f64,
}

impl Plan {
    /// Every cell's views, badge, reason and result line inside the grid's box.
    /// Where the screen scrolls: no wider than it, and every row within one screen.
    pub fn fits(&self) -> bool {
        let h = if self.scrolls { self.row } else { self.grid.1 };
        self.grid.0 <= self.area.0 + 0.5 && h <= self.area.1 + 0.5
    }
}

/// Presentation's view floor at 1280×720 and larger.
pub const PRESENT_VIEW_FLOOR: f64 = 60.0;
/// The page's view floor.
pub const PAGE_VIEW_FLOOR: f64 = 56.0;
/// Presentation's and the embed's floor on small screens.
const SMALL_VIEW_FLOOR: f64 = 48.0;
/// An embed's floor: its frame holds the picture, and three images of two classes share
/// 600 px with their words.
const EMBED_VIEW_FLOOR: f64 = 44.0;
/// An embed narrower than 680 px (a phone-width blog column).
const NARROW_EMBED_VIEW_FLOOR: f64 = 40.0;
/// The least width of a compare cell B (CSS px; `--b-cell-min`).
pub const B_CELL_MIN: f64 = 110.0;
/// The longest badge reason and training result line, in characters (estimates).
const REASON_CHARS: f64 = 72.0;
const RESULT_CHARS: f64 = 44.0;
/// The longest loss number: "0.0015281" (five significant digits after zeros), and a
/// half for the sign.
const LOSS_CHARS: f64 = 9.5;
/// A digit's width in the loss's type (tabular figures), as a share of its size.
const DIGIT_EM: f64 = 0.6;
/// An average character's width in running text, as a share of its size.
const CHAR_EM: f64 = 0.5;

/// How much larger than a 1280×720 screen the viewport is (1 there, 1.5 at 1920×1080).
fn hall(vp: Viewport) -> f64 {
    (vp.w / 1280.0).min(vp.h / 720.0)
}

/// The page's one-column layout (phones, portrait tablets): `style/main.css`'s
/// `--narrow` media query.
pub fn one_column(vp: Viewport) -> bool {
    vp.w <= 760.0 || (vp.h > vp.w && vp.w <= 1024.0)
}

/// Presentation's one column (the side under the grid): the same screens as the page's
/// (`style/main.css` lays both out by the `--narrow` media query).
pub fn present_one_column(vp: Viewport) -> bool {
    one_column(vp)
}

/// Presentation scrolls down below 1024×720 (a projector at 150% zoom is 853×480): three
/// rows of cells in hall type do not fit there at the floor, and a row cut at the screen's
/// edge cannot be read at all. Each row still fits one screen. (`style/main.css`'s
/// presentation block: `#main` scrolls at the same sizes.)
pub fn present_scrolls(vp: Viewport) -> bool {
    present_one_column(vp) || vp.w < 1024.0 || vp.h < 720.0
}

/// An embed scrolls down (inside its frame) only where its picture cannot fit the frame
/// even at its floor: a frame under 600 px tall (a blog read at 150% zoom), or a run's
/// result lines under every cell in a frame under 680 px wide. Each row still fits the
/// frame; elsewhere the frame holds the whole picture.
pub fn embed_scrolls(vp: Viewport, scene: &Scene) -> bool {
    vp.h < 600.0 || (scene.results && vp.w < 680.0)
}

/// The first page's loss and legend sit beside the grid, from 1000 px wide
/// (`style/main.css`'s `has-question`).
fn question_beside(vp: Viewport, words: &Words) -> bool {
    words.question > 0 && vp.w >= 1000.0 && !one_column(vp)
}

/// The page fits its grid to the height from 1000×700 up (else it scrolls down).
fn page_fits_height(vp: Viewport) -> bool {
    !one_column(vp) && vp.w >= 1000.0 && vp.h >= 700.0
}

/// Whether the plan promises the grid inside the screen (see the module's doc): the
/// screens that scroll (a row per screen), and without scrolling for up to two columns
/// of class cells (one class with compare's B, or two classes) — the page from 1000×700,
/// presentation from 1024×720, an embed from 680×600 before a run. (Two classes with B
/// beside, a user's own combination, and a run's result lines in an embed may not fit.)
pub fn promised(vp: Viewport, mode: Mode, scene: &Scene) -> bool {
    let columns = scene.classes * if scene.compare { 2 } else { 1 };
    let scrolls = match mode {
        Mode::Page => !page_fits_height(vp),
        Mode::Present => present_scrolls(vp),
        Mode::Embed => embed_scrolls(vp, scene),
    };
    scrolls
        || columns <= 2
            && match mode {
                Mode::Page => true,
                Mode::Present => vp.w >= 1024.0 && vp.h >= 720.0,
                Mode::Embed => vp.w >= 680.0 && vp.h >= 600.0 && !scene.results,
            }
}

/// The type scale: the page's type grows with the screen (a hall reads a 1920 screen
/// from further away), presentation's from its 1280×720 sizes, both within their floors.
pub fn type_scale(vp: Viewport, mode: Mode) -> TypeScale {
    match mode {
        Mode::Page if one_column(vp) => TypeScale {
            lesson: 15.0,
            title: 18.0,
            badge: 13.5,
            reason: 13.0,
            loss: 48.0,
            takeaway: 18.0,
        },
        Mode::Page => {
            let s = hall(vp).clamp(1.0, 1.5) - 1.0;
            TypeScale {
                lesson: 16.0 + 10.0 * s,
                title: 17.0 + 7.0 * s,
                badge: 14.0 + 9.0 * s,
                reason: 13.0 + 7.0 * s,
                loss: 56.0 + 24.0 * s,
                takeaway: 18.0 + 6.0 * s,
            }
        }
        Mode::Present => {
            let s = hall(vp).clamp(0.8, 1.28);
            TypeScale {
                lesson: 21.0 * s,
                title: 32.0 * s,
                badge: 25.0 * s,
                reason: 21.0 * s,
                loss: 88.0 * s,
                takeaway: 28.0 * s,
            }
        }
        Mode::Embed => TypeScale {
            lesson: 14.0,
            title: 15.5,
            badge: 13.5,
            reason: 13.0,
            loss: 44.0,
            takeaway: 18.0,
        },
    }
}

/// The type floors of a mode and viewport (the doc comment's list).
pub fn type_floors(vp: Viewport, mode: Mode) -> TypeScale {
    let big = vp.w >= 1280.0 && vp.h >= 720.0;
    match mode {
        Mode::Present => TypeScale {
            lesson: 16.0,
            title: 25.0,
            badge: if big { 25.0 } else { 20.0 },
            reason: if big { 21.0 } else { 16.0 },
            loss: 40.0,
            takeaway: if big { 28.0 } else { 22.0 },
        },
        _ => TypeScale {
            lesson: 14.0,
            title: 15.0,
            badge: 13.5,
            reason: 13.0,
            loss: 32.0,
            takeaway: 16.0,
        },
    }
}

/// The page's column widths (CSS px), as `style/main.css` sets them per width: the
/// control panel and the side column (`--side-w`).
fn page_columns(w: f64) -> (f64, f64) {
    if w >= 1600.0 {
        (330.0, 400.0)
    } else if w <= 1100.0 {
        (250.0, 280.0)
    } else {
        (300.0, 320.0)
    }
}

/// The grid's box: (width, height, side column width, the page scrolls).
fn area(
    vp: Viewport,
    mode: Mode,
    scene: &Scene,
    words: &Words,
    t: &TypeScale,
) -> (f64, f64, f64, bool) {
    let lesson = words.lesson.is_some();
    // Above the grid: the tools line (paint hint), the folded note, compare's bar.
    let bar = if scene.compare { 84.0 } else { 0.0 };
    // Room kept under the grid, and a scroll bar's width of safety.
    let (gap, safety) = (10.0, 16.0);
    match mode {
        Mode::Page if one_column(vp) => (vp.w - 20.0, vp.h - 20.0, vp.w - 20.0, true),
        Mode::Page => {
            let (controls, side) = page_columns(vp.w);
            let main = vp.w - controls - 32.0 - safety;
            // The side column (the lesson box, or on the first page the loss and the
            // legend) goes beside the grid on a wide screen: the first page's three images
            // need the height its loss box would take above them.
            let beside = (lesson && (vp.w >= 1000.0 || (vp.w >= 800.0 && vp.h <= 600.0)))
                || question_beside(vp, words);
            let above = 10.0 + 26.0 + 34.0 + bar + intro_height(words.intro, main);
            let fit = page_fits_height(vp);
            if beside {
                let aw = main - side - 16.0;
                let h = if fit {
                    vp.h - above - question_height(words.question, aw, t) - gap
                } else {
                    vp.h - 20.0
                };
                (aw, h, side, !fit)
            } else {
                // The loss and legend above the grid (and the lesson's box, folded to
                // its first lines, when the screen is too narrow for a side column).
                let top = t.loss * 1.05
                    + 70.0
                    + if lesson { 120.0 } else { 0.0 }
                    + question_height(words.question, main, t);
                let h = if fit {
                    vp.h - above - top - gap
                } else {
                    vp.h - 20.0
                };
                (main, h, main, !fit)
            }
        }
        Mode::Present if present_one_column(vp) => {
            // The takeaway above, the side column under the grid: the screen scrolls.
            (vp.w - 40.0, vp.h - 28.0 - 20.0, vp.w - 40.0, true)
        }
        Mode::Present => {
            let side = (0.27 * vp.w).max(300.0);
            let w = vp.w - 40.0 - side - 20.0;
            let above =
                14.0 + if lesson {
                    2.0 * 1.2 * t.takeaway + 8.0
                } else {
                    0.0
                } + bar;
            (w, vp.h - above - 14.0 - gap, side, present_scrolls(vp))
        }
        Mode::Embed if vp.w >= 800.0 => (
            vp.w - 20.0 - 312.0 - safety,
            vp.h - 16.0 - bar - gap,
            300.0,
            embed_scrolls(vp, scene),
        ),
        // Below 800 px the picture comes first under the embed's title line.
        Mode::Embed => (
            vp.w - 20.0,
            vp.h - 16.0 - 34.0 - bar - gap,
            vp.w - 20.0,
            embed_scrolls(vp, scene),
        ),
    }
}

/// The grid's size (CSS px) at views of `v` px: its cells' views and words, their
/// headers, gaps and paddings (`style/main.css`'s `.grid`, `.cell`, `.cell-head`).
/// A cell's least width (CSS px; `--cell-min`): the grid's width shared by the cells
/// across (the words wrap less when the views are small), within bounds.
fn cell_min(aw: f64, mode: Mode, across: f64) -> f64 {
    ((aw - 40.0) / across - 26.0)
        .clamp(
            if mode == Mode::Embed { 110.0 } else { 150.0 },
            if mode == Mode::Present { 560.0 } else { 280.0 },
        )
        .floor()
}

/// B's cells' least width: room for the badge's words on one line (its views are
/// fewer); in presentation as wide as A's, so the hall-sized reasons wrap as little.
fn b_cell_min(cell_min: f64, mode: Mode, t: &TypeScale) -> f64 {
    if mode == Mode::Present {
        return cell_min;
    }
    cell_min
        .min((16.0 * 0.6 * t.badge + 24.0).max(B_CELL_MIN))
        .floor()
}

/// The cells across a line of the grid.
fn across(mode: Mode, scene: &Scene, shape: Shape) -> f64 {
    let image = scene.image && mode != Mode::Present && !shape.no_image;
    let classes = scene.classes.max(1) as f64;
    if shape.stack {
        1.0
    } else {
        classes * if scene.compare { 2.0 } else { 1.0 } + f64::from(u8::from(image))
    }
}

/// Returns the width, the height and one row's height.
fn grid_size(
    v: f64,
    aw: f64,
    mode: Mode,
    scene: &Scene,
    shape: Shape,
    t: &TypeScale,
) -> (f64, f64, f64) {
    let present = mode == Mode::Present;
    let image = scene.image && !present && !shape.no_image;
    let classes = scene.classes.max(1) as f64;
    let b_cells = if scene.compare { classes } else { 0.0 };
    let across = across(mode, scene, shape);
    let (row_head, gap_x, gap_y) = if present {
        (34.0, 12.0, 10.0)
    } else {
        (26.0, 8.0, 6.0)
    };
    let cell_min = cell_min(aw, mode, across);
    // A cell of n views: its views or its minimum, padding and border. B's cells hold
    // one or two views and a badge: their minimum is smaller ([`B_CELL_MIN`]).
    let cell_w = |n: f64| {
        let least = if n < 3.0 {
            b_cell_min(cell_min, mode, t)
        } else {
            cell_min
        };
        (n * v + 4.0 * (n - 1.0)).max(least) + 16.0
    };
    if shape.beside {
        return beside_size(v, aw, mode, scene, shape, t, row_head, gap_y);
    }
    let width = if shape.stack {
        cell_w(3.0)
    } else {
        row_head
            + classes * cell_w(3.0)
            + if image { cell_w(1.0) } else { 0.0 }
            + b_cells * cell_w(scene.b_views.max(1) as f64)
            + gap_x * across
    };
    // The tallest cell: a class's (B's has shorter words beside fewer views).
    // A cell's words at its inner width: the header (the status — a select, or the
    // status in words in presentation — and the badge on one line, or two when they do
    // not fit side by side), the badge's reason and the run's result line.
    let words = |inner: f64, status: bool| {
        let lines = |chars: f64, size: f64| (chars / (inner / (CHAR_EM * size)).max(1.0)).ceil();
        let badge_w = 16.0 * 0.6 * t.badge + 24.0;
        let status_w = match (status, present) {
            (false, _) => 0.0,
            (true, true) => 8.0 * 0.55 * t.reason,
            (true, false) => 96.0,
        };
        let head_lines = if status_w + badge_w + 6.0 <= inner {
            1.0
        } else {
            2.0
        };
        let head = (head_lines * (t.badge * 1.3 + 6.0)).max(28.0) + 4.0;
        // Presentation of a trained B leaves the reasons to the badges' tooltips.
        let reasons = !(present && scene.compare && scene.b_views > 1);
        let reason = if reasons {
            3.0 + lines(REASON_CHARS, t.reason) * t.reason * 1.25
        } else {
            0.0
        };
        let result_size = if present { t.reason } else { 14.0 };
        let result = if scene.results {
            2.0 + lines(RESULT_CHARS, result_size) * result_size * 1.35
        } else {
            0.0
        };
        head + reason + result
    };
    let a_words = words(cell_w(3.0) - 16.0, true);
    let b_words = if scene.compare {
        words(cell_w(scene.b_views.max(1) as f64) - 16.0, false)
    } else {
        0.0
    };
    let caption = caption_h(mode, shape);
    // (+4: line boxes round up; measured against Chromium, an embed's three rows at
    // 800×600 were 10 px taller than the sum of their words' estimates.)
    let cell_h = 12.0 + a_words.max(b_words) + v + caption + 4.0;
    let rows = rows_shown(scene, shape);
    if shape.stack {
        // One cell a line, its place in words in its header.
        let cells = rows * (classes + f64::from(u8::from(image)) + b_cells);
        return (width, cells * (cell_h + gap_y), cell_h);
    }
    // The column heads: the class's name and the views' names (two lines).
    let col_head = if present {
        26.0 * 1.35 + 2.0 * 21.0 * 1.2
    } else {
        15.0 * 1.35 + 2.0 * 14.0 * 1.2
    };
    (width, col_head + gap_y + rows * (cell_h + gap_y), cell_h)
}

/// The numeric caption's line under a cell's views (the page's, unless left out).
fn caption_h(mode: Mode, shape: Shape) -> f64 {
    if mode == Mode::Page && !shape.no_captions {
        21.0
    } else {
        0.0
    }
}

/// The images (rows) a shape shows.
fn rows_shown(scene: &Scene, shape: Shape) -> f64 {
    if shape.taught_rows_only {
        scene.taught_rows
    } else {
        scene.rows
    }
    .max(1) as f64
}

/// [`grid_size`] of the `beside` arrangement (`style/main.css`'s `.grid.beside .cell`):
/// a cell is its three views, then a column of its words — the status select over the
/// badge, the reason, the caption — at least 9 em wide and as wide as the grid's box
/// leaves; its height is the taller of the two.
#[allow(clippy::too_many_arguments)]
fn beside_size(
    v: f64,
    aw: f64,
    mode: Mode,
    scene: &Scene,
    shape: Shape,
    t: &TypeScale,
    row_head: f64,
    gap_y: f64,
) -> (f64, f64, f64) {
    let views = 3.0 * v + 8.0;
    let words_w = (aw - row_head - 8.0 - views - 12.0 - 16.0)
        .min(20.0 * t.reason)
        .max(9.0 * t.reason);
    let lines = |chars: f64, size: f64| (chars / (words_w / (CHAR_EM * size)).max(1.0)).ceil();
    let head = 26.0 + 4.0 + t.badge * 1.3 + 6.0;
    let reason = 3.0 + lines(REASON_CHARS, t.reason) * t.reason * 1.25;
    let result = if scene.results {
        2.0 + lines(RESULT_CHARS, 14.0) * 14.0 * 1.35
    } else {
        0.0
    };
    let caption = caption_h(mode, shape);
    let cell_h = 12.0 + v.max(head + reason + caption) + result;
    let width = row_head + 8.0 + views + 12.0 + words_w + 16.0;
    let rows = rows_shown(scene, shape);
    let col_head = 15.0 * 1.35 + 2.0 * 14.0 * 1.2;
    (width, col_head + gap_y + rows * (cell_h + gap_y), cell_h)
}

/// The lesson box's words: whole where title, text and the rest of the side column fit
/// the height (two columns) or the first screen (one column), else the first sentence
/// and "more".
fn lesson_words(
    vp: Viewport,
    mode: Mode,
    words: &Words,
    side_w: f64,
    t: &TypeScale,
) -> LessonWords {
    let Some((title, text, _lead)) = words.lesson else {
        return LessonWords::Whole;
    };
    if words.more || mode == Mode::Present {
        return LessonWords::Whole;
    }
    let inner = side_w - 26.0;
    let height = |chars: usize, size: f64, lh: f64| {
        (chars as f64 / (inner / (CHAR_EM * size))).ceil() * size * lh
    };
    let box_h = 20.0 + height(title, t.title, 1.25) + 36.0 + height(text, t.lesson, 1.35);
    // The rest of the side column: the loss box, the legend and the hover read-out.
    let rest = t.loss * 1.05 + 60.0 + 120.0 + 60.0;
    let room = match mode {
        Mode::Page if one_column(vp) => vp.h * 0.5,
        Mode::Page | Mode::Embed => vp.h - 20.0 - rest,
        Mode::Present => f64::INFINITY,
    };
    if box_h <= room {
        LessonWords::Whole
    } else {
        LessonWords::Brief
    }
}

/// The shapes tried, least left out first.
fn shapes(mode: Mode, scrolls: bool, scene: &Scene) -> Vec<Shape> {
    let mut out = vec![Shape::default()];
    let mut s = Shape::default();
    if mode == Mode::Page {
        s.no_captions = true;
        out.push(s);
    }
    if scene.image && mode != Mode::Present {
        s.no_image = true;
        out.push(s);
    }
    if scene.taught_rows < scene.rows {
        s.taught_rows_only = true;
        out.push(s);
    }
    if scrolls {
        s.stack = true;
        out.push(s);
    }
    out
}

/// The height of the first-visit introduction (`chars` characters of its paragraph after
/// its title, in its 14 px type across `width`, with its buttons' line, its padding and its
/// margin); 0 without one.
fn intro_height(chars: usize, width: f64) -> f64 {
    if chars == 0 {
        return 0.0;
    }
    let per_line = (width - 26.0) / (CHAR_EM * 14.0);
    ((chars + 10) as f64 / per_line).ceil() * 14.0 * 1.45 + 5.0 + 30.0 + 14.0 + 8.0
}

/// The height of the question line (`chars` characters in lesson type across `width`,
/// with its padding and margin); 0 without one.
fn question_height(chars: usize, width: f64, t: &TypeScale) -> f64 {
    if chars == 0 {
        return 0.0;
    }
    let per_line = (width - 24.0) / (CHAR_EM * t.lesson);
    (chars as f64 / per_line).ceil() * t.lesson * 1.35 + 12.0 + 8.0
}

/// The plan for a viewport, mode, scene and words.
pub fn plan(vp: Viewport, mode: Mode, scene: &Scene, words: &Words) -> Plan {
    let mut t = type_scale(vp, mode);
    let lesson = words.lesson.is_some();
    let (aw, ah, side_w, scrolls) = area(vp, mode, scene, words, &t);
    // The loss number fits its box: the side column, or the page's 340 px box.
    let loss_box = match mode {
        Mode::Page if !lesson && !question_beside(vp, words) && !one_column(vp) => 340.0,
        _ => side_w - 28.0,
    };
    t.loss = t.loss.min(loss_box / (LOSS_CHARS * DIGIT_EM)).floor();
    let big = vp.w >= 1280.0 && vp.h >= 720.0;
    let view_floor = match mode {
        Mode::Present if big => PRESENT_VIEW_FLOOR,
        Mode::Present => SMALL_VIEW_FLOOR,
        // A phone-width blog column: two classes' six views side by side.
        Mode::Embed if vp.w < 680.0 => NARROW_EMBED_VIEW_FLOOR,
        Mode::Embed => EMBED_VIEW_FLOOR,
        Mode::Page => PAGE_VIEW_FLOOR,
    };
    let view_max = match mode {
        Mode::Present => 560.0,
        Mode::Embed => 400.0,
        Mode::Page if scrolls && vp.w < 480.0 => 100.0,
        Mode::Page => 320.0,
    };
    // The page's line above the grid naming the images left out (13 px type).
    let note = |shape: Shape| {
        if mode == Mode::Page && shape.taught_rows_only {
            21.0
        } else {
            0.0
        }
    };
    let fits = |v: f64, shape: Shape| {
        let (gw, gh, row) = grid_size(v, aw, mode, scene, shape, &t);
        gw <= aw && if scrolls { row } else { gh + note(shape) } <= ah
    };
    // The first shape that fits at the floor, then the largest view. When none fits,
    // a screen that scrolls stacks its cells; one that does not takes the first shape
    // that fits the width, but keeps every image (what was asked for, e.g. a column
    // shown on request, stays shown with its rows).
    let mut shapes = shapes(mode, scrolls, scene);
    if mode == Mode::Embed
        && (scene.results || scrolls)
        && shapes.iter().any(|s| s.taught_rows_only)
    {
        // A run in an embed, and an embed whose frame scrolls, show the images the lesson
        // is about, as presentation does: the annotated reference rows would come first.
        shapes.retain(|s| s.taught_rows_only);
    }
    let keep_rows = |s: &&Shape| !s.taught_rows_only;
    let fallback = if scrolls {
        shapes[shapes.len() - 1]
    } else if mode == Mode::Embed && scene.results {
        // A run in an embed (a frame that does not scroll, with a result line under
        // every cell): the images the lesson is about, as presentation shows them,
        // rather than the annotated reference rows first and the taught ones below
        // the frame's edge.
        shapes
            .iter()
            .rev()
            .find(|&&s| grid_size(view_floor, aw, mode, scene, s, &t).0 <= aw)
            .copied()
            .unwrap_or_default()
    } else {
        shapes
            .iter()
            .filter(keep_rows)
            .find(|&&s| grid_size(view_floor, aw, mode, scene, s, &t).0 <= aw)
            .or_else(|| shapes.iter().rev().find(|s| !s.taught_rows_only))
            .copied()
            .unwrap_or_default()
    };
    // The largest view a shape fits at (its floor when it fits nowhere).
    let largest = |shape: Shape| {
        let mut v = view_max;
        while v > view_floor {
            if fits(v, shape) {
                return v;
            }
            v -= 1.0;
        }
        view_floor
    };
    // On the page one class without B may have its words beside its views: the grid
    // takes that where it gives clearly larger views (`web::grid`'s rule, 8%).
    let can_beside = mode == Mode::Page && scene.classes <= 1 && !scene.compare;
    let pick = |s: Shape| {
        let under = fits(view_floor, s).then(|| (s, largest(s)));
        let b = Shape { beside: true, ..s };
        let beside = (can_beside && !s.stack && fits(view_floor, b)).then(|| (b, largest(b)));
        match (under, beside) {
            (Some(u), Some(b)) => Some(if b.1 > u.1 * 1.08 { b } else { u }),
            (u, b) => u.or(b),
        }
    };
    let (shape, view) = shapes
        .iter()
        .find_map(|&s| pick(s))
        .unwrap_or_else(|| (fallback, largest(fallback)));
    let (gw, gh, row) = grid_size(view, aw, mode, scene, shape, &t);
    let order = match mode {
        // A phone's page: the lesson's words first (folded to its takeaway).
        Mode::Page if one_column(vp) => [Block::Side, Block::Grid],
        _ => [Block::Grid, Block::Side],
    };
    Plan {
        type_scale: t,
        view,
        view_floor,
        view_max,
        lesson: lesson_words(vp, mode, words, side_w, &t),
        shape,
        order,
        scrolls,
        area: (aw, ah),
        grid: (gw, gh),
        row,
        cell_min: cell_min(aw, mode, across(mode, scene, shape)),
        b_cell_min: b_cell_min(cell_min(aw, mode, across(mode, scene, shape)), mode, &t),
        loss_box,
    }
}
