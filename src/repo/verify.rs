//! Full repository verification and record proofs.

use super::blocks::SortedBlocks;
use super::commit::Commit;
use super::ensure_valid_repo_path;
use super::path::RepoPathChecker;
use super::records::{check_record_block, missing_record, RecordList, RepoRecords};
use crate::car::{read_car_blocks, read_car_with_limits, CarLimits};
use crate::cid::{Cid, Codec};
use crate::crypto::PublicKey;
use crate::error::{Code, Error, Result};
use crate::mst::{walk_tree, Node, Tree, TreeVisitor};
use crate::support::memory;

/// What [`verify_repo`] and [`RepoStreamVerifier`](super::RepoStreamVerifier) should require
/// beyond the repository's own consistency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The DID the commit must name (`did-mismatch` otherwise).
    pub did: Option<String>,
    /// The account's signing key: the commit's signature must verify with it. Without a key the
    /// signature is not checked, and the result says so.
    pub key: Option<PublicKey>,
    /// Limits for reading the CAR.
    pub limits: CarLimits,
}

/// A verified repository: the commit's fields and every record, in key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRepo {
    /// The account's DID, from the commit.
    pub did: String,
    /// The revision (a TID).
    pub rev: String,
    /// The repository format version (3).
    pub version: i64,
    /// The commit's CID (the CAR's first root).
    pub commit: Cid,
    /// The MST root.
    pub data: Cid,
    /// The commit's `prev`, virtually always `None`.
    pub prev: Option<Cid>,
    /// Whether the signature was checked (a key was given) and verified.
    pub signature_verified: bool,
    /// Every record path and CID, in MST key order.
    pub records: RepoRecords,
}

/// Verifies a whole repository CAR (a `com.atproto.sync.getRepo` export).
///
/// Checks every block's hash, the commit (the first root: every field, `options.did`, and the
/// signature when `options.key` is given), the MST (every canonical rule, every node present),
/// and every record (present, valid DRISL, a map, at a valid repository path). Returns the
/// commit's fields and every record path and CID in key order.
///
/// One pass over the CAR hashes each block and sorts it: MST nodes and the commit are indexed
/// (borrowed), every other block is validated as a record while it is in cache and only its CID
/// is remembered; then the tree is walked. Memory beyond the input: that index, the set of record
/// CIDs and the record list, all well under the CAR's size.
pub fn verify_repo(car: &[u8], options: &VerifyOptions) -> Result<VerifiedRepo> {
    verify_repo_with(car, options, &mut |_, _| Ok(()))
}

/// [`verify_repo`], handing each block's CID and where its bytes lie in `car` to `on_block` as it
/// is read (its hash already checked), so that the caller can index the records it will read
/// without a second pass over the CAR; an error from `on_block` ends the verification with it. The
/// index means something only once the whole verification succeeds. A `dyn` hook: one copy of the
/// verification in the wasm, not one per caller.
pub fn verify_repo_with(
    car: &[u8],
    options: &VerifyOptions,
    on_block: &mut dyn FnMut(Cid, std::ops::Range<usize>) -> Result<()>,
) -> Result<VerifiedRepo> {
    let mut blocks = read_car_blocks(car, &options.limits)?;
    let roots = blocks.roots().to_vec();
    let mut sorted = SortedBlocks::default();
    sorted.set_commit(roots.first().copied());
    while let Some(block) = blocks.next() {
        let (cid, data) = block?;
        let end = blocks.offset();
        on_block(cid, end - data.len()..end)?;
        sorted.add(cid, data)?;
    }
    verify_sorted_blocks(&roots, sorted, options)
}

/// The first root, which must be a DRISL CID (the commit).
pub(crate) fn root_commit_cid(roots: &[Cid]) -> Result<Cid> {
    let root = roots.first().ok_or_else(|| {
        Error::new(
            Code::CarNoRoots,
            "the CAR has no root (a repository CAR's first root is its commit)",
        )
    })?;
    if root.codec() != Codec::Drisl {
        return Err(Error::new(
            Code::CarRootNotCommit,
            format!("the first root {root} is not a DRISL CID, so not a commit"),
        ));
    }
    Ok(*root)
}

// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size").
#[cold]
#[inline(never)]
pub(crate) fn missing_commit(cid: &Cid) -> Error {
    Error::new(
        Code::MissingBlock,
        format!("the commit block {cid} (the first root) is not in the CAR"),
    )
}

/// Decodes the commit and checks the DID and the signature as `options` ask.
fn verified_commit<'c>(commit_block: &'c [u8], options: &VerifyOptions) -> Result<Commit<'c>> {
    let commit = Commit::decode(commit_block)?;
    if let Some(did) = &options.did {
        if did != commit.did() {
            return Err(Error::new(
                Code::DidMismatch,
                format!("the commit is by {}, not {did}", commit.did()),
            ));
        }
    }
    if let Some(key) = &options.key {
        commit.verify_signature(key)?;
    }
    Ok(commit)
}

