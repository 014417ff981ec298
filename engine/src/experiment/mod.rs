//! The paper's experiment on generated data (docs/experiment.md): a data set from a seed
//! in one of two templates, runs that differ only in the loss (Φ, ε, the batch size, the
//! variant, the cross-entropy, full labels), trained on the same images in the same order
//! from the same start, and the measures of each trained model on the test split.
//!
//! A run can be trained in one go ([`Experiment::run`]) or step by step
//! ([`Experiment::start`] → [`RunState::advance`] in chunks → [`RunState::finish`]), so a
//! worker can report progress between chunks and cancel by dropping the state.

pub mod data;
pub mod measures;

use ndarray::{s, Array3, Array4};

use crate::activation::Activation;
use crate::heuristic::class_eps;
use crate::loss::{ClassEps, DiceSettings};
use crate::objective::Objective;
use crate::phi::Phi;
use crate::rng::{Rng, STREAM_MODEL};
use crate::train::{Batches, Model, ModelKind, Optimizer, Stop, Trainer};

pub use data::{Dataset, Group, Template};
pub use measures::{measure, Measures};

/// Defaults of an experiment (chosen so that every run's point has a wide margin; see
/// docs/experiment.md for the figures measured with them).
pub const DEFAULT_TRAIN: usize = 48;
pub const DEFAULT_TEST: usize = 48;
pub const DEFAULT_SIZE: usize = 32;
pub const DEFAULT_STEPS: usize = 1000;
pub const DEFAULT_LR: f64 = 0.1;
pub const DEFAULT_BATCH: usize = 8;
/// "ε ≈ 0", as the paper's 1e-7.
pub const DEFAULT_EPS: f64 = 1e-7;
/// Starting weights are uniform in ±this (biases 0).
pub const INIT_SCALE: f64 = 0.1;

/// Limits of a configuration.
pub const SIZES: std::ops::RangeInclusive<usize> = 8..=128;
pub const IMAGES: std::ops::RangeInclusive<usize> = 2..=512;

/// Everything an experiment needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentConfig {
    pub template: Template,
    pub seed: u64,
    pub train: usize,
    pub test: usize,
    pub size: usize,
    pub model: ModelKind,
    pub optimizer: Optimizer,
    pub steps: usize,
    pub runs: Vec<RunConfig>,
}

impl ExperimentConfig {
    /// The defaults for a template, with the paper's table as runs.
    pub fn new(template: Template) -> ExperimentConfig {
        ExperimentConfig {
            template,
            seed: 0,
            train: DEFAULT_TRAIN,
            test: DEFAULT_TEST,
            size: DEFAULT_SIZE,
            model: ModelKind::Conv3x3,
            optimizer: Optimizer::adam(DEFAULT_LR),
            steps: DEFAULT_STEPS,
            runs: RunConfig::paper_table(),
        }
    }
}

/// One run: a loss and a batch size.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub name: String,
    /// The loss (its ε replaced by the heuristic one when `heuristic_eps`).
    pub objective: Objective,
    /// ε = the authors' heuristic, per class: the mean label volume per training image.
    pub heuristic_eps: bool,
    pub batch_size: usize,
    /// Trained on the true labels (the fully labelled baseline).
    pub full_labels: bool,
}

impl RunConfig {
    /// The experiment's default loss: the Dice with softmax over the classes, background
    /// excluded (as the authors' multi-class runs), Φ = I, ε_nr = ε_dr = 1e-7.
    pub fn default_objective() -> Objective {
        DiceSettings {
            phi: Phi::I,
            eps_nr: DEFAULT_EPS,
            eps_dr: DEFAULT_EPS,
            include_background: false,
            activation: Activation::Softmax,
            ..DiceSettings::default()
        }
        .into()
    }

    /// A run with the experiment's defaults.
    pub fn new(name: &str) -> RunConfig {
        RunConfig {
            name: name.to_string(),
            objective: RunConfig::default_objective(),
            heuristic_eps: false,
            batch_size: DEFAULT_BATCH,
            full_labels: false,
        }
    }

    /// The paper's table: I with ε ≈ 0, BI with ε ≈ 0, I with the heuristic ε, and the
    /// fully labelled baseline.
    pub fn paper_table() -> Vec<RunConfig> {
        let mut bi = RunConfig::new("BI");
        bi.objective.dice.phi = Phi::BI;
        let mut heuristic = RunConfig::new("I heuristic eps");
        heuristic.heuristic_eps = true;
        let mut full = RunConfig::new("full labels");
        full.full_labels = true;
        vec![RunConfig::new("I"), bi, heuristic, full]
    }
}

/// A complete training input: what `dice train` reads to reproduce a run.
#[derive(Clone, Debug)]
pub struct RunPlan {
    pub y: Array4<f64>,
    pub x: Array3<f64>,
    pub objective: Objective,
    pub missing: Vec<(usize, usize)>,
    pub model: Model,
    pub optimizer: Optimizer,
    pub steps: usize,
    pub batch_size: usize,
    pub shuffle_seed: u64,
}

