//! Writing: `RepoState` (the wasm side of `Repo`, see `pkg-template/repo.js`), `createRecord`,
//! `blobRef`.
//!
//! `Repo` lives in JS because a signer is asynchronous: JS asks `RepoState` for the bytes to sign
//! (`prepare`), awaits the signer, and hands the signature back (`finish`), one write at a time.
//! A keypair given to `Repo` is copied here and signs inside `finish`, with no await in between.

use super::data_model::{decode_to_js, record_from_js};
use super::repo::{get, one_key, MAX_WHOLE_CAR_BYTES};
use super::signing::Keypair;
use super::syntax::tid_now;
use super::{
    bytes_arg, bytes_js, cid_js, string_arg, tid_js, type_error, with_bytes, ObjectBuilder,
};
use crate::cbor::{self, Limits, Value};
use crate::cid::Cid;
use crate::crypto;
use crate::firehose::{Action, MAX_FRAME_SIZE};
use crate::repo::RepoCarWriter;
use crate::syntax::{identifiers, Tid};
use crate::writer::{
    self, CommitOp, CommitOptions, PreparedCommit, Repository, UnsignedRepository, Write,
    WrittenCommit,
};
use crate::{Code, Error};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** One record write of `Repo.applyWrites`. */
export interface RepoWrite {
  action: 'create' | 'update' | 'delete';
  /** The collection's NSID. */
  collection: string;
  /** The record key; a create without one gets a fresh TID. */
  rkey?: string;
  /** The record (creates and updates): a plain object with a `$type`, in the data model. */
  record?: unknown;
}
/** Options of `Repo.applyWrites`. */
export interface ApplyWritesOptions {
  /** The new revision, above the last; default `Tid.now()` (or just above the last). */
  rev?: string;
  /** The event's seq; default one more than this repo's last. */
  seq?: number;
  /** The event's time; default now. */
  time?: string;
}
/** One operation of a commit. */
export interface CommitOperation {
  action: 'create' | 'update' | 'delete';
  path: string;
  /** The new record's CID; null for a delete. */
  cid: string | null;
  /** The record replaced; null for a create. */
  prev: string | null;
}
/** A commit written by `Repo.applyWrites`. */
export interface WrittenCommit {
  commit: string;
  rev: string;
  since: string;
  data: string;
  prevData: string;
  ops: CommitOperation[];
  /** The event's CAR slice: the commit, the records written, the MST nodes needed to invert it. */
  blocks: Uint8Array;
  /** The `#commit` frame a PDS would emit. */
  frame: Uint8Array;
  seq: number;
  time: string;
}
/** Options of `Repo.syncFrame`. */
export interface SyncFrameOptions {
  /** The event's seq, above the last; default one more than this repo's last. */
  seq?: number;
  /** The event's time; default now. */
  time?: string;
}
/** A `#sync` frame made by `Repo.syncFrame`, for the repository's current commit. */
export interface SyncFrameMade {
  /** The `#sync` frame: the signed commit block as its CAR. */
  frame: Uint8Array;
  seq: number;
  time: string;
  commit: string;
  rev: string;
}
/** A commit from the network applied by `Repo.applyCommit`. */
export interface AppliedCommit {
  commit: string;
  rev: string;
  data: string;
  ops: CommitOperation[];
}
/** A blob reference, as a record embeds it. */
export interface BlobRef {
  $type: 'blob';
  ref: import('./index.js').CidLink;
  mimeType: string;
  size: number;
}
"#;

/// Longest MIME type taken.
const MAX_MIME_LEN: usize = 256;
/// Longest blob `blobRef` hashes in one call.
const MAX_BLOB_LEN: usize = 1 << 30;

/// The wasm side of `Repo`: the repository (or the first commit waiting for its signature), the
/// commit waiting for its signature, and a keypair when `Repo` was given one.
#[wasm_bindgen]
pub struct RepoState {
    phase: Phase,
    keypair: Option<crypto::Keypair>,
    pending: Option<PreparedCommit>,
}

enum Phase {
    Unsigned(Box<UnsignedRepository>),
    Ready(Box<Repository>),
    /// After a failed creation.
    Gone,
}

fn not_ready() -> Error {
    Error::new(
        Code::InvalidArgument,
        "the repository is not created yet (its first commit is not signed)",
    )
}

