//! The grid as the page shows it, as an exportable figure: built from the model and the
//! derived data with the functions the page draws with ([`crate::page::cells`] for the
//! views' pixels, [`crate::present::readout`] for the loss, captions and legend), so the
//! export reads nothing back from the page.

use crate::page::cells;
use crate::page::derived::Derived;
use crate::page::layout::{self, columns, folded_note};
use crate::page::model::Model;
use crate::present::colormap;
use crate::present::figure::{Figure, FigureCell, FigureLegend};
use crate::present::labels::class_name;
use crate::present::labels::StatusWords as _;
use crate::present::readout;
use crate::present::verdict::CellWords as _;

/// The grid's figure: the shown columns of every image, each cell's three views, badge,
/// reason and caption, the loss line and the colour legend.
pub fn grid_figure(m: &Model, derived: &Derived) -> Figure {
    let s = &m.state;
    let n = s.size();
    let eval = derived.main.eval.as_ref().ok();
    let cols = columns(m, eval);
    let shown = derived.shown_grad(m);
    let logits = shown.as_ref().is_some_and(|g| g.logits);
    let pred = derived.shown_pred(m);
    let mut buf = Vec::new();
    let mut cells = Vec::new();
    for b in 0..s.batch() {
        for c in (0..s.classes()).filter(|&c| cols.shown[c]) {
            let status = s.status[(b, c)];
            let verdict = derived.main.verdicts.get((b, c)).copied().flatten();
            let in_loss = eval.is_some_and(|e| e.cell_set.get((b, c)).copied().flatten().is_some());
            let sign = match &shown {
                Some(g) if in_loss && !g.undefined.get((b, c)).copied().unwrap_or(true) => {
                    colormap::signs(g.values.slice(ndarray::s![b, c, .., ..]))
                }
                _ => Vec::new(),
            };
            let scale = derived.main.scale_of(b, c);
            cells::label(s, derived.y(), (b, c), &mut buf);
            let label = cells::rgba(&buf);
            cells::prediction(pred.slice(ndarray::s![b, c, .., ..]), &mut buf);
            let prediction = cells::rgba(&buf);
            cells::gradient(shown.as_ref(), (b, c), n, scale, &mut buf);
            let gradient = cells::rgba(&buf);
            let own_scale = (!s.display.shared_scale).then_some(scale);
            cells.push(FigureCell {
                b,
                c,
                status: status.words().to_string(),
                views: [label, prediction, gradient],
                sign,
                hidden: layout::hidden_mask(s, b, c),
                badge: verdict.map(|v| (v.badge(), v.correct)),
                reason: verdict.map_or(
                    "not in the loss: no gradient, no verdict".to_string(),
                    |v| v.reason(status),
                ),
                caption: readout::caption(eval, b, c, own_scale),
            });
        }
    }
    let title = m
        .lesson
        .open
        .as_ref()
        .map_or("Dice Loss Playground".to_string(), |l| {
            l.scenario().title.to_string()
        });
    let st = &s.settings;
    let loss = format!(
        "{} DL_{} ({}) = {} · {}",
        readout::loss_kind(st),
        st.phi.code(),
        st.phi.wise_name(),
        readout::loss_value(derived.main.eval.as_ref()),
        readout::loss_sub(st, eval)
    );
    let d_name = if logits { "∂L/∂z" } else { "∂L/∂ỹ" };
    let [(neg, neg_d), (pos, pos_d)] = readout::legend_sides(logits);
    let shared = derived.main.shared;
    Figure {
        title,
        loss,
        n,
        columns: (0..s.classes())
            .filter(|&c| cols.shown[c])
            .map(|c| (c, class_name(c, s.exclusive)))
            .collect(),
        rows: (0..s.batch()).collect(),
        heads: [
            "label y".to_string(),
            "prediction ỹ".to_string(),
            format!("gradient {d_name}"),
        ],
        cells,
        note: folded_note(&cols.folded, s.exclusive),
        legend: FigureLegend {
            ramp: (0..128)
                .map(|k| colormap::diverging(-1.0 + 2.0 * (f64::from(k) + 0.5) / 128.0))
                .collect(),
            ticks: shared.ticks(),
            neg: format!("{neg}{neg_d}"),
            pos: format!("{pos}{pos_d}"),
            note: readout::legend_note(shared.symlog, s.display.shared_scale, logits),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::activation::Activation;
    use crate::engine::status::LabelStatus;
    use crate::page::lessons::scenario;
    use crate::page::msg::{Msg, SettingsMsg, TrainMsg};
    use crate::page::update::update;
    use crate::present::colormap::{sequential, Rgba, EMPTY};
    use crate::present::figure::grid_svg;

    fn page(name: &str) -> (Model, Derived) {
        let m = Model::new(scenario(name).unwrap().state());
        let d = Derived::new(&m);
        (m, d)
    }

    fn colours(values: impl Iterator<Item = f64>) -> Vec<Rgba> {
        values.map(sequential).collect()
    }

    /// The figure is the page's model and derived data: the loss the evaluation gives,
    /// the labels the loss sees, a missing label's hidden truth and the shown columns,
    /// built natively (no page to read from).
    #[test]
    fn the_grid_figure_comes_from_the_model_and_derived_data() {
        let (m, d) = page("missing-BI");
        let fig = grid_figure(&m, &d);
        let s = &m.state;
        let e = d.main.eval.as_ref().unwrap();
        let shown = columns(&m, Some(e)).shown.iter().filter(|&&v| v).count();
        assert_eq!(fig.cells.len(), s.batch() * shown);
        assert_eq!(fig.n, s.size());
        let loss = crate::present::format::number(e.loss.unwrap(), 5);
        assert!(fig.loss.contains(&format!("= {loss} · ")), "{}", fig.loss);
        assert!(fig.loss.starts_with("Dice loss DL_BI"), "{}", fig.loss);
        let y = s.loss_labels();
        for cell in &fig.cells {
            let (b, c) = (cell.b, cell.c);
            let n2 = s.size() * s.size();
            assert!(cell.views.iter().all(|v| v.len() == n2), "({b}, {c})");
            let plane = |a: &ndarray::Array4<f64>| {
                a.slice(ndarray::s![b, c, .., ..])
                    .iter()
                    .copied()
                    .collect::<Vec<_>>()
            };
            match s.status[(b, c)] {
                LabelStatus::Annotated => {
                    assert_eq!(cell.views[0], colours(plane(&y).into_iter()));
                    assert!(cell.hidden.is_empty());
                }
                LabelStatus::Missing => {
                    let truth: Vec<bool> = plane(&s.labels).iter().map(|&v| v == 1.0).collect();
                    assert_eq!(cell.hidden, truth);
                    assert!(truth.contains(&true), "the lesson hides a structure");
                }
                LabelStatus::Empty => assert!(cell.views[0].iter().all(|&p| p == EMPTY)),
            }
            assert_eq!(cell.views[1], colours(plane(&s.pred).into_iter()));
            assert_eq!(
                cell.badge.is_some(),
                d.main.verdicts[(b, c)].is_some(),
                "({b}, {c})"
            );
            let set = e.cell_set[(b, c)].unwrap();
            assert!(
                cell.caption.starts_with(&format!("φ{}", set + 1)),
                "{}",
                cell.caption
            );
        }
        assert!(fig.legend.neg.starts_with("blue: descent raises ỹ"));
        assert!(fig.legend.note.contains("hatched = undefined"));
        assert!(grid_svg(&fig).starts_with("<svg"));
    }

    /// While a session trains, the figure's prediction views are the trained model's, as
    /// on the page.
    #[test]
    fn a_training_figure_shows_the_trained_prediction() {
        let (mut m, mut d) = page("empty-BI");
        for msg in [
            Msg::Settings(SettingsMsg::Activation(Activation::Softmax)),
            Msg::Train(TrainMsg::Step),
            Msg::Train(TrainMsg::Step),
        ] {
            let ch = update(&mut m, msg);
            d.refresh(&m, &ch);
        }
        let trained = m
            .train
            .session
            .as_ref()
            .unwrap()
            .trainer
            .probabilities()
            .unwrap()
            .to_owned();
        assert_ne!(trained, m.state.pred, "the run moved the prediction");
        let fig = grid_figure(&m, &d);
        for cell in &fig.cells {
            let plane = trained.slice(ndarray::s![cell.b, cell.c, .., ..]);
            assert_eq!(cell.views[1], colours(plane.iter().copied()));
        }
    }
}
