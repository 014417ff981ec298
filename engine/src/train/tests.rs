use ndarray::{Array3, Array4};

use super::*;
use crate::activation::Activation;
use crate::phi::Phi;

/// Deterministic values in [0, 1).
fn unit(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = crate::rng::Rng::new(seed, 0);
    (0..n).map(|_| rng.uniform()).collect()
}

const SHAPE: (usize, usize, usize, usize) = (2, 3, 4, 5);

/// Hard labels with some foreground in most cells, an image, logits.
fn data(seed: u64) -> (Array4<f64>, Array3<f64>, Array4<f64>) {
    let (b, c, h, w) = SHAPE;
    let y = Array4::from_shape_vec(SHAPE, unit(b * c * h * w, seed))
        .unwrap()
        .mapv(|u| f64::from(u < 0.4));
    let x = Array3::from_shape_vec((b, h, w), unit(b * h * w, seed + 1)).unwrap();
    let z = Array4::from_shape_vec(SHAPE, unit(b * c * h * w, seed + 2))
        .unwrap()
        .mapv(|u| 4.0 * u - 2.0);
    (y, x, z)
}

fn model(kind: ModelKind, seed: u64) -> Model {
    let c = SHAPE.1;
    let signed = |n, s| unit(n, s).into_iter().map(|u| 2.0 * u - 1.0).collect();
    match kind {
        ModelKind::Pixels => Model::pixels(data(seed).2).unwrap(),
        _ => Model::shared(
            kind,
            signed(c * kind.weights_per_class(), seed),
            signed(c, seed + 9),
        )
        .unwrap(),
    }
}

fn settings(phi: Phi, activation: Activation) -> DiceSettings {
    DiceSettings {
        phi,
        activation,
        ..DiceSettings::default()
    }
}

fn trainer(kind: ModelKind, s: DiceSettings, opt: Optimizer) -> Trainer {
    let (y, x, _) = data(3);
    Trainer::new(y, Some(x), s, model(kind, 4), opt).unwrap()
}

/// The loss at parameters θ of a model of `kind`, built from scratch.
fn loss_at(kind: ModelKind, theta: &[f64], s: &DiceSettings) -> f64 {
    let (y, x, _) = data(3);
    let m = match kind {
        ModelKind::Pixels => Model::pixels(Array4::from_shape_vec(SHAPE, theta.to_vec()).unwrap()),
        _ => {
            let nw = SHAPE.1 * kind.weights_per_class();
            Model::shared(kind, theta[..nw].to_vec(), theta[nw..].to_vec())
        }
    }
    .unwrap();
    Trainer::new(y, Some(x), *s, m, Optimizer::sgd(0.0))
        .unwrap()
        .loss()
        .unwrap()
}

#[test]
fn parameter_gradients_match_central_differences() {
    let mut cases = Vec::new();
    for kind in ModelKind::ALL {
        for act in [Activation::Sigmoid, Activation::Softmax] {
            for phi in Phi::ALL {
                cases.push((kind, settings(phi, act)));
            }
        }
        cases.push((
            kind,
            DiceSettings {
                squared: true,
                jaccard: true,
                include_background: false,
                eps_nr: 0.3,
                eps_dr: 1e-7,
                ..settings(Phi::BI, Activation::Softmax)
            },
        ));
    }
    for (kind, s) in cases {
        let t = trainer(kind, s, Optimizer::sgd(0.1));
        let grad = t.gradient().unwrap();
        let theta = t.model().params().to_vec();
        assert_eq!(grad.len(), theta.len());
        let h = 1e-5;
        for k in 0..theta.len() {
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[k] += h;
            down[k] -= h;
            let fd = (loss_at(kind, &up, &s) - loss_at(kind, &down, &s)) / (2.0 * h);
            assert!(
                (fd - grad[k]).abs() < 1e-8 * (1.0 + fd.abs()),
                "{kind:?} {s:?} θ[{k}]: finite difference {fd}, gradient {}",
                grad[k]
            );
        }
    }
}

