//! `dice experiment CONFIG|- [--dump DIR]`: the paper's experiment on generated data (see
//! the README, "Command line", and docs/experiment.md). The config is read here; the
//! data, the runs and the measures are `engine::experiment`'s.

use serde_json::{json, Map, Value};

use super::json::{self, Document};
use super::{excerpt, read_objective_over};
use crate::engine::experiment::{
    Experiment, ExperimentConfig, RunConfig, RunPlan, RunResult, Template,
};
use crate::engine::objective::{CeForm, Objective};
use crate::engine::options::LossOptions;
use crate::engine::train::{Model, ModelKind, Optimizer};

/// The top-level fields of a config.
pub const CONFIG_FIELDS: [&str; 7] = [
    "template",
    "seed",
    "images",
    "runs",
    "model",
    "optimizer",
    "steps",
];

/// The fields of a run beyond the loss fields of `dice eval`.
pub const RUN_FIELDS: [&str; 4] = ["name", "eps", "batch_size", "labels"];

/// The loss fields a run may set (those of `dice eval` but the tensors and `missing`,
/// which the experiment supplies).
const RUN_LOSS_FIELDS: [&str; 13] = [
    "variant",
    "phi",
    "eps_nr",
    "eps_dr",
    "squared",
    "jaccard",
    "include_background",
    "activation",
    "preset",
    "denominator_floor",
    "zero_empty_sets",
    "ce_weight",
    "dice_weight",
];

/// Refuses a field nobody read.
fn no_unknown(doc: &Document, whose: &str, known: &[&str]) -> Result<(), String> {
    match doc.remaining().next() {
        None => Ok(()),
        Some(k) => Err(format!(
            "{whose}: unknown field {}; known: {}",
            excerpt(k),
            known.join(", ")
        )),
    }
}

/// Reads a config document.
pub fn config_from_str(input: &str) -> Result<ExperimentConfig, String> {
    let mut doc = Document::parse(input)?;
    let template = doc
        .take("template")
        .ok_or("missing field `template` (\"missing\" or \"empty\")")?;
    let template = json::string("template", &template)?;
    let template = Template::parse(&template).ok_or_else(|| {
        format!(
            "unknown template {}; use \"missing\" or \"empty\"",
            excerpt(&template)
        )
    })?;
    let mut c = ExperimentConfig::new(template);
    if let Some(raw) = doc.take("seed") {
        c.seed = raw.trim().parse::<u64>().map_err(|_| {
            format!(
                "`seed` must be a whole number from 0 to 2^64 − 1, got {}",
                excerpt(raw.trim())
            )
        })?;
    }
    if let Some(raw) = doc.take("images") {
        let mut images = Document::parse(&raw).map_err(|e| format!("`images`: {e}"))?;
        for (name, field) in [
            ("train", &mut c.train),
            ("test", &mut c.test),
            ("size", &mut c.size),
        ] {
            if let Some(v) = images.take(name) {
                *field = json::count(&format!("images.{name}"), &v)?;
            }
        }
        no_unknown(&images, "`images`", &["train", "test", "size"])?;
    }
    if let Some(raw) = doc.take("steps") {
        c.steps = json::count("steps", &raw)?;
        if c.steps > super::optimizer::MAX_STEPS {
            return Err(format!(
                "`steps` is {}; at most {} per run",
                c.steps,
                super::optimizer::MAX_STEPS
            ));
        }
    }
    if let Some(raw) = doc.take("model") {
        let mut m = Document::parse(&raw).map_err(|e| format!("`model`: {e}"))?;
        let kind = m.take("kind").ok_or("`model` needs `kind`")?;
        let kind = json::string("model.kind", &kind)?;
        c.model = ModelKind::parse(&kind).ok_or_else(|| {
            format!(
                "unknown model kind {}; use \"conv3x3\" or \"linear\"",
                excerpt(&kind)
            )
        })?;
        no_unknown(&m, "`model` (its weights come from the seed)", &["kind"])?;
    }
    if let Some(raw) = doc.take("optimizer") {
        c.optimizer = super::optimizer::optimizer_from_raw(&raw)?;
    }
    if let Some(raw) = doc.take("runs") {
        let runs: Vec<&serde_json::value::RawValue> = serde_json::from_str(&raw)
            .map_err(|_| "`runs` must be a list of run objects".to_string())?;
        c.runs = runs
            .iter()
            .enumerate()
            .map(|(i, r)| read_run(i, r.get()))
            .collect::<Result<_, _>>()?;
    }
    no_unknown(&doc, "the config", &CONFIG_FIELDS)?;
    Ok(c)
}

