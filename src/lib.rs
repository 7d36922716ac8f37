//! atproof: strict, fast verification and signing of AT Protocol data.
//!
//! The core is plain Rust, one module per atproto concept, and knows nothing of JavaScript:
//! - [`syntax`]: identifiers (DID, handle, NSID, record key, AT-URI, …), datetimes, languages, TIDs.
//! - [`cbor`]: DRISL (strict DAG-CBOR) decoding, validation and canonical encoding; atproto JSON.
//! - [`cid`]: atproto CIDs (CIDv1, DRISL or raw, SHA-256): binary and string forms, hashing.
//! - [`crypto`]: `did:key`/multikey public keys, strict low-S signature verification, signing keypairs.
//! - [`identity`]: the atproto facts of a DID document (handle, signing key, PDS).
//! - [`car`]: CAR v1 files: whole-buffer and incremental reading (every block hashed), writing.
//! - [`mst`]: the Merkle Search Tree: strict node decoding, verification walk, persistent trees,
//!   diffs and proofs.
//! - [`repo`]: commits, full repository verification (whole or streaming), record proofs, export.
//! - [`firehose`]: event-stream frames, `#commit` verification with sync 1.1 inversion, `#sync`,
//!   `#commit` frames written.
//! - [`writer`]: writable repositories: signed commits, exports, proofs, events; replicas.
//!
//! `bindings` (wasm32, with the default feature `js`) is the one module that speaks wasm-bindgen and
//! shapes the JS API.
//! Every fallible function returns [`Error`], whose [`Code`] names the broken rule.

pub mod car;
pub mod cbor;
pub mod cid;
pub mod crypto;
pub mod error;
pub mod firehose;
pub mod identity;
pub mod keyed_hash;
pub mod mst;
pub mod repo;
mod support;
pub mod syntax;
pub mod writer;

#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub mod bindings;

pub use error::{Code, Error, Result};
