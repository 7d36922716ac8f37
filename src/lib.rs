//! atproof: strict, fast verification and signing of AT Protocol data.
//!
//! The core is plain Rust, one module per atproto concept, and knows nothing of JavaScript:
//! - [`syntax`]: identifiers (DID, handle, NSID, record key, AT-URI, …), datetimes, languages, TIDs.
//! - [`cbor`]: DRISL (strict DAG-CBOR) decoding, validation and canonical encoding; atproto JSON.
//! - [`cid`]: atproto CIDs (CIDv1, DRISL or raw, SHA-256): binary and string forms, hashing.
//! - [`crypto`]: `did:key`/multikey public keys, strict low-S signature verification, signing keypairs.
//! - [`identity`]: the atproto facts of a DID document (handle, signing key, PDS).
//!
//! [`bindings`] (wasm32 only) is the one module that speaks wasm-bindgen and shapes the JS API.
//! Every fallible function returns [`Error`], whose [`Code`] names the broken rule.

pub mod cbor;
pub mod cid;
pub mod crypto;
pub mod error;
pub mod identity;
pub mod syntax;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wasm-bindgen's generated glue
pub mod bindings;

pub use error::{Code, Error, Result};
