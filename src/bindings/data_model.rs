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

use super::{with_bytes, INPUT, SCRATCH_KEEP};
use crate::cbor::{self, Event, Events, Limits, Value};
use crate::cid::{Cid, CID_STRING_LEN};
use crate::keyed_hash::KeyedHashMap;
use crate::memory;
use crate::{Code, Error};
use std::borrow::Cow;
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

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

/// Builds the JS values of the finished tape: `count` of them, or one when `count` is None.
/// Errs with the JS exception if JS code run while building (a setter on `Object.prototype`) threw.
fn build(tape: &Tape, input: &[u8], count: Option<usize>) -> Result<JsValue, JsValue> {
    let count = count.map_or(-1, |n| i32::try_from(n).unwrap_or(i32::MAX));
    let value = materialize(
        instance(),
        tape.ops.as_ptr() as usize,
        tape.ascii.as_ptr() as usize,
        tape.ascii.len(),
        tape.wide.as_ptr() as usize,
        tape.wide.len(),
        input.as_ptr() as usize,
        count,
    );
    if value.is_undefined() {
        return Err(take_failure());
    }
    Ok(value)
}

/// Tape op codes; `values.js` has the same numbers.
#[derive(Clone, Copy)]
#[repr(u32)]
enum Op {
    Null = 0,
    True = 1,
    False = 2,
    Int32 = 3,
    Int53 = 4,
    Int64 = 5,
    String = 6,
    Interned = 7,
    Intern = 8,
    Bytes = 9,
    Link = 10,
    Array = 11,
    Map = 12,
    WideString = 13,
    InternWide = 14,
}

/// Longest string that is interned, in bytes.
const MAX_INTERNED_LEN: usize = 64;
/// Most strings interned per process; later ones are simply not interned.
const MAX_INTERNED: u32 = 16_384;

/// The first and the last 8 bytes of `bytes` as words (zero-padded when shorter), read as whole
/// words where possible: a copy of a variable length would be a call (wasm `memory.copy`).
#[inline(always)]
fn head_and_tail(bytes: &[u8]) -> (u64, u64) {
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let head = bytes
                .iter()
                .rev()
                .fold(0u64, |word, &b| (word << 8) | u64::from(b));
            (head, head)
        }
    }
}

/// Slots of the interner's direct-mapped front cache.
const RECENT_SLOTS: usize = 512;

/// The wasm side of the string intern table (`interned` in values.js is the JS side).
///
/// The two sides must agree: an id the wasm side has handed out once is one whose string the JS
/// side has stored. A new id is handed out as an `Intern` op on the tape, and the JS side stores
/// its string only when it builds that op; a call that fails before its build has run to the end
/// (invalid DRISL after the new key, a later block of a batch, JS code that throws while building)
/// therefore [rolls back](Interner::roll_back) to the [mark](Interner::mark) taken when it
/// started, forgetting every id it handed out. The JS side may keep the strings of forgotten ids:
/// an id is always handed out again with an `Intern` op, which overwrites them.
///
/// A direct-mapped front cache answers most lookups without hashing the whole string: its slot is
/// chosen by the string's length and first 8 bytes, and strings of up to 16 bytes are identified by
/// those, their last 8 bytes and length (no comparison needed). Misses fall back to the hash map.
pub(super) struct Interner {
    /// Keyed by outside data, so with the keyed hash (no HashDoS through crafted map keys).
    ids: KeyedHashMap<Box<str>, u32>,
    /// By id, for comparing longer strings in the front cache.
    strings: Vec<Box<str>>,
    /// (first 8 bytes, last 8 bytes, length, id + 1); id + 1 = 0 marks an empty slot.
    recent: Vec<(u64, u64, u32, u32)>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            ids: KeyedHashMap::default(),
            strings: Vec::new(),
            recent: vec![(0, 0, 0, 0); RECENT_SLOTS],
        }
    }
}

impl Interner {
    /// How many ids have been handed out: the state [`roll_back`](Self::roll_back) returns to.
    fn mark(&self) -> usize {
        self.strings.len()
    }

    /// Forgets every id handed out since `mark`.
    fn roll_back(&mut self, mark: usize) {
        for string in self.strings.drain(mark..) {
            self.ids.remove(&string);
        }
        for slot in &mut self.recent {
            if slot.3 as usize > mark {
                *slot = (0, 0, 0, 0);
            }
        }
    }

