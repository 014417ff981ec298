//! The grid's words: the verdict badges and their reasons, compare mode's side (its
//! gradients, verdicts, B's own predictions and result lines), the training result lines
//! and the captions and headings.

use ndarray::Array2;
use web_sys::HtmlElement;

use crate::engine::loss::Evaluation;
use crate::engine::status::LabelStatus;
use crate::engine::verdict::{CellVerdict, Scale as VerdictScale};
use crate::page::cells;
use crate::page::layout;
use crate::page::state::AppState;
use crate::page::training::Training;
use crate::present::colormap::Scale;
use crate::present::describe::{self, NoGradient};
use crate::present::grid_words;
use crate::present::labels::{self, StatusWords as _};
use crate::present::readout;
use crate::present::verdict::{badge_tip, threshold_sentence, CellWords as _};
use crate::present::verdict::{EXCLUDED_BADGE, EXCLUDED_REASON, EXCLUDED_TIP};
use crate::web::dom;

use super::pixels::draw_grad_view;
use super::{BadgeKey, GridView};

/// Writes a verdict badge: the few words, the data attributes tests and styles read, the
/// reason written out in `why` and the details in the tooltip.
fn write_badge(
    badge: &HtmlElement,
    why: &HtmlElement,
    cv: Option<CellVerdict>,
    status: LabelStatus,
    tied: bool,
    rule: &str,
    logits: bool,
) {
    match cv {
        Some(cv) => {
            dom::set_text(why, &cv.reason(status));
            dom::toggle_class(why, "wrong", !cv.correct);
            dom::set_text(badge, &cv.badge());
            dom::set_data(badge, "verdict", cv.verdict.code());
            dom::set_data(badge, "correct", if cv.correct { "true" } else { "false" });
            dom::set_data(
                badge,
                "undefined",
                if cv.undefined { "true" } else { "false" },
            );
            badge.set_class_name(&format!(
                "verdict {}",
                if cv.correct { "right" } else { "wrong" }
            ));
            badge.set_title(&badge_tip(&cv, status, tied, rule, logits));
        }
        None => {
            dom::set_text(why, EXCLUDED_REASON);
            dom::toggle_class(why, "wrong", false);
            dom::set_text(badge, EXCLUDED_BADGE);
            for key in ["verdict", "correct", "undefined"] {
                badge.dataset().delete(key);
            }
            badge.set_class_name("verdict neutral");
            badge.set_title(EXCLUDED_TIP);
        }
    }
}

/// Whether the verdicts of `state` under `activation` tie the classes of a pixel.
fn ties_classes(state: &AppState, activation: crate::engine::activation::Activation) -> bool {
    crate::engine::step::ties_classes(activation, state.exclusive, state.classes())
}

impl GridView {
    /// The training result line of each cell ("mean ỹ on … : a → b"), or none.
    /// Returns whether a line appeared or went (the cells' heights changed).
    pub fn results(&self, lines: &Array2<Option<String>>) -> bool {
        let mut changed = false;
        for ((b, c), line) in lines.indexed_iter() {
            let Some(el) = self.results.get(b * self.c + c) else {
                continue;
            };
            changed |= el.hidden() != line.is_none();
            match line {
                Some(t) => {
                    dom::set_text(el, t);
                    dom::set_hidden(el, false);
                }
                None => dom::set_hidden(el, true),
            }
        }
        changed
    }

