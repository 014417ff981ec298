//! What the controls' typed and slid values mean: the ε slider's stops, typed ε values
//! (decimal, scientific, `2·10^-5`, a decimal comma), and the learning rate's stops and
//! typed values. A refusal is a sentence for the inline message.

use crate::present::format::excerpt;

/// Smallest and largest non-zero ε on the slider, as powers of ten.
pub const EPS_MIN_EXP: i32 = -8;
pub const EPS_MAX_EXP: i32 = 4;
/// Stops inside each decade.
const MANTISSAS: [f64; 3] = [1.0, 2.0, 5.0];

/// Number of slider positions: 0, then 1-2-5 steps from 1e-8 up to 1e4.
pub fn eps_stop_count() -> u32 {
    1 + (EPS_MAX_EXP - EPS_MIN_EXP) as u32 * MANTISSAS.len() as u32 + 1
}

/// The ε at a slider position (0 → exactly 0; clamped beyond the ends).
pub fn eps_at(pos: u32) -> f64 {
    if pos == 0 {
        return 0.0;
    }
    let k = (pos - 1).min(eps_stop_count() - 2);
    let decade = EPS_MIN_EXP + (k / MANTISSAS.len() as u32) as i32;
    let m = MANTISSAS[(k % MANTISSAS.len() as u32) as usize];
    // Parse the decimal text so stops are the exact doubles people type ("2e-5").
    format!("{m}e{decade}").parse().unwrap_or(0.0)
}

/// The slider position closest to `eps` on a log scale (0 only for ε = 0).
pub fn eps_position(eps: f64) -> u32 {
    if eps.is_nan() || eps <= 0.0 || !eps.is_finite() {
        return 0;
    }
    let target = eps.log10();
    (1..eps_stop_count())
        .min_by(|&a, &b| {
            let da = (eps_at(a).log10() - target).abs();
            let db = (eps_at(b).log10() - target).abs();
            da.total_cmp(&db)
        })
        .unwrap_or(1)
}

/// Largest ε accepted from the text field.
pub const EPS_MAX: f64 = 1e12;
/// Smallest positive ε accepted: below it ε² underflows and the engine can only report
/// overflowing pushes, which teaches nothing.
pub const EPS_MIN: f64 = 1e-150;

/// Parses a typed ε: decimal or scientific (`1e-7`, `0.5`, `1E4`, `2·10^-5`); it must be a
/// finite number ≥ 0. The error is a sentence for the inline message.
pub fn parse_eps(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("type a number ≥ 0, e.g. 1e-7".into());
    }
    let normalised = normalise_number_text(t);
    let v: f64 = normalised.parse().map_err(|_| {
        format!(
            "“{}” is not a number; type e.g. 1e-5, 0.001 or 0",
            excerpt(t)
        )
    })?;
    if !v.is_finite() {
        return Err("ε must be a finite number".into());
    }
    // "1e-1000" parses as 0: a number too small for 64 bits, not a typed zero.
    let mantissa = normalised.split(['e', 'E']).next().unwrap_or("");
    if v == 0.0 && mantissa.chars().any(|c| ('1'..='9').contains(&c)) {
        return Err(format!(
            "“{}” is too small for a 64-bit number; use 0 or at least {EPS_MIN:e}",
            excerpt(t)
        ));
    }
    if v < 0.0 {
        return Err("ε cannot be negative".into());
    }
    if v > EPS_MAX {
        return Err(format!("ε above {EPS_MAX:e} is not useful here"));
    }
    if v > 0.0 && v < EPS_MIN {
        return Err(format!("ε between 0 and {EPS_MIN:e} is below what 64-bit floats square; use 0 or at least {EPS_MIN:e}"));
    }
    Ok(v)
}

/// Accepts the ways people write powers of ten: `2·10^-5`, `2x10^-5`, `10^-5`, a real
/// minus sign, a decimal comma.
fn normalise_number_text(t: &str) -> String {
    let t: String = t
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '−' | '–' => '-',
            ',' => '.',
            other => other,
        })
        .collect();
    // ASCII only: the letters that matter are e, inf and nan (and a full Unicode lowercase
    // would bring its 12 KB table into the page).
    let lower = t.to_ascii_lowercase();
    for sep in ["·10^", "*10^", "x10^", "×10^"] {
        if let Some((m, e)) = lower.split_once(sep) {
            return format!("{m}e{e}");
        }
    }
    if let Some(e) = lower.strip_prefix("10^") {
        return format!("1e{e}");
    }
    // Reject words like "inf" and "nan" that Rust's parser would accept.
    if lower.contains("inf") || lower.contains("nan") {
        return String::from("x");
    }
    lower
}

/// Learning-rate stops of the Train panel's slider: 1-2-5 steps from 1e-4 to 10.
pub const LR_STOPS: [f64; 16] = [
    1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// The slider stop nearest to `lr` on a log scale.
pub fn lr_position(lr: f64) -> usize {
    if !(lr.is_finite() && lr > 0.0) {
        return 0;
    }
    (0..LR_STOPS.len())
        .min_by(|&a, &b| {
            let d = |k: usize| (LR_STOPS[k].log10() - lr.log10()).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap_or(0)
}

/// Largest learning rate the page accepts.
pub const LR_MAX: f64 = 1e3;

/// Parses a typed learning rate: a finite number above 0 and at most [`LR_MAX`].
pub fn parse_lr(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let v: f64 = normalise_number_text(t)
        .parse()
        .map_err(|_| format!("“{}” is not a number; type e.g. 0.2 or 1e-3", excerpt(t)))?;
    if !(v.is_finite() && v > 0.0) {
        return Err("the learning rate must be a positive number".into());
    }
    if v > LR_MAX {
        return Err(format!(
            "a learning rate above {LR_MAX:e} is not useful here"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_has_a_zero_stop_and_reaches_1e4() {
        assert_eq!(eps_at(0), 0.0);
        assert_eq!(eps_at(1), 1e-8);
        assert_eq!(eps_at(eps_stop_count() - 1), 1e4);
        assert_eq!(eps_at(10_000), 1e4);
        let mut last = 0.0;
        for p in 1..eps_stop_count() {
            let e = eps_at(p);
            assert!(e > last);
            last = e;
            assert_eq!(eps_position(e), p, "{e}");
        }
        assert_eq!(eps_position(0.0), 0);
        assert_eq!(eps_position(f64::NAN), 0);
        assert_eq!(eps_at(eps_position(1e-5)), 1e-5);
        assert_eq!(eps_at(eps_position(1e-7)), 1e-7);
        assert_eq!(eps_at(eps_position(1.2e-5)), 1e-5);
        assert_eq!(eps_position(1e30), eps_stop_count() - 1);
    }

    #[test]
    fn typed_eps_is_checked() {
        assert_eq!(parse_eps("1e-7"), Ok(1e-7));
        assert_eq!(parse_eps(" 0 "), Ok(0.0));
        assert_eq!(parse_eps("1E4"), Ok(1e4));
        assert_eq!(parse_eps("2·10^-5"), Ok(2e-5));
        assert_eq!(parse_eps("10^-3"), Ok(1e-3));
        assert_eq!(parse_eps("0,5"), Ok(0.5));
        for bad in [
            "", "abc", "-1", "−1e-3", "inf", "NaN", "1e400", "1e13", "1e-7x", "5e-324", "1e-200",
        ] {
            assert!(parse_eps(bad).is_err(), "{bad}");
        }
    }
}
