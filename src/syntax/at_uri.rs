//! AT-URIs in the restricted form that records and lexicons use:
//! `at://AUTHORITY[/COLLECTION[/RKEY]]`, no trailing slash, no query, no fragment, at most 8 KiB.
//!
//! Parsing normalizes: a handle authority and an NSID's domain authority are lower-cased; the
//! NSID's name and the record key stay as written (they are case-sensitive).

use super::identifiers::{
    ensure_valid_at_identifier, ensure_valid_nsid, ensure_valid_record_key, normalize_handle,
    normalize_nsid,
};
use super::invalid;
use crate::{Code, Result};
use std::fmt;

/// Maximum length of an AT-URI (8 KiB).
pub const MAX_AT_URI_LEN: usize = 8 * 1024;

/// A parsed, normalized AT-URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtUri {
    authority: String,
    collection: Option<String>,
    rkey: Option<String>,
}

impl AtUri {
    /// Parses and normalizes an AT-URI.
    pub fn parse(s: &str) -> Result<AtUri> {
        let bad = |why: &str| invalid(Code::InvalidAtUri, "AT-URI", s, why);
        if s.len() > MAX_AT_URI_LEN {
            return Err(bad("longer than 8 KiB"));
        }
        let rest = s
            .strip_prefix("at://")
            .ok_or_else(|| bad("must start with \"at://\""))?;
        let mut parts = rest.split('/');
        let authority = parts.next().unwrap_or("");
        let collection = parts.next();
        let rkey = parts.next();
        if parts.next().is_some() {
            return Err(bad("has more than three path segments"));
        }
        // One chain and one `map_err`, not one per part: each inlined the rewrap and the drop of
        // the part's error.
        ensure_valid_at_identifier(authority)
            .and_then(|()| collection.map_or(Ok(()), ensure_valid_nsid))
            .and_then(|()| rkey.map_or(Ok(()), ensure_valid_record_key))
            .map_err(|e| bad(e.message()))?;
        let authority = if authority.starts_with("did:") {
            authority.to_owned()
        } else {
            normalize_handle(authority)
        };
        Ok(AtUri {
            authority,
            collection: collection.map(normalize_nsid),
            rkey: rkey.map(str::to_owned),
        })
    }

    /// The DID or (lower-case) handle.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The collection NSID, if the URI names one.
    pub fn collection(&self) -> Option<&str> {
        self.collection.as_deref()
    }

    /// The record key, if the URI names one.
    pub fn rkey(&self) -> Option<&str> {
        self.rkey.as_deref()
    }
}

impl fmt::Display for AtUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at://{}", self.authority)?;
        if let Some(collection) = &self.collection {
            write!(f, "/{collection}")?;
        }
        if let Some(rkey) = &self.rkey {
            write!(f, "/{rkey}")?;
        }
        Ok(())
    }
}

/// Whether `s` is a valid AT-URI.
pub fn is_valid_at_uri(s: &str) -> bool {
    AtUri::parse(s).is_ok()
}

/// Checks an AT-URI.
pub fn ensure_valid_at_uri(s: &str) -> Result<()> {
    AtUri::parse(s).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_handle_and_nsid_authority_only() {
        let uri = AtUri::parse("at://Alice.Example.COM/COM.Example.fooBar/3jzfcijpj2z2A").unwrap();
        assert_eq!(uri.authority(), "alice.example.com");
        assert_eq!(uri.collection(), Some("com.example.fooBar"));
        assert_eq!(uri.rkey(), Some("3jzfcijpj2z2A"));
        assert_eq!(
            uri.to_string(),
            "at://alice.example.com/com.example.fooBar/3jzfcijpj2z2A"
        );
        let did = AtUri::parse("at://did:plc:ABC").unwrap();
        assert_eq!(did.to_string(), "at://did:plc:ABC");
        assert_eq!(did.collection(), None);
    }
}
