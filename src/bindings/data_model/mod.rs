//! The data model for JavaScript: `decodeCbor`, `encodeCbor`, `validateCbor`, `cidForCbor`,
//! `cidForValue`, `fromJson`, `toJson`, and the `CidLink` class of decoded links.
//!
//! JS values: maps are plain objects, arrays are arrays, byte strings are `Uint8Array`s, links are
//! `CidLink` instances (`{ $link }`), integers are numbers within ±(2^53−1) and bigints beyond.
//!
//! Decoding crosses the JS boundary once per value: the decoder's events become a "tape" of u32 ops
//! in wasm memory, all new strings go into two text buffers (each decoded to a JS string once, by
//! values.js, which picks the fastest decoder of the runtime for ASCII), and `values.js` builds the
//! objects from views of them. ASCII strings and non-ASCII ones go into
//! separate texts: one non-ASCII character would make V8 decode the whole text into a two-byte
//! string, slower to decode and making every string cut from it two-byte too. Map keys and `$type`
//! values are interned: the same key is decoded to a JS string once per process. The tape format,
//! op by op (words):
//!
//! | op | words after it |
//! | --- | --- |
//! | `Null`, `True`, `False` | — |
//! | `Int32` | value as i32 |
//! | `Int53`, `Int64` | low 32 bits, high 32 bits (a number; a bigint) |
//! | `String`, `WideString` | start and end in the ASCII text (bytes) / the other (UTF-16 units) |
//! | `Interned` | intern id |
//! | `Intern`, `InternWide` | new intern id, start, end (in the text as for the strings) |
//! | `Bytes` | offset and length in the input |
//! | `Link` | start and end of its CID string in the ASCII text |
//! | `Array`, `Map` | item / entry count, then the items (a map: key op, value op per entry) |
//!
//! The rooms: `tape.rs` (the tape and its building), `interner.rs` (the intern table),
//! `from_js.rs` (JS values into data-model values).

use super::{cid_js, put_back_input, take_input, with_bytes};
use crate::cbor::{self, Limits};
use crate::cid::Cid;
use crate::support::memory;
use crate::{Code, Error};
use std::cell::Cell;
use wasm_bindgen::prelude::*;

#[cfg(feature = "full")]
mod from_js;
mod interner;
mod tape;

#[cfg(feature = "full")]
pub(super) use from_js::record_from_js;
#[cfg(feature = "full")]
use from_js::value_from_js;
pub(super) use tape::decode_to_js;
use tape::{build, with_tape, write_tape};

#[wasm_bindgen(module = "/src/bindings/values.js")]
extern "C" {
    /// The class of decoded links.
    #[wasm_bindgen(js_name = CidLink)]
    pub type JsCidLink;
    #[wasm_bindgen(method, getter, js_name = "$link")]
    fn link(this: &JsCidLink) -> JsValue;

    #[wasm_bindgen(js_name = registerInstance)]
    fn register_instance(memory: &JsValue) -> u32;
    fn materialize(
        instance: u32,
        ops_address: usize,
        ascii_address: usize,
        ascii_len: usize,
        wide_address: usize,
        wide_len: usize,
        input_address: usize,
        count: i32,
    ) -> JsValue;
    #[wasm_bindgen(js_name = takeFailure)]
    fn take_failure() -> JsValue;
    #[wasm_bindgen(js_name = gatherBlocks)]
    fn gather_blocks(blocks: &JsValue, count: u32, max_block: usize, max_total: usize) -> f64;
    #[wasm_bindgen(js_name = copyBlocks)]
    fn copy_blocks(instance: u32, address: usize, ends_address: usize) -> f64;
}

thread_local! {
    /// This instance's id in values.js, once it has handed over its memory.
    static INSTANCE: Cell<Option<u32>> = const { Cell::new(None) };
}

/// This instance's id in values.js, which every call that reads or writes wasm memory passes
/// (values.js may serve several instances, each with its own memory and intern table).
pub(super) fn instance() -> u32 {
    INSTANCE.get().unwrap_or_else(|| {
        let id = register_instance(&wasm_bindgen::memory());
        INSTANCE.set(Some(id));
        id
    })
}

/// Decodes one DRISL value into a JS value: objects, arrays, strings, numbers (bigints beyond
/// ±(2^53−1)), booleans, null, `Uint8Array` byte strings and `CidLink` links. Strict: every DRISL
/// rule is checked and the first broken one throws an `AtproofError` naming it and its byte offset.
#[wasm_bindgen(js_name = decodeCbor, unchecked_return_type = "unknown")]
pub fn decode_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    with_bytes(&bytes, "bytes", cbor::MAX_CBOR_FRAME_SIZE, |input| {
        decode_to_js(input, Limits::DEFAULT)
    })
}

/// Most values one `decodeCborMany` call takes.
const MAX_MANY_VALUES: usize = 1 << 20;
/// Most bytes one `decodeCborMany` call takes, all values together.
const MAX_MANY_BYTES: usize = 64 << 20;

/// Decodes many DRISL values (an array of `Uint8Array`s) in one call: the same values as
/// `blocks.map(decodeCbor)`, with the JS boundary crossed once for all of them. An invalid block
/// throws an `AtproofError` naming its index.
#[wasm_bindgen(js_name = decodeCborMany, unchecked_return_type = "unknown[]")]
pub fn decode_cbor_many(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] blocks: JsValue,
) -> Result<JsValue, JsValue> {
    if !js_sys::Array::is_array(&blocks) {
        return Err(Error::new(
            Code::InvalidArgument,
            "blocks must be an array of Uint8Array",
        )
        .into());
    }
    let blocks: &js_sys::Array = blocks.unchecked_ref();
    let count = blocks.length() as usize;
    if count > MAX_MANY_VALUES {
        return Err(Error::formatted(
            Code::LimitExceeded,
            format_args!("{count} values exceed the limit of {MAX_MANY_VALUES} per call"),
        )
        .into());
    }
    let mut input = take_input();
    let result = decode_many(&mut input, blocks, count);
    put_back_input(input);
    result
}

