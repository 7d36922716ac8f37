//! atproto JSON: the textual form of data-model values.
//!
//! Links are `{"$link": "<CID string>"}` and byte strings `{"$bytes": "<base64>"}` (RFC 4648
//! standard alphabet, `=` padding optional when read, never written); both objects must have that
//! single key. Numbers must be integers within ±(2^53−1), the range a JavaScript number holds
//! exactly; an integral float such as `123.0` reads as the integer (JSON cannot tell them apart),
//! any other fraction is [`Code::JsonFloat`]. Reading applies the data-model rules of
//! [`check_data_model`](super::check_data_model) to every object, and a document must be an object.
//! Maps read from JSON list their keys in canonical order, so they equal the values decoded from
//! their CBOR.
//! JSON is not canonical: key order and duplicate keys in the text are not checked (the last
//! duplicate wins); the CBOR encoding is the canonical form.

use std::borrow::Cow;

use serde_json::{Map, Number};

use super::model::check_map;
use super::value::Value;
use super::{canonical_key_order, Limits};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::support::base64::{self, Alphabet};

/// Largest integer magnitude JSON carries exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Largest JSON text [`from_json_text`] reads (`MAX_JSON_RECORD_SIZE` of the atproto
/// data-validation guide): 2 MiB.
pub const MAX_JSON_RECORD_SIZE: usize = 2 << 20;

/// Parses atproto JSON text into a value (see [`from_json`]).
pub fn from_json_text(text: &str) -> Result<Value<'static>> {
    if text.len() > MAX_JSON_RECORD_SIZE {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "JSON text of {} bytes exceeds the limit of {MAX_JSON_RECORD_SIZE} bytes",
                text.len()
            ),
        ));
    }
    let json = serde_json::from_str(text)
        .map_err(|e| Error::new(Code::InvalidJson, format!("not JSON: {e}")))?;
    from_json(json)
}

/// Converts an atproto JSON object into a value, checking the data-model rules and the
/// [`Limits::DEFAULT`] depth, container and key limits. Strings are moved, not copied.
pub fn from_json(json: serde_json::Value) -> Result<Value<'static>> {
    if !json.is_object() {
        return Err(Error::new(
            Code::InvalidJson,
            "atproto JSON data must be an object at the top level",
        ));
    }
    convert(json, 0, &Limits::DEFAULT)
}

fn convert(json: serde_json::Value, depth: usize, limits: &Limits) -> Result<Value<'static>> {
    let container = |len: usize| -> Result<usize> {
        if depth >= limits.depth_limit() {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "JSON nested deeper than the limit of {} levels",
                    limits.depth_limit()
                ),
            ));
        }
        if len > limits.max_container_len {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "JSON container of {len} items exceeds the limit of {}",
                    limits.max_container_len
                ),
            ));
        }
        Ok(depth + 1)
    };
    Ok(match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Integer(integer(&n)?),
        serde_json::Value::String(s) => Value::String(Cow::Owned(s)),
        serde_json::Value::Array(items) => {
            let depth = container(items.len())?;
            Value::Array(
                items
                    .into_iter()
                    .map(|item| convert(item, depth, limits))
                    .collect::<Result<_>>()?,
            )
        }
        serde_json::Value::Object(object) => {
            if object.contains_key("$link") {
                return link(object);
            }
            if object.contains_key("$bytes") {
                return bytes(&object);
            }
            let depth = container(object.len())?;
            let mut entries = object
                .into_iter()
                .map(|(key, item)| {
                    if key.len() > limits.max_key_len {
                        return Err(Error::new(
                            Code::LimitExceeded,
                            format!(
                                "JSON key of {} bytes exceeds the limit of {}",
                                key.len(),
                                limits.max_key_len
                            ),
                        ));
                    }
                    Ok((Cow::Owned(key), convert(item, depth, limits)?))
                })
                .collect::<Result<Vec<_>>>()?;
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

fn integer(n: &Number) -> Result<i64> {
    // The integer is written from its i64/u64 form: `{n}` would link serde_json's float formatting.
    let out_of_range = || {
        let text = match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            (None, None) => "a number".to_owned(),
        };
        Error::new(
            Code::JsonIntegerRange,
            format!("integer {text} outside ±(2^53-1)"),
        )
    };
    if let Some(i) = n.as_i64() {
        return if is_safe_integer(i) {
            Ok(i)
        } else {
            Err(out_of_range())
        };
    }
    if n.is_u64() {
        return Err(out_of_range());
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.fract() != 0.0 || !f.is_finite() {
        return Err(Error::new(
            Code::JsonFloat,
            // Not the number itself: writing a float would link serde_json's float formatting.
            "a number with a fraction or an exponent: atproto forbids floats",
        ));
    }
    if f.abs() > MAX_SAFE_INTEGER as f64 {
        return Err(out_of_range());
    }
    // Integral and within ±(2^53-1): the conversion is exact.
    Ok(f as i64)
}

fn link(object: Map<String, serde_json::Value>) -> Result<Value<'static>> {
    let invalid = |why: String| Error::new(Code::JsonInvalidLink, format!("$link object {why}"));
    if object.len() != 1 {
        return Err(invalid("must have no other key".into()));
    }
    match object.get("$link") {
        Some(serde_json::Value::String(s)) => Cid::parse(s)
            .map(Value::Link)
            .map_err(|e| invalid(format!("holds no atproto CID: {}", e.message()))),
        _ => Err(invalid("must hold a CID string".into())),
    }
}

fn bytes(object: &Map<String, serde_json::Value>) -> Result<Value<'static>> {
    let invalid = |why: &str| Error::new(Code::JsonInvalidBytes, format!("$bytes object {why}"));
    if object.len() != 1 {
        return Err(invalid("must have no other key"));
    }
    match object.get("$bytes") {
        Some(serde_json::Value::String(s)) => {
            base64::decode(s.as_bytes(), Alphabet::Standard, true, false)
                .ok()
                .map(|b| Value::Bytes(Cow::Owned(b)))
                .ok_or_else(|| invalid("must hold standard base64 (RFC 4648 §4)"))
        }
        _ => Err(invalid("must hold a base64 string")),
    }
}

