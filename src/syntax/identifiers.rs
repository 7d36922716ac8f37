//! DIDs, handles, NSIDs, record keys, at-identifiers and CID strings.

use super::invalid;
use crate::{Code, Result};

/// Maximum length of a DID (specs/did).
pub const MAX_DID_LEN: usize = 2 * 1024;
/// Maximum length of a handle (specs/handle).
pub const MAX_HANDLE_LEN: usize = 253;
/// Maximum length of an NSID (specs/nsid).
pub const MAX_NSID_LEN: usize = 317;
/// Maximum length of a record key (specs/record-key).
pub const MAX_RECORD_KEY_LEN: usize = 512;
/// Maximum length of a domain label (handles and NSID authorities).
const MAX_LABEL_LEN: usize = 63;

/// `did:<method>:<identifier>`: method `[a-z]+`, identifier `[a-zA-Z0-9._:%-]*` ending in
/// `[a-zA-Z0-9._-]`, at most 2 KiB, no query or fragment.
pub fn ensure_valid_did(s: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(Code::InvalidDid, "DID", s, why));
    if s.len() > MAX_DID_LEN {
        return bad("longer than 2048 characters");
    }
    let Some(rest) = s.strip_prefix("did:") else {
        return bad("must start with \"did:\"");
    };
    let Some((method, identifier)) = rest.split_once(':') else {
        return bad("needs a method and an identifier");
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_lowercase()) {
        return bad("the method must be lower-case letters");
    }
    if !identifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'%' | b'-'))
    {
        return bad("the identifier has a character outside [a-zA-Z0-9._:%-]");
    }
    match identifier.bytes().last() {
        None => bad("the identifier is empty"),
        Some(b':' | b'%') => bad("may not end in ':' or '%'"),
        Some(_) => Ok(()),
    }
}

/// Whether `s` is a valid DID.
pub fn is_valid_did(s: &str) -> bool {
    ensure_valid_did(s).is_ok()
}

/// Checks one domain label: 1 to 63 of `[a-zA-Z0-9-]`, no leading or trailing hyphen.
fn check_label(label: &str) -> std::result::Result<(), &'static str> {
    let bytes = label.as_bytes();
    if bytes.is_empty() {
        return Err("has an empty label");
    }
    if bytes.len() > MAX_LABEL_LEN {
        return Err("has a label longer than 63 characters");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        return Err("has a character outside [a-zA-Z0-9-]");
    }
    if bytes.first() == Some(&b'-') || bytes.last() == Some(&b'-') {
        return Err("has a label that starts or ends with '-'");
    }
    Ok(())
}

/// A domain name of at least two labels whose last label (the TLD) starts with a letter; at most
/// 253 characters. Case-insensitive (normalize with [`normalize_handle`]).
pub fn ensure_valid_handle(s: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(Code::InvalidHandle, "handle", s, why));
    if s.len() > MAX_HANDLE_LEN {
        return bad("longer than 253 characters");
    }
    let mut labels = 0usize;
    for label in s.split('.') {
        if let Err(why) = check_label(label) {
            return bad(why);
        }
        labels += 1;
    }
    if labels < 2 {
        return bad("needs at least two labels");
    }
    match s.rsplit('.').next().and_then(|tld| tld.bytes().next()) {
        Some(b) if b.is_ascii_alphabetic() => Ok(()),
        _ => bad("the last label must start with a letter"),
    }
}

/// Whether `s` is a valid handle.
pub fn is_valid_handle(s: &str) -> bool {
    ensure_valid_handle(s).is_ok()
}

/// The normalized (lower-case) form of a handle.
pub fn normalize_handle(handle: &str) -> String {
    handle.to_ascii_lowercase()
}