/// One run object: its name, `eps`, `batch_size`, `labels`, and loss fields over the
/// experiment's defaults.
fn read_run(i: usize, raw: &str) -> Result<RunConfig, String> {
    let mut doc = Document::parse(raw).map_err(|e| format!("run {i}: {e}"))?;
    let name = doc
        .take("name")
        .ok_or_else(|| format!("run {i}: missing field `name`"))?;
    let name = json::string("name", &name)?;
    let whose = format!("run {}", excerpt(&name));
    let mut run = RunConfig::new(&name);
    if doc.has("missing") {
        return Err(format!(
            "{whose}: `missing` is not a run field: the experiment knows which labels are missing"
        ));
    }
    let eps = doc.take("eps");
    if eps.is_some() && (doc.has("eps_nr") || doc.has("eps_dr")) {
        return Err(format!(
            "{whose}: give `eps` or `eps_nr`/`eps_dr`, not both"
        ));
    }
    let base = RunConfig::default_objective();
    (run.objective, _) =
        read_objective_over(base, &mut doc).map_err(|e| format!("{whose}: {e}"))?;
    if let Some(raw) = eps {
        if raw.trim() == "\"heuristic\"" {
            run.heuristic_eps = true;
        } else {
            let v = json::number("eps", &raw).map_err(|_| {
                format!(
                    "{whose}: `eps` must be a number or \"heuristic\", got {}",
                    excerpt(raw.trim())
                )
            })?;
            run.objective.dice.eps_nr = v;
            run.objective.dice.eps_dr = v;
            run.objective.class_eps = None;
        }
    }
    if let Some(raw) = doc.take("batch_size") {
        run.batch_size = json::count("batch_size", &raw).map_err(|e| format!("{whose}: {e}"))?;
    }
    if let Some(raw) = doc.take("labels") {
        run.full_labels = match json::string("labels", &raw)?.as_str() {
            "full" => true,
            "partial" => false,
            other => {
                return Err(format!(
                    "{whose}: `labels` must be \"full\" (the true labels) or \"partial\" (as the template hides them), got {}",
                    excerpt(other)
                ))
            }
        };
    }
    let known: Vec<&str> = RUN_FIELDS
        .iter()
        .chain(&RUN_LOSS_FIELDS)
        .chain(&super::LOSS_OPTION_FIELDS)
        .copied()
        .collect();
    no_unknown(&doc, &whose, &known)?;
    Ok(run)
}

/// A model as `dice train` writes it.
fn model_json(m: &Model) -> Value {
    json!({"kind": m.kind().code(), "w": m.weights(), "b": m.biases()})
}

fn optimizer_json(o: &Optimizer) -> Value {
    match *o {
        Optimizer::Sgd { lr } => json!({"kind": "sgd", "lr": lr}),
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => json!({"kind": "adam", "lr": lr, "betas": [beta1, beta2], "eps": eps}),
    }
}

