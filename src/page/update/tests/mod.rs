//! Tests of `update`, one file per domain, on the helpers below.

use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::page::change::{Change, Link};
use crate::page::codec;
use crate::page::lessons::SCENARIOS;
use crate::page::model::{EpsField, Hover, Model, Notice, ViewKind};
use crate::page::msg::*;
use crate::page::paint::Layer;
use crate::page::route;
use crate::page::state::AppState;

use super::{open_link, update};

mod data;
mod experiment;
mod lesson;
mod narrate;
mod page;
mod paint;
mod screen;
mod settings;
mod touch;
mod train;

fn model() -> Model {
    Model::new(AppState::two_labelled())
}

fn paint_pred(m: &mut Model, b: usize, c: usize, path: &[(f64, f64)]) -> Change {
    let mut ch = update(
        m,
        Msg::Paint(PaintMsg::StrokeStart {
            layer: Layer::Pred,
            b,
            c,
            at: path[0],
            erase: false,
        }),
    );
    for &at in &path[1..] {
        ch.merge(update(m, Msg::Paint(PaintMsg::StrokeMove { at })));
    }
    ch.merge(update(m, Msg::Paint(PaintMsg::StrokeEnd)));
    ch
}
