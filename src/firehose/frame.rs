//! Event-stream frames: the header and body DRISL objects of one WebSocket message, and the typed
//! `com.atproto.sync.subscribeRepos` events.

use crate::cbor::Decoder;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::repo::ensure_valid_repo_path;
use crate::syntax::quote;
use crate::syntax::{
    ensure_valid_datetime, ensure_valid_did, ensure_valid_handle, is_valid_did, Tid,
};

/// The largest frame: "a hard maximum size limit of 5 MBytes".
pub const MAX_FRAME_SIZE: usize = 5_000_000;
/// The largest `blocks` of a `#commit` (the lexicon's `maxLength`).
pub const MAX_COMMIT_BLOCKS: usize = 2_000_000;
/// The largest `blocks` of a `#sync`.
pub const MAX_SYNC_BLOCKS: usize = 10_000;
/// The most record operations in one `#commit`.
pub const MAX_OPS: usize = 200;
/// The largest record block of a `#commit`.
pub const MAX_RECORD_BLOCK: usize = 1_000_000;
/// Sequence numbers lie in `1..2^53`.
const MAX_SEQ: i64 = (1 << 53) - 1;

/// One decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header's `op`: 1 a message, -1 an error; any other is unknown (the event is
    /// [`Event::Unknown`]).
    pub op: i64,
    /// The header's `t`, the message type (`#commit`, …), for `op` 1.
    pub t: Option<&'a str>,
    /// The body's bytes (one DRISL map).
    pub body: &'a [u8],
    /// The body, typed.
    pub event: Event<'a>,
}

/// The body of a frame, typed by the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// `#commit`.
    Commit(CommitEvent<'a>),
    /// `#sync`.
    Sync(SyncEvent<'a>),
    /// `#identity`.
    Identity(IdentityEvent<'a>),
    /// `#account`.
    Account(AccountEvent<'a>),
    /// `#info`.
    Info(InfoEvent<'a>),
    /// An error frame (`op` -1): `{ error, message? }`.
    Error {
        /// The error's name (`FutureCursor`, `ConsumerTooSlow`, …).
        error: &'a str,
        /// A description.
        message: Option<&'a str>,
    },
    /// An unknown `op` or `t`: to be ignored, as the spec asks (the body is still a checked map).
    Unknown,
}

/// A record operation of a `#commit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepoOp<'a> {
    /// What it does.
    pub action: Action,
    /// `collection/rkey`.
    pub path: &'a str,
    /// The new record's CID (`None` for a delete).
    pub cid: Option<Cid>,
    /// The previous record's CID (for updates and deletes; sync 1.1).
    pub prev: Option<Cid>,
}

/// The action of a [`RepoOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new record.
    Create,
    /// A changed record.
    Update,
    /// A removed record.
    Delete,
}

impl Action {
    /// `create`, `update` or `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// A `#commit` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitEvent<'a> {
    /// The stream sequence number.
    pub seq: i64,
    /// The account's DID.
    pub repo: &'a str,
    /// The commit's revision.
    pub rev: Tid,
    /// `rev` as written.
    pub rev_text: &'a str,
    /// The revision of the previous commit, if any.
    pub since: Option<&'a str>,
    /// The commit block's CID.
    pub commit: Cid,
    /// The deprecated `tooBig` flag (a frame with it set cannot be verified).
    pub too_big: bool,
    /// A CAR slice: the commit, the new records and the changed MST nodes.
    pub blocks: &'a [u8],
    /// The record operations.
    pub ops: Vec<RepoOp<'a>>,
    /// The MST root before this commit (sync 1.1), when given.
    pub prev_data: Option<Cid>,
    /// When the event was made.
    pub time: &'a str,
}

/// A `#sync` event: the account's current commit, without its tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncEvent<'a> {
    /// The stream sequence number.
    pub seq: i64,
    /// The account's DID.
    pub did: &'a str,
    /// The commit's revision.
    pub rev: Tid,
    /// `rev` as written.
    pub rev_text: &'a str,
    /// A CAR holding the commit block as its first root.
    pub blocks: &'a [u8],
    /// When the event was made.
    pub time: &'a str,
}

/// An `#identity` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityEvent<'a> {
    /// The stream sequence number.
    pub seq: i64,
    /// The account's DID.
    pub did: &'a str,
    /// When the event was made.
    pub time: &'a str,
    /// The handle, if given (`handle.invalid` when it does not verify).
    pub handle: Option<&'a str>,
}