fn did_arg(value: &JsValue, what: &str) -> Result<String, Error> {
    let did = string_arg(value, what, identifiers::MAX_DID_LEN, Code::InvalidDid)?;
    crate::syntax::ensure_valid_did(&did)?;
    Ok(did)
}

/// An optional parameter's value, `null` taken as omitted (`undefined`). The parameters are
/// `JsValue`s declared optional rather than `Option<JsValue>`s (whose glue had wasm-bindgen take
/// both as `None`): the same in TypeScript, with less glue (docs/performance.md, "wasm size").
#[inline(never)]
fn optional(value: JsValue) -> JsValue {
    if value.is_null() {
        JsValue::UNDEFINED
    } else {
        value
    }
}

/// A rev the caller chose: a TID not more than five minutes ahead of the clock.
fn rev_arg(value: &JsValue) -> Result<Option<Tid>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    let rev = string_arg(value, "rev", crate::syntax::tid::TID_LEN, Code::InvalidTid)?;
    let rev = Tid::parse(&rev)?;
    rev.ensure_not_ahead(now_micros(), writer::MAX_REV_DRIFT_MICROS)?;
    Ok(Some(rev))
}

/// The clock, in µs since the epoch.
fn now_micros() -> u64 {
    (js_sys::Date::now() * 1000.0) as u64
}

/// The clock's TID, or the one just above `last` if the clock is not past it.
fn rev_after(last: Tid) -> Result<Tid, Error> {
    let now = tid_now()?;
    if now > last {
        return Ok(now);
    }
    Tid::from_time(last.micros().saturating_add(1), last.clock_id())
}

/// A `seq` the caller chose: an integer (its range is the repository's to check).
fn seq_arg(value: &JsValue) -> Result<Option<i64>, Error> {
    match value.as_f64() {
        _ if value.is_undefined() => Ok(None),
        Some(n) if n.fract() == 0.0 && n.abs() < 9.1e15 => Ok(Some(n as i64)),
        _ => Err(type_error("seq", "an integer", value)),
    }
}

/// An event's `time` from `options`: the caller's (checked by the repository) or now.
fn time_option(options: &JsValue) -> Result<String, Error> {
    let time = get(options, "time")?;
    if time.is_undefined() {
        return Ok(String::from(js_sys::Date::new_0().to_iso_string()));
    }
    time_arg(&time)
}

/// An event's `time` the caller gave: a string (its syntax is the repository's to check).
fn time_arg(time: &JsValue) -> Result<String, Error> {
    string_arg(
        time,
        "time",
        crate::syntax::datetime::MAX_DATETIME_LEN,
        Code::InvalidDatetime,
    )
}

fn action_arg(value: &JsValue) -> Result<Action, Error> {
    match value.as_string().as_deref() {
        Some("create") => Ok(Action::Create),
        Some("update") => Ok(Action::Update),
        Some("delete") => Ok(Action::Delete),
        _ => Err(type_error(
            "action",
            "'create', 'update' or 'delete'",
            value,
        )),
    }
}

/// One write from JS: its record encoded and checked here.
fn write_arg(value: &JsValue) -> Result<Write, Error> {
    if !value.is_object() {
        return Err(type_error("a write", "an object", value));
    }
    let action = action_arg(&get(value, "action")?)?;
    let collection = string_arg(
        &get(value, "collection")?,
        "collection",
        identifiers::MAX_NSID_LEN,
        Code::InvalidNsid,
    )?;
    let rkey = get(value, "rkey")?;
    let rkey = match (rkey.is_undefined(), action) {
        (true, Action::Create) => tid_now()?.to_string(),
        (true, _) => {
            return Err(Error::formatted(
                Code::InvalidRecordKey,
                format_args!("{} needs an rkey", action.as_str()),
            ))
        }
        (false, _) => string_arg(
            &rkey,
            "rkey",
            identifiers::MAX_RECORD_KEY_LEN,
            Code::InvalidRecordKey,
        )?,
    };
    let record = match action {
        Action::Delete => None,
        _ => {
            let record = get(value, "record")?;
            if record.is_undefined() {
                return Err(Error::formatted(
                    Code::InvalidArgument,
                    format_args!("{} {collection}/{rkey} has no record", action.as_str()),
                ));
            }
            let record = record_from_js(&record)?;
            Some(writer::encode_record_in(&record, &collection)?.1)
        }
    };
    Ok(Write {
        action,
        collection,
        rkey,
        record,
    })
}

