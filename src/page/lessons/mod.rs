//! The lessons: one-click scenes of the paper's table, each with its words
//! ([`prose`]), the verdicts the paper predicts, and for most a training experiment
//! ([`experiments`]). Everything shown is computed from the engine's gradient; nothing is
//! hard-wired per scene except what the paper predicts, which the tests check.

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::variants::Variant;
use crate::engine::verdict::Verdict;
use crate::page::state::AppState;

pub mod experiments;
pub mod prose;
mod scenes;
#[cfg(test)]
mod tests;

pub use scenes::{lesson_scene, question_scene};
use scenes::{
    missing_background, three_images, two_images, two_readings, with_heuristic_eps,
    zero_over_zero_with,
};

/// A one-click scene from the paper's table.
pub struct Scenario {
    /// URL name: `#preset=NAME`.
    pub name: &'static str,
    pub title: &'static str,
    /// A button label of a few words.
    pub short: &'static str,
    /// What to look at, in plain words.
    pub text: &'static str,
    /// The point in one sentence ([`prose::Prose::takeaway`]).
    pub takeaway: &'static str,
    /// The lesson is about the background's own term: presentation mode shows the
    /// background's column beside the taught class.
    pub about_background: bool,
    build: fn() -> AppState,
    /// The verdicts the paper predicts: (b, c, verdict, correct).
    pub expected: &'static [(usize, usize, Verdict, bool)],
    /// The scene has an undefined (0/0) set.
    pub expect_undefined: bool,
}

impl Scenario {
    /// The lesson's scene, with its image: every structure visible whether or not its
    /// label is ([`AppState::scene_image`]).
    pub fn state(&self) -> AppState {
        let mut s = (self.build)();
        s.image = s.scene_image();
        s.compare = contrast(self.name, &s.settings);
        s
    }
}

/// The second setting a lesson is contrasted with in compare mode, if it is a contrast:
/// image-wise against batch-wise sets for the missing and empty labels, the heuristic ε
/// against a tiny one.
pub fn contrast(name: &str, s: &DiceSettings) -> Option<DiceSettings> {
    let flip = |phi| DiceSettings { phi, ..*s };
    match name {
        "missing-I" | "empty-I" => Some(flip(Phi::BI)),
        "missing-BI" | "empty-BI" | "two-readings" => Some(flip(Phi::I)),
        "heuristic-eps" => Some(DiceSettings {
            eps_nr: 1e-7,
            eps_dr: 1e-7,
            ..*s
        }),
        _ => None,
    }
}

/// The leaf Dice as its authors train with it: image-wise sets, background left out,
/// ε = 1e-7 in the denominator only (Keras' epsilon), softmax.
pub const LEAF_AUTHORS: DiceSettings = DiceSettings {
    phi: Phi::I,
    eps_nr: 0.0,
    eps_dr: 1e-7,
    squared: false,
    jaccard: false,
    include_background: false,
    activation: Activation::Softmax,
    denominator_floor: 0.0,
    zero_empty_sets: false,
    variant: Variant::Leaf,
};

/// The marginal Dice as its authors train with it: image-wise sets, background in,
/// ε = 1e-7 in numerator and denominator, softmax.
pub const MARGINAL_AUTHORS: DiceSettings = DiceSettings {
    phi: Phi::I,
    eps_nr: 1e-7,
    eps_dr: 1e-7,
    include_background: true,
    variant: Variant::Marginal,
    ..LEAF_AUTHORS
};