/// An `#account` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountEvent<'a> {
    /// The stream sequence number.
    pub seq: i64,
    /// The account's DID.
    pub did: &'a str,
    /// When the event was made.
    pub time: &'a str,
    /// Whether the account is active.
    pub active: bool,
    /// Why not, if given (`takendown`, `suspended`, `deleted`, `deactivated`, …).
    pub status: Option<&'a str>,
}

/// An `#info` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoEvent<'a> {
    /// `OutdatedCursor`, or another name.
    pub name: &'a str,
    /// A description.
    pub message: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// The event's sequence number, for the events that have one.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Event::Commit(e) => Some(e.seq),
            Event::Sync(e) => Some(e.seq),
            Event::Identity(e) => Some(e.seq),
            Event::Account(e) => Some(e.seq),
            _ => None,
        }
    }

    /// The account the event is about, for the events that have one.
    pub fn did(&self) -> Option<&'a str> {
        match self {
            Event::Commit(e) => Some(e.repo),
            Event::Sync(e) => Some(e.did),
            Event::Identity(e) => Some(e.did),
            Event::Account(e) => Some(e.did),
            _ => None,
        }
    }
}

// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size").
#[cold]
#[inline(never)]
fn invalid_frame(why: impl std::fmt::Display) -> Error {
    Error::new(Code::InvalidFrame, format!("frame: {why}"))
}

fn invalid_event(t: &str, why: impl std::fmt::Display) -> Error {
    Error::new(Code::InvalidEvent, format!("{t} event: {why}"))
}

/// Decodes one frame: the header map `{op, t?}`, then the body map, nothing after. Both must be
/// canonical DRISL; the body's fields are checked by the type the header names. An unknown `op`
/// or `t` gives [`Event::Unknown`] (its body still a checked map).
pub fn decode_frame(bytes: &[u8]) -> Result<Frame<'_>> {
    let (op, t, body) = split_frame(bytes)?;
    let mut body_decoder = Decoder::new(body)?;
    let event = match (op, t) {
        (1, Some("#commit")) => Event::Commit(read_commit(&mut body_decoder)?),
        (1, Some("#sync")) => Event::Sync(read_sync(&mut body_decoder)?),
        (1, Some("#identity")) => Event::Identity(read_identity(&mut body_decoder)?),
        (1, Some("#account")) => Event::Account(read_account(&mut body_decoder)?),
        (1, Some("#info")) => Event::Info(read_info(&mut body_decoder)?),
        (-1, _) => read_error(&mut body_decoder)?,
        _ => {
            body_decoder.skip_value()?;
            Event::Unknown
        }
    };
    end_of_body(&body_decoder)?;
    Ok(Frame { op, t, body, event })
}

/// What a frame says of itself whatever its body's fields: its header, and the `seq` and the
/// account of its body where they are valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The header's `op`.
    pub op: i64,
    /// The header's `t`, if any.
    pub t: Option<&'a str>,
    /// The body's `seq`, if it is a valid one.
    pub seq: Option<i64>,
    /// The body's account (a `#commit`'s `repo`, another event's `did`), if it is a valid DID.
    pub did: Option<&'a str>,
}

/// Reads a frame's framing as [`decode_frame`] does — two canonical DRISL objects, a valid header,
/// a body map, nothing after — without checking the body's fields against its type. A frame
/// refused by `decode_frame` but read by this one is a sound message that breaks its type's rules
/// (a stream drops that message and goes on); one refused by both is broken framing or DRISL.
pub fn read_envelope(bytes: &[u8]) -> Result<Envelope<'_>> {
    let (op, t, body) = split_frame(bytes)?;
    let mut decoder = Decoder::new(body)?;
    let entries = decoder.read_map_header()?;
    // A `#commit` names its account `repo`, the other events `did`.
    let account_field = if t == Some("#commit") { "repo" } else { "did" };
    let (mut seq, mut did) = (None, None);
    let mut previous = None;
    for _ in 0..entries {
        let key = decoder.next_key(previous)?;
        let mut value = decoder.clone();
        decoder.skip_value()?;
        if key == "seq" {
            seq = value
                .read_int()
                .ok()
                .filter(|seq| (1..=MAX_SEQ).contains(seq));
        } else if key == account_field {
            did = value.read_str().ok().filter(|did| is_valid_did(did));
        }
        previous = Some(key);
    }
    end_of_body(&decoder)?;
    Ok(Envelope { op, t, seq, did })
}