/// The loss fields of `dice train` that give exactly `o`.
fn objective_fields(o: &Objective, out: &mut Map<String, Value>) {
    let d = &o.dice;
    if o.ce_form == CeForm::Monai {
        // MONAI's choice of cross-entropy exists only as this preset; every field below
        // overrides the rest of it.
        out.insert("preset".into(), json!("monai_dice_ce"));
    }
    out.insert("phi".into(), json!(d.phi.code()));
    match &o.class_eps {
        Some(e) => {
            out.insert("eps_nr".into(), json!(e.nr));
            out.insert("eps_dr".into(), json!(e.dr));
        }
        None => {
            out.insert("eps_nr".into(), json!(d.eps_nr));
            out.insert("eps_dr".into(), json!(d.eps_dr));
        }
    }
    out.insert("squared".into(), json!(d.squared));
    out.insert("jaccard".into(), json!(d.jaccard));
    out.insert("include_background".into(), json!(d.include_background));
    out.insert("activation".into(), json!(d.activation.code()));
    out.insert("denominator_floor".into(), json!(d.denominator_floor));
    out.insert("zero_empty_sets".into(), json!(d.zero_empty_sets));
    out.insert("variant".into(), json!(d.variant.code()));
    out.insert("ce_weight".into(), json!(o.ce_weight));
    out.insert("dice_weight".into(), json!(o.dice_weight));
    option_fields(&o.options, out);
}

/// The fields of the peer libraries' options that give exactly `o` (none when unused).
fn option_fields(o: &LossOptions, out: &mut Map<String, Value>) {
    if o.soft_label {
        out.insert("soft_label".into(), json!(true));
    }
    if let Some((a, b)) = o.tversky {
        out.insert("tversky_alpha".into(), json!(a));
        out.insert("tversky_beta".into(), json!(b));
    }
    if o.focal_gamma != 1.0 {
        out.insert("focal_gamma".into(), json!(o.focal_gamma));
    }
    if let Some(eps) = o.log_loss {
        out.insert("log_loss".into(), json!(true));
        out.insert("log_loss_eps".into(), json!(eps));
    }
    if let Some(w) = &o.class_weights {
        if !w.weights.is_empty() {
            out.insert("class_weights".into(), json!(w.weights));
        }
        out.insert("class_weighting".into(), json!(w.mode.code()));
    }
    if let Some(list) = &o.class_subset {
        out.insert("class_subset".into(), json!(list));
    }
    if o.infer_missing {
        out.insert("infer_missing".into(), json!(true));
    }
}

/// A run's plan as a complete `dice train` input: no other fields.
pub fn train_input(plan: &RunPlan) -> Value {
    let mut out = Map::new();
    let dims = plan.y.shape().to_vec();
    out.insert("shape".into(), json!(dims));
    out.insert("y".into(), json!(plan.y.iter().collect::<Vec<_>>()));
    out.insert("x".into(), json!(plan.x.iter().collect::<Vec<_>>()));
    objective_fields(&plan.objective, &mut out);
    if !plan.missing.is_empty() {
        let cells: Vec<[usize; 2]> = plan.missing.iter().map(|&(b, c)| [b, c]).collect();
        out.insert("missing".into(), json!(cells));
    }
    out.insert("model".into(), model_json(&plan.model));
    out.insert("optimizer".into(), optimizer_json(&plan.optimizer));
    out.insert("steps".into(), json!(plan.steps));
    out.insert("batch_size".into(), json!(plan.batch_size));
    out.insert("shuffle_seed".into(), json!(plan.shuffle_seed));
    Value::Object(out)
}

fn run_json(exp: &Experiment, i: usize, r: &RunResult) -> Value {
    let run = &exp.config.runs[i];
    json!({
        "name": r.name,
        "batch_size": run.batch_size,
        "labels": if run.full_labels { "full" } else { "partial" },
        "b_ratio": r.measures.b_ratio,
        "a_dice": r.measures.a_dice,
        "auc": r.measures.auc,
        "volume_error": r.measures.volume_error,
        "loss": r.losses,
        "final_loss": r.final_loss,
        "model": model_json(&r.model),
        "stopped": r.stopped,
    })
}

/// The output object of an experiment and its results.
pub fn to_json(exp: &Experiment, results: &[RunResult]) -> Value {
    let c = &exp.config;
    json!({
        "template": c.template.code(),
        "seed": c.seed,
        "images": {"train": c.train, "test": c.test, "size": c.size},
        "classes": c.template.class_names(),
        "structure": c.template.structure(),
        "model": model_json(&exp.initial),
        "optimizer": optimizer_json(&c.optimizer),
        "steps": c.steps,
        "heuristic_eps": exp.heuristic_eps,
        "runs": results.iter().enumerate().map(|(i, r)| run_json(exp, i, r)).collect::<Vec<_>>(),
    })
}

