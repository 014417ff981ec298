//! What the screen shows around the data: which class columns of the grid are drawn, and
//! which are folded into a one-line note. Pure, tested natively; the browser only draws it.
//!
//! A class that is not in the loss (the background when it is excluded) shows nothing that
//! matters for the lesson — no gradient, no verdict — so its column is folded unless asked
//! for. In presentation mode a lesson shows only the classes it is about (its expected
//! verdicts, and the background when the lesson is about its term); without a lesson
//! every class in the loss.

use crate::engine::loss::Evaluation;
use crate::engine::status::LabelStatus;
use crate::page::levels;
use crate::page::model::Model;
use crate::page::state::AppState;
use crate::present::figure::esc;
use crate::present::labels::class_name;

pub mod plan;
#[cfg(test)]
mod plan_tests;

pub use plan::{LessonWords, Mode, Plan, Viewport};

/// The grid's columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Per class: drawn as a column.
    pub shown: Vec<bool>,
    /// Classes not in the loss whose columns are folded into the note.
    pub folded: Vec<usize>,
    /// Every class not in the loss (folded or shown on request).
    pub out: Vec<usize>,
}

impl Columns {
    pub fn count(&self) -> usize {
        self.shown.iter().filter(|&&s| s).count()
    }
}

/// Whether class `c` has a cell in the loss (`None` without an evaluation: unknown).
fn in_loss(e: Option<&Evaluation>, batch: usize, c: usize) -> Option<bool> {
    let e = e?;
    Some((0..batch).any(|b| e.cell_set.get((b, c)).copied().flatten().is_some()))
}

/// The columns of the grid for the model and its evaluation.
pub fn columns(m: &Model, e: Option<&Evaluation>) -> Columns {
    let (batch, classes) = (m.state.batch(), m.state.classes());
    let out_of_loss: Vec<bool> = (0..classes)
        .map(|c| in_loss(e, batch, c) == Some(false))
        .collect();
    let mut shown: Vec<bool> = out_of_loss.iter().map(|&out| !out).collect();
    if m.state.mode.present {
        if let Some(l) = &m.lesson.open {
            let sc = l.scenario();
            // A lesson about the background's own term shows its column too.
            let about: Vec<bool> = (0..classes)
                .map(|c| {
                    (c == 0 && sc.about_background && m.state.exclusive)
                        || sc.expected.iter().any(|&(_, k, _, _)| k == c)
                })
                .collect();
            if about.iter().zip(&shown).any(|(&a, &s)| a && s) {
                shown = about.iter().zip(&shown).map(|(&a, &s)| a && s).collect();
            }
        }
    } else if m.screen.show_excluded {
        shown = vec![true; classes];
    }
    // Never an empty grid: with nothing in the loss, every column is drawn.
    if !shown.iter().any(|&s| s) {
        shown = vec![true; classes];
    }
    let folded = (0..classes)
        .filter(|&c| out_of_loss[c] && !shown[c])
        .collect();
    let out = (0..classes).filter(|&c| out_of_loss[c]).collect();
    Columns { shown, folded, out }
}

/// The grid's rows (images) drawn. In presentation mode, for a scene of more than two
/// images or while a training run is shown, only the images with a missing or empty label
/// in a shown column: what the lesson is about, so three or four images (with compare
/// mode's B beside, and the takeaway above) keep readable views in the hall. Else, or when
/// no image has one, every image.
pub fn rows(m: &Model, shown_columns: &[bool]) -> Vec<bool> {
    let batch = m.state.batch();
    if !m.state.mode.present || (m.train.session.is_none() && batch <= 2) {
        return vec![true; batch];
    }
    taught(m, shown_columns)
}

/// The rows the grid draws under a plan (its shape may keep only the taught images), and
/// the images the page leaves out to fit, for the line that names them (presentation and
/// the embed show the images the lesson is about by design: none named there).
pub fn drawn_rows(m: &Model, shown_columns: &[bool], plan: &Plan) -> (Vec<bool>, Vec<usize>) {
    let all = rows(m, shown_columns);
    if !plan.shape.taught_rows_only {
        return (all, Vec::new());
    }
    let drawn = taught(m, shown_columns);
    let page = !m.state.mode.present && !m.state.mode.embed;
    let left = (0..drawn.len())
        .filter(|&b| page && all[b] && !drawn[b])
        .collect();
    (drawn, left)
}