/// A frame's size checked, its header read, and the body that follows it: present and a map.
fn split_frame(bytes: &[u8]) -> Result<(i64, Option<&str>, &[u8])> {
    if bytes.len() > MAX_FRAME_SIZE {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "a frame of {} bytes exceeds the limit of {MAX_FRAME_SIZE}",
                bytes.len()
            ),
        ));
    }
    let mut decoder = Decoder::new(bytes)?;
    let (op, t) = read_header(&mut decoder)?;
    if decoder.is_at_end() {
        return Err(invalid_frame("the header is not followed by a body"));
    }
    let body = bytes.get(decoder.position()..).unwrap_or_default();
    if body.first().is_some_and(|b| b >> 5 != 5) {
        return Err(invalid_frame("the body is not a map"));
    }
    Ok((op, t, body))
}

/// The body, read to its end by `decoder`, is the frame's last object.
fn end_of_body(decoder: &Decoder<'_>) -> Result<()> {
    if !decoder.is_at_end() {
        return Err(Error::new(
            Code::CborTrailingBytes,
            format!(
                "frame: {} bytes after the body (a frame is exactly two DRISL objects)",
                decoder.input().len() - decoder.position()
            ),
        ));
    }
    Ok(())
}

/// The header: a map with an integer `op` and, for `op` 1, a string `t` (other fields ignored).
fn read_header<'a>(decoder: &mut Decoder<'a>) -> Result<(i64, Option<&'a str>)> {
    let entries = decoder.read_map_header().map_err(|e| {
        if e.code() == Code::CborUnexpectedType {
            invalid_frame(format_args!("the header is not a map ({})", e.message()))
        } else {
            e.context("frame header")
        }
    })?;
    let (mut op, mut t) = (None, None);
    let mut previous = None;
    for _ in 0..entries {
        let key = decoder.next_key(previous)?;
        match key {
            "op" => op = Some(decoder.read_int().map_err(|e| header_field("op", &e))?),
            "t" => t = Some(decoder.read_str().map_err(|e| header_field("t", &e))?),
            _ => {
                decoder.skip_value()?;
            }
        }
        previous = Some(key);
    }
    let op = op.ok_or_else(|| invalid_frame("the header has no `op`"))?;
    if op == 1 && t.is_none() {
        return Err(invalid_frame("a message header (op 1) has no `t`"));
    }
    Ok((op, t))
}

fn header_field(field: &str, error: &Error) -> Error {
    invalid_frame(format_args!("header field `{field}`: {}", error.message()))
}

/// Reads a body map's fields in canonical order: `field(key, decoder)` reads the value of each
/// key it knows and returns false for the others, which are skipped (unknown fields are ignored).
/// `field` is `dyn`: one copy of this loop serves every event type (generic, it was a copy each).
fn read_fields<'a>(
    decoder: &mut Decoder<'a>,
    t: &str,
    field: &mut dyn FnMut(&'a str, &mut Decoder<'a>) -> Result<bool>,
) -> Result<()> {
    let entries = decoder.read_map_header()?;
    let mut previous = None;
    for _ in 0..entries {
        let key = decoder.next_key(previous)?;
        let position = decoder.position();
        let known = field(key, decoder).map_err(|e| match e.code() {
            // A field of the wrong type or with an invalid value: the event is invalid.
            Code::CborUnexpectedType
            | Code::InvalidDid
            | Code::InvalidTid
            | Code::InvalidDatetime
            | Code::InvalidHandle
            | Code::InvalidRepoPath
            | Code::InvalidNsid
            | Code::InvalidRecordKey => invalid_event(
                t,
                format_args!("field {} (byte {position}): {}", quote(key), e.message()),
            ),
            // Broken DRISL, and the event's own and limit errors, keep their codes.
            _ => e.context(format_args!("{t} event field {}", quote(key))),
        })?;
        if !known {
            decoder.skip_value()?;
        }
        previous = Some(key);
    }
    Ok(())
}

// Each event type's required fields are taken with one `let … else`, which has one error path:
// this names the first field of `fields` that is not `present` (a check and a call per field, each
// inlined in every event type, were 23 copies of this error path).
#[cold]
#[inline(never)]
fn missing_field(t: &str, fields: &[&str], present: &[bool]) -> Error {
    let field = fields
        .iter()
        .zip(present)
        .find(|(_, present)| !**present)
        .map_or("", |(field, _)| field);
    invalid_event(t, format_args!("the field `{field}` is missing"))
}

fn read_seq(decoder: &mut Decoder<'_>) -> Result<i64> {
    let seq = decoder.read_int()?;
    if !(1..=MAX_SEQ).contains(&seq) {
        return Err(Error::new(
            Code::InvalidEvent,
            format!("seq {seq} is not a positive integer below 2^53"),
        ));
    }
    Ok(seq)
}

