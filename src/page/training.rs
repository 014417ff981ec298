//! Training on the page: a session of the engine's trainer built from the page state
//! (its labels as the loss sees them, its image, its settings and training settings), the
//! trace plot (d) draws, the per-cell result lines, and the `dice train` input that
//! reproduces a session on the command line.

use ndarray::{Array2, Array4};
use serde_json::{json, Value};

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::train::scenes::{self, Role, Scene, START_BIAS, START_SLOPE};
use crate::engine::train::{Model, ModelKind, Optimizer, Stop, Trainer};
use crate::engine::variants::Variant;
use crate::page::levels::{normalised, quantize};
use crate::page::state::TrainSettings;
use crate::page::state::{AppState, LabelStatus};
use crate::page::teach;
use crate::present::format;

/// Probabilities are clamped to [P_MIN, 1 − P_MIN] before they become a pixels model's
/// starting logits (a painted 0 or 1 has no finite logit).
const P_MIN: f64 = 1e-4;
/// Trace points kept; beyond it every other point is dropped (plot (d) stays readable
/// and memory bounded on a long run).
const MAX_TRACE: usize = 4000;

/// What a cell's mean ỹ is taken over: its structure, or what stands for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// Flat pixel indices (row-major) of the object in its H×W image.
    pixels: Vec<usize>,
    /// What it is, in words ("the unannotated structure").
    pub name: &'static str,
}

/// One point of the run: the loss and each cell's mean ỹ on its object, at the
/// parameters after `step` updates.
#[derive(Clone, Debug, PartialEq)]
pub struct TracePoint {
    pub step: usize,
    pub loss: Option<f64>,
    pub means: Array2<Option<f64>>,
}

#[derive(Clone, Debug)]
pub struct Training {
    pub trainer: Trainer,
    pub playing: bool,
    /// Play pauses at this step (a lesson's run length).
    pub until: Option<usize>,
    /// The step a link asks for (`&train=N`) while the run gets there: the page trains
    /// towards it in slices between frames, as fast as they allow, not at the play speed.
    pub target: Option<usize>,
    pub trace: Vec<TracePoint>,
    /// Per (b, c): the object its mean ỹ is taken over (none for the background of
    /// exclusive classes).
    pub objects: Array2<Option<Object>>,
}

/// The object of cell (b, c), if it has one: a labelled structure, the hidden structure
/// of a missing label, the bright pixels of the image (a distractor in an empty image),
/// else the whole image.
pub fn object(state: &AppState, b: usize, c: usize) -> Option<Object> {
    if state.exclusive && c == 0 && state.classes() > 1 {
        return None;
    }
    let n = state.size();
    let labels = state.labels.slice(ndarray::s![b, c, .., ..]);
    let image = state.image.slice(ndarray::s![b, .., ..]);
    let where_ = |on: &dyn Fn(usize, usize) -> bool| -> Vec<usize> {
        (0..n * n).filter(|&k| on(k / n, k % n)).collect()
    };
    let painted = where_(&|i, j| labels[(i, j)] >= 0.5);
    let bright = where_(&|i, j| image[(i, j)] > 0.0);
    let status = state.status[(b, c)];
    let (pixels, name) = match status {
        LabelStatus::Missing if !painted.is_empty() => (painted, "the unannotated structure"),
        LabelStatus::Annotated if !painted.is_empty() => (painted, "the labelled structure"),
        LabelStatus::Empty if !bright.is_empty() => (bright, "the distractor"),
        LabelStatus::Annotated if !bright.is_empty() => (bright, "the unlabelled bright pixels"),
        _ => ((0..n * n).collect(), "the image"),
    };
    Some(Object { pixels, name })
}

