//! The page and the command line compute the same thing: the `dice eval` and `dice train`
//! inputs the page writes (`diceDebug.cliInput()`, `trainInput()`) give, through the CLI,
//! the loss, gradient and training run the page shows. Here, beside both layers, because
//! the page itself never uses the CLI.

use dice_playground::cli;
use dice_playground::engine::activation::Activation;
use dice_playground::engine::phi::Phi;
use dice_playground::engine::status::LabelStatus;
use dice_playground::page::change::Change;
use dice_playground::page::cli_input::{cli_input, shown_input, train_input};
use dice_playground::page::derived::Derived;
use dice_playground::page::lessons::experiments::{lesson_plan, plan_state};
use dice_playground::page::model::{EpsField, Model};
use dice_playground::page::msg::{
    DisplayMsg, HelperKind, LessonMsg, Msg, PageMsg, PaintMsg, Preset, SettingsMsg, TrainMsg,
};
use dice_playground::page::paint::Layer;
use dice_playground::page::state::AppState;
use dice_playground::page::training::start;
use dice_playground::page::update::update;

fn model() -> Model {
    Model::new(AppState::default_scene())
}

fn paint_pred(m: &mut Model, b: usize, c: usize, path: &[(f64, f64)]) -> Change {
    let mut ch = update(
        m,
        Msg::Paint(PaintMsg::StrokeStart {
            layer: Layer::Pred,
            b,
            c,
            at: path[0],
            erase: false,
        }),
    );
    for &at in &path[1..] {
        ch.merge(update(m, Msg::Paint(PaintMsg::StrokeMove { at })));
    }
    ch.merge(update(m, Msg::Paint(PaintMsg::StrokeEnd)));
    ch
}