fn read_did<'a>(decoder: &mut Decoder<'a>) -> Result<&'a str> {
    let did = decoder.read_str()?;
    ensure_valid_did(did)?;
    Ok(did)
}

fn read_time<'a>(decoder: &mut Decoder<'a>) -> Result<&'a str> {
    let time = decoder.read_str()?;
    ensure_valid_datetime(time)?;
    Ok(time)
}

fn read_blocks<'a>(decoder: &mut Decoder<'a>, t: &str, max: usize) -> Result<&'a [u8]> {
    let blocks = decoder.read_bytes()?;
    if blocks.len() > max {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "{t} event: `blocks` of {} bytes exceeds the limit of {max}",
                blocks.len()
            ),
        ));
    }
    Ok(blocks)
}

fn read_commit<'a>(decoder: &mut Decoder<'a>) -> Result<CommitEvent<'a>> {
    const T: &str = "#commit";
    let (mut seq, mut repo, mut rev, mut since, mut commit) = (None, None, None, None, None);
    let (mut too_big, mut blocks, mut ops, mut prev_data, mut time) =
        (None, None, None, None, None);
    read_fields(decoder, T, &mut |key, d| {
        match key {
            "seq" => seq = Some(read_seq(d)?),
            "repo" => repo = Some(read_did(d)?),
            "rev" => {
                let text = d.read_str()?;
                rev = Some((Tid::parse(text)?, text));
            }
            "since" => {
                let text = d.read_null_or_str()?;
                if let Some(text) = text {
                    Tid::parse(text)?;
                }
                since = Some(text);
            }
            "commit" => commit = Some(d.read_link()?),
            "tooBig" => too_big = Some(d.read_bool()?),
            "blocks" => blocks = Some(read_blocks(d, T, MAX_COMMIT_BLOCKS)?),
            "ops" => ops = Some(read_ops(d)?),
            "prevData" => prev_data = Some(d.read_link()?),
            "time" => time = Some(read_time(d)?),
            "rebase" => {
                // Deprecated (always false), but typed.
                d.read_bool()?;
            }
            "blobs" => {
                // Deprecated (always empty), but typed: an array of links.
                let count = d.read_array_header()?;
                for _ in 0..count {
                    d.read_link()?;
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let present = [
        rev.is_some(),
        seq.is_some(),
        repo.is_some(),
        since.is_some(),
        commit.is_some(),
        too_big.is_some(),
        blocks.is_some(),
        ops.is_some(),
        time.is_some(),
    ];
    let (
        Some((rev, rev_text)),
        Some(seq),
        Some(repo),
        Some(since),
        Some(commit),
        Some(too_big),
        Some(blocks),
        Some(ops),
        Some(time),
    ) = (rev, seq, repo, since, commit, too_big, blocks, ops, time)
    else {
        const FIELDS: [&str; 9] = [
            "rev", "seq", "repo", "since", "commit", "tooBig", "blocks", "ops", "time",
        ];
        return Err(missing_field(T, &FIELDS, &present));
    };
    Ok(CommitEvent {
        seq,
        repo,
        rev,
        rev_text,
        since,
        commit,
        too_big,
        blocks,
        ops,
        prev_data,
        time,
    })
}

fn read_ops<'a>(decoder: &mut Decoder<'a>) -> Result<Vec<RepoOp<'a>>> {
    let count = decoder.read_array_header()?;
    if count > MAX_OPS {
        return Err(Error::new(
            Code::LimitExceeded,
            format!("#commit event: {count} ops exceed the limit of {MAX_OPS}"),
        ));
    }
    let mut ops = Vec::with_capacity(count);
    for index in 0..count {
        let op = read_op(decoder).map_err(|e| e.context(format_args!("ops[{index}]")))?;
        ops.push(op);
    }
    Ok(ops)
}

fn read_op<'a>(decoder: &mut Decoder<'a>) -> Result<RepoOp<'a>> {
    let (mut action, mut path, mut cid, mut prev) = (None, None, None, None);
    let entries = decoder.read_map_header()?;
    let mut previous = None;
    for _ in 0..entries {
        let key = decoder.next_key(previous)?;
        match key {
            "action" => {
                action = Some(match decoder.read_str()? {
                    "create" => Action::Create,
                    "update" => Action::Update,
                    "delete" => Action::Delete,
                    other => {
                        return Err(Error::new(
                            Code::InvalidEvent,
                            format!("action {} is not create, update or delete", quote(other)),
                        ))
                    }
                })
            }
            "path" => {
                let text = decoder.read_str()?;
                ensure_valid_repo_path(text)?;
                path = Some(text);
            }
            "cid" => cid = Some(decoder.read_null_or_link()?),
            "prev" => prev = Some(decoder.read_link()?),
            _ => {
                decoder.skip_value()?;
            }
        }
        previous = Some(key);
    }
    let missing = |field: &str| Error::new(Code::InvalidEvent, format!("no `{field}`"));
    Ok(RepoOp {
        action: action.ok_or_else(|| missing("action"))?,
        path: path.ok_or_else(|| missing("path"))?,
        cid: cid.ok_or_else(|| missing("cid"))?,
        prev,
    })
}

