//! The JavaScript face of atproof (wasm-bindgen): the only module that knows about JS.
//!
//! It turns JS arguments into Rust values at the edge (checking their types and lengths before
//! copying anything), calls the core, and shapes the results. Every failure leaves as an
//! `AtproofError` (see `error.js`), a real `Error` subclass with a stable `code`.
//!
//! Tricky bits:
//! - A `&str` parameter would let wasm-bindgen coerce a number or object silently and copy a 10 MB
//!   string before we can refuse it, so string parameters are taken as `JsValue` and checked with
//!   [`string_arg`]: type first, then length in UTF-16 units (an upper bound on nothing, but a lower
//!   bound on the UTF-8 length, so a too-long string is refused without copying it), then lone
//!   surrogates (which the UTF-8 conversion would silently replace with U+FFFD).
//! - The release build aborts on panic; the core's lints forbid panics, so none is reachable.
//! - No lock is held while JS code runs. User code can run in the middle of a call (a getter on an
//!   argument, a setter on `Object.prototype` hit while a result is built) and can call atproof
//!   again or throw; an exception thrown through wasm frames skips their destructors, so a held
//!   `RefCell` borrow would stay borrowed forever. Reused buffers are therefore taken out of `Cell`s
//!   and put back ([`with_bytes`]), and the value builder catches exceptions itself.
//! - The package's allocator is `talc`'s, not the standard library's dlmalloc: smaller in the
//!   verify-only build, a little faster, and a lower peak on a large repository's verification
//!   (docs/performance.md, "wasm size"). It returns null when WebAssembly memory cannot grow, so
//!   the core's fallible reservations still fail cleanly. Here and not in the core: a Rust program
//!   that uses the crate chooses its own allocator.

pub mod crypto;
pub mod data_model;
pub mod firehose;
#[cfg(feature = "full")]
pub mod identity;
pub mod repo;
#[cfg(feature = "full")]
pub mod signing;
pub mod syntax;
#[cfg(feature = "full")]
pub mod writer;

use crate::cid::{Cid, CID_STRING_LEN};
use crate::syntax::tid::{Tid, TID_LEN};
use crate::{Code, Error};
use std::cell::Cell;
use wasm_bindgen::prelude::*;

#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(module = "/src/bindings/error.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeAtproofError)]
    fn make_atproof_error(code: &str, message: &str) -> JsValue;
}

impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        make_atproof_error(error.code().as_str(), error.message())
    }
}

/// The error of an argument of the wrong type: "`what` must be `expected`, not <its type>" (one
/// copy of the message's making for every argument check).
#[cold]
#[inline(never)]
fn type_error(what: &str, expected: &str, value: &JsValue) -> Error {
    Error::formatted(
        Code::InvalidArgument,
        format_args!("{what} must be {expected}, not {}", type_name(value)),
    )
}

/// Takes a string argument named `what`, refusing non-strings, strings longer than `max_len`
/// UTF-8 bytes (with `too_long`) and strings that are not well-formed UTF-16.
fn string_arg(
    value: &JsValue,
    what: &str,
    max_len: usize,
    too_long: Code,
) -> Result<String, Error> {
    let Some(js) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(type_error(what, "a string", value));
    };
    if js.length() as usize > max_len {
        return Err(Error::formatted(
            too_long,
            format_args!(
                "{what} is longer than {max_len} bytes ({} UTF-16 units)",
                js.length()
            ),
        ));
    }
    if !is_well_formed(js) {
        return Err(Error::formatted(
            Code::InvalidArgument,
            format_args!("{what} has a lone surrogate (not valid UTF-16)"),
        ));
    }
    let s = String::from(js);
    if s.len() > max_len {
        return Err(Error::formatted(
            too_long,
            format_args!("{what} is longer than {max_len} bytes"),
        ));
    }
    Ok(s)
}

/// Takes an argument that is JSON text or a value to stringify (`JSON.stringify`) as text of at
/// most `max_len` bytes; a value that cannot be JSON fails with `not_json`.
fn json_text_arg(
    value: &JsValue,
    what: &str,
    max_len: usize,
    not_json: Code,
) -> Result<String, Error> {
    if value.is_string() {
        return string_arg(value, what, max_len, Code::LimitExceeded);
    }
    let text = js_sys::JSON::stringify(value).map_err(|_| {
        Error::formatted(
            not_json,
            format_args!("{what} cannot be turned into JSON (a bigint or a cycle?)"),
        )
    })?;
    string_arg(&text.into(), what, max_len, Code::LimitExceeded)
}

/// An object the binding builds for a result, field by field. A setter on `Object.prototype` may
/// throw while a field is set: the first exception is kept, the later fields are not set, and
/// [`ObjectBuilder::finish`] returns it. Shaped for size (docs/performance.md, "wasm size"): a call
/// site hands the value over and checks once per object, not once per field.
struct ObjectBuilder {
    object: js_sys::Object,
    error: Option<JsValue>,
}

impl ObjectBuilder {
    #[inline(never)]
    fn new() -> ObjectBuilder {
        ObjectBuilder {
            object: js_sys::Object::new(),
            error: None,
        }
    }

    /// Sets `key` to `value`, unless an earlier field threw.
    #[inline(never)]
    fn set(&mut self, key: &str, value: JsValue) {
        if self.error.is_none() {
            self.error = js_sys::Reflect::set(&self.object, &key.into(), &value).err();
        }
    }