/// The images with a missing or empty label in a shown column (every image when none
/// has one).
pub fn taught(m: &Model, shown_columns: &[bool]) -> Vec<bool> {
    let (batch, classes) = m.state.status.dim();
    let taught: Vec<bool> = (0..batch)
        .map(|b| {
            (0..classes).any(|c| {
                shown_columns.get(c).copied().unwrap_or(true)
                    && m.state.status[(b, c)] != LabelStatus::Annotated
            })
        })
        .collect();
    if taught.iter().any(|&t| t) {
        taught
    } else {
        vec![true; batch]
    }
}

/// The layout plan ([`plan::plan`]) of the model's screen in a viewport: its mode, the
/// grid's shown rows and columns, compare mode's side, a run's result lines and the open
/// lesson's words.
pub fn plan_for(m: &Model, e: Option<&Evaluation>, question: Option<&str>, vp: Viewport) -> Plan {
    let mode = if m.state.mode.present {
        Mode::Present
    } else if m.state.mode.embed {
        Mode::Embed
    } else {
        Mode::Page
    };
    let cols = columns(m, e);
    let shown_rows = rows(m, &cols.shown).iter().filter(|&&r| r).count();
    let taught_rows = taught(m, &cols.shown).iter().filter(|&&r| r).count();
    let session = m.train.session.as_ref();
    let scene = plan::Scene {
        rows: shown_rows,
        classes: cols.count(),
        image: m.train.show_images,
        compare: m.state.compare.is_some(),
        b_views: if session.is_some_and(|t| t.compare.is_some()) {
            2
        } else {
            1
        },
        results: session.is_some(),
        taught_rows: taught_rows.min(shown_rows),
    };
    let lesson = m.lesson.open.as_ref().map(|l| {
        let sc = l.scenario();
        let run = session
            .and_then(|_| crate::page::lessons::experiments::lesson_plan(sc.name))
            .map_or(0, |p| {
                crate::page::lessons::experiments::plan_text(&p)
                    .chars()
                    .count()
            });
        let lead = crate::present::hints::first_sentence(sc.text).0;
        (
            sc.title.chars().count(),
            sc.text.chars().count() + run,
            lead.chars().count(),
        )
    });
    // Brief: folded to its first sentence until the reader asks for more (the lesson
    // box's own state), so the plan does not read `more`.
    let question = question.map_or(0, |q| q.chars().count());
    let intro = if m.intro_shown() {
        crate::present::hints::visible_chars(crate::present::hints::INTRO)
    } else {
        0
    };
    let words = plan::Words {
        lesson: lesson.filter(|_| !m.lesson.collapsed),
        more: false,
        question,
        intro,
    };
    plan::plan(vp, mode, &scene, &words)
}

/// The size (CSS px) of an `<iframe>` that shows a page of `batch` images as an embed
/// with comfortable views: 800×600 up to two images (every page fits 800×600, views
/// shrink), 120 px more per further image.
pub fn embed_size(batch: usize) -> (u32, u32) {
    (800, (600 + 120 * batch.saturating_sub(2) as u32).min(1200))
}

/// The narrowest column an embed fits: below 800 px it shows the picture (the taught
/// cells with their badges) first, down to this width.
pub const EMBED_MIN_WIDTH: u32 = 360;

/// The embed code: a responsive `<iframe>` of `src` (the page's address with its embed
/// link) as wide as the blog's column up to [`embed_size`]'s width, as tall as that size
/// for `batch` images, and a comment that says the sizes it fits. One line (it is shown
/// in a one-line field).
pub fn embed_snippet(src: &str, title: &str, batch: usize) -> String {
    let (w, h) = embed_size(batch);
    format!(
        "<iframe src=\"{}\" width=\"{w}\" height=\"{h}\" title=\"{}\" style=\"border:0;width:100%;max-width:{w}px;height:{h}px\" loading=\"lazy\"></iframe><!-- {} -->",
        esc(src),
        esc(title),
        embed_fit(batch),
    )
}

/// The sizes an embed of `batch` images fits, in words.
pub fn embed_fit(batch: usize) -> String {
    let (w, h) = embed_size(batch);
    format!(
        "Fits a column from {EMBED_MIN_WIDTH} to {w} px wide, {h} px tall; below {w} px the picture comes first."
    )
}

/// The note that replaces folded columns, in words.
pub fn folded_note(folded: &[usize], exclusive: bool) -> Option<String> {
    let names: Vec<String> = folded.iter().map(|&c| class_name(c, exclusive)).collect();
    match names.len() {
        0 => None,
        1 => Some(format!(
            "{} is not in the loss: no gradient, no verdict.",
            capitalise(&names[0])
        )),
        _ => Some(format!(
            "{} are not in the loss: no gradient, no verdict.",
            capitalise(&names.join(", "))
        )),
    }
}

fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// A missing label's hidden truth per pixel, row-major (empty for other statuses): what
/// the label view outlines and the exported figure draws.
pub fn hidden_mask(state: &AppState, b: usize, c: usize) -> Vec<bool> {
    if state.status.get((b, c)) != Some(&LabelStatus::Missing) {
        return Vec::new();
    }
    state
        .labels
        .slice(ndarray::s![b, c, .., ..])
        .iter()
        .map(|&v| levels::is_on(v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::judge::evaluate_state;
    use crate::page::lessons::SCENARIOS;
    use crate::page::msg::{LessonMsg, Msg, ScreenMsg};
    use crate::page::state::AppState;
    use crate::page::update::update;

    fn cols(m: &Model) -> Columns {
        let (_, e) = evaluate_state(&m.state).unwrap();
        columns(m, Some(&e))
    }

    #[test]
    fn the_excluded_background_is_folded_unless_asked_for() {
        let mut m = Model::new(AppState::two_labelled());
        assert_eq!(cols(&m).shown, vec![true, true], "background in: both");
        update(&mut m, Msg::Lesson(LessonMsg::Open(0)));
        let c = cols(&m);
        assert_eq!(c.shown, vec![false, true]);
        assert_eq!(c.folded, vec![0]);
        let note = folded_note(&c.folded, m.state.exclusive).unwrap();
        assert!(
            note.starts_with("Class 0 (background) is not in the loss"),
            "{note}"
        );
        update(&mut m, Msg::Screen(ScreenMsg::ShowExcluded(true)));
        let c = cols(&m);
        assert_eq!((c.shown, c.folded), (vec![true, true], vec![]));
        assert_eq!(c.out, vec![0], "still out of the loss, shown on request");
        assert_eq!(folded_note(&[], true), None);
        // Without an evaluation nothing is known to be out of the loss.
        assert_eq!(columns(&m, None).shown, vec![true, true]);
    }

    #[test]
    fn the_embed_code_is_responsive_and_says_the_sizes_it_fits() {
        let code = embed_snippet("https://x.org/p/#preset=empty-BI&embed", "A \"B\"", 2);
        let (iframe, comment) = code
            .split_once("</iframe>")
            .expect("the iframe, then a comment");
        assert_eq!(
            iframe,
            "<iframe src=\"https://x.org/p/#preset=empty-BI&amp;embed\" width=\"800\" height=\"600\" title=\"A &quot;B&quot;\" style=\"border:0;width:100%;max-width:800px;height:600px\" loading=\"lazy\">"
        );
        assert_eq!(
            comment,
            "<!-- Fits a column from 360 to 800 px wide, 600 px tall; below 800 px the picture comes first. -->"
        );
        assert!(!code.contains('\n'), "one line");
        // Three images: taller, and the comment says so.
        let three = embed_snippet("u", "t", 3);
        assert!(
            three.contains("height=\"720\"") && three.contains("height:720px"),
            "{three}"
        );
        assert!(three.contains("800 px wide, 720 px tall"), "{three}");
    }

    #[test]
    fn a_presented_run_shows_the_images_the_lesson_is_about() {
        use crate::page::msg::TrainMsg;
        for (name, before, want) in [
            ("missing-I", vec![true, true], vec![false, false, true]),
            (
                "heuristic-eps",
                vec![false, true, true],
                vec![false, false, true, true],
            ),
        ] {
            let k = SCENARIOS.iter().position(|s| s.name == name).unwrap();
            let mut m = Model::new(AppState::default_scene());
            update(&mut m, Msg::Lesson(LessonMsg::Open(k)));
            update(&mut m, Msg::Screen(ScreenMsg::Present(true)));
            let shown = cols(&m).shown;
            // Before the run: two images stay, of three the missing and the empty one.
            assert_eq!(rows(&m, &shown), before, "{name}");
            update(&mut m, Msg::Train(TrainMsg::Lesson));
            let shown = cols(&m).shown;
            assert_eq!(rows(&m, &shown), want, "{name}: the taught images");
            // The page itself shows every image.
            update(&mut m, Msg::Screen(ScreenMsg::Present(false)));
            assert_eq!(rows(&m, &shown), vec![true; want.len()], "{name}");
        }
    }

    #[test]
    fn an_embed_is_at_least_800_by_600() {
        assert_eq!(embed_size(1), (800, 600));
        assert_eq!(embed_size(2), (800, 600));
        assert_eq!(embed_size(3), (800, 720));
        assert_eq!(embed_size(8).1, 1200);
    }

    #[test]
    fn presentation_shows_only_the_lessons_classes_and_the_background_of_missing_bg() {
        for (k, sc) in SCENARIOS.iter().enumerate() {
            let mut m = Model::new(AppState::default_scene());
            update(&mut m, Msg::Lesson(LessonMsg::Open(k)));
            update(&mut m, Msg::Screen(ScreenMsg::Present(true)));
            // Even when the excluded columns are asked for.
            update(&mut m, Msg::Screen(ScreenMsg::ShowExcluded(true)));
            let c = cols(&m);
            // missing-bg is about the background's own term: its column is presented.
            let want = if sc.name == "missing-bg" {
                vec![true, true]
            } else {
                vec![false, true]
            };
            assert_eq!(c.shown, want, "{}: the lesson's classes", sc.name);
            assert_eq!(sc.about_background, sc.name == "missing-bg", "{}", sc.name);
            // The folded note speaks only of classes out of the loss.
            assert_eq!(
                c.folded.is_empty(),
                sc.state().settings.include_background,
                "{}",
                sc.name
            );
        }
        // Without a lesson: every class in the loss.
        let mut m = Model::new(AppState::two_labelled());
        update(&mut m, Msg::Screen(ScreenMsg::Present(true)));
        assert_eq!(cols(&m).shown, vec![true, true]);
    }

    /// The first page's question line takes its lines from the grid's height: the plan
    /// knows it, and with the loss and legend beside the grid all three images (and
    /// their badges) fit 1280×720 with it.
    #[test]
    fn the_question_line_is_planned_above_the_grid() {
        let m = Model::new(AppState::default_scene());
        let d = crate::page::derived::Derived::new(&m);
        let q = d.question.as_deref();
        assert!(q.is_some_and(|q| q.contains("(missing)")), "{q:?}");
        let e = d.main.eval.as_ref().ok();
        let vp = Viewport {
            w: 1280.0,
            h: 720.0,
        };
        let with = plan_for(&m, e, q, vp);
        // A question twice as long takes more lines from the grid.
        let long = q.map(|q| format!("{q} {q}"));
        let longer = plan_for(&m, e, long.as_deref(), vp);
        assert!(
            longer.area.1 < with.area.1 - 15.0,
            "{:?} vs {:?}",
            longer.area,
            with.area
        );
        assert!(
            with.fits()
                && !with.scrolls
                && with.view >= with.view_floor
                && !with.shape.taught_rows_only,
            "{with:?}"
        );
        // A lesson, presentation and the embed show no question.
        let mut lesson = m.clone();
        update(&mut lesson, Msg::Lesson(LessonMsg::Open(0)));
        assert_eq!(
            crate::page::judge::question_line(&lesson, &d.main.verdicts),
            None
        );
        let mut present = m.clone();
        update(&mut present, Msg::Screen(ScreenMsg::Present(true)));
        assert_eq!(
            crate::page::judge::question_line(&present, &d.main.verdicts),
            None
        );
    }

    /// The first-visit introduction comes above the work area: the plan counts it, so the
    /// first page's grid fits under it (at 1024×768 with it, three images and the question
    /// did not: image 2 was cut at the screen's edge).
    #[test]
    fn the_first_visit_introduction_is_planned_above_the_grid() {
        let mut m = Model::new(AppState::default_scene());
        let d = crate::page::derived::Derived::new(&m);
        let (q, e) = (d.question.as_deref(), d.main.eval.as_ref().ok());
        for (w, h) in [(1280.0, 720.0), (1024.0, 768.0), (1920.0, 1080.0)] {
            let vp = Viewport { w, h };
            m.screen.intro = false;
            let without = plan_for(&m, e, q, vp);
            m.screen.intro = true;
            let with = plan_for(&m, e, q, vp);
            assert!(with.area.1 < without.area.1 - 80.0, "{w}×{h}");
            assert!(with.fits() && !with.scrolls, "{w}×{h}: {with:?}");
            // One class without B: its words beside its views give the larger views, and
            // all three images fit; at 1024×768 under the introduction the labelled
            // reference image gives way (the missing and the empty one stay).
            assert!(
                without.shape.beside && !without.shape.taught_rows_only,
                "{w}×{h}"
            );
            if w >= 1280.0 {
                assert!(with.shape.beside && !with.shape.taught_rows_only, "{w}×{h}");
            }
        }
    }
}
