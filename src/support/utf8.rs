//! UTF-8 checking with a fast path for the short ASCII texts that fill atproto data.
//!
//! `core::str::from_utf8` reads bytes one at a time until the input is word-aligned, so on the
//! keys and short values of records (5–70 bytes, at any offset) it spends most of its time in
//! that slow loop: a third of validating a repository's records. Here the bytes are first OR-ed
//! together eight at a time (unaligned 8-byte loads, one instruction each in wasm and on x86);
//! without a high bit anywhere the text is ASCII, hence UTF-8. Any other text goes to core, which
//! finds the error and its offset.
//!
//! The one `unsafe` block of the core is here: `from_utf8_unchecked` on bytes just shown to be
//! ASCII.

use std::str::Utf8Error;

/// `bytes` as text if they are valid UTF-8: `std::str::from_utf8`, faster on short ASCII.
#[inline]
pub(crate) fn str_from_utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    if is_ascii(bytes) {
        // SAFETY: every byte is below 0x80, and ASCII is valid UTF-8.
        #[allow(unsafe_code)]
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes)
}

/// Whether no byte has its high bit set.
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |chunk: &[u8]| <[u8; 8]>::try_from(chunk).map_or(HIGH, u64::from_le_bytes);
    let mut chunks = bytes.chunks_exact(8);
    let mut seen = 0u64;
    for chunk in &mut chunks {
        seen |= word(chunk);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        seen |= match bytes.len().checked_sub(8) {
            // The last eight bytes, overlapping bytes already seen.
            Some(start) => bytes.get(start..).map_or(HIGH, word),
            None => tail.iter().fold(0, |seen, &b| seen | u64::from(b)),
        };
    }
    seen & HIGH == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code

    use super::{is_ascii, str_from_utf8};

    #[test]
    fn agrees_with_core_at_every_length_and_position() {
        let ascii: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..ascii.len() {
            for start in 0..ascii.len() - len {
                let text = &ascii[start..start + len];
                assert!(is_ascii(text));
                assert_eq!(str_from_utf8(text), std::str::from_utf8(text));
                // One high byte (alone: invalid; as part of "é": valid) at every position.
                for at in 0..len {
                    let mut bad = text.to_vec();
                    bad[at] = 0xff;
                    assert!(!is_ascii(&bad));
                    assert_eq!(str_from_utf8(&bad), std::str::from_utf8(&bad));
                    let mut good = text[..at].to_vec();
                    good.extend_from_slice("é".as_bytes());
                    good.extend_from_slice(&text[at..]);
                    assert_eq!(
                        str_from_utf8(&good),
                        Ok(std::str::from_utf8(&good).unwrap())
                    );
                }
            }
        }
    }
}