/// The starting model of `state`'s training settings. A shared model starts the way the
/// training scenes do: every structure class at z = 12·x − 6 (the 3×3 kernel with only
/// its centre tap), the background of exclusive classes at 0, so every bright object is
/// predicted at step 0. The pixels model starts from the painted prediction's logits.
pub fn start_model(state: &AppState) -> Result<Model, String> {
    let cn = state.classes();
    let kind = state.train.model;
    let act = state.settings.activation;
    if kind.needs_image() && act == Activation::None {
        return Err(format!(
            "The {} model outputs logits: choose sigmoid or softmax as the activation to train it (or the pixels model, which trains ỹ itself).",
            kind.code()
        ));
    }
    let background = state.exclusive && cn > 1;
    let slope = |c: usize| {
        if background && c == 0 {
            0.0
        } else {
            START_SLOPE
        }
    };
    let bias = |c: usize| {
        if background && c == 0 {
            0.0
        } else {
            START_BIAS
        }
    };
    let b: Vec<f64> = (0..cn).map(bias).collect();
    let built = match kind {
        ModelKind::Linear => Model::linear((0..cn).map(slope).collect(), b),
        ModelKind::Conv3x3 => {
            let mut w = vec![0.0; 9 * cn];
            for c in 0..cn {
                w[9 * c + 4] = slope(c);
            }
            Model::conv3x3(w, b)
        }
        ModelKind::Pixels => Model::pixels(start_logits(state)),
    };
    built.map_err(|e| e.to_string())
}

/// The logits whose activation gives the painted prediction (clamped away from 0 and 1).
fn start_logits(state: &AppState) -> Array4<f64> {
    let clamp = |p: f64| p.clamp(P_MIN, 1.0 - P_MIN);
    match state.settings.activation {
        Activation::None => state.pred.clone(),
        Activation::Sigmoid => state.pred.mapv(|p| {
            let p = clamp(p);
            (p / (1.0 - p)).ln()
        }),
        // Softmax is unchanged by a constant per pixel: log-probabilities will do.
        Activation::Softmax => state.pred.mapv(|p| clamp(p).ln()),
    }
}

/// A session at step 0, or why there cannot be one.
pub fn start(state: &AppState) -> Result<Training, String> {
    let model = start_model(state)?;
    let trainer = Trainer::with_missing(
        state.loss_labels(),
        Some(state.image.clone()),
        state.settings,
        model,
        state.train.optimizer,
        teach::missing_cells(state),
    )
    .map_err(|e| format!("Training cannot start: {e}"))?;
    let objects = Array2::from_shape_fn(state.status.dim(), |(b, c)| object(state, b, c));
    let mut t = Training {
        trainer,
        playing: false,
        until: None,
        target: None,
        trace: Vec::new(),
        objects,
    };
    t.record();
    Ok(t)
}

impl Training {
    pub fn step_count(&self) -> usize {
        self.trainer.step_count()
    }

    /// Up to `n` steps; returns where and why training stopped, if it did.
    pub fn run(&mut self, n: usize) -> Option<Stop> {
        for _ in 0..n {
            if self.playing && self.until.is_some_and(|u| self.step_count() >= u) {
                self.playing = false;
                break;
            }
            if let Err(stop) = self.trainer.step() {
                self.playing = false;
                return Some(stop);
            }
            self.record();
        }
        let stop = self.trainer.stopped();
        if stop.is_some() {
            self.playing = false;
        }
        stop
    }

    /// Back to step 0 with the same starting model.
    pub fn reset(&mut self) {
        self.trainer.reset();
        self.trace.clear();
        self.record();
    }

    fn record(&mut self) {
        let mut means = Array2::from_elem(self.objects.dim(), None);
        if let Some(p) = self.trainer.probabilities() {
            let n = p.dim().3;
            for ((b, c), slot) in means.indexed_iter_mut() {
                *slot = self.objects[(b, c)].as_ref().map(|o| {
                    let sum: f64 = o.pixels.iter().map(|&k| p[[b, c, k / n, k % n]]).sum();
                    sum / o.pixels.len().max(1) as f64
                });
            }
        }
        if self.trace.len() >= MAX_TRACE {
            let kept: Vec<TracePoint> = self.trace.iter().step_by(2).cloned().collect();
            self.trace = kept;
        }
        self.trace.push(TracePoint {
            step: self.trainer.step_count(),
            loss: self.trainer.loss(),
            means,
        });
    }

