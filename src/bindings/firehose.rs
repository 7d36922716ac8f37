//! The event stream for JavaScript: `decodeFrame`, `verifyCommit`, `verifySync`.

use super::data_model::decode_to_js;
use super::repo::{get, one_key};
use super::{bytes_js, cid_js, string_arg, with_bytes, ObjectBuilder};
use crate::cbor::Limits;
use crate::cid::Cid;
use crate::crypto::PublicKey;
use crate::firehose::accounts::{account_key, AccountTable};
use crate::firehose::{self, Event, Processed, StreamVerifier, VerifiedCommit, MAX_FRAME_SIZE};
use crate::support::json::write_string as write_json_string;
use crate::syntax::identifiers::MAX_DID_LEN;
use crate::syntax::Tid;
use crate::Code;
use crate::Error;
use std::fmt::Write;
use wasm_bindgen::prelude::*;

/// The largest saved state `restoreState` takes: 44 bytes an account, so about 24 million.
const MAX_SAVED_STATE: usize = 1 << 30;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r##"
/** A decoded event-stream frame. */
export interface DecodedFrame {
  /** The header: `op` 1 for a message (with its type `t`, e.g. "#commit"), -1 for an error. */
  header: { op: number; t?: string };
  /** The body, decoded (blocks as Uint8Array, CIDs as CidLink). */
  body: Record<string, unknown>;
  /** True for an unknown `op` or `t`: the spec says to ignore such frames. */
  unknown: boolean;
}
/** A record operation of a verified #commit. */
export interface CommitOp {
  action: 'create' | 'update' | 'delete';
  /** "collection/rkey". */
  path: string;
  /** The new record's CID, null for a delete. */
  cid: string | null;
  /** The previous record's CID (updates and deletes), or null. */
  prev: string | null;
  /** The record (create, update): its bytes, or its value with `{ decodeRecords: true }`. */
  record?: unknown;
}
/** A verified #commit. */
export interface VerifiedCommit {
  repo: string;
  rev: string;
  since: string | null;
  commit: string;
  data: string;
  /** The MST root the ops were inverted back to, or null (a pre-sync-1.1 event without prevData). */
  prevData: string | null;
  ops: CommitOp[];
  /** Whether the ops were inverted back to prevData: false only for a frame without prevData. */
  inverted: boolean;
}
/** What FirehoseVerifier.process (and FirehoseState.process) says of one frame. */
export interface FirehoseEvent {
  /** The event's sequence number (undefined for #info, error and unknown frames). */
  seq?: number;
  /** "#commit", "#sync", "#identity", "#account", "#info", "error" or "unknown". */
  type: string;
  /** The account the event is about, if any. */
  did?: string;
  /** valid; invalid (drop it); desync (continuity broken: resync the account); ignored (stale, #info, unknown). */
  status: 'valid' | 'invalid' | 'desync' | 'ignored';
  /** Why it is invalid or desync. */
  error?: Error & { code: string };
  /** A verified #commit (ops without records). */
  commit?: VerifiedCommit;
  /** Whether the commit was checked against the account's previous one (false the first time). */
  continuity: boolean;
  /** Whether the seq was not above the last valid event's. */
  seqRegression: boolean;
}
/** Options of verifyCommit. */
export interface VerifyCommitOptions {
  /** The account's signing key (did:key). */
  key: string;
  /** The MST root the commit must follow (the previous commit's data), instead of the frame's prevData. */
  prevData?: string;
  /** Give each op's record decoded instead of as bytes. */
  decodeRecords?: boolean;
}
"##;

