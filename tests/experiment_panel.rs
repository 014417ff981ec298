//! The Experiment panel's configs are `dice experiment` configs: every run the panel
//! offers, at every batch size, in both templates, is read by the CLI's own reader as the
//! panel means it. Here, beside both layers, because the page itself never uses the CLI.

use dice_playground::cli::experiment::config_from_str;
use dice_playground::engine::experiment::{Experiment, Template};
use dice_playground::engine::phi::Phi;
use dice_playground::engine::variants::Variant;
use dice_playground::page::experiment::{ExperimentPanel, Scale, BATCHES, RUNS};
use dice_playground::present::experiment::PANEL;

#[test]
fn every_run_kind_at_every_batch_is_a_config_the_cli_accepts() {
    let mut p = ExperimentPanel {
        runs: [true; 7],
        batches: [true; 4],
        scale: Scale::Quick,
        ..ExperimentPanel::default()
    };
    for t in [Template::Missing, Template::Empty] {
        p.template = t;
        let text = p.config_text().unwrap();
        let c = config_from_str(&text).unwrap();
        assert_eq!(c.runs.len(), 28);
        assert_eq!(c.template, t);
        assert_eq!((c.train, c.test, c.size, c.steps), Scale::Quick.params());
        // Kinds in the paper's order, each at batch 1, 2, 4, 8.
        assert_eq!(c.runs[0].objective.dice.eps_nr, 1e-7);
        assert_eq!(c.runs[4].objective.dice.phi, Phi::BI);
        assert!(c.runs[8].heuristic_eps && c.runs[8].batch_size == 1);
        assert_eq!(c.runs[12].objective.dice.variant, Variant::Leaf);
        assert_eq!(c.runs[16].objective.dice.variant, Variant::Marginal);
        assert_eq!(c.runs[20].objective.ce_weight, 1.0);
        assert!(c.runs[24].full_labels && c.runs[27].batch_size == 8);
        Experiment::new(c).unwrap();
    }
}

#[test]
fn the_panels_markup_follows_the_runs_batches_scales_and_defaults() {
    let p = ExperimentPanel::default();
    let checked = |on: bool| if on { " checked" } else { "" };
    for (i, r) in RUNS.iter().enumerate() {
        let tick = format!(
            r#"data-run="{i}" data-testid="experiment-run-{i}"{}> {}</label>"#,
            checked(p.runs[i]),
            r.name
        );
        assert!(PANEL.contains(&tick), "{tick}");
    }
    for (i, b) in BATCHES.iter().enumerate() {
        let tick = format!(
            r#"data-batch="{i}" data-testid="experiment-batch-{i}"{}> {b}</label>"#,
            checked(p.batches[i])
        );
        assert!(PANEL.contains(&tick), "{tick}");
    }
    for s in Scale::ALL {
        let (train, test, size, steps) = s.params();
        let selected = if s == p.scale { " selected" } else { "" };
        let option = format!(
            r#"<option value="{0}"{selected}>{0}: {size}×{size} px, {train} + {test} images, {steps} steps</option>"#,
            s.code()
        );
        assert!(PANEL.contains(&option), "{option}");
    }
    assert_eq!(
        p.template,
        Template::Missing,
        "the first option is the default"
    );
    assert!(PANEL.contains(r#"<option value="missing">"#));
}
