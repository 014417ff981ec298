//! The link codec: a page state to the text after `#` and back, exactly.
//!
//! Format 2 (written): `base64url(version ‖ deflate(payload) ‖ crc32(version ‖ payload))`
//! ([`envelope`]) with one binary layer for the payload ([`v2`], on the primitives of
//! [`bytes`]):
//!
//! | bytes | content |
//! |---|---|
//! | 3 | B, C, H = W |
//! | 1 | page flags: separate ε, exclusive, shared scale, symmetric-log, ∂L/∂z view, embed, presentation |
//! | 4 | Φ, activation, loss flags (squared, Jaccard, background, zeroed empty sets), loss variant |
//! | 3 × (1 + k) | ε_nr, ε_dr, denominator floor: the shortest decimal text that reads back exactly |
//! | ⌈B·C/4⌉ | label statuses, 2 bits each |
//! | ⌈B·C·H·W/8⌉ | labels, 1 bit each |
//! | … | prediction levels (1e-4 grid) per cell in raster order, as zigzag varints of the difference to the previous pixel; with exclusive classes class 0 is left out (it is 1 minus the others) |
//! | … | image intensities (1e-4 grid) per batch element, coded like the predictions |
//! | … | training: model, optimiser (0 SGD, 1 Adam), learning rate (and Adam's β₁, β₂, eps) as number texts, steps per second as a varint |
//! | rest | compare mode: 0, or 1 and the second loss settings, coded like the first |
//!
//! Predictions of a scene are smooth (a blob, a constant background), so the differences
//! are mostly 0 and deflate shrinks them to a few bytes per row. The checksum makes a
//! mistyped or truncated link an error instead of a different page.
//!
//! Format 1 (read only, so old links keep opening): `base64url(deflate(json))` with the
//! tensors base64-encoded inside the JSON; see [`legacy`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::page::state::{AppState, StateError};

mod bytes;
mod envelope;
pub mod legacy;
#[cfg(test)]
mod tests;
mod v2;

/// Why a link's data cannot be a page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodecError {
    #[error("the link is not valid base64")]
    Base64,
    #[error(
        "the link is damaged or incomplete (its checksum does not match); copy it again in full"
    )]
    Damaged,
    #[error("the link was made by a newer version of the playground (format {0})")]
    Version(u8),
    #[error("the link's data is not valid compressed data")]
    Inflate,
    #[error("the link's data is cut short")]
    Truncated,
    #[error("the link's data is not a valid page: {0}")]
    Invalid(String),
    #[error(transparent)]
    Dims(#[from] StateError),
}

/// The link payload of `state` (the text after `#`).
pub fn encode(state: &AppState) -> String {
    URL_SAFE_NO_PAD.encode(envelope::wrap(&v2::write(state)))
}

/// Reads a link payload of either format; any text gives a page or an error, never a
/// panic. The page is made consistent ([`AppState::make_consistent`]).
pub fn decode(text: &str) -> Result<AppState, CodecError> {
    let text = text.trim();
    let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).map_err(|_| {
        // Only link characters, but not a whole number of them: a link cut short.
        let alphabet = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !text.is_empty() && text.chars().all(alphabet) {
            CodecError::Damaged
        } else {
            CodecError::Base64
        }
    })?;
    let current = envelope::unwrap(&bytes).and_then(|payload| v2::read(&payload));
    let mut state = match current {
        Ok(s) => s,
        // Not format 2: maybe an old link. A damaged format-2 link says so, unless it
        // happens to read as an old link; data that is neither says what it is not.
        Err(e) => legacy::decode(&bytes).map_err(|old| match (bytes.first(), e, old) {
            (Some(&envelope::VERSION), e, _) => e,
            // Only a link framed as this format frames it (compressed data and a checksum
            // over its version byte) is a newer one; anything else, junk or a link cut or
            // padded out of shape, is a damaged link, whatever its first byte says.
            (_, CodecError::Version(v), CodecError::Inflate) if v > envelope::VERSION => {
                if envelope::framed(&bytes) {
                    CodecError::Version(v)
                } else {
                    CodecError::Damaged
                }
            }
            (_, _, old) => old,
        })?,
    };
    state.make_consistent();
    Ok(state)
}