fn read_sync<'a>(decoder: &mut Decoder<'a>) -> Result<SyncEvent<'a>> {
    const T: &str = "#sync";
    let (mut seq, mut did, mut rev, mut blocks, mut time) = (None, None, None, None, None);
    read_fields(decoder, T, &mut |key, d| {
        match key {
            "seq" => seq = Some(read_seq(d)?),
            "did" => did = Some(read_did(d)?),
            "rev" => {
                let text = d.read_str()?;
                rev = Some((Tid::parse(text)?, text));
            }
            "blocks" => blocks = Some(read_blocks(d, T, MAX_SYNC_BLOCKS)?),
            "time" => time = Some(read_time(d)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let present = [
        rev.is_some(),
        seq.is_some(),
        did.is_some(),
        blocks.is_some(),
        time.is_some(),
    ];
    let (Some((rev, rev_text)), Some(seq), Some(did), Some(blocks), Some(time)) =
        (rev, seq, did, blocks, time)
    else {
        const FIELDS: [&str; 5] = ["rev", "seq", "did", "blocks", "time"];
        return Err(missing_field(T, &FIELDS, &present));
    };
    Ok(SyncEvent {
        seq,
        did,
        rev,
        rev_text,
        blocks,
        time,
    })
}

fn read_identity<'a>(decoder: &mut Decoder<'a>) -> Result<IdentityEvent<'a>> {
    const T: &str = "#identity";
    let (mut seq, mut did, mut time, mut handle) = (None, None, None, None);
    read_fields(decoder, T, &mut |key, d| {
        match key {
            "seq" => seq = Some(read_seq(d)?),
            "did" => did = Some(read_did(d)?),
            "time" => time = Some(read_time(d)?),
            "handle" => {
                let text = d.read_str()?;
                ensure_valid_handle(text)?;
                handle = Some(text);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let present = [seq.is_some(), did.is_some(), time.is_some()];
    let (Some(seq), Some(did), Some(time)) = (seq, did, time) else {
        return Err(missing_field(T, &["seq", "did", "time"], &present));
    };
    Ok(IdentityEvent {
        seq,
        did,
        time,
        handle,
    })
}

fn read_account<'a>(decoder: &mut Decoder<'a>) -> Result<AccountEvent<'a>> {
    const T: &str = "#account";
    let (mut seq, mut did, mut time, mut active, mut status) = (None, None, None, None, None);
    read_fields(decoder, T, &mut |key, d| {
        match key {
            "seq" => seq = Some(read_seq(d)?),
            "did" => did = Some(read_did(d)?),
            "time" => time = Some(read_time(d)?),
            "active" => active = Some(d.read_bool()?),
            "status" => status = Some(d.read_str()?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let present = [
        seq.is_some(),
        did.is_some(),
        time.is_some(),
        active.is_some(),
    ];
    let (Some(seq), Some(did), Some(time), Some(active)) = (seq, did, time, active) else {
        return Err(missing_field(
            T,
            &["seq", "did", "time", "active"],
            &present,
        ));
    };
    Ok(AccountEvent {
        seq,
        did,
        time,
        active,
        status,
    })
}

fn read_info<'a>(decoder: &mut Decoder<'a>) -> Result<InfoEvent<'a>> {
    const T: &str = "#info";
    let (mut name, mut message) = (None, None);
    read_fields(decoder, T, &mut |key, d| {
        match key {
            "name" => name = Some(d.read_str()?),
            "message" => message = Some(d.read_str()?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let Some(name) = name else {
        return Err(missing_field(T, &["name"], &[false]));
    };
    Ok(InfoEvent { name, message })
}

fn read_error<'a>(decoder: &mut Decoder<'a>) -> Result<Event<'a>> {
    const T: &str = "error";
    let (mut error, mut message) = (None, None);
    read_fields(decoder, T, &mut |key, d| {
        match key {
            "error" => error = Some(d.read_str()?),
            "message" => message = Some(d.read_str()?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    let Some(error) = error else {
        return Err(missing_field(T, &["error"], &[false]));
    };
    Ok(Event::Error { error, message })
}