/// A reversed domain authority (first label starts with a letter) and a name `[a-zA-Z][a-zA-Z0-9]*`:
/// at least three segments, at most 317 characters.
pub fn ensure_valid_nsid(s: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(Code::InvalidNsid, "NSID", s, why));
    if s.len() > MAX_NSID_LEN {
        return bad("longer than 317 characters");
    }
    let Some((authority, name)) = s.rsplit_once('.') else {
        return bad("needs at least three segments");
    };
    if authority.split('.').count() < 2 {
        return bad("needs at least three segments");
    }
    for label in authority.split('.') {
        if let Err(why) = check_label(label) {
            return bad(why);
        }
    }
    if !authority
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
    {
        return bad("the first segment must start with a letter");
    }
    if name.is_empty() || name.len() > MAX_LABEL_LEN {
        return bad("the name segment must be 1 to 63 characters");
    }
    if !name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        || !name.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return bad("the name segment must be a letter followed by letters and digits");
    }
    Ok(())
}

/// Whether `s` is a valid NSID.
pub fn is_valid_nsid(s: &str) -> bool {
    ensure_valid_nsid(s).is_ok()
}

/// The normalized form of an NSID: the domain authority lower-cased, the name kept as is.
pub fn normalize_nsid(nsid: &str) -> String {
    match nsid.rsplit_once('.') {
        Some((authority, name)) => format!("{}.{name}", authority.to_ascii_lowercase()),
        None => nsid.to_owned(),
    }
}

/// 1 to 512 of `[a-zA-Z0-9_~.:-]`, not `.` or `..`. Case-sensitive.
pub fn ensure_valid_record_key(s: &str) -> Result<()> {
    match record_key_problem(s.as_bytes()) {
        Some(why) => Err(invalid(Code::InvalidRecordKey, "record key", s, why)),
        None => Ok(()),
    }
}

/// What is wrong with the record key `key` (bytes, so a caller holding bytes need not make text
/// first), if anything.
pub(crate) fn record_key_problem(key: &[u8]) -> Option<&'static str> {
    if key.is_empty() || key.len() > MAX_RECORD_KEY_LEN {
        return Some("must be 1 to 512 characters");
    }
    if key == b"." || key == b".." {
        return Some("'.' and '..' are not allowed");
    }
    if !key
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'~' | b'.' | b':' | b'-'))
    {
        return Some("has a character outside [a-zA-Z0-9_~.:-]");
    }
    None
}

/// Whether `s` is a valid record key.
pub fn is_valid_record_key(s: &str) -> bool {
    ensure_valid_record_key(s).is_ok()
}

/// A DID or a handle.
pub fn ensure_valid_at_identifier(s: &str) -> Result<()> {
    let checked = if s.starts_with("did:") {
        ensure_valid_did(s)
    } else {
        ensure_valid_handle(s)
    };
    checked.map_err(|e| {
        invalid(
            Code::InvalidAtIdentifier,
            "at-identifier",
            s,
            "neither a DID nor a handle",
        )
        .context(e.message())
    })
}

/// Whether `s` is a DID or a handle.
pub fn is_valid_at_identifier(s: &str) -> bool {
    ensure_valid_at_identifier(s).is_ok()
}

/// The lexicon `cid` string format: 8 to 256 of `[a-zA-Z0-9+=]`, and not a CIDv0 (`Qm…`). This is
/// a syntax check only; decoding a CID for use is [`crate::cid`]'s job.
pub fn ensure_valid_cid_syntax(s: &str) -> Result<()> {
    let bad = |why: &str| Err(invalid(Code::InvalidCid, "CID", s, why));
    if s.len() < 8 || s.len() > 256 {
        return bad("must be 8 to 256 characters");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'=')
    {
        return bad("has a character outside [a-zA-Z0-9+=]");
    }
    if s.starts_with("Qm") {
        return bad("CIDv0 is not supported");
    }
    Ok(())
}

/// Whether `s` has the syntax of a CID string.
pub fn is_valid_cid_syntax(s: &str) -> bool {
    ensure_valid_cid_syntax(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsid_normalization_keeps_the_name() {
        assert_eq!(normalize_nsid("COM.Example.fooBar"), "com.example.fooBar");
    }

    #[test]
    fn errors_say_why() {
        let e = ensure_valid_handle("john.0").unwrap_err();
        assert_eq!(e.code(), Code::InvalidHandle);
        assert!(e.message().contains("last label"), "{}", e.message());
        let e = ensure_valid_at_identifier("did:thing").unwrap_err();
        assert_eq!(e.code(), Code::InvalidAtIdentifier);
    }
}
