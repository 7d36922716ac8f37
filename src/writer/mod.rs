//! Writable repositories: records written, commits signed, CAR exports, record proofs and
//! `#commit` frames built where the signing key is — commits, MST nodes and records byte for byte
//! as the reference PDS builds them; frames and exports with the same blocks in their own order
//! (the commit first; an export in the sync spec's streaming order) — and verified replicas kept
//! current from the firehose.
//!
//! The tricky bits:
//! - **Two phases, so the key can live anywhere.** [`Repository::prepare`] does every check and
//!   all the work that can fail (paths, records, the tree, the size of the event) on copies, and
//!   returns the bytes to sign; [`Repository::finish`] takes the signature from wherever it was
//!   made (a WebCrypto key, a hardware signer), checks it, and only then changes the repository.
//!   A write that fails at any point leaves the repository as it was. A keypair held here signs
//!   in between ([`Repository::finish_with_keypair`]).
//! - **Lazy tree.** A loaded repository's tree starts as its root CID; the nodes around each
//!   written key are decoded from the CAR as writes need them (see [`Tree::load_around`]), so
//!   loading costs one verification and an index of the CAR's blocks, not a second walk.
//! - **The event's blocks** are those the reference PDS sends: the commit, the records written,
//!   the new tree's nodes that the old one lacks, and every op's covering proof in the new tree
//!   ([`Tree::covering_proof`]) — which is what a consumer needs to invert the commit (sync 1.1).
//!   A write whose blocks would exceed the event's 2,000,000-byte limit is refused before signing:
//!   a `tooBig` event cannot be verified.
//! - **Revisions** must increase; the caller picks them (the binding uses the clock), and a rev
//!   not above the last is refused. So must the events' seqs: a repository counts them from 0 (or
//!   from what [`Repository::set_last_seq`] says, after a load), and [`Repository::sync_frame`]
//!   uses one up as a commit does.
//! - **Replicas.** [`Repository::apply_commit`] verifies a `#commit` from the network as
//!   [`verify_commit`] does, requires it to follow the current commit (`since` = our rev,
//!   `prevData` = our root, else `commit-desync`), applies its ops to our own tree and requires the
//!   resulting root to be the one signed.

mod record;
mod store;

// The JS binding's only.
#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "full")),
    allow(unused_imports)
)]
pub(crate) use record::encode_record_in;
pub use record::{blob_ref, check_record, check_record_in, encode_record};

use crate::support::sort::sort_by;

use crate::car::{CarLimits, CarWriter, CidSet};
use crate::cid::Cid;
use crate::crypto::{normalize_low_s, verify_signature_strict, Keypair, PublicKey};
use crate::error::{Code, Error, Result};
use crate::firehose::{
    decode_frame, encode_commit_frame, encode_sync_frame, verify_commit, Action, CommitFrame,
    Event, RepoOp, SyncFrame, MAX_COMMIT_BLOCKS, MAX_OPS,
};
use crate::mst::{created_nodes, Tree};
use crate::repo::{
    verify_repo_with, write_repo_car, RepoCarWriter, SignedCommit, UnsignedCommit, VerifyOptions,
    SIGNATURE_LEN,
};
use crate::syntax::{ensure_valid_datetime, ensure_valid_nsid, ensure_valid_record_key, Tid};
use store::{BlockStore, CarIndex};

/// How far ahead of the clock a rev may be: the firehose's consumers refuse commits further in the
/// future (five minutes, as `FirehoseVerifier`'s default drift).
pub const MAX_REV_DRIFT_MICROS: u64 = 300_000_000;

/// Sequence numbers lie in `1..2^53`.
const MAX_SEQ: i64 = (1 << 53) - 1;

/// A repository held in memory that can be written to: its signed commit, its tree, its records.
#[derive(Debug)]
pub struct Repository {
    did: String,
    key: PublicKey,
    commit: SignedCommit,
    rev: Tid,
    tree: Tree,
    store: BlockStore,
    /// The `seq` of the last event made here.
    seq: i64,
}