fn writes_arg(value: &JsValue) -> Result<Vec<Write>, Error> {
    let Some(array) = value.dyn_ref::<js_sys::Array>() else {
        return Err(type_error("writes", "an array", value));
    };
    let count = array.length();
    writer::check_write_count(count as usize)?;
    // A plain loop with room for every write (their count is bounded, checked above): collecting
    // an iterator chain into a `Result` grew the vector through a path of its own and was larger
    // (size: docs/performance.md, "wasm size").
    let mut writes = Vec::with_capacity(count as usize);
    for i in 0..count {
        let write = write_arg(&array.get_unchecked(i))
            .map_err(|e| e.context(format_args!("writes[{i}]")))?;
        writes.push(write);
    }
    Ok(writes)
}

/// A signature handed back by a signer: bytes, or `signer-failed`.
fn signature_arg(value: &JsValue) -> Result<Vec<u8>, Error> {
    let mut signature = Vec::new();
    bytes_arg(value, "the signature", 1024, &mut signature).map_err(|e| {
        Error::formatted(
            Code::SignerFailed,
            format_args!("the signer gave no signature bytes: {}", e.message()),
        )
    })?;
    Ok(signature)
}

fn op_to_js(op: &CommitOp) -> Result<JsValue, JsValue> {
    let mut out = ObjectBuilder::new();
    out.set("action", op.action.as_str().into());
    out.set("path", op.path.as_str().into());
    out.set("cid", js_cid(op.cid));
    out.set("prev", js_cid(op.prev));
    out.finish()
}

fn ops_to_js(ops: &[CommitOp]) -> Result<JsValue, JsValue> {
    let array = js_sys::Array::new();
    for op in ops {
        array.push(&op_to_js(op)?);
    }
    Ok(array.into())
}

fn written_to_js(written: &WrittenCommit, time: &str) -> Result<JsValue, JsValue> {
    let mut out = ObjectBuilder::new();
    out.set("commit", cid_js(&written.commit));
    out.set("rev", tid_js(written.rev));
    out.set("since", tid_js(written.since));
    out.set("data", cid_js(&written.data));
    out.set("prevData", cid_js(&written.prev_data));
    out.set("ops", ops_to_js(&written.ops)?);
    out.set(
        "blocks",
        js_sys::Uint8Array::from(&written.blocks[..]).into(),
    );
    out.set("frame", js_sys::Uint8Array::from(&written.frame[..]).into());
    out.set("seq", (written.seq as f64).into());
    out.set("time", time.into());
    out.finish()
}

#[wasm_bindgen]
impl RepoState {
    /// A new repository of `did` signed by `key` (a did:key), its first commit at `rev` (default
    /// now) waiting for a signature (`bytesToSign`, then `finishCreate`).
    pub fn create(
        #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] rev: JsValue,
    ) -> Result<RepoState, JsValue> {
        let rev = optional(rev);
        let did = did_arg(&did, "did")?;
        let key = one_key(&key)?;
        let rev = match rev_arg(&rev)? {
            Some(rev) => rev,
            None => tid_now()?,
        };
        Ok(RepoState {
            phase: Phase::Unsigned(Box::new(Repository::create(&did, key, rev)?)),
            keypair: None,
            pending: None,
        })
    }

