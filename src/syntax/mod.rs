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
pub use datetime::{ensure_valid_datetime, format_datetime, is_valid_datetime};
pub use identifiers::{
    ensure_valid_at_identifier, ensure_valid_cid_syntax, ensure_valid_did, ensure_valid_handle,
    ensure_valid_nsid, ensure_valid_record_key, is_valid_at_identifier, is_valid_cid_syntax,
    is_valid_did, is_valid_handle, is_valid_nsid, is_valid_record_key,
};
pub use language::{ensure_valid_language, is_valid_language};
pub use tid::{ensure_valid_tid, is_valid_tid, Tid, TidGenerator};
pub use uri::{ensure_valid_uri, is_valid_uri};

use std::fmt::Write as _;

use crate::{Code, Error};

/// A short, printable rendering of untrusted input for error messages (never the whole 10 MB):
/// in double quotes, at most 64 bytes of it, with `"` and `\` escaped and every character that
/// would not show or would move the text around it (controls, Unicode's default-ignorable and
/// bidirectional format characters, line and paragraph separators) as `\u{…}`. Written out rather
/// than with `{:?}`: `str`'s and `char`'s Debug escaping carries Unicode's printable and grapheme
/// tables into the wasm, a few KB for every page.
pub(crate) fn quote(input: &str) -> String {
    const MAX: usize = 64;
    let cut = if input.len() <= MAX {
        input.len()
    } else {
        (0..=MAX)
            .rev()
            .find(|&i| input.is_char_boundary(i))
            .unwrap_or(0)
    };
    let mut out = String::with_capacity(cut + 24);
    out.push('"');
    for c in input.get(..cut).unwrap_or("").chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hides(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    if cut < input.len() {
        let _ = write!(out, "… ({} bytes)", input.len());
    }
    out
}

/// Whether `c` would not show in a message, or would change how the text around it shows: C0 and
/// C1 controls, Unicode's Default_Ignorable_Code_Point characters (zero-width, bidirectional
/// controls, variation selectors, tags…), the line and paragraph separators and the interlinear
/// annotation characters.
fn hides(c: char) -> bool {
    matches!(
        u32::from(c),
        0..=0x1f
            | 0x7f..=0x9f
            | 0xad
            | 0x34f
            | 0x61c
            | 0x115f..=0x1160
            | 0x17b4..=0x17b5
            | 0x180b..=0x180f
            | 0x200b..=0x200f
            | 0x2028..=0x202e
            | 0x2060..=0x206f
            | 0x3164
            | 0xfe00..=0xfe0f
            | 0xfeff
            | 0xffa0
            | 0xfff0..=0xfffb
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0000..=0xe0fff
    )
}

/// An error of `code` about `input`: "`what` "input": `why`".
pub(crate) fn invalid(code: Code, what: &str, input: &str, why: &str) -> Error {
    Error::new(code, format!("{what} {}: {why}", quote(input)))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quote_is_debug_for_ordinary_text() {
        for text in [
            "",
            "app.bsky.feed.post",
            "did:plc:abc",
            "a \"b\" \\ c",
            "line\nbreak\ttab\r",
            "日本語 ünïcödé 🦋",
        ] {
            assert_eq!(quote(text), format!("{text:?}"), "{text}");
        }
    }

    #[test]
    fn quote_escapes_what_would_hide_or_move_text() {
        assert_eq!(quote("a\0b"), r#""a\0b""#);
        assert_eq!(quote("\u{1b}[31m"), r#""\u{1b}[31m""#);
        assert_eq!(quote("\u{85}"), r#""\u{85}""#);
        assert_eq!(quote("x\u{202e}gnp.exe"), r#""x\u{202e}gnp.exe""#);
        assert_eq!(quote("zero\u{200b}width"), r#""zero\u{200b}width""#);
        assert_eq!(quote("\u{feff}bom"), r#""\u{feff}bom""#);
        assert_eq!(quote("tag\u{e0041}"), r#""tag\u{e0041}""#);
        assert_eq!(quote("a\u{2028}b"), r#""a\u{2028}b""#);
    }

    #[test]
    fn quote_cuts_long_input_on_a_character_boundary() {
        let long = "é".repeat(100);
        let shown = quote(&long);
        assert!(
            shown.starts_with(&format!("\"{}\"", "é".repeat(32))),
            "{shown}"
        );
        assert!(shown.ends_with("… (200 bytes)"), "{shown}");
        assert_eq!(quote(&"a".repeat(64)), format!("\"{}\"", "a".repeat(64)));
    }
}
