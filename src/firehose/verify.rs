//! Stateless verification of `#commit` (with sync 1.1 MST inversion) and `#sync` events.

use super::frame::{Action, CommitEvent, RepoOp, SyncEvent, MAX_RECORD_BLOCK};
use crate::car::{read_car, CarFile};
use crate::cid::Cid;
use crate::crypto::PublicKey;
use crate::error::{Code, Error, Result};
use crate::mst::Tree;
use crate::repo::{check_record_block, Commit};

/// A verified `#commit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCommit<'a> {
    /// The account's DID.
    pub repo: &'a str,
    /// The commit's revision.
    pub rev: &'a str,
    /// The previous commit's revision, as the event gives it.
    pub since: Option<&'a str>,
    /// The commit block's CID.
    pub commit: Cid,
    /// The MST root after the commit.
    pub data: Cid,
    /// The MST root before the commit: what the inversion arrived at (`None` without one).
    pub prev_data: Option<Cid>,
    /// The operations, each checked against the tree.
    pub ops: Vec<RepoOp<'a>>,
    /// The record block of each operation (`None` for a delete), in the order of `ops`.
    pub records: Vec<Option<&'a [u8]>>,
    /// Whether the operations were inverted back to `prev_data` (false only for a pre-sync-1.1
    /// event without `prevData`, which is checked as far as it can be).
    pub inverted: bool,
}

fn commit_mismatch(why: impl std::fmt::Display) -> Error {
    Error::new(Code::CommitMismatch, format!("#commit: {why}"))
}

fn op_error(op: &RepoOp<'_>, code: Code, why: impl std::fmt::Display) -> Error {
    Error::new(code, format!("{} {}: {why}", op.action.as_str(), op.path))
}

/// A `missing-block` from the tree means that the frame lacks a node the check needs.
fn incomplete(op: &RepoOp<'_>, error: Error) -> Error {
    if error.code() == Code::MissingBlock {
        op_error(
            op,
            Code::InversionIncomplete,
            format_args!(
                "the blocks lack an MST node the check needs ({})",
                error.message()
            ),
        )
    } else {
        error
    }
}

/// The signed commit of a `#commit` or `#sync` CAR: its first root, present, a valid v3 commit
/// signed by `key`, for `did` at `rev`.
fn signed_commit<'c>(
    car: &'c CarFile<'_>,
    expected: Option<Cid>,
    did: &str,
    rev: &str,
    key: &PublicKey,
) -> Result<(Cid, Commit<'c>)> {
    let root = *car
        .roots()
        .first()
        .ok_or_else(|| Error::new(Code::CarNoRoots, "the event's CAR has no root"))?;
    if let Some(expected) = expected {
        if root != expected {
            return Err(commit_mismatch(format_args!(
                "the CAR's first root is {root}, the event's `commit` is {expected}"
            )));
        }
    }
    let block = car.blocks().get(&root).ok_or_else(|| {
        Error::new(
            Code::MissingBlock,
            format!("commit block {root} is not in the CAR"),
        )
    })?;
    let commit = Commit::decode(block)?;
    commit.verify_signature(key)?;
    if commit.did() != did {
        return Err(commit_mismatch(format_args!(
            "the event is about {did}, the signed commit about {}",
            commit.did()
        )));
    }
    if commit.rev_str() != rev {
        return Err(commit_mismatch(format_args!(
            "the event's rev is {rev}, the signed commit's {}",
            commit.rev_str()
        )));
    }
    Ok((root, commit))
}