    /// The id of `s` if interned, else it is interned as a new id if there is room; `(id, new)`.
    fn intern(&mut self, s: &str) -> Option<(u32, bool)> {
        let bytes = s.as_bytes();
        let (head, tail) = head_and_tail(bytes);
        let slot = ((head ^ bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55) as usize
            % RECENT_SLOTS;
        if let Some(&(h, t, len, id1)) = self.recent.get(slot) {
            if id1 != 0 && h == head && t == tail && len as usize == bytes.len() {
                let id = id1 - 1;
                if bytes.len() <= 16 || self.strings.get(id as usize).is_some_and(|t| **t == *s) {
                    return Some((id, false));
                }
            }
        }
        let (id, new) = match self.ids.get(s) {
            Some(&id) => (id, false),
            None => {
                let id = self.strings.len() as u32;
                if id >= MAX_INTERNED {
                    return None;
                }
                self.ids.insert(s.into(), id);
                self.strings.push(s.into());
                (id, true)
            }
        };
        if let Some(entry) = self.recent.get_mut(slot) {
            *entry = (head, tail, bytes.len() as u32, id + 1);
        }
        Some((id, new))
    }
}

/// The tape of one value under construction.
#[derive(Default)]
pub(super) struct Tape {
    ops: Vec<u32>,
    /// The new ASCII strings (offsets in bytes are offsets in UTF-16 units).
    ascii: String,
    /// The new non-ASCII strings, and their length in UTF-16 units.
    wide: String,
    wide_units: u32,
}

impl Tape {
    pub(super) fn shrink(&mut self, keep: usize) {
        if self.ascii.capacity() > keep || self.wide.capacity() > keep || self.ops.capacity() > keep
        {
            *self = Tape::default();
        }
    }

    /// Reserves about what the values of `input_len` bytes of records need (a 10,000-record repo:
    /// 0.6 bytes of ops and 0.7 bytes of ASCII text per input byte), sparing the copies of growth.
    fn reserve_for(&mut self, input_len: usize) -> Result<(), Error> {
        memory::reserve(&mut self.ops, input_len / 6)?;
        memory::reserve_text(&mut self.ascii, input_len - input_len / 4)
    }

    fn clear(&mut self) {
        self.ops.clear();
        self.ascii.clear();
        self.wide.clear();
        self.wide_units = 0;
    }

    /// Appends `s` to its text; whether that is the wide one, and `s`'s (start, end) in it.
    fn push_text(&mut self, s: &str) -> Result<(bool, u32, u32), Error> {
        if s.is_ascii() {
            memory::reserve_text(&mut self.ascii, s.len())?;
            let start = self.ascii.len() as u32;
            self.ascii.push_str(s);
            return Ok((false, start, self.ascii.len() as u32));
        }
        memory::reserve_text(&mut self.wide, s.len())?;
        let start = self.wide_units;
        self.wide.push_str(s);
        // One unit per UTF-8 lead byte, two for 4-byte sequences (surrogate pairs).
        let units: usize = s
            .bytes()
            .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
            .sum();
        self.wide_units = start.saturating_add(units as u32);
        Ok((true, start, self.wide_units))
    }

    fn string(
        &mut self,
        s: &str,
        intern: bool,
        interner: &mut Option<Interner>,
    ) -> Result<(), Error> {
        if let (true, Some(interner)) = (intern && s.len() <= MAX_INTERNED_LEN, interner.as_mut()) {
            match interner.intern(s) {
                Some((id, false)) => {
                    self.ops.extend([Op::Interned as u32, id]);
                    return Ok(());
                }
                Some((id, true)) => {
                    let (wide, start, end) = self.push_text(s)?;
                    let op = if wide { Op::InternWide } else { Op::Intern };
                    self.ops.extend([op as u32, id, start, end]);
                    return Ok(());
                }
                None => {}
            }
        }
        let (wide, start, end) = self.push_text(s)?;
        let op = if wide { Op::WideString } else { Op::String };
        self.ops.extend([op as u32, start, end]);
        Ok(())
    }