    /// "mean ỹ on the unannotated structure: 0.97 → 0.02" once the run has steps.
    pub fn result_line(&self, b: usize, c: usize) -> Option<String> {
        let o = self.objects.get((b, c))?.as_ref()?;
        let (first, last) = (self.trace.first()?, self.trace.last()?);
        if last.step == 0 {
            return None;
        }
        let (a, z) = (first.means[(b, c)]?, last.means[(b, c)]?);
        Some(format!(
            "mean ỹ on {}: {} → {}",
            o.name,
            format::number(a, 2),
            format::number(z, 2)
        ))
    }
}

/// The `dice train` input that runs `state`'s training for `steps` steps: the loss's
/// labels, the real activation, the image, the starting model and the optimiser.
pub fn train_input(state: &AppState, steps: usize) -> Result<Value, String> {
    let model = start_model(state)?;
    let mut doc = crate::page::ui::loss_input(state);
    doc["x"] = json!(state.image.iter().copied().collect::<Vec<f64>>());
    doc["steps"] = json!(steps);
    doc["model"] = match model.kind() {
        ModelKind::Pixels => {
            doc["pred"] = json!(model.params());
            json!({"kind": "pixels"})
        }
        kind => json!({"kind": kind.code(), "w": model.weights(), "b": model.biases()}),
    };
    doc["optimizer"] = match state.train.optimizer {
        Optimizer::Sgd { lr } => json!({"kind": "sgd", "lr": lr}),
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => json!({"kind": "adam", "lr": lr, "betas": [beta1, beta2], "eps": eps}),
    };
    Ok(doc)
}

// ---------------------------------------------------------------------------------------
// The lessons' training experiments

/// What training a lesson's experiment should do to one role's object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The mean ỹ on it stays high (≥ 0.5).
    Kept,
    /// It falls (≤ 0.1).
    Gone,
}

/// A lesson's training experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// The images of the scene, in order.
    pub roles: &'static [Role],
    pub phi: Phi,
    /// (ε_nr, ε_dr), the lesson's own; `None`: the heuristic ε (mean true volume per
    /// image of the training scene, in both places).
    pub eps: Option<(f64, f64)>,
    pub include_background: bool,
    pub variant: Variant,
    /// What will happen and why, in two or three sentences.
    pub text: &'static str,
    /// What the native tests and the browser tests check, per role.
    pub expected: &'static [(Role, Outcome)],
    /// Steps the lesson trains for (play pauses there).
    pub steps: usize,
}

const MISSING: &[Role] = &[Role::Annotated, Role::Annotated, Role::Unannotated];
const EMPTY: &[Role] = &[Role::Annotated, Role::Annotated, Role::Empty];
const MIXED: &[Role] = &[
    Role::Annotated,
    Role::Annotated,
    Role::Unannotated,
    Role::Empty,
];

const fn plan(
    roles: &'static [Role],
    phi: Phi,
    eps: Option<(f64, f64)>,
    (include_background, variant): (bool, Variant),
    text: &'static str,
    expected: &'static [(Role, Outcome)],
) -> Plan {
    Plan {
        roles,
        phi,
        eps,
        include_background,
        variant,
        text,
        expected,
        steps: scenes::STEPS,
    }
}

