//! atproto JSON: the textual form of data-model values.
//!
//! Links are `{"$link": "<CID string>"}` and byte strings `{"$bytes": "<base64>"}` (RFC 4648
//! standard alphabet, `=` padding optional when read, never written); both objects must have that
//! single key. Numbers must be integers within ±(2^53−1), the range a JavaScript number holds
//! exactly; an integral float such as `123.0` reads as the integer (JSON cannot tell them apart),
//! any other fraction is [`Code::JsonFloat`] (decided on the digits, exactly: no float rounding
//! makes `1.0000000000000000001` an integer). Reading applies the data-model rules of
//! [`check_data_model`](super::check_data_model) to every object, and a document must be an object.
//! Maps read from JSON list their keys in canonical order, so they equal the values decoded from
//! their CBOR.
//! JSON is not canonical: key order and duplicate keys in the text are not checked (the last
//! duplicate wins); the CBOR encoding is the canonical form.

use std::borrow::Cow;
use std::fmt;

use super::model::check_map;
use super::value::Value;
use super::{canonical_key_order, Limits};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::support::base64::{self, Alphabet};
use crate::support::json::{self, Integer, Json, Object};

/// Largest integer magnitude JSON carries exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: i64 = json::MAX_SAFE_INTEGER;

/// Largest JSON text [`from_json_text`] reads (`MAX_JSON_RECORD_SIZE` of the atproto
/// data-validation guide): 2 MiB.
pub const MAX_JSON_RECORD_SIZE: usize = 2 << 20;

/// Parses atproto JSON text into a value, checking the data-model rules and the
/// [`Limits::DEFAULT`] depth, container and key limits. The text must hold an object.
pub fn from_json_text(text: &str) -> Result<Value<'static>> {
    if text.len() > MAX_JSON_RECORD_SIZE {
        return Err(Error::formatted(
            Code::LimitExceeded,
            format_args!(
                "JSON text of {} bytes exceeds the limit of {MAX_JSON_RECORD_SIZE} bytes",
                text.len()
            ),
        ));
    }
    let json = json::parse(text)
        .map_err(|e| Error::formatted(Code::InvalidJson, format_args!("not JSON: {e}")))?;
    if !matches!(json, Json::Object(_)) {
        return Err(Error::new(
            Code::InvalidJson,
            "atproto JSON data must be an object at the top level",
        ));
    }
    convert(json, 0, &Limits::DEFAULT)
}

/// Strings are moved, not copied.
fn convert(json: Json, depth: usize, limits: &Limits) -> Result<Value<'static>> {
    let container = |len: usize| -> Result<usize> {
        if depth >= limits.depth_limit() {
            return Err(Error::formatted(
                Code::LimitExceeded,
                format_args!(
                    "JSON nested deeper than the limit of {} levels",
                    limits.depth_limit()
                ),
            ));
        }
        if len > limits.max_container_len {
            return Err(Error::formatted(
                Code::LimitExceeded,
                format_args!(
                    "JSON container of {len} items exceeds the limit of {}",
                    limits.max_container_len
                ),
            ));
        }
        Ok(depth + 1)
    };
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(text) => Value::Integer(integer(&text)?),
        Json::String(s) => Value::String(Cow::Owned(s)),
        Json::Array(items) => {
            let depth = container(items.len())?;
            // Loops, not `collect::<Result<_>>()`: its adapter was a function of its own per
            // container type, larger than the loop.
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(convert(item, depth, limits)?);
            }
            Value::Array(values)
        }
        Json::Object(object) => {
            if object.contains_key("$link") {
                return link(&object);
            }
            if object.contains_key("$bytes") {
                return bytes(&object);
            }
            let depth = container(object.len())?;
            let object = object.into_entries();
            let mut entries = Vec::with_capacity(object.len());
            for (key, item) in object {
                if key.len() > limits.max_key_len {
                    return Err(Error::formatted(
                        Code::LimitExceeded,
                        format_args!(
                            "JSON key of {} bytes exceeds the limit of {}",
                            key.len(),
                            limits.max_key_len
                        ),
                    ));
                }
                entries.push((Cow::Owned(key), convert(item, depth, limits)?));
            }
            // Keys of a JSON object are unique; canonical order makes the value equal to the one
            // decoded from its CBOR, and lets the encoder skip sorting.
            crate::support::sort::sort_by(&mut entries, |a, b| canonical_key_order(&a.0, &b.0))?;
            check_map(&entries)?;
            Value::Map(entries)
        }
    })
}

/// Whether `n` is within ±(2^53−1) (without `abs`, which overflows on `i64::MIN`).
fn is_safe_integer(n: i64) -> bool {
    (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n)
}

/// A JSON number (its text) as an integer, exactly.
fn integer(text: &str) -> Result<i64> {
    match json::exact_integer(text) {
        Integer::Safe(n) => Ok(n),
        Integer::Fraction => Err(Error::new(
            Code::JsonFloat,
            "a number with a fraction: atproto forbids floats",
        )),
        Integer::OutOfRange => {
            // A number's text can be as long as the record: only a short one is quoted.
            const QUOTED: usize = 32;
            Err(if text.len() <= QUOTED {
                Error::formatted(
                    Code::JsonIntegerRange,
                    format_args!("integer {text} outside ±(2^53-1)"),
                )
            } else {
                Error::formatted(
                    Code::JsonIntegerRange,
                    format_args!("integer of {} characters outside ±(2^53-1)", text.len()),
                )
            })
        }
    }
}

