//! CAR files and repositories for JavaScript: `readCar`, `CarReader`, `verifyRepo`,
//! `RepoVerifier` (streaming), `verifyRecord`.
//!
//! Results cross the boundary as few times as possible: `readCar` hands over one string of CID
//! strings and one array of offsets, and `blockMap` in `repo.js` builds the `Map` of views into the
//! caller's own bytes; `verifyRepo` hands over one string of every path and CID, and `RepoRecords`
//! makes each `{ path, cid }` only when asked.

use super::{
    bytes_arg, bytes_js, cid_js, crypto::key_arg, string_arg, type_error, with_bytes, ObjectBuilder,
};
use crate::car::{count_sections, CarItem, CarLimits, CarStreamReader};
use crate::cid::{Cid, CID_STRING_LEN};
use crate::crypto::PublicKey;
use crate::repo::{self, RepoStreamVerifier, StreamProgress, VerifiedRepo, VerifyOptions};
use crate::support::memory;
use crate::{Code, Error};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/bindings/repo.js")]
extern "C" {
    #[wasm_bindgen(js_name = RepoRecords)]
    type JsRepoRecords;
    #[wasm_bindgen(constructor, js_class = RepoRecords)]
    fn new(text: &[u8], path_ends: Vec<u32>) -> JsRepoRecords;

    #[wasm_bindgen(js_name = blockMap)]
    fn block_map(cids: &[u8], offsets: Vec<u32>, input: &JsValue) -> js_sys::Map;
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** The records of a verified repository, in MST key order. */
export declare class RepoRecords implements Iterable<{ path: string; cid: string }> {
  /** The number of records. */
  readonly length: number;
  /** The record at `index` (negative counts from the end), or undefined. */
  at(index: number): { path: string; cid: string } | undefined;
  /** The CID of the record at `path` ("collection/rkey"), or undefined. */
  get(path: string): string | undefined;
  [Symbol.iterator](): Iterator<{ path: string; cid: string }>;
  toJSON(): { path: string; cid: string }[];
}
/** A verified repository. */
export interface VerifiedRepo {
  did: string;
  rev: string;
  version: number;
  /** CID of the commit block. */
  commit: string;
  /** CID of the MST root. */
  data: string;
  /** true when a key was given (and the signature verified: otherwise verification throws). */
  signatureVerified: boolean;
  records: RepoRecords;
}
/** Options of verifyRepo and RepoVerifier. */
export interface VerifyRepoOptions {
  /** The DID the commit must name. */
  did?: string;
  /** The account's signing key (did:key or multibase): the commit signature must verify with it. */
  key?: string;
}
/** How far a streaming verification or read has come. */
export interface StreamProgress {
  blocks: number;
  bytes: number;
  /** Valid record blocks read so far (for a progress display; the tree's links are checked at the end). */
  records: number;
}
"#;

/// A key argument that names its curve (a did:key or a multikey; not a bare legacy key).
pub(super) fn one_key(value: &JsValue) -> Result<PublicKey, Error> {
    let (text, keys) = key_arg(value)?;
    match keys[..] {
        [key] => Ok(key),
        _ => Err(Error::formatted(
            Code::UnsupportedKeyType,
            format_args!("the key {text} names no curve: pass its did:key"),
        )),
    }
}

/// `options[key]`, or undefined when `options` is undefined or null.
pub(super) fn get(options: &JsValue, key: &str) -> Result<JsValue, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    if !options.is_object() {
        return Err(type_error("options", "an object", options));
    }
    js_sys::Reflect::get(options, &key.into()).map_err(|_| {
        Error::formatted(
            Code::InvalidArgument,
            format_args!("options.{key} cannot be read"),
        )
    })
}

/// `{ did?, key? }` as verification options.
fn verify_options(options: &JsValue) -> Result<VerifyOptions, Error> {
    let did = get(options, "did")?;
    let did = if did.is_undefined() {
        None
    } else {
        let did = string_arg(
            &did,
            "options.did",
            crate::syntax::identifiers::MAX_DID_LEN,
            Code::InvalidDid,
        )?;
        crate::syntax::ensure_valid_did(&did)?;
        Some(did)
    };
    let key = get(options, "key")?;
    let key = if key.is_undefined() {
        None
    } else {
        Some(one_key(&key)?)
    };
    Ok(VerifyOptions {
        did,
        key,
        limits: CarLimits::DEFAULT,
    })
}

