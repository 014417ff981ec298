//! The lessons' training experiments: for a lesson about missing or empty labels, a
//! small shared network trained on a scene of the engine's training scenes with the
//! lesson's settings, and what its run should do to each image's object. Their words are
//! [`super::prose::experiment`].

use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::train::scenes::{self, Role, Scene};
use crate::engine::train::{ModelKind, Optimizer};
use crate::engine::variants::Variant;
use crate::page::judge::{heuristic_eps, heuristic_eps_explained};
use crate::page::levels::{normalised, quantize};
use crate::page::state::{AppState, TrainSettings};
use crate::page::training::start;

use super::prose::experiment;

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
    /// An unannotated image read as empty instead (its status only: the loss sees the
    /// same zeros either way), for the lesson of one scene read two ways.
    pub read_as_empty: Option<usize>,
}

const MISSING: &[Role] = &[Role::Annotated, Role::Annotated, Role::Unannotated];
const EMPTY: &[Role] = &[Role::Annotated, Role::Annotated, Role::Empty];
/// Two labelled images and the same unannotated look twice (one of them read as empty).
const TWICE: &[Role] = &[
    Role::Annotated,
    Role::Annotated,
    Role::Unannotated,
    Role::Unannotated,
];
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
        read_as_empty: None,
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
        "missing-I" => plan(
            MISSING,
            Phi::I,
            TINY,
            PLAIN,
            experiment::MISSING_I,
            &[(A, Kept), (U, Kept)],
        ),
        "missing-BI" => plan(
            MISSING,
            Phi::BI,
            TINY,
            PLAIN,
            experiment::MISSING_BI,
            &[(A, Kept), (U, Gone)],
        ),
        "empty-I" => plan(
            EMPTY,
            Phi::I,
            TINY,
            PLAIN,
            experiment::EMPTY_I,
            &[(A, Kept), (E, Kept)],
        ),
        "empty-BI" => plan(
            EMPTY,
            Phi::BI,
            TINY,
            PLAIN,
            experiment::EMPTY_BI,
            &[(A, Kept), (E, Gone)],
        ),
        "heuristic-eps" => plan(
            MIXED,
            Phi::I,
            None,
            PLAIN,
            experiment::HEURISTIC_EPS,
            &[(A, Kept), (U, Gone), (E, Gone)],
        ),
        "missing-bg" => plan(
            MISSING,
            Phi::I,
            TINY,
            (true, Variant::Dice),
            experiment::MISSING_BG,
            &[(A, Kept), (U, Gone)],
        ),
        "marginal" => plan(
            MIXED,
            Phi::I,
            TINY,
            (true, Variant::Marginal),
            experiment::MARGINAL,
            &[(A, Kept), (U, Kept), (E, Gone)],
        ),
        "leaf" => plan(
            MIXED,
            Phi::I,
            LEAF,
            (false, Variant::Leaf),
            experiment::LEAF,
            &[(A, Kept), (U, Kept), (E, Kept)],
        ),
        "leaf-bg" => plan(
            MIXED,
            Phi::I,
            LEAF,
            (true, Variant::Leaf),
            experiment::LEAF_BG,
            &[(A, Kept), (U, Gone), (E, Gone)],
        ),
        "two-readings" => Plan {
            read_as_empty: Some(3),
            ..plan(
                TWICE,
                Phi::BI,
                TINY,
                PLAIN,
                experiment::TWO_READINGS,
                &[(A, Kept), (U, Gone)],
            )
        },
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
    if let Some(b) = p.read_as_empty {
        s.status[(b, 1)] = LabelStatus::Empty;
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
        let eps = heuristic_eps(&s).unwrap_or(scenes::TINY_EPS);
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
    match heuristic_eps_explained(&scene_state(p)) {
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
    use crate::engine::activation::Activation;
    use crate::page::lessons::SCENARIOS;
    use crate::page::training::Training;

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
}
