//! "Your data": the worker's fitted pair is placed into the scene the model holds (one
//! undo step, a new history entry, the loss of that data); only the latest request's
//! answer counts; a refusal is the panel's message and changes nothing.

use super::*;
use crate::engine::arrays::Array;
use crate::page::derived::Derived;
use crate::page::yourdata::{fit, Fitted, Loaded, Pick};

fn pair(b: usize) -> Loaded {
    let y: Vec<f64> = (0..b * 16 * 16).map(|k| f64::from(k % 5 == 0)).collect();
    let p: Vec<f64> = (0..b * 16 * 16).map(|k| (k % 11) as f64 / 10.0).collect();
    let arr = |values| Array {
        dims: vec![b, 1, 16, 16],
        integer: false,
        values,
    };
    Loaded {
        y: arr(y),
        pred: arr(p),
        y_file: "gt.npy".into(),
        pred_file: "pred.npy".into(),
    }
}

/// Asks (as the web layer does when it posts request `id`) and answers it.
fn ask_and_answer(m: &mut Model, id: u32, opening: bool, fitted: Result<Fitted, String>) -> Change {
    update(m, Msg::Data(DataMsg::Asked { id, opening }));
    answer(m, id, fitted)
}

fn answer(m: &mut Model, id: u32, fitted: Result<Fitted, String>) -> Change {
    update(
        m,
        Msg::Data(DataMsg::Shown {
            id,
            fitted: Box::new(fitted),
        }),
    )
}

#[test]
fn a_fitted_pair_becomes_the_scene_and_a_refusal_changes_nothing() {
    let mut m = model();
    let before = m.state.clone();
    let link_before = m.link();
    let f = fit(&pair(2), Pick::default()).unwrap();
    let ch = ask_and_answer(&mut m, 1, true, Ok(f.clone()));
    assert!(ch.page && ch.yourdata);
    // A new history entry, whose link before is the page before the data.
    assert_eq!(
        ch.link,
        Link::Push {
            before: link_before
        }
    );
    assert_eq!(m.state.labels, f.labels);
    assert_eq!(m.state.pred, f.pred);
    assert_eq!(m.state.settings, before.settings);
    assert!(!m.data.error);
    assert!(
        m.data.shown
            && m.data
                .status
                .contains("labels gt.npy and predictions pred.npy")
    );
    // The loss is the engine's on exactly these tensors.
    let d = Derived::new(&m);
    let direct =
        crate::engine::loss::evaluate_probs(f.labels.view(), f.pred.clone(), &m.state.settings)
            .unwrap();
    assert_eq!(d.main.eval.as_ref().unwrap().loss, direct.loss);
    assert!(direct.loss.is_some());
    let refused = ask_and_answer(&mut m, 2, true, Err("bad file".into()));
    assert!(refused.yourdata && !refused.page && refused.link == Link::Keep);
    assert_eq!(m.state.labels, f.labels, "a refusal leaves the scene");
    assert!(m.data.error);
    assert_eq!(
        m.data.status,
        "The files were not opened: bad file. The scene is unchanged; the data last opened \
         is labels gt.npy and predictions pred.npy."
    );
}

/// The data is placed into the model's scene as it is when the answer comes (a setting
/// changed after the request stands), not into an older copy of it.
#[test]
fn the_data_is_placed_into_the_scene_the_page_shows_when_it_arrives() {
    let mut m = model();
    update(
        &mut m,
        Msg::Data(DataMsg::Asked {
            id: 1,
            opening: true,
        }),
    );
    let eps = m.state.settings.eps_nr * 3.0 + 1e-3;
    m.state.settings.eps_nr = eps;
    let f = fit(&pair(2), Pick::default()).unwrap();
    answer(&mut m, 1, Ok(f.clone()));
    assert_eq!(m.state.pred, f.pred);
    assert_eq!(m.state.settings.eps_nr, eps);
}

/// Only the latest request's answer counts: an earlier one arriving late is dropped, and
/// so is an answer to a request the page never asked.
#[test]
fn an_answer_to_an_earlier_request_is_dropped() {
    let mut m = model();
    let old = fit(&pair(1), Pick::default()).unwrap();
    let new = fit(&pair(2), Pick::default()).unwrap();
    update(
        &mut m,
        Msg::Data(DataMsg::Asked {
            id: 1,
            opening: true,
        }),
    );
    update(
        &mut m,
        Msg::Data(DataMsg::Asked {
            id: 2,
            opening: false,
        }),
    );
    let before = m.state.clone();
    let ch = answer(&mut m, 1, Ok(old));
    assert_eq!(ch, Change::none());
    assert_eq!(m.state, before);
    assert!(!m.data.shown);
    answer(&mut m, 2, Ok(new.clone()));
    assert_eq!(m.state.labels, new.labels);
    assert_eq!(answer(&mut m, 7, Err("late".into())), Change::none());
    assert!(!m.data.error);
}

/// Opening data of the scene's own shape is one undo step; Undo brings the scene back.
#[test]
fn opening_data_of_the_same_shape_is_one_undo_step() {
    let mut m = model();
    let (b, c, n, _) = m.state.labels.dim();
    assert!(
        m.state.exclusive && c == 2,
        "one label per pixel, two classes"
    );
    // One label per pixel (class 1 on every third pixel), predictions that sum to 1.
    let plane = n * n;
    let fg = |k: usize| f64::from((k % plane).is_multiple_of(3));
    let class = |k: usize| (k / plane) % c;
    let y = (0..b * c * plane).map(|k| if class(k) == 1 { fg(k) } else { 1.0 - fg(k) });
    let p1 = |k: usize| 0.3 + 0.4 * fg(k);
    let p = (0..b * c * plane).map(|k| if class(k) == 1 { p1(k) } else { 1.0 - p1(k) });
    let arr = |values: Vec<f64>| Array {
        dims: vec![b, c, n, n],
        integer: false,
        values,
    };
    let l = Loaded {
        y: arr(y.collect()),
        pred: arr(p.collect()),
        y_file: "a.npy".into(),
        pred_file: "b.npy".into(),
    };
    let before = m.state.clone();
    let f = fit(&l, Pick::default()).unwrap();
    assert_eq!(f.labels.dim(), before.labels.dim());
    assert!(f.one_class);
    ask_and_answer(&mut m, 1, true, Ok(f.clone()));
    assert_eq!(m.state.pred, f.pred);
    update(&mut m, Msg::Paint(PaintMsg::Undo));
    assert_eq!(
        (m.state.labels.clone(), m.state.pred.clone()),
        (before.labels, before.pred)
    );
}
