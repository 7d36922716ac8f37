//! Writing `#commit` and `#sync` frames as a PDS emits them.

use super::frame::RepoOp;
use crate::cbor::{encode, Encoder, Value};
use crate::cid::Cid;

/// The fields of a `#commit` event to write (see [`encode_commit_frame`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitFrame<'a> {
    /// The stream sequence number.
    pub seq: i64,
    /// The account's DID.
    pub repo: &'a str,
    /// The commit block's CID.
    pub commit: Cid,
    /// The commit's revision.
    pub rev: &'a str,
    /// The previous commit's revision.
    pub since: Option<&'a str>,
    /// The CAR slice of the commit.
    pub blocks: &'a [u8],
    /// The record operations, in the order they were written.
    pub ops: &'a [RepoOp<'a>],
    /// The MST root before the commit.
    pub prev_data: Option<Cid>,
    /// When the event was made (an atproto datetime).
    pub time: &'a str,
}

/// The bytes of one WebSocket message carrying `frame`: the header `{op: 1, t: "#commit"}`, then
/// the body with every field the lexicon defines, as the reference PDS fills them: `rebase` and
/// `tooBig` false, `blobs` empty (both deprecated), `prev` on an op only when it has one, `since`
/// null when there is none, `prevData` left out when there is none. Keys are written in canonical
/// order.
pub fn encode_commit_frame(frame: &CommitFrame<'_>) -> Vec<u8> {
    let mut out = Encoder::new();
    out.write_map_header(2);
    out.write_key("t");
    out.write_str("#commit");
    out.write_key("op");
    out.write_int(1);

    out.write_map_header(if frame.prev_data.is_some() { 12 } else { 11 });
    out.write_key("ops");
    out.write_array_header(frame.ops.len());
    for op in frame.ops {
        out.write_map_header(if op.prev.is_some() { 4 } else { 3 });
        out.write_key("cid");
        match &op.cid {
            Some(cid) => out.write_link(cid),
            None => out.write_null(),
        }
        out.write_key("path");
        write_text(&mut out, op.path);
        if let Some(prev) = &op.prev {
            out.write_key("prev");
            out.write_link(prev);
        }
        out.write_key("action");
        write_text(&mut out, op.action.as_str());
    }
    out.write_key("rev");
    write_text(&mut out, frame.rev);
    out.write_key("seq");
    out.write_int(frame.seq);
    out.write_key("repo");
    write_text(&mut out, frame.repo);
    out.write_key("time");
    write_text(&mut out, frame.time);
    out.write_key("blobs");
    out.write_array_header(0);
    out.write_key("since");
    match frame.since {
        Some(since) => write_text(&mut out, since),
        None => out.write_null(),
    }
    out.write_key("blocks");
    out.write_bytes(frame.blocks);
    out.write_key("commit");
    out.write_link(&frame.commit);
    out.write_key("rebase");
    out.write_bool(false);
    out.write_key("tooBig");
    out.write_bool(false);
    if let Some(prev_data) = &frame.prev_data {
        out.write_key("prevData");
        out.write_link(prev_data);
    }
    out.into_bytes()
}

/// Writes a text string whose length is known only at run time, out of line: inlined, each of the
/// frame's six was a head of five widths and a copy of its own (a frame is written once per
/// commit, a call costs nothing there).
#[inline(never)]
fn write_text(out: &mut Encoder, value: &str) {
    out.write_str(value);
}

/// The fields of a `#sync` event to write (see [`encode_sync_frame`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncFrame<'a> {
    /// The stream sequence number.
    pub seq: i64,
    /// The account's DID.
    pub did: &'a str,
    /// The commit's revision.
    pub rev: &'a str,
    /// A CAR holding the signed commit block, its CID the first root.
    pub blocks: &'a [u8],
    /// When the event was made (an atproto datetime).
    pub time: &'a str,
}

/// The bytes of one WebSocket message carrying `frame`: the header `{op: 1, t: "#sync"}`, then
/// the body's five fields. Made by the generic encoder (a `#sync` is rare; its code is small),
/// which fails only beyond the default limits: `limit-exceeded` for blocks over 5 MiB.
pub fn encode_sync_frame<'a>(frame: &SyncFrame<'a>) -> crate::Result<Vec<u8>> {
    let text = |s: &'a str| Value::String(s.into());
    let header = Value::Map(vec![
        ("t".into(), text("#sync")),
        ("op".into(), Value::Integer(1)),
    ]);
    let body = Value::Map(vec![
        ("did".into(), text(frame.did)),
        ("rev".into(), text(frame.rev)),
        ("seq".into(), Value::Integer(frame.seq)),
        ("time".into(), text(frame.time)),
        ("blocks".into(), Value::Bytes(frame.blocks.into())),
    ]);
    let mut out = encode(&header)?;
    out.extend_from_slice(&encode(&body)?);
    Ok(out)
}
