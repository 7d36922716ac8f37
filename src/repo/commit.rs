//! Version 3 commits: strict decoding, signature verification, encoding and signing.

use crate::cbor::{Decoder, Encoder};
use crate::cid::{Cid, Codec};
use crate::crypto::{verify_signature_strict, Keypair, PublicKey};
use crate::error::{Code, Error, Result};
use crate::syntax::quote;
use crate::syntax::{ensure_valid_did, Tid};

/// The only repository format version supported.
pub const COMMIT_VERSION: i64 = 3;
/// The length of a commit signature: compact `r‖s`.
pub const SIGNATURE_LEN: usize = 64;

/// A decoded, checked version 3 commit, borrowing from its block.
///
/// Decoding checks every field: exactly `did` (a valid DID), `rev` (a TID), `sig` (64 bytes),
/// `data` (a DRISL CID), `prev` (present, `null` or a DRISL CID) and `version` (3), in canonical
/// DRISL. The signature is checked separately, against a key from the account's DID document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit<'a> {
    did: &'a str,
    rev: Tid,
    rev_text: &'a str,
    data: Cid,
    prev: Option<Cid>,
    sig: &'a [u8],
    block: &'a [u8],
    /// Where the map's entries start (after the map header).
    entries_start: usize,
    /// The `sig` key and value, as a byte range of `block`.
    sig_field: (usize, usize),
}

/// The fields as read, before the checks that need all of them.
#[derive(Default)]
struct Fields<'a> {
    did: Option<&'a str>,
    rev: Option<&'a str>,
    sig: Option<(&'a [u8], usize, usize)>,
    data: Option<Cid>,
    prev: Option<Option<Cid>>,
    version: Option<i64>,
    unknown: Option<&'a str>,
}

// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size").
#[cold]
#[inline(never)]
fn invalid(why: impl std::fmt::Display) -> Error {
    Error::new(Code::CommitInvalid, format!("commit: {why}"))
}

/// A field of the wrong type is a broken commit; other decoding errors keep their DRISL code.
fn field_error(field: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        if e.code() == Code::CborUnexpectedType {
            invalid(format_args!("field `{field}`: {}", e.message()))
        } else {
            e.context(format_args!("commit field `{field}`"))
        }
    }
}

impl<'a> Commit<'a> {
    /// Decodes and checks a commit block.
    ///
    /// Errors: `car-root-not-commit` when the block is not a map or has neither `version` nor
    /// `data` (it is some other block); `commit-unsupported-version` for a `version` other than 3
    /// (versions 1 and 2 are not supported); `commit-invalid` for a missing, unknown, mistyped or
    /// invalid field; DRISL codes (with the byte offset) for a block that is not canonical DRISL.
    pub fn decode(block: &'a [u8]) -> Result<Commit<'a>> {
        let not_commit = |why: &str| {
            Error::new(
                Code::CarRootNotCommit,
                format!("the block named as the commit is not one: {why}"),
            )
        };
        let mut decoder = Decoder::new(block).map_err(|e| e.context("commit"))?;
        let entries = match decoder.read_map_header() {
            Ok(entries) => entries,
            Err(e) if e.code() == Code::CborUnexpectedType => {
                return Err(not_commit("it is not a map"))
            }
            Err(e) => return Err(e.context("commit")),
        };
        let entries_start = decoder.position();
        let mut fields = Fields::default();
        let mut previous = None;
        for _ in 0..entries {
            let key_start = decoder.position();
            let key = decoder
                .next_key(previous)
                .map_err(|e| e.context("commit"))?;
            match key {
                "did" => fields.did = Some(decoder.read_str().map_err(field_error(key))?),
                "rev" => fields.rev = Some(decoder.read_str().map_err(field_error(key))?),
                "sig" => {
                    let sig = decoder.read_bytes().map_err(field_error(key))?;
                    fields.sig = Some((sig, key_start, decoder.position()));
                }
                "data" => fields.data = Some(decoder.read_link().map_err(field_error(key))?),
                "prev" => {
                    fields.prev = Some(decoder.read_null_or_link().map_err(field_error(key))?)
                }
                "version" => fields.version = Some(decoder.read_int().map_err(field_error(key))?),
                other => {
                    decoder.skip_value().map_err(|e| e.context("commit"))?;
                    fields.unknown = fields.unknown.or(Some(other));
                }
            }
            previous = Some(key);
        }
        decoder.finish().map_err(|e| e.context("commit"))?;

        if fields.version.is_none() && fields.data.is_none() {
            return Err(not_commit("it has neither `version` nor `data`"));
        }
        match fields.version {
            Some(COMMIT_VERSION) => {}
            Some(version) => {
                return Err(Error::new(
                    Code::CommitUnsupportedVersion,
                    format!("commit version {version} is not supported (only version 3)"),
                ))
            }
            None => return Err(invalid("the field `version` is missing")),
        }
        if let Some(unknown) = fields.unknown {
            return Err(invalid(format_args!(
                "unknown field {} (a v3 commit has exactly did, rev, sig, data, prev, version)",
                quote(unknown)
            )));
        }
        let missing = |field: &str| invalid(format_args!("the field `{field}` is missing"));
        let did = fields.did.ok_or_else(|| missing("did"))?;
        ensure_valid_did(did).map_err(|e| invalid(format_args!("field `did`: {}", e.message())))?;
        let rev_text = fields.rev.ok_or_else(|| missing("rev"))?;
        let rev = Tid::parse(rev_text)
            .map_err(|e| invalid(format_args!("field `rev`: {}", e.message())))?;
        let data = fields.data.ok_or_else(|| missing("data"))?;
        check_drisl_link("data", Some(data))?;
        let prev = fields.prev.ok_or_else(|| {
            invalid("the field `prev` is missing (v3 commits must have it, null or a link)")
        })?;
        check_drisl_link("prev", prev)?;
        let (sig, sig_start, sig_end) = fields.sig.ok_or_else(|| missing("sig"))?;
        if sig.len() != SIGNATURE_LEN {
            return Err(invalid(format_args!(
                "the signature is {} bytes, not {SIGNATURE_LEN}",
                sig.len()
            )));
        }
        Ok(Commit {
            did,
            rev,
            rev_text,
            data,
            prev,
            sig,
            block,
            entries_start,
            sig_field: (sig_start, sig_end),
        })
    }

    /// The account's DID.
    pub fn did(&self) -> &'a str {
        self.did
    }