impl RunPlan {
    /// The trainer of this plan at step 0.
    pub fn trainer(&self) -> Result<Trainer, String> {
        Trainer::with_missing(
            self.y.clone(),
            Some(self.x.clone()),
            self.objective.clone(),
            self.model.clone(),
            self.optimizer,
            self.missing.clone(),
        )
        .and_then(|t| {
            t.with_batches(Batches::Shuffle {
                size: self.batch_size,
                seed: self.shuffle_seed,
            })
        })
        .map_err(|e| e.to_string())
    }
}

/// A generated data set and its runs.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub config: ExperimentConfig,
    pub data: Dataset,
    /// The heuristic ε per class on the labels as the loss sees them.
    pub heuristic_eps: Vec<f64>,
    /// The same on the true labels (what a fully labelled run's heuristic uses).
    pub heuristic_eps_full: Vec<f64>,
    /// The starting model of every run.
    pub initial: Model,
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub name: String,
    pub measures: Measures,
    /// L_t of every step (the loss of its mini-batch).
    pub losses: Vec<f64>,
    /// The loss over all training images at the final parameters.
    pub final_loss: Option<f64>,
    pub model: Model,
    pub stopped: Option<Stop>,
    /// The probabilities on the test images (T×C×S×S).
    pub test_prob: Array4<f64>,
}

/// A run being trained, a chunk at a time.
#[derive(Clone, Debug)]
pub struct RunState {
    pub index: usize,
    trainer: Trainer,
    steps: usize,
    losses: Vec<f64>,
    stopped: Option<Stop>,
}

impl RunState {
    /// Trains up to `max_steps` more steps (fewer at the end or where training stops) and
    /// returns how many were taken.
    pub fn advance(&mut self, max_steps: usize) -> usize {
        let n = max_steps.min(self.steps - self.done());
        if self.stopped.is_some() || n == 0 {
            return 0;
        }
        let report = self.trainer.train(n);
        let taken = report.losses.len();
        self.losses.extend(report.losses);
        self.stopped = report.stopped;
        taken
    }

    /// Steps taken so far.
    pub fn done(&self) -> usize {
        self.losses.len()
    }

    /// Steps the run asks for.
    pub fn total(&self) -> usize {
        self.steps
    }

    /// Whether every step is taken or training stopped.
    pub fn is_finished(&self) -> bool {
        self.done() == self.steps || self.stopped.is_some()
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// The measures of the model as it stands (at the end: the run's result).
    pub fn finish(&self, exp: &Experiment) -> RunResult {
        let model = self.trainer.model().clone();
        let test_prob = exp.predict_test(&model, &self.trainer.objective().dice);
        RunResult {
            name: exp.config.runs[self.index].name.clone(),
            measures: measure(&exp.data, test_prob.view()),
            losses: self.losses.clone(),
            final_loss: self.trainer.loss(),
            model,
            stopped: self.stopped.clone(),
            test_prob,
        }
    }
}

impl Experiment {
    /// Checks the configuration and generates the data.
    pub fn new(config: ExperimentConfig) -> Result<Experiment, String> {
        if !SIZES.contains(&config.size) {
            return Err(format!(
                "images.size must be from {} to {}, got {}",
                SIZES.start(),
                SIZES.end(),
                config.size
            ));
        }
        for (name, n) in [("images.train", config.train), ("images.test", config.test)] {
            if !IMAGES.contains(&n) {
                return Err(format!(
                    "{name} must be from {} to {} images (half of them group A, half group B), got {n}",
                    IMAGES.start(),
                    IMAGES.end()
                ));
            }
        }
        if config.model == ModelKind::Pixels {
            return Err("the experiment needs a shared model (\"conv3x3\" or \"linear\"): free per-pixel logits learn nothing that carries to the test images".into());
        }
        config.optimizer.validate().map_err(|e| e.to_string())?;
        if config.runs.is_empty() {
            return Err("`runs` is empty: give at least one run".into());
        }
        let mut names = std::collections::HashSet::new();
        for r in &config.runs {
            if !names.insert(r.name.as_str()) {
                return Err(format!(
                    "two runs are named {:?}: names must differ",
                    r.name
                ));
            }
            if r.batch_size == 0 || r.batch_size > config.train {
                return Err(format!(
                    "run {:?}: batch_size must be from 1 to the {} training images, got {}",
                    r.name, config.train, r.batch_size
                ));
            }
        }
        let data = Dataset::generate(
            config.template,
            config.seed,
            config.train,
            config.test,
            config.size,
        );
        // The labels are 0/1, so the volumes are exact whatever the order of the sums.
        let heuristic = |y: &Array4<f64>| class_eps(y.slice(s![..config.train, .., .., ..]));
        let heuristic_eps = heuristic(&data.y_seen);
        let heuristic_eps_full = heuristic(&data.y_true);
        let initial = warm_start(&config, &data)?;
        let exp = Experiment {
            config,
            data,
            heuristic_eps,
            heuristic_eps_full,
            initial,
        };
        // Every run's loss is checked before anything trains.
        for i in 0..exp.config.runs.len() {
            exp.plan(i)?
                .trainer()
                .map_err(|e| format!("run {:?}: {e}", exp.config.runs[i].name))?;
        }
        Ok(exp)
    }

