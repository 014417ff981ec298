//! Plot (d) below the grid while a training session exists: the loss and every cell's
//! mean ỹ on its object (the labelled or hidden structure, the distractor) against the
//! step, so the audience sees one curve fall and another stay.

use std::cell::RefCell;

use web_sys::{HtmlCanvasElement, HtmlElement};

use crate::page::model::Model;
use crate::present::palette;

use super::dom::{self, JsResult};
use super::plots::{self, TrainCurve};
use super::Frame;

/// While playing, the plot is redrawn at most this often (ms).
const INTERVAL_MS: f64 = 100.0;

pub struct TrainPlot {
    root: HtmlElement,
    canvas: HtmlCanvasElement,
    /// Patched, not re-parsed, while the numbers in it change (and compared with what it
    /// was given: the swatches' CSSOM colours change the element's own serialisation).
    legend: RefCell<dom::Markup>,
    last: f64,
    /// The trace length drawn last (to draw the final state once play stops).
    drawn: Option<(usize, usize)>,
}

impl TrainPlot {
    pub fn build() -> JsResult<TrainPlot> {
        Ok(TrainPlot {
            root: dom::need("train-box")?,
            canvas: dom::need("plot-train")?,
            legend: RefCell::new(dom::Markup::new(dom::need("legend-train")?)),
            last: f64::NEG_INFINITY,
            drawn: None,
        })
    }

    pub fn sync(&mut self, f: &Frame) -> bool {
        let m = f.model;
        let Some(t) = &m.train.session else {
            dom::set_hidden(&self.root, true);
            self.drawn = None;
            return false;
        };
        dom::set_hidden(&self.root, false);
        let key = (t.trace.len(), t.step_count());
        if self.drawn == Some(key) {
            return false;
        }
        let now = dom::now();
        if t.playing && now - self.last < INTERVAL_MS {
            return false;
        }
        self.draw(m);
        self.last = now;
        self.drawn = Some(key);
        true
    }

    fn draw(&self, m: &Model) {
        let Some(t) = &m.train.session else { return };
        // Drawn at the size it is shown (a phone's too, so its words are not shrunk) and
        // taller on a narrow screen, so its ticks have room.
        let width = self.root.client_width().clamp(300, 900) as u32;
        let ratio = if width < 500 { 0.66 } else { 0.42 };
        let height = (f64::from(width) * ratio).round() as u32;
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        let mut curves = vec![TrainCurve {
            points: t
                .trace
                .iter()
                .filter_map(|p| p.loss.map(|l| (p.step as f64, l)))
                .collect(),
            colour: palette::Rgb(0, 0, 0),
            loss: true,
        }];
        let mut legend =
            String::from("<span class=\"key\"><span class=\"swatch loss\"></span>the loss</span>");
        let mut k = 0;
        for ((b, c), o) in t.objects.indexed_iter() {
            let Some(o) = o else { continue };
            let colour = palette::set(k);
            k += 1;
            curves.push(TrainCurve {
                points: t
                    .trace
                    .iter()
                    .filter_map(|p| p.means[(b, c)].map(|v| (p.step as f64, v)))
                    .collect(),
                colour,
                loss: false,
            });
            // Only fixed words and numbers go into this markup.
            legend.push_str(&format!(
                "<span class=\"key\"><span class=\"swatch\" data-colour=\"{}\"></span>image {b}, class {c}: mean ỹ on {}</span>",
                colour.hex(),
                o.name
            ));
        }
        let last = t.trace.last().map_or(1.0, |p| p.step as f64);
        if let Err(e) = plots::train_curves(plots::Target::Canvas(&self.canvas), &curves, last) {
            dom::warn(&format!("plot (d): {e}"));
        }
        let mut shown = self.legend.borrow_mut();
        if shown.set(&legend) {
            // Colours through the CSSOM: the page's CSP allows no inline style attributes.
            dom::paint_swatches(shown.element());
        }
    }
}