    /// The verdict badges: which way gradient descent moves each cell's prediction and
    /// whether that is right for its label status (`crate::engine::verdict`).
    /// `logits`: the gradient views show ∂L/∂z (the badges still judge the push on ỹ).
    pub fn verdicts(
        &self,
        state: &AppState,
        v: &Array2<Option<CellVerdict>>,
        scale: &VerdictScale,
        logits: bool,
    ) -> bool {
        let rule = threshold_sentence(scale);
        let tied = ties_classes(state, state.settings.activation);
        let mut reworded = false;
        let mut shown = self.badges.borrow_mut();
        shown.resize(self.b * self.c, None);
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.cell(b, c) else {
                    continue;
                };
                let cv = v.get((b, c)).copied().flatten();
                let status = state.status.get((b, c)).copied().unwrap_or_default();
                // Rewrite a badge only when what it says changed.
                let key = BadgeKey {
                    verdict: cv,
                    status,
                    scale: scale.scale.to_bits(),
                    tied,
                    logits,
                };
                let slot = &mut shown[b * self.c + c];
                if *slot == Some(key) {
                    continue;
                }
                // New words when the verdict, its correctness, what it judged or the
                // status changed.
                let words = |k: &BadgeKey| {
                    (
                        k.verdict
                            .map(|v| (v.verdict, v.correct, v.undefined, v.judged, v.reached)),
                        k.status,
                    )
                };
                reworded |= slot.as_ref().map(words) != Some(words(&key));
                *slot = Some(key);
                dom::set_text(&cell.status_word, status.words());
                write_badge(&cell.badge, &cell.why, cv, status, tied, &rule, logits);
            }
        }
        reworded
    }

    /// Compare mode's side: its gradient views and verdict badges, and while B trains a
    /// model of its own (`trained`) its prediction views and result lines.
    pub fn draw_compare(
        &self,
        state: &AppState,
        side: &crate::page::derived::Side,
        trained: Option<&Training>,
        buf: &mut Vec<u8>,
    ) -> bool {
        let b_prob = trained.and(side.eval.as_ref().ok()).map(|e| e.prob.view());
        let mut words = self.draw_compare_preds(state, b_prob, trained, buf);
        let shown = side.shown(state.display.logit_grad);
        let logits = shown.as_ref().is_some_and(|g| g.logits);
        let rule = threshold_sentence(&side.verdict_scale);
        let tied = ties_classes(state, side.settings.activation);
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.compare.get(b * self.c + c) else {
                    continue;
                };
                let scale = side.scales.get((b, c)).copied().unwrap_or_default();
                let excluded = side
                    .eval
                    .as_ref()
                    .is_ok_and(|e| e.cell_set.get((b, c)).copied().flatten().is_none());
                draw_grad_view(
                    &cell.view,
                    state,
                    !excluded,
                    shown.as_ref(),
                    b,
                    c,
                    scale,
                    self.n,
                    buf,
                    &mut self.obuf.borrow_mut(),
                );
                if excluded {
                    cell.view
                        .word(Some(grid_words::gradient_word(NoGradient::NotInLoss)));
                }
                let cv = side.verdicts.get((b, c)).copied().flatten();
                let status = state.status.get((b, c)).copied().unwrap_or_default();
                write_badge(&cell.badge, &cell.why, cv, status, tied, &rule, logits);
                words.push_str(&cell.why.text_content().unwrap_or_default());
            }
        }
        // The reasons' lengths decide the cells' heights: a new text may need a new layout.
        let changed = *self.compare_words.borrow() != words;
        *self.compare_words.borrow_mut() = words;
        changed
    }

    /// B's prediction views and result lines: drawn from B's own model while it trains,
    /// else hidden. Returns their words and shape (a change may need a new layout).
    fn draw_compare_preds(
        &self,
        state: &AppState,
        prob: Option<ndarray::ArrayView4<f64>>,
        trained: Option<&Training>,
        buf: &mut Vec<u8>,
    ) -> String {
        let mut words = String::from(if prob.is_some() { "B-pred " } else { "" });
        for (k, cell) in self.compare.iter().enumerate() {
            let (b, c) = (k / self.c, k % self.c);
            dom::set_hidden(&cell.pred.fig, prob.is_none());
            if let Some(p) = prob {
                let pred = p.slice(ndarray::s![b, c, .., ..]);
                cells::prediction(pred, buf);
                cell.pred.put(buf, self.n);
                cell.pred.overlay(
                    self.n,
                    (&[], &[]),
                    &[],
                    &layout::hidden_mask(state, b, c),
                    &mut self.obuf.borrow_mut(),
                );
                cell.pred.describe(describe::prediction(b, c, pred));
            }
            match trained.and_then(|t| t.result_line(b, c)) {
                Some(line) => {
                    dom::set_text(&cell.result, &line);
                    dom::set_hidden(&cell.result, false);
                    words.push_str(&line);
                }
                None => dom::set_hidden(&cell.result, true),
            }
        }
        self.compare_views
            .set(if prob.is_some() { 2.0 } else { 1.0 });
        dom::set_data(
            &self.root,
            "bTrained",
            if prob.is_some() { "true" } else { "false" },
        );
        words
    }

    /// Captions (set, sDSC, per-cell maximum), headings and the excluded-class look.
    pub fn captions(&self, state: &AppState, eval: Option<&Evaluation>, scales: &Array2<Scale>) {
        let logits =
            state.settings.activation != crate::Activation::None && state.display.logit_grad;
        for h in &self.grad_heads {
            dom::set_text(h, readout::gradient_symbol(logits));
        }
        // Beside compare mode's "B · class c", A's columns say they are A's.
        let compare = !self.compare.is_empty();
        for (c, h) in self.class_heads.iter().enumerate() {
            let name = labels::class_name(c, state.exclusive);
            dom::set_text(h, &grid_words::a_head(&name, compare));
        }
        for b in 0..self.b {
            for c in 0..self.c {
                let Some(cell) = self.cell(b, c) else {
                    continue;
                };
                let set = eval
                    .and_then(|e| e.cell_set.get((b, c)).copied().flatten())
                    .filter(|&k| eval.is_some_and(|e| k < e.sets.len()));
                dom::toggle_class(&cell.el, "excluded", eval.is_some() && set.is_none());
                let own_scale = (!state.display.shared_scale)
                    .then(|| scales.get((b, c)).copied())
                    .flatten();
                let text = readout::caption(eval, b, c, own_scale);
                dom::set_text(&cell.caption, &text);
                if let Some(e) = eval {
                    if set.is_none() {
                        cell.views[2].word(Some(grid_words::gradient_word(NoGradient::NotInLoss)));
                    } else if set
                        .and_then(|k| e.sets.get(k))
                        .is_some_and(|r| r.undefined.is_some())
                    {
                        cell.views[2].word(Some(grid_words::gradient_word(NoGradient::Undefined)));
                    }
                }
            }
        }
        // Set membership may have changed: make the next hover update redo the outline.
        self.shown.borrow_mut().set = Some(usize::MAX);
    }
}