/// A new repository waiting for the signature of its first commit (see [`Repository::create`]).
#[derive(Clone, Debug)]
pub struct UnsignedRepository {
    did: String,
    key: PublicKey,
    rev: Tid,
    commit: UnsignedCommit,
    bytes: Vec<u8>,
}

/// One record write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// What to do.
    pub action: Action,
    /// The collection's NSID.
    pub collection: String,
    /// The record key.
    pub rkey: String,
    /// The record's DRISL block, for creates and updates (checked with [`check_record`]).
    pub record: Option<Vec<u8>>,
}

/// What a commit needs besides its writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitOptions {
    /// The new revision: above the repository's.
    pub rev: Tid,
    /// The event's `seq`: above the last event made here (`None`: one more than it).
    pub seq: Option<i64>,
    /// The event's `time`, an atproto datetime.
    pub time: String,
}

/// One operation of a commit: `cid` the new record (`None` for a delete), `prev` the record it
/// replaces (`None` for a create).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitOp {
    /// What was done.
    pub action: Action,
    /// `collection/rkey`.
    pub path: String,
    /// The new record's CID.
    pub cid: Option<Cid>,
    /// The previous record's CID.
    pub prev: Option<Cid>,
}

/// A commit ready to be signed: every check done (see [`Repository::prepare`]).
#[derive(Clone, Debug)]
pub struct PreparedCommit {
    /// The commit it builds on.
    base: Cid,
    rev: Tid,
    commit: UnsignedCommit,
    bytes: Vec<u8>,
    tree: Tree,
    prev_data: Cid,
    ops: Vec<CommitOp>,
    /// The records written, by CID (sorted, one entry per CID; each block taken when it is linked).
    records: Vec<(Cid, Option<Box<[u8]>>)>,
    /// The tree's nodes the event carries (see the module docs), without the commit.
    nodes: Vec<(Cid, Vec<u8>)>,
    seq: i64,
    time: String,
}

/// A commit made: what it changed and the event a PDS would emit for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenCommit {
    /// The commit block's CID.
    pub commit: Cid,
    /// Its revision.
    pub rev: Tid,
    /// The previous commit's revision.
    pub since: Tid,
    /// The new MST root.
    pub data: Cid,
    /// The MST root before.
    pub prev_data: Cid,
    /// The operations, in the order written.
    pub ops: Vec<CommitOp>,
    /// The event's CAR slice (the commit, the records written, the nodes needed to invert it).
    pub blocks: Vec<u8>,
    /// The `#commit` frame.
    pub frame: Vec<u8>,
    /// The frame's `seq`.
    pub seq: i64,
}

impl PreparedCommit {
    /// The bytes to sign: the unsigned commit's canonical DRISL.
    pub fn bytes_to_sign(&self) -> &[u8] {
        &self.bytes
    }

    /// The event's `time`.
    pub fn time(&self) -> &str {
        &self.time
    }
}

/// Checks the number of writes of one commit: 1 to 200 (`limit-exceeded`).
pub fn check_write_count(count: usize) -> Result<()> {
    if count == 0 || count > MAX_OPS {
        return Err(Error::new(
            Code::LimitExceeded,
            format!("a commit holds 1 to {MAX_OPS} writes, not {count}"),
        ));
    }
    Ok(())
}

impl UnsignedRepository {
    /// The key that must sign.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The bytes to sign: the first commit's canonical DRISL.
    pub fn bytes_to_sign(&self) -> &[u8] {
        &self.bytes
    }

    /// The repository, once its first commit is signed (`signature` checked as in
    /// [`Repository::finish`]).
    pub fn finish(self, signature: &[u8]) -> Result<Repository> {
        let signature = accept_signature(&self.key, &self.bytes, signature)?;
        Ok(Repository {
            commit: self.commit.with_signature(&signature),
            did: self.did,
            key: self.key,
            rev: self.rev,
            tree: Tree::new(),
            store: BlockStore::default(),
            seq: 0,
        })
    }

