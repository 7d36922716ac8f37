//! The lexicon `uri` format: a scheme, a colon and at least one more character, no white space,
//! at most 8 KiB.

use super::invalid;
use crate::{Code, Result};

/// Maximum length of a URI string (8 KiB).
pub const MAX_URI_LEN: usize = 8 * 1024;

/// Checks a generic URI: `scheme:rest` with scheme `[a-zA-Z][a-zA-Z0-9+.-]*`, a non-empty rest
/// that has no white space and does not start with `/` unless it is `//authority…`.
pub fn ensure_valid_uri(s: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(Code::InvalidUri, "URI", s, why));
    if s.len() > MAX_URI_LEN {
        return bad("longer than 8 KiB");
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return bad("has no scheme");
    };
    let mut scheme_bytes = scheme.bytes();
    if !scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        || !scheme_bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
    {
        return bad("the scheme must be a letter followed by [a-zA-Z0-9+.-]");
    }
    let after_slashes = rest.strip_prefix("//").unwrap_or(rest);
    match after_slashes.bytes().next() {
        None => return bad("nothing follows the scheme"),
        Some(b'/') => return bad("a path after the scheme may not start with '/'"),
        Some(_) => {}
    }
    if !rest.bytes().all(|b| b.is_ascii_graphic()) {
        return bad("has white space or a non-ASCII character");
    }
    Ok(())
}

/// Whether `s` is a valid generic URI.
pub fn is_valid_uri(s: &str) -> bool {
    ensure_valid_uri(s).is_ok()
}
