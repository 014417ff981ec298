//! The verdict matrix: what each framework's Dice (and the leaf and marginal Dice as
//! their authors use them) does with a missing and with an empty label, on the lessons'
//! two-image scene ([`crate::page::lessons::lesson_scene`]). Computed by the engine like
//! every verdict; each entry carries the page it was judged on, so the page can link to it.

use crate::engine::loss::DiceSettings;
use crate::engine::presets::FRAMEWORK_PRESETS;
use crate::engine::status::LabelStatus;
use crate::engine::verdict::CellVerdict;
use crate::page::judge::{evaluate_state, verdicts};
use crate::page::lessons::{lesson_scene, LEAF_AUTHORS, MARGINAL_AUTHORS};
use crate::page::state::AppState;
use crate::present::verdict::CellWords as _;

/// The cell the matrix judges: image 1's structure.
pub const MATRIX_CELL: (usize, usize) = (1, 1);

/// One verdict of the matrix and the page it was judged on.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixEntry {
    /// The label status of [`MATRIX_CELL`]: missing or empty.
    pub status: LabelStatus,
    /// The page: the lesson scene with the row's settings.
    pub state: AppState,
    /// The verdict on [`MATRIX_CELL`], or why there is none.
    pub verdict: Result<CellVerdict, String>,
}

impl MatrixEntry {
    /// "✓ almost no push", "✗ pushed down", … or the error.
    pub fn badge(&self) -> String {
        match &self.verdict {
            Ok(v) => v.badge(),
            Err(e) => format!("not computed: {e}"),
        }
    }
}

/// One row: a setting and its two verdicts.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixRow {
    /// A framework preset's name (`crate::engine::presets`), or "leaf" / "marginal".
    pub key: &'static str,
    pub label: &'static str,
    /// The code it stands for.
    pub code: &'static str,
    pub settings: DiceSettings,
    pub missing: MatrixEntry,
    pub empty: MatrixEntry,
}

fn entry(settings: &DiceSettings, status: LabelStatus) -> MatrixEntry {
    let mut state = lesson_scene(status);
    state.settings = *settings;
    state.separate_eps = settings.eps_nr != settings.eps_dr;
    let verdict = evaluate_state(&state)
        .map_err(|e| e.to_string())
        .and_then(|(y, e)| {
            verdicts(&state, &y, &e).0[MATRIX_CELL]
                .ok_or_else(|| "the structure's class is not in the loss".to_string())
        });
    MatrixEntry {
        status,
        state,
        verdict,
    }
}

/// The verdicts of `settings` on a missing and on an empty label, as the matrix judges
/// them (a pasted loss is judged so too).
pub fn judge(settings: &DiceSettings) -> [MatrixEntry; 2] {
    [
        entry(settings, LabelStatus::Missing),
        entry(settings, LabelStatus::Empty),
    ]
}

fn row(key: &'static str, label: &'static str, code: &'static str, s: DiceSettings) -> MatrixRow {
    let [missing, empty] = judge(&s);
    MatrixRow {
        key,
        label,
        code,
        settings: s,
        missing,
        empty,
    }
}

