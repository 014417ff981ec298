//! The Train panel: play / pause, one step, reset, the model, the optimiser, the
//! learning rate, the speed, and the step counter.

use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::engine::train::ModelKind;
use crate::page::entry::{lr_position, LR_STOPS};
use crate::page::model::Model;
use crate::page::msg::{Msg, OptimizerKind, TrainMsg};
use crate::page::state::MAX_SPEED;
use crate::present::format;
use crate::web::dispatch::Dispatch;
use crate::web::dom::{self, JsResult};

use super::widgets::{
    button, checkbox, labelled, on_check, pressed, range, row, section, select, set_checked,
    set_select, set_value, text_input,
};

pub struct TrainPanel {
    play: HtmlButtonElement,
    count: HtmlElement,
    model: HtmlSelectElement,
    model_note: HtmlElement,
    optimizer: HtmlSelectElement,
    lr: HtmlInputElement,
    lr_slider: HtmlInputElement,
    speed: HtmlInputElement,
    speed_out: HtmlElement,
    images: HtmlInputElement,
    status: HtmlElement,
}

fn model_note(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Pixels => "One free logit per pixel and class: training only integrates the gradient map, nothing is learned across images. Train it with SGD: Adam divides each step by √v̂ + eps, so a push well above its eps (1e-8) becomes a step of about lr however small it is, while one far below eps does not.",
        ModelKind::Linear => "z = w·x + β per class: a per-pixel logistic regression on the image, shared by all images, so what it learns on the labelled images applies to the others.",
        ModelKind::Conv3x3 => "A 3×3 convolution of the image per class plus a bias, shared by all images: a network that generalises from the labelled images to those that look alike.",
    }
}