    /// A repository loaded from a CAR, verified as `verifyRepo` does with `key` (and `did`);
    /// `seq` is the last one already used for the account's events (default 0).
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] car: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] did: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] seq: JsValue,
    ) -> Result<RepoState, JsValue> {
        let did = optional(did);
        let seq = seq_arg(&optional(seq))?;
        let key = one_key(&key)?;
        let did = if did.is_undefined() {
            None
        } else {
            Some(did_arg(&did, "did")?)
        };
        let mut bytes = Vec::new();
        bytes_arg(&car, "car", MAX_WHOLE_CAR_BYTES, &mut bytes)?;
        let mut repo = Repository::load(bytes.into_boxed_slice(), key, did)?;
        if let Some(seq) = seq {
            repo.set_last_seq(seq)?;
        }
        Ok(RepoState {
            phase: Phase::Ready(Box::new(repo)),
            keypair: None,
            pending: None,
        })
    }

    /// Signs inside wasm with `keypair`, which must be the repository's key.
    #[wasm_bindgen(js_name = setKeypair)]
    pub fn set_keypair(&mut self, keypair: &Keypair) -> Result<(), JsValue> {
        let key = match &self.phase {
            Phase::Unsigned(unsigned) => *unsigned.key(),
            Phase::Ready(repo) => *repo.key(),
            Phase::Gone => return Err(not_ready().into()),
        };
        if keypair.0.public_key() != key {
            return Err(Error::formatted(
                Code::InvalidArgument,
                format_args!(
                    "the keypair {} is not the repository's key {}",
                    keypair.0.did(),
                    key.did_key()
                ),
            )
            .into());
        }
        self.keypair = Some(keypair.0.clone());
        Ok(())
    }

    /// Whether a keypair signs inside wasm (then `finish` and `finishCreate` take no signature).
    #[wasm_bindgen(getter, js_name = hasKeypair)]
    pub fn has_keypair(&self) -> bool {
        self.keypair.is_some()
    }

    /// The bytes the signer must sign now: the first commit's, or the prepared commit's.
    #[wasm_bindgen(js_name = bytesToSign)]
    pub fn bytes_to_sign(&self) -> Result<js_sys::Uint8Array, JsValue> {
        match (&self.phase, &self.pending) {
            (Phase::Unsigned(unsigned), _) => Ok(bytes_js(unsigned.bytes_to_sign())),
            (_, Some(pending)) => Ok(bytes_js(pending.bytes_to_sign())),
            _ => Err(Error::new(Code::InvalidArgument, "nothing waits for a signature").into()),
        }
    }

    /// Completes the creation with the first commit's signature (`undefined`: the keypair signs).
    #[wasm_bindgen(js_name = finishCreate)]
    pub fn finish_create(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "Uint8Array")] signature: JsValue,
    ) -> Result<(), JsValue> {
        let signature = optional(signature);
        let Phase::Unsigned(unsigned) = std::mem::replace(&mut self.phase, Phase::Gone) else {
            return Err(Error::new(Code::InvalidArgument, "the repository exists already").into());
        };
        let repo = match (&self.keypair, signature.is_undefined()) {
            (Some(keypair), true) => unsigned.finish_with_keypair(keypair)?,
            _ => unsigned.finish(&signature_arg(&signature)?)?,
        };
        self.phase = Phase::Ready(Box::new(repo));
        Ok(())
    }

    fn repo(&self) -> Result<&Repository, Error> {
        match &self.phase {
            Phase::Ready(repo) => Ok(repo),
            _ => Err(not_ready()),
        }
    }

    fn repo_mut(&mut self) -> Result<&mut Repository, Error> {
        match &mut self.phase {
            Phase::Ready(repo) => Ok(repo),
            _ => Err(not_ready()),
        }
    }

    /// Checks `writes` and prepares their commit; returns the bytes to sign. Nothing changes until
    /// `finish`.
    pub fn prepare(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "RepoWrite[]")] writes: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ApplyWritesOptions")] options: JsValue,
    ) -> Result<js_sys::Uint8Array, JsValue> {
        self.pending = None;
        let repo = self.repo()?;
        let rev = match rev_arg(&get(&options, "rev")?)? {
            Some(rev) => rev,
            None => rev_after(repo.rev())?,
        };
        let seq = seq_arg(&get(&options, "seq")?)?;
        let time = time_option(&options)?;
        let writes = writes_arg(&writes)?;
        let prepared = repo.prepare_encoded(&writes, &CommitOptions { rev, seq, time })?;
        let bytes = bytes_js(prepared.bytes_to_sign());
        self.pending = Some(prepared);
        Ok(bytes)
    }

    /// Completes the prepared commit with its signature (`undefined`: the keypair signs) and
    /// returns what it wrote. The prepared commit is used up, whether this succeeds or not.
    #[wasm_bindgen(unchecked_return_type = "WrittenCommit")]
    pub fn finish(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "Uint8Array")] signature: JsValue,
    ) -> Result<JsValue, JsValue> {
        let signature = optional(signature);
        let prepared = self
            .pending
            .take()
            .ok_or_else(|| Error::new(Code::InvalidArgument, "no commit is prepared"))?;
        let time = prepared.time().to_owned();
        // The keypair borrowed, not cloned, beside the repository (a clone copied and then wiped
        // the secret key, in code of its own).
        let Phase::Ready(repo) = &mut self.phase else {
            return Err(not_ready().into());
        };
        let written = match (&self.keypair, signature.is_undefined()) {
            (Some(keypair), true) => repo.finish_with_keypair(prepared, keypair)?,
            _ => repo.finish(prepared, &signature_arg(&signature)?)?,
        };
        written_to_js(&written, &time)
    }

    /// The `#sync` frame of the current commit, at `seq` (above the last event's; `undefined`:
    /// one more) and `time` (an atproto datetime). `Repo.syncFrame` adds what the result says.
    #[wasm_bindgen(js_name = syncFrame)]
    pub fn sync_frame(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] seq: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] time: JsValue,
    ) -> Result<js_sys::Uint8Array, JsValue> {
        let seq = seq_arg(&seq)?;
        let time = time_arg(&time)?;
        Ok(bytes_js(&self.repo_mut()?.sync_frame(seq, &time)?))
    }

    /// The `seq` of the last event made here (0 until one is, unless set).
    #[wasm_bindgen(getter, js_name = lastSeq)]
    pub fn last_seq(&self) -> Result<f64, JsValue> {
        Ok(self.repo()?.last_seq() as f64)
    }

    /// Drops the prepared commit (the signer failed).
    pub fn abandon(&mut self) {
        self.pending = None;
    }

    /// The account's DID.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn did(&self) -> Result<JsValue, JsValue> {
        Ok(self.repo()?.did().into())
    }

    /// The signing key, as a did:key.
    #[wasm_bindgen(getter, js_name = signingKey)]
    pub fn signing_key(&self) -> Result<String, JsValue> {
        Ok(self.repo()?.key().did_key())
    }

    /// The current commit's CID.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn commit(&self) -> Result<JsValue, JsValue> {
        Ok(cid_js(&self.repo()?.commit().cid))
    }

    /// The current revision.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn rev(&self) -> Result<JsValue, JsValue> {
        Ok(tid_js(self.repo()?.rev()))
    }

    /// The current MST root.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn data(&self) -> Result<JsValue, JsValue> {
        Ok(cid_js(&self.repo()?.data()))
    }

    /// The record at `collection/rkey` → `{ cid, record }`, or null.
    #[wasm_bindgen(unchecked_return_type = "{ cid: string; record: unknown } | null")]
    pub fn get(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] rkey: JsValue,
    ) -> Result<JsValue, JsValue> {
        let (collection, rkey) = path_args(&collection, &rkey)?;
        let Some((cid, block)) = self.repo_mut()?.get(&collection, &rkey)? else {
            return Ok(JsValue::NULL);
        };
        let mut out = ObjectBuilder::new();
        out.set("cid", cid_js(&cid));
        out.set("record", decode_to_js(block, Limits::RECORD)?);
        out.finish()
    }

    /// The records of one collection or of all, in key order: `{ collection, rkey, cid, record }`.
    #[wasm_bindgen(
        unchecked_return_type = "{ collection: string; rkey: string; cid: string; record: unknown }[]"
    )]
    pub fn list(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] collection: JsValue,
    ) -> Result<JsValue, JsValue> {
        let collection = optional(collection);
        let collection = if collection.is_undefined() {
            None
        } else {
            Some(string_arg(
                &collection,
                "collection",
                identifiers::MAX_NSID_LEN,
                Code::InvalidNsid,
            )?)
        };
        let repo = self.repo_mut()?;
        let listed = repo.list(collection.as_deref())?;
        let out = js_sys::Array::new();
        for (path, cid) in listed {
            let (collection, rkey) = path.split_once('/').unwrap_or((&path, ""));
            let Some((_, block)) = repo.get(collection, rkey)? else {
                continue;
            };
            let mut item = ObjectBuilder::new();
            item.set("collection", collection.into());
            item.set("rkey", rkey.into());
            item.set("cid", cid_js(&cid));
            item.set("record", decode_to_js(block, Limits::RECORD)?);
            out.push(&item.finish()?);
        }
        Ok(out.into())
    }

    /// The whole repository as a CAR, in the streaming order.
    #[wasm_bindgen(js_name = exportCar)]
    pub fn export_car(&mut self) -> Result<js_sys::Uint8Array, JsValue> {
        Ok(bytes_js(&self.repo_mut()?.export_car()?))
    }

    /// Starts an export a piece at a time (`exportPiece`).
    #[wasm_bindgen(js_name = startExport)]
    pub fn start_export(&mut self) -> Result<RepoExport, JsValue> {
        Ok(RepoExport(self.repo_mut()?.start_export()?))
    }

    /// The next piece (about `size` bytes) of the export `exporting`, or undefined after the last.
    #[wasm_bindgen(js_name = exportPiece)]
    pub fn export_piece(
        &self,
        exporting: &mut RepoExport,
        size: u32,
    ) -> Result<Option<js_sys::Uint8Array>, JsValue> {
        let piece = self.repo()?.export_piece(&mut exporting.0, size as usize)?;
        Ok(piece.as_deref().map(bytes_js))
    }

    /// The getRecord proof CAR of `collection/rkey`.
    pub fn proof(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] rkey: JsValue,
    ) -> Result<js_sys::Uint8Array, JsValue> {
        let (collection, rkey) = path_args(&collection, &rkey)?;
        Ok(bytes_js(&self.repo_mut()?.proof(&collection, &rkey)?))
    }

    /// Applies a verified `#commit` frame signed by `key` → `{ commit, rev, data, ops }`.
    #[wasm_bindgen(js_name = applyCommit, unchecked_return_type = "AppliedCommit")]
    pub fn apply_commit(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = one_key(&key)?;
        let repo = self.repo_mut()?;
        let ops = with_bytes(&frame, "frame", MAX_FRAME_SIZE, |frame| {
            repo.apply_commit(frame, &key, now_micros())
        })?;
        let mut out = ObjectBuilder::new();
        out.set("commit", cid_js(&repo.commit().cid));
        out.set("rev", tid_js(repo.rev()));
        out.set("data", cid_js(&repo.data()));
        out.set("ops", ops_to_js(&ops)?);
        out.finish()
    }
}

