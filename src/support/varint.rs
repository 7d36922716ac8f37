//! Unsigned LEB128 varints: the length prefixes of CAR sections and the fields of binary CIDs
//! (multiformats' unsigned-varint, read strictly: minimal, within 64 bits).

use crate::error::{Code, Error, Result};

/// The longest varint a 64-bit value needs.
pub const MAX_VARINT_LEN: usize = 10;

/// Reads a varint at the start of `bytes`: `Ok(Some((value, bytes used)))`, or `Ok(None)` when
/// `bytes` ends before the varint does (more input may complete it).
///
/// Strict: at most 10 bytes, the value fits in 64 bits, and the encoding is minimal (no final
/// zero byte after the first). `offset` is the absolute position of `bytes`, for messages.
#[inline]
pub fn read_varint(bytes: &[u8], offset: u64) -> Result<Option<(u64, usize)>> {
    // The common cases, one and two bytes (blocks under 16 KiB), without the loop.
    match *bytes {
        [first, ..] if first < 0x80 => return Ok(Some((u64::from(first), 1))),
        [first, second, ..] if second < 0x80 && second != 0 => {
            return Ok(Some((u64::from(first & 0x7f) | u64::from(second) << 7, 2)))
        }
        _ => {}
    }
    read_long_varint(bytes, offset)
}

fn read_long_varint(bytes: &[u8], offset: u64) -> Result<Option<(u64, usize)>> {
    let invalid = |why: &str| {
        Error::new(
            Code::CarInvalidVarint,
            format!("varint at byte {offset}: {why}"),
        )
    };
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(MAX_VARINT_LEN) {
        let bits = u64::from(byte & 0x7f);
        if i == MAX_VARINT_LEN - 1 && (byte & 0x80 != 0 || bits > 1) {
            return Err(invalid(if byte & 0x80 != 0 {
                "longer than 10 bytes"
            } else {
                "overflows 64 bits"
            }));
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(invalid("not minimal (ends in a zero byte)"));
            }
            return Ok(Some((value, i + 1)));
        }
    }
    Ok(None)
}

/// Appends the minimal varint of `value` to `out`.
pub fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_varint(value, &mut out);
            assert_eq!(read_varint(&out, 0).unwrap(), Some((value, out.len())));
            assert_eq!(read_varint(&out[..out.len() - 1], 0).unwrap(), None);
        }
        assert_eq!(read_varint(&[0x96, 0x01, 0xff], 0).unwrap(), Some((150, 2)));
    }

    #[test]
    fn rejects_bad_forms() {
        let code = |bytes: &[u8]| read_varint(bytes, 7).unwrap_err().code();
        assert_eq!(code(&[0x80, 0x00]), Code::CarInvalidVarint);
        assert_eq!(code(&[0xff; 11]), Code::CarInvalidVarint);
        // 2^64: the tenth byte carries bit 64.
        let mut overflow = vec![0x80; 9];
        overflow.push(0x02);
        assert_eq!(code(&overflow), Code::CarInvalidVarint);
        assert!(read_varint(&[0x80, 0x00], 7)
            .unwrap_err()
            .message()
            .contains("byte 7"));
    }
}