    /// A link: its CID string goes into the ASCII text (base32 is ASCII).
    fn link(&mut self, cid: &Cid) -> Result<(), Error> {
        use std::fmt::Write;
        memory::reserve_text(&mut self.ascii, CID_STRING_LEN)?;
        let start = self.ascii.len() as u32;
        // Writing into a String cannot fail.
        let _ = write!(self.ascii, "{cid}");
        self.ops
            .extend([Op::Link as u32, start, self.ascii.len() as u32]);
        Ok(())
    }

    fn integer(&mut self, n: i64) {
        const MAX_SAFE: i64 = (1 << 53) - 1;
        if let Ok(small) = i32::try_from(n) {
            self.ops.extend([Op::Int32 as u32, small as u32]);
        } else {
            let op = if (-MAX_SAFE..=MAX_SAFE).contains(&n) {
                Op::Int53
            } else {
                Op::Int64
            };
            self.ops.extend([op as u32, n as u32, (n >> 32) as u32]);
        }
    }
}

/// Decodes `input` (already checked to be within `limits.max_size`) into the tape.
/// Byte-string offsets are taken from `base`, the address where the whole input buffer starts.
fn write_tape(
    input: &[u8],
    base: usize,
    limits: Limits,
    tape: &mut Tape,
    interner: &mut Option<Interner>,
) -> Result<(), Error> {
    let mut events = Events::with_limits(input, limits)?;
    let mut after_type_key = false;
    while let Some(event) = events.next_event()? {
        // Room for the longest op of one event (`Intern`: four words).
        memory::reserve(&mut tape.ops, 4)?;
        let is_type_value = std::mem::take(&mut after_type_key);
        match event {
            Event::Null => tape.ops.push(Op::Null as u32),
            Event::Bool(true) => tape.ops.push(Op::True as u32),
            Event::Bool(false) => tape.ops.push(Op::False as u32),
            Event::Integer(n) => tape.integer(n),
            // Short strings that repeat across records: `$type` values and two-letter codes.
            Event::String(s) => tape.string(s, is_type_value || s.len() <= 3, interner)?,
            Event::Key(k) => {
                after_type_key = k == "$type";
                tape.string(k, true, interner)?;
            }
            Event::Bytes(b) => {
                let offset = (b.as_ptr() as usize).saturating_sub(base);
                tape.ops
                    .extend([Op::Bytes as u32, offset as u32, b.len() as u32]);
            }
            Event::Link(cid) => tape.link(&cid)?,
            Event::ArrayStart(n) => tape.ops.extend([Op::Array as u32, n as u32]),
            Event::MapStart(n) => tape.ops.extend([Op::Map as u32, n as u32]),
            Event::End => {}
        }
    }
    Ok(())
}

thread_local! {
    /// The tape reused across calls, taken out for a call and put back after it.
    static TAPE: Cell<Tape> = Cell::new(Tape::default());
    /// The intern table; `None` while a call uses it. A call made meanwhile (from JS code run by
    /// `materialize`, such as a setter on `Object.prototype`) interns nothing, so it cannot renumber
    /// strings under the outer call's feet.
    static INTERNER: Cell<Option<Interner>> = Cell::new(Some(Interner::default()));
}

/// Runs `f` with the reusable tape (cleared) and the intern table, and puts both back; if `f`
/// fails, the table as it was before (see [`Interner`]).
fn with_tape<T, E>(
    f: impl FnOnce(&mut Tape, &mut Option<Interner>) -> Result<T, E>,
) -> Result<T, E> {
    let mut tape = TAPE.take();
    tape.clear();
    let mut interner = INTERNER.take();
    let mark = interner.as_ref().map(Interner::mark);
    let result = f(&mut tape, &mut interner);
    if let Some(mut interner) = interner {
        if let (Err(_), Some(mark)) = (&result, mark) {
            interner.roll_back(mark);
        }
        INTERNER.set(Some(interner));
    }
    tape.shrink(SCRATCH_KEEP);
    TAPE.set(tape);
    result
}

/// Decodes one DRISL value in `input` into a JS value.
pub(super) fn decode_to_js(input: &[u8], limits: Limits) -> Result<JsValue, JsValue> {
    with_tape(|tape, interner| {
        write_tape(input, input.as_ptr() as usize, limits, tape, interner)?;
        build(tape, input, None)
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
        return Err(Error::new(
            Code::LimitExceeded,
            format!("{count} values exceed the limit of {MAX_MANY_VALUES} per call"),
        )
        .into());
    }
    let mut input = INPUT.take();
    let result = decode_many(&mut input, blocks, count);
    if input.capacity() <= SCRATCH_KEEP {
        INPUT.set(input);
    }
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
            Error::new(
                Code::InvalidArgument,
                format!("blocks[{i}] is not a Uint8Array"),
            )
        } else {
            Error::new(
                Code::LimitExceeded,
                format!("blocks[{i}]: over the size limit"),
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
        return Err(Error::new(
            Code::InvalidArgument,
            format!(
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
                .map_err(|e| e.context(format!("blocks[{i}]")))?;
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
#[wasm_bindgen(js_name = cidForCbor)]
pub fn cid_for_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<String, JsValue> {
    Ok(with_bytes(
        &bytes,
        "bytes",
        cbor::MAX_CBOR_FRAME_SIZE,
        |input| {
            cbor::validate(input)?;
            Ok::<_, Error>(Cid::for_drisl(input).to_string())
        },
    )?)
}

/// Encodes a JS value canonically (sorted keys, shortest forms). Refuses what the data model
/// cannot hold: non-integer numbers (`cbor-float`), integers outside ±(2^53−1) given as numbers
/// (`unsafe-integer`; use a bigint), `undefined` in arrays, functions, symbols and non-plain
/// objects (`invalid-value`). Object properties whose value is `undefined` are left out, as in JSON.
#[wasm_bindgen(js_name = encodeCbor)]
pub fn encode_cbor(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> Result<Vec<u8>, JsValue> {
    Ok(cbor::encode(&value_from_js(&value)?)?)
}

/// The CID of a JS value's canonical encoding.
#[wasm_bindgen(js_name = cidForValue)]
pub fn cid_for_value(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> Result<String, JsValue> {
    let bytes = cbor::encode(&value_from_js(&value)?)?;
    Ok(Cid::for_drisl(&bytes).to_string())
}

/// Turns atproto JSON (an object as `JSON.parse` gives it, or JSON text) into a value:
/// `{"$link"}` becomes a `CidLink`, `{"$bytes"}` a `Uint8Array`; blobs and `$type` are checked.
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
#[wasm_bindgen(js_name = toJson, unchecked_return_type = "unknown")]
pub fn to_json(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> Result<JsValue, JsValue> {
    let text = cbor::json::to_json_text(&value_from_js(&value)?)?;
    js_sys::JSON::parse(&text)
}

thread_local! {
    static OBJECT_PROTOTYPE: JsValue = js_sys::Object::get_prototype_of(&js_sys::Object::new()).into();
}

/// A JS value as a data-model value, within the default limits; object properties whose value is
/// `undefined` are left out, as in JSON.
fn value_from_js(value: &JsValue) -> Result<Value<'static>, Error> {
    from_js_at(value, 1, &Limits::DEFAULT, Undefined::LeftOut)
}

/// A record to write as a data-model value: like [`value_from_js`], but an `undefined` anywhere is
/// refused (a record written is what its author meant, not what JSON would drop).
pub(super) fn record_from_js(value: &JsValue) -> Result<Value<'static>, Error> {
    from_js_at(value, 1, &Limits::RECORD, Undefined::Refused)
}

/// What an object property whose value is `undefined` becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Undefined {
    LeftOut,
    Refused,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidValue, message)
}

fn from_js_at(
    value: &JsValue,
    depth: usize,
    limits: &Limits,
    undefined: Undefined,
) -> Result<Value<'static>, Error> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        if n.fract() != 0.0 || !n.is_finite() {
            return Err(Error::new(
                Code::CborFloat,
                format!(
                    "{} is not an integer (atproto has no floats)",
                    number_text(value)
                ),
            ));
        }
        if n.abs() > 9_007_199_254_740_991.0 {
            return Err(Error::new(
                Code::UnsafeInteger,
                format!("{} is beyond ±(2^53−1); pass a bigint", number_text(value)),
            ));
        }
        return Ok(Value::Integer(n as i64));
    }
    if value.is_bigint() {
        return i64::try_from(value.clone())
            .map(Value::Integer)
            .map_err(|_| {
                Error::new(
                    Code::CborIntegerRange,
                    "a bigint outside the signed 64-bit range",
                )
            });
    }
    if let Some(s) = value.dyn_ref::<js_sys::JsString>() {
        if !super::is_well_formed(s) {
            return Err(invalid("a string with a lone surrogate"));
        }
        return Ok(Value::String(Cow::Owned(String::from(s))));
    }
    if value.is_undefined() {
        return Err(invalid("undefined is not a value (in an array; object properties that are undefined are left out)"));
    }
    if depth > limits.depth_limit() {
        return Err(Error::new(
            Code::LimitExceeded,
            format!("nested deeper than {} levels", limits.depth_limit()),
        ));
    }
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        if bytes.length() as usize > limits.max_size {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "a byte string of {} bytes exceeds the limit of {}",
                    bytes.length(),
                    limits.max_size
                ),
            ));
        }
        return Ok(Value::Bytes(Cow::Owned(bytes.to_vec())));
    }
    if let Some(link) = value.dyn_ref::<JsCidLink>() {
        let text = link
            .link()
            .as_string()
            .ok_or_else(|| invalid("a CidLink whose $link is not a string"))?;
        return Ok(Value::Link(Cid::parse(&text)?));
    }
    if js_sys::Array::is_array(value) {
        let array: &js_sys::Array = value.unchecked_ref();
        let len = array.length() as usize;
        check_container_len(len, limits)?;
        let mut items = Vec::with_capacity(len);
        for (i, item) in array.iter().enumerate() {
            items.push(
                from_js_at(&item, depth + 1, limits, undefined)
                    .map_err(|e| e.context(format!("[{i}]")))?,
            );
        }
        return Ok(Value::Array(items));
    }
    if !value.is_object() {
        return Err(invalid(format!(
            "a {} is not a value",
            value.js_typeof().as_string().unwrap_or_default()
        )));
    }
    let prototype: JsValue = js_sys::Object::get_prototype_of(value).into();
    if !prototype.is_null() && !OBJECT_PROTOTYPE.with(|p| *p == prototype) {
        return Err(invalid(
            "only plain objects are maps (not a Date, Map, class instance, ArrayBuffer, …)",
        ));
    }
    let keys = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>());
    check_container_len(keys.length() as usize, limits)?;
    if let Some(link) = dollar_link(value, &keys)? {
        return Ok(link);
    }
    let mut entries = Vec::with_capacity(keys.length() as usize);
    for key in keys.iter() {
        let item =
            js_sys::Reflect::get(value, &key).map_err(|_| invalid("a property getter threw"))?;
        let key = key.as_string().unwrap_or_default();
        if item.is_undefined() {
            if undefined == Undefined::Refused {
                return Err(invalid(format!("{key}: undefined is not a value")));
            }
            continue;
        }
        let item = from_js_at(&item, depth + 1, limits, undefined).map_err(|e| e.context(&key))?;
        entries.push((Cow::Owned(key), item));
    }
    Ok(Value::Map(entries))
}

