//! Repositories: v3 commits, full verification (whole-buffer and streaming), record proofs, and
//! CAR export.
//!
//! A repository CAR's first root is a signed commit; the commit's `data` is the root of the MST;
//! the MST maps repository paths (`<collection>/<record key>`) to record blocks.
//! [`verify_repo`] checks all of it: every block's hash, every commit field, the DID and
//! signature when asked, every MST rule, every record present and valid.
//!
//! The tricky bits:
//! - **The signed bytes are cut, not re-encoded.** The signature covers the commit without `sig`
//!   in canonical DRISL. The block was decoded strictly, so it is canonical, and removing one
//!   entry from a canonical map leaves a canonical map: the unsigned bytes are the block with the
//!   `sig` entry cut out and the map header decremented. Nothing is rebuilt, nothing can drift.
//! - **Versions.** Only version 3 is supported; a version 2 (or 1) commit is a
//!   `commit-unsupported-version` error, not a crash or a misleading field error. `prev` must be
//!   present (null or a link) in v3; unknown fields are refused.
//! - **What is a commit.** The first root must be a DRISL CID of a map with the commit's fields;
//!   a root pointing at an MST node or a record is `car-root-not-commit`, a CAR without roots
//!   `car-no-roots`.
//! - **Speed.** The CAR is indexed borrowing the input and every block is hashed exactly once;
//!   MST nodes are decoded straight from their bytes into reused scratch space; key depths cost one
//!   small SHA-256 each; paths are checked with the collection's NSID validated once per run of
//!   keys and stored into one buffer ([`RepoRecords`]); records are validated with the DRISL
//!   cursor, no value tree. The walk finds each node and record block by guessing its place in
//!   file order (CARs list trees depth-first or layer by layer) before any table lookup.
//! - **Streaming.** [`RepoStreamVerifier`] keeps the commit and every block shaped like an MST
//!   node, but checks each other block as a record the moment it arrives and keeps only its CID;
//!   the final walk is the whole-buffer verifier's, over what was kept. Blocks may arrive in any
//!   order, so nothing is decided before the end.
//! - **Proofs.** A `getRecord` proof is loaded as a partial tree (the path's nodes, everything else
//!   known only by CID) with the same checks; the key's depth tells which node must hold it, so the
//!   path alone proves presence or absence.

mod blocks;
mod commit;
mod export;
mod path;
mod records;
mod stream;
mod verify;

pub(crate) use blocks::{by_digest, sort_by_digest};
pub use commit::{Commit, SignedCommit, UnsignedCommit, COMMIT_VERSION, SIGNATURE_LEN};
pub use export::{record_proof_car, write_repo_car, RepoCarWriter};
pub use path::{ensure_valid_repo_path, split_repo_path};
pub(crate) use records::check_record_block;
pub use records::{RecordEntry, Records, RepoRecords};
pub use stream::{RepoStreamVerifier, StreamProgress};
pub use verify::{
    verify_record, verify_repo, verify_repo_with, ProvenRecord, RecordProof, VerifiedRepo,
    VerifyOptions,
};