    /// [`UnsignedRepository::finish`] signing with `keypair`, which must be the repository's key.
    pub fn finish_with_keypair(self, keypair: &Keypair) -> Result<Repository> {
        let signature = sign_with(keypair, &self.key, &self.bytes)?;
        self.finish(&signature)
    }
}

/// A signature for `key` over `bytes`, from elsewhere: 64 bytes, made low-S if it is not, and
/// verified (`invalid-signature-format`, `bad-signature`).
fn accept_signature(
    key: &PublicKey,
    bytes: &[u8],
    signature: &[u8],
) -> Result<[u8; SIGNATURE_LEN]> {
    let signature = normalize_low_s(key.algorithm(), signature)
        .map_err(|e| e.context("the signer's signature"))?;
    verify_signature_strict(key, bytes, &signature)
        .map_err(|e| e.context("the signer's signature"))?;
    Ok(signature)
}

fn sign_with(keypair: &Keypair, key: &PublicKey, bytes: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
    if keypair.public_key() != *key {
        return Err(Error::new(
            Code::BadSignature,
            format!(
                "the keypair {} is not the repository's key {}",
                keypair.did(),
                key.did_key()
            ),
        ));
    }
    Ok(keypair.sign(bytes))
}

fn desync(why: impl std::fmt::Display) -> Error {
    Error::new(Code::CommitDesync, why.to_string())
}

impl Repository {
    /// A new, empty repository of `did` whose commits `key` signs; its first commit (of the empty
    /// tree) at `rev` waits for a signature.
    pub fn create(did: &str, key: PublicKey, rev: Tid) -> Result<UnsignedRepository> {
        let commit = UnsignedCommit::new(did, rev, Tree::new().root_cid(), None)?;
        let bytes = commit.encode();
        Ok(UnsignedRepository {
            did: did.to_owned(),
            key,
            rev,
            commit,
            bytes,
        })
    }

    /// Loads a repository CAR, verified exactly as [`crate::repo::verify_repo`] does with `key` (and `did` when
    /// given): a CAR whose commit `key` did not sign is refused. The CAR is kept whole (its blocks
    /// are not copied one by one); the tree is decoded from it as writes need it.
    pub fn load(car: Box<[u8]>, key: PublicKey, did: Option<String>) -> Result<Repository> {
        let options = VerifyOptions {
            did,
            key: Some(key),
            limits: CarLimits::DEFAULT,
        };
        let mut index = CarIndex::default();
        let verified = verify_repo_with(&car, &options, &mut |cid, span| index.add(cid, span))?;
        let rev = Tid::parse(&verified.rev)?;
        let store = BlockStore::from_car(car, index)?;
        let block = crate::car::BlockSource::block(&store, &verified.commit)
            .ok_or_else(|| Error::new(Code::MissingBlock, "the commit block is missing"))?;
        Ok(Repository {
            commit: SignedCommit {
                cid: verified.commit,
                block: block.to_vec(),
            },
            did: verified.did,
            key,
            rev,
            tree: Tree::from_root_cid(verified.data),
            store,
            seq: 0,
        })
    }

    /// The account's DID.
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The key that signs the commits.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The current commit.
    pub fn commit(&self) -> &SignedCommit {
        &self.commit
    }

    /// The current revision.
    pub fn rev(&self) -> Tid {
        self.rev
    }

    /// The current MST root.
    pub fn data(&self) -> Cid {
        self.tree.root_cid()
    }

    /// The `seq` of the last event made here: 0 for a repository just created or loaded, unless
    /// set with [`Repository::set_last_seq`].
    pub fn last_seq(&self) -> i64 {
        self.seq
    }

    /// Sets the `seq` of the last event already emitted for this account (say, before the
    /// repository was exported and loaded again): the next event's default is one more, and a
    /// `seq` given for it must be above. `invalid-argument` outside `0..2^53`.
    pub fn set_last_seq(&mut self, seq: i64) -> Result<()> {
        if !(0..=MAX_SEQ).contains(&seq) {
            return Err(Error::new(
                Code::InvalidArgument,
                format!("seq {seq} is not in 0..2^53"),
            ));
        }
        self.seq = seq;
        Ok(())
    }

