//! The layout plan over every lesson × mode × size × training state × compare mode.

use super::plan::{self, Mode, Plan, Viewport};
use super::{columns, plan_for, rows};
use crate::page::judge::evaluate_state;
use crate::page::lessons::SCENARIOS;
use crate::page::model::Model;
use crate::page::msg::{CompareMsg, LessonMsg, Msg, ScreenMsg, TrainMsg};
use crate::page::state::AppState;
use crate::page::update::update;

const SIZES: [(f64, f64); 8] = [
    (1920.0, 1080.0),
    (1280.0, 720.0),
    (1024.0, 768.0),
    (853.0, 480.0),
    (800.0, 600.0),
    (680.0, 600.0),
    (360.0, 600.0),
    (390.0, 844.0),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Run {
    Untrained,
    Training,
    Trained,
}

/// Lesson `k` with compare mode on or off, untrained, training or trained.
fn lesson_model(k: usize, compare: bool, run: Run) -> Model {
    let mut m = Model::new(AppState::default_scene());
    update(&mut m, Msg::Lesson(LessonMsg::Open(k)));
    if compare != m.state.compare.is_some() {
        let msg = if compare {
            CompareMsg::Open
        } else {
            CompareMsg::Close
        };
        update(&mut m, Msg::Compare(msg));
    }
    if run != Run::Untrained {
        update(&mut m, Msg::Train(TrainMsg::Lesson));
        // A lesson without an experiment of its own trains its scene.
        if m.train.session.is_none() {
            update(&mut m, Msg::Train(TrainMsg::Play));
        }
        let ticks = if run == Run::Training { 3 } else { 400 };
        for _ in 0..ticks {
            update(&mut m, Msg::Train(TrainMsg::Tick(1)));
        }
        // (A scene that cannot train — 0/0 — stays as it is.)
    }
    m
}

fn set_mode(m: &mut Model, mode: Mode) {
    update(m, Msg::Screen(ScreenMsg::Present(mode == Mode::Present)));
    m.state.mode.embed = mode == Mode::Embed;
}

/// The scene's class columns, compare mode and run (what `plan::promised` reads).
fn scene_of(m: &Model) -> plan::Scene {
    let (_, e) = evaluate_state(&m.state).unwrap();
    let cols = columns(m, Some(&e));
    plan::Scene {
        rows: 0,
        classes: cols.count(),
        image: m.train.show_images,
        compare: m.state.compare.is_some(),
        b_views: 1,
        results: m.train.session.is_some(),
        taught_rows: 0,
    }
}

fn plan_of(m: &Model, vp: Viewport) -> Plan {
    let (_, e) = evaluate_state(&m.state).unwrap();
    plan_for(m, Some(&e), None, vp)
}

/// The checks of one plan; returns the failures in words.
fn check(name: &str, m: &Model, mode: Mode, vp: Viewport, p: &Plan) -> Vec<String> {
    let mut bad = Vec::new();
    let at = format!(
        "{name} {mode:?} {}×{} {:?} {:?} v{}",
        vp.w, vp.h, p.grid, p.shape, p.view
    );
    let t = p.type_scale;
    let f = plan::type_floors(vp, mode);
    for (what, size, floor) in [
        ("lesson", t.lesson, f.lesson),
        ("title", t.title, f.title),
        ("badge", t.badge, f.badge),
        ("reason", t.reason, f.reason),
        ("loss", t.loss, f.loss),
        ("takeaway", t.takeaway, f.takeaway),
    ] {
        if size < floor {
            bad.push(format!("{at}: {what} {size} px < {floor}"));
        }
    }
    if !(p.view_floor..=p.view_max).contains(&p.view) {
        bad.push(format!("{at}: view {} outside its bounds", p.view));
    }
    if mode == Mode::Present && vp.w >= 1280.0 && vp.h >= 720.0 && p.view < 60.0 {
        bad.push(format!("{at}: presented views {} < 60 px", p.view));
    }
    // (The loss number inside its box is checked in the browser, e2e/screens.test.mjs:
    // the plan sizes it from its box, so a native check of the same sum could not fail.)
    // Where the screen scrolls, down only and a row per screen at most; else within
    // the screen, where the plan promises it (`plan::promised`).
    if plan::promised(vp, mode, &scene_of(m)) && !p.fits() {
        bad.push(format!(
            "{at}: the grid overflows {:?} (row {})",
            p.area, p.row
        ));
    }
    // Never sideways for up to two columns of class cells, promised or not.
    let sc = scene_of(m);
    let columns = sc.classes * if sc.compare { 2 } else { 1 };
    if columns <= 2 && p.grid.0 > p.area.0 + 0.5 {
        bad.push(format!("{at}: the grid is wider than its box {:?}", p.area));
    }
    if p.area.0 > vp.w || p.area.1 > vp.h {
        bad.push(format!(
            "{at}: the grid's box {:?} is larger than the screen",
            p.area
        ));
    }
    if p.scrolls && mode == Mode::Page && vp.w >= 1000.0 && vp.h >= 700.0 {
        bad.push(format!("{at}: the page scrolls"));
    }
    bad
}

#[test]
fn every_lesson_mode_size_and_run_has_a_plan_within_its_floors_and_its_screen() {
    let mut bad = Vec::new();
    let mut plans = 0;
    for (k, sc) in SCENARIOS.iter().enumerate() {
        let name = sc.name;
        for compare in [false, true] {
            for run in [Run::Untrained, Run::Training, Run::Trained] {
                let mut m = lesson_model(k, compare, run);
                for mode in [Mode::Page, Mode::Present, Mode::Embed] {
                    set_mode(&mut m, mode);
                    // The taught cells are shown in every mode.
                    let (_, e) = evaluate_state(&m.state).unwrap();
                    let cols = columns(&m, Some(&e));
                    let shown_rows = rows(&m, &cols.shown);
                    if run == Run::Untrained {
                        for &(b, c, _, _) in sc.expected {
                            // (Presentation of three images shows the missing and the
                            // empty ones, not the annotated reference.)
                            let annotated = m.state.status[(b, c)]
                                == crate::engine::status::LabelStatus::Annotated;
                            if !(cols.shown[c] && (shown_rows[b] || annotated)) {
                                bad.push(format!("{name} {mode:?}: taught cell {b},{c} hidden"));
                            }
                        }
                    }
                    for (w, h) in SIZES {
                        let vp = Viewport { w, h };
                        let p = plan_of(&m, vp);
                        plans += 1;
                        let what = format!("{name} compare={compare} {run:?}");
                        bad.extend(check(&what, &m, mode, vp, &p));
                    }
                }
            }
        }
    }
    assert_eq!(plans, SCENARIOS.len() * 2 * 3 * 3 * SIZES.len());
    assert!(
        bad.is_empty(),
        "{} of {plans} plans fail:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn the_page_reads_from_a_hall_at_1920_and_its_loss_fits_its_box() {
    let k = SCENARIOS
        .iter()
        .position(|s| s.name == "missing-I")
        .unwrap();
    let m = lesson_model(k, true, Run::Untrained);
    let big = plan_of(
        &m,
        Viewport {
            w: 1920.0,
            h: 1080.0,
        },
    );
    let t = big.type_scale;
    assert!(t.lesson >= 20.0 && t.badge >= 18.0, "{t:?}");
    // Larger than at 1280×720: the type scales with the screen.
    let small = plan_of(
        &m,
        Viewport {
            w: 1280.0,
            h: 720.0,
        },
    )
    .type_scale;
    assert!(
        small.lesson < t.lesson && small.badge < t.badge,
        "{small:?}"
    );
    // 80 px type in a 340 px box held "0.23574" (7 digits, 359 px) over its edge.
    assert!(
        t.loss * 7.0 * 0.6 <= big.loss_box,
        "{t:?} in {}",
        big.loss_box
    );
}

#[test]
fn a_long_lesson_text_at_1280_by_720_is_brief_with_the_rest_one_click_away() {
    let vp = Viewport {
        w: 1280.0,
        h: 720.0,
    };
    let mut briefs = 0;
    for (k, sc) in SCENARIOS.iter().enumerate() {
        let mut m = lesson_model(k, false, Run::Untrained);
        let p = plan_of(&m, vp);
        if p.lesson == plan::LessonWords::Brief {
            briefs += 1;
            // Folded by the lesson box, whose "more" shows the rest: the plan stays.
            update(&mut m, Msg::Lesson(LessonMsg::More(true)));
            assert_eq!(plan_of(&m, vp).lesson, plan::LessonWords::Brief);
        }
        // A screen with room enough shows every lesson whole.
        let tall = plan_of(
            &m,
            Viewport {
                w: 2560.0,
                h: 1600.0,
            },
        );
        assert_eq!(tall.lesson, plan::LessonWords::Whole, "{}", sc.name);
    }
    // The long lessons (missing-I hid 40% of its text in a scroll box) are brief.
    assert!(briefs > 0);
}

#[test]
fn a_presentation_below_1024_by_720_scrolls_down_with_each_row_on_one_screen() {
    // 853×480 (1280×720 at 150% zoom) cut heuristic-eps's last row and its result lines
    // at the screen's edge: three rows of A and B in hall type need about 630 px there.
    for name in ["heuristic-eps", "marginal"] {
        let k = SCENARIOS.iter().position(|s| s.name == name).unwrap();
        for run in [Run::Untrained, Run::Trained] {
            let mut m = lesson_model(k, true, run);
            set_mode(&mut m, Mode::Present);
            for (w, h) in [(853.0, 480.0), (800.0, 600.0), (1000.0, 720.0)] {
                let p = plan_of(&m, Viewport { w, h });
                assert!(p.scrolls, "{name} {run:?} {w}×{h}: scrolls");
                assert!(
                    p.fits() && p.row <= h,
                    "{name} {run:?} {w}×{h}: a row {} in {:?}",
                    p.row,
                    p.area
                );
                assert!(p.view >= 48.0, "{name} {run:?} {w}×{h}: views {}", p.view);
            }
            for (w, h) in [(1024.0, 768.0), (1280.0, 720.0), (1920.0, 1080.0)] {
                let p = plan_of(&m, Viewport { w, h });
                assert!(!p.scrolls, "{name} {run:?} {w}×{h}: one screen");
            }
        }
    }
}

#[test]
fn a_trained_embed_shows_the_images_the_lesson_is_about() {
    // A run's training scene in an 800×600 embed put the annotated reference rows first
    // and the missing and empty rows (what the lesson is about) below the frame's edge.
    // (marginal's run has every row taught: nothing to leave out.)
    for name in ["heuristic-eps"] {
        let k = SCENARIOS.iter().position(|s| s.name == name).unwrap();
        let mut m = lesson_model(k, true, Run::Trained);
        set_mode(&mut m, Mode::Embed);
        for (w, h) in [(800.0, 600.0), (680.0, 600.0)] {
            let p = plan_of(&m, Viewport { w, h });
            assert!(p.shape.taught_rows_only, "{name} {w}×{h}: {:?}", p.shape);
        }
    }
}

#[test]
fn an_embed_scrolls_down_only_where_its_frame_cannot_hold_the_picture() {
    // A run's result lines under three rows of A and B at 360×600, and three images with
    // B in a 480 px frame, were cut at the frame's edge: there the frame scrolls down, a
    // row at a time; every other embed holds its whole picture.
    for name in ["heuristic-eps", "marginal"] {
        let k = SCENARIOS.iter().position(|s| s.name == name).unwrap();
        for run in [Run::Untrained, Run::Trained] {
            let mut m = lesson_model(k, true, run);
            set_mode(&mut m, Mode::Embed);
            for (w, h) in [
                (853.0, 480.0),
                (360.0, 600.0),
                (680.0, 600.0),
                (800.0, 600.0),
            ] {
                let p = plan_of(&m, Viewport { w, h });
                let down = h < 600.0 || (run == Run::Trained && w < 680.0);
                assert_eq!(p.scrolls, down, "{name} {run:?} {w}×{h}");
                if down {
                    assert!(p.row <= h, "{name} {run:?} {w}×{h}: a row of {} px", p.row);
                    // The images the lesson is about first: the labelled reference image
                    // gives way.
                    let (_, e) = evaluate_state(&m.state).unwrap();
                    let shown = columns(&m, Some(&e)).shown;
                    let count = |r: Vec<bool>| r.iter().filter(|&&x| x).count();
                    let fewer =
                        count(crate::page::layout::taught(&m, &shown)) < count(rows(&m, &shown));
                    assert_eq!(p.shape.taught_rows_only, fewer, "{name} {run:?} {w}×{h}");
                }
            }
        }
    }
}
