//! One pass over an input document, and the readers of its values.
//!
//! [`Document::parse`] reads the top-level object once with serde_json, keeping every
//! value as its raw JSON text (a borrowed slice: nothing is copied or converted). Each
//! command then takes the fields it knows and converts them with the readers below; what
//! is left over is an unknown field. So a large array is converted only after the shape
//! has been checked, wherever the fields stand in the document, and never stored in any
//! intermediate form. Numbers are converted here rather than by serde_json so that a
//! literal too small for an `f64` (`1e-400`) is refused like one too large (`1e400`)
//! instead of silently becoming 0.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::excerpt;

/// The fields of one input document (and of command-line flags), each as raw JSON text.
#[derive(Debug, Default)]
pub struct Document<'a> {
    fields: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

impl<'a> Document<'a> {
    /// Reads one JSON object. Fails on invalid JSON, a top level that is not an object,
    /// and a field given twice.
    pub fn parse(text: &'a str) -> Result<Document<'a>, String> {
        let start = text.trim_start_matches(is_json_space);
        if !start.is_empty() && !start.starts_with('{') {
            return Err(format!(
                "invalid input JSON: the input must be one JSON object {{…}}, it starts with {}",
                excerpt(start)
            ));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let fields = de
            .deserialize_map(FieldsVisitor)
            .and_then(|f| de.end().map(|()| f))
            .map_err(|e| format!("invalid input JSON: {e}"))?;
        fields.map(|fields| Document { fields })
    }

    /// Sets `key` from a command-line value: the value itself when it is a JSON literal
    /// (`1e-7`, `true`, `"I"`, `[1, 2]`), otherwise the value as a JSON string (`BI`).
    /// Replaces what the document said.
    pub fn set_flag(&mut self, key: &str, value: &str) {
        let raw = if serde_json::from_str::<&RawValue>(value).is_ok() {
            value.to_string()
        } else {
            serde_json::Value::String(value.to_string()).to_string()
        };
        self.fields
            .insert(Cow::Owned(key.to_string()), Cow::Owned(raw));
    }

    /// Removes `key` and returns its raw JSON text; JSON `null` counts as absent.
    pub fn take(&mut self, key: &str) -> Option<Cow<'a, str>> {
        self.fields.remove(key).filter(|raw| raw.trim() != "null")
    }

    /// Whether `key` is present (and not null), without taking it.
    pub fn has(&self, key: &str) -> bool {
        self.fields.get(key).is_some_and(|raw| raw.trim() != "null")
    }

    /// The fields nobody took, in sorted order.
    pub fn remaining(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(|k| k.as_ref())
    }
}

struct FieldsVisitor;

type Fields<'a> = Result<BTreeMap<Cow<'a, str>, Cow<'a, str>>, String>;

impl<'de> Visitor<'de> for FieldsVisitor {
    /// The inner `Result` carries our own errors (a duplicate field), which must not go
    /// through serde_json's, since those would append a position to an echo of the key.
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = BTreeMap::new();
        while let Some(Key(key)) = map.next_key()? {
            let raw: &'de RawValue = map.next_value()?;
            if fields.contains_key(&key) {
                // Finish reading so that a syntax error later on still wins.
                while map.next_entry::<Key, &RawValue>()?.is_some() {}
                return Ok(Err(format!("field {} is given twice", excerpt(&key))));
            }
            fields.insert(key, Cow::Borrowed(raw.get()));
        }
        Ok(Ok(fields))
    }
}

/// A key, borrowed from the input unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

// ---------------------------------------------------------------------------------------
// Readers of raw values. Every message names the field and cuts what it echoes.

/// A number literal as an `f64`: refuses a literal beyond the range of 64-bit floats, and
/// one so close to 0 that it would become 0 (a subnormal such as 5e-324 is kept).
pub fn number_literal(literal: &str) -> Result<f64, String> {
    let v: f64 = literal
        .parse()
        .map_err(|_| format!("{} is not a number", excerpt(literal)))?;
    if v.is_infinite() {
        return Err(format!(
            "{} is beyond the range of 64-bit floats (about ±1.8e308)",
            excerpt(literal)
        ));
    }
    if v == 0.0 && mantissa_digits(literal).any(|d| d != b'0') {
        return Err(format!(
            "{} is below the smallest positive 64-bit float (about 4.9e-324) and would \
             become 0; write 0 if 0 is meant",
            excerpt(literal)
        ));
    }
    Ok(v)
}

/// The digits before the exponent.
fn mantissa_digits(literal: &str) -> impl Iterator<Item = u8> + '_ {
    literal
        .bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .filter(u8::is_ascii_digit)
}