    /// The `seq` of the next event: `requested`, which must be in `1..2^53` and above the last
    /// event's, or one more than the last.
    fn next_seq(&self, requested: Option<i64>) -> Result<i64> {
        let seq = requested.unwrap_or(self.seq.saturating_add(1));
        if !(1..=MAX_SEQ).contains(&seq) {
            return Err(Error::new(
                Code::InvalidArgument,
                format!("seq {seq} is not in 1..2^53"),
            ));
        }
        if seq <= self.seq {
            return Err(Error::new(
                Code::InvalidArgument,
                format!(
                    "seq {seq} is not above this repository's last event's, {}",
                    self.seq
                ),
            ));
        }
        Ok(seq)
    }

    /// The `#sync` frame of the current commit (its signed block as the event's CAR), at `seq`
    /// (as in [`Repository::prepare`]) and `time`: what a PDS emits when an account's repository
    /// starts, or starts over, so that consumers take its current commit as their state. The seq
    /// is used up. Errors: `invalid-argument` for the seq, `invalid-datetime` for `time`.
    pub fn sync_frame(&mut self, seq: Option<i64>, time: &str) -> Result<Vec<u8>> {
        let seq = self.next_seq(seq)?;
        ensure_valid_datetime(time)?;
        let blocks = crate::car::write_car(
            &[self.commit.cid],
            [(self.commit.cid, &self.commit.block[..])],
        );
        let frame = encode_sync_frame(&SyncFrame {
            seq,
            did: &self.did,
            rev: &self.rev.to_string(),
            blocks: &blocks,
            time,
        })?;
        self.seq = seq;
        Ok(frame)
    }

    /// The record at `collection/rkey`: its CID and block, `None` if absent.
    pub fn get(&mut self, collection: &str, rkey: &str) -> Result<Option<(Cid, &[u8])>> {
        let path = checked_path(collection, rkey)?;
        self.tree.load_around(path.as_bytes(), &self.store)?;
        let Some(cid) = self.tree.get(path.as_bytes())? else {
            return Ok(None);
        };
        let block = crate::car::BlockSource::block(&self.store, &cid)
            .ok_or_else(|| Error::new(Code::MissingBlock, format!("record {path} is missing")))?;
        Ok(Some((cid, block)))
    }

    /// Every record path and CID in key order, of one collection or of all.
    pub fn list(&mut self, collection: Option<&str>) -> Result<Vec<(String, Cid)>> {
        if let Some(collection) = collection {
            ensure_valid_nsid(collection)?;
        }
        self.tree.load_all(&self.store)?;
        let entries = match collection {
            Some(collection) => self.tree.collection(collection),
            None => self.tree.iter(),
        };
        // A loop, not `collect::<Result<_>>()`, whose adapter was a function of its own.
        let mut out = Vec::new();
        for entry in entries {
            let (key, cid) = entry?;
            // Keys entered the tree as checked repository paths: ASCII.
            let path = String::from_utf8(key.to_vec())
                .map_err(|_| Error::new(Code::InvalidRepoPath, "a record path is not UTF-8"))?;
            out.push((path, cid));
        }
        Ok(out)
    }

    /// The whole repository as a CAR in the sync spec's streaming order (see [`write_repo_car`]).
    pub fn export_car(&mut self) -> Result<Vec<u8>> {
        self.tree.load_all(&self.store)?;
        write_repo_car(
            &self.commit.cid,
            &self.commit.block,
            &self.tree,
            &self.store,
        )
    }

    /// [`Repository::export_car`] a piece at a time: the writer holds a snapshot of the tree, and
    /// [`Repository::export_piece`] gives its pieces. A record that a later write drops before
    /// the export is done fails it with `missing-block`: finish exports before writing.
    pub fn start_export(&mut self) -> Result<RepoCarWriter> {
        self.tree.load_all(&self.store)?;
        Ok(RepoCarWriter::new(
            &self.commit.cid,
            &self.commit.block,
            &self.tree,
        ))
    }