impl TrainPanel {
    pub fn build(root: &Element, d: &Dispatch) -> JsResult<TrainPanel> {
        let p = section(
            root,
            "Train",
            "Train a small model with gradient descent under the chosen Φ and ε and watch what it does to missing and empty labels",
        )?;
        p.set_id("train-panel");
        let r = row(&p, "buttons train-buttons")?;
        let play = button(
            &r,
            "train-play",
            "▶ Play",
            "Train step after step (Space pauses)",
        )?;
        dom::set_attr(&play, "data-testid", "train-play");
        let step = button(&r, "train-step", "Step", "One step of gradient descent")?;
        dom::set_attr(&step, "data-testid", "train-step");
        let reset = button(
            &r,
            "train-reset",
            "Reset",
            "Back to the prediction before training",
        )?;
        dom::set_attr(&reset, "data-testid", "train-reset");
        let count = dom::text_el("span", "train-count", "step 0")?;
        dom::set_attr(&count, "data-testid", "train-count");
        dom::set_data(&count, "step", "0");
        dom::set_attr(&count, "aria-live", "off");
        dom::append(&r, &count)?;
        {
            let b = play.clone();
            d.on(&play, "click", move |_| {
                Some(if dom::get_data(&b, "playing").as_deref() == Some("true") {
                    Msg::Train(TrainMsg::Pause)
                } else {
                    Msg::Train(TrainMsg::Play)
                })
            });
        }
        d.on_click(&step, Msg::Train(TrainMsg::Step));
        d.on_click(&reset, Msg::Train(TrainMsg::Reset));

        let r = row(&p, "")?;
        labelled(&r, "Model", "What is trained: the logits z come from it")?;
        let (model, _) = select(
            &r,
            "train-model",
            "The model whose parameters gradient descent trains",
            &ModelKind::ALL
                .iter()
                .map(|k| (k.code().to_string(), k.code().to_string()))
                .collect::<Vec<_>>(),
        )?;
        dom::set_attr(&model, "aria-label", "Model");
        {
            let s = model.clone();
            d.on(&model, "change", move |_| {
                ModelKind::parse(&s.value()).map(|kind| Msg::Train(TrainMsg::Model(kind)))
            });
        }
        let model_note_el = dom::el("div", "note train-model-note")?;
        dom::append(&p, &model_note_el)?;
        let r = row(&p, "")?;
        labelled(
            &r,
            "Optimiser",
            "SGD (θ ← θ − lr·g) or Adam (PyTorch's, β = 0.9, 0.999)",
        )?;
        let (optimizer, _) = select(
            &r,
            "train-optimizer",
            "The optimiser (Adam exactly as torch.optim.Adam)",
            &[
                ("sgd".to_string(), "SGD".to_string()),
                ("adam".to_string(), "Adam".to_string()),
            ],
        )?;
        dom::set_attr(&optimizer, "aria-label", "Optimiser");
        {
            let s = optimizer.clone();
            d.on(&optimizer, "change", move |_| {
                OptimizerKind::parse(&s.value()).map(|k| Msg::Train(TrainMsg::Optimizer(k)))
            });
        }
        let r = row(&p, "")?;
        labelled(&r, "Learning rate", "The step size lr")?;
        let lr = text_input(&r, "train-lr", "Type a learning rate, e.g. 0.2, then Enter")?;
        // Named for assistive technology (the title alone is no name for axe).
        dom::set_attr(&lr, "aria-label", "Learning rate");
        {
            let t = lr.clone();
            d.on(&lr, "change", move |_| {
                Some(Msg::Train(TrainMsg::LrEntered(t.value())))
            });
        }
        let lr_slider = range(
            &p,
            "train-lr-slider",
            (0.0, (LR_STOPS.len() - 1) as f64, 1.0),
            "Learning rate on a logarithmic scale, 1e-4 … 10",
        )?;
        dom::set_attr(
            &lr_slider,
            "aria-label",
            "Learning rate, logarithmic slider",
        );
        {
            let s = lr_slider.clone();
            d.on(&lr_slider, "input", move |_| {
                let k: usize = s.value().parse().ok()?;
                LR_STOPS.get(k).map(|&v| Msg::Train(TrainMsg::Lr(v)))
            });
        }
        let r = row(&p, "")?;
        labelled(&r, "Speed", "Steps per second while playing")?;
        let speed = range(
            &r,
            "train-speed",
            (1.0, f64::from(MAX_SPEED), 1.0),
            "Steps per second while playing",
        )?;
        dom::set_attr(&speed, "aria-label", "Training speed, steps per second");
        let speed_out = dom::el("output", "out")?;
        dom::append(&r, &speed_out)?;
        {
            let s = speed.clone();
            d.on(&speed, "input", move |_| {
                s.value()
                    .parse()
                    .ok()
                    .map(|speed| Msg::Train(TrainMsg::Speed(speed)))
            });
        }
        let r = row(&p, "checks")?;
        let (images, _) = checkbox(
            &r,
            "show-images",
            "show the input images x",
            "A column before the classes with each image's intensities: what a shared model sees (paintable)",
        )?;
        on_check(d, &images, |on| Msg::Train(TrainMsg::ShowImages(on)));
        let status = dom::el("div", "note train-status")?;
        dom::set_attr(&status, "data-testid", "train-status");
        dom::append(&p, &status)?;
        Ok(TrainPanel {
            play,
            count,
            model,
            model_note: model_note_el,
            optimizer,
            lr,
            lr_slider,
            speed,
            speed_out,
            images,
            status,
        })
    }

    pub fn sync(&self, m: &Model) {
        let t = &m.state.train;
        let playing = m.train.session.as_ref().is_some_and(|t| t.playing);
        dom::set_text(&self.play, if playing { "⏸ Pause" } else { "▶ Play" });
        dom::set_data(
            &self.play,
            "playing",
            if playing { "true" } else { "false" },
        );
        pressed(&self.play, playing);
        let step = m.train.session.as_ref().map_or(0, |t| t.step_count());
        dom::set_text(&self.count, &format!("step {step}"));
        dom::set_data(&self.count, "step", &step.to_string());
        set_select(&self.model, t.model.code());
        dom::set_text(&self.model_note, model_note(t.model));
        set_select(&self.optimizer, t.optimizer.code());
        set_value(&self.lr, &format::exact(t.optimizer.lr()));
        set_value(&self.lr_slider, &lr_position(t.optimizer.lr()).to_string());
        set_value(&self.speed, &t.speed.to_string());
        dom::set_text(&self.speed_out, &format!("{}/s", t.speed));
        set_checked(&self.images, m.train.show_images);
        let status = match &m.train.session {
            None => "Not trained: the prediction views show the painted prediction.".to_string(),
            Some(tr) => match tr.trainer.stopped() {
                Some(stop) => format!("Stopped at step {}: {}", stop.step, stop.reason),
                None => format!(
                    "Step {step}: loss {}. The prediction views show the {} model's output.",
                    tr.trainer
                        .loss()
                        .map_or("undefined".to_string(), |l| format::number(l, 5)),
                    t.model.code()
                ),
            },
        };
        dom::set_text(&self.status, &status);
    }
}
