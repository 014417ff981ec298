//! Dice Loss Playground.
//!
//! The crate is layered, and each layer only uses the ones above it:
//!
//! - [`engine`]: the numeric core — reduction sets Φ, activations, the Dice loss and its
//!   exact gradient, framework presets. Plain Rust on `ndarray`, no browser types.
//! - [`cli`]: the command-line front end of the engine (the `dice` binary): JSON
//!   documents, flags and array files (numpy, NIfTI) in, JSON out.
//! - [`page`]: the page model — the state a page shows, its link codec, undo history,
//!   painting, the lessons, and the one `update(model, msg)` that every user action goes
//!   through. Plain Rust, tested natively.
//! - [`present`]: how numbers and data look — number formatting, colours, the formula,
//!   the Φ diagram, the plot curves. Plain Rust, tested natively.
//! - `web`: the browser (wasm32 only) — DOM views that draw the model and turn events
//!   into messages.
//!
//! The science the code relies on is written up in `docs/science.md`.

pub mod cli;
pub mod engine;
pub mod page;
pub mod present;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use engine::activation::Activation;
pub use engine::error::DiceError;
pub use engine::loss::{
    evaluate, evaluate_missing, evaluate_probs, evaluate_probs_missing, DiceSettings, Evaluation,
    SetReport, Undefined,
};
pub use engine::phi::Phi;
pub use engine::shape::{evaluate_nd, Shape};
pub use engine::variants::Variant;
