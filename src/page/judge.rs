//! The page's data judged by the engine: its evaluation as the page computes it (the
//! labels the loss sees, the painted probabilities, the missing cells of its label
//! statuses), the verdicts of its cells, the cell a lesson is about and the heuristic ε
//! of its labels. The rules are the engine's (`engine::verdict`, `engine::heuristic`);
//! this module only feeds them the page state.

use ndarray::{Array2, Array4};

use crate::engine::error::DiceError;
use crate::engine::heuristic::heuristic;
use crate::engine::loss::{evaluate_probs_missing, DiceSettings, Evaluation};
use crate::engine::status::{self, LabelStatus};
use crate::engine::variants::Variant;
use crate::engine::verdict::{self, CellVerdict, Labelling, Scale};
use crate::page::state::AppState;
use crate::present::question::{question as present_question, Asked};
use crate::present::verdict::heuristic_arithmetic;

/// What the verdicts of `state` judge against besides the evaluation.
pub fn labelling(state: &AppState) -> Labelling<'_> {
    Labelling {
        painted: state.labels.view(),
        status: &state.status,
        exclusive: state.exclusive,
    }
}

/// Verdicts for every cell of `state` under its own settings; `None` where the class does
/// not take part in the loss. `e` must be the evaluation of `state`'s labels as the loss
/// sees them (`y_loss`) and its shown probabilities.
pub fn verdicts(
    state: &AppState,
    y_loss: &Array4<f64>,
    e: &Evaluation,
) -> (Array2<Option<CellVerdict>>, Scale) {
    verdicts_under(state, &state.settings, y_loss, e)
}

/// [`verdicts`] for an evaluation of `state`'s data under other `settings` (compare mode).
pub fn verdicts_under(
    state: &AppState,
    settings: &DiceSettings,
    y_loss: &Array4<f64>,
    e: &Evaluation,
) -> (Array2<Option<CellVerdict>>, Scale) {
    verdict::verdicts(&labelling(state), settings, y_loss, e)
}

/// The question line above the grid: with no lesson open, on the page (not presenting,
/// not embedded), for a scene with a missing and an empty label ([`question`]).
pub fn question_line(
    m: &crate::page::model::Model,
    verdicts: &Array2<Option<CellVerdict>>,
) -> Option<String> {
    let mode = m.state.mode;
    if m.lesson.open.is_some() || mode.present || mode.embed {
        return None;
    }
    question(&m.state, verdicts, m.screen.touch)
}

/// The first page's question, for a scene with a missing and an empty label among the
/// cells judged: the first of each (by image, then class), with their verdicts.
pub fn question(
    state: &AppState,
    verdicts: &Array2<Option<CellVerdict>>,
    touch: bool,
) -> Option<String> {
    let first = |want: LabelStatus| {
        verdicts.indexed_iter().find_map(|((b, c), v)| {
            let v = v.as_ref()?;
            (state.status[(b, c)] == want).then_some(Asked { b, verdict: v })
        })
    };
    let told = state.settings.variant != Variant::Dice;
    Some(present_question(
        first(LabelStatus::Missing)?,
        first(LabelStatus::Empty)?,
        told,
        touch,
    ))
}

/// The cells of `state` whose labels are missing, as the leaf and marginal Dice need
/// them; empty for the plain Dice, which does not read them.
pub fn missing_cells(state: &AppState) -> Vec<(usize, usize)> {
    status::missing_cells(&state.status, state.settings.variant)
}

/// What the page computes for `state`: the labels the loss sees and the evaluation of the
/// painted probabilities, with the missing cells of the label statuses.
pub fn evaluate_state(state: &AppState) -> Result<(Array4<f64>, Evaluation<'static>), DiceError> {
    let y = state.loss_labels();
    let e = evaluate_probs_missing(
        y.view(),
        state.pred.clone(),
        &state.settings,
        &missing_cells(state),
    )?;
    Ok((y, e))
}

/// The cell a lesson is about: the first cell in the loss whose label is missing or empty,
/// else the highest included class of the first image; `None` if no cell is in the loss.
pub fn focus_cell(state: &AppState, e: &Evaluation) -> Option<(usize, usize)> {
    let in_loss = |&(b, c): &(usize, usize)| e.cell_set.get((b, c)).copied().flatten().is_some();
    let (bn, cn) = state.status.dim();
    let cells = || (0..bn).flat_map(move |b| (0..cn).map(move |c| (b, c)));
    cells()
        .filter(in_loss)
        .find(|&(b, c)| state.status[(b, c)] != LabelStatus::Annotated)
        .or_else(|| {
            cells()
                .filter(in_loss)
                .min_by_key(|&(b, c)| (b, std::cmp::Reverse(c)))
        })
}

/// The mean true volume per image of class `c` as the loss sees it, over all images: a
/// missing or empty label counts with volume 0 (nobody knows a label is missing; the
/// authors' code computes it from the training labels as they are). `None` when `c` is
/// not a class of `s`.
pub fn class_mean_volume(s: &AppState, c: usize) -> Option<f64> {
    let volumes = crate::engine::heuristic::class_volumes(s.loss_labels().view(), c)?;
    Some(volumes.iter().sum::<f64>() / s.batch() as f64)
}

/// The heuristic ε and how it was computed.
#[derive(Clone, Debug, PartialEq)]
pub struct HeuristicEps {
    pub eps: f64,
    /// The arithmetic, e.g. "(156 + 0 + 0) / 3 = 52"; one such term per structure class,
    /// and their mean when the loss has several (the page has one ε).
    pub arithmetic: String,
}

/// The paper's heuristic ε as its authors compute it, per class: the mean true volume
/// per image over all images ([`class_mean_volume`]). The page has one ε, so with
/// several structure classes in the loss this is the mean of theirs; with exclusive
/// classes the background (class 0) is left out, being the complement of the structures.
/// `None` if that mean is not positive.
pub fn heuristic_eps_explained(s: &AppState) -> Option<HeuristicEps> {
    let first = usize::from(s.exclusive && s.classes() > 1);
    let classes: Vec<usize> = s
        .settings
        .classes(s.classes())
        .into_iter()
        .filter(|&c| c >= first)
        .collect();
    let h = heuristic(s.loss_labels().view(), &classes)?;
    Some(HeuristicEps {
        eps: h.eps,
        arithmetic: heuristic_arithmetic(&h),
    })
}

/// [`heuristic_eps_explained`]'s ε.
pub fn heuristic_eps(s: &AppState) -> Option<f64> {
    heuristic_eps_explained(s).map(|h| h.eps)
}
