//! atproto string formats: identifiers, datetimes, language tags, URIs and TIDs.
//!
//! Each format has `ensure_valid_*` (an [`Error`] that says why) and `is_valid_*`.
//! The rules are the atproto specifications' (specs/did, handle, nsid, record-key, at-uri-scheme,
//! lexicon string formats, tid); the interop vectors in `tests/fixtures/interop/syntax/` are run in full.
//!
//! Tricky bits:
//! - Everything is ASCII-only; a non-ASCII byte anywhere is invalid, so the checks work on bytes.
//! - Handles and NSIDs share the domain-label rule, but an NSID's first label (the TLD once reversed)
//!   may not start with a digit, while inner labels may; a handle's *last* label may not.
//! - Datetimes are checked twice: the strict RFC 3339 ∩ ISO 8601 shape, then the calendar (month 0,
//!   hour 25, 30 February, an offset that moves the instant before year 0 are all invalid).
//! - Language tags are BCP 47 well-formed *and* valid per RFC 5646 §2.2.9: no repeated variant or
//!   extension singleton (case-insensitive). The primary language subtag must be lower case.
//! - TIDs: see [`tid`].

pub mod at_uri;
pub mod datetime;
pub mod identifiers;
pub mod language;
pub mod tid;
pub mod uri;

pub use at_uri::{ensure_valid_at_uri, is_valid_at_uri, AtUri};
pub use datetime::{ensure_valid_datetime, is_valid_datetime};
pub use identifiers::{
    ensure_valid_at_identifier, ensure_valid_cid_syntax, ensure_valid_did, ensure_valid_handle,
    ensure_valid_nsid, ensure_valid_record_key, is_valid_at_identifier, is_valid_cid_syntax,
    is_valid_did, is_valid_handle, is_valid_nsid, is_valid_record_key,
};
pub use language::{ensure_valid_language, is_valid_language};
pub use tid::{ensure_valid_tid, is_valid_tid, Tid, TidGenerator};
pub use uri::{ensure_valid_uri, is_valid_uri};

use crate::{Code, Error};

/// A short, printable rendering of untrusted input for error messages (never the whole 10 MB).
pub(crate) fn quote(input: &str) -> String {
    const MAX: usize = 64;
    if input.len() <= MAX {
        return format!("{input:?}");
    }
    let cut = (0..=MAX)
        .rev()
        .find(|&i| input.is_char_boundary(i))
        .unwrap_or(0);
    format!(
        "{:?}… ({} bytes)",
        input.get(..cut).unwrap_or(""),
        input.len()
    )
}

/// An error of `code` about `input`: "`what` "input": `why`".
pub(crate) fn invalid(code: Code, what: &str, input: &str, why: &str) -> Error {
    Error::new(code, format!("{what} {}: {why}", quote(input)))
}