/// A plain object with a `$link` key: atproto JSON's form of a link (and `@atcute`'s value form),
/// taken as the link it means rather than encoded as a map no atproto data can hold (the data
/// model reserves `$link`). It must be exactly `{ $link: "<CID>" }` (`json-invalid-link`).
fn dollar_link(value: &JsValue, keys: &js_sys::Array) -> Result<Option<Value<'static>>, Error> {
    if !keys
        .iter()
        .any(|key| key.as_string().as_deref() == Some("$link"))
    {
        return Ok(None);
    }
    let invalid = |why: &str| {
        Error::new(
            Code::JsonInvalidLink,
            format!("a {{ $link }} object {why} (or pass a CidLink)"),
        )
    };
    if keys.length() != 1 {
        return Err(invalid("must have no other key"));
    }
    let text = js_sys::Reflect::get(value, &"$link".into())
        .ok()
        .and_then(|link| link.as_string())
        .ok_or_else(|| invalid("must hold a CID string"))?;
    Cid::parse(&text)
        .map(|cid| Some(Value::Link(cid)))
        .map_err(|e| invalid(&format!("holds no atproto CID: {}", e.message())))
}

/// A JS number as JS writes it (`String(n)`): Rust's float formatting would add about 11 KB of
/// wasm for two error messages.
fn number_text(value: &JsValue) -> String {
    value
        .unchecked_ref::<js_sys::Number>()
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

fn check_container_len(len: usize, limits: &Limits) -> Result<(), Error> {
    if len > limits.max_container_len {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "{len} items exceed the container limit of {}",
                limits.max_container_len
            ),
        ));
    }
    Ok(())
}