    /// The revision.
    pub fn rev(&self) -> Tid {
        self.rev
    }

    /// The revision as written.
    pub fn rev_str(&self) -> &'a str {
        self.rev_text
    }

    /// The format version (always 3).
    pub fn version(&self) -> i64 {
        COMMIT_VERSION
    }

    /// The root of the MST.
    pub fn data(&self) -> Cid {
        self.data
    }

    /// The previous commit, virtually always `None`.
    pub fn prev(&self) -> Option<Cid> {
        self.prev
    }

    /// The 64-byte signature.
    pub fn signature(&self) -> &'a [u8] {
        self.sig
    }

    /// The block the commit was decoded from.
    pub fn block(&self) -> &'a [u8] {
        self.block
    }

    /// The bytes that were signed: the commit without `sig`, in canonical DRISL.
    ///
    /// Cut from the block itself rather than re-encoded: the block is canonical (decoding checked
    /// it), and a canonical map less one entry is canonical, so the map header is the only byte to
    /// change.
    pub fn unsigned_bytes(&self) -> Vec<u8> {
        let (sig_start, sig_end) = self.sig_field;
        let mut encoder = Encoder::new();
        encoder.write_map_header(5);
        let mut out = encoder.into_bytes();
        out.reserve(self.block.len());
        out.extend_from_slice(
            self.block
                .get(self.entries_start..sig_start)
                .unwrap_or_default(),
        );
        out.extend_from_slice(self.block.get(sig_end..).unwrap_or_default());
        out
    }

    /// Checks the signature with `key` (the `#atproto` key of the account's DID document):
    /// `bad-signature`, `high-s-signature` or `invalid-signature-format` if it does not verify.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<()> {
        verify_signature_strict(key, &self.unsigned_bytes(), self.sig)
            .map_err(|e| e.context(format_args!("commit of {} rev {}", self.did, self.rev_text)))
    }
}

fn check_drisl_link(field: &str, link: Option<Cid>) -> Result<()> {
    match link {
        Some(cid) if cid.codec() != Codec::Drisl => Err(invalid(format_args!(
            "the field `{field}` links to {cid}, which is not a DRISL CID"
        ))),
        _ => Ok(()),
    }
}

