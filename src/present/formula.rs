//! The live formula: sDSC_φ and ∂DL/∂ỹ_i in MathML with the current numbers
//! of one set substituted. Pure string building, so it is tested natively; the browser
//! renders MathML itself.

use crate::engine::loss::{DiceSettings, SetReport};
use crate::present::format::{self, Parts};

/// A number as MathML: 4 significant digits by the rule of [`format::parts`], written
/// `a × 10^k` when scientific; non-finite values (never produced by the engine) read
/// "undefined".
pub fn mn(v: f64) -> String {
    if !v.is_finite() {
        return "<mtext>undefined</mtext>".into();
    }
    if v == 0.0 {
        return "<mn>0</mn>".into();
    }
    let sign = if v < 0.0 { "<mo>−</mo>" } else { "" };
    match format::parts(v.abs(), Some(4)) {
        Parts::Plain(text) => format!("{sign}<mn>{text}</mn>"),
        Parts::Sci(mant, exp) if mant == "1" => {
            format!("{sign}<msup><mn>10</mn><mn>{exp}</mn></msup>")
        }
        Parts::Sci(mant, exp) => {
            format!("{sign}<mn>{mant}</mn><mo>×</mo><msup><mn>10</mn><mn>{exp}</mn></msup>")
        }
    }
}

fn sub(base: &str, s: &str) -> String {
    format!("<msub>{base}<mi>{s}</mi></msub>")
}

fn frac(n: &str, d: &str) -> String {
    format!("<mfrac><mrow>{n}</mrow><mrow>{d}</mrow></mfrac>")
}

/// The symbols: V, Ṽ, X with subscript φ.
fn v() -> String {
    sub("<mi>V</mi>", "φ")
}
fn vt() -> String {
    sub("<mover><mi>V</mi><mo>~</mo></mover>", "φ")
}
fn x() -> String {
    sub("<mi>X</mi>", "φ")
}
fn eps(which: &str) -> String {
    format!("<msub><mi>ε</mi><mtext>{which}</mtext></msub>")
}

/// The denominator before ε, symbolic and with numbers.
fn den_parts(s: &DiceSettings, r: &SetReport) -> (String, String) {
    let (vs, vts) = if s.squared {
        (
            "<mo>∑</mo><msup><mi>y</mi><mn>2</mn></msup>".to_string(),
            "<mo>∑</mo><msup><mover><mi>y</mi><mo>~</mo></mover><mn>2</mn></msup>".to_string(),
        )
    } else {
        (v(), vt())
    };
    if s.jaccard {
        (
            format!(
                "<mn>2</mn><mo>(</mo>{vs}<mo>+</mo>{vts}<mo>−</mo>{}<mo>)</mo>",
                x()
            ),
            format!(
                "<mn>2</mn><mo>(</mo>{}<mo>+</mo>{}<mo>−</mo>{}<mo>)</mo>",
                mn(r.v),
                mn(r.v_pred),
                mn(r.x)
            ),
        )
    } else {
        (
            format!("{vs}<mo>+</mo>{vts}"),
            format!("{}<mo>+</mo>{}", mn(r.v), mn(r.v_pred)),
        )
    }
}

/// ∂U/∂ỹ_i in symbols for the current options.
fn d_den(s: &DiceSettings) -> String {
    let yi = sub("<mover><mi>y</mi><mo>~</mo></mover>", "i");
    let y = sub("<mi>y</mi>", "i");
    match (s.jaccard, s.squared) {
        (false, false) => "<mn>1</mn>".into(),
        (false, true) => format!("<mn>2</mn>{yi}"),
        (true, false) => format!("<mn>2</mn><mo>(</mo><mn>1</mn><mo>−</mo>{y}<mo>)</mo>"),
        (true, true) => format!("<mn>2</mn><mo>(</mo><mn>2</mn>{yi}<mo>−</mo>{y}<mo>)</mo>"),
    }
}

