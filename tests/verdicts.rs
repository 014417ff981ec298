//! The verdict badges stay true while a lesson's experiment trains: at step 0, half-way
//! and at the end of every lesson's "Train it" run, judged on the trained network's
//! output exactly as the page judges it (`page::derived` passes the trainer's evaluation
//! to `judge::verdicts`).
//!
//! - every annotated structure and every complete background (of a fully annotated or
//!   an empty image) is ✓;
//! - a missing label is ✓ exactly when the run keeps its structure, and an empty label
//!   exactly when the run removes its false positive: no badge contradicts the result
//!   line beside it ("mean ỹ on the distractor: 0.77 → 0.89" is never next to a ✓);
//! - the two blind spots: a background label over the unannotated structure is judged on
//!   that structure (✗ when the background term pushes it, the trap), and the marginal
//!   Dice's merged background is ✓ with no push;
//! - compare mode's side B is judged by the same rule on the same trained output.

use dice_playground::engine::loss::Evaluation;
use dice_playground::engine::phi::Phi;
use dice_playground::engine::status::missing_cells;
use dice_playground::engine::status::LabelStatus;
use dice_playground::engine::train::scenes::Role;
use dice_playground::engine::verdict::{CellVerdict, Judged, Verdict};
use dice_playground::page::judge;
use dice_playground::page::lessons::experiments::{lesson_plan, plan_state, Outcome, Plan};
use dice_playground::page::lessons::SCENARIOS;
use dice_playground::page::state::AppState;
use dice_playground::page::training::start;
use dice_playground::present::verdict::CellWords as _;

/// The verdicts of a page whose training session is at its current step.
fn judged(s: &AppState, e: &Evaluation) -> ndarray::Array2<Option<CellVerdict>> {
    judge::verdicts(s, &s.loss_labels(), e).0
}

/// What the plan expects of the role of image b.
fn outcome(p: &Plan, b: usize) -> Option<Outcome> {
    let role = p.roles[b];
    p.expected.iter().find(|(r, _)| *r == role).map(|&(_, o)| o)
}

/// Checks one moment of a lesson's run.
fn check(name: &str, p: &Plan, s: &AppState, e: &Evaluation, step: usize) {
    let v = judged(s, e);
    let (bn, cn) = s.status.dim();
    for b in 0..bn {
        for c in 0..cn {
            let Some(cv) = v[(b, c)] else { continue };
            let at = format!("{name} step {step} ({b},{c}): {cv:?}");
            assert!(!cv.undefined, "{at}");
            assert!(cv.ratio.is_finite(), "{at}");
            let fully_annotated = (1..cn).all(|k| s.status[(b, k)] == LabelStatus::Annotated);
            // An unannotated image the plan reads as empty is judged as an empty one.
            let reading = match p.read_as_empty {
                Some(e) if e == b => Role::Empty,
                _ => p.roles[b],
            };
            match (c, reading) {
                // An annotated structure, and the background of a fully annotated image.
                (1, Role::Annotated) => {
                    assert_eq!(cv.judged, Judged::Foreground, "{at}");
                    assert!(cv.correct, "{at}");
                }
                (0, _) if fully_annotated => assert!(cv.correct, "{at}"),
                // The background of an empty image is complete too: everything is
                // background there.
                (0, Role::Empty) => {
                    assert_eq!(cv.judged, Judged::Foreground, "{at}");
                    assert!(cv.correct, "{at}");
                }
                (1, Role::Unannotated) => {
                    assert_eq!(cv.judged, Judged::HiddenTruth, "{at}");
                    match outcome(p, b) {
                        Some(Outcome::Kept) => {
                            assert_eq!((cv.verdict, cv.correct), (Verdict::None, true), "{at}")
                        }
                        Some(Outcome::Gone) => {
                            assert_eq!((cv.verdict, cv.correct), (Verdict::Down, false), "{at}")
                        }
                        None => panic!("{at}: no expected outcome"),
                    }
                }
                (1, Role::Empty) => {
                    assert_eq!(cv.judged, Judged::Background, "{at}");
                    match outcome(p, b) {
                        // The false positive stays: never ✓.
                        Some(Outcome::Kept) => {
                            assert_eq!((cv.verdict, cv.correct), (Verdict::None, false), "{at}");
                            assert!(!cv.reached, "{at}");
                        }
                        // It is removed: pushed down, or no push once it is gone.
                        Some(Outcome::Gone) => assert!(cv.correct, "{at}"),
                        None => panic!("{at}: no expected outcome"),
                    }
                }
                // The background of the image with the missing structure.
                (0, Role::Unannotated) => {
                    if s.settings.variant == dice_playground::engine::variants::Variant::Marginal {
                        assert_eq!(cv.judged, Judged::MergedBackground, "{at}");
                        assert_eq!((cv.verdict, cv.correct), (Verdict::None, true), "{at}");
                        assert!(cv.reached, "{at}");
                    } else {
                        assert_eq!(cv.judged, Judged::CoveredStructure, "{at}");
                        // The background term raises it on the structure: the trap.
                        assert_eq!((cv.verdict, cv.correct), (Verdict::Up, false), "{at}");
                    }
                }
                _ => panic!("{at}: a cell the lessons do not have"),
            }
        }
    }
}

