//! The data model for JavaScript: `decodeCbor`, `encodeCbor`, `validateCbor`, `cidForCbor`,
//! `cidForValue`, `fromJson`, `toJson`, and the `CidLink` class of decoded links.
//!
//! JS values: maps are plain objects, arrays are arrays, byte strings are `Uint8Array`s, links are
//! `CidLink` instances (`{ $link }`), integers are numbers within ±(2^53−1) and bigints beyond.
//!
//! Decoding crosses the JS boundary once per value: the decoder's events become a "tape" of u32 ops
//! in wasm memory, all new strings go into one text buffer (decoded to a JS string once), and
//! `values.js` builds the objects from views of both. Map keys and `$type` values are interned: the
//! same key is decoded to a JS string once per process. The tape format, op by op (words):
//!
//! | op | words after it |
//! | --- | --- |
//! | `Null`, `True`, `False` | — |
//! | `Int32` | value as i32 |
//! | `Int53`, `Int64` | low 32 bits, high 32 bits (a number; a bigint) |
//! | `String` | start and end in the text, in UTF-16 units |
//! | `Interned` | intern id |
//! | `Intern` | new intern id, start, end |
//! | `Bytes` | offset and length in the input |
//! | `Link` | start and end of its CID string in the text, (unused) |
//! | `Array`, `Map` | item / entry count, then the items (a map: key op, value op per entry) |

use super::{bytes_arg, Scratch, SCRATCH};
use crate::cbor::{self, Event, Events, Limits, Value};
use crate::cid::Cid;
use crate::{Code, Error};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/bindings/values.js")]
extern "C" {
    /// The class of decoded links.
    #[wasm_bindgen(js_name = CidLink)]
    pub type JsCidLink;
    #[wasm_bindgen(method, getter, js_name = "$link")]
    fn link(this: &JsCidLink) -> JsValue;

    fn materialize(ops: &[u32], text: &str, input: &[u8]) -> JsValue;
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
}

/// Longest string that is interned, in bytes.
const MAX_INTERNED_LEN: usize = 64;
/// Most strings interned per process; later ones are simply not interned.
const MAX_INTERNED: u32 = 16_384;

/// FNV-1a: map keys are short, and this table is ours (no untrusted-key flooding concern beyond the
/// entry cap).
#[derive(Default)]
struct Fnv(u64);
impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The wasm side of the string intern table (`interned` in values.js is the JS side).
#[derive(Default)]
pub(super) struct Interner {
    ids: HashMap<Box<str>, u32, BuildHasherDefault<Fnv>>,
}

/// The tape of one value under construction.
#[derive(Default)]
pub(super) struct Tape {
    ops: Vec<u32>,
    text: String,
    text_units: u32,
}

impl Tape {
    pub(super) fn shrink(&mut self, keep: usize) {
        if self.text.capacity() > keep || self.ops.capacity() > keep {
            *self = Tape::default();
        }
    }

    fn clear(&mut self) {
        self.ops.clear();
        self.text.clear();
        self.text_units = 0;
    }

    /// Appends `s` to the text; its (start, end) in UTF-16 units.
    fn push_text(&mut self, s: &str) -> (u32, u32) {
        let start = self.text_units;
        self.text.push_str(s);
        let units = if s.is_ascii() {
            s.len()
        } else {
            // One unit per UTF-8 lead byte, two for 4-byte sequences (surrogate pairs).
            s.bytes()
                .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
                .sum()
        };
        self.text_units = start.saturating_add(units as u32);
        (start, self.text_units)
    }

