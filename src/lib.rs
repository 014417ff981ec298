//! Dice Loss Playground.
//!
//! The numeric core (`phi`, `activation`, `loss`, `presets`) knows nothing of the browser;
//! `cli` is its JSON front end. The browser app lives in `web` and is only compiled for
//! wasm32.

pub mod activation;
pub mod cli;
pub mod colormap;
pub mod curves;
pub mod diagram;
pub mod error;
pub mod formula;
pub mod history;
pub mod loss;
pub mod paint;
pub mod phi;
pub mod presets;
pub mod route;
pub mod state;
pub mod teach;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use activation::Activation;
pub use error::DiceError;
pub use loss::{evaluate, evaluate_probs, DiceSettings, Evaluation, SetReport, Undefined};
pub use phi::Phi;