    /// The next piece of an export (see [`RepoCarWriter::next_piece`]).
    pub fn export_piece(&self, export: &mut RepoCarWriter, size: usize) -> Result<Option<Vec<u8>>> {
        export.next_piece(&self.store, size)
    }

    /// The `com.atproto.sync.getRecord` proof of `collection/rkey`: the commit, the nodes from the
    /// root to where the key is or would be, and the record if present.
    pub fn proof(&mut self, collection: &str, rkey: &str) -> Result<Vec<u8>> {
        let path = checked_path(collection, rkey)?;
        self.tree.load_around(path.as_bytes(), &self.store)?;
        let proof = self.tree.key_proof(path.as_bytes())?;
        let mut writer = CarWriter::new(&[self.commit.cid]);
        writer.write_block(&self.commit.cid, &self.commit.block);
        for (cid, block) in &proof.nodes {
            writer.write_block(cid, block);
        }
        if let Some(value) = proof.value {
            let record = crate::car::BlockSource::block(&self.store, &value).ok_or_else(|| {
                Error::new(Code::MissingBlock, format!("record {path} is missing"))
            })?;
            writer.write_block(&value, record);
        }
        Ok(writer.into_bytes())
    }

    /// Checks and applies `writes` to copies and returns the commit to sign; the repository is
    /// unchanged until [`Repository::finish`].
    ///
    /// Errors: `limit-exceeded` for no write or more than 200, or a record too large;
    /// `invalid-nsid`, `invalid-record-key`; `duplicate-write` for a path written twice;
    /// `record-exists` (create), `record-not-found` (update, delete); the record's DRISL and
    /// data-model codes; `rev-not-increasing`; `commit-too-big` when the event's blocks would exceed
    /// 2,000,000 bytes; `invalid-argument` for a `seq` outside `1..2^53` or not above the last
    /// event's ([`Repository::last_seq`]), `invalid-datetime` for `time`.
    pub fn prepare(&self, writes: &[Write], options: &CommitOptions) -> Result<PreparedCommit> {
        self.prepare_checking(writes, options, check_record_in)
    }

    /// [`Repository::prepare`] for writes whose records were made by [`encode_record_in`], which
    /// checked them as values: the JS binding's. Checking their blocks again would decode what was
    /// just encoded, and the value decoder, with its own copy of the DRISL walker (about 14 KB of
    /// wasm), was in the package for that alone.
    #[cfg_attr(not(all(target_arch = "wasm32", feature = "full")), allow(dead_code))] // the JS binding's
    pub(crate) fn prepare_encoded(
        &self,
        writes: &[Write],
        options: &CommitOptions,
    ) -> Result<PreparedCommit> {
        self.prepare_checking(writes, options, |_, _| Ok(()))
    }