#[test]
fn every_lesson_run_is_judged_right_at_its_start_middle_and_end() {
    let mut runs = 0;
    for sc in &SCENARIOS {
        let Some(p) = lesson_plan(sc.name) else {
            continue;
        };
        runs += 1;
        let s = plan_state(&p);
        let mut t = start(&s).unwrap();
        for step in [0, p.steps / 2, p.steps] {
            t.run(step - t.step_count());
            assert_eq!(t.step_count(), step, "{}", sc.name);
            let e = t.trainer.evaluation().expect("the runs never stop");
            check(sc.name, &p, &s, e, step);
            // The badge's words say the same as its numbers.
            for ((b, c), cv) in judged(&s, e).indexed_iter() {
                let Some(cv) = cv else { continue };
                let reason = cv.reason(s.status[(b, c)]);
                assert!(
                    reason.starts_with(if cv.correct { "right: " } else { "wrong: " }),
                    "{reason}"
                );
            }
        }
    }
    assert_eq!(
        runs, 10,
        "every lesson about missing or empty labels has a run"
    );
}

/// The reported case: after `empty-I`'s run the distractor went 0.77 →
/// 0.89 and its badge said "✓ pushed down"; the labelled backgrounds of `marginal` ended
/// "✗ almost no push".
#[test]
fn the_reported_badges_after_training() {
    let end = |name: &str| {
        let p = lesson_plan(name).unwrap();
        let s = plan_state(&p);
        let mut t = start(&s).unwrap();
        t.run(p.steps);
        let e = t.trainer.evaluation().unwrap().clone();
        let line = t.result_line(s.batch() - 1, 1).unwrap();
        (s.clone(), judged(&s, &e), line)
    };
    let (s, v, line) = end("empty-I");
    assert_eq!(line, "mean ỹ on the distractor: 0.77 → 0.89");
    let fp = v[(2, 1)].unwrap();
    assert_eq!(fp.badge(), "✗ almost no push");
    assert_eq!(
        fp.reason(s.status[(2, 1)]),
        "wrong: a prediction in an empty image should be pushed down"
    );
    // Against the fixed scale, not the collapsed push of the converged labelled images.
    assert!(fp.ratio < 1e-6, "{fp:?}");
    let (_, v, _) = end("marginal");
    for b in [0, 1, 3] {
        assert_eq!(v[(b, 0)].unwrap().badge(), "✓ pushed up", "image {b}");
    }
    assert_eq!(v[(2, 0)].unwrap().badge(), "✓ almost no push");
    let (_, v, line) = end("missing-BI");
    assert_eq!(line, "mean ỹ on the unannotated structure: 0.97 → 0.03");
    assert_eq!(v[(2, 1)].unwrap().badge(), "✗ pushed down");
}

/// Compare mode's side B: the same trained output judged under B's settings, by the same
/// rule (`judge::verdicts_under`), gives what B's own page would show.
#[test]
fn the_compare_side_is_judged_by_the_same_rule_on_the_trained_output() {
    use dice_playground::engine::loss::evaluate_probs_missing;
    let p = lesson_plan("missing-I").unwrap();
    let s = plan_state(&p);
    let mut t = start(&s).unwrap();
    t.run(p.steps);
    let prob = t.trainer.probabilities().unwrap().to_owned();
    let y = s.loss_labels();
    // A: the lesson's Φ = I; B: Φ = BI, with the softmax of the run.
    let b_settings = dice_playground::engine::loss::DiceSettings {
        phi: Phi::BI,
        activation: dice_playground::engine::activation::Activation::None,
        ..s.settings
    };
    let missing = missing_cells(&s.status, b_settings.variant);
    let e_b = evaluate_probs_missing(y.view(), prob.clone(), &b_settings, &missing).unwrap();
    let (side, scale) = judge::verdicts_under(&s, &b_settings, &y, &e_b);
    // The page with B's settings and the trained output painted judges the same.
    let mut page_b = s.clone();
    page_b.settings = b_settings;
    page_b.pred = prob;
    let (y2, e2) = judge::evaluate_state(&page_b).unwrap();
    let (own, own_scale) = judge::verdicts(&page_b, &y2, &e2);
    assert_eq!(side, own);
    assert_eq!(scale, own_scale);
    assert_eq!(scale.sets, 1, "Φ = BI with the background out: one set");
    let a = judged(&s, t.trainer.evaluation().unwrap());
    // The unannotated structure the run kept: left alone under A, pushed down under B.
    assert_eq!(a[(2, 1)].unwrap().badge(), "✓ almost no push");
    assert_eq!(side[(2, 1)].unwrap().badge(), "✗ pushed down");
    // Both sides: the annotated structures are right.
    for b in 0..2 {
        assert!(a[(b, 1)].unwrap().correct && side[(b, 1)].unwrap().correct);
    }
}