fn is_number_start(raw: &str) -> bool {
    matches!(raw.as_bytes().first(), Some(b'-' | b'0'..=b'9'))
}

/// A field holding one number.
pub fn number(name: &str, raw: &str) -> Result<f64, String> {
    let raw = raw.trim();
    if !is_number_start(raw) {
        return Err(format!("`{name}` must be a number, got {}", excerpt(raw)));
    }
    number_literal(raw).map_err(|e| format!("`{name}`: {e}"))
}

/// A field holding `true` or `false`.
pub fn boolean(name: &str, raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!(
            "`{name}` must be true or false, got {}",
            excerpt(other)
        )),
    }
}

/// A field holding a string.
pub fn string(name: &str, raw: &str) -> Result<String, String> {
    serde_json::from_str::<String>(raw)
        .map_err(|_| format!("`{name}` must be a string, got {}", excerpt(raw.trim())))
}

/// A field holding a whole number ≥ 0.
pub fn count(name: &str, raw: &str) -> Result<usize, String> {
    let raw = raw.trim();
    raw.parse::<usize>()
        .map_err(|_| format!("`{name}` must be a whole number ≥ 0, got {}", excerpt(raw)))
}

/// Calls `each(index, literal)` for every element of a flat JSON array of numbers and
/// returns how many there are. `raw` is valid JSON (it came from serde_json), so only
/// the element types need checking.
pub fn for_each_number(
    name: &str,
    raw: &str,
    mut each: impl FnMut(usize, &str) -> Result<(), String>,
) -> Result<usize, String> {
    let raw = raw.trim_matches(is_json_space);
    let b = raw.as_bytes();
    if b.len() < 2 || b[0] != b'[' || b[b.len() - 1] != b']' {
        return Err(format!(
            "`{name}` must be an array of numbers, got {}",
            excerpt(raw)
        ));
    }
    // A byte loop: this runs over every value of y and pred, so it stays lean.
    let (mut i, end, mut n) = (1, b.len() - 1, 0);
    let is_space = |c: u8| matches!(c, b' ' | b'\n' | b'\r' | b'\t');
    loop {
        while i < end && is_space(b[i]) {
            i += 1;
        }
        if i == end {
            return Ok(n);
        }
        let start = i;
        if !(b[i] == b'-' || b[i].is_ascii_digit()) {
            let rest = &raw[i..end];
            let hint = if b[i] == b'[' {
                " (a nested array: give the values flat in row-major order, e.g. numpy's ravel())"
            } else {
                ""
            };
            return Err(format!(
                "`{name}`[{n}] is not a number: {}{hint}",
                excerpt(rest)
            ));
        }
        while i < end && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
            i += 1;
        }
        // Valid JSON: after a number come spaces, then a comma or the end of the array.
        each(n, &raw[start..i])?;
        n += 1;
        while i < end && is_space(b[i]) {
            i += 1;
        }
        if i < end && b[i] == b',' {
            i += 1;
        }
    }
}

