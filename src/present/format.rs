//! The one home of how numbers are written for people.
//!
//! One rule everywhere (readouts, badges, legend ticks, the formula, the ε field): plain
//! decimals for 1e-3 ≤ |v| < 1e5 and scientific notation outside, so 0.25 and 1e-7 both
//! read the way people type them. A non-finite value is never printed as "NaN" or "inf".

/// Magnitudes written as plain decimals; everything else is scientific.
const PLAIN: std::ops::Range<f64> = 1e-3..1e5;

/// A positive finite magnitude split for writing.
#[derive(Clone, Debug, PartialEq)]
pub enum Parts {
    /// Plain decimals, e.g. "0.25".
    Plain(String),
    /// Mantissa and power of ten, e.g. ("2.5", −9).
    Sci(String, i32),
}

/// Splits `a` (> 0, finite) by the rule above: with `sig` significant digits (trailing
/// zeros dropped), or `None` for the shortest text that reads back as the same double.
pub fn parts(a: f64, sig: Option<usize>) -> Parts {
    let sig = sig.map(|s| s.clamp(1, 17));
    let text = match (PLAIN.contains(&a), sig) {
        (true, Some(sig)) => {
            let digits = (sig as i32 - 1 - a.log10().floor() as i32).max(0) as usize;
            return Parts::Plain(trim_zeros(&format!("{a:.digits$}")));
        }
        (true, None) => return Parts::Plain(format!("{a}")),
        // Rust's scientific formatting rounds the mantissa and carries into the exponent
        // correctly, subnormals included.
        (false, Some(sig)) => format!("{a:.prec$e}", prec = sig - 1),
        (false, None) => format!("{a:e}"),
    };
    match text.split_once('e') {
        Some((m, e)) => Parts::Sci(trim_zeros(m), e.parse().unwrap_or(0)),
        None => Parts::Plain(text),
    }
}

/// A number with `sig` significant digits for people, with a real minus sign; "undefined"
/// for NaN and ±∞.
pub fn number(v: f64, sig: usize) -> String {
    written(v, Some(sig), "−")
}

/// Like [`number`], for a value that may overflow (a ratio of two finite numbers): ±∞
/// become "≫ 1e300" / "≪ −1e300" rather than "undefined"; NaN stays "undefined".
pub fn large(v: f64, sig: usize) -> String {
    if v == f64::INFINITY {
        "≫ 1e300".to_string()
    } else if v == f64::NEG_INFINITY {
        "≪ −1e300".to_string()
    } else {
        number(v, sig)
    }
}

/// The shortest text that parses back to exactly `v` (an ASCII minus, so it can be typed
/// and read again), e.g. "1e-7", "0.001", "2.5e5": what a text field shows of a value.
pub fn exact(v: f64) -> String {
    written(v, None, "-")
}

/// A short label for a legend tick.
pub fn tick(v: f64) -> String {
    number(v, 2)
}

/// "10⁻³" for −3.
pub fn power_of_ten(k: i32) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::from("10");
    if k < 0 {
        s.push('⁻');
    }
    for ch in k.unsigned_abs().to_string().chars() {
        if let Some(d) = ch.to_digit(10) {
            s.push(SUP[d as usize]);
        }
    }
    s
}

/// At most `max` characters of `s` (whole characters), with "…" when cut: for echoing
/// user input in a message without echoing a megabyte.
pub fn excerpt_of(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}

/// [`excerpt_of`] at the length every message uses.
pub fn excerpt(s: &str) -> String {
    excerpt_of(s, EXCERPT_CHARS)
}

/// How much of a piece of user input a message repeats.
pub const EXCERPT_CHARS: usize = 60;

fn written(v: f64, sig: Option<usize>, minus: &str) -> String {
    if !v.is_finite() {
        return "undefined".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let sign = if v < 0.0 { minus } else { "" };
    match parts(v.abs(), sig) {
        Parts::Plain(p) => format!("{sign}{p}"),
        Parts::Sci(m, e) => format!("{sign}{m}e{e}"),
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(0.123456, 4), "0.1235");
        assert_eq!(number(-0.5, 4), "−0.5");
        assert_eq!(number(1e-7, 3), "1e-7");
        assert_eq!(number(-2.5e-9, 2), "−2.5e-9");
        assert_eq!(number(1234.0, 4), "1234");
        assert_eq!(number(1e4, 3), "10000");
        assert_eq!(number(2e6, 3), "2e6");
        assert_eq!(number(0.0, 3), "0");
        assert_eq!(number(f64::NAN, 3), "undefined");
        assert_eq!(number(f64::NEG_INFINITY, 3), "undefined");
        assert_eq!(number(f64::INFINITY, 4), "undefined");
        assert_eq!(large(1e308 * 10.0, 2), "≫ 1e300");
        assert_eq!(large(f64::NEG_INFINITY, 2), "≪ −1e300");
        assert_eq!(large(f64::NAN, 2), "undefined");
        assert_eq!(large(2.5e7, 2), "2.5e7");
        for v in [f64::MAX, f64::MIN_POSITIVE, 5e-324, -f64::MAX] {
            for t in [number(v, 3), large(v, 3), exact(v)] {
                assert!(!t.contains("inf") && !t.contains("NaN"), "{v}: {t}");
            }
        }
        assert_eq!(power_of_ten(-12), "10⁻¹²");
        assert_eq!(power_of_ten(3), "10³");
    }

    #[test]
    fn exact_text_reads_back_as_the_same_double() {
        assert_eq!(exact(1e-7), "1e-7");
        assert_eq!(exact(0.001), "0.001");
        assert_eq!(exact(2.5e5), "2.5e5");
        assert_eq!(exact(52.0), "52");
        assert_eq!(exact(0.0), "0");
        assert_eq!(exact(-3e-9), "-3e-9");
        for v in [
            1e-7,
            0.1 + 0.2,
            1.0 / 3.0,
            156.0 / 3.0,
            5e-324,
            f64::MAX,
            1e-150,
        ] {
            assert_eq!(exact(v).parse::<f64>().unwrap(), v, "{v}");
        }
    }

    #[test]
    fn excerpts_are_short_and_whole_characters() {
        assert_eq!(excerpt_of("abc", 5), "abc");
        assert_eq!(excerpt_of("abcdef", 3), "abc…");
        assert_eq!(excerpt_of("ΦΦΦΦ", 2), "ΦΦ…");
        assert!(excerpt(&"x".repeat(1_000_000)).chars().count() <= EXCERPT_CHARS + 1);
    }

    #[test]
    fn parts_follow_one_rule() {
        assert_eq!(parts(0.25, Some(4)), Parts::Plain("0.25".into()));
        assert_eq!(parts(2.5e-9, Some(4)), Parts::Sci("2.5".into(), -9));
        assert_eq!(parts(9.9996e-7, Some(4)), Parts::Sci("1".into(), -6));
        assert_eq!(parts(99999.0, Some(4)), Parts::Plain("99999".into()));
        assert_eq!(parts(1e5, Some(4)), Parts::Sci("1".into(), 5));
        assert_eq!(parts(0.001, None), Parts::Plain("0.001".into()));
        assert_eq!(parts(0.000999, None), Parts::Sci("9.99".into(), -4));
    }
}
