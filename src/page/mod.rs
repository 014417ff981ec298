//! The page model: what a page shows and every rule that changes it, in plain Rust.

pub mod history;
pub mod matrix;
pub mod paint;
pub mod route;
pub mod state;
pub mod teach;
pub mod ui;