#[test]
fn sgd_moves_each_parameter_by_lr_times_its_gradient() {
    for kind in ModelKind::ALL {
        let mut t = trainer(
            kind,
            settings(Phi::I, Activation::Sigmoid),
            Optimizer::sgd(0.25),
        );
        let (before, g, l0) = (t.model().params().to_vec(), t.gradient().unwrap(), t.loss());
        assert_eq!(t.step().ok(), l0);
        for ((&a, &b), &g) in before.iter().zip(t.model().params()).zip(&g) {
            assert_eq!(b, a - 0.25 * g);
        }
        assert_eq!(t.step_count(), 1);
    }
}

/// After one Adam step m = (1 − β₁)g and v = (1 − β₂)g², so the bias corrections leave
/// θ₁ = θ₀ − lr·g/(|g| + eps), whatever the betas.
#[test]
fn adams_first_step_is_lr_times_the_gradients_sign() {
    for (beta1, beta2, eps) in [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3), (0.0, 0.0, 0.0)] {
        let opt = Optimizer::Adam {
            lr: 0.01,
            beta1,
            beta2,
            eps,
        };
        let mut t = trainer(
            ModelKind::Conv3x3,
            settings(Phi::BI, Activation::Softmax),
            opt,
        );
        let (before, g) = (t.model().params().to_vec(), t.gradient().unwrap());
        t.step().unwrap();
        for ((&a, &b), &g) in before.iter().zip(t.model().params()).zip(&g) {
            let want = a - 0.01 * g / (g.abs() + eps);
            assert!((b - want).abs() < 1e-15, "{b} vs {want}");
        }
    }
}

/// Adam against the update written out with its moments, over several steps.
#[test]
fn adam_keeps_its_moments_across_steps() {
    let (lr, b1, b2, eps) = (0.05, 0.8, 0.99, 1e-6);
    let opt = Optimizer::Adam {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
    };
    let mut t = trainer(
        ModelKind::Linear,
        settings(Phi::CI, Activation::Sigmoid),
        opt,
    );
    let n = t.model().params().len();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    for step in 1..=5 {
        let (theta, g) = (t.model().params().to_vec(), t.gradient().unwrap());
        t.step().unwrap();
        for k in 0..n {
            m[k] = b1 * m[k] + (1.0 - b1) * g[k];
            v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
            let mhat = m[k] / (1.0 - b1.powi(step));
            let vhat = v[k] / (1.0 - b2.powi(step));
            let want = theta[k] - lr * mhat / (vhat.sqrt() + eps);
            let got = t.model().params()[k];
            assert!(
                (got - want).abs() < 1e-13,
                "step {step} θ[{k}]: {got} vs {want}"
            );
        }
    }
}

#[test]
fn step_returns_the_loss_before_it_and_train_matches_steps() {
    let s = settings(Phi::BI, Activation::Softmax);
    let mut a = trainer(ModelKind::Conv3x3, s, Optimizer::adam(0.05));
    let mut by_step = Vec::new();
    for _ in 0..20 {
        let before = a.loss().unwrap();
        let l = a.step().unwrap();
        assert_eq!(l, before);
        by_step.push(l);
    }
    let mut b = trainer(ModelKind::Conv3x3, s, Optimizer::adam(0.05));
    let report = b.train(20);
    assert_eq!(report.losses, by_step);
    assert_eq!(report.final_loss, a.loss());
    assert_eq!(report.stopped, None);
    assert_eq!(b.model(), a.model());
    // Training lowers the loss here (the point of the exercise).
    assert!(report.final_loss.unwrap() < report.losses[0] - 0.05);
    // Reset goes back to step 0 and the same run again.
    b.reset();
    assert_eq!(b.step_count(), 0);
    assert_eq!(b.loss(), Some(by_step[0]));
    assert_eq!(b.train(20).losses, by_step);
    // A run of 0 steps reports only the loss where it stands.
    let r = b.train(0);
    assert!(r.losses.is_empty() && r.final_loss == a.loss() && r.stopped.is_none());
}