/// Decodes one event-stream frame (the bytes of one WebSocket message): `{ header, body, unknown }`.
/// The body's fields are checked for the type the header names (`#commit`, `#sync`, `#identity`,
/// `#account`, `#info`, error frames); an unknown `op` or `t` is decoded and flagged.
#[wasm_bindgen(js_name = decodeFrame, unchecked_return_type = "DecodedFrame")]
pub fn decode_frame(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    with_bytes(&bytes, "frame", MAX_FRAME_SIZE, |input| {
        let frame = firehose::decode_frame(input)?;
        let mut header = ObjectBuilder::new();
        header.set("op", (frame.op as f64).into());
        if let Some(t) = frame.t {
            header.set("t", t.into());
        }
        let mut out = ObjectBuilder::new();
        out.set("header", header.finish()?);
        out.set("body", decode_to_js(frame.body, Limits::DEFAULT)?);
        out.set("unknown", matches!(frame.event, Event::Unknown).into());
        out.finish()
    })
}

/// The frame argument of verifyCommit and verifySync, decoded.
fn with_frame<T>(
    frame: &JsValue,
    f: impl FnOnce(firehose::Frame<'_>) -> Result<T, JsValue>,
) -> Result<T, JsValue> {
    with_bytes(frame, "frame", MAX_FRAME_SIZE, |input| {
        f(firehose::decode_frame(input)?)
    })
}

fn wrong_type(expected: &str) -> JsValue {
    Error::formatted(
        Code::InvalidArgument,
        format_args!("the frame is not a {expected} event"),
    )
    .into()
}

/// Verifies a `#commit` frame on its own: every block hash, the signature with `key`, the
/// commit's fields against the body, the ops against the new tree, and sync 1.1 inversion back to
/// `prevData` (the option's, else the frame's).
#[wasm_bindgen(js_name = verifyCommit, unchecked_return_type = "VerifiedCommit")]
pub fn verify_commit(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
    #[wasm_bindgen(unchecked_param_type = "VerifyCommitOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let key = one_key(&get(&options, "key")?)?;
    let prev_data = get(&options, "prevData")?;
    let prev_data = if prev_data.is_undefined() {
        None
    } else {
        Some(Cid::parse(&string_arg(
            &prev_data,
            "options.prevData",
            256,
            Code::InvalidCid,
        )?)?)
    };
    let decode_records = get(&options, "decodeRecords")?.is_truthy();
    with_frame(&frame, |frame| {
        let Event::Commit(event) = &frame.event else {
            return Err(wrong_type("#commit"));
        };
        let verified = firehose::verify_commit(event, &key, prev_data)?;
        commit_to_js(&verified, decode_records)
    })
}

/// A verified commit as JSON text (without records), appended to `text`: the engine parses one text
/// faster than it takes each string and property across the boundary alone (each string a text
/// decoding, each property a call).
fn write_commit_json(verified: &VerifiedCommit<'_>, text: &mut String) {
    text.reserve(commit_json_room(verified));
    let cid_or_null = |cid: Option<Cid>, text: &mut String| match cid {
        Some(cid) => {
            let _ = write!(text, "\"{cid}\"");
        }
        None => text.push_str("null"),
    };
    text.push_str("{\"repo\":");
    write_json_string(verified.repo, text);
    text.push_str(",\"rev\":");
    write_json_string(verified.rev, text);
    text.push_str(",\"since\":");
    match verified.since {
        Some(since) => write_json_string(since, text),
        None => text.push_str("null"),
    }
    text.push_str(",\"commit\":");
    cid_or_null(Some(verified.commit), text);
    text.push_str(",\"data\":");
    cid_or_null(Some(verified.data), text);
    text.push_str(",\"prevData\":");
    cid_or_null(verified.prev_data, text);
    text.push_str(",\"ops\":[");
    for (index, op) in verified.ops.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str("{\"action\":");
        write_json_string(op.action.as_str(), text);
        text.push_str(",\"path\":");
        write_json_string(op.path, text);
        text.push_str(",\"cid\":");
        cid_or_null(op.cid, text);
        text.push_str(",\"prev\":");
        cid_or_null(op.prev, text);
        text.push('}');
    }
    text.push_str(if verified.inverted {
        "],\"inverted\":true}"
    } else {
        "],\"inverted\":false}"
    });
}

