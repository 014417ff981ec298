//! The `optimizer` object and the step limit, as `dice train` and `dice experiment` read
//! them; apart from `train` so the experiment worker (`--features experiment_worker`, which
//! has no array files) reads them with the same code.

use serde::Deserialize;

use super::one_line;
use crate::engine::train::Optimizer;

/// The most steps one run may ask for (a typo in `steps` should not hang the command).
pub const MAX_STEPS: usize = 1_000_000;

/// An `optimizer` object as written.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an object {\"kind\": \"sgd\"|\"adam\", \"lr\": number, \"betas\": [b1, b2], \"eps\": number}"
)]
pub struct OptimizerSpec {
    kind: String,
    lr: f64,
    betas: Option<[f64; 2]>,
    eps: Option<f64>,
}

impl OptimizerSpec {
    pub fn optimizer(&self) -> Result<Optimizer, String> {
        match self.kind.trim().to_ascii_lowercase().as_str() {
            "sgd" => {
                if self.betas.is_some() || self.eps.is_some() {
                    return Err(
                        "optimizer sgd takes only `lr` (`betas` and `eps` are Adam's)".into(),
                    );
                }
                Ok(Optimizer::sgd(self.lr))
            }
            "adam" => {
                let [beta1, beta2] = self
                    .betas
                    .unwrap_or([Optimizer::ADAM_BETAS.0, Optimizer::ADAM_BETAS.1]);
                Ok(Optimizer::Adam {
                    lr: self.lr,
                    beta1,
                    beta2,
                    eps: self.eps.unwrap_or(Optimizer::ADAM_EPS),
                })
            }
            other => Err(format!(
                "unknown optimizer kind {other:?}; use \"sgd\" or \"adam\""
            )),
        }
    }
}

/// An `optimizer` object as `dice train` reads it.
pub fn optimizer_from_raw(raw: &str) -> Result<Optimizer, String> {
    let spec: OptimizerSpec =
        serde_json::from_str(raw).map_err(|e| one_line(&format!("invalid `optimizer`: {e}")))?;
    spec.optimizer()
}
