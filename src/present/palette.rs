//! The categorical colours of the page: Okabe and Ito's colour-blind-safe set, in one
//! place for the Φ picture, the plots and their legends.

use crate::engine::phi::Phi;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

pub const ORANGE: Rgb = Rgb(230, 159, 0);
pub const SKY_BLUE: Rgb = Rgb(86, 180, 233);
pub const BLUISH_GREEN: Rgb = Rgb(0, 158, 115);
pub const YELLOW: Rgb = Rgb(240, 228, 66);
pub const BLUE: Rgb = Rgb(0, 114, 178);
pub const VERMILLION: Rgb = Rgb(213, 94, 0);
pub const REDDISH_PURPLE: Rgb = Rgb(204, 121, 167);
/// Not one of Okabe–Ito's; an olive that stays apart from them, for an eighth set.
pub const OLIVE: Rgb = Rgb(153, 153, 51);

/// Colours of the reduction sets in the Φ picture, cycled when there are more sets.
pub const SETS: [Rgb; 8] = [
    ORANGE,
    SKY_BLUE,
    BLUISH_GREEN,
    YELLOW,
    BLUE,
    VERMILLION,
    REDDISH_PURPLE,
    OLIVE,
];

/// The colour of set k (0-based).
pub fn set(k: usize) -> Rgb {
    SETS[k % SETS.len()]
}

/// The fixed colour of each Φ, the same in every plot and legend.
pub fn phi(phi: Phi) -> Rgb {
    match phi {
        Phi::I => BLUE,
        Phi::CI => BLUISH_GREEN,
        Phi::BI => VERMILLION,
        Phi::BCI => REDDISH_PURPLE,
    }
}

/// Colours of the fixed ε curves of plot (c): without the yellow, which vanishes on a
/// projector.
pub const EPS_CURVES: [Rgb; 5] = [ORANGE, SKY_BLUE, BLUISH_GREEN, REDDISH_PURPLE, BLUE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phi_has_its_own_colour_and_hex_is_css() {
        let mut seen: Vec<Rgb> = Phi::ALL.iter().map(|&p| phi(p)).collect();
        seen.dedup();
        assert_eq!(seen.len(), 4);
        assert_eq!(ORANGE.hex(), "#e69f00");
        assert_eq!(set(8), set(0));
        assert!(!EPS_CURVES.contains(&YELLOW));
    }
}