fn link(object: &Object) -> Result<Value<'static>> {
    let text = match object.get("$link") {
        Some(Json::String(s)) => Some(s.as_str()),
        _ => None,
    };
    link_object(object.len(), text)
}

fn bytes(object: &Object) -> Result<Value<'static>> {
    let text = match object.get("$bytes") {
        Some(Json::String(s)) => Some(s.as_str()),
        _ => None,
    };
    bytes_object(object.len(), text)
}

/// The link a `{"$link"}` object of `keys` keys means, given its `$link` when that is a string:
/// it must be the object's only key and hold an atproto CID ([`Code::JsonInvalidLink`]).
pub(crate) fn link_object(keys: usize, text: Option<&str>) -> Result<Value<'static>> {
    let invalid = |why: fmt::Arguments<'_>| {
        Error::formatted(Code::JsonInvalidLink, format_args!("$link object {why}"))
    };
    if keys != 1 {
        return Err(invalid(format_args!("must have no other key")));
    }
    let text = text.ok_or_else(|| invalid(format_args!("must hold a CID string")))?;
    Cid::parse(text)
        .map(Value::Link)
        .map_err(|e| invalid(format_args!("holds no atproto CID: {}", e.message())))
}

/// The bytes a `{"$bytes"}` object of `keys` keys means, given its `$bytes` when that is a string:
/// it must be the object's only key and hold standard base64 ([`Code::JsonInvalidBytes`]).
pub(crate) fn bytes_object(keys: usize, text: Option<&str>) -> Result<Value<'static>> {
    let invalid =
        |why: &str| Error::formatted(Code::JsonInvalidBytes, format_args!("$bytes object {why}"));
    if keys != 1 {
        return Err(invalid("must have no other key"));
    }
    let text = text.ok_or_else(|| invalid("must hold a base64 string"))?;
    base64::decode(text.as_bytes(), Alphabet::Standard, true, false)
        .map(|b| Value::Bytes(Cow::Owned(b)))
        .map_err(|_| invalid("must hold standard base64 (RFC 4648 §4)"))
}

// Cold and out of line, as `Error::new`; it takes `format_args!` so that each caller passes its
// arguments only and the message is formatted here, once (size: docs/performance.md, "wasm size").
/// Converts a value into atproto JSON text (compact). Fails with [`Code::JsonIntegerRange`] for
/// an integer that JSON cannot carry exactly.
pub fn to_json_text(value: &Value<'_>) -> Result<String> {
    Ok(to_json(value, 0)?.to_text())
}

fn to_json(value: &Value<'_>, depth: usize) -> Result<Json> {
    let deeper = || super::nested_depth(depth);
    let single = |key: &str, value: String| {
        Json::Object(Object::from_entries(vec![(
            key.to_owned(),
            Json::String(value),
        )]))
    };
    Ok(match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Integer(n) if is_safe_integer(*n) => Json::from(*n),
        Value::Integer(n) => {
            return Err(Error::formatted(
                Code::JsonIntegerRange,
                format_args!("integer {n} outside ±(2^53-1) cannot be JSON"),
            ))
        }
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => single("$bytes", base64::encode(b, Alphabet::Standard)),
        Value::Link(cid) => single("$link", cid.to_string()),
        Value::Array(items) => {
            let depth = deeper()?;
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(to_json(item, depth)?);
            }
            Json::Array(values)
        }
        Value::Map(entries) => {
            let depth = deeper()?;
            let mut object = Object::default();
            for (key, item) in entries {
                object.push(key.as_ref(), to_json(item, depth)?);
            }
            Json::Object(object)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_json_are_refused() {
        for n in [
            i64::MIN,
            i64::MAX,
            MAX_SAFE_INTEGER + 1,
            -MAX_SAFE_INTEGER - 1,
        ] {
            let error = to_json_text(&Value::Integer(n)).unwrap_err();
            assert_eq!(error.code(), Code::JsonIntegerRange);
        }
        assert_eq!(
            to_json_text(&Value::Integer(-MAX_SAFE_INTEGER)).unwrap(),
            "-9007199254740991"
        );
    }

    #[test]
    fn numbers() {
        let n = |text: &str| integer(text).map_err(|e| e.code());
        assert_eq!(n("123"), Ok(123));
        assert_eq!(n("123.0"), Ok(123));
        assert_eq!(n("-0.0"), Ok(0));
        assert_eq!(n("1e3"), Ok(1000));
        assert_eq!(n("9007199254740991"), Ok(MAX_SAFE_INTEGER));
        assert_eq!(n("-9007199254740991"), Ok(-MAX_SAFE_INTEGER));
        assert_eq!(n("-9223372036854775808"), Err(Code::JsonIntegerRange));
        assert_eq!(n("9007199254740992"), Err(Code::JsonIntegerRange));
        assert_eq!(n("18446744073709551615"), Err(Code::JsonIntegerRange));
        assert_eq!(n("1e300"), Err(Code::JsonIntegerRange));
        assert_eq!(n("123.456"), Err(Code::JsonFloat));
        assert_eq!(n("1.0000000000000000001"), Err(Code::JsonFloat));
        let long = "1".repeat(100);
        assert_eq!(
            integer(&long).unwrap_err().message(),
            "integer of 100 characters outside ±(2^53-1)"
        );
    }
}
