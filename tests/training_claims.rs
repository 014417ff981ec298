//! What training does under each Φ and ε, on the lesson scenes of
//! `dice_playground::engine::train::scenes` (see docs/training.md): a shared model trained
//! with Adam on annotated images plus an image whose structure is not annotated and/or an
//! empty image with a distractor, background excluded.
//!
//! | setting                     | unannotated structure | distractor (false positive) |
//! |-----------------------------|-----------------------|-----------------------------|
//! | Φ = I,  ε = 1e-7            | kept                  | kept                        |
//! | Φ = BI, ε = 1e-7            | erased                | removed                     |
//! | Φ = I,  ε = mean volume     | erased                | removed                     |
//!
//! "Kept" is a mean ỹ ≥ [`KEPT`] on the object after the run, "erased"/"removed" ≤
//! [`GONE`]; the annotated structure must stay ≥ [`LEARNT`] throughout. The values seen
//! are printed (`--nocapture`) so the margins can be read off.

use dice_playground::engine::phi::Phi;
use dice_playground::engine::train::scenes::{Role, Scene, ANNOTATED, LR, STEPS, TINY_EPS};
use dice_playground::engine::train::{ModelKind, Optimizer, Trainer};

const KEPT: f64 = 0.5;
const GONE: f64 = 0.1;
const LEARNT: f64 = 0.9;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    Kept,
    Gone,
}

/// Mean ỹ on each role's objects after the recipe's run.
fn run(scene: &Scene, kind: ModelKind, phi: Phi, eps: f64) -> Vec<(Role, f64, f64)> {
    let mut t = scene.trainer(kind, phi, eps).unwrap();
    let start = t.probabilities().unwrap().to_owned();
    let report = t.train(STEPS);
    assert!(report.stopped.is_none(), "{report:?}");
    let end = t.probabilities().unwrap();
    [Role::Annotated, Role::Unannotated, Role::Empty]
        .into_iter()
        .filter_map(|r| Some((r, scene.mean_on(start.view(), r)?, scene.mean_on(end, r)?)))
        .collect()
}

fn check(scene_name: &str, scene: &Scene, phi: Phi, eps: f64, want: Outcome) {
    for kind in [ModelKind::Linear, ModelKind::Conv3x3] {
        for (role, before, after) in run(scene, kind, phi, eps) {
            eprintln!(
                "{scene_name:<8} {:<8} Φ={:<2} ε={eps:<8.3e} {role:<12?} {before:.3} → {after:.4}",
                kind.code(),
                phi.code()
            );
            let what =
                format!("{scene_name} {kind:?} Φ={phi:?} ε={eps}: {role:?} {before} → {after}");
            match role {
                Role::Annotated => assert!(after >= LEARNT, "{what}"),
                _ => match want {
                    Outcome::Kept => assert!(after >= KEPT, "kept? {what}"),
                    Outcome::Gone => assert!(after <= GONE, "gone? {what}"),
                },
            }
        }
    }
}

