//! Base64 (RFC 4648): the standard alphabet of atproto JSON's `$bytes` (§4), the URL-safe one of
//! did:plc signatures (§5), each read as strictly as its user needs.

/// Which of RFC 4648's two alphabets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alphabet {
    /// `A–Z a–z 0–9 + /` (§4).
    Standard,
    /// `A–Z a–z 0–9 - _` (§5).
    UrlSafe,
}

/// Why a text is not base64 as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base64Error {
    /// A character outside the alphabet (a line break, the other alphabet's, `=` inside).
    Character,
    /// `=` padding where none is allowed, or padding of the wrong length.
    Padding,
    /// A length no base64 text has (one character past a group of four).
    Length,
    /// Bits past the last byte that are not zero, where they must be.
    TrailingBits,
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const STANDARD_VALUES: [u8; 256] = super::alphabet_values(STANDARD);
const URL_SAFE_VALUES: [u8; 256] = super::alphabet_values(URL_SAFE);

impl Alphabet {
    fn characters(self) -> &'static [u8; 64] {
        match self {
            Alphabet::Standard => STANDARD,
            Alphabet::UrlSafe => URL_SAFE,
        }
    }

    fn values(self) -> &'static [u8; 256] {
        match self {
            Alphabet::Standard => &STANDARD_VALUES,
            Alphabet::UrlSafe => &URL_SAFE_VALUES,
        }
    }
}

/// `bytes` in base64 without padding.
pub(crate) fn encode(bytes: &[u8], alphabet: Alphabet) -> String {
    let characters = alphabet.characters();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let char_at = |index: u32| char::from(*characters.get(index as usize & 63).unwrap_or(&b'A'));
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group.iter_mut().zip(chunk).for_each(|(slot, &b)| *slot = b);
        let [a, b, c] = group;
        let bits = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
        for i in 0..=chunk.len() {
            out.push(char_at(bits >> (18 - 6 * i as u32)));
        }
    }
    out
}

/// Decodes base64 in `alphabet`. With `padding` the text may end in `=` padding (correct if
/// present); without, it may not. With `zero_bits` the bits past the last byte must be zero (so
/// each byte string has exactly one text).
pub(crate) fn decode(
    text: &[u8],
    alphabet: Alphabet,
    padding: bool,
    zero_bits: bool,
) -> Result<Vec<u8>, Base64Error> {
    let unpadded = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    if unpadded.len() != text.len() && (!padding || text.len() % 4 != 0) {
        return Err(Base64Error::Padding);
    }
    if unpadded.len() % 4 == 1 {
        return Err(Base64Error::Length);
    }
    let values = alphabet.values();
    let mut out = Vec::with_capacity(unpadded.len() / 4 * 3 + 2);
    for chunk in unpadded.chunks(4) {
        let mut bits = 0u32;
        for &c in chunk {
            let value = *values.get(usize::from(c)).unwrap_or(&0xff);
            if value == 0xff {
                return Err(Base64Error::Character);
            }
            bits = bits << 6 | u32::from(value);
        }
        let unused = 6 * chunk.len() as u32 % 8;
        if zero_bits && bits & ((1 << unused) - 1) != 0 {
            return Err(Base64Error::TrailingBits);
        }
        bits <<= 6 * (4 - chunk.len() as u32);
        let decoded = bits.to_be_bytes();
        out.extend_from_slice(decoded.get(1..chunk.len()).unwrap_or_default());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use super::*;

    #[test]
    fn round_trips_and_strictness() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            for alphabet in [Alphabet::Standard, Alphabet::UrlSafe] {
                let text = encode(&bytes, alphabet);
                assert!(!text.contains('='));
                assert_eq!(
                    decode(text.as_bytes(), alphabet, true, true).unwrap(),
                    bytes
                );
                let padded = format!("{text}{}", "=".repeat((4 - text.len() % 4) % 4));
                assert_eq!(
                    decode(padded.as_bytes(), alphabet, true, true).unwrap(),
                    bytes
                );
                if padded != text {
                    assert_eq!(
                        decode(padded.as_bytes(), alphabet, false, true),
                        Err(Base64Error::Padding)
                    );
                }
            }
        }
        assert_eq!(encode(b"foobar", Alphabet::Standard), "Zm9vYmFy");
        let decode_standard = |t: &str| decode(t.as_bytes(), Alphabet::Standard, true, false);
        assert_eq!(decode_standard("Zm9vYg").unwrap(), b"foob");
        assert_eq!(decode_standard("Zm9vY"), Err(Base64Error::Length));
        assert_eq!(decode_standard("Zm9vYg="), Err(Base64Error::Padding));
        assert_eq!(decode_standard("Zm9v-g"), Err(Base64Error::Character));
        assert_eq!(decode_standard("Zm=9"), Err(Base64Error::Character));
        // "Zh" carries 12 bits for one byte: the last 4 must be zero when asked.
        assert!(decode(b"Zh", Alphabet::Standard, false, false).is_ok());
        assert_eq!(
            decode(b"Zh", Alphabet::Standard, false, true),
            Err(Base64Error::TrailingBits)
        );
        assert_eq!(
            decode(b"a\nb=", Alphabet::UrlSafe, false, true),
            Err(Base64Error::Padding)
        );
        assert_eq!(
            decode(b"ab\nc", Alphabet::UrlSafe, false, true),
            Err(Base64Error::Character)
        );
    }
}