/// A pixel to substitute into the gradient: its label, prediction and gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pixel {
    pub y: f64,
    pub p: f64,
    pub grad: Option<f64>,
}

/// Both formulas as one `<math display="block">` block each, with the set's numbers.
/// `pixel` is the hovered pixel; without it the foreground and background values are shown.
pub fn formulas(s: &DiceSettings, r: &SetReport, n_sets: usize, pixel: Option<Pixel>) -> String {
    let (den_sym, den_num) = den_parts(s, r);
    let name = if s.jaccard { "sIoU" } else { "sDSC" };
    let num_sym = format!("<mn>2</mn>{}<mo>+</mo>{}", x(), eps("nr"));
    let num_num = format!("<mn>2</mn><mo>·</mo>{}<mo>+</mo>{}", mn(r.x), mn(s.eps_nr));
    let dr_sym = format!("{den_sym}<mo>+</mo>{}", eps("dr"));
    let dr_num = format!("{den_num}<mo>+</mo>{}", mn(s.eps_dr));
    let floor = if r.floored {
        format!(
            "<mspace width=\"0.5em\"/><mtext>(floored to {})</mtext>",
            format::number(r.denominator, 4)
        )
    } else {
        String::new()
    };
    let value = match r.sdsc {
        Some(v) => mn(v),
        None => format!(
            "<mtext>undefined ({})</mtext>",
            r.undefined.map_or("", |u| u.explain())
        ),
    };
    let score = format!(
        "<math display=\"block\"><msub><mtext>{name}</mtext><mi>φ</mi></msub><mo>=</mo>{}<mo>=</mo>{}<mo>=</mo>{value}{floor}</math>",
        frac(&num_sym, &dr_sym),
        frac(&num_num, &dr_num)
    );

    let inv = frac("<mn>1</mn>", "<mo>|</mo><mi>Φ</mi><mo>|</mo>");
    let u = sub("<mi>U</mi>", "φ");
    let yi = sub("<mi>y</mi>", "i");
    let lhs = frac(
        "<mo>∂</mo><mi>DL</mi>",
        &format!(
            "<mo>∂</mo>{}",
            sub("<mover><mi>y</mi><mo>~</mo></mover>", "i")
        ),
    );
    let general = format!(
        "<mo>−</mo>{inv}<mo>[</mo>{}<mo>−</mo>{}<mo>]</mo>",
        frac(&format!("<mn>2</mn>{yi}"), &u),
        frac(
            &format!("<mo>(</mo>{num_sym}<mo>)</mo><mo>·</mo>{}", d_den(s)),
            &format!("<msup>{u}<mn>2</mn></msup>")
        )
    );
    let zeroed = if r.zeroed {
        "<mtext> (set has no foreground: zeroed, gradient 0)</mtext>"
    } else {
        ""
    };
    let mut grad = format!("<math display=\"block\">{lhs}<mo>=</mo>{general}{zeroed}</math>");
    let n = format!("<mn>{n_sets}</mn>");
    let pixels: Vec<(String, f64, f64, Option<f64>)> = match pixel {
        Some(p) => vec![("this pixel".into(), p.y, p.p, p.grad)],
        None => {
            let mut v = Vec::new();
            if let Some(g) = r.grad_fg {
                v.push(("foreground pixels".into(), 1.0, f64::NAN, Some(g)));
            }
            if let Some(g) = r.grad_bg {
                v.push(("background pixels".into(), 0.0, f64::NAN, Some(g)));
            }
            v
        }
    };
    for (label, y, p, g) in pixels {
        let dd = match (s.jaccard, s.squared) {
            (false, false) => mn(1.0),
            (false, true) => format!("<mn>2</mn><mo>·</mo>{}", mn(p)),
            (true, false) => format!(
                "<mn>2</mn><mo>(</mo><mn>1</mn><mo>−</mo>{}<mo>)</mo>",
                mn(y)
            ),
            (true, true) => format!(
                "<mn>2</mn><mo>(</mo><mn>2</mn><mo>·</mo>{}<mo>−</mo>{}<mo>)</mo>",
                mn(p),
                mn(y)
            ),
        };
        let value = match g {
            Some(g) => mn(g),
            None => "<mtext>undefined</mtext>".into(),
        };
        grad.push_str(&format!(
            "<math display=\"block\"><mtext>{label}: </mtext><mo>−</mo>{}<mo>[</mo>{}<mo>−</mo>{}<mo>]</mo><mo>=</mo>{value}</math>",
            frac("<mn>1</mn>", &n),
            frac(&format!("<mn>2</mn><mo>·</mo>{}", mn(y)), &mn(r.denominator)),
            frac(&format!("{}<mo>·</mo>{dd}", mn(r.numerator)), &format!("<msup><mrow>{}</mrow><mn>2</mn></msup>", mn(r.denominator)))
        ));
    }
    format!("{score}{grad}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::loss::evaluate;
    use ndarray::Array4;

    #[test]
    fn numbers_read_well() {
        assert_eq!(mn(0.0), "<mn>0</mn>");
        assert_eq!(mn(0.8123456), "<mn>0.8123</mn>");
        assert_eq!(mn(113.0), "<mn>113</mn>");
        assert_eq!(mn(1e-7), "<msup><mn>10</mn><mn>-7</mn></msup>");
        assert_eq!(
            mn(-2.5e-9),
            "<mo>−</mo><mn>2.5</mn><mo>×</mo><msup><mn>10</mn><mn>-9</mn></msup>"
        );
        assert_eq!(mn(9.9996e-7), "<msup><mn>10</mn><mn>-6</mn></msup>");
        assert_eq!(mn(f64::NAN), "<mtext>undefined</mtext>");
        assert_eq!(
            mn(5e-324),
            "<mn>4.941</mn><mo>×</mo><msup><mn>10</mn><mn>-324</mn></msup>"
        );
        assert_eq!(
            mn(f64::MAX),
            "<mn>1.798</mn><mo>×</mo><msup><mn>10</mn><mn>308</mn></msup>"
        );
    }

    #[test]
    fn substituted_values_are_the_engines() {
        let y = Array4::from_shape_vec((1, 1, 1, 4), vec![1.0, 1.0, 0.0, 0.0]).unwrap();
        let p = Array4::from_shape_vec((1, 1, 1, 4), vec![0.5, 0.5, 0.25, 0.0]).unwrap();
        let s = DiceSettings {
            eps_nr: 0.0,
            eps_dr: 0.0,
            ..Default::default()
        };
        let e = evaluate(y.view(), p.view(), &s).unwrap();
        let html = formulas(&s, &e.sets[0], 1, None);
        // V = 2, Ṽ = 1.25, X = 1: sDSC = 2/3.25.
        assert!(html.contains("<mn>2</mn><mo>+</mo><mn>1.25</mn>"), "{html}");
        assert!(html.contains(&mn(2.0 / 3.25)));
        assert!(html.contains("foreground pixels") && html.contains("background pixels"));
        assert!(html.contains(&mn(e.sets[0].grad_bg.unwrap())));
        assert!(!html.contains("NaN") && !html.contains("inf"));
    }

    #[test]
    fn undefined_sets_say_so() {
        let y = Array4::zeros((1, 1, 1, 2));
        let s = DiceSettings {
            eps_nr: 0.0,
            eps_dr: 0.0,
            ..Default::default()
        };
        let e = evaluate(y.view(), y.view(), &s).unwrap();
        let html = formulas(
            &s,
            &e.sets[0],
            1,
            Some(Pixel {
                y: 0.0,
                p: 0.0,
                grad: None,
            }),
        );
        assert!(html.contains("undefined (0/0"), "{html}");
        assert!(!html.contains("NaN"));
    }
}