    fn string(&mut self, s: &str, intern: bool, interner: &mut Interner) {
        if intern && s.len() <= MAX_INTERNED_LEN {
            if let Some(&id) = interner.ids.get(s) {
                self.ops.extend([Op::Interned as u32, id]);
                return;
            }
            let id = interner.ids.len() as u32;
            if id < MAX_INTERNED {
                interner.ids.insert(s.into(), id);
                let (start, end) = self.push_text(s);
                self.ops.extend([Op::Intern as u32, id, start, end]);
                return;
            }
        }
        let (start, end) = self.push_text(s);
        self.ops.extend([Op::String as u32, start, end]);
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
fn write_tape(
    input: &[u8],
    limits: Limits,
    tape: &mut Tape,
    interner: &mut Interner,
) -> Result<(), Error> {
    let mut events = Events::with_limits(input, limits)?;
    let mut after_type_key = false;
    let base = input.as_ptr() as usize;
    while let Some(event) = events.next_event()? {
        let is_type_value = std::mem::take(&mut after_type_key);
        match event {
            Event::Null => tape.ops.push(Op::Null as u32),
            Event::Bool(true) => tape.ops.push(Op::True as u32),
            Event::Bool(false) => tape.ops.push(Op::False as u32),
            Event::Integer(n) => tape.integer(n),
            // Short strings that repeat across records: `$type` values and two-letter codes.
            Event::String(s) => tape.string(s, is_type_value || s.len() <= 3, interner),
            Event::Key(k) => {
                after_type_key = k == "$type";
                tape.string(k, true, interner);
            }
            Event::Bytes(b) => {
                let offset = (b.as_ptr() as usize).saturating_sub(base);
                tape.ops
                    .extend([Op::Bytes as u32, offset as u32, b.len() as u32]);
            }
            Event::Link(cid) => {
                let (start, end) = tape.push_text(&cid.to_string());
                tape.ops.extend([Op::Link as u32, start, end]);
            }
            Event::ArrayStart(n) => tape.ops.extend([Op::Array as u32, n as u32]),
            Event::MapStart(n) => tape.ops.extend([Op::Map as u32, n as u32]),
            Event::End => {}
        }
    }
    Ok(())
}

/// Decodes DRISL bytes already copied into `scratch.input[..len]` into a JS value.
pub(super) fn decode_into_js(scratch: &mut Scratch, limits: Limits) -> Result<JsValue, Error> {
    let Scratch {
        input,
        tape,
        interner,
    } = scratch;
    tape.clear();
    write_tape(input, limits, tape, interner)?;
    Ok(materialize(&tape.ops, &tape.text, input))
}

/// Decodes one DRISL value into a JS value: objects, arrays, strings, numbers (bigints beyond
/// ±(2^53−1)), booleans, null, `Uint8Array` byte strings and `CidLink` links. Strict: every DRISL
/// rule is checked and the first broken one throws an `AtproofError` naming it and its byte offset.
#[wasm_bindgen(js_name = decodeCbor)]
pub fn decode_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<JsValue, JsValue> {
    SCRATCH.with_borrow_mut(|scratch| {
        bytes_arg(
            &bytes,
            "bytes",
            cbor::MAX_CBOR_FRAME_SIZE,
            &mut scratch.input,
        )?;
        let result = decode_into_js(scratch, Limits::DEFAULT);
        scratch.shrink();
        Ok(result?)
    })
}

/// Checks that `bytes` are exactly one valid DRISL value, building nothing (throws an
/// `AtproofError` if not).
#[wasm_bindgen(js_name = validateCbor)]
pub fn validate_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<(), JsValue> {
    with_input(&bytes, cbor::validate)
}

/// The CID (DRISL codec, base32 string) of valid DRISL bytes; throws if the bytes are not DRISL.
#[wasm_bindgen(js_name = cidForCbor)]
pub fn cid_for_cbor(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
) -> Result<String, JsValue> {
    with_input(&bytes, |input| {
        cbor::validate(input)?;
        Ok(Cid::for_drisl(input).to_string())
    })
}

/// Runs `f` on the bytes of a `Uint8Array` argument copied into wasm memory.
fn with_input<T>(bytes: &JsValue, f: impl FnOnce(&[u8]) -> Result<T, Error>) -> Result<T, JsValue> {
    SCRATCH.with_borrow_mut(|scratch| {
        bytes_arg(
            bytes,
            "bytes",
            cbor::MAX_CBOR_FRAME_SIZE,
            &mut scratch.input,
        )?;
        let result = f(&scratch.input);
        scratch.shrink();
        Ok(result?)
    })
}

/// Encodes a JS value canonically (sorted keys, shortest forms). Refuses what the data model
/// cannot hold: non-integer numbers (`cbor-float`), integers outside ±(2^53−1) given as numbers
/// (`unsafe-integer`; use a bigint), `undefined` in arrays, functions, symbols and non-plain
/// objects (`invalid-value`). Object properties whose value is `undefined` are left out, as in JSON.
#[wasm_bindgen(js_name = encodeCbor)]
pub fn encode_cbor(value: JsValue) -> Result<Vec<u8>, JsValue> {
    Ok(cbor::encode(&value_from_js(&value)?)?)
}

/// The CID of a JS value's canonical encoding.
#[wasm_bindgen(js_name = cidForValue)]
pub fn cid_for_value(value: JsValue) -> Result<String, JsValue> {
    let bytes = cbor::encode(&value_from_js(&value)?)?;
    Ok(Cid::for_drisl(&bytes).to_string())
}

/// Turns atproto JSON (an object as `JSON.parse` gives it, or JSON text) into a value:
/// `{"$link"}` becomes a `CidLink`, `{"$bytes"}` a `Uint8Array`; blobs and `$type` are checked.
#[wasm_bindgen(js_name = fromJson)]
pub fn from_json(json: JsValue) -> Result<JsValue, JsValue> {
    let text = if json.is_string() {
        super::string_arg(
            &json,
            "JSON text",
            cbor::json::MAX_JSON_RECORD_SIZE,
            Code::LimitExceeded,
        )?
    } else {
        let text = js_sys::JSON::stringify(&json).map_err(|_| {
            Error::new(
                Code::InvalidJson,
                "the value cannot be turned into JSON (a bigint or a cycle?)",
            )
        })?;
        super::string_arg(
            &text.into(),
            "JSON",
            cbor::json::MAX_JSON_RECORD_SIZE,
            Code::LimitExceeded,
        )?
    };
    let bytes = cbor::encode(&cbor::json::from_json_text(&text)?)?;
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.input.clear();
        scratch.input.extend_from_slice(&bytes);
        Ok(decode_into_js(scratch, Limits::DEFAULT)?)
    })
}

