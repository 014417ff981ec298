//! The browser (wasm32 only): DOM views of the page model and the events that become
//! messages. Only [`app`], the root, holds the app; every view is built with a
//! [`dispatch::Dispatch`] to send messages and draws in `sync` from a [`Frame`], never
//! changing the model.
//!
//! Views: `shell` (skeleton, notice, fatal banner), `screen` (presentation mode, the
//! embed's bar, the introduction, folded columns), `controls` (the panel), `grid` (the
//! canvases, label statuses, verdict badges), `legend`, `readout` (loss, sets, hover),
//! `lessons` (buttons, tour, the lesson text), `explain` (Φ picture, formula, plots' data)
//! with `plots` (plotters drawing), `export` (PNG/SVG files and copied links), `compare`
//! (the compare bar), `matrix` (the verdict matrix), `paste` ("Paste your loss" beside it), `experiment`
//! (the Experiment panel and its worker),
//! `trainplot` (plot d), `touch` (paint mode and undo beside the grid on a touch screen);
//! `events` turns pointer and key events into messages; `dom` has small DOM helpers.

pub mod app;
pub mod compare;
pub mod controls;
pub mod dispatch;
pub mod dom;
pub mod effects;
pub mod events;
pub mod experiment;
pub mod explain;
pub mod export;
pub mod grid;
pub mod legend;
pub mod lessons;
pub mod matrix;
pub mod paste;
pub mod plan;
pub mod plot_backend;
pub mod plots;
pub mod readout;
pub mod screen;
pub mod shell;
pub mod touch;
pub mod trainplot;
pub mod yourdata;

use crate::page::derived::{Derived, Fresh};
use crate::page::model::Model;
use crate::page::update::Change;

use dispatch::Dispatch;
use dom::JsResult;

/// What a view draws from: the model, the derived data, and what changed since the last
/// frame (so it can skip what did not).
pub struct Frame<'a> {
    pub model: &'a Model,
    pub derived: &'a Derived,
    pub change: &'a Change,
    pub fresh: &'a Fresh,
}

/// Every view of the page below the skeleton.
pub struct Views {
    screen: screen::Screen,
    export: export::Export,
    controls: controls::Controls,
    lessons: lessons::Lessons,
    grid: grid::Grid,
    legend: legend::Legend,
    readout: readout::Readout,
    explain: explain::Explain,
    train_plot: trainplot::TrainPlot,
    compare: compare::CompareBar,
    touch: touch::Touch,
    paste: paste::Paste,
    yourdata: yourdata::YourData,
    experiment: experiment::ExperimentView,
    events: events::Events,
    plan: plan::PlanView,
}

impl Views {
    pub fn build(dispatch: &Dispatch) -> JsResult<Views> {
        matrix::build()?;
        let controls = controls::Controls::build(dispatch)?;
        Ok(Views {
            // After the controls: it adds to the panel's top and its Share panel.
            screen: screen::Screen::build(dispatch)?,
            export: export::Export::build(dispatch)?,
            controls,
            lessons: lessons::Lessons::build(dispatch)?,
            grid: grid::Grid::default(),
            legend: legend::Legend::build()?,
            readout: readout::Readout::build(dispatch)?,
            explain: explain::Explain::build(dispatch)?,
            train_plot: trainplot::TrainPlot::build()?,
            compare: compare::CompareBar::build(dispatch)?,
            touch: touch::Touch::build(dispatch)?,
            paste: paste::Paste::build(dispatch)?,
            yourdata: yourdata::YourData::build(dispatch)?,
            experiment: experiment::ExperimentView::build(dispatch)?,
            events: events::Events,
            plan: plan::PlanView::default(),
        })
    }

    /// Draws what changed; returns whether anything was drawn.
    pub fn sync(&mut self, f: &Frame) -> bool {
        self.events.sync(f);
        // First: the screen's mode, the lesson box and the compare bar decide the space
        // of the grid.
        let mut moved = self.screen.sync(f);
        moved |= self.lessons.sync(f);
        moved |= self.compare.sync(f);
        moved |= self.touch.sync(f);
        // The loss box is above the grid too: its words (the settings' summary, the
        // equivalent call) may take another line.
        let (loss_drawn, reworded) = self.readout.sync(f);
        moved |= reworded;
        // The layout plan, from the viewport and what the grid and the side hold.
        let (plan, planned) = self.plan.sync(f);
        moved |= planned;
        let mut drew = self.grid.sync(f, moved, &plan) | loss_drawn;
        drew |= self.legend.sync(f);
        drew |= self.explain.sync(f);
        drew |= self.train_plot.sync(f);
        drew |= self.controls.sync(f);
        self.paste.sync(f);
        self.yourdata.sync(f);
        self.experiment.sync(f);
        self.export.sync(f);
        drew
    }

    /// Draws a plot whose inputs changed since it was last drawn (one per call); returns
    /// whether it drew and whether another plot is still out of date.
    pub fn plots(&mut self, m: &Model, derived: &Derived) -> (bool, bool) {
        self.explain.draw_plots(m, derived)
    }
}