fn scenes() -> [(&'static str, Scene); 3] {
    [
        ("missing", Scene::missing()),
        ("empty", Scene::empty()),
        ("mixed", Scene::mixed()),
    ]
}

#[test]
fn image_wise_with_tiny_eps_keeps_the_unannotated_structure_and_the_false_positive() {
    for (name, s) in scenes() {
        check(name, &s, Phi::I, TINY_EPS, Outcome::Kept);
    }
}

#[test]
fn batch_wise_with_tiny_eps_removes_the_false_positive_and_erases_the_unannotated_structure() {
    for (name, s) in scenes() {
        check(name, &s, Phi::BI, TINY_EPS, Outcome::Gone);
    }
}

#[test]
fn image_wise_with_the_mean_volume_as_eps_removes_and_erases_both() {
    for (name, s) in scenes() {
        let eps = s.mean_true_volume();
        check(name, &s, Phi::I, eps, Outcome::Gone);
    }
}

/// With one image per batch each batch-wise set is one image's set: the same run.
#[test]
fn batch_wise_with_batch_size_one_is_image_wise() {
    for role in [Role::Annotated, Role::Unannotated, Role::Empty] {
        let s = Scene::new(&[role]);
        for kind in [ModelKind::Linear, ModelKind::Conv3x3] {
            let mut bi = s.trainer(kind, Phi::BI, TINY_EPS).unwrap();
            let mut i = s.trainer(kind, Phi::I, TINY_EPS).unwrap();
            assert_eq!(bi.train(50), i.train(50), "{role:?} {kind:?}");
            assert_eq!(bi.model(), i.model());
        }
    }
}

/// Batch-wise sets push the unannotated structure down whatever it looks like, but a
/// model can only erase what it can tell apart from the annotated structures: at the
/// annotated intensity it stays.
#[test]
fn batch_wise_cannot_erase_what_looks_like_the_annotated_structure() {
    let roles = [Role::Annotated, Role::Annotated, Role::Unannotated];
    let same = Scene::with_unannotated_intensity(&roles, ANNOTATED);
    for kind in [ModelKind::Linear, ModelKind::Conv3x3] {
        let mut t = same.trainer(kind, Phi::BI, TINY_EPS).unwrap();
        // The loss does push it down (∂L/∂ỹ > 0 on its pixels) …
        let e = t.evaluation().unwrap();
        for ((i, j), &m) in same.objects[2].indexed_iter() {
            if m {
                assert!(e.grad_prob[[2, 1, i, j]] > 0.0);
            }
        }
        // … yet after training it is predicted as surely as the annotated ones.
        assert!(t.train(STEPS).stopped.is_none());
        let p = t.probabilities().unwrap();
        let (hidden, seen) = (
            same.mean_on(p, Role::Unannotated).unwrap(),
            same.mean_on(p, Role::Annotated).unwrap(),
        );
        eprintln!(
            "same-look {:<8} unannotated {hidden:.4} annotated {seen:.4}",
            kind.code()
        );
        assert!(
            hidden >= LEARNT && seen >= LEARNT,
            "{kind:?}: {hidden} {seen}"
        );
    }
}

/// Free logits only integrate the gradient map. With plain gradient descent the tiny
/// push on the unannotated image (ε = 1e-7, Φ = I; ≈ 1e-13 per logit here) moves nothing.
/// Adam divides each parameter's step by that parameter's own gradient scale, so a push
/// far above its `eps` becomes a full step of size lr however tiny it is next to the
/// others: with eps = 1e-15 the structure is erased. PyTorch's default eps = 1e-8 is above
/// this scene's push, and then Adam leaves it too.
#[test]
fn adam_turns_a_tiny_push_on_free_logits_into_full_steps_unless_eps_hides_it() {
    let s = Scene::missing();
    let start = s.start_model(ModelKind::Pixels);
    let settings = Scene::settings(Phi::I, TINY_EPS);
    let train = |opt| {
        let mut t = Trainer::new(s.y.clone(), None, settings, start.clone(), opt).unwrap();
        let g = t.gradient().unwrap();
        assert!(t.train(STEPS).stopped.is_none());
        let p = t.probabilities().unwrap();
        let hidden = s.mean_on(p, Role::Unannotated).unwrap();
        (hidden, s.mean_on(p, Role::Annotated).unwrap(), g)
    };
    let before = {
        let t = Trainer::new(
            s.y.clone(),
            None,
            settings,
            start.clone(),
            Optimizer::sgd(1.0),
        );
        s.mean_on(t.unwrap().probabilities().unwrap(), Role::Unannotated)
            .unwrap()
    };
    let adam = |eps| Optimizer::Adam {
        lr: LR,
        beta1: 0.9,
        beta2: 0.999,
        eps,
    };
    let (sgd, sgd_seen, g) = train(Optimizer::sgd(200.0));
    let (adam_default, _, _) = train(adam(Optimizer::ADAM_EPS));
    let (adam_tiny_eps, adam_seen, _) = train(adam(1e-15));
    // The push on the unannotated image's structure logits, for the record.
    let n = s.y.len() / s.batch();
    let push = g[2 * n..].iter().fold(0.0f64, |m, &v| m.max(v.abs()));
    eprintln!(
        "pixels: unannotated {before:.4} → SGD {sgd:.4}, Adam(eps 1e-8) {adam_default:.4}, \
         Adam(eps 1e-15) {adam_tiny_eps:.4}; largest push there {push:.2e}"
    );
    assert!(push > 1e-15 && push < 1e-10, "{push}");
    assert!((sgd - before).abs() < 1e-6, "{before} → {sgd}");
    assert!(
        (adam_default - before).abs() < 1e-2,
        "{before} → {adam_default}"
    );
    assert!(adam_tiny_eps <= GONE, "{adam_tiny_eps}");
    assert!(sgd_seen >= LEARNT && adam_seen >= LEARNT);
}
