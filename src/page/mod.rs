//! The page model: what a page shows and every rule that changes it, in plain Rust and
//! tested natively.
//!
//! - [`state`]: the page state a link holds (settings, painted tensors, label statuses);
//!   [`codec`] writes it into a link and reads it back; [`route`] says what a link asks
//!   for; [`levels`] is the prediction grid and the label bits.
//! - [`model`]: the state plus what a person has set up around it (undo history, tools,
//!   the open lesson, hover, the stroke in progress); [`msg`] lists what a person can do;
//!   [`update`] is the one function that applies it; [`derived`] is what is computed from
//!   the model (the evaluation, colour scales, verdicts).
//! - [`paint`], [`tool`], [`history`]: editing the tensors; [`verdict`]: the verdict
//!   rule's numbers; [`teach`]: the lessons and the verdicts' words; [`ui`]: control rules (ε stops and parsing, consistent settings);
//!   [`screen`]: which columns the grid draws (presentation, folded excluded classes).

pub mod cells;
pub mod change;
pub mod cli_input;
pub mod codec;
pub mod derived;
pub mod entry;
pub mod experiment;
pub mod figure;
pub mod history;
pub mod judge;
pub mod layout;
pub mod lessons;
pub mod levels;
pub mod matrix;
pub mod model;
pub mod msg;
pub mod paint;
pub mod route;
pub mod rules;

pub mod state;
pub mod tool;
pub mod training;
pub mod update;
pub mod yourdata;
