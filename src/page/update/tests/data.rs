//! "Your data": the worker's fitted pair becomes the scene (one undo step, the loss of
//! that data); a refusal is the panel's message and changes nothing.

use super::*;
use crate::engine::arrays::Array;
use crate::page::derived::Derived;
use crate::page::yourdata::{fit, show, Loaded, Pick};

fn pair() -> Loaded {
    let y: Vec<f64> = (0..2 * 16 * 16).map(|k| f64::from(k % 5 == 0)).collect();
    let p: Vec<f64> = (0..2 * 16 * 16).map(|k| (k % 11) as f64 / 10.0).collect();
    let arr = |values| Array {
        dims: vec![2, 1, 16, 16],
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

#[test]
fn a_fitted_pair_becomes_the_scene_and_a_refusal_changes_nothing() {
    let mut m = model();
    let before = m.state.clone();
    let f = fit(&pair(), Pick::default()).unwrap();
    let shown = show(&pair(), Pick::default(), &m.link()).unwrap();
    let ch = update(&mut m, Msg::Data(DataMsg::Shown(Box::new(Ok(shown)))));
    assert!(ch.page && ch.yourdata && ch.link == Link::Replace);
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
    let refused = update(
        &mut m,
        Msg::Data(DataMsg::Shown(Box::new(Err("bad file".into())))),
    );
    assert!(refused.yourdata && !refused.page);
    assert_eq!(m.state.labels, f.labels, "a refusal leaves the scene");
    assert!(m.data.error && m.data.status == "bad file");
}