/// Runs an experiment from a config text: the experiment and every run's result.
pub fn run_str(input: &str) -> Result<(Experiment, Vec<RunResult>), String> {
    let exp = Experiment::new(config_from_str(input)?)?;
    let results = (0..exp.config.runs.len())
        .map(|i| exp.run(i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((exp, results))
}

/// Writes `dataset.npz` and `run-NN.json` into `dir` (created if missing).
#[cfg(not(target_arch = "wasm32"))]
pub fn dump(exp: &Experiment, dir: &std::path::Path) -> Result<(), String> {
    let shown = super::files::shown(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {shown}: {e}"))?;
    let d = &exp.data;
    let path = dir.join("dataset.npz");
    let file = std::fs::File::create(&path)
        .map_err(|e| format!("cannot write {}: {e}", super::files::shown(&path)))?;
    let n = d.train + d.test;
    let (s, c) = (d.size, exp.config.template.classes());
    let group: Vec<u8> = d
        .group
        .iter()
        .map(|g| u8::from(*g == crate::engine::experiment::Group::B))
        .collect();
    let split: Vec<u8> = (0..n).map(|i| u8::from(i >= d.train)).collect();
    let write = || -> std::io::Result<()> {
        let mut w = super::files::NpzOut::new(std::io::BufWriter::new(file));
        w.f64("x", &[n, s, s], d.x.as_slice().expect("standard layout"))?;
        w.f64(
            "y",
            &[n, c, s, s],
            d.y_seen.as_slice().expect("standard layout"),
        )?;
        w.f64(
            "y_true",
            &[n, c, s, s],
            d.y_true.as_slice().expect("standard layout"),
        )?;
        w.f64(
            "object",
            &[n, s, s],
            d.object.as_slice().expect("standard layout"),
        )?;
        w.u8("group", &[n], &group)?;
        w.u8("split", &[n], &split)?;
        w.finish()?;
        Ok(())
    };
    write().map_err(|e| format!("cannot write {}: {e}", super::files::shown(&path)))?;
    for i in 0..exp.config.runs.len() {
        let path = dir.join(format!("run-{i:02}.json"));
        let text = serde_json::to_string(&train_input(&exp.plan(i)?)).expect("JSON");
        std::fs::write(&path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", super::files::shown(&path)))?;
    }
    Ok(())
}

/// `dice experiment CONFIG|- [--dump DIR]`.
#[cfg(not(target_arch = "wasm32"))]
pub fn command(
    args: &[std::ffi::OsString],
    io: &mut super::run::Io,
) -> Result<(), super::run::Failure> {
    use super::run::{write_json, Failure};
    let mut input = None;
    let mut dir = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--dump" {
            if dir.is_some() {
                return Err(Failure::Usage("--dump is given twice".into()));
            }
            dir = Some(
                it.next()
                    .ok_or_else(|| Failure::Usage("--dump needs a directory".into()))?
                    .clone(),
            );
        } else if a.to_str().is_some_and(|s| s.starts_with("--")) {
            return Err(Failure::Usage(format!(
                "unknown option {}; dice experiment takes only --dump DIR",
                excerpt(&a.to_string_lossy())
            )));
        } else if input.replace(a.clone()).is_some() {
            return Err(Failure::Usage("more than one config".into()));
        }
    }
    let input = input.ok_or_else(|| Failure::Usage("no config".into()))?;
    let text = if input == "-" {
        let mut s = String::new();
        io.stdin
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        s
    } else {
        let p = std::path::PathBuf::from(&input);
        std::fs::read_to_string(&p)
            .map_err(|e| format!("cannot read {}: {e}", super::files::shown(&p)))?
    };
    let exp = Experiment::new(config_from_str(&text)?)?;
    if let Some(dir) = dir {
        dump(&exp, std::path::Path::new(&dir))?;
    }
    let results = (0..exp.config.runs.len())
        .map(|i| exp.run(i))
        .collect::<Result<Vec<_>, _>>()?;
    write_json(&to_json(&exp, &results), io)
}
