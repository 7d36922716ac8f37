//! DRISL, the strict CBOR profile of the atproto data model: decoding, validation, encoding, JSON.
//!
//! Three ways in, one implementation of the rules. The [`Decoder`] is a cursor that reads one item
//! at a time and implements every item and key rule; MST and commit code use its typed reads
//! (`read_map_header`, `read_key`, `read_link`, …) to decode fixed shapes with no tree. [`Events`]
//! walks a whole value through the decoder as a flat sequence of events, with an explicit stack
//! (no recursion); [`validate`] drains it, [`decode`] builds a borrowed [`Value`] tree from it, and
//! a JS binding can turn it into one buffer. [`encode`] and the [`Encoder`] write the canonical form;
//! `encode(decode(b)) == b` for every valid `b`.
//!
//! The tricky bits:
//! - Canonical map order is "shorter key first, then bytewise" (RFC 7049 / IPLD), which for text
//!   keys equals RFC 8949's bytewise order of the encoded keys. Out of order and duplicate keys are
//!   different errors; a map written by code is sorted by [`encode`], which refuses duplicates.
//! - Every length is checked before anything is allocated: against the limits, and against the
//!   input left, counting one byte for each item that open containers still promise. So a 10-byte
//!   input that claims 2^32 items (or nested containers that each claim the whole rest) fails at
//!   its header, and a decoded tree never holds more slots than the input has bytes.
//! - Integers use the full signed 64-bit range (major type 0 up to 2^63−1, major 1 down to −2^63);
//!   the ±(2^53−1) limit applies only to JSON. Floats of every width, `undefined` and other simple
//!   values, tags other than 42 and indefinite lengths are all rejected with their own code.
//! - A CID link is tag 42 on a byte string of 0x00 plus one atproto CID and nothing more; a
//!   well-formed but unsupported CID gives [`Code::CidUnsupported`].
//! - Every error message names the byte offset of the offending item.
//! - DRISL does not know `$type` or blobs: [`check_data_model`] adds those rules (the JSON reader
//!   applies them itself).

mod decoder;
mod encoder;
mod events;
pub mod json;
mod model;
mod value;

use std::cmp::Ordering;

pub(crate) use decoder::{canonical_link_content, CANONICAL_LINK_CONTENT_LEN};
pub use decoder::{Decoder, Token};
pub use encoder::Encoder;
pub use events::{Event, Events};
pub use model::check_data_model;
pub use value::Value;

use crate::error::{Code, Error, Result};

/// Default depth limit (`MAX_CBOR_NESTED_LEVELS` of the atproto data-validation guide).
pub const MAX_CBOR_NESTED_LEVELS: usize = 32;
/// Default limit on the items of one array or entries of one map (`MAX_CBOR_CONTAINER_LEN`).
pub const MAX_CBOR_CONTAINER_LEN: usize = 131_072;
/// Default limit on the bytes of one map key (`MAX_CBOR_OBJECT_KEY_LEN`).
pub const MAX_CBOR_OBJECT_KEY_LEN: usize = 8192;
/// Size limit for one record (`MAX_CBOR_RECORD_SIZE`): 1 MiB.
pub const MAX_CBOR_RECORD_SIZE: usize = 1 << 20;
/// Size limit for one firehose frame or other general CBOR input: 5 MiB.
pub const MAX_CBOR_FRAME_SIZE: usize = 5 << 20;
/// The deepest nesting any limit can allow: recursive code over values (encoding, JSON, drop)
/// stays well inside the stack, including WebAssembly's small one.
pub const MAX_SUPPORTED_DEPTH: usize = 256;

/// Resource limits for decoding and encoding, enforced before any allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input (or encoded output), in bytes.
    pub max_size: usize,
    /// Deepest nesting of arrays and maps (a top-level map is level 1); values above
    /// [`MAX_SUPPORTED_DEPTH`] count as that.
    pub max_depth: usize,
    /// Most items in one array or entries in one map.
    pub max_container_len: usize,
    /// Longest map key, in bytes.
    pub max_key_len: usize,
}

