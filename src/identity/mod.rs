//! Identity: the atproto facts of a DID document, and did:plc audit logs verified (see `plc.rs`:
//! [`verify_plc_log`]).
//!
//! [`parse_did_document`] takes a resolved `did:plc` or `did:web` document (the parsing does not depend
//! on the method) and returns its [`DidDocumentInfo`]: the DID, the declared handle, the signing key and
//! the PDS URL. It does no network access: resolving the DID, and checking that the handle resolves
//! back to the DID, are the caller's job.
//!
//! The tricky bits:
//! - **Which entries count.** The signing key is the *first* `verificationMethod` whose `id` is
//!   `#atproto` or `<did>#atproto`; the PDS is the first `service` whose `id` is `#atproto_pds` or
//!   `<did>#atproto_pds`. Other methods and services (and other fields, and any `@context`) are
//!   ignored, whatever they hold. The handle is the first `alsoKnownAs` entry that is `at://` followed
//!   by a valid handle (lower-cased); other URIs and invalid handles are skipped, as the DID
//!   specification says ("the first valid handle URI").
//! - **Absent vs malformed.** An absent handle, signing key or PDS is `None` (the JS API's `null`): such
//!   an account is broken for atproto, but the document is still a DID document. A present but
//!   malformed one is an error: an `#atproto` method whose `controller` is not the DID
//!   (`invalid-did-document`), whose type is neither `Multikey` nor a legacy type
//!   (`unsupported-key-type`), or whose key does not parse (the key's own code: `invalid-multibase`,
//!   `invalid-public-key`, …); an `#atproto_pds` service that is not an `AtprotoPersonalDataServer`
//!   with an http(s) URL (`invalid-pds-endpoint`). Callers that need a key use
//!   [`DidDocumentInfo::require_signing_key`] (`did-document-no-signing-key`).
//! - **Legacy keys.** Older documents (still found in `did:web`) use `EcdsaSecp256k1VerificationKey2019`
//!   or `EcdsaSecp256r1VerificationKey2019` with a codec-less, uncompressed (or, in some test data,
//!   compressed) `publicKeyMultibase`; they parse to the same [`PublicKey`] as the `Multikey` form.
//! - **The document's `id`.** It must be a valid DID, but this module cannot know which DID was
//!   resolved: callers must check that [`DidDocumentInfo::did`] is the DID they asked for.
//! - **PDS URL.** Scheme `https` or `http`, a host (name, IPv4 or `[IPv6]`) and an optional port; no
//!   user-info, query or fragment (user-info makes a URL that shows one host and reaches another). A
//!   path is tolerated (the specification says the endpoint *should* have none) and the URL is
//!   returned exactly as written.

mod did_document;
mod plc;

pub use did_document::{parse_did_document, DidDocumentInfo};
// For the JS binding of did:plc.
#[cfg(all(target_arch = "wasm32", feature = "full"))]
pub(crate) use plc::plc_did_document_json;
pub use plc::{
    compare_audit_logs, plc_did_document, verify_plc_log, LogRelation, PlcOperation, PlcState,
    VerifiedPlcLog, MAX_AUDIT_LOG_BYTES,
};

#[cfg(doc)]
use crate::crypto::PublicKey;
