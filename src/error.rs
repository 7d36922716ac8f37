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
    /// A JS value that has no place in the data model: `undefined` in an array, a function, a
    /// symbol, a non-plain object (Date, Map, class instance), a string with a lone surrogate.
    InvalidValue => "invalid-value",
    /// A JS number that is an integer outside ±(2^53−1): it may already have lost precision (use a
    /// bigint for the full 64-bit range).
    UnsafeInteger => "unsafe-integer",
    /// A call on an instance made by `createInstance` after its `release()` (raised by the JS
    /// package, which owns instances).
    InstanceReleased => "instance-released",
    // --- firehose ---
    /// An event-stream frame that is not a header map (`op`, and `t` for a message) followed by a
    /// body map.
    InvalidFrame => "invalid-frame",
    /// An event body whose field is missing, of the wrong type or invalid (a bad DID, TID, path,
    /// datetime, action), or whose ops are malformed (wrong shape, a path twice).
    InvalidEvent => "invalid-event",
    /// A `#commit` or `#sync` whose fields (`repo`/`did`, `rev`, `commit`) disagree with the signed
    /// commit in its blocks.
    CommitMismatch => "commit-mismatch",
    /// A `#commit` with `tooBig` set: it cannot be verified.
    CommitTooBig => "commit-too-big",
    /// A `#commit` operation that disagrees with the tree: the new tree does not hold its `cid`, or
    /// undoing it does not remove its `cid` or restore its `prev`.
    OpMismatch => "op-mismatch",
    /// A `#commit` whose blocks lack an MST node that verifying or inverting the operations needs.
    InversionIncomplete => "inversion-incomplete",
    /// Undoing a `#commit`'s operations does not give its `prevData`.
    InversionMismatch => "inversion-mismatch",
    /// A `#commit` whose `since` or `prevData` does not follow the account's last commit (the
    /// `desync` status of a stream).
    CommitDesync => "commit-desync",
    /// A `#commit` or `#sync` whose rev lies in the future beyond the allowed clock drift.
    RevInFuture => "rev-in-future",
    /// An error frame from the server (`FutureCursor`, `ConsumerTooSlow`, …).
    StreamError => "stream-error",
    /// Bytes given to restore a stream verifier's state that are not a state it saved: another
    /// format or version, cut, changed (their checksum fails) or inconsistent.
    InvalidSavedState => "invalid-saved-state",
    // --- did:plc ---
    /// A did:plc audit log or entry that is malformed, or whose chain is broken: `prev` naming no
    /// earlier operation, a nullified one or a tombstone; `createdAt` not increasing.
    InvalidPlcLog => "invalid-plc-log",
    /// A did:plc operation of the wrong shape: an unknown type or field, a missing or mistyped
    /// field, a rotation key that is not a k256 or p256 did:key, more than 10 entries.
    InvalidPlcOperation => "invalid-plc-operation",
    /// A did:plc fork that nullifies an operation made more than 72 hours before it.
    PlcLateRecovery => "plc-late-recovery",
    /// A did:plc audit log whose `nullified` flags are not the ones its operations imply.
    PlcNullifiedMismatch => "plc-nullified-mismatch",
    /// Resolving a handle or DID over the network failed: no answer in time, an HTTP error, a
    /// response over the size limit, too many redirects, not JSON, a document for another DID
    /// (raised by the JS package, which does the fetching).
    IdentityResolution => "identity-resolution",
    // --- data model ---
    /// Malformed CBOR: a reserved additional-info value, a stray break byte, a tag or simple value
    /// encoded in a way CBOR does not allow.
    InvalidCbor => "invalid-cbor",
    /// An integer, length or tag not written in its shortest form (DRISL requires the shortest).
    NonCanonicalCbor => "non-canonical-cbor",
    /// The input ended inside an item, or an item claims more content than the input holds.
    CborTruncated => "cbor-truncated",
    /// Bytes remain after the one top-level item.
    CborTrailingBytes => "cbor-trailing-bytes",
    /// Map keys not in canonical order (shorter key first, then bytewise).
    CborMapKeyOrder => "cbor-map-key-order",
    /// The same key twice in one map.
    CborDuplicateMapKey => "cbor-duplicate-map-key",
    /// A map key that is not a text string.
    CborNonStringKey => "cbor-non-string-key",
    /// An indefinite-length string, byte string, array or map.
    CborIndefiniteLength => "cbor-indefinite-length",
    /// A floating-point number of any width (atproto forbids floats).
    CborFloat => "cbor-float",
    /// A simple value other than `true`, `false` and `null` (`undefined` included).
    CborSimpleValue => "cbor-simple-value",
    /// A tag other than 42 (CID link).
    CborUnsupportedTag => "cbor-unsupported-tag",
    /// Tag 42 not followed by a byte string holding 0x00 and exactly one valid CID.
    CborInvalidCidLink => "cbor-invalid-cid-link",
    /// A text string (or map key) that is not valid UTF-8 (the code avoids digits, as all codes do).
    CborInvalidUnicode => "cbor-invalid-unicode",
    /// An integer outside the signed 64-bit range.
    CborIntegerRange => "cbor-integer-range",
    /// A well-formed item of another type than the one the decoder asked for.
    CborUnexpectedType => "cbor-unexpected-type",
    /// A well-formed CID that atproto does not allow (only CIDv1, DRISL or raw codec, 32-byte SHA-256).
    CidUnsupported => "cid-unsupported",
    /// A block whose SHA-256 does not match the CID it is stored or linked under.
    CidMismatch => "cid-mismatch",
    /// Not JSON, or JSON that is not an atproto data object.
    InvalidJson => "invalid-json",
    /// A `$link` object that is not `{"$link": "<CID string>"}` alone.
    JsonInvalidLink => "json-invalid-link",
    /// A `$bytes` object that is not `{"$bytes": "<base64>"}` alone.
    JsonInvalidBytes => "json-invalid-bytes",
    /// A JSON number with a fraction or exponent that is not an integer (atproto forbids floats).
    JsonFloat => "json-float",
    /// An integer outside ±(2^53−1), the range JSON and JavaScript numbers hold exactly.
    JsonIntegerRange => "json-integer-range",
    /// A `$type: "blob"` object without a raw-codec `ref` link, a non-empty `mimeType` or a positive `size`.
    InvalidBlob => "invalid-blob",
    /// A `$type` field that is not a non-empty string.
    InvalidRecordType => "invalid-record-type",
    /// An empty string used as a map key (the data model forbids it).
    EmptyMapKey => "empty-map-key",

    // --- keys and signatures ---
    /// Not a `did:key:` string (wrong prefix, or the rest is not a multikey).
    InvalidDidKey => "invalid-did-key",
    /// Not a base58btc multibase string (`z` followed by base58btc characters).
    InvalidMultibase => "invalid-multibase",
    /// A key type atproto does not use: an unknown multicodec, algorithm or verification method type.
    UnsupportedKeyType => "unsupported-key-type",
    /// Public key bytes of the wrong length or form, or not a point on the curve.
    InvalidPublicKey => "invalid-public-key",
    /// A private key that is not 32 bytes, or whose scalar is zero or not below the curve order.
    InvalidPrivateKey => "invalid-private-key",
    /// A signature that is not 64-byte compact `r‖s` (DER, other lengths), or whose `r` or `s` is zero or
    /// not below the curve order.
    InvalidSignatureFormat => "invalid-signature-format",
    /// A signature whose `s` is above half the curve order: atproto requires the low-S form on both curves.
    HighSSignature => "high-s-signature",
    /// A well-formed signature that does not verify for this key and data.
    BadSignature => "bad-signature",

    // --- identity ---
    /// A DID document that is not shaped as atproto requires (not an object, `id` not a DID, fields of
    /// the wrong type, an `#atproto` verification method with missing fields or another controller).
    InvalidDidDocument => "invalid-did-document",
    /// The `#atproto_pds` service is not an `AtprotoPersonalDataServer` with an http(s) URL endpoint.
    InvalidPdsEndpoint => "invalid-pds-endpoint",
    /// The DID document has no `#atproto` signing key, and the caller needs one.
    DidDocumentNoSigningKey => "did-document-no-signing-key",

    // --- CAR, MST, repo ---
    /// A CAR header that is not a DRISL map of exactly `roots` (an array of CID links) and
    /// `version` (the integer 1).
    CarInvalidHeader => "car-invalid-header",
    /// A CAR length prefix that is not a minimal unsigned LEB128 varint of at most 10 bytes that
    /// fits in 64 bits.
    CarInvalidVarint => "car-invalid-varint",
    /// The CAR ends inside its header or inside a block section.
    CarTruncated => "car-truncated",
    /// A CAR without a root where one is needed (a repository CAR's first root is its commit).
    CarNoRoots => "car-no-roots",
    /// The block named as the commit (a CAR's first root) is not one: not a DRISL CID, not a map,
    /// or a map with neither `version` nor `data`.
    CarRootNotCommit => "car-root-not-commit",
    /// A block the verification needs (commit, MST node, record) is not among the blocks given.
    MissingBlock => "missing-block",
    /// An MST node that is not exactly `{e: [{k, p, t, v}, …], l}` with fields of the right types.
    MstInvalid => "mst-invalid",
    /// An MST key that is not `<collection>/<record key>`: empty, too long, not exactly two
    /// non-empty segments, or a character outside `A-Za-z0-9.-_:~`.
    MstInvalidKey => "mst-invalid-key",
    /// A link from an MST node to another MST node (`l`, `t`) or from a commit to the MST root
    /// that is not a DRISL (0x71) CID.
    MstInvalidLink => "mst-invalid-link",
    /// A key whose depth (leading zero bits of its SHA-256, halved) is not its node's layer, or a
    /// subtree that is not exactly one layer below its parent.
    MstWrongLayer => "mst-wrong-layer",
    /// Keys of one node out of order.
    MstUnsortedKeys => "mst-unsorted-keys",
    /// The same key twice in a tree.
    MstDuplicateKey => "mst-duplicate-key",
    /// A prefix length `p` that is not the length of the common prefix with the previous key of
    /// the node (the first entry's must be 0): the compression is mandatory and unique.
    MstNonOptimalPrefix => "mst-non-optimal-prefix",
    /// A key of a subtree outside the range its position allows (between its neighbours in the
    /// parent node).
    MstRangeViolation => "mst-range-violation",
    /// The root node has no entries but points to a subtree (the top must be trimmed).
    MstEmptyTopNode => "mst-empty-top-node",
    /// A node below the root with neither entries nor a subtree (empty nodes must be pruned).
    MstEmptyNode => "mst-empty-node",
    /// A commit whose fields are missing, of the wrong type, unknown or invalid (`did`, `rev`,
    /// `data`, `prev`, `sig`).
    CommitInvalid => "commit-invalid",
    /// A commit whose `version` is not 3 (versions 1 and 2 are not supported).
    CommitUnsupportedVersion => "commit-unsupported-version",
    /// The commit's DID is not the one the caller expected.
    DidMismatch => "did-mismatch",
    /// An MST key that is not a repository path: a valid, normalized NSID, `/`, a valid record key.
    InvalidRepoPath => "invalid-repo-path",

    // --- writing ---
    /// A create for a path that holds a record already.
    RecordExists => "record-exists",
    /// An update or delete of a path that holds no record.
    RecordNotFound => "record-not-found",
    /// One commit writes the same path twice.
    DuplicateWrite => "duplicate-write",
    /// A commit's rev that is not above the repository's last.
    RevNotIncreasing => "rev-not-increasing",
    /// An external signer threw, or returned something that is not bytes.
    SignerFailed => "signer-failed",
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
    // Cold and out of line: failing is the rare path, and inlined at each of the crate's couple of
    // hundred call sites the message's copy into a `String` cost module bytes.
    #[cold]
    #[inline(never)]
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// An error whose message is made from `format_args!(…)`: the formatting in this one
    /// out-of-line copy, where `Error::new(code, format!(…))` inlines it at each call site.
    #[cold]
    #[inline(never)]
    pub(crate) fn formatted(code: Code, message: std::fmt::Arguments<'_>) -> Self {
        Error::new(code, std::fmt::format(message))
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
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{s}"
            );
        }
    }

    #[test]
    fn readme_documents_every_code() {
        let readme = include_str!("../README.md");
        for code in Code::ALL {
            assert!(
                readme.contains(&format!("`{}`", code.as_str())),
                "README.md does not document `{code}`"
            );
        }
    }

    #[test]
    fn context_prefixes_message() {
        let e = Error::new(Code::InvalidTid, "bad").context("rev");
        assert_eq!(e.message(), "rev: bad");
        assert_eq!(e.to_string(), "[invalid-tid] rev: bad");
    }
}