/// About what [`write_commit_json`] writes: the fields, CIDs and paths of a typical commit.
fn commit_json_room(verified: &VerifiedCommit<'_>) -> usize {
    320 + 192 * verified.ops.len()
}

/// The JS object of a verified commit with each op's record: its bytes, or decoded with `decode`.
fn commit_to_js(verified: &VerifiedCommit<'_>, decode: bool) -> Result<JsValue, JsValue> {
    let mut text = String::new();
    write_commit_json(verified, &mut text);
    let out = js_sys::JSON::parse(&text)?;
    let ops = get(&out, "ops")?;
    let record_key = JsValue::from_str("record");
    for (index, record) in (0u32..).zip(&verified.records) {
        let Some(record) = record else { continue };
        let value = if decode {
            decode_to_js(record, Limits::RECORD)?
        } else {
            js_sys::Uint8Array::from(*record).into()
        };
        js_sys::Reflect::set(&js_sys::Reflect::get_u32(&ops, index)?, &record_key, &value)?;
    }
    Ok(out)
}

/// Verifies a `#sync` frame: its CAR's first root is a valid commit signed by `key`, for the
/// frame's `did` and `rev`. Returns `{ did, rev, commit, data }`.
#[wasm_bindgen(js_name = verifySync, unchecked_return_type = "{ did: string; rev: string; commit: string; data: string }")]
pub fn verify_sync(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ key: string }")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let key = one_key(&get(&options, "key")?)?;
    with_frame(&frame, |frame| {
        let Event::Sync(event) = &frame.event else {
            return Err(wrong_type("#sync"));
        };
        let verified = firehose::verify_sync(event, &key)?;
        let mut out = ObjectBuilder::new();
        out.set("did", verified.did.into());
        out.set("rev", verified.rev.into());
        out.set("commit", cid_js(&verified.commit));
        out.set("data", cid_js(&verified.data));
        out.finish()
    })
}

/// The state underneath `FirehoseVerifier`: each account's continuity (last rev and data root) in
/// wasm memory, and the signing keys it was given. `FirehoseVerifier` resolves keys and calls it;
/// use it directly to manage keys yourself.
#[wasm_bindgen]
pub struct FirehoseState {
    stream: StreamVerifier,
    /// Keys given with `setKey` (`None`: the account has none), by account; at most `max_keys`.
    keys: AccountTable<Option<PublicKey>>,
    max_keys: usize,
}