/// Converts a value into atproto JSON. Fails with [`Code::JsonIntegerRange`] for an integer that
/// JSON cannot carry exactly.
pub fn to_json(value: &Value<'_>) -> Result<serde_json::Value> {
    to_json_nested(value, 0)
}

/// Converts a value into atproto JSON text (compact).
pub fn to_json_text(value: &Value<'_>) -> Result<String> {
    Ok(json_text(&to_json(value)?))
}

/// Compact JSON text of a JSON value whose numbers are integers (atproto's, and every one atproof
/// makes). Written here rather than with serde_json's serializer, which links its float formatting
/// (about 20 KB of wasm) for numbers atproof never has; a float would be written as `null`.
pub fn json_text(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(u)) => out.push_str(&u.to_string()),
            (None, None) => out.push_str("null"),
        },
        serde_json::Value::String(s) => write_json_string(s, out),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\uXXXX` (or their short forms).
pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn to_json_nested(value: &Value<'_>, depth: usize) -> Result<serde_json::Value> {
    let deeper = || super::nested_depth(depth);
    let single = |key: &str, value: String| {
        serde_json::Value::Object(Map::from_iter([(
            key.to_owned(),
            serde_json::Value::String(value),
        )]))
    };
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Integer(n) if is_safe_integer(*n) => serde_json::Value::from(*n),
        Value::Integer(n) => {
            return Err(Error::new(
                Code::JsonIntegerRange,
                format!("integer {n} outside ±(2^53-1) cannot be JSON"),
            ))
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Bytes(b) => single("$bytes", base64::encode(b, Alphabet::Standard)),
        Value::Link(cid) => single("$link", cid.to_string()),
        Value::Array(items) => {
            let depth = deeper()?;
            serde_json::Value::Array(
                items
                    .iter()
                    .map(|item| to_json_nested(item, depth))
                    .collect::<Result<_>>()?,
            )
        }
        Value::Map(entries) => {
            let depth = deeper()?;
            // Inserted one by one: collecting would instantiate the standard stable sort.
            let mut object = serde_json::Map::new();
            for (key, item) in entries {
                object.insert(key.to_string(), to_json_nested(item, depth)?);
            }
            serde_json::Value::Object(object)
        }
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn json_text_is_serde_json_s_for_integer_values() {
        let values = [
            serde_json::json!(null),
            serde_json::json!({ "a": [1, -2, 9007199254740991_i64, u64::MAX, true, false, null], "": {} }),
            serde_json::json!([
                "quote \" backslash \\ newline \n tab \t cr \r",
                "\u{0}\u{1f}\u{7f}\u{2028}",
                "é 日本語 🦋"
            ]),
            serde_json::json!({ "nested": { "deeper": [[[]], {}] } }),
        ];
        for value in values {
            assert_eq!(json_text(&value), value.to_string());
        }
    }
    use super::*;

    #[test]
    fn integers_beyond_json_are_refused() {
        for n in [
            i64::MIN,
            i64::MAX,
            MAX_SAFE_INTEGER + 1,
            -MAX_SAFE_INTEGER - 1,
        ] {
            let error = to_json(&Value::Integer(n)).unwrap_err();
            assert_eq!(error.code(), Code::JsonIntegerRange);
        }
        assert_eq!(
            to_json(&Value::Integer(-MAX_SAFE_INTEGER)).unwrap(),
            -MAX_SAFE_INTEGER
        );
    }

    #[test]
    fn numbers() {
        let n = |text: &str| {
            integer(&serde_json::from_str::<Number>(text).unwrap()).map_err(|e| e.code())
        };
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
    }
}