/// The JS object of a verified repository.
fn verified_repo_to_js(repo: VerifiedRepo) -> Result<JsValue, JsValue> {
    // The text: every path (the records' own buffer), then every CID string.
    let (paths, ends, cids) = repo.records.into_parts();
    let mut text = paths.into_bytes();
    text.reserve_exact(cids.len() * CID_STRING_LEN);
    for cid in &cids {
        cid.write_string_bytes(&mut text);
    }
    let path_ends: Vec<u32> = ends.into_iter().map(|end| end as u32).collect();
    let mut out = ObjectBuilder::new();
    out.set("did", repo.did.as_str().into());
    out.set("rev", repo.rev.as_str().into());
    out.set("version", (repo.version as f64).into());
    out.set("commit", cid_js(&repo.commit));
    out.set("data", cid_js(&repo.data));
    out.set("signatureVerified", repo.signature_verified.into());
    out.set("records", JsRepoRecords::new(&text, path_ends).into());
    out.finish()
}

/// The largest CAR that `readCar`, `recordProof` and `verifyRecord` take. They copy it into wasm
/// memory whole and index it, which takes up to about 2.8 times its size for a CAR of the smallest
/// possible blocks: within WebAssembly's 4 GiB. Larger CARs go through the streaming functions.
pub(super) const MAX_WHOLE_CAR_BYTES: usize = 1 << 30;

/// How much of a `Uint8Array` is copied into wasm memory at a time by the functions that feed a
/// streaming reader: wasm memory holds what the reader keeps, never the caller's whole buffer.
const FEED_SLICE: u32 = 1 << 20;

/// Runs `feed` on `bytes` (a `Uint8Array` argument named `what`) one slice of at most
/// [`FEED_SLICE`] bytes at a time, each copied into wasm memory in turn.
fn feed_in_slices(
    bytes: &JsValue,
    what: &str,
    mut feed: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    feed_slices(bytes, what, &mut feed)
}

/// [`feed_in_slices`]'s body, one copy for every feeder (a call per slice through `dyn`; shaped for
/// size: docs/performance.md, "wasm size").
#[inline(never)]
fn feed_slices(
    bytes: &JsValue,
    what: &str,
    feed: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    let Some(array) = bytes.dyn_ref::<js_sys::Uint8Array>() else {
        return Err(type_error(what, "a Uint8Array", bytes));
    };
    let len = array.length();
    let mut start = 0;
    while start < len {
        let end = len.min(start.saturating_add(FEED_SLICE));
        let slice: JsValue = array.subarray(start, end).into();
        with_bytes(&slice, what, FEED_SLICE as usize, &mut *feed)?;
        start = end;
    }
    Ok(())
}

/// Reads a whole CAR: `{ roots, blocks }`, `blocks` a `Map` from CID string to a view of the block
/// in `bytes` (no copy), in file order. Every block's hash is checked (`cid-mismatch`).
#[wasm_bindgen(js_name = readCar, unchecked_return_type = "{ roots: string[]; blocks: Map<string, Uint8Array> }")]
pub fn read_car(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    let (roots, cids, offsets) = with_bytes(&bytes, "bytes", MAX_WHOLE_CAR_BYTES, |input| {
        let base = input.as_ptr() as usize;
        let mut roots: Vec<Cid> = Vec::new();
        // Reserved at their exact size (growth by doubling would hold two copies at its peak):
        // with the input, at most ~2.8 times the CAR, for one of the smallest possible blocks.
        let sections = count_sections(input, &CarLimits::DEFAULT);
        let mut cids = memory::vec_with_capacity(sections.saturating_mul(CID_STRING_LEN))?;
        let mut offsets: Vec<u32> = memory::vec_with_capacity(sections.saturating_mul(2))?;
        let mut reader = CarStreamReader::new();
        reader.feed(input, |item| {
            match item {
                CarItem::Header { roots: r } => roots.extend_from_slice(r),
                CarItem::Block { cid, data } => {
                    memory::reserve(&mut cids, CID_STRING_LEN)?;
                    memory::reserve(&mut offsets, 2)?;
                    cid.write_string_bytes(&mut cids);
                    offsets.extend([(data.as_ptr() as usize - base) as u32, data.len() as u32]);
                }
            }
            Ok(())
        })?;
        reader.finish()?;
        Ok::<_, Error>((roots, cids, offsets))
    })?;
    let mut out = ObjectBuilder::new();
    let root_strings: js_sys::Array = roots.iter().map(cid_js).collect();
    out.set("roots", root_strings.into());
    out.set("blocks", block_map(&cids, offsets, &bytes).into());
    out.finish()
}