/// An export in progress (see `RepoState.startExport`).
#[wasm_bindgen]
pub struct RepoExport(RepoCarWriter);

fn path_args(collection: &JsValue, rkey: &JsValue) -> Result<(String, String), Error> {
    Ok((
        string_arg(
            collection,
            "collection",
            identifiers::MAX_NSID_LEN,
            Code::InvalidNsid,
        )?,
        string_arg(
            rkey,
            "rkey",
            identifiers::MAX_RECORD_KEY_LEN,
            Code::InvalidRecordKey,
        )?,
    ))
}

/// A record checked and encoded for writing → `{ cid, bytes }`: the canonical bytes and the CID
/// a PDS will give it. Refuses what `Repo.applyWrites` refuses (no `$type`, floats, `undefined`,
/// over 1,000,000 bytes, …).
#[wasm_bindgen(js_name = createRecord, unchecked_return_type = "{ cid: string; bytes: Uint8Array }")]
pub fn create_record(
    #[wasm_bindgen(unchecked_param_type = "unknown")] record: JsValue,
) -> Result<JsValue, JsValue> {
    let (cid, bytes) = writer::encode_record(&record_from_js(&record)?)?;
    let mut out = ObjectBuilder::new();
    out.set("cid", cid_js(&cid));
    out.set("bytes", js_sys::Uint8Array::from(&bytes[..]).into());
    out.finish()
}