/// Copies the blocks into `input` (values.js reads them: two calls instead of three per block).
fn decode_many(
    input: &mut Vec<u8>,
    blocks: &js_sys::Array,
    count: usize,
) -> Result<JsValue, JsValue> {
    let total = gather_blocks(
        blocks,
        count as u32,
        cbor::MAX_CBOR_FRAME_SIZE,
        MAX_MANY_BYTES,
    );
    if total < 0.0 {
        let code = (-total - 1.0) as usize;
        let i = code / 2;
        return Err(if code % 2 == 0 {
            Error::formatted(
                Code::InvalidArgument,
                format_args!("blocks[{i}] is not a Uint8Array"),
            )
        } else {
            Error::formatted(
                Code::LimitExceeded,
                format_args!("blocks[{i}]: over the size limit"),
            )
        }
        .into());
    }
    let total = total as usize;
    input.clear();
    memory::reserve(input, total)?;
    let mut ends: Vec<u32> = memory::vec_with_capacity(count)?;
    let changed = copy_blocks(
        instance(),
        input.as_mut_ptr() as usize,
        ends.as_mut_ptr() as usize,
    );
    if changed >= 0.0 {
        return Err(Error::formatted(
            Code::InvalidArgument,
            format_args!(
                "blocks[{}] changed while the blocks were read",
                changed as u32
            ),
        )
        .into());
    }
    // SAFETY: the capacities were reserved above; copyBlocks, having found every block at the
    // length gatherBlocks counted, wrote exactly `total` bytes and `count` ends.
    #[allow(unsafe_code)]
    unsafe {
        input.set_len(total);
        ends.set_len(count);
    }
    with_tape(|tape, interner| {
        tape.reserve_for(input.len())?;
        let base = input.as_ptr() as usize;
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let end = end as usize;
            let block = input.get(start..end).unwrap_or_default();
            write_tape(block, base, Limits::DEFAULT, tape, interner)
                .map_err(|e| e.context(format_args!("blocks[{i}]")))?;
            start = end;
        }
        build(tape, input, Some(count))
    })
}

/// Checks that `bytes` are exactly one valid DRISL value, building nothing (throws an
/// `AtproofError` if not).
#[wasm_bindgen(js_name = validateCbor)]
pub fn validate_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<(), JsValue> {
    Ok(with_bytes(
        &bytes,
        "bytes",
        cbor::MAX_CBOR_FRAME_SIZE,
        cbor::validate,
    )?)
}

/// The CID (DRISL codec, base32 string) of valid DRISL bytes; throws if the bytes are not DRISL.
#[wasm_bindgen(js_name = cidForCbor, unchecked_return_type = "string")]
pub fn cid_for_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    Ok(with_bytes(
        &bytes,
        "bytes",
        cbor::MAX_CBOR_FRAME_SIZE,
        |input| {
            cbor::validate(input)?;
            Ok::<_, Error>(cid_js(&Cid::for_drisl(input)))
        },
    )?)
}

/// Encodes a JS value canonically (sorted keys, shortest forms). Refuses what the data model
/// cannot hold: non-integer numbers (`cbor-float`), integers outside ±(2^53−1) given as numbers
/// (`unsafe-integer`; use a bigint), `undefined` in arrays, functions, symbols and non-plain
/// objects (`invalid-value`). Object properties whose value is `undefined` are left out, as in JSON.
/// Plain `{ $link: "<CID>" }` and `{ $bytes: "<base64>" }` objects are the link and the bytes they
/// mean (atproto JSON's forms).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = encodeCbor)]
pub fn encode_cbor(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> Result<js_sys::Uint8Array, JsValue> {
    Ok(super::bytes_js(&cbor::encode(&value_from_js(&value)?)?))
}

/// The CID of a JS value's canonical encoding.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = cidForValue, unchecked_return_type = "string")]
pub fn cid_for_value(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> Result<JsValue, JsValue> {
    let bytes = cbor::encode(&value_from_js(&value)?)?;
    Ok(cid_js(&Cid::for_drisl(&bytes)))
}

/// Turns atproto JSON (an object as `JSON.parse` gives it, or JSON text) into a value:
/// `{"$link"}` becomes a `CidLink`, `{"$bytes"}` a `Uint8Array`; blobs and `$type` are checked.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = fromJson, unchecked_return_type = "unknown")]
pub fn from_json(
    #[wasm_bindgen(unchecked_param_type = "unknown")] json: JsValue,
) -> Result<JsValue, JsValue> {
    let text = super::json_text_arg(
        &json,
        "JSON",
        cbor::json::MAX_JSON_RECORD_SIZE,
        Code::InvalidJson,
    )?;
    let bytes = cbor::encode(&cbor::json::from_json_text(&text)?)?;
    decode_to_js(&bytes, Limits::DEFAULT)
}

/// Turns a value into atproto JSON (a plain object): links become `{"$link"}`, bytes `{"$bytes"}`.
/// Integers beyond ±(2^53−1) cannot be JSON and throw `json-integer-range`.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = toJson, unchecked_return_type = "unknown")]
pub fn to_json(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> Result<JsValue, JsValue> {
    let text = cbor::json::to_json_text(&value_from_js(&value)?)?;
    js_sys::JSON::parse(&text)
}
