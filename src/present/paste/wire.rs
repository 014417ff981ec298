//! What the paste worker answers and the page reads back: a read call (or the reason it was
//! refused) as a flat list of plain values — strings, numbers, booleans — that cross a
//! worker's `postMessage` exactly (a JS number is an f64). The parser stays in the worker
//! (`src/bin/paste_worker.rs`); the page links only this file, to read the answer.

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;

use super::Pasted;

/// One value of the answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Bool(bool),
    Num(f64),
    Str(String),
}

/// The answer to a pasted call: `[true, source, summary, Φ, ε_nr, ε_dr, squared, jaccard,
/// background, activation, floor, zeroed, notes…]` or `[false, reason]`; Φ and the
/// activation as their index in `Phi::ALL` and `Activation::ALL`.
pub fn to_fields(read: &Result<Pasted, String>) -> Vec<Field> {
    let p = match read {
        Err(reason) => return vec![Field::Bool(false), Field::Str(reason.clone())],
        Ok(p) => p,
    };
    let s = &p.settings;
    let mut out = vec![
        Field::Bool(true),
        Field::Str(p.source.clone()),
        Field::Str(p.summary.clone()),
        Field::Num(index(&Phi::ALL, s.phi)),
        Field::Num(s.eps_nr),
        Field::Num(s.eps_dr),
        Field::Bool(s.squared),
        Field::Bool(s.jaccard),
        Field::Bool(s.include_background),
        Field::Num(index(&Activation::ALL, s.activation)),
        Field::Num(s.denominator_floor),
        Field::Bool(s.zero_empty_sets),
    ];
    out.extend(p.notes.iter().cloned().map(Field::Str));
    out
}

fn index<T: PartialEq>(all: &[T], v: T) -> f64 {
    all.iter().position(|a| *a == v).unwrap_or(0) as f64
}

/// Reads [`to_fields`]'s answer back; an answer of another shape is a refusal in words.
pub fn from_fields(fields: &[Field]) -> Result<Pasted, String> {
    let unreadable = || {
        "The loss reader gave an answer the page cannot read; reload the page and paste the call again.".to_string()
    };
    let text = |i: usize| match fields.get(i) {
        Some(Field::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let num = |i: usize| match fields.get(i) {
        Some(Field::Num(v)) => Some(*v),
        _ => None,
    };
    let flag = |i: usize| match fields.get(i) {
        Some(Field::Bool(b)) => Some(*b),
        _ => None,
    };
    match flag(0) {
        Some(false) => return Err(text(1).unwrap_or_else(unreadable)),
        Some(true) if fields.len() >= 12 => {}
        _ => return Err(unreadable()),
    }
    let read = || -> Option<Pasted> {
        let settings = DiceSettings {
            phi: *Phi::ALL.get(num(3)? as usize)?,
            eps_nr: num(4)?,
            eps_dr: num(5)?,
            squared: flag(6)?,
            jaccard: flag(7)?,
            include_background: flag(8)?,
            activation: *Activation::ALL.get(num(9)? as usize)?,
            denominator_floor: num(10)?,
            zero_empty_sets: flag(11)?,
            ..DiceSettings::MONAI
        };
        let mut notes = Vec::new();
        for i in 12..fields.len() {
            notes.push(text(i)?);
        }
        Some(Pasted {
            source: text(1)?,
            summary: text(2)?,
            settings,
            notes,
        })
    };
    read().ok_or_else(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::paste::read_loss;

    /// Every answer crosses the worker boundary unchanged, bit for bit.
    #[test]
    fn answers_round_trip_through_the_fields() {
        for text in [
            "DiceLoss()",
            "smp.losses.DiceLoss('multiclass', smooth=0.1, eps=3e-9)",
            "DC_and_CE_loss({'batch_dice': True, 'smooth': 1e-5, 'do_bg': False}, {})",
            "keras.losses.Dice(axis=(1, 2), dtype='float16')",
            "DiceLoss(squared_pred=True, jaccard=True, smooth_nr=2.2250738585072014e-308)",
            "DiceLoss(weight=[1, 2])",
            "DiceLoss(",
        ] {
            let read = read_loss(text);
            assert_eq!(from_fields(&to_fields(&read)), read, "{text}");
        }
    }

    #[test]
    fn an_answer_of_another_shape_is_refused_in_words() {
        for fields in [
            vec![],
            vec![Field::Str("x".into())],
            vec![Field::Bool(true), Field::Str("MONAI DiceLoss".into())],
            vec![Field::Bool(false)],
        ] {
            let e = from_fields(&fields).unwrap_err();
            assert!(e.contains("cannot read"), "{e}");
        }
        let mut ok = to_fields(&read_loss("DiceLoss()"));
        ok[3] = Field::Num(9.0);
        assert!(from_fields(&ok).is_err());
        ok[3] = Field::Str("I".into());
        assert!(from_fields(&ok).is_err());
    }
}