/// The experiment of lesson `name`, if it has one. Every experiment trains the same small
/// shared network (a 3×3 convolution, softmax, Adam at lr 0.2) on images where every
/// structure is visible: annotated ones at intensity 1.0, an unannotated one at 0.8, a
/// dimmer, smaller distractor at 0.6 in an empty image.
pub fn lesson_plan(name: &str) -> Option<Plan> {
    use Outcome::{Gone, Kept};
    use Role::{Annotated as A, Empty as E, Unannotated as U};
    const PLAIN: (bool, Variant) = (false, Variant::Dice);
    const TINY: Option<(f64, f64)> = Some((scenes::TINY_EPS, scenes::TINY_EPS));
    // The leaf Dice as its authors use it: ε in the denominator only.
    const LEAF: Option<(f64, f64)> = Some((0.0, scenes::TINY_EPS));
    let p = match name {
        "missing-I" => plan(MISSING, Phi::I, TINY, PLAIN,
            "Train a small network on two labelled images and the one whose structure nobody labelled. With image-wise sets and a tiny ε the unlabelled image gets almost no gradient, so the network keeps finding the structure there: watch its curve stay high.",
            &[(A, Kept), (U, Kept)]),
        "missing-BI" => plan(MISSING, Phi::BI, TINY, PLAIN,
            "The same training with batch-wise sets. The unlabelled image shares the labelled images' set and its structure is pushed down at every pixel; the network can erase it because it looks a little different (dimmer) from the labelled ones — with identical images it could not. Watch its curve fall.",
            &[(A, Kept), (U, Gone)]),
        "empty-I" => plan(EMPTY, Phi::I, TINY, PLAIN,
            "Train on two labelled images and a truly empty one with a dim distractor that the network first mistakes for the structure. Image-wise sets with a tiny ε give the empty image almost no push, so the false positive stays.",
            &[(A, Kept), (E, Kept)]),
        "empty-BI" => plan(EMPTY, Phi::BI, TINY, PLAIN,
            "The same training with batch-wise sets: the empty image shares the set of the labelled ones, its false positive is pushed down, and the network learns to ignore the distractor.",
            &[(A, Kept), (E, Gone)]),
        "heuristic-eps" => plan(MIXED, Phi::I, None, PLAIN,
            "Image-wise sets with ε = the mean true volume per image (the unlabelled image counts as 0). Now the empty image's false positive is removed — and the unlabelled structure is erased too: one ε cannot serve both.",
            &[(A, Kept), (U, Gone), (E, Gone)]),
        "missing-bg" => plan(MISSING, Phi::I, TINY, (true, Variant::Dice),
            "Image-wise sets and a tiny ε, but with the background in the loss (MONAI's default). The unlabelled structure counts as background, the background term pushes the background up there, and through the softmax the structure goes down: the network erases it.",
            &[(A, Kept), (U, Gone)]),
        "marginal" => plan(MIXED, Phi::I, TINY, (true, Variant::Marginal),
            "The marginal Dice, told which label is missing, adds that class's probability to the background there, so the background term no longer fights the structure: the network keeps it. The empty image's false positive is pushed down by the background term.",
            &[(A, Kept), (U, Kept), (E, Gone)]),
        "leaf" => plan(MIXED, Phi::I, LEAF, (false, Variant::Leaf),
            "The leaf Dice drops the missing label from the loss, so the unlabelled structure is kept. It is not told about the empty image, which is just another image-wise set with ε only in the denominator, and gets no gradient: its false positive stays.",
            &[(A, Kept), (U, Kept), (E, Kept)]),
        "leaf-bg" => plan(MIXED, Phi::I, LEAF, (true, Variant::Leaf),
            "The leaf Dice with the background in the loss: the background's label still covers the unlabelled structure, so the background term erases it — one reason the authors' version of the leaf Dice leaves the background out.",
            &[(A, Kept), (U, Gone), (E, Gone)]),
        _ => return None,
    };
    // The background term of leaf-bg erases the structure more slowly than the others.
    let steps = if name == "leaf-bg" {
        2 * scenes::STEPS
    } else {
        p.steps
    };
    Some(Plan { steps, ..p })
}

