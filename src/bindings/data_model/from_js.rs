//! JS values into data-model values, checked on the way (floats, unsafe integers, `undefined`,
//! non-plain objects, `{ $link }` objects as links and `{ $bytes }` objects as bytes).

use crate::cbor::{Limits, Value};
use crate::cid::Cid;
use crate::{Code, Error};
use std::borrow::Cow;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::JsCidLink;

thread_local! {
    static OBJECT_PROTOTYPE: JsValue = js_sys::Object::get_prototype_of(&js_sys::Object::new()).into();
}

/// A JS value as a data-model value, within the default limits; object properties whose value is
/// `undefined` are left out, as in JSON.
pub(super) fn value_from_js(value: &JsValue) -> Result<Value<'static>, Error> {
    from_js_at(value, 1, &Limits::DEFAULT, Undefined::LeftOut)
}

/// A record to write as a data-model value: like [`value_from_js`], but an `undefined` anywhere is
/// refused (a record written is what its author meant, not what JSON would drop).
pub(in crate::bindings) fn record_from_js(value: &JsValue) -> Result<Value<'static>, Error> {
    from_js_at(value, 1, &Limits::RECORD, Undefined::Refused)
}

/// What an object property whose value is `undefined` becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Undefined {
    LeftOut,
    Refused,
}

fn invalid(message: &str) -> Error {
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
            return Err(Error::formatted(
                Code::CborFloat,
                format_args!(
                    "{} is not an integer (atproto has no floats)",
                    number_text(value)
                ),
            ));
        }
        if n.abs() > 9_007_199_254_740_991.0 {
            return Err(Error::formatted(
                Code::UnsafeInteger,
                format_args!("{} is beyond ±(2^53−1); pass a bigint", number_text(value)),
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
        if !crate::bindings::is_well_formed(s) {
            return Err(invalid("a string with a lone surrogate"));
        }
        return Ok(Value::String(Cow::Owned(String::from(s))));
    }
    if value.is_undefined() {
        return Err(invalid("undefined is not a value (in an array; object properties that are undefined are left out)"));
    }
    if depth > limits.depth_limit() {
        return Err(Error::formatted(
            Code::LimitExceeded,
            format_args!("nested deeper than {} levels", limits.depth_limit()),
        ));
    }
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        check_bytes_len(bytes.length() as usize, limits)?;
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
                    .map_err(|e| e.context(format_args!("[{i}]")))?,
            );
        }
        return Ok(Value::Array(items));
    }
    if !value.is_object() {
        return Err(Error::formatted(
            Code::InvalidValue,
            format_args!(
                "a {} is not a value",
                value.js_typeof().as_string().unwrap_or_default()
            ),
        ));
    }
    let prototype: JsValue = js_sys::Object::get_prototype_of(value).into();
    if !prototype.is_null() && !OBJECT_PROTOTYPE.with(|p| *p == prototype) {
        return Err(invalid(
            "only plain objects are maps (not a Date, Map, class instance, ArrayBuffer, …)",
        ));
    }
    let keys = js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>());
    check_container_len(keys.length() as usize, limits)?;
    if let Some(wrapped) = json_wrapper(value, &keys)? {
        if let Value::Bytes(bytes) = &wrapped {
            check_bytes_len(bytes.len(), limits)?;
        }
        return Ok(wrapped);
    }
    let mut entries = Vec::with_capacity(keys.length() as usize);
    for key in keys.iter() {
        let item =
            js_sys::Reflect::get(value, &key).map_err(|_| invalid("a property getter threw"))?;
        // Keys are strings (Object.keys); one with a lone surrogate has no UTF-8 form, as a value.
        let key = match key.dyn_ref::<js_sys::JsString>() {
            Some(text) if crate::bindings::is_well_formed(text) => String::from(text),
            _ => return Err(invalid("a map key with a lone surrogate")),
        };
        if item.is_undefined() {
            if undefined == Undefined::Refused {
                return Err(Error::formatted(
                    Code::InvalidValue,
                    format_args!("{key}: undefined is not a value"),
                ));
            }
            continue;
        }
        let item = from_js_at(&item, depth + 1, limits, undefined).map_err(|e| e.context(&key))?;
        entries.push((Cow::Owned(key), item));
    }
    Ok(Value::Map(entries))
}

/// A plain object with a `$link` or `$bytes` key: atproto JSON's form of a link or of bytes (and
/// `@atcute`'s value form), taken as what it means rather than encoded as a map no atproto data can
/// hold (the data model reserves both keys). It must be exactly `{ $link: "<CID>" }`
/// (`json-invalid-link`) or `{ $bytes: "<base64>" }` (`json-invalid-bytes`), as in atproto JSON.
fn json_wrapper(value: &JsValue, keys: &js_sys::Array) -> Result<Option<Value<'static>>, Error> {
    let text_of = |key: &str| {
        js_sys::Reflect::get(value, &key.into())
            .ok()
            .and_then(|text| text.as_string())
    };
    let count = keys.length() as usize;
    for key in keys.iter() {
        match key.as_string().as_deref() {
            Some("$link") => {
                return crate::cbor::json::link_object(count, text_of("$link").as_deref()).map(Some)
            }
            Some("$bytes") => {
                return crate::cbor::json::bytes_object(count, text_of("$bytes").as_deref())
                    .map(Some)
            }
            _ => {}
        }
    }
    Ok(None)
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

fn check_bytes_len(len: usize, limits: &Limits) -> Result<(), Error> {
    if len > limits.max_size {
        return Err(Error::formatted(
            Code::LimitExceeded,
            format_args!(
                "a byte string of {len} bytes exceeds the limit of {}",
                limits.max_size
            ),
        ));
    }
    Ok(())
}

fn check_container_len(len: usize, limits: &Limits) -> Result<(), Error> {
    if len > limits.max_container_len {
        return Err(Error::formatted(
            Code::LimitExceeded,
            format_args!(
                "{len} items exceed the container limit of {}",
                limits.max_container_len
            ),
        ));
    }
    Ok(())
}
