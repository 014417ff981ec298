//! The numeric core: reduction sets Φ, activations, the Dice loss with its exact
//! gradient and per-set reports, and the settings of popular frameworks. It knows nothing
//! of pages or browsers; the CLI and the page both call it.

pub mod activation;
pub mod arrays;
pub mod error;
pub mod experiment;
#[cfg(not(target_arch = "wasm32"))]
pub mod general;
pub mod heuristic;
pub mod loss;
pub mod objective;
pub mod options;
pub mod phi;
pub mod presets;
pub mod rng;
pub mod shape;
pub mod status;
pub mod step;
pub mod train;
pub mod variants;
pub mod verdict;