/// The scene of a plan without its prediction: labels (the hidden truth of an unannotated
/// structure), statuses, image, the lesson's settings with a softmax, and the training
/// settings.
fn scene_state(p: &Plan) -> AppState {
    let scene = Scene::new(p.roles);
    let mut s = AppState::blank(scene.batch(), scenes::CLASSES, scenes::SIZE)
        .expect("the training scenes have a valid size");
    s.labels = scene.truth.clone();
    for (b, role) in p.roles.iter().enumerate() {
        s.status[(b, 1)] = match role {
            Role::Annotated => LabelStatus::Annotated,
            Role::Unannotated => LabelStatus::Missing,
            Role::Empty => LabelStatus::Empty,
        };
    }
    s.image = scene.x.mapv(quantize);
    let (eps_nr, eps_dr) = p.eps.unwrap_or((scenes::TINY_EPS, scenes::TINY_EPS));
    s.settings = DiceSettings {
        include_background: p.include_background,
        variant: p.variant,
        eps_nr,
        eps_dr,
        ..Scene::settings(p.phi, eps_dr)
    };
    if p.eps.is_none() {
        let eps = teach::heuristic_eps(&s).unwrap_or(scenes::TINY_EPS);
        s.settings.eps_nr = eps;
        s.settings.eps_dr = eps;
    }
    s.separate_eps = s.settings.eps_nr != s.settings.eps_dr;
    s.train = TrainSettings {
        model: ModelKind::Conv3x3,
        optimizer: Optimizer::adam(scenes::LR),
        speed: 60,
    };
    s
}

/// What a plan's run will show, in words: its text and, for the heuristic ε, the
/// arithmetic on the training images (they are not the lesson's images, so ε differs).
pub fn plan_text(p: &Plan) -> String {
    if p.eps.is_some() {
        return p.text.to_string();
    }
    match teach::heuristic_eps_explained(&scene_state(p)) {
        Some(h) => format!(
            "{} Here ε is computed on the training images as the loss sees them: {}.",
            p.text, h.arithmetic
        ),
        None => p.text.to_string(),
    }
}

/// The page of a plan at step 0: the scene ([`scene_state`]) and as prediction the
/// starting network's output, so the views do not jump when training starts.
pub fn plan_state(p: &Plan) -> AppState {
    let mut s = scene_state(p);
    if let Ok(t) = start(&s) {
        if let Some(prob) = t.trainer.probabilities() {
            let (bn, cn, h, w) = prob.dim();
            for b in 0..bn {
                for i in 0..h {
                    for j in 0..w {
                        let col: Vec<f64> = (0..cn).map(|c| prob[[b, c, i, j]]).collect();
                        for (c, v) in normalised(&col).into_iter().enumerate() {
                            s.pred[[b, c, i, j]] = v;
                        }
                    }
                }
            }
        }
    }
    s
}