impl Limits {
    /// Limits for one record: 1 MiB.
    pub const RECORD: Limits = Limits {
        max_size: MAX_CBOR_RECORD_SIZE,
        ..Limits::FRAME
    };
    /// Limits for a firehose frame or other general input: 5 MiB.
    pub const FRAME: Limits = Limits {
        max_size: MAX_CBOR_FRAME_SIZE,
        max_depth: MAX_CBOR_NESTED_LEVELS,
        max_container_len: MAX_CBOR_CONTAINER_LEN,
        max_key_len: MAX_CBOR_OBJECT_KEY_LEN,
    };
    /// The limits of [`decode`], [`validate`] and [`encode`]: [`Limits::FRAME`].
    pub const DEFAULT: Limits = Limits::FRAME;

    /// The depth limit in force: `max_depth`, at most [`MAX_SUPPORTED_DEPTH`].
    pub fn depth_limit(&self) -> usize {
        self.max_depth.min(MAX_SUPPORTED_DEPTH)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// One level deeper than `depth` for code that recurses over a [`Value`], or `limit-exceeded` past
/// [`MAX_SUPPORTED_DEPTH`] (a built value may nest deeper than any decoded one).
pub(crate) fn nested_depth(depth: usize) -> Result<usize> {
    if depth >= MAX_SUPPORTED_DEPTH {
        Err(Error::new(
            Code::LimitExceeded,
            format!("value nested deeper than {MAX_SUPPORTED_DEPTH} levels"),
        ))
    } else {
        Ok(depth + 1)
    }
}

/// The canonical order of map keys: shorter first, then bytewise.
pub fn canonical_key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Decodes one DRISL value (the whole input) into a tree borrowing from `input`.
///
/// ```
/// use atproof::cbor::{decode, encode, Value};
/// let bytes = [0xa1, 0x61, b'a', 0x01]; // {"a": 1}
/// let value = decode(&bytes)?;
/// assert_eq!(value.get("a"), Some(&Value::Integer(1)));
/// assert_eq!(encode(&value)?, bytes);
/// # Ok::<(), atproof::Error>(())
/// ```
pub fn decode(input: &[u8]) -> Result<Value<'_>> {
    decode_with_limits(input, Limits::DEFAULT)
}

/// [`decode`] under the given limits.
pub fn decode_with_limits(input: &[u8], limits: Limits) -> Result<Value<'_>> {
    value::decode_value(input, limits)
}

/// Checks that `input` is exactly one valid DRISL value, building nothing.
pub fn validate(input: &[u8]) -> Result<()> {
    validate_with_limits(input, Limits::DEFAULT)
}

/// [`validate`] under the given limits.
pub fn validate_with_limits(input: &[u8], limits: Limits) -> Result<()> {
    // The walk that skipping a value does: one copy of the (always inlined) walker's loop for both.
    let mut decoder = Decoder::with_limits(input, limits)?;
    decoder.skip_value()?;
    decoder.finish()
}

/// Encodes a value canonically: keys sorted, shortest forms. Fails on a key given twice in one
/// map ([`Code::CborDuplicateMapKey`]) and on anything beyond [`Limits::DEFAULT`].
pub fn encode(value: &Value<'_>) -> Result<Vec<u8>> {
    encode_with_limits(value, Limits::DEFAULT)
}

/// [`encode`] under the given limits (the output size included).
pub fn encode_with_limits(value: &Value<'_>, limits: Limits) -> Result<Vec<u8>> {
    let mut encoder = Encoder::new();
    encoder.write_value(value, &limits)?;
    let bytes = encoder.into_bytes();
    if bytes.len() > limits.max_size {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "encoding of {} bytes exceeds the limit of {} bytes",
                bytes.len(),
                limits.max_size
            ),
        ));
    }
    Ok(bytes)
}