#[test]
fn probabilities_and_logits_follow_the_parameters() {
    let s = settings(Phi::I, Activation::Sigmoid);
    let mut t = trainer(ModelKind::Linear, s, Optimizer::sgd(1.0));
    t.train(3);
    let (w, b) = (t.model().weights().to_vec(), t.model().biases().to_vec());
    let x = t.image().unwrap().to_owned();
    for ((bi, c, i, j), &z) in t.logits().indexed_iter() {
        assert_eq!(z, w[c] * x[[bi, i, j]] + b[c]);
        let p = t.probabilities().unwrap()[[bi, c, i, j]];
        assert_eq!(p, crate::activation::sigmoid(z));
    }
}

#[test]
fn set_lr_keeps_the_state_and_set_settings_reevaluates() {
    let s = settings(Phi::I, Activation::Softmax);
    let mut a = trainer(ModelKind::Linear, s, Optimizer::adam(0.1));
    let mut b = a.clone();
    a.train(3);
    b.train(3);
    a.set_lr(0.01).unwrap();
    assert_eq!(a.optimizer().lr(), 0.01);
    assert!(matches!(
        a.set_lr(-1.0),
        Err(TrainError::BadOptimizer { name: "lr", .. })
    ));
    let p0 = a.model().params().to_vec();
    a.step().unwrap();
    b.step().unwrap();
    // Same moments, a tenth of the step.
    for ((&pa, &pb), &p0) in a.model().params().iter().zip(b.model().params()).zip(&p0) {
        assert!(((pa - p0) * 10.0 - (pb - p0)).abs() < 1e-12);
    }
    let bi = settings(Phi::BI, Activation::Softmax);
    a.set_settings(bi).unwrap();
    let mut fresh = trainer(ModelKind::Linear, bi, Optimizer::adam(0.1));
    fresh.model = a.model().clone();
    fresh.full = std::cell::OnceCell::new();
    assert_eq!(a.loss(), fresh.loss());
    let bad = DiceSettings { eps_nr: -1.0, ..bi };
    assert!(a.set_settings(bad).is_err());
    assert_eq!(*a.settings(), bi);
}

/// Image 0 has a labelled bar, image 1 is black and unlabelled; x = 0 there, so its
/// logits are the shared bias β alone.
fn bar_and_black() -> (Array4<f64>, Array3<f64>) {
    let (h, w) = (3, 4);
    let mut x = Array3::zeros((2, h, w));
    let mut y = Array4::zeros((2, 1, h, w));
    for j in 0..2 {
        x[[0, 1, j]] = 1.0;
        y[[0, 0, 1, j]] = 1.0;
    }
    (y, x)
}

/// With ε only in the numerator the black image's term is 1 − ε_nr/Ṽ: its push on β grows
/// like 1/ỹ as ỹ falls, so plain gradient descent sinks β faster and faster until ỹ
/// underflows to exactly 0 and the term is ε_nr/0.
#[test]
fn a_loss_that_becomes_undefined_mid_run_stops_training_there() {
    let (y, x) = bar_and_black();
    let s = DiceSettings {
        eps_nr: 1.0,
        eps_dr: 0.0,
        ..settings(Phi::I, Activation::Sigmoid)
    };
    let m = Model::linear(vec![1.0], vec![0.0]).unwrap();
    let mut t = Trainer::new(y, Some(x), s, m, Optimizer::sgd(20.0)).unwrap();
    let r = t.train(50);
    let stop = r.stopped.clone().expect("the run must become undefined");
    assert!(stop.step > 2 && stop.step < 50, "{stop:?}");
    assert_eq!(r.losses.len(), stop.step);
    assert!(r.losses.iter().all(|l| l.is_finite()));
    assert_eq!(r.final_loss, None);
    assert!(
        stop.reason.contains("ε_nr/0") && stop.reason.contains("(b=1, c=0)"),
        "{stop:?}"
    );
    assert!(t.model().biases()[0] < -745.0);
    // Stopped for good: nothing moves, the same answer every time.
    let before = t.model().clone();
    assert_eq!(t.step(), Err(stop.clone()));
    assert_eq!(t.train(5).stopped, Some(stop));
    assert_eq!(t.model(), &before);
    assert!(t.gradient().is_none());
    assert!(t.evaluation().is_some() && t.loss().is_none());
}