/// The role of image b in a plan's scene.
pub fn role_of(p: &Plan, b: usize) -> Option<Role> {
    p.roles.get(b).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::teach::SCENARIOS;

    /// The mean ỹ of each role's objects after training the plan of `name`.
    fn outcome(name: &str) -> (Plan, Training) {
        let p = lesson_plan(name).unwrap();
        let s = plan_state(&p);
        let mut t = start(&s).unwrap();
        assert_eq!(t.run(p.steps), None, "{name} trains to the end");
        (p, t)
    }

    /// The claims of the paper come out of the actual runs of the lessons' experiments.
    #[test]
    fn every_lesson_experiment_does_what_its_text_says() {
        for sc in &SCENARIOS {
            let Some(p) = lesson_plan(sc.name) else {
                continue;
            };
            let (p2, t) = outcome(sc.name);
            assert_eq!(p, p2);
            let last = t.trace.last().unwrap();
            assert_eq!(last.step, p.steps);
            for &(role, want) in p.expected {
                for (b, _) in p.roles.iter().enumerate().filter(|(_, &r)| r == role) {
                    let mean = last.means[(b, 1)].unwrap();
                    let ok = match want {
                        Outcome::Kept => mean >= 0.5,
                        Outcome::Gone => mean <= 0.1,
                    };
                    assert!(
                        ok,
                        "{}: image {b} ({role:?}) ends at {mean}, want {want:?}",
                        sc.name
                    );
                }
            }
            // The result line says it in words.
            let line = t.result_line(p.roles.len() - 1, 1).unwrap();
            assert!(
                line.starts_with("mean ỹ on the") && line.contains('→'),
                "{line}"
            );
        }
        // Every lesson about missing or empty labels has an experiment.
        for name in [
            "missing-I",
            "missing-BI",
            "empty-I",
            "empty-BI",
            "heuristic-eps",
        ] {
            assert!(lesson_plan(name).is_some(), "{name}");
        }
    }

    /// "With the lesson's Φ, ε, background and loss variant": every experiment trains
    /// with its lesson's own settings (a softmax, since the network outputs logits), and
    /// the heuristic ε, recomputed on the training images, says its arithmetic.
    #[test]
    fn every_experiment_trains_with_its_lessons_settings() {
        for sc in &SCENARIOS {
            let Some(p) = lesson_plan(sc.name) else {
                continue;
            };
            let lesson = sc.state().settings;
            let trained = plan_state(&p).settings;
            assert_eq!(trained.activation, Activation::Softmax, "{}", sc.name);
            let same = DiceSettings {
                activation: lesson.activation,
                ..trained
            };
            if p.eps.is_some() {
                assert_eq!(same, lesson, "{}", sc.name);
                assert_eq!(plan_text(&p), p.text);
            } else {
                assert_eq!(
                    DiceSettings {
                        eps_nr: lesson.eps_nr,
                        eps_dr: lesson.eps_dr,
                        ..same
                    },
                    lesson,
                    "{}",
                    sc.name
                );
                assert_eq!((trained.eps_nr, trained.eps_dr), (67.0, 67.0));
                assert!(
                    plan_text(&p).ends_with(
                        "Here ε is computed on the training images as the loss sees them: (112 + 156 + 0 + 0) / 4 = 67."
                    ),
                    "{}",
                    plan_text(&p)
                );
            }
        }
        let leaf = plan_state(&lesson_plan("leaf").unwrap()).settings;
        assert_eq!((leaf.eps_nr, leaf.eps_dr), (0.0, 1e-7));
    }

    #[test]
    fn a_plan_state_starts_where_the_network_starts() {
        let p = lesson_plan("missing-BI").unwrap();
        let s = plan_state(&p);
        assert!(s.pred_on_grid());
        let t = start(&s).unwrap();
        let prob = t.trainer.probabilities().unwrap();
        let worst = s
            .pred
            .iter()
            .zip(prob.iter())
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            worst <= 1e-4,
            "painted start is the network's output: {worst}"
        );
        // The round trip through a link keeps it.
        let back = crate::page::codec::decode(&crate::page::codec::encode(&s)).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn the_cli_input_trains_the_same_run() {
        let p = lesson_plan("empty-BI").unwrap();
        let s = plan_state(&p);
        let mut t = start(&s).unwrap();
        t.run(7);
        let input = train_input(&s, 7).unwrap().to_string();
        let out = crate::cli::train::train_str(&input).unwrap();
        let losses = out["loss"].as_array().unwrap();
        assert_eq!(losses.len(), 7);
        for (k, pt) in t.trace.iter().take(7).enumerate() {
            assert_eq!(losses[k].as_f64(), pt.loss, "loss at step {k}");
        }
        assert_eq!(out["final_loss"].as_f64(), t.trainer.loss());
    }

    #[test]
    fn a_shared_model_needs_an_activation_and_the_pixels_model_starts_from_the_painting() {
        let mut s = AppState::default_scene();
        s.train.model = ModelKind::Linear;
        assert!(start(&s).unwrap_err().contains("sigmoid or softmax"));
        s.train.model = ModelKind::Pixels;
        let t = start(&s).unwrap();
        assert_eq!(t.trainer.probabilities().unwrap(), s.pred.view());
        s.settings.activation = Activation::Sigmoid;
        let t = start(&s).unwrap();
        let prob = t.trainer.probabilities().unwrap();
        for (a, b) in s.pred.iter().zip(prob.iter()) {
            assert!((a.clamp(P_MIN, 1.0 - P_MIN) - b).abs() < 1e-12);
        }
    }
}
