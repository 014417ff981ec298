//! Dice Loss Playground.
//!
//! The crate is layered, engine → present → page → web, and each layer imports only the
//! layers before it (`scripts/layers.py` checks it):
//!
//! - [`engine`]: the numeric core — reduction sets Φ, activations, the Dice loss and its
//!   exact gradient, training, label statuses, the verdict rule's numbers, framework
//!   presets. Plain Rust on `ndarray`, no browser types.
//! - [`present`]: how numbers and data look, on the engine — number formatting, colours,
//!   words, the formula, the Φ diagram, the plot curves, the grid figure. Plain Rust,
//!   tested natively.
//! - [`page`]: the page model, on the engine and `present` — the state a page shows, its
//!   link codec, undo history, painting, the lessons, the one `update(model, msg)` that
//!   every user action goes through, and the data derived from the model. Plain Rust,
//!   tested natively.
//! - `web`: the browser (wasm32 only), on all three — DOM views that draw the model and
//!   the derived data and turn events into messages.
//! - [`cli`]: beside the page, on the engine and `present` only (never `page` or `web`):
//!   the command-line front end (the `dice` binary) — JSON documents, flags and array
//!   files (numpy, NIfTI) in, JSON out.
//!
//! The science the code relies on is written up in `docs/science.md`.

// Native only: the page never runs the command line. The experiment worker reads its
// config and writes its result with the command line's own code (`cli::experiment`).
#[cfg(any(not(target_arch = "wasm32"), feature = "experiment_worker"))]
pub mod cli;
pub use dice_engine as engine;
pub mod page;
pub mod present;
// The paste worker (`--features worker`) has no page to draw.
#[cfg(all(target_arch = "wasm32", not(feature = "worker")))]
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
