//! The Gradient view panel: which gradient and which colour scale.

use web_sys::{Element, HtmlElement, HtmlInputElement};

use crate::engine::activation::Activation;
use crate::page::model::Model;
use crate::page::msg::{DisplayMsg, Msg};
use crate::web::dispatch::Dispatch;
use crate::web::dom::{self, JsResult};

use super::widgets::{checkbox, on_check, row, section, set_checked};

pub struct GradientPanel {
    logit: HtmlInputElement,
    logit_label: HtmlElement,
    shared: HtmlInputElement,
    symlog: HtmlInputElement,
}

impl GradientPanel {
    pub fn build(root: &Element, d: &Dispatch) -> JsResult<GradientPanel> {
        let gv = section(root, "Gradient view", "How the gradient maps are coloured")?;
        let r = row(&gv, "checks")?;
        let (logit, logit_label) = checkbox(
            &r,
            "logit-grad",
            "show ∂L/∂z (logits)",
            "With an activation: show the gradient w.r.t. the logits z (on) or the probabilities ỹ (off)",
        )?;
        let (shared, _) = checkbox(
            &r,
            "shared-scale",
            "one scale for all cells",
            "One colour scale for all cells so magnitudes compare; off: each cell uses its own maximum",
        )?;
        let (symlog, _) = checkbox(
            &r,
            "symlog",
            "symmetric-log scale",
            "Logarithmic colour scale: tiny gradients (1e-9) stay visible next to large ones (1e-2)",
        )?;
        on_check(d, &logit, |on| Msg::Display(DisplayMsg::LogitGrad(on)));
        on_check(d, &shared, |on| Msg::Display(DisplayMsg::SharedScale(on)));
        on_check(d, &symlog, |on| Msg::Display(DisplayMsg::Symlog(on)));
        Ok(GradientPanel {
            logit,
            logit_label,
            shared,
            symlog,
        })
    }

    pub fn sync(&self, m: &Model) {
        let state = &m.state;
        let act_on = state.settings.activation != Activation::None;
        set_checked(&self.logit, state.display.logit_grad);
        self.logit.set_disabled(!act_on);
        self.logit_label.set_title(if act_on {
            "Show the gradient w.r.t. the logits z (on) or the probabilities ỹ (off)"
        } else {
            "Only with an activation: without one, ỹ is the network output and ∂L/∂ỹ is shown"
        });
        dom::toggle_class(&self.logit_label, "disabled", !act_on);
        set_checked(&self.shared, state.display.shared_scale);
        set_checked(&self.symlog, state.display.symlog);
    }
}
