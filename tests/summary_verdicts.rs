//! `dice eval --summary` judges each cell as the page's badges do: on every lesson scene,
//! the page's input for `dice eval` (`cli_input`, with the cells the page calls missing
//! listed) gives, per cell, the verdict words the page shows. The rule is the engine's
//! (`engine::verdict`) and the words `present::verdict`'s; the CLI only feeds them what
//! its input says. Here, beside both layers, because the CLI must not import the page.

use dice_playground::cli::eval::{read_input, summary_of};
use dice_playground::cli::json::Document;
use dice_playground::cli::summary::{cell_verdicts, Cells};
use dice_playground::engine::status::LabelStatus;
use dice_playground::engine::variants::Variant;
use dice_playground::engine::verdict::Judged;
use dice_playground::page::cli_input::cli_input;
use dice_playground::page::judge::{evaluate_state, verdicts};
use dice_playground::page::lessons::SCENARIOS;
use dice_playground::present::verdict::CellWords as _;
use ndarray::Array4;
use serde_json::json;

#[test]
fn summary_verdicts_are_the_pages_badges_on_every_lesson() {
    let (mut judged, mut covered) = (0, 0);
    for scenario in &SCENARIOS {
        let state = scenario.state();
        let (y_loss, e) = evaluate_state(&state).unwrap();
        let (page, _) = verdicts(&state, &y_loss, &e);
        // What a user who knows which labels are missing gives the CLI: the page's input,
        // with those cells listed (under the leaf and marginal Dice their y may hold the
        // unannotated structure, which those losses do not see).
        let mut doc = cli_input(&state);
        let missing: Vec<[usize; 2]> = state
            .status
            .indexed_iter()
            .filter(|(_, s)| **s == LabelStatus::Missing)
            .map(|((b, c), _)| [b, c])
            .collect();
        doc["missing"] = json!(missing);
        if state.settings.variant != Variant::Dice {
            let mut y = state.loss_labels();
            for &[b, c] in &missing {
                y.slice_mut(ndarray::s![b, c, .., ..])
                    .assign(&state.labels.slice(ndarray::s![b, c, .., ..]));
            }
            doc["y"] = json!(y.iter().copied().collect::<Vec<f64>>());
        }
        let text = doc.to_string();
        let mut d = Document::parse(&text).unwrap();
        let (objective, tensors) = read_input(&mut d).unwrap();
        let ce = tensors.evaluate(&objective).unwrap();
        assert_eq!(ce.loss, e.loss, "{}", scenario.name);
        let y = Array4::from_shape_vec(ce.prob.raw_dim(), tensors.y.clone()).unwrap();
        let listed: Vec<(usize, usize)> = missing.iter().map(|m| (m[0], m[1])).collect();
        let (words, _) = cell_verdicts(
            &ce,
            &objective,
            &Cells {
                y: y.view(),
                missing: &listed,
                exclusive: state.exclusive,
            },
        );
        let summary = summary_of(&ce, &objective, &tensors);
        for ((b, c), v) in page.indexed_iter() {
            let cli = words[(b, c)].as_deref();
            let Some(v) = v else {
                assert_eq!(cli, None, "{} cell ({b}, {c})", scenario.name);
                continue;
            };
            let cli = cli.unwrap_or_else(|| panic!("{}: no verdict for ({b}, {c})", scenario.name));
            // An all-zero label not listed as missing reads both ways; the page's status
            // picks one.
            if v.judged == Judged::CoveredStructure
                && !cli.starts_with('✓')
                && !cli.starts_with('✗')
            {
                // The page knows where the unannotated structure is; the CLI's input does
                // not (the plain Dice reads y as given), and says so.
                assert!(
                    cli.starts_with("? this background covers"),
                    "{}: {cli}",
                    scenario.name
                );
                covered += 1;
                continue;
            }
            let want = match cli.split_once(" · empty: ") {
                Some(_) if state.status[(b, c)] == LabelStatus::Missing => {
                    panic!("{}: ({b}, {c}) is listed but read both ways", scenario.name)
                }
                Some((_, empty)) => {
                    assert_eq!(empty, v.badge(), "{} cell ({b}, {c})", scenario.name);
                    judged += 1;
                    continue;
                }
                None => cli,
            };
            assert!(
                want.starts_with(&v.badge()),
                "{} cell ({b}, {c}): CLI {want:?}, page {:?}",
                scenario.name,
                v.badge()
            );
            assert!(
                summary.contains(want),
                "{}: {want:?} not in the summary",
                scenario.name
            );
            judged += 1;
        }
    }
    assert!(judged >= 30, "only {judged} cells judged");
    eprintln!("{judged} cells with the page's verdict, {covered} background cells over a structure the input does not show");
}
