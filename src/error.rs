//! The one error type of atproof.
//!
//! Every failure carries a [`Code`], a stable kebab-case string that names the rule that was broken
//! (users match on it; it never changes once published), and a message that says what was wrong and
//! where (byte offset, block CID, record path). In JavaScript it becomes an `AtproofError`.
//!
//! To add a code, add one line to the `codes!` table below: the variant and its string live together.

use std::fmt;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal,)*) => {
        /// The stable code of an [`Error`]: which rule the input broke.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in declaration order (for documentation and exhaustive tests).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code's string form, as seen by JavaScript in `AtproofError.code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    // --- syntax (atproto identifiers and strings) ---
    /// Not a TID: 13 base32-sortable characters with the top bit clear.
    InvalidTid => "invalid-tid",
    /// Not a record key.
    InvalidRecordKey => "invalid-record-key",
    /// Not an NSID.
    InvalidNsid => "invalid-nsid",
    /// Not a DID.
    InvalidDid => "invalid-did",
    /// Not a handle.
    InvalidHandle => "invalid-handle",
    /// Neither a DID nor a handle.
    InvalidAtIdentifier => "invalid-at-identifier",
    /// Not an AT-URI.
    InvalidAtUri => "invalid-at-uri",
    /// Not an atproto datetime (syntax or calendar).
    InvalidDatetime => "invalid-datetime",
    /// Not a BCP-47 language tag.
    InvalidLanguage => "invalid-language",
    /// Not a CID string.
    InvalidCid => "invalid-cid",
    /// Not a generic URI.
    InvalidUri => "invalid-uri",
    /// A value of the wrong type was passed (e.g. a number where a string is expected).
    InvalidArgument => "invalid-argument",
    /// A named limit (size, depth, length, count) was exceeded.
    LimitExceeded => "limit-exceeded",
    /// The clock or the random source failed.
    Environment => "environment",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An atproof failure: a stable [`Code`] and a message naming what and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    code: Code,
    message: String,
}

impl Error {
    /// An error with the given code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }

    /// The rule that was broken.
    pub fn code(&self) -> Code {
        self.code
    }

    /// What was wrong and where.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` (for example `"record app.bsky.feed.post/3k…: "`) put in front
    /// of its message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// atproof's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{s}");
        }
    }

    #[test]
    fn context_prefixes_message() {
        let e = Error::new(Code::InvalidTid, "bad").context("rev");
        assert_eq!(e.message(), "rev: bad");
        assert_eq!(e.to_string(), "[invalid-tid] rev: bad");
    }
}
