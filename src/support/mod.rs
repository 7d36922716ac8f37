//! Crate-private building blocks the atproto modules share, each too small or too general to be a
//! concept of its own: SHA-256 of many messages at once ([`sha256x4`], whose entry point is public
//! as [`crate::cid::sha256_many`]), UTF-8 checking with a short-ASCII fast path ([`utf8`]), short
//! byte copies ([`short_copy`]), the strict varint ([`varint`]) and base64 ([`base64`]) codecs, the
//! crate's one sort ([`sort`]), JSON text read and written ([`json`]), fallible reservation of buffers sized by outside data
//! ([`memory`]), shared pointers and lazy cells per target ([`shared`]), and the decoding table of
//! a text alphabet ([`alphabet_values`]).

pub(crate) mod base64;
pub(crate) mod json;
pub(crate) mod memory;
pub(crate) mod sha256x4;
pub(crate) mod shared;
pub(crate) mod short_copy;
pub(crate) mod sort;
pub(crate) mod utf8;
pub(crate) mod varint;

/// The value of each character of `alphabet` (its index), 0xff for every other byte: the
/// decoding table of a base32 or base64 alphabet.
// Evaluated at compile time: an out-of-bounds index would fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
pub(crate) const fn alphabet_values<const N: usize>(alphabet: &[u8; N]) -> [u8; 256] {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < N {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
}
