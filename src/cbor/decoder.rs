//! The pull decoder: a cursor over a byte slice that reads one DRISL item at a time.
//!
//! Every rule about a single item (shortest forms, allowed major types, tags, simple values,
//! UTF-8, CID links, lengths against the limits and the remaining input) and about map keys
//! (string, length, canonical order) is implemented here once; the event walker, the value tree,
//! validation and the typed reads of MST and commit decoders all go through it.

use std::cmp::Ordering;

use super::{canonical_key_order, Limits};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::syntax::quote;

/// The bytes of a CID link's content in its one atproto shape: a byte string head for 37 bytes,
/// 0x00, and a 36-byte CID.
pub(crate) const CANONICAL_LINK_CONTENT_LEN: usize = 39;

/// The CID of a link's content (what follows tag 42) at the start of `bytes`, if it is in the one
/// shape every atproto link has (see [`CANONICAL_LINK_CONTENT_LEN`]) with a blessed CID; `None`
/// for anything else, which a caller reads the long way to its precise error.
#[inline]
pub(crate) fn canonical_link_content(bytes: Option<&[u8]>) -> Option<Cid> {
    match bytes?.get(..CANONICAL_LINK_CONTENT_LEN)? {
        [0x58, 0x25, 0x00, cid @ ..] => Cid::read_prefix(cid).ok().map(|(cid, _)| cid),
        _ => None,
    }
}

/// One DRISL item as the cursor sees it: a scalar, or the header of a container whose items follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A text string, borrowed from the input.
    String(&'a str),
    /// A byte string, borrowed from the input.
    Bytes(&'a [u8]),
    /// A CID link (tag 42).
    Link(Cid),
    /// An array header: that many items follow.
    Array(usize),
    /// A map header: that many key/value pairs follow.
    Map(usize),
}

impl Token<'_> {
    /// The DRISL type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Token::Null => "null",
            Token::Bool(_) => "boolean",
            Token::Integer(_) => "integer",
            Token::String(_) => "string",
            Token::Bytes(_) => "bytes",
            Token::Link(_) => "CID link",
            Token::Array(_) => "array",
            Token::Map(_) => "map",
        }
    }
}

const MAJOR_UNSIGNED: u8 = 0;
const MAJOR_NEGATIVE: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_STRING: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;
const TAG_CID: u64 = 42;