/// Turns a value into atproto JSON (a plain object): links become `{"$link"}`, bytes `{"$bytes"}`.
/// Integers beyond ±(2^53−1) cannot be JSON and throw `json-integer-range`.
#[wasm_bindgen(js_name = toJson)]
pub fn to_json(value: JsValue) -> Result<JsValue, JsValue> {
    let text = cbor::json::to_json_text(&value_from_js(&value)?)?;
    js_sys::JSON::parse(&text)
}

thread_local! {
    static OBJECT_PROTOTYPE: JsValue = js_sys::Object::get_prototype_of(&js_sys::Object::new()).into();
}

/// A JS value as a data-model value, within the default limits.
fn value_from_js(value: &JsValue) -> Result<Value<'static>, Error> {
    from_js_at(value, 1, &Limits::DEFAULT)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidValue, message)
}

fn from_js_at(value: &JsValue, depth: usize, limits: &Limits) -> Result<Value<'static>, Error> {
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
                format!("{n} is not an integer (atproto has no floats)"),
            ));
        }
        if n.abs() > 9_007_199_254_740_991.0 {
            return Err(Error::new(
                Code::UnsafeInteger,
                format!("{n} is beyond ±(2^53−1); pass a bigint"),
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
        if !s.is_valid_utf16() {
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
                from_js_at(&item, depth + 1, limits).map_err(|e| e.context(format!("[{i}]")))?,
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
    let mut entries = Vec::with_capacity(keys.length() as usize);
    for key in keys.iter() {
        let item =
            js_sys::Reflect::get(value, &key).map_err(|_| invalid("a property getter threw"))?;
        let key = key.as_string().unwrap_or_default();
        if item.is_undefined() {
            continue;
        }
        let item = from_js_at(&item, depth + 1, limits).map_err(|e| e.context(&key))?;
        entries.push((Cow::Owned(key), item));
    }
    Ok(Value::Map(entries))
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