    /// [`Repository::prepare`] with `check` (of a record block and its collection) as the check
    /// of each record written.
    fn prepare_checking(
        &self,
        writes: &[Write],
        options: &CommitOptions,
        check: impl Fn(&[u8], &str) -> Result<()>,
    ) -> Result<PreparedCommit> {
        if writes.is_empty() || writes.len() > MAX_OPS {
            return Err(Error::new(
                Code::LimitExceeded,
                format!("a commit holds 1 to {MAX_OPS} writes, not {}", writes.len()),
            ));
        }
        if options.rev <= self.rev {
            return Err(Error::new(
                Code::RevNotIncreasing,
                format!(
                    "the new rev {} is not above the repository's {}",
                    options.rev, self.rev
                ),
            ));
        }
        let seq = self.next_seq(options.seq)?;
        ensure_valid_datetime(&options.time)?;

        let mut paths = Vec::with_capacity(writes.len());
        let mut tree = self.tree.clone();
        for write in writes {
            let path = checked_path(&write.collection, &write.rkey)?;
            if paths.contains(&path) {
                return Err(Error::new(
                    Code::DuplicateWrite,
                    format!("{path} is written twice in one commit"),
                ));
            }
            tree.load_around(path.as_bytes(), &self.store)?;
            paths.push(path);
        }
        let before = tree.clone();
        let mut ops = Vec::with_capacity(writes.len());
        let mut records = Vec::new();
        for (write, path) in writes.iter().zip(paths) {
            let cid = match (&write.record, write.action) {
                (_, Action::Delete) => None,
                (Some(block), _) => {
                    check(block, &write.collection)
                        .map_err(|e| e.context(format_args!("record {path}")))?;
                    let cid = Cid::for_drisl(block);
                    records.push((cid, Some(Box::<[u8]>::from(block.as_slice()))));
                    Some(cid)
                }
                (None, action) => {
                    return Err(Error::new(
                        Code::InvalidArgument,
                        format!("{} {path} has no record", action.as_str()),
                    ))
                }
            };
            let prev = before.get(path.as_bytes())?;
            match (write.action, prev) {
                (Action::Create, Some(_)) => {
                    return Err(Error::new(
                        Code::RecordExists,
                        format!("create {path}: the record exists (update it instead)"),
                    ))
                }
                (Action::Update | Action::Delete, None) => {
                    return Err(Error::new(
                        Code::RecordNotFound,
                        format!("{} {path}: there is no such record", write.action.as_str()),
                    ))
                }
                _ => {}
            }
            match cid {
                Some(cid) => tree.insert(path.as_bytes(), cid)?,
                None => tree.delete(path.as_bytes())?,
            };
            ops.push(CommitOp {
                action: write.action,
                path,
                cid,
                prev,
            });
        }
        // In CID order, each block once (a record written at two paths is one block).
        sort_by(&mut records, |a, b| a.0.cmp(&b.0))?;
        records.dedup_by(|later, kept| later.0 == kept.0);
        let data = tree.root_cid();
        let commit = UnsignedCommit::new(&self.did, options.rev, data, None)?;
        let bytes = commit.encode();
        let nodes = event_nodes(&before, &tree, &ops)?;

        // The event's CAR: its header, the signed commit, the nodes and the records.
        let section = |block_len: usize| {
            let len = crate::cid::CID_BYTE_LEN + block_len;
            len + varint_len(len)
        };
        let header = CarWriter::new(&[data]).as_bytes().len();
        let signed_commit_len = bytes.len() + 4 + 2 + SIGNATURE_LEN;
        let size = header
            + section(signed_commit_len)
            + nodes.iter().map(|(_, b)| section(b.len())).sum::<usize>()
            + records
                .iter()
                .filter_map(|(_, b)| b.as_ref())
                .map(|b| section(b.len()))
                .sum::<usize>();
        if size > MAX_COMMIT_BLOCKS {
            return Err(Error::new(
                Code::CommitTooBig,
                format!("the commit's event would carry {size} bytes of blocks, more than the limit of {MAX_COMMIT_BLOCKS}: write fewer or smaller records at once"),
            ));
        }
        Ok(PreparedCommit {
            base: self.commit.cid,
            rev: options.rev,
            commit,
            bytes,
            tree,
            prev_data: before.root_cid(),
            ops,
            records,
            nodes,
            seq,
            time: options.time.clone(),
        })
    }

    /// Completes `prepared` with a signature made elsewhere: 64 bytes r‖s, made low-S if it is not
    /// (`invalid-signature-format` otherwise), and verified with the repository's key
    /// (`bad-signature`). Only then is the repository changed. A commit prepared before another
    /// one finished is refused (`commit-desync`).
    pub fn finish(&mut self, prepared: PreparedCommit, signature: &[u8]) -> Result<WrittenCommit> {
        self.check_base(&prepared)?;
        let signature = accept_signature(&self.key, &prepared.bytes, signature)?;
        self.complete(prepared, &signature)
    }

    /// [`Repository::finish`] signing with `keypair`, which must be the repository's key.
    pub fn finish_with_keypair(
        &mut self,
        prepared: PreparedCommit,
        keypair: &Keypair,
    ) -> Result<WrittenCommit> {
        self.check_base(&prepared)?;
        let signature = sign_with(keypair, &self.key, &prepared.bytes)?;
        self.complete(prepared, &signature)
    }