/// A cursor over one DRISL-encoded input.
///
/// Typed reads (`read_str`, `read_link`, …) consume one item and fail with
/// [`Code::CborUnexpectedType`] on another type. Container headers give the item count; the
/// caller reads that many items (keys with [`Decoder::read_key`] for maps) and calls
/// [`Decoder::finish`] at the end. Depth is the caller's business with the typed reads (fixed
/// shapes are shallow); [`Decoder::skip_value`] and the [`Events`](super::Events) walker enforce
/// the depth limit themselves.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    limits: Limits,
    /// Items that open containers still promise. Each needs at least one byte, so a header whose
    /// items plus these exceed the remaining input is rejected before anything is allocated for it.
    promised: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder over `input` with the [`Limits::DEFAULT`] limits.
    pub fn new(input: &'a [u8]) -> Result<Self> {
        Decoder::with_limits(input, Limits::DEFAULT)
    }

    /// A decoder over `input` with the given limits; fails at once if `input` exceeds
    /// `limits.max_size`.
    pub fn with_limits(input: &'a [u8], limits: Limits) -> Result<Self> {
        if input.len() > limits.max_size {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "CBOR input of {} bytes exceeds the limit of {} bytes",
                    input.len(),
                    limits.max_size
                ),
            ));
        }
        Ok(Decoder {
            input,
            pos: 0,
            limits,
            promised: 0,
        })
    }

    /// The byte offset of the next item.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The whole input.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether every byte has been read.
    pub fn is_at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Checks that every byte has been read ([`Code::CborTrailingBytes`] otherwise).
    pub fn finish(&self) -> Result<()> {
        if self.is_at_end() {
            Ok(())
        } else {
            Err(self.error(
                Code::CborTrailingBytes,
                self.pos,
                format!(
                    "{} bytes after the top-level item",
                    self.input.len() - self.pos
                ),
            ))
        }
    }

    #[cold]
    #[inline(never)]
    fn error(&self, code: Code, offset: usize, what: impl std::fmt::Display) -> Error {
        Error::new(code, format!("{what} at byte {offset}"))
    }

    #[cold]
    fn truncated(&self, offset: usize) -> Error {
        self.error(Code::CborTruncated, offset, "input ends inside an item")
    }

    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    #[inline(always)]
    fn take(&mut self, len: usize, item_start: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(len)
            .ok_or_else(|| self.truncated(item_start))?;
        let bytes = self
            .input
            .get(self.pos..end)
            .ok_or_else(|| self.truncated(item_start))?;
        self.pos = end;
        Ok(bytes)
    }

    #[inline(always)]
    fn take_array<const N: usize>(&mut self, item_start: usize) -> Result<[u8; N]> {
        let bytes = self.take(N, item_start)?;
        <[u8; N]>::try_from(bytes).map_err(|_| self.truncated(item_start))
    }

    /// Reads an item head: the major type and its argument in shortest form. Major type 7
    /// (simple values and floats) has no argument and is handled by the caller, which must not
    /// call this for it.
    #[inline(always)]
    fn read_head(&mut self) -> Result<(u8, u64)> {
        let start = self.pos;
        let initial = *self.input.get(start).ok_or_else(|| self.truncated(start))?;
        self.pos += 1;
        let major = initial >> 5;
        let (argument, smallest) = match initial & 0x1f {
            info @ 0..=23 => return Ok((major, u64::from(info))),
            24 => (u64::from(self.take_array::<1>(start)?[0]), 24),
            25 => (
                u64::from(u16::from_be_bytes(self.take_array(start)?)),
                0x100,
            ),
            26 => (
                u64::from(u32::from_be_bytes(self.take_array(start)?)),
                0x1_0000,
            ),
            27 => (u64::from_be_bytes(self.take_array(start)?), 0x1_0000_0000),
            info => return Err(self.head_error(start, major, info, 0)),
        };
        if argument < smallest {
            return Err(self.head_error(start, major, initial & 0x1f, argument));
        }
        Ok((major, argument))
    }

    /// Why the head at `start` is refused: an indefinite length, reserved additional information
    /// `info`, or (for `info` 24–27) an `argument` not in its shortest form. Out of line: the
    /// head reader is inlined into every decoding loop.
    #[cold]
    #[inline(never)]
    fn head_error(&self, start: usize, major: u8, info: u8, argument: u64) -> Error {
        match info {
            24..=27 => self.error(
                Code::NonCanonicalCbor,
                start,
                format_args!("argument {argument} not in its shortest form"),
            ),
            31 if (MAJOR_BYTES..=MAJOR_MAP).contains(&major) => self.error(
                Code::CborIndefiniteLength,
                start,
                "indefinite-length item (DRISL allows definite lengths only)",
            ),
            _ => self.error(
                Code::InvalidCbor,
                start,
                format_args!("reserved additional information {info} for major type {major}"),
            ),
        }
    }

    /// Converts a string or byte-string length and checks it against the remaining input.
    #[inline(always)]
    fn content_len(&self, argument: u64, start: usize) -> Result<usize> {
        match usize::try_from(argument) {
            Ok(len) if len.saturating_add(self.promised) <= self.remaining() => Ok(len),
            _ => Err(self.error(
                Code::CborTruncated,
                start,
                format_args!("string of {argument} bytes longer than the remaining input"),
            )),
        }
    }

    /// Checks a container header against the length limit and the remaining input, and records
    /// its items as promised.
    #[inline(always)]
    fn container_len(
        &mut self,
        argument: u64,
        items_per_entry: usize,
        start: usize,
    ) -> Result<usize> {
        let len = usize::try_from(argument)
            .ok()
            .filter(|&len| len <= self.limits.max_container_len)
            .ok_or_else(|| {
                self.error(
                    Code::LimitExceeded,
                    start,
                    format_args!(
                        "container of {argument} items exceeds the limit of {}",
                        self.limits.max_container_len
                    ),
                )
            })?;
        // len <= max_container_len, so this cannot overflow for sane limits; saturate regardless.
        let promised = self
            .promised
            .saturating_add(len.saturating_mul(items_per_entry));
        if promised > self.remaining() {
            return Err(self.error(
                Code::CborTruncated,
                start,
                format_args!(
                    "container of {len} items cannot fit in the {} bytes left",
                    self.remaining()
                ),
            ));
        }
        self.promised = promised;
        Ok(len)
    }

    #[inline(always)]
    fn utf8(&self, bytes: &'a [u8], content_start: usize) -> Result<&'a str> {
        crate::support::utf8::str_from_utf8(bytes).map_err(|e| {
            self.error(
                Code::CborInvalidUnicode,
                content_start + e.valid_up_to(),
                "invalid UTF-8 in a text string",
            )
        })
    }

    /// Reads the next item: a scalar, or a container header.
    #[inline(always)]
    pub fn read_token(&mut self) -> Result<Token<'a>> {
        self.promised = self.promised.saturating_sub(1);
        let start = self.pos;
        let initial = *self.input.get(start).ok_or_else(|| self.truncated(start))?;
        if initial >> 5 == 7 {
            self.pos += 1;
            return match initial & 0x1f {
                20 => Ok(Token::Bool(false)),
                21 => Ok(Token::Bool(true)),
                22 => Ok(Token::Null),
                info => Err(self.simple_value_error(start, info)),
            };
        }
        let (major, argument) = self.read_head()?;
        match major {
            MAJOR_UNSIGNED => i64::try_from(argument).map(Token::Integer).map_err(|_| {
                self.error(
                    Code::CborIntegerRange,
                    start,
                    format_args!("integer {argument} above 2^63-1"),
                )
            }),
            MAJOR_NEGATIVE => match i64::try_from(argument) {
                // -1 - n, for n in 0..=i64::MAX, is exactly the negative i64 range.
                Ok(n) => Ok(Token::Integer(-1 - n)),
                Err(_) => Err(self.error(
                    Code::CborIntegerRange,
                    start,
                    format_args!("integer -1-{argument} below -2^63"),
                )),
            },
            MAJOR_BYTES => {
                let len = self.content_len(argument, start)?;
                Ok(Token::Bytes(self.take(len, start)?))
            }
            MAJOR_STRING => {
                let len = self.content_len(argument, start)?;
                let content_start = self.pos;
                let bytes = self.take(len, start)?;
                Ok(Token::String(self.utf8(bytes, content_start)?))
            }
            MAJOR_ARRAY => Ok(Token::Array(self.container_len(argument, 1, start)?)),
            MAJOR_MAP => Ok(Token::Map(self.container_len(argument, 2, start)?)),
            MAJOR_TAG if argument == TAG_CID => self.read_cid_link_content(start).map(Token::Link),
            _ => Err(self.error(
                Code::CborUnsupportedTag,
                start,
                format_args!("tag {argument} (DRISL allows only tag 42, CID link)"),
            )),
        }
    }

    /// Why major type 7 with additional information `info` (not false, true or null) at `start`
    /// is refused. Out of line: `read_token` is inlined into every decoding loop, its error
    /// paths need not be.
    #[cold]
    #[inline(never)]
    fn simple_value_error(&self, start: usize, info: u8) -> Error {
        match info {
            23 => self.error(Code::CborSimpleValue, start, "simple value undefined"),
            25..=27 => self.error(Code::CborFloat, start, "float (atproto forbids floats)"),
            24 => match self.input.get(start + 1) {
                None => self.truncated(start),
                Some(&value) if value < 32 => self.error(
                    Code::InvalidCbor,
                    start,
                    format_args!("two-byte simple value {value} below 32"),
                ),
                Some(&value) => self.error(
                    Code::CborSimpleValue,
                    start,
                    format_args!("simple value {value}"),
                ),
            },
            31 => self.error(
                Code::InvalidCbor,
                start,
                "break byte outside an indefinite-length item",
            ),
            28..=30 => self.error(
                Code::InvalidCbor,
                start,
                format_args!("reserved additional information {info}"),
            ),
            value => self.error(
                Code::CborSimpleValue,
                start,
                format_args!("simple value {value}"),
            ),
        }
    }

    /// After tag 42: a byte string holding 0x00 and one CID, nothing else.
    fn read_cid_link_content(&mut self, start: usize) -> Result<Cid> {
        // Every atproto link has one shape: a 37-byte string of 0x00 and a 36-byte CID. Taken in
        // one step when the input has it (and the bytes fit the containers' promises, as
        // content_len requires); anything else goes the long way, to its precise error.
        let fits = 37usize.saturating_add(self.promised) <= self.remaining().saturating_sub(2);
        if let (true, Some(cid)) = (fits, canonical_link_content(self.input.get(self.pos..))) {
            self.pos += CANONICAL_LINK_CONTENT_LEN;
            return Ok(cid);
        }
        let invalid = |d: &Self, why: &str| {
            d.error(
                Code::CborInvalidCidLink,
                start,
                format_args!("CID link {why}"),
            )
        };
        let content_head = self.pos;
        let initial = *self
            .input
            .get(content_head)
            .ok_or_else(|| self.truncated(start))?;
        if initial >> 5 != MAJOR_BYTES {
            return Err(invalid(self, "is not a byte string"));
        }
        let (_, argument) = self.read_head()?;
        let len = self.content_len(argument, start)?;
        let content = self.take(len, start)?;
        let Some((&0x00, cid_bytes)) = content.split_first() else {
            return Err(invalid(
                self,
                "does not start with the 0x00 multibase prefix",
            ));
        };
        match Cid::from_bytes(cid_bytes) {
            Ok(cid) => Ok(cid),
            Err(e) if e.code() == Code::CidUnsupported => Err(self.error(
                Code::CidUnsupported,
                start,
                format_args!("CID link: {}", e.message()),
            )),
            Err(e) => Err(invalid(
                self,
                &format!("holds no valid CID ({})", e.message()),
            )),
        }
    }

    /// Reads a map key: a text string within the key-length limit that sorts strictly after
    /// `previous` (the preceding key of the same map, `None` for the first) in canonical order.
    #[inline(always)]
    pub fn read_key(&mut self, previous: Option<&str>) -> Result<&'a str> {
        let start = self.pos;
        let initial = *self.input.get(start).ok_or_else(|| self.truncated(start))?;
        if initial >> 5 != MAJOR_STRING {
            return Err(self.error(
                Code::CborNonStringKey,
                start,
                "map key that is not a text string",
            ));
        }
        self.promised = self.promised.saturating_sub(1);
        let (_, argument) = self.read_head()?;
        if argument > self.limits.max_key_len as u64 {
            return Err(self.error(
                Code::LimitExceeded,
                start,
                format_args!(
                    "map key of {argument} bytes exceeds the limit of {}",
                    self.limits.max_key_len
                ),
            ));
        }
        let len = self.content_len(argument, start)?;
        let content_start = self.pos;
        let bytes = self.take(len, start)?;
        let key = self.utf8(bytes, content_start)?;
        if let Some(previous) = previous {
            if canonical_key_order(previous, key) != Ordering::Less {
                return Err(self.key_order_error(start, previous, key));
            }
        }
        Ok(key)
    }

    /// Why `key` at `start` may not follow `previous` in a map. Out of line, like
    /// [`simple_value_error`](Self::simple_value_error).
    #[cold]
    #[inline(never)]
    fn key_order_error(&self, start: usize, previous: &str, key: &str) -> Error {
        if previous == key {
            self.error(
                Code::CborDuplicateMapKey,
                start,
                format_args!("duplicate map key {}", quote(key)),
            )
        } else {
            self.error(
                Code::CborMapKeyOrder,
                start,
                format_args!(
                    "map key {} after {} (canonical order: shorter first, then bytewise)",
                    quote(key),
                    quote(previous)
                ),
            )
        }
    }

    /// Steps over the next `len` bytes as one whole item that the caller has read and checked
    /// itself, canonical form included (the MST node decoder's fast path for entries).
    pub(crate) fn skip_checked_item(&mut self, len: usize) {
        self.promised = self.promised.saturating_sub(1);
        self.pos = self.pos.saturating_add(len).min(self.input.len());
    }

    /// Consumes the next map key if it is exactly `key` (at most 23 bytes), skipping the UTF-8
    /// and order checks of [`read_key`](Self::read_key): for callers that accept only fixed keys
    /// in canonical order, and fall back to `read_key` (for its error) when this returns false.
    #[inline]
    pub fn read_expected_key(&mut self, key: &str) -> bool {
        let len = key.len();
        let matches = len <= 23
            && self.input.get(self.pos) == Some(&(0x60 | len as u8))
            && self.input.get(self.pos + 1..self.pos + 1 + len) == Some(key.as_bytes());
        if matches {
            self.promised = self.promised.saturating_sub(1);
            self.pos += 1 + len;
        }
        matches
    }

    /// [`read_key`](Self::read_key) out of line, for the readers of fixed-shape maps (a CAR header,
    /// a commit, a firehose frame) and for an MST node's key that is not the one expected (an
    /// error or a non-canonical node), which read a few keys per input: one copy shared by them,
    /// while the value walker, whose speed it is, keeps it inlined.
    #[inline(never)]
    pub fn next_key(&mut self, previous: Option<&str>) -> Result<&'a str> {
        self.read_key(previous)
    }

    /// [`read_token`](Self::read_token) for the typed readers below: one copy of it shared by all
    /// of them (inlined, it made each about 4 KB of wasm), while the value decoders, whose speed
    /// it is, keep it inlined.
    #[inline(never)]
    fn next_token(&mut self) -> Result<Token<'a>> {
        self.read_token()
    }

    #[cold]
    fn unexpected(&self, start: usize, expected: &str, found: Token<'_>) -> Error {
        self.error(
            Code::CborUnexpectedType,
            start,
            format_args!("expected {expected}, found {}", found.type_name()),
        )
    }

    /// Reads a map header; returns the number of entries.
    pub fn read_map_header(&mut self) -> Result<usize> {
        let start = self.pos;
        match self.next_token()? {
            Token::Map(len) => Ok(len),
            other => Err(self.unexpected(start, "map", other)),
        }
    }

    /// Reads an array header; returns the number of items.
    pub fn read_array_header(&mut self) -> Result<usize> {
        let start = self.pos;
        match self.next_token()? {
            Token::Array(len) => Ok(len),
            other => Err(self.unexpected(start, "array", other)),
        }
    }

    /// Reads a text string.
    pub fn read_str(&mut self) -> Result<&'a str> {
        let start = self.pos;
        match self.next_token()? {
            Token::String(s) => Ok(s),
            other => Err(self.unexpected(start, "string", other)),
        }
    }

    /// Reads a byte string.
    pub fn read_bytes(&mut self) -> Result<&'a [u8]> {
        let start = self.pos;
        match self.next_token()? {
            Token::Bytes(b) => Ok(b),
            other => Err(self.unexpected(start, "bytes", other)),
        }
    }

    /// Reads an integer.
    pub fn read_int(&mut self) -> Result<i64> {
        let start = self.pos;
        match self.next_token()? {
            Token::Integer(n) => Ok(n),
            other => Err(self.unexpected(start, "integer", other)),
        }
    }

    /// Reads a boolean.
    pub fn read_bool(&mut self) -> Result<bool> {
        let start = self.pos;
        match self.next_token()? {
            Token::Bool(b) => Ok(b),
            other => Err(self.unexpected(start, "boolean", other)),
        }
    }

    /// Reads a CID link.
    pub fn read_link(&mut self) -> Result<Cid> {
        let start = self.pos;
        match self.next_token()? {
            Token::Link(cid) => Ok(cid),
            other => Err(self.unexpected(start, "CID link", other)),
        }
    }

    /// Reads a CID link or `null`.
    pub fn read_null_or_link(&mut self) -> Result<Option<Cid>> {
        let start = self.pos;
        match self.next_token()? {
            Token::Link(cid) => Ok(Some(cid)),
            Token::Null => Ok(None),
            other => Err(self.unexpected(start, "CID link or null", other)),
        }
    }

    /// Reads a text string or `null`.
    pub fn read_null_or_str(&mut self) -> Result<Option<&'a str>> {
        let start = self.pos;
        match self.next_token()? {
            Token::String(s) => Ok(Some(s)),
            Token::Null => Ok(None),
            other => Err(self.unexpected(start, "string or null", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code

    use super::Decoder;

    #[test]
    fn read_expected_key_consumes_only_that_exact_key() {
        // {"k": 1, "kk": 2}
        let input = [0xa2, 0x61, b'k', 0x01, 0x62, b'k', b'k', 0x02];
        let mut decoder = Decoder::new(&input).unwrap();
        assert_eq!(decoder.read_map_header().unwrap(), 2);
        assert!(!decoder.read_expected_key("p"));
        assert!(!decoder.read_expected_key("kk"));
        assert_eq!(decoder.position(), 1);
        assert!(decoder.read_expected_key("k"));
        assert_eq!(decoder.read_int().unwrap(), 1);
        assert!(!decoder.read_expected_key("k"));
        assert!(decoder.read_expected_key("kk"));
        assert_eq!(decoder.read_int().unwrap(), 2);
        assert!(!decoder.read_expected_key("k"));
        decoder.finish().unwrap();
    }
}