#[wasm_bindgen]
impl FirehoseState {
    /// Tracks at most `maxAccounts` accounts (the least recently seen are forgotten) and refuses
    /// revs more than `clockDriftMs` in the future.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = maxAccounts, unchecked_param_type = "number")]
        max_accounts: JsValue,
        #[wasm_bindgen(js_name = clockDriftMs, unchecked_param_type = "number")]
        clock_drift_ms: JsValue,
    ) -> Result<FirehoseState, JsValue> {
        let number = |value: &JsValue, what: &str| match value.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(n),
            _ => Err(Error::formatted(
                Code::InvalidArgument,
                format_args!("{what} must be a non-negative integer"),
            )),
        };
        let max_accounts = number(&max_accounts, "maxAccounts")?;
        let clock_drift_ms = number(&clock_drift_ms, "clockDriftMs")?;
        let max_accounts = max_accounts.min(u32::MAX as f64) as usize;
        Ok(FirehoseState {
            stream: StreamVerifier::new(
                max_accounts,
                (clock_drift_ms * 1000.0).min(u64::MAX as f64) as u64,
            ),
            keys: AccountTable::new(),
            max_keys: max_accounts.max(1),
        })
    }

    /// The number of accounts tracked.
    #[wasm_bindgen(getter)]
    pub fn accounts(&self) -> f64 {
        self.stream.accounts() as f64
    }

    /// The `seq` of the last event that was not invalid (where to resume), or undefined.
    #[wasm_bindgen(getter, js_name = lastSeq)]
    pub fn last_seq(&self) -> Option<f64> {
        self.stream.last_seq().map(|seq| seq as f64)
    }

    /// The accounts' continuity and the last seq as bytes, to restore after a restart
    /// (`restoreState`); the kept keys and the settings are not in it.
    #[wasm_bindgen(js_name = saveState)]
    pub fn save_state(&self) -> Result<js_sys::Uint8Array, JsValue> {
        Ok(bytes_js(&self.stream.save()?))
    }

    /// Replaces the accounts' continuity and the last seq with a state `saveState` made
    /// (`invalid-saved-state` for anything else; nothing changes then).
    #[wasm_bindgen(js_name = restoreState)]
    pub fn restore_state(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] state: JsValue,
    ) -> Result<(), JsValue> {
        let stream = &mut self.stream;
        with_bytes(&state, "state", MAX_SAVED_STATE, |saved| {
            Ok(stream.restore(saved)?)
        })
    }

    /// Whether a `#commit` without `prevData` (before sync 1.1) is invalid (`inversion-incomplete`)
    /// rather than valid with `inverted: false`. Off by default.
    #[wasm_bindgen(setter, js_name = requirePrevData)]
    pub fn set_require_prev_data(&mut self, required: bool) {
        self.stream.set_require_prev_data(required);
    }

    /// Keeps `key` (a did:key, or undefined when the account has none) as the signing key of
    /// `did` for `processCached`. When as many keys as `maxAccounts` are kept, an arbitrary one is
    /// forgotten (it is asked for again when needed).
    #[wasm_bindgen(js_name = setKey)]
    pub fn set_key(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] key: JsValue,
    ) -> Result<(), JsValue> {
        let did = string_arg(&did, "did", MAX_DID_LEN, Code::InvalidDid)?;
        let key = if key.is_undefined() || key.is_null() {
            None
        } else {
            Some(one_key(&key)?)
        };
        let account = account_key(&did);
        if self.keys.len() >= self.max_keys && !self.keys.contains_key(&account) {
            self.keys.remove_any(&account);
        }
        Ok(self.keys.insert(account, key)?)
    }

    /// Makes the continuity of `did` follow the commit at `rev` with MST root `data` (a CID) from
    /// now on: say, its repository just fetched and verified after a desync.
    pub fn follow(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] rev: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] data: JsValue,
    ) -> Result<(), JsValue> {
        let did = string_arg(&did, "did", MAX_DID_LEN, Code::InvalidDid)?;
        crate::syntax::ensure_valid_did(&did)?;
        let rev = string_arg(&rev, "rev", crate::syntax::tid::TID_LEN, Code::InvalidTid)?;
        let data = string_arg(&data, "data", 256, Code::InvalidCid)?;
        Ok(self
            .stream
            .follow(&did, Tid::parse(&rev)?, Cid::parse(&data)?)?)
    }

    /// Forgets the continuity of `did`: its next commit is verified without it.
    pub fn forget(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
    ) -> Result<(), JsValue> {
        let did = string_arg(&did, "did", MAX_DID_LEN, Code::InvalidDid)?;
        self.stream.forget(&did);
        Ok(())
    }

    /// Forgets the key kept for `did` (an `#identity` event may have changed it).
    #[wasm_bindgen(js_name = forgetKey)]
    pub fn forget_key(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
    ) -> Result<(), JsValue> {
        let did = string_arg(&did, "did", MAX_DID_LEN, Code::InvalidDid)?;
        self.keys.remove(&account_key(&did));
        Ok(())
    }

    /// Processes one frame with the key kept for its account (`setKey`), decoding it once. When
    /// the frame needs a key that is not kept, nothing is processed and the result is
    /// `{ needsKey: did }`: call `setKey` and process the frame again.
    #[wasm_bindgen(js_name = processCached, unchecked_return_type = "FirehoseEvent | { needsKey: string }")]
    pub fn process_cached(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let now_micros = micros(now_ms);
        let FirehoseState { stream, keys, .. } = self;
        with_bytes(&frame, "frame", MAX_FRAME_SIZE, |input| {
            let frame = match firehose::decode_frame(input) {
                Ok(frame) => frame,
                Err(error) => return processed_to_js(stream.refused(input, error)?),
            };
            let key = match StreamVerifier::account_needing_key(&frame) {
                None => None,
                Some(did) => match keys.get(&account_key(did)) {
                    Some(key) => *key,
                    None => {
                        let mut out = ObjectBuilder::new();
                        out.set("needsKey", did.into());
                        return out.finish();
                    }
                },
            };
            processed_to_js(stream.process_decoded(frame, key.as_ref(), now_micros))
        })
    }

    /// The DID whose key `frame` needs (a `#commit` or `#sync`), or undefined; throws if the frame
    /// does not decode.
    #[wasm_bindgen(js_name = accountOf, unchecked_return_type = "string | undefined")]
    pub fn account_of(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
    ) -> Result<JsValue, JsValue> {
        with_bytes(&frame, "frame", MAX_FRAME_SIZE, |input| {
            Ok(StreamVerifier::needs_key(input)?.map_or(JsValue::UNDEFINED, JsValue::from))
        })
    }

    /// Processes one frame with the account's key (a did:key; needed for `#commit` and `#sync`)
    /// at `nowMs`: `{ seq, type, did, status, error?, commit?, continuity, seqRegression }`.
    #[wasm_bindgen(unchecked_return_type = "FirehoseEvent")]
    pub fn process(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] frame: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] key: JsValue,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let key = if key.is_undefined() || key.is_null() {
            None
        } else {
            Some(one_key(&key)?)
        };
        let now_micros = micros(now_ms);
        let state = &mut self.stream;
        with_bytes(&frame, "frame", MAX_FRAME_SIZE, |input| {
            processed_to_js(state.process(input, key.as_ref(), now_micros)?)
        })
    }
}