/// Verifies a repository CAR (`com.atproto.sync.getRepo`) in full: every block hash, the commit
/// (fields; `did` and signature with `key` when given), the MST's structure and canonical form,
/// every record present and valid. Returns the commit's fields and every record in key order.
#[wasm_bindgen(js_name = verifyRepo, unchecked_return_type = "VerifiedRepo")]
pub fn verify_repo(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] car: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "VerifyRepoOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = verify_options(&options)?;
    // The caller's buffer streamed through the streaming verifier: wasm memory holds the MST, not
    // the CAR.
    let mut verifier = RepoStreamVerifier::new(options);
    feed_in_slices(&car, "car", |input| verifier.feed(input).map(|_| ()))?;
    verified_repo_to_js(verifier.finish()?)
}

/// Verifies a `com.atproto.sync.getRecord` proof CAR: `{ cid, record, commit, rev, data }` (the
/// record decoded; the commit it hangs from, its rev and MST root), with `cid` and `record` null
/// when the proof shows the record absent.
#[wasm_bindgen(js_name = verifyRecord, unchecked_return_type = "{ cid: string | null; record: unknown; commit: string; rev: string; data: string }")]
pub fn verify_record(
    #[wasm_bindgen(js_name = proofCar, unchecked_param_type = "Uint8Array")] proof_car: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "{ did: string; key: string; collection: string; rkey: string }"
    )]
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let verify = verify_options(&options)?;
    let did = verify
        .did
        .ok_or_else(|| Error::new(Code::InvalidArgument, "options.did is required"))?;
    let key = verify
        .key
        .ok_or_else(|| Error::new(Code::InvalidArgument, "options.key is required"))?;
    let collection = string_arg(
        &get(&options, "collection")?,
        "options.collection",
        317,
        Code::InvalidNsid,
    )?;
    let rkey = string_arg(
        &get(&options, "rkey")?,
        "options.rkey",
        512,
        Code::InvalidRecordKey,
    )?;
    let mut proof = Vec::new();
    bytes_arg(&proof_car, "proofCar", MAX_WHOLE_CAR_BYTES, &mut proof)?;
    let mut out = ObjectBuilder::new();
    let proven = repo::verify_record(&proof, &did, &key, &collection, &rkey)?;
    out.set("commit", cid_js(&proven.commit));
    out.set("rev", proven.rev.into());
    out.set("data", cid_js(&proven.data));
    match proven.record {
        Some(found) => {
            out.set("cid", cid_js(&found.cid));
            let record =
                super::data_model::decode_to_js(found.record, crate::cbor::Limits::RECORD)?;
            out.set("record", record);
        }
        None => {
            out.set("cid", JsValue::NULL);
            out.set("record", JsValue::NULL);
        }
    }
    out.finish()
}

/// Makes the proof CAR of one record out of a whole repository CAR — what
/// `com.atproto.sync.getRecord` serves: the commit, the MST nodes from the root to the record's key
/// (its neighbours' too, for an absent key) and the record. `verifyRecord` checks it.
#[wasm_bindgen(js_name = recordProof)]
pub fn record_proof(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] car: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] rkey: JsValue,
) -> Result<js_sys::Uint8Array, JsValue> {
    let collection = string_arg(&collection, "collection", 317, Code::InvalidNsid)?;
    let rkey = string_arg(&rkey, "rkey", 512, Code::InvalidRecordKey)?;
    let proof = with_bytes(&car, "car", MAX_WHOLE_CAR_BYTES, |input| {
        repo::record_proof_car(input, &collection, &rkey)
    })?;
    Ok(bytes_js(&proof))
}