/// Every framework preset in the app's order, then the leaf and the marginal Dice with
/// their authors' settings (told which label is missing; the empty one is not missing).
/// The scene has exclusive classes and painted probabilities, so a preset without an
/// activation steps on the probabilities kept summing to 1, and one with softmax on the
/// logits.
pub fn verdict_matrix() -> Vec<MatrixRow> {
    let mut rows: Vec<MatrixRow> = FRAMEWORK_PRESETS
        .iter()
        .map(|p| row(p.name, p.label, p.code, p.settings))
        .collect();
    rows.push(row(
        "leaf",
        "leaf Dice (authors' settings)",
        "leaf Dice: Φ = I, background excluded, ε_nr = 0, ε_dr = 1e-7, softmax",
        LEAF_AUTHORS,
    ));
    rows.push(row(
        "marginal",
        "marginal Dice (authors' settings)",
        "marginal Dice: Φ = I, background included, ε_nr = ε_dr = 1e-7, softmax",
        MARGINAL_AUTHORS,
    ));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::verdict::{Verdict, NO_PUSH_FRACTION};

    /// What each setting does, from the paper (§4: image-wise Φ with a tiny ε leaves a
    /// missing label alone and misses an empty one; batch-wise Φ the reverse) and the
    /// background trap (with exclusive classes and the background in the loss, the
    /// background's own term pushes down whatever is unlabelled in an image, missing or
    /// empty, whatever Φ). The leaf and marginal Dice leave the missing label alone; the
    /// empty one they are not told about is the plain Dice of their settings.
    const EXPECTED: [(&str, Verdict, Verdict); 8] = [
        ("monai", Verdict::Down, Verdict::Down),
        ("monai_batch", Verdict::Down, Verdict::Down),
        ("nnunet", Verdict::None, Verdict::None),
        ("nnunet_batch", Verdict::Down, Verdict::Down),
        ("smp", Verdict::Down, Verdict::Down),
        ("keras", Verdict::Down, Verdict::Down),
        ("leaf", Verdict::None, Verdict::None),
        ("marginal", Verdict::None, Verdict::Down),
    ];

    #[test]
    fn the_matrix_says_what_each_framework_does() {
        let rows = verdict_matrix();
        let keys: Vec<&str> = rows.iter().map(|r| r.key).collect();
        assert_eq!(keys, EXPECTED.map(|e| e.0).to_vec());
        for (r, &(key, missing, empty)) in rows.iter().zip(&EXPECTED) {
            let m = r.missing.verdict.as_ref().unwrap();
            let e = r.empty.verdict.as_ref().unwrap();
            println!(
                "{key:13} missing {:18} (ratio {:.2e}) empty {:18} (ratio {:.2e})",
                m.badge(),
                m.ratio,
                e.badge(),
                e.ratio
            );
            // Far from the threshold either way, so no verdict hangs on it.
            for v in [m, e] {
                let far = match v.verdict {
                    Verdict::None => v.ratio < 0.1 * NO_PUSH_FRACTION,
                    _ => v.ratio > 5.0 * NO_PUSH_FRACTION,
                };
                assert!(far, "{key}: {v:?}");
            }
            assert_eq!(m.verdict, missing, "{key}: missing {m:?}");
            assert_eq!(e.verdict, empty, "{key}: empty {e:?}");
            // Right means: no push on the missing label, a push down on the empty one.
            assert_eq!(m.correct, missing == Verdict::None, "{key}");
            assert_eq!(e.correct, empty == Verdict::Down, "{key}");
        }
    }

    #[test]
    fn every_entry_is_a_page_the_app_can_open() {
        for r in verdict_matrix() {
            for (entry, status) in [
                (&r.missing, LabelStatus::Missing),
                (&r.empty, LabelStatus::Empty),
            ] {
                assert_eq!(entry.status, status);
                assert_eq!(entry.state.status[MATRIX_CELL], status);
                assert_eq!(entry.state.settings, r.settings, "{}", r.key);
                let decoded =
                    crate::page::codec::decode(&crate::page::codec::encode(&entry.state)).unwrap();
                assert_eq!(decoded, entry.state, "{}: the page round-trips", r.key);
                // The verdict is the one that page shows.
                let (y, e) = evaluate_state(&decoded).unwrap();
                assert_eq!(
                    verdicts(&decoded, &y, &e).0[MATRIX_CELL].as_ref(),
                    entry.verdict.as_ref().ok()
                );
                assert!(!entry.badge().is_empty());
            }
        }
    }

    /// The nnU-Net rows are the soft-Dice term only, and say where `batch_dice` comes
    /// from and that the default loss adds cross-entropy.
    #[test]
    fn the_nnunet_rows_say_they_are_the_dice_term_only() {
        let rows = verdict_matrix();
        for (key, batch_dice, planner) in [
            ("nnunet", "batch_dice=False", "3d_lowres"),
            ("nnunet_batch", "batch_dice=True", "3d_lowres cascade"),
        ] {
            let r = rows.iter().find(|r| r.key == key).unwrap();
            assert!(r.label.contains("soft-Dice term only") && r.label.contains(batch_dice));
            let note = crate::engine::presets::framework_preset(key).unwrap().note;
            assert!(note.contains("DC_and_CE_loss") && note.contains("cross-entropy"));
            assert!(note.contains(planner), "{note}");
        }
    }

    /// A preset applied by the page's own control gives the same page as the matrix's.
    #[test]
    fn framework_rows_match_the_preset_control() {
        for r in verdict_matrix().iter().take(FRAMEWORK_PRESETS.len()) {
            let p = crate::engine::presets::framework_preset(r.key).unwrap();
            let mut s = lesson_scene(LabelStatus::Missing);
            crate::page::rules::apply_preset(&mut s, p).unwrap();
            assert_eq!(s, r.missing.state, "{}", r.key);
        }
    }
}