/// Checks every number literal inside a raw JSON value (an object such as `dice train`'s
/// `optimizer`) with [`number_literal`], before serde_json reads it: serde_json would turn
/// `1e-400` into 0 without a word. The message names the field and the key the number
/// stands under. `raw` is valid JSON (it came from serde_json).
pub fn check_numbers(name: &str, raw: &str) -> Result<(), String> {
    let b = raw.as_bytes();
    let (mut i, mut key) = (0, None::<&str>);
    while i < b.len() {
        match b[i] {
            b'"' => {
                // A string: skip it, escapes included; remember it when it is a key.
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let text = &raw[start..i.min(b.len())];
                i += 1;
                let mut j = i;
                while j < b.len() && matches!(b[j], b' ' | b'\n' | b'\r' | b'\t') {
                    j += 1;
                }
                if j < b.len() && b[j] == b':' {
                    key = Some(text);
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                number_literal(&raw[start..i]).map_err(|e| match key {
                    Some(k) => format!("`{name}` field {}: {e}", excerpt(k)),
                    None => format!("`{name}`: {e}"),
                })?;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// serde_json's message without its " at line L column C": for a value cut out of the
/// document, that position would count from the start of the value, not of the input.
pub fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((head, _)) if e.line() > 0 => head.to_string(),
        _ => text,
    }
}

fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\n' | '\r' | '\t')
}

/// A flat array of numbers that must have exactly `want` values. Stores at most `want`
/// values and returns how many the array has: a longer array is only counted.
pub fn numbers(name: &'static str, raw: &str, want: usize) -> Result<(Vec<f64>, usize), String> {
    // A flat array of n numbers has n − 1 commas: counting them first (a fast byte count)
    // means an array of the wrong length is never stored, only counted by the loop below,
    // which also gives the exact count and the element errors.
    let commas = raw.bytes().filter(|&b| b == b',').count();
    let store = commas + 1 == want || (want == 0 && commas == 0);
    let mut out = Vec::with_capacity(if store { want } else { 0 });
    let got = for_each_number(name, raw, |i, literal| {
        if store && i < want {
            let v = match literal.as_bytes() {
                // Labels are mostly "0" and "1": no float parser needed.
                &[d @ b'0'..=b'9'] => f64::from(d - b'0'),
                _ => number_literal(literal).map_err(|e| format!("`{name}`[{i}]: {e}"))?,
            };
            out.push(v);
        }
        Ok(())
    })?;
    Ok((out, got))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_keeps_raw_values_and_refuses_duplicates() {
        let mut d = Document::parse(r#" {"a": [1, 2], "b": {"c": "d"}, "n": null} "#).unwrap();
        assert_eq!(d.take("a").as_deref(), Some("[1, 2]"));
        assert_eq!(d.take("n"), None);
        assert!(d.has("b"));
        assert_eq!(d.remaining().collect::<Vec<_>>(), ["b"]);
        let e = Document::parse(r#"{"a":1,"a":2}"#).unwrap_err();
        assert!(e.contains("field \"a\" is given twice"), "{e}");
        // Syntax errors come from serde_json, with a position.
        let e = Document::parse(r#"{"a":1,"a":2"#).unwrap_err();
        assert!(
            e.starts_with("invalid input JSON") && e.contains("line 1"),
            "{e}"
        );
        let e = Document::parse("[1]").unwrap_err();
        assert!(e.contains("must be one JSON object"), "{e}");
    }

    #[test]
    fn flags_are_json_literals_or_strings() {
        let mut d = Document::default();
        d.set_flag("phi", "BI");
        d.set_flag("eps_nr", "1e-7");
        d.set_flag("squared", "true");
        assert_eq!(string("phi", &d.take("phi").unwrap()).unwrap(), "BI");
        assert_eq!(number("eps_nr", &d.take("eps_nr").unwrap()).unwrap(), 1e-7);
        assert!(boolean("squared", &d.take("squared").unwrap()).unwrap());
    }

    #[test]
    fn underflow_is_refused_like_overflow() {
        for lit in ["1e-400", "-1e-400", "0.0000e-999", "123e-999"] {
            let e = number("eps_nr", lit);
            let want_ok = lit.starts_with("0.0000");
            assert_eq!(e.is_ok(), want_ok, "{lit}: {e:?}");
            if !want_ok {
                assert!(e.unwrap_err().contains("would become 0"));
            }
        }
        assert!(number("eps_nr", "1e400")
            .unwrap_err()
            .contains("beyond the range"));
        assert_eq!(number("x", "5e-324").unwrap(), 5e-324);
        assert_eq!(number("x", "-0").unwrap(), 0.0);
        assert_eq!(number("x", "0e5").unwrap(), 0.0);
    }

    #[test]
    fn flat_arrays_are_counted_beyond_what_is_stored() {
        let (v, n) = numbers("y", "[ 1, 0.5 ,2e-1,-0 ]", 4).unwrap();
        assert_eq!((v, n), (vec![1.0, 0.5, 0.2, 0.0], 4));
        // The wrong length is counted, and nothing is stored (nor converted: 1e-400 passes).
        let (v, n) = numbers("y", "[ 1, 0.5 ,2e-1,-0, 1e-400 ]", 2).unwrap();
        assert_eq!((v.len(), v.capacity(), n), (0, 0, 5));
        assert_eq!(numbers("y", "[]", 3).unwrap(), (vec![], 0));
        let e = numbers("y", "[[1, 2]]", 2).unwrap_err();
        assert!(
            e.contains("`y`[0] is not a number") && e.contains("ravel"),
            "{e}"
        );
        let e = numbers("y", r#"[1, "a"]"#, 2).unwrap_err();
        assert!(e.contains("`y`[1]"), "{e}");
        let e = numbers("y", "[1, 1e-400]", 2).unwrap_err();
        assert!(e.contains("`y`[1]") && e.contains("would become 0"), "{e}");
        assert!(numbers("y", "{}", 2)
            .unwrap_err()
            .contains("array of numbers"));
    }
}