/// Verifies a `#commit` event on its own: every block's hash; the commit block (the CAR's first
/// root, equal to `commit`), a valid v3 commit signed by `key` for `repo` at `rev`; each
/// operation's shape (create: `cid`, no `prev`; update: both; delete: `prev`, `cid` null; before
/// sync 1.1, without `prevData`, an update's or delete's `prev` may be absent) and no path twice;
/// each created or updated path holding its `cid` in the new tree, its record block present and
/// valid; each deleted path absent. Then the operations are undone on the partial tree
/// of `blocks`, each removed value checked against the op's `cid` and each restored one against
/// its `prev`, and the root arrived at must be `prev_data` (the caller's, else the event's).
///
/// Errors: `commit-too-big` for `tooBig`; `commit-mismatch` when the event's fields disagree with
/// the signed commit; `op-mismatch` when an operation disagrees with the tree;
/// `inversion-incomplete` when the blocks lack a node the checks need; `inversion-mismatch` when
/// the undone tree is not `prevData`; and the CAR, commit, signature and DRISL codes.
pub fn verify_commit<'a>(
    event: &CommitEvent<'a>,
    key: &PublicKey,
    prev_data: Option<Cid>,
) -> Result<VerifiedCommit<'a>> {
    if event.too_big {
        return Err(Error::new(
            Code::CommitTooBig,
            "#commit: `tooBig` is set, so the event cannot be verified (fetch the repository)",
        ));
    }
    let car = read_car(event.blocks).map_err(|e| e.context("#commit blocks"))?;
    let (commit_cid, commit) =
        signed_commit(&car, Some(event.commit), event.repo, event.rev_text, key)?;
    let data = commit.data();

    let prev_data = prev_data.or(event.prev_data);
    check_op_shapes(&event.ops, prev_data.is_some())?;
    let mut records = Vec::with_capacity(event.ops.len());
    let mut tree = Tree::load(car.blocks(), &data).map_err(|e| {
        if e.code() == Code::MissingBlock {
            Error::new(
                Code::InversionIncomplete,
                format!(
                    "#commit: the blocks lack the new MST root ({})",
                    e.message()
                ),
            )
        } else {
            e
        }
    })?;
    for op in &event.ops {
        let found = tree
            .get(op.path.as_bytes())
            .map_err(|e| incomplete(op, e))?;
        if found != op.cid {
            return Err(op_error(
                op,
                Code::OpMismatch,
                format_args!(
                    "the new tree holds {}, the op says {}",
                    describe(found),
                    describe(op.cid)
                ),
            ));
        }
        if let Some(cid) = op.cid {
            let block = car.blocks().get(&cid).ok_or_else(|| {
                op_error(
                    op,
                    Code::MissingBlock,
                    format_args!("record block {cid} is not in the CAR"),
                )
            })?;
            if block.len() > MAX_RECORD_BLOCK {
                return Err(op_error(
                    op,
                    Code::LimitExceeded,
                    format_args!(
                        "a record block of {} bytes exceeds the limit of {MAX_RECORD_BLOCK}",
                        block.len()
                    ),
                ));
            }
            check_record_block(block).map_err(|e| e.context(format_args!("record {}", op.path)))?;
            records.push(Some(block));
        } else {
            records.push(None);
        }
    }

    let inverted = match prev_data {
        None => false,
        Some(expected) => {
            let root = invert(&mut tree, &event.ops)?;
            if root != expected {
                return Err(Error::new(
                    Code::InversionMismatch,
                    format!("#commit: undoing the ops gives the MST root {root}, not prevData {expected}"),
                ));
            }
            true
        }
    };
    Ok(VerifiedCommit {
        repo: event.repo,
        rev: event.rev_text,
        since: event.since,
        commit: commit_cid,
        data,
        prev_data,
        ops: event.ops.clone(),
        records,
        inverted,
    })
}

fn describe(cid: Option<Cid>) -> String {
    cid.map_or_else(|| "nothing".into(), |cid| cid.to_string())
}

/// Create: `cid` and no `prev`; update: both; delete: `prev` and no `cid`. No path twice. Ops
/// from before sync 1.1 have no `prev`: without an inversion (no `prevData`) an update's or a
/// delete's `prev` may be absent, since nothing would check it.
fn check_op_shapes(ops: &[RepoOp<'_>], inverting: bool) -> Result<()> {
    for (index, op) in ops.iter().enumerate() {
        let has_prev = op.prev.is_some() || !inverting;
        let shaped = match op.action {
            Action::Create => op.cid.is_some() && op.prev.is_none(),
            Action::Update => op.cid.is_some() && has_prev,
            Action::Delete => op.cid.is_none() && has_prev,
        };
        if !shaped {
            return Err(op_error(
                op,
                Code::InvalidEvent,
                "a create has a cid and no prev, an update both, a delete a prev and a null cid (prev may be absent only without prevData)",
            ));
        }
        if ops
            .iter()
            .take(index)
            .any(|earlier| earlier.path == op.path)
        {
            return Err(op_error(
                op,
                Code::InvalidEvent,
                "the path appears twice in the ops",
            ));
        }
    }
    Ok(())
}

/// Undoes `ops` on `tree` (the tree after them, possibly partial), last first, checking what each
/// removes and restores; returns the root before them. `inversion-incomplete` when the tree lacks
/// a node an undo needs, `op-mismatch` when an undo removes something else than the op's `cid`.
pub fn invert(tree: &mut Tree, ops: &[RepoOp<'_>]) -> Result<Cid> {
    for op in ops.iter().rev() {
        undo(tree, op)?;
    }
    Ok(tree.root_cid())
}

/// Undoes one operation on the tree, checking what it removes and restores.
fn undo(tree: &mut Tree, op: &RepoOp<'_>) -> Result<()> {
    let key = op.path.as_bytes();
    let replaced = match op.action {
        Action::Create => tree.delete(key),
        Action::Update | Action::Delete => match op.prev {
            Some(prev) => tree.insert(key, prev),
            None => Ok(None),
        },
    }
    .map_err(|e| incomplete(op, e))?;
    if replaced != op.cid {
        return Err(op_error(
            op,
            Code::OpMismatch,
            format_args!(
                "undoing it removed {}, not {}",
                describe(replaced),
                describe(op.cid)
            ),
        ));
    }
    Ok(())
}

/// A verified `#sync`: the commit it announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSync<'a> {
    /// The account's DID.
    pub did: &'a str,
    /// The commit's revision.
    pub rev: &'a str,
    /// The commit block's CID.
    pub commit: Cid,
    /// The MST root of the commit.
    pub data: Cid,
}

/// Verifies a `#sync` event: its CAR's first root is a valid v3 commit, present, signed by `key`,
/// for `did` at `rev`.
pub fn verify_sync<'a>(event: &SyncEvent<'a>, key: &PublicKey) -> Result<VerifiedSync<'a>> {
    let car = read_car(event.blocks).map_err(|e| e.context("#sync blocks"))?;
    let (commit, signed) = signed_commit(&car, None, event.did, event.rev_text, key)?;
    Ok(VerifiedSync {
        did: event.did,
        rev: event.rev_text,
        commit,
        data: signed.data(),
    })
}