/// With ε = 0 an empty set gives no push at all, so only a jump can empty it: one huge
/// step sinks β below the underflow of the sigmoid and the black image's set is 0/0.
#[test]
fn a_loss_that_becomes_zero_over_zero_stops_training_there() {
    let (y, x) = bar_and_black();
    let s = DiceSettings {
        eps_nr: 0.0,
        eps_dr: 0.0,
        ..settings(Phi::I, Activation::Sigmoid)
    };
    let m = Model::linear(vec![1.0], vec![0.0]).unwrap();
    let mut t = Trainer::new(y, Some(x), s, m, Optimizer::sgd(1e5)).unwrap();
    let r = t.train(10);
    let stop = r.stopped.expect("the run must hit 0/0");
    assert_eq!((stop.step, r.losses.len(), r.final_loss), (1, 1, None));
    assert!(
        stop.reason.contains("0/0") && stop.reason.contains("(b=1, c=0)"),
        "{stop:?}"
    );
}

#[test]
fn an_undefined_loss_at_the_start_is_a_stop_at_step_0() {
    let y = Array4::zeros((1, 1, 1, 2));
    let z = Array4::zeros((1, 1, 1, 2));
    let s = DiceSettings {
        eps_nr: 0.0,
        eps_dr: 0.0,
        ..DiceSettings::default()
    };
    let mut t = Trainer::new(y, None, s, Model::pixels(z).unwrap(), Optimizer::sgd(1.0)).unwrap();
    let r = t.train(3);
    assert_eq!(r.losses, Vec::<f64>::new());
    assert_eq!(r.final_loss, None);
    assert_eq!(r.stopped.unwrap().step, 0);
}

/// Without an activation the pixels model's logits are the probabilities, and a large
/// step takes them out of [0, 1]: training stops with the engine's message.
#[test]
fn a_prediction_leaving_the_unit_interval_stops_training() {
    let y = Array4::from_shape_vec((1, 1, 1, 3), vec![1.0, 0.0, 0.0]).unwrap();
    let z = Array4::from_elem((1, 1, 1, 3), 0.5);
    let m = Model::pixels(z).unwrap();
    let mut t = Trainer::new(y, None, DiceSettings::default(), m, Optimizer::sgd(10.0)).unwrap();
    let r = t.train(10);
    let stop = r.stopped.unwrap();
    assert_eq!((stop.step, r.losses.len()), (1, 1));
    assert!(
        stop.reason.contains("must lie in [0, 1]"),
        "{}",
        stop.reason
    );
    assert!(t.evaluation().is_none() && t.probabilities().is_none());
    // The parameters are those after the step that left the range.
    assert!(t.model().params().iter().any(|p| !(0.0..=1.0).contains(p)));
}

#[test]
fn an_update_that_would_overflow_is_refused() {
    let s = settings(Phi::I, Activation::Sigmoid);
    let mut t = trainer(ModelKind::Linear, s, Optimizer::adam(1e308));
    let before = t.model().clone();
    let l0 = t.loss();
    let stop = t.step().unwrap_err();
    assert_eq!(stop.step, 0);
    assert!(stop.reason.contains("overflow"), "{}", stop.reason);
    assert_eq!(t.model(), &before);
    assert_eq!(t.loss(), l0);
    let r = t.train(3);
    assert_eq!(
        (r.losses.len(), r.final_loss, r.stopped.map(|s| s.step)),
        (0, l0, Some(0))
    );
    // A smaller learning rate lets it go on.
    t.set_lr(0.1).unwrap();
    assert!(t.step().is_ok());
}

