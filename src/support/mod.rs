//! Crate-private building blocks the atproto modules share, each too small or too general to be a
//! concept of its own: SHA-256 of many messages at once ([`sha256x4`], whose entry point is public
//! as [`crate::cid::sha256_many`]), UTF-8 checking with a short-ASCII fast path ([`utf8`]), short
//! byte copies ([`short_copy`]), the strict varint ([`varint`]) and base64 ([`base64`]) codecs, the
//! crate's one sort ([`sort`]) and fallible reservation of buffers sized by outside data
//! ([`memory`]).

pub(crate) mod base64;
pub(crate) mod memory;
pub(crate) mod sha256x4;
pub(crate) mod short_copy;
pub(crate) mod sort;
pub(crate) mod utf8;
pub(crate) mod varint;