    /// The object, or the exception a setter threw.
    #[inline(never)]
    fn finish(self) -> Result<JsValue, JsValue> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.object.into()),
        }
    }
}

/// A CID's string form as a JS string, written on the stack: `cid.to_string().into()` put a
/// `String` and the formatting machinery inline at each of the bindings' call sites (out of line
/// for size: docs/performance.md, "wasm size").
#[inline(never)]
fn cid_js(cid: &Cid) -> JsValue {
    JsValue::from_str(cid.encode_string(&mut [0; CID_STRING_LEN]))
}

/// A TID's string form as a JS string (as [`cid_js`]).
#[inline(never)]
fn tid_js(tid: Tid) -> JsValue {
    JsValue::from_str(tid.encode_string(&mut [0; TID_LEN]))
}

/// Bytes for JS, copied into a new `Uint8Array`. The exports that return bytes return one instead
/// of a `Vec<u8>`, which wasm-bindgen's glue shrank to its length (a copy when it had room to
/// spare) before JS copied it (shaped for size: docs/performance.md, "wasm size").
fn bytes_js(bytes: &[u8]) -> js_sys::Uint8Array {
    js_sys::Uint8Array::from(bytes)
}

/// `typeof`-like name of a JS value for error messages.
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if js_sys::Array::is_array(value) {
        "an array".into()
    } else {
        value
            .js_typeof()
            .as_string()
            .unwrap_or_else(|| "unknown".into())
    }
}

/// The size of this instance's WebAssembly memory, in bytes: the peak of its largest call so far
/// (wasm memory grows and never shrinks; `createInstance` makes a fresh instance to drop it).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

/// Capacity kept between calls; a larger buffer is given back after the call.
const SCRATCH_KEEP: usize = 1 << 20;

#[wasm_bindgen(module = "/src/bindings/values.js")]
extern "C" {
    /// `String.prototype.isWellFormed` where the runtime has it, else a regular expression: one call
    /// (js-sys's `JsString::is_valid_utf16` makes one call per character).
    #[wasm_bindgen(js_name = isWellFormed)]
    fn is_well_formed(s: &js_sys::JsString) -> bool;
    /// Copies the `Uint8Array` `value` to `address` in the memory of `instance` (see
    /// [`data_model::instance`]) if its length is at most `capacity`; returns
    /// the length, or -1 if `value` is not a `Uint8Array`, -2 if its `length` lies (one call
    /// instead of three: `instanceof`, `length`, copy).
    #[wasm_bindgen(js_name = copyBytes)]
    fn copy_bytes(instance: u32, value: &JsValue, address: usize, capacity: usize) -> f64;
}

thread_local! {
    /// The input buffer reused across calls (see [`with_bytes`]).
    static INPUT: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on a copy of the `Uint8Array` argument `value` in a buffer reused across calls.
///
/// The buffer is taken out of its cell for the call and put back after it, never borrowed: JS code
/// that runs meanwhile (a getter of the argument, a setter on `Object.prototype` hit while building a
/// result) may call atproof again, or throw through the wasm frames, and the worst that happens is
/// that the inner call, or the next one, starts with a fresh buffer. Nothing stays locked.
fn with_bytes<T, E: From<Error>>(
    value: &JsValue,
    what: &str,
    max_len: usize,
    f: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Result<T, E> {
    let mut input = take_input();
    bytes_arg(value, what, max_len, &mut input)?;
    let result = f(&input);
    put_back_input(input);
    result
}

/// The input buffer, taken out of its cell (see [`with_bytes`]). Out of line with
/// [`put_back_input`]: the thread-local's code was inlined into each of `with_bytes`'s instances
/// (docs/performance.md, "wasm size").
#[inline(never)]
fn take_input() -> Vec<u8> {
    INPUT.take()
}

/// Puts the input buffer back in its cell, unless it grew over [`SCRATCH_KEEP`].
#[inline(never)]
fn put_back_input(input: Vec<u8>) {
    if input.capacity() <= SCRATCH_KEEP {
        INPUT.set(input);
    }
}

/// Copies a `Uint8Array` argument named `what` into `into` (replacing its contents), refusing
/// other types and inputs over `max_len` bytes before copying anything.
fn bytes_arg(value: &JsValue, what: &str, max_len: usize, into: &mut Vec<u8>) -> Result<(), Error> {
    let instance = data_model::instance();
    into.clear();
    // Copied into the buffer as it is; if it does not fit, once more after growing the buffer.
    for _ in 0..2 {
        let capacity = into.capacity().min(max_len);
        let len = copy_bytes(instance, value, into.as_mut_ptr() as usize, capacity);
        if len == -1.0 {
            return Err(type_error(what, "a Uint8Array", value));
        }
        if len < 0.0 {
            break;
        }
        let len = len as usize;
        if len > max_len {
            return Err(Error::formatted(
                Code::LimitExceeded,
                format_args!("{what} is {len} bytes, over the limit of {max_len}"),
            ));
        }
        if len <= capacity {
            // SAFETY: copyBytes wrote `len` <= capacity bytes at the buffer's start, so the first
            // `len` bytes are initialized and within the allocation.
            #[allow(unsafe_code)]
            unsafe {
                into.set_len(len)
            };
            return Ok(());
        }
        crate::support::memory::reserve(into, len)?;
    }
    Err(Error::formatted(
        Code::InvalidArgument,
        format_args!("{what}: its length changed while it was read"),
    ))
}