fn progress_to_js(progress: &StreamProgress) -> Result<JsValue, JsValue> {
    let mut out = ObjectBuilder::new();
    out.set("blocks", (progress.blocks as f64).into());
    out.set("bytes", (progress.bytes as f64).into());
    out.set("records", (progress.records as f64).into());
    out.finish()
}

/// Verifies a repository CAR as its chunks arrive (`push`), with progress, holding the MST but not
/// the records; `finish()` gives what `verifyRepo` gives. See also `verifyRepoStream`.
#[wasm_bindgen]
pub struct RepoVerifier(Option<RepoStreamVerifier>);

#[wasm_bindgen]
impl RepoVerifier {
    /// A verifier with `{ did?, key? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyRepoOptions")] options: JsValue,
    ) -> Result<RepoVerifier, JsValue> {
        Ok(RepoVerifier(Some(RepoStreamVerifier::new(verify_options(
            &options,
        )?))))
    }

    /// Feeds the next chunk: `{ blocks, bytes }` read so far.
    #[wasm_bindgen(unchecked_return_type = "StreamProgress")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: JsValue,
    ) -> Result<JsValue, JsValue> {
        let verifier = self.0.as_mut().ok_or_else(finished)?;
        feed_in_slices(&chunk, "chunk", |input| verifier.feed(input).map(|_| ()))?;
        let progress = verifier.progress();
        progress_to_js(&progress)
    }

    /// Checks the whole repository once every chunk is in: the result of `verifyRepo`.
    #[wasm_bindgen(unchecked_return_type = "VerifiedRepo")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let verifier = self.0.take().ok_or_else(finished)?;
        verified_repo_to_js(verifier.finish()?)
    }
}

fn finished() -> Error {
    Error::new(Code::InvalidArgument, "this verifier has finished")
}

/// Reads a CAR as its chunks arrive: `push(chunk)` returns the blocks it completed
/// (`{ cid, bytes }`, hash-checked, bytes copied out), `roots` once the header is in. See also
/// `readCarStream`.
#[wasm_bindgen]
pub struct CarReader(CarStreamReader);

#[wasm_bindgen]
impl CarReader {
    /// A new reader.
    #[wasm_bindgen(constructor)]
    pub fn new() -> CarReader {
        CarReader(CarStreamReader::new())
    }

    /// The CAR's roots (CID strings), or undefined before the header is read.
    #[wasm_bindgen(getter, unchecked_return_type = "string[] | undefined")]
    pub fn roots(&self) -> JsValue {
        match self.0.roots() {
            Some(roots) => roots.iter().map(cid_js).collect::<js_sys::Array>().into(),
            None => JsValue::UNDEFINED,
        }
    }

    /// Feeds the next chunk; the blocks it completed, in file order.
    #[wasm_bindgen(unchecked_return_type = "{ cid: string; bytes: Uint8Array }[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: JsValue,
    ) -> Result<js_sys::Array, JsValue> {
        let blocks = js_sys::Array::new();
        let reader = &mut self.0;
        feed_in_slices(&chunk, "chunk", |input| {
            reader.feed(input, |item| {
                if let CarItem::Block { cid, data } = item {
                    let mut block = ObjectBuilder::new();
                    block.set("cid", cid_js(&cid));
                    block.set("bytes", js_sys::Uint8Array::from(data).into());
                    let block = block.finish().map_err(|_| {
                        Error::new(Code::InvalidArgument, "a block object could not be built")
                    })?;
                    blocks.push(&block);
                }
                Ok(())
            })
        })?;
        Ok(blocks)
    }

    /// Checks that the CAR ended cleanly (not inside a block).
    pub fn finish(&self) -> Result<(), JsValue> {
        Ok(self.0.finish()?)
    }
}

impl Default for CarReader {
    fn default() -> Self {
        CarReader::new()
    }
}