/// The verification shared by the whole-buffer and the streaming verifier, once every block has
/// been read and sorted.
pub(crate) fn verify_sorted_blocks(
    roots: &[Cid],
    blocks: SortedBlocks<'_>,
    options: &VerifyOptions,
) -> Result<VerifiedRepo> {
    let blocks = &blocks;
    let commit_cid = root_commit_cid(roots)?;
    let commit_block = blocks
        .kept(&commit_cid)
        .ok_or_else(|| missing_commit(&commit_cid))?;
    let commit = verified_commit(commit_block, options)?;
    let mut collector = RecordCollector {
        blocks,
        records: RecordList::default(),
        paths: RepoPathChecker::default(),
        open: Vec::new(),
        unfound: Vec::new(),
    };
    walk_tree(blocks, &commit.data(), &mut collector)?;
    let records = collector.records.finish()?;
    blocks.check_unfound_records(&records, &collector.unfound)?;
    Ok(VerifiedRepo {
        did: commit.did().to_owned(),
        rev: commit.rev_str().to_owned(),
        version: commit.version(),
        commit: commit_cid,
        data: commit.data(),
        prev: commit.prev(),
        signature_verified: options.key.is_some(),
        records,
    })
}

/// Collects the records of the walk, checking each path and that each record block was read and
/// valid (those not found are checked again after the walk, in key order, so that the tree's own
/// errors come first).
struct RecordCollector<'b, 'a> {
    blocks: &'b SortedBlocks<'a>,
    records: RecordList,
    paths: RepoPathChecker,
    /// The nodes entered and not yet exited: their layer, and where their next record would be
    /// if each node's records followed it in the CAR (the sync spec's streaming order).
    open: Vec<(u8, usize)>,
    /// The positions in `records` of those not among the valid records read.
    unfound: Vec<usize>,
}

impl TreeVisitor for RecordCollector<'_, '_> {
    fn missing_node(&mut self, cid: &Cid) -> Result<()> {
        Err(self.blocks.node_error(cid))
    }

    fn enter_node(&mut self, _cid: &Cid, _node: &Node, layer: u8) -> Result<()> {
        // The walk enters each node right after finding its block.
        let first_record = self.blocks.records_before_last_found();
        self.open.push((layer, first_record));
        Ok(())
    }

    fn entry(&mut self, key: &[u8], value: &Cid) -> Result<()> {
        // The walk hands over keys that its node decoding checked as MST keys.
        self.paths.check_mst_key(key)?;
        let (layer, hint) = match self.open.last_mut() {
            Some((layer, next)) => {
                *next += 1;
                (*layer, *next - 1)
            }
            None => (0, 0),
        };
        if !self.blocks.find_record(value, layer, hint) {
            memory::reserve(&mut self.unfound, 1)?;
            self.unfound.push(self.records.len());
        }
        self.records.push(key, *value)
    }

    fn exit_node(&mut self) -> Result<()> {
        self.open.pop();
        Ok(())
    }
}

/// A record proven by a proof CAR: its CID and its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvenRecord<'a> {
    /// The record's CID.
    pub cid: Cid,
    /// The record block (valid DRISL, a map), borrowed from the proof CAR.
    pub record: &'a [u8],
}

/// What a record proof proves: the signed commit it hangs from, and the record (`None` when the
/// proof shows the key absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordProof<'a> {
    /// The commit's CID.
    pub commit: Cid,
    /// The commit's revision.
    pub rev: &'a str,
    /// The MST root the commit signs.
    pub data: Cid,
    /// The record, or `None` when the proof shows the key absent.
    pub record: Option<ProvenRecord<'a>>,
}

/// Verifies a `com.atproto.sync.getRecord` proof CAR: the signed commit of `did` (checked with
/// `key`), the MST nodes from the root to the record's key, and the record.
///
/// Returns the commit's facts and the record, or no record when the proof shows the key absent. A proof that lacks a node on
/// the path fails with `missing-block`; a tampered one with `cid-mismatch`, `bad-signature` or the
/// MST rule it breaks.
pub fn verify_record<'a>(
    proof_car: &'a [u8],
    did: &str,
    key: &PublicKey,
    collection: &str,
    rkey: &str,
) -> Result<RecordProof<'a>> {
    let path = repo_path(collection, rkey)?;
    let car = read_car_with_limits(proof_car, &CarLimits::DEFAULT)?;
    let commit_cid = root_commit_cid(car.roots())?;
    let commit_block = car
        .get(&commit_cid)
        .ok_or_else(|| missing_commit(&commit_cid))?;
    let options = VerifyOptions {
        did: Some(did.to_owned()),
        key: Some(*key),
        limits: CarLimits::DEFAULT,
    };
    let commit = verified_commit(commit_block, &options)?;
    let tree = Tree::load(&car, &commit.data())?;
    let record = match tree.get(path.as_bytes())? {
        None => None,
        Some(cid) => {
            let record = car.get(&cid).ok_or_else(|| missing_record(&cid))?;
            check_record_block(record).map_err(|e| e.context(format_args!("record {path}")))?;
            Some(ProvenRecord { cid, record })
        }
    };
    Ok(RecordProof {
        commit: commit_cid,
        rev: commit.rev_str(),
        data: commit.data(),
        record,
    })
}

/// `collection/rkey`, checked.
pub(crate) fn repo_path(collection: &str, rkey: &str) -> Result<String> {
    let path = format!("{collection}/{rkey}");
    ensure_valid_repo_path(&path)?;
    Ok(path)
}
