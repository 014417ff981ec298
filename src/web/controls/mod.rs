//! The control panel: a title, the lessons' place, and one view per panel. Each control
//! sends a message; `sync` shows the model back (so undo, links and presets update it
//! too). Every control has a `title` tooltip.

mod gradient;
mod loss;
mod paint;
mod size;
mod train;
mod widgets;

use wasm_bindgen::JsValue;
use web_sys::HtmlElement;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

pub struct Controls {
    loss: loss::LossPanel,
    gradient: gradient::GradientPanel,
    paint: paint::PaintPanel,
    size: size::SizePanel,
    train: train::TrainPanel,
    /// Nothing shown yet: the first sync draws everything.
    first: bool,
}

impl Controls {
    /// Builds the panel inside `#controls`, with an empty `#lessons-panel` for
    /// [`super::lessons::Lessons`].
    pub fn build(d: &Dispatch) -> JsResult<Controls> {
        let root: HtmlElement =
            dom::by_id("controls").ok_or_else(|| JsValue::from_str("no #controls"))?;
        root.set_inner_html("");
        let title = dom::text_el("h1", "app-title", "Dice Loss Playground")?;
        title.set_title("Paint labels y and predictions ỹ, choose Φ and ε, and watch the Dice loss and its gradient (Tilborghs et al., MICCAI 2022)");
        dom::append(&root, &title)?;
        let lessons = dom::el("section", "panel lessons")?;
        lessons.set_id("lessons-panel");
        dom::append(&root, &lessons)?;
        let loss = loss::LossPanel::build(&root, d)?;
        let train = train::TrainPanel::build(&root, d)?;
        Ok(Controls {
            loss,
            train,
            gradient: gradient::GradientPanel::build(&root, d)?,
            paint: paint::PaintPanel::build(&root, d)?,
            size: size::SizePanel::build(&root, d)?,
            first: true,
        })
    }

    pub fn sync(&mut self, f: &Frame) -> bool {
        let ch = f.change;
        let first = std::mem::take(&mut self.first);
        let settings = first || ch.page || ch.settings || ch.controls || ch.entry || ch.display;
        if settings {
            self.loss.sync(f.model);
            self.gradient.sync(f.model);
        }
        let tools = first || ch.page || ch.tool || ch.history || ch.controls;
        if tools {
            self.paint.sync(f.model);
        }
        if first || ch.page || ch.controls {
            self.size.sync(f.model);
        }
        let training = first || ch.page || ch.training || ch.controls;
        if training {
            self.train.sync(f.model);
        }
        settings || tools || training
    }
}
