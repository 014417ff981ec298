//! Format 2's frame around its payload: `version ‖ deflate(payload) ‖ crc32(version ‖
//! payload)`. The checksum makes a mistyped or truncated link an error instead of a
//! different page; the inflated size is bounded, so a hostile link cannot exhaust memory.

use super::CodecError;

/// The version byte of the format written.
pub const VERSION: u8 = 2;
/// Bound on the inflated size.
pub const MAX_INFLATED: usize = 8 * 1024 * 1024;

/// CRC-32 (ISO-HDLC, the one of zlib and PNG) of the version byte and the payload.
pub const CRC32: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);

pub fn checksum_of(version: u8, payload: &[u8]) -> u32 {
    let mut h = CRC32.digest();
    h.update(&[version]);
    h.update(payload);
    h.finalize()
}

/// Frames a payload of the format written.
pub fn wrap(payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() / 4 + 8);
    bytes.push(VERSION);
    bytes.extend(miniz_oxide::deflate::compress_to_vec(payload, 9));
    bytes.extend(checksum_of(VERSION, payload).to_le_bytes());
    bytes
}

/// The payload of a frame of the format written, or why it is not one.
pub fn unwrap(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    let (&version, rest) = bytes.split_first().ok_or(CodecError::Truncated)?;
    if version != VERSION {
        return Err(CodecError::Version(version));
    }
    if rest.len() < 4 {
        return Err(CodecError::Truncated);
    }
    let (packed, crc) = rest.split_at(rest.len() - 4);
    // A cut or mistyped link usually breaks the compressed data before the checksum.
    let payload = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED)
        .map_err(|_| CodecError::Damaged)?;
    let crc = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc != checksum_of(VERSION, &payload) {
        return Err(CodecError::Damaged);
    }
    Ok(payload)
}

/// Whether `bytes` is `version ‖ deflate(payload) ‖ crc32(version ‖ payload)`, the frame
/// of every format from 2 on, whatever its version and payload.
pub fn framed(bytes: &[u8]) -> bool {
    let Some((&version, rest)) = bytes.split_first() else {
        return false;
    };
    if rest.len() < 4 {
        return false;
    }
    let (packed, crc) = rest.split_at(rest.len() - 4);
    miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED).is_ok_and(|p| {
        checksum_of(version, &p) == u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]])
    })
}