/// Milliseconds since the epoch as microseconds (0 for a time that is not one).
fn micros(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 {
        (now_ms * 1000.0) as u64
    } else {
        0
    }
}

/// The JS object of a processed event, parsed from one JSON text (as `write_commit_json` says why).
/// `error` (an `AtproofError`) is set after parsing, in the place its `null` holds in the text; so
/// are `seq` and `did` when the event has none, as `undefined`.
fn processed_to_js(processed: Processed<'_>) -> Result<JsValue, JsValue> {
    let commit_room = processed.commit.as_ref().map_or(0, commit_json_room);
    let mut text = String::with_capacity(192 + commit_room);
    text.push_str("{\"seq\":");
    match processed.seq {
        Some(seq) => {
            let _ = write!(text, "{seq}");
        }
        None => text.push_str("null"),
    }
    text.push_str(",\"type\":");
    write_json_string(processed.kind, &mut text);
    text.push_str(",\"did\":");
    match processed.did {
        Some(did) => write_json_string(did, &mut text),
        None => text.push_str("null"),
    }
    text.push_str(",\"status\":");
    write_json_string(processed.status.as_str(), &mut text);
    if processed.error.is_some() {
        text.push_str(",\"error\":null");
    }
    if let Some(commit) = &processed.commit {
        text.push_str(",\"commit\":");
        write_commit_json(commit, &mut text);
    }
    text.push_str(",\"continuity\":");
    text.push_str(if processed.continuity {
        "true"
    } else {
        "false"
    });
    text.push_str(",\"seqRegression\":");
    text.push_str(if processed.seq_regression {
        "true}"
    } else {
        "false}"
    });
    let out = js_sys::JSON::parse(&text)?;
    if processed.seq.is_none() {
        js_sys::Reflect::set(&out, &"seq".into(), &JsValue::UNDEFINED)?;
    }
    if processed.did.is_none() {
        js_sys::Reflect::set(&out, &"did".into(), &JsValue::UNDEFINED)?;
    }
    if let Some(error) = processed.error {
        js_sys::Reflect::set(&out, &"error".into(), &error.into())?;
    }
    Ok(out)
}