#[test]
fn logits_that_overflow_stop_training() {
    let y = Array4::from_shape_vec((1, 2, 1, 2), vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    let x = Array3::from_shape_vec((1, 1, 2), vec![1.0, 1.0]).unwrap();
    let m = Model::linear(vec![1e308, 0.0], vec![1e308, 0.0]).unwrap();
    let s = settings(Phi::I, Activation::Softmax);
    let err = Trainer::new(y, Some(x), s, m, Optimizer::sgd(1.0)).unwrap_err();
    assert!(err.to_string().contains("not a finite number"), "{err}");
}

#[test]
fn bad_inputs_are_refused_with_a_reason() {
    let (y, x, z) = data(1);
    let s = settings(Phi::I, Activation::Sigmoid);
    let lin = || model(ModelKind::Linear, 2);
    let new = |y: Array4<f64>, x, s, m, o| Trainer::new(y, x, s, m, o).unwrap_err();
    let sgd = Optimizer::sgd(0.1);
    assert!(matches!(
        new(y.clone(), None, s, lin(), sgd),
        TrainError::ImageMissing(ModelKind::Linear)
    ));
    let small = Array3::zeros((2, 4, 4));
    assert!(matches!(
        new(y.clone(), Some(small), s, lin(), sgd),
        TrainError::ImageShape { .. }
    ));
    let mut bright = x.clone();
    bright[[1, 2, 3]] = 1.5;
    assert!(matches!(
        new(y.clone(), Some(bright), s, lin(), sgd),
        TrainError::ImageOutOfRange {
            index: 33,
            value: 1.5
        }
    ));
    let two = Model::linear(vec![0.0; 2], vec![0.0; 2]).unwrap();
    assert!(matches!(
        new(y.clone(), Some(x.clone()), s, two, sgd),
        TrainError::ClassMismatch {
            model: 2,
            labels: 3
        }
    ));
    let wrong = Model::pixels(Array4::zeros((2, 3, 5, 4))).unwrap();
    assert!(matches!(
        new(y.clone(), None, s, wrong, sgd),
        TrainError::PixelShape { .. }
    ));
    for (opt, name) in [
        (Optimizer::sgd(-0.1), "lr"),
        (Optimizer::sgd(f64::NAN), "lr"),
        (
            Optimizer::Adam {
                lr: 0.1,
                beta1: 1.0,
                beta2: 0.9,
                eps: 1e-8,
            },
            "beta1",
        ),
        (
            Optimizer::Adam {
                lr: 0.1,
                beta1: 0.9,
                beta2: -0.1,
                eps: 1e-8,
            },
            "beta2",
        ),
        (
            Optimizer::Adam {
                lr: 0.1,
                beta1: 0.9,
                beta2: 0.9,
                eps: f64::INFINITY,
            },
            "eps",
        ),
    ] {
        match new(y.clone(), Some(x.clone()), s, lin(), opt) {
            TrainError::BadOptimizer { name: n, .. } => assert_eq!(n, name),
            other => panic!("{opt:?}: {other}"),
        }
    }
    // The loss's own checks: settings, and probabilities without an activation.
    let one = Array4::zeros((1, 1, 1, 2));
    let bad = settings(Phi::I, Activation::Softmax);
    let m = Model::pixels(one.clone()).unwrap();
    assert!(matches!(
        new(one.clone(), None, bad, m, sgd),
        TrainError::Loss(DiceError::SoftmaxOneClass(1))
    ));
    let m = Model::pixels(z).unwrap();
    let none = settings(Phi::I, Activation::None);
    assert!(matches!(
        new(y, None, none, m, sgd),
        TrainError::Loss(DiceError::ProbabilityOutOfRange { .. })
    ));
}

#[test]
fn runs_are_deterministic() {
    for kind in ModelKind::ALL {
        let s = settings(Phi::BCI, Activation::Softmax);
        let a = trainer(kind, s, Optimizer::adam(0.02)).train(15);
        let b = trainer(kind, s, Optimizer::adam(0.02)).train(15);
        assert_eq!(a, b);
    }
}