/// The blob reference of `bytes` with `mimeType` → `{ $type: 'blob', ref: CidLink, mimeType,
/// size }` (the raw-codec CID of the bytes), as a record embeds it.
#[wasm_bindgen(js_name = blobRef, unchecked_return_type = "BlobRef")]
pub fn blob_ref(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    #[wasm_bindgen(js_name = mimeType, unchecked_param_type = "string")] mime_type: JsValue,
) -> Result<JsValue, JsValue> {
    let mime_type = string_arg(&mime_type, "mimeType", MAX_MIME_LEN, Code::InvalidBlob)?;
    let (cid, size) = with_bytes(&bytes, "bytes", MAX_BLOB_LEN, |bytes| {
        writer::blob_ref(bytes, &mime_type)
    })?;
    let value = Value::Map(vec![
        ("$type".into(), Value::String("blob".into())),
        ("ref".into(), Value::Link(cid)),
        ("mimeType".into(), Value::String(mime_type.into())),
        ("size".into(), Value::Integer(size as i64)),
    ]);
    decode_to_js(&cbor::encode(&value)?, Limits::DEFAULT)
}

/// A CID as its string, or `null`.
fn js_cid(cid: Option<Cid>) -> JsValue {
    cid.as_ref().map_or(JsValue::NULL, cid_js)
}
