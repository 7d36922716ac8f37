//! The atproto data-model rules above DRISL: `$type`, blobs and empty keys.

use std::borrow::Cow;

use super::value::Value;
use crate::cid::Codec;
use crate::error::{Code, Error, Result};

/// Checks the atproto data-model rules that DRISL itself does not know, in every map of `value`:
/// - no empty key;
/// - `$type`, where present, is a non-empty string;
/// - a `$type: "blob"` map has exactly `$type`, `ref` (a raw-codec link), `mimeType` (a non-empty
///   string) and `size` (a positive integer).
///
/// The legacy blob form `{cid, mimeType}` is an ordinary map here: it is accepted when read, and
/// nothing in atproof writes it. Values from [`decode`](super::decode) are already DRISL-valid;
/// [`from_json_text`](super::json::from_json_text) applies these rules itself.
pub fn check_data_model(value: &Value<'_>) -> Result<()> {
    check_nested(value, 0)
}

fn check_nested(value: &Value<'_>, depth: usize) -> Result<()> {
    let deeper = || super::nested_depth(depth);
    match value {
        Value::Array(items) => {
            let depth = deeper()?;
            items.iter().try_for_each(|item| check_nested(item, depth))
        }
        Value::Map(entries) => {
            let depth = deeper()?;
            check_map(entries)?;
            entries
                .iter()
                .try_for_each(|(_, item)| check_nested(item, depth))
        }
        _ => Ok(()),
    }
}

/// The data-model rules for one map (not its children).
pub(crate) fn check_map(entries: &[(Cow<'_, str>, Value<'_>)]) -> Result<()> {
    let mut record_type = None;
    for (key, value) in entries {
        match key.as_ref() {
            "" => return Err(Error::new(Code::EmptyMapKey, "empty map key")),
            "$type" => record_type = Some(value),
            _ => {}
        }
    }
    match record_type {
        None => Ok(()),
        Some(Value::String(t)) if t == "blob" => check_blob(entries),
        Some(Value::String(t)) if !t.is_empty() => Ok(()),
        Some(_) => Err(Error::new(
            Code::InvalidRecordType,
            "$type must be a non-empty string",
        )),
    }
}

fn check_blob(entries: &[(Cow<'_, str>, Value<'_>)]) -> Result<()> {
    let invalid = |why: &str| Err(Error::new(Code::InvalidBlob, format!("blob {why}")));
    let field = |name: &str| entries.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    match field("ref") {
        Some(Value::Link(cid)) if cid.codec() == Codec::Raw => {}
        Some(Value::Link(_)) => return invalid("ref must be a raw-codec (0x55) CID"),
        _ => return invalid("ref must be a CID link"),
    }
    match field("mimeType") {
        Some(Value::String(m)) if !m.is_empty() => {}
        _ => return invalid("mimeType must be a non-empty string"),
    }
    match field("size") {
        Some(Value::Integer(n)) if *n > 0 => {}
        _ => return invalid("size must be a positive integer"),
    }
    if entries.len() != 4 {
        return invalid("must have exactly the fields $type, ref, mimeType and size");
    }
    Ok(())
}