pub static SCENARIOS: [Scenario; 13] = [
    Scenario {
        name: "missing-I",
        title: prose::MISSING_I.title,
        short: prose::MISSING_I.short,
        text: prose::MISSING_I.text,
        takeaway: prose::MISSING_I.takeaway,
        about_background: false,
        build: || two_images(Phi::I, 1e-7, LabelStatus::Missing),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "missing-BI",
        title: prose::MISSING_BI.title,
        short: prose::MISSING_BI.short,
        text: prose::MISSING_BI.text,
        takeaway: prose::MISSING_BI.takeaway,
        about_background: false,
        build: || two_images(Phi::BI, 1e-7, LabelStatus::Missing),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "empty-I",
        title: prose::EMPTY_I.title,
        short: prose::EMPTY_I.short,
        text: prose::EMPTY_I.text,
        takeaway: prose::EMPTY_I.takeaway,
        about_background: false,
        build: || two_images(Phi::I, 1e-7, LabelStatus::Empty),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "empty-BI",
        title: prose::EMPTY_BI.title,
        short: prose::EMPTY_BI.short,
        text: prose::EMPTY_BI.text,
        takeaway: prose::EMPTY_BI.takeaway,
        about_background: false,
        build: || two_images(Phi::BI, 1e-7, LabelStatus::Empty),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "heuristic-eps",
        title: prose::HEURISTIC_EPS.title,
        short: prose::HEURISTIC_EPS.short,
        text: prose::HEURISTIC_EPS.text,
        takeaway: prose::HEURISTIC_EPS.takeaway,
        about_background: false,
        build: with_heuristic_eps,
        expected: &[
            (0, 1, Verdict::Up, true),
            (1, 1, Verdict::Down, false),
            (2, 1, Verdict::Down, true),
        ],
        expect_undefined: false,
    },
    Scenario {
        name: "zero-over-zero",
        title: prose::ZERO_OVER_ZERO.title,
        short: prose::ZERO_OVER_ZERO.short,
        text: prose::ZERO_OVER_ZERO.text,
        takeaway: prose::ZERO_OVER_ZERO.takeaway,
        about_background: false,
        build: || zero_over_zero_with(0.0, 0.0),
        expected: &[(0, 1, Verdict::Up, true)],
        expect_undefined: true,
    },
    Scenario {
        name: "zero-over-zero-eps",
        title: prose::ZERO_OVER_ZERO_EPS.title,
        short: prose::ZERO_OVER_ZERO_EPS.short,
        text: prose::ZERO_OVER_ZERO_EPS.text,
        takeaway: prose::ZERO_OVER_ZERO_EPS.takeaway,
        about_background: false,
        build: || zero_over_zero_with(1e-5, 1e-5),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "zero-over-zero-dr",
        title: prose::ZERO_OVER_ZERO_DR.title,
        short: prose::ZERO_OVER_ZERO_DR.short,
        text: prose::ZERO_OVER_ZERO_DR.text,
        takeaway: prose::ZERO_OVER_ZERO_DR.takeaway,
        about_background: false,
        build: || zero_over_zero_with(0.0, 1e-7),
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::None, true)],
        expect_undefined: false,
    },
    Scenario {
        name: "missing-bg",
        title: prose::MISSING_BG.title,
        short: prose::MISSING_BG.short,
        text: prose::MISSING_BG.text,
        takeaway: prose::MISSING_BG.takeaway,
        about_background: true,
        build: missing_background,
        expected: &[(0, 1, Verdict::Up, true), (1, 1, Verdict::Down, false)],
        expect_undefined: false,
    },
    Scenario {
        name: "marginal",
        title: prose::MARGINAL.title,
        short: prose::MARGINAL.short,
        text: prose::MARGINAL.text,
        takeaway: prose::MARGINAL.takeaway,
        about_background: false,
        build: || three_images(MARGINAL_AUTHORS),
        expected: &[
            (0, 1, Verdict::Up, true),
            (1, 1, Verdict::None, true),
            (2, 1, Verdict::Down, true),
        ],
        expect_undefined: false,
    },
    Scenario {
        name: "leaf",
        title: prose::LEAF.title,
        short: prose::LEAF.short,
        text: prose::LEAF.text,
        takeaway: prose::LEAF.takeaway,
        about_background: false,
        build: || three_images(LEAF_AUTHORS),
        expected: &[
            (0, 1, Verdict::Up, true),
            (1, 1, Verdict::None, true),
            (2, 1, Verdict::None, false),
        ],
        expect_undefined: false,
    },
    Scenario {
        name: "leaf-bg",
        title: prose::LEAF_BG.title,
        short: prose::LEAF_BG.short,
        text: prose::LEAF_BG.text,
        takeaway: prose::LEAF_BG.takeaway,
        about_background: false,
        build: || {
            three_images(DiceSettings {
                include_background: true,
                ..LEAF_AUTHORS
            })
        },
        expected: &[
            (0, 1, Verdict::Up, true),
            (1, 1, Verdict::Down, false),
            (2, 1, Verdict::Down, true),
        ],
        expect_undefined: false,
    },
    Scenario {
        name: "two-readings",
        title: prose::TWO_READINGS.title,
        short: prose::TWO_READINGS.short,
        text: prose::TWO_READINGS.text,
        takeaway: prose::TWO_READINGS.takeaway,
        about_background: false,
        build: two_readings,
        expected: &[
            (0, 1, Verdict::Up, true),
            (1, 1, Verdict::Down, false),
            (2, 1, Verdict::Down, true),
        ],
        expect_undefined: false,
    },
];

pub fn scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
}