/// A commit before signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedCommit {
    did: String,
    rev: Tid,
    data: Cid,
    prev: Option<Cid>,
}

/// A signed commit block and its CID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCommit {
    /// The CID of the block.
    pub cid: Cid,
    /// The canonical DRISL block.
    pub block: Vec<u8>,
}

impl UnsignedCommit {
    /// A version 3 commit of `did` at revision `rev`, pointing to the MST root `data`; `prev` is
    /// virtually always `None`. Fails with `commit-invalid` for an invalid DID or non-DRISL links.
    pub fn new(did: &str, rev: Tid, data: Cid, prev: Option<Cid>) -> Result<UnsignedCommit> {
        ensure_valid_did(did).map_err(|e| invalid(format_args!("field `did`: {}", e.message())))?;
        check_drisl_link("data", Some(data))?;
        check_drisl_link("prev", prev)?;
        Ok(UnsignedCommit {
            did: did.to_owned(),
            rev,
            data,
            prev,
        })
    }

    /// The canonical DRISL bytes to sign (the commit without `sig`).
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(None)
    }

    /// Signs the commit with `keypair` and returns the signed block.
    pub fn sign(&self, keypair: &Keypair) -> SignedCommit {
        self.with_signature(&keypair.sign(&self.encode()))
    }

    /// The signed block with a signature made elsewhere (a WebCrypto key, a hardware signer).
    /// The signature is taken as given; [`Commit::verify_signature`] checks one.
    pub fn with_signature(&self, signature: &[u8; SIGNATURE_LEN]) -> SignedCommit {
        let block = self.encode_with(Some(signature));
        SignedCommit {
            cid: Cid::for_drisl(&block),
            block,
        }
    }

    /// The commit in canonical key order (did, rev, sig, data, prev, version).
    fn encode_with(&self, signature: Option<&[u8; SIGNATURE_LEN]>) -> Vec<u8> {
        let mut encoder = Encoder::new();
        encoder.write_map_header(if signature.is_some() { 6 } else { 5 });
        encoder.write_key("did");
        encoder.write_str(&self.did);
        encoder.write_key("rev");
        encoder.write_str(&self.rev.to_string());
        if let Some(signature) = signature {
            encoder.write_key("sig");
            encoder.write_bytes(signature);
        }
        encoder.write_key("data");
        encoder.write_link(&self.data);
        encoder.write_key("prev");
        match &self.prev {
            Some(prev) => encoder.write_link(prev),
            None => encoder.write_null(),
        }
        encoder.write_key("version");
        encoder.write_int(COMMIT_VERSION);
        encoder.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Algorithm;

    fn signed() -> (Keypair, SignedCommit) {
        let keypair = Keypair::import(Algorithm::Es256k, &[7; 32]).unwrap();
        let commit = UnsignedCommit::new(
            "did:plc:abc",
            Tid::parse("3lfesjgnzk226").unwrap(),
            Cid::for_drisl(&[0xa0]),
            None,
        )
        .unwrap();
        let signed = commit.sign(&keypair);
        (keypair, signed)
    }

    #[test]
    fn round_trip_and_signature() {
        let (keypair, signed) = signed();
        let commit = Commit::decode(&signed.block).unwrap();
        assert_eq!(commit.did(), "did:plc:abc");
        assert_eq!(commit.rev_str(), "3lfesjgnzk226");
        assert_eq!(commit.prev(), None);
        commit.verify_signature(&keypair.public_key()).unwrap();
        let other = Keypair::import(Algorithm::Es256k, &[8; 32]).unwrap();
        assert_eq!(
            commit
                .verify_signature(&other.public_key())
                .unwrap_err()
                .code(),
            Code::BadSignature
        );
        // The unsigned bytes are exactly the canonical encoding of the unsigned commit.
        let unsigned = UnsignedCommit::new(
            "did:plc:abc",
            Tid::parse("3lfesjgnzk226").unwrap(),
            Cid::for_drisl(&[0xa0]),
            None,
        )
        .unwrap();
        assert_eq!(commit.unsigned_bytes(), unsigned.encode());
    }

    #[test]
    fn not_a_commit() {
        assert_eq!(
            Commit::decode(&[0x80]).unwrap_err().code(),
            Code::CarRootNotCommit
        );
        assert_eq!(
            Commit::decode(&[0xa0]).unwrap_err().code(),
            Code::CarRootNotCommit
        );
    }
}
