//! The Experiment panel's markup, written out in full (a `format!` of it would cost the
//! page's first load more than the text): its run and batch ticks follow
//! `page::experiment::RUNS` and `BATCHES`, its scales `Scale::params`, its default ticks
//! `ExperimentPanel::default()` (tests/experiment_panel.rs checks all four). The inputs
//! sit in one fieldset, disabled while a run is under way.

pub const PANEL: &str = r#"<section id="experiment" class="experiment" data-testid="experiment-panel" aria-labelledby="experiment-title">
<h2 id="experiment-title">The paper's experiment: train a network on generated data</h2>
<p class="explain-note">Images in two groups; in group B the structure's label is missing (the myocardium at end-systole, as in ACDC) or the look-alike's label is empty (a structure that is not a target, as in BraTS' low-grade cases). Every run trains the same small network from the same start on the same batches; only the loss differs. Measured on held-out images: <b>b_ratio</b>, how much of group B's object the network predicts (≈ 1 is right for a missing label, ≈ 0 for an empty one), a_dice on group A, the AUC of volume between the groups, the volume error. The runs train in a worker; a config gives the same numbers as <code>dice experiment</code>.</p>
<fieldset id="exp-inputs" class="exp-controls"><legend class="sr-only">Experiment settings</legend>
<label>Template <select data-pick="template" data-testid="experiment-template"><option value="missing">missing labels (ACDC-like, 4 classes)</option><option value="empty">empty labels (BraTS-like, 2 classes)</option></select></label>
<label>Scale <select data-pick="scale" data-testid="experiment-scale"><option value="quick">quick: 16×16 px, 16 + 16 images, 100 steps</option><option value="standard" selected>standard: 24×24 px, 24 + 24 images, 400 steps</option></select></label>
<span class="exp-ticks" role="group" aria-label="Runs">Runs:
<label><input type="checkbox" data-run="0" data-testid="experiment-run-0" checked> I ε≈0</label>
<label><input type="checkbox" data-run="1" data-testid="experiment-run-1" checked> BI ε≈0</label>
<label><input type="checkbox" data-run="2" data-testid="experiment-run-2" checked> I heuristic ε</label>
<label><input type="checkbox" data-run="3" data-testid="experiment-run-3"> leaf</label>
<label><input type="checkbox" data-run="4" data-testid="experiment-run-4"> marginal</label>
<label><input type="checkbox" data-run="5" data-testid="experiment-run-5"> Dice + CE</label>
<label><input type="checkbox" data-run="6" data-testid="experiment-run-6"> full labels</label></span>
<span class="exp-ticks" role="group" aria-label="Batch sizes">Batch size:
<label><input type="checkbox" data-batch="0" data-testid="experiment-batch-0"> 1</label>
<label><input type="checkbox" data-batch="1" data-testid="experiment-batch-1"> 2</label>
<label><input type="checkbox" data-batch="2" data-testid="experiment-batch-2"> 4</label>
<label><input type="checkbox" data-batch="3" data-testid="experiment-batch-3" checked> 8</label></span>
</fieldset>
<div class="exp-actions"><button type="button" class="btn" data-act="run" data-testid="experiment-run">Run</button> <button type="button" class="btn" data-act="sweep" data-testid="experiment-sweep" title="Φ = I at ε = 1e-4, 1e-3, … 1e4 (the largest ticked batch size): where does b_ratio flip?">ε sweep</button> <button type="button" class="btn" data-act="cancel" data-testid="experiment-cancel" disabled>Cancel</button> <button type="button" class="btn" data-act="csv" data-testid="experiment-csv" title="The results table as a CSV file (runs × measures)" disabled>Save CSV</button></div>
<p id="exp-status" class="exp-status" data-testid="experiment-status" role="status" aria-live="polite">Pick a template, tick runs and batch sizes, press Run.</p>
<ul id="exp-progress" class="exp-progress" data-testid="experiment-progress"></ul>
<div class="table-wrap" tabindex="0" role="region" aria-label="Results of the runs"><table class="exp-table" data-testid="experiment-table"><thead><tr><th scope="col">run</th><th scope="col" class="exp-bar-head" title="b_ratio as a bar, from 0 to 1">b_ratio, 0 to 1</th><th scope="col" title="Group B's object predicted on the test images: ≈ 1 keeps it, ≈ 0 erases it">b_ratio</th><th scope="col" title="Dice of the structure on group A's test images">a_dice</th><th scope="col" title="How well the predicted volume tells group A from group B">AUC</th><th scope="col" title="Mean predicted minus true volume of the structure">volume error (px)</th></tr></thead><tbody id="exp-body"></tbody></table></div>
</section>"#;