    fn check_base(&self, prepared: &PreparedCommit) -> Result<()> {
        if prepared.base != self.commit.cid {
            return Err(desync(format_args!(
                "the commit was prepared on {}, and the repository is at {} now",
                prepared.base, self.commit.cid
            )));
        }
        Ok(())
    }

    fn complete(
        &mut self,
        prepared: PreparedCommit,
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<WrittenCommit> {
        let signed = prepared.commit.with_signature(signature);
        let mut car = CarWriter::new(&[signed.cid]);
        car.write_block(&signed.cid, &signed.block);
        for (cid, block) in &prepared.nodes {
            car.write_block(cid, block);
        }
        for (cid, block) in &prepared.records {
            if let Some(block) = block {
                car.write_block(cid, block);
            }
        }
        let blocks = car.into_bytes();
        let since = self.rev.to_string();
        let rev = prepared.rev.to_string();
        let ops: Vec<RepoOp<'_>> = prepared
            .ops
            .iter()
            .map(|op| RepoOp {
                action: op.action,
                path: &op.path,
                cid: op.cid,
                prev: op.prev,
            })
            .collect();
        let frame = encode_commit_frame(&CommitFrame {
            seq: prepared.seq,
            repo: &self.did,
            commit: signed.cid,
            rev: &rev,
            since: Some(&since),
            blocks: &blocks,
            ops: &ops,
            prev_data: Some(prepared.prev_data),
            time: &prepared.time,
        });
        drop(ops);

        self.store.reserve(prepared.records.len())?;
        let mut records = prepared.records;
        self.swap_records(&prepared.ops, |cid| {
            let at = records.binary_search_by(|(c, _)| c.cmp(cid)).ok()?;
            records.get_mut(at)?.1.take()
        });
        let written = WrittenCommit {
            commit: signed.cid,
            rev: prepared.rev,
            since: self.rev,
            data: prepared.tree.root_cid(),
            prev_data: prepared.prev_data,
            ops: prepared.ops,
            blocks,
            frame,
            seq: prepared.seq,
        };
        self.commit = signed;
        self.rev = prepared.rev;
        self.tree = prepared.tree;
        self.seq = prepared.seq;
        Ok(written)
    }

    /// Links the new records of `ops` (blocks from `take`) and then unlinks the ones they replace,
    /// so that a record both dropped and written again is kept.
    fn swap_records(&mut self, ops: &[CommitOp], mut take: impl FnMut(&Cid) -> Option<Box<[u8]>>) {
        for cid in ops.iter().filter_map(|op| op.cid) {
            self.store.link_record(cid, take(&cid));
        }
        for prev in ops.iter().filter_map(|op| op.prev) {
            self.store.unlink_record(&prev);
        }
    }

    /// Applies a `#commit` frame from the network (signed by `key`) to this replica: verified as
    /// [`verify_commit`] does, it must be about this repository and follow its current commit
    /// (`since` the current rev, `prevData` the current root; `commit-desync` otherwise), its rev
    /// not more than [`MAX_REV_DRIFT_MICROS`] ahead of `now_micros` (µs since the epoch;
    /// `rev-in-future`, as a firehose consumer refuses it), and its ops applied to this tree must
    /// give the root it signs (`commit-mismatch`). On any error the repository is unchanged.
    /// Returns the ops applied.
    pub fn apply_commit(
        &mut self,
        frame: &[u8],
        key: &PublicKey,
        now_micros: u64,
    ) -> Result<Vec<CommitOp>> {
        let decoded = decode_frame(frame)?;
        let Event::Commit(event) = &decoded.event else {
            return Err(Error::new(
                Code::InvalidArgument,
                "the frame is not a #commit event",
            ));
        };
        if event.repo != self.did {
            return Err(desync(format_args!(
                "the commit is for {}, this repository is {}",
                event.repo, self.did
            )));
        }
        let current_root = self.tree.root_cid();
        let rev = self.rev.to_string();
        if event.since != Some(rev.as_str()) {
            return Err(desync(format_args!(
                "the commit follows rev {}, this repository is at {rev}",
                event.since.unwrap_or("(none)")
            )));
        }
        if event.prev_data != Some(current_root) {
            return Err(desync(format_args!(
                "the commit's prevData is {}, this repository's root is {current_root}",
                cid_or(&event.prev_data, &"absent")
            )));
        }
        if event.rev <= self.rev {
            return Err(desync(format_args!(
                "the commit's rev {} is not above this repository's {rev}",
                event.rev_text
            )));
        }
        event
            .rev
            .ensure_not_ahead(now_micros, MAX_REV_DRIFT_MICROS)?;
        let verified = verify_commit(event, key, Some(current_root))?;
        let mut tree = self.tree.clone();
        let mut ops = Vec::with_capacity(verified.ops.len());
        for op in &verified.ops {
            tree.load_around(op.path.as_bytes(), &self.store)?;
        }
        for op in &verified.ops {
            let previous = match op.cid {
                Some(cid) => tree.insert(op.path.as_bytes(), cid)?,
                None => tree.delete(op.path.as_bytes())?,
            };
            if previous != op.prev {
                return Err(Error::new(
                    Code::OpMismatch,
                    format!(
                        "{} {}: this repository holds {}, the op replaces {}",
                        op.action.as_str(),
                        op.path,
                        cid_or(&previous, &"nothing"),
                        cid_or(&op.prev, &"nothing")
                    ),
                ));
            }
            ops.push(CommitOp {
                action: op.action,
                path: op.path.to_owned(),
                cid: op.cid,
                prev: op.prev,
            });
        }
        if tree.root_cid() != verified.data {
            return Err(Error::new(
                Code::CommitMismatch,
                format!(
                    "the ops applied to this repository give the root {}, the commit signs {}",
                    tree.root_cid(),
                    verified.data
                ),
            ));
        }
        let commit_block = crate::car::read_car_trusted(event.blocks, &CarLimits::DEFAULT)?
            .get(&verified.commit)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| Error::new(Code::MissingBlock, "the commit block is missing"))?;
        // Room for a record per op (at least as many as are written), so that linking them
        // cannot fail halfway; each block is found among the ops' when it is linked, without a
        // list of them collected first.
        self.store.reserve(verified.ops.len())?;
        self.swap_records(&ops, |cid| {
            verified
                .ops
                .iter()
                .zip(&verified.records)
                .find_map(|(op, record)| (op.cid == Some(*cid)).then_some(*record)?)
                .map(Box::from)
        });
        self.commit = SignedCommit {
            cid: verified.commit,
            block: commit_block,
        };
        self.rev = event.rev;
        self.tree = tree;
        Ok(ops)
    }
}

/// A CID in a message, or `none` in its place: formatted where the message is, without a `String`
/// made for it first.
fn cid_or<'a>(cid: &'a Option<Cid>, none: &'a &'static str) -> &'a dyn std::fmt::Display {
    match cid {
        Some(cid) => cid,
        None => none,
    }
}

/// `collection/rkey`, each part checked with its own code.
fn checked_path(collection: &str, rkey: &str) -> Result<String> {
    ensure_valid_nsid(collection)?;
    ensure_valid_record_key(rkey)?;
    Ok(format!("{collection}/{rkey}"))
}

/// The tree nodes a commit's event carries: the nodes of `after` that `before` lacks, then each
/// op's covering proof in `after`, each node once.
fn event_nodes(before: &Tree, after: &Tree, ops: &[CommitOp]) -> Result<Vec<(Cid, Vec<u8>)>> {
    let mut nodes = created_nodes(before, after)?;
    let mut seen: CidSet = nodes.iter().map(|(cid, _)| *cid).collect();
    for op in ops {
        for (cid, block) in after.covering_proof(op.path.as_bytes())? {
            if seen.insert(cid) {
                nodes.push((cid, block));
            }
        }
    }
    Ok(nodes)
}

fn varint_len(mut value: usize) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}