#[test]
fn cli_input_reproduces_the_engine() {
    let mut s = AppState::default_scene();
    s.settings.phi = Phi::BI;
    s.settings.eps_nr = 1e-7;
    s.settings.activation = Activation::Softmax;
    let doc = cli_input(&s).to_string();
    let out = cli::eval_str(&doc).unwrap();
    let e = dice_playground::engine::loss::evaluate_probs(
        s.loss_labels().view(),
        s.pred.clone(),
        &s.settings,
    )
    .unwrap();
    assert_eq!(out["loss"].as_f64(), e.loss);
    // The CLI sees probabilities, so its `grad_prob` (and its `grad`) is the page's
    // ∂DL/∂ỹ exactly; the page's ∂DL/∂z is that through the softmax.
    let cli_grad: Vec<f64> = out["grad_prob"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(cli_grad, e.grad_prob.iter().copied().collect::<Vec<_>>());
    assert_eq!(out["grad"], out["grad_prob"]);
    let z = Activation::Softmax.backward(e.prob.view(), e.grad_prob.view());
    assert_eq!(&z, e.grad());
    assert_ne!(e.grad(), &e.grad_prob);
}

#[test]
fn cli_input_carries_the_variant_and_the_missing_cells() {
    for name in ["marginal", "leaf", "missing-I"] {
        let s = dice_playground::page::lessons::scenario(name)
            .unwrap()
            .state();
        let out = cli::eval_str(&cli_input(&s).to_string()).unwrap();
        let (_, e) = dice_playground::page::judge::evaluate_state(&s).unwrap();
        assert_eq!(out["loss"].as_f64(), e.loss, "{name}");
        let cli: Vec<f64> = out["grad_prob"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(
            cli,
            e.grad_prob.iter().copied().collect::<Vec<_>>(),
            "{name}"
        );
    }
}

#[test]
fn the_cli_input_trains_the_same_run() {
    let p = lesson_plan("empty-BI").unwrap();
    let s = plan_state(&p);
    let mut t = start(&s).unwrap();
    t.run(7);
    let input = train_input(&s, 7).unwrap().to_string();
    let out = cli::train::train_str(&input).unwrap();
    let losses = out["loss"].as_array().unwrap();
    assert_eq!(losses.len(), 7);
    for (k, pt) in t.trace.iter().take(7).enumerate() {
        assert_eq!(losses[k].as_f64(), pt.loss, "loss at step {k}");
    }
    assert_eq!(out["final_loss"].as_f64(), t.trainer.loss());
}

/// After any sequence of actions, the loss the page computes is what `dice eval`
/// computes on the page's input, and painting leaves the other images' gradient views
/// alone under Φ = I.
#[test]
fn the_derived_loss_follows_every_action() {
    let mut m = model();
    let mut d = Derived::new(&m);
    let msgs = [
        Msg::Settings(SettingsMsg::Phi(Phi::BI)),
        Msg::Settings(SettingsMsg::EpsSlider {
            field: EpsField::First,
            pos: 3,
        }),
        Msg::Settings(SettingsMsg::Squared(true)),
        Msg::Settings(SettingsMsg::Status {
            b: 1,
            c: 1,
            status: LabelStatus::Missing,
        }),
        Msg::Settings(SettingsMsg::Activation(Activation::Softmax)),
        Msg::Paint(PaintMsg::Helper(HelperKind::Blur)),
        Msg::Paint(PaintMsg::Undo),
        Msg::Settings(SettingsMsg::IncludeBackground(false)),
        Msg::Settings(SettingsMsg::Preset(Preset::named("keras"))),
        Msg::Page(PageMsg::Size { b: 3, c: 3, n: 16 }),
        Msg::Lesson(LessonMsg::Open(4)),
        Msg::Settings(SettingsMsg::HeuristicEps),
        Msg::Page(PageMsg::Reset),
    ];
    for msg in msgs {
        let ch = update(&mut m, msg.clone());
        d.refresh(&m, &ch);
        let input = cli_input(&m.state).to_string();
        let cli = cli::eval_str(&input).unwrap();
        let shown = d.eval.as_ref().ok().and_then(|e| e.loss);
        assert_eq!(shown, cli["loss"].as_f64(), "after {msg:?}");
    }
    // Per-cell colour scales, so one cell's new maximum does not rescale the others.
    for msg in [
        Msg::Settings(SettingsMsg::Phi(Phi::I)),
        Msg::Display(DisplayMsg::SharedScale(false)),
    ] {
        let ch = update(&mut m, msg);
        d.refresh(&m, &ch);
    }
    let ch = paint_pred(&mut m, 1, 1, &[(3.0, 3.0), (9.0, 9.0)]);
    let fresh = d.refresh(&m, &ch);
    assert!(fresh.evaluated);
    assert!(
        fresh.grads[(1, 1)],
        "the painted cell's gradient is redrawn"
    );
    assert!(!fresh.grads[(0, 1)], "image 0's own set did not change");
    let gen = d.data_gen;
    let ch = update(&mut m, Msg::Display(DisplayMsg::Symlog(false)));
    let fresh = d.refresh(&m, &ch);
    assert!(!fresh.evaluated && fresh.rescaled && d.data_gen == gen);
}

/// Fuzz finding (issue 15): `diceDebug.cliInput()` gave the painted page while the
/// page showed the trained model's loss. `cli_input::shown_input` is what the page evaluates.
#[test]
fn the_shown_input_is_what_the_page_evaluates_while_training() {
    let mut m = model();
    update(
        &mut m,
        Msg::Settings(SettingsMsg::Activation(Activation::Softmax)),
    );
    let mut d = Derived::new(&m);
    for msg in [
        Msg::Train(TrainMsg::Step),
        Msg::Train(TrainMsg::Step),
        Msg::Settings(SettingsMsg::Phi(Phi::BI)),
        Msg::Train(TrainMsg::Step),
    ] {
        let ch = update(&mut m, msg.clone());
        d.refresh(&m, &ch);
        let trainer = m.train.session.as_ref().map(|t| &t.trainer);
        let input = shown_input(&m.state, trainer).to_string();
        let cli = cli::eval_str(&input).unwrap();
        let shown = d.eval.as_ref().ok().and_then(|e| e.loss);
        assert_eq!(shown, cli["loss"].as_f64(), "after {msg:?}");
        let painted = cli::eval_str(&cli_input(&m.state).to_string());
        assert_ne!(
            painted.unwrap()["loss"].as_f64(),
            shown,
            "the painted page differs"
        );
    }
}
