//! What each view shows now, in words: the descriptions screen readers get for the
//! canvases (`role="img"`), e.g. "Gradient ∂L/∂ỹ, class 1, image 1: gradient descent
//! lowers the prediction everywhere, mean +0.0015". Pure, tested natively.

use ndarray::ArrayView2;

use crate::engine::status::LabelStatus;
use crate::present::format;
use crate::present::readout::gradient_symbol;

/// The place of a view in words.
fn place(b: usize, c: usize) -> String {
    format!("class {c}, image {b}")
}

/// A signed mean for people: "+1.5e-3", "−0.02", "0".
fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", format::number(v, 2))
    } else {
        format::number(v, 2)
    }
}

/// The label view: what the loss sees there (`painted`: the painted label's bits).
pub fn label(b: usize, c: usize, status: LabelStatus, painted: ArrayView2<bool>) -> String {
    let px = painted.iter().filter(|&&on| on).count();
    let total = painted.len();
    let at = place(b, c);
    match status {
        LabelStatus::Annotated if px == 0 => {
            format!("Label y, {at}: no structure labelled (all {total} pixels y = 0); paintable")
        }
        LabelStatus::Annotated => format!(
            "Label y, {at}: {px} of {total} pixels labelled as the structure (y = 1); paintable"
        ),
        LabelStatus::Missing => format!(
            "Label y, {at}: missing label — a hidden structure of {px} pixels (dashed outline) the loss sees as y = 0; paintable"
        ),
        LabelStatus::Empty => {
            format!("Label y, {at}: empty — the structure is truly absent, the loss sees y = 0")
        }
    }
}

/// Where the prediction view's description calls a prediction confident.
const CONFIDENT: f64 = 0.5;

/// The prediction view: how much is predicted and where it is confident.
pub fn prediction(b: usize, c: usize, pred: ArrayView2<f64>) -> String {
    let n = pred.len().max(1);
    let mean = pred.sum() / n as f64;
    let high = pred.iter().filter(|&&v| v >= CONFIDENT).count();
    format!(
        "Prediction ỹ, {}: mean {}, {high} of {} pixels at 0.5 or above; paintable",
        place(b, c),
        format::number(mean, 2),
        pred.len()
    )
}

/// Why a gradient view has no values, if it has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoGradient {
    NotInLoss,
    Undefined,
    NotComputed,
}

/// The gradient view: which way gradient descent moves the prediction (or logit), where,
/// and the mean.
pub fn gradient(
    b: usize,
    c: usize,
    values: Result<ArrayView2<f64>, NoGradient>,
    logits: bool,
) -> String {
    let d = gradient_symbol(logits);
    let what = if logits {
        "the logit"
    } else {
        "the prediction"
    };
    let at = place(b, c);
    let values = match values {
        Ok(v) => v,
        Err(NoGradient::NotInLoss) => {
            return format!("Gradient {d}, {at}: not in the loss, no gradient")
        }
        Err(NoGradient::Undefined) => {
            return format!("Gradient {d}, {at}: undefined (0/0), training would get NaN")
        }
        Err(NoGradient::NotComputed) => return format!("Gradient {d}, {at}: not computed"),
    };
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (up, down) = finite.iter().fold((0usize, 0usize), |(u, d), &v| {
        (u + usize::from(v < 0.0), d + usize::from(v > 0.0))
    });
    let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    let total = values.len();
    let how = match (up, down) {
        (0, 0) => "zero everywhere: no push".to_string(),
        (0, k) if k == total => format!("gradient descent lowers {what} everywhere"),
        (k, 0) if k == total => format!("gradient descent raises {what} everywhere"),
        (0, k) => {
            format!("gradient descent lowers {what} on {k} of {total} pixels, no push elsewhere")
        }
        (k, 0) => {
            format!("gradient descent raises {what} on {k} of {total} pixels, no push elsewhere")
        }
        (u, dn) => format!("gradient descent raises {what} on {u} pixels and lowers it on {dn}"),
    };
    format!("Gradient {d}, {at}: {how}, mean {}", signed(mean))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn a_gradient_says_which_way_and_its_mean() {
        let mut g = Array2::<f64>::from_elem((4, 4), 1.5e-3);
        let t = gradient(1, 1, Ok(g.view()), false);
        assert_eq!(
            t,
            "Gradient ∂L/∂ỹ, class 1, image 1: gradient descent lowers the prediction everywhere, mean +0.0015"
        );
        g[(0, 0)] = -0.0305;
        let t = gradient(0, 1, Ok(g.view()), true);
        assert!(
            t.contains("raises the logit on 1 pixels and lowers it on 15"),
            "{t}"
        );
        assert!(t.contains("∂L/∂z"));
        let z = Array2::<f64>::zeros((2, 2));
        assert!(gradient(0, 0, Ok(z.view()), false).contains("zero everywhere"));
        assert!(gradient(0, 0, Err(NoGradient::Undefined), false).contains("undefined (0/0)"));
        assert!(gradient(0, 0, Err(NoGradient::NotInLoss), false).contains("not in the loss"));
        let nan = Array2::<f64>::from_elem((2, 2), f64::NAN);
        assert!(!gradient(0, 0, Ok(nan.view()), false).contains("NaN"));
    }

    #[test]
    fn labels_and_predictions_are_counted() {
        let mut y = Array2::<f64>::zeros((4, 4));
        y[(1, 1)] = 1.0;
        y[(1, 2)] = 1.0;
        assert!(
            label(0, 1, LabelStatus::Annotated, y.mapv(|v| v == 1.0).view())
                .contains("2 of 16 pixels")
        );
        assert!(
            label(0, 1, LabelStatus::Missing, y.mapv(|v| v == 1.0).view())
                .contains("hidden structure of 2 pixels")
        );
        assert!(
            label(0, 1, LabelStatus::Empty, y.mapv(|v| v == 1.0).view()).contains("truly absent")
        );
        let p = Array2::<f64>::from_elem((2, 2), 0.25);
        assert_eq!(
            prediction(1, 0, p.view()),
            "Prediction ỹ, class 0, image 1: mean 0.25, 0 of 4 pixels at 0.5 or above; paintable"
        );
    }
}