    /// The complete training input of run `i`.
    pub fn plan(&self, i: usize) -> Result<RunPlan, String> {
        let run = self
            .config
            .runs
            .get(i)
            .ok_or_else(|| format!("there is no run {i}"))?;
        let n = self.config.train;
        let labels = if run.full_labels {
            &self.data.y_true
        } else {
            &self.data.y_seen
        };
        let mut objective = run.objective.clone();
        if run.heuristic_eps {
            let eps = if run.full_labels {
                &self.heuristic_eps_full
            } else {
                &self.heuristic_eps
            };
            objective.class_eps = Some(ClassEps {
                nr: eps.clone(),
                dr: eps.clone(),
            });
        }
        let missing = if run.full_labels || objective.dice.variant == crate::variants::Variant::Dice
        {
            Vec::new()
        } else {
            self.data.missing_cells()
        };
        Ok(RunPlan {
            y: labels.slice(s![..n, .., .., ..]).to_owned(),
            x: self.data.x.slice(s![..n, .., ..]).to_owned(),
            objective,
            missing,
            model: self.initial.clone(),
            optimizer: self.config.optimizer,
            steps: self.config.steps,
            batch_size: run.batch_size,
            // The batch order depends only on the seed and the batch size.
            shuffle_seed: self.config.seed,
        })
    }

    /// Run `i` at step 0.
    pub fn start(&self, i: usize) -> Result<RunState, String> {
        let plan = self.plan(i)?;
        Ok(RunState {
            index: i,
            trainer: plan.trainer()?,
            steps: plan.steps,
            losses: Vec::with_capacity(plan.steps),
            stopped: None,
        })
    }

    /// Run `i` trained to the end.
    pub fn run(&self, i: usize) -> Result<RunResult, String> {
        let mut state = self.start(i)?;
        state.advance(usize::MAX);
        Ok(state.finish(self))
    }

    /// The probabilities of `model` on the test images.
    pub fn predict_test(&self, model: &Model, settings: &DiceSettings) -> Array4<f64> {
        let x = self.data.x.slice(s![self.config.train.., .., ..]);
        let z = model.logits(x);
        settings.activation.apply(z.view())
    }
}

/// The starting model of a seed: weights uniform in ±[`INIT_SCALE`] from
/// `Rng::new(seed, STREAM_MODEL)` (C weights, or C×3×3 in (c, di, dj) order), biases 0.
pub fn initial_model(kind: ModelKind, classes: usize, seed: u64) -> Result<Model, String> {
    let mut rng = Rng::new(seed, STREAM_MODEL);
    let w = (0..classes * kind.weights_per_class())
        .map(|_| rng.range(-INIT_SCALE, INIT_SCALE))
        .collect();
    let b = vec![0.0; classes];
    Model::shared(kind, w, b).map_err(|e| e.to_string())
}

/// Steps of the warm start (see [`warm_start`]).
pub const WARM_STEPS: usize = 150;

/// The start every run of an experiment shares: [`initial_model`] trained for
/// [`WARM_STEPS`] full-batch steps of the experiment's optimiser on the group-A training
/// images alone (whose labels are complete), with the experiment's default loss. A
/// network that already segments what it was shown, as when fine-tuning; from random
/// weights a linear model's middle class (the myocardium, between the tissue and the
/// blood pools in intensity) dies within a few steps under a large ε, before it has
/// learned anything (docs/experiment.md, "What differs").
pub fn warm_start(config: &ExperimentConfig, data: &Dataset) -> Result<Model, String> {
    let model = initial_model(config.model, config.template.classes(), config.seed)?;
    let a: Vec<usize> = (0..config.train)
        .filter(|&i| data.group[i] == Group::A)
        .collect();
    let pick3 = |x: &Array3<f64>| {
        Array3::from_shape_fn((a.len(), config.size, config.size), |(k, r, c)| {
            x[[a[k], r, c]]
        })
    };
    let y = Array4::from_shape_fn(
        (a.len(), config.template.classes(), config.size, config.size),
        |(k, c, r, s)| data.y_true[[a[k], c, r, s]],
    );
    let mut t = Trainer::new(
        y,
        Some(pick3(&data.x)),
        RunConfig::default_objective(),
        model,
        config.optimizer,
    )
    .map_err(|e| e.to_string())?;
    t.train(WARM_STEPS);
    Ok(t.model().clone())
}
