//! The `dice eval` and `dice train` inputs that reproduce what the page shows on the
//! command line (`diceDebug.cliInput()`, `trainInput()`): the labels the loss sees, every
//! setting of the loss, the missing cells, the probabilities or the model's logits, and
//! for training the image, the starting model and the optimiser.

use serde_json::{json, Value};

use crate::engine::train::{ModelKind, Optimizer};
use crate::page::state::AppState;
use crate::page::training::start_model;

/// The input document of `dice eval` that computes what the page shows: the loss's labels
/// and the probabilities, with activation "none" (the page feeds probabilities).
pub fn cli_input(s: &AppState) -> Value {
    let mut doc = loss_input(s);
    doc["pred"] = json!(s.pred.iter().copied().collect::<Vec<f64>>());
    doc["activation"] = json!("none");
    doc
}

/// The input document of `dice eval` that computes what the page shows: [`cli_input`],
/// or while a model is trained (`trainer`) the model's logits with the page's activation,
/// which is what the page evaluates then.
pub fn shown_input(s: &AppState, trainer: Option<&crate::engine::train::Trainer>) -> Value {
    let Some(t) = trainer else {
        return cli_input(s);
    };
    let mut doc = loss_input(s);
    doc["pred"] = json!(t.logits().iter().copied().collect::<Vec<f64>>());
    doc
}

/// The fields `dice eval` and `dice train` share: the shape, the labels the loss sees, every
/// setting of the loss (with the real activation) and the missing cells.
pub fn loss_input(s: &AppState) -> Value {
    let (b, c, h, w) = s.labels.dim();
    let st = &s.settings;
    json!({
        "shape": [b, c, h, w],
        "y": s.loss_labels().iter().copied().collect::<Vec<f64>>(),
        "phi": st.phi.code(),
        "eps_nr": st.eps_nr,
        "eps_dr": st.eps_dr,
        "squared": st.squared,
        "jaccard": st.jaccard,
        "include_background": st.include_background,
        "activation": st.activation.code(),
        "denominator_floor": st.denominator_floor,
        "zero_empty_sets": st.zero_empty_sets,
        "variant": st.variant.code(),
        "missing": crate::page::judge::missing_cells(s)
            .into_iter()
            .map(|(b, c)| [b, c])
            .collect::<Vec<_>>(),
    })
}

/// The `dice train` input that runs `state`'s training for `steps` steps: the loss's
/// labels, the real activation, the image, the starting model and the optimiser.
pub fn train_input(state: &AppState, steps: usize) -> Result<Value, String> {
    let model = start_model(state)?;
    let mut doc = loss_input(state);
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
