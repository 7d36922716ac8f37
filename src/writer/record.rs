//! Records as a repository holds them, and blob references.

use crate::cbor::{self, check_data_model, Limits, Value};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::firehose::MAX_RECORD_BLOCK;
use crate::syntax::quote;

/// Checks a record block for writing: canonical DRISL of at most [`MAX_RECORD_BLOCK`] bytes (the
/// most a `#commit` may carry), a map with a non-empty string `$type`, the data model's rules
/// (blobs, empty keys) in every nested map, and no legacy blob reference (readable, never written).
pub fn check_record(block: &[u8]) -> Result<()> {
    check_record_value(&decode_record(block)?)
}

/// [`check_record`] for a record written to `collection`: its `$type` must be that NSID, as a PDS
/// requires (`invalid-record-type`).
pub fn check_record_in(block: &[u8], collection: &str) -> Result<()> {
    let value = decode_record(block)?;
    check_record_value(&value)?;
    check_type_is_collection(&value, collection)
}

/// [`encode_record`] for a record written to `collection`: checked as [`check_record_in`] checks
/// its block, so the block needs no second check (see [`Repository::prepare_encoded`]).
///
/// [`Repository::prepare_encoded`]: super::Repository::prepare_encoded
#[cfg_attr(not(all(target_arch = "wasm32", feature = "full")), allow(dead_code))] // the JS binding's
pub(crate) fn encode_record_in(value: &Value<'_>, collection: &str) -> Result<(Cid, Vec<u8>)> {
    let encoded = encode_record(value)?;
    check_type_is_collection(value, collection)?;
    Ok(encoded)
}

fn check_type_is_collection(value: &Value<'_>, collection: &str) -> Result<()> {
    match value.get("$type") {
        Some(Value::String(record_type)) if record_type == collection => Ok(()),
        _ => Err(Error::new(
            Code::InvalidRecordType,
            format!(
                "the record's $type is not its collection {}",
                quote(collection)
            ),
        )),
    }
}

fn decode_record(block: &[u8]) -> Result<Value<'_>> {
    if block.len() > MAX_RECORD_BLOCK {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "a record of {} bytes exceeds the limit of {MAX_RECORD_BLOCK} bytes",
                block.len()
            ),
        ));
    }
    cbor::decode_with_limits(block, Limits::RECORD)
}

/// The rules of [`check_record`] beyond DRISL, on a value.
fn check_record_value(value: &Value<'_>) -> Result<()> {
    if !matches!(value, Value::Map(_)) {
        return Err(Error::new(
            Code::CborUnexpectedType,
            "a record must be a map at its top level",
        ));
    }
    check_data_model(value)?;
    refuse_legacy_blobs(value)?;
    match value.get("$type") {
        Some(Value::String(t)) if !t.is_empty() => Ok(()),
        Some(_) => Err(Error::new(
            Code::InvalidRecordType,
            "a record's $type must be a non-empty string",
        )),
        None => Err(Error::new(
            Code::InvalidRecordType,
            "a record must have a $type (the NSID of its lexicon)",
        )),
    }
}

/// Refuses the legacy blob reference (`{cid, mimeType}`, both strings), anywhere in `value`: the
/// data model has readers accept it and writers never make it.
fn refuse_legacy_blobs(value: &Value<'_>) -> Result<()> {
    match value {
        Value::Map(entries) => {
            let is_legacy_blob = entries.len() == 2
                && matches!(value.get("cid"), Some(Value::String(_)))
                && matches!(value.get("mimeType"), Some(Value::String(_)));
            if is_legacy_blob {
                return Err(Error::new(
                    Code::InvalidBlob,
                    "a legacy blob reference {cid, mimeType} is read but never written: use {$type: \"blob\", ref, mimeType, size}",
                ));
            }
            entries
                .iter()
                .try_for_each(|(_, item)| refuse_legacy_blobs(item))
        }
        Value::Array(items) => items.iter().try_for_each(refuse_legacy_blobs),
        _ => Ok(()),
    }
}

/// A record value encoded for writing: its canonical DRISL bytes, checked by [`check_record`],
/// and their CID (the one a PDS assigns).
pub fn encode_record(value: &Value<'_>) -> Result<(Cid, Vec<u8>)> {
    check_record_value(value)?;
    let limits = Limits {
        max_size: MAX_RECORD_BLOCK,
        ..Limits::RECORD
    };
    let block = cbor::encode_with_limits(value, limits)?;
    Ok((Cid::for_drisl(&block), block))
}

/// The reference a record embeds for a blob of `bytes`: the raw-codec CID of the bytes and their
/// size; the MIME type must be a non-empty `type/subtype`.
pub fn blob_ref(bytes: &[u8], mime_type: &str) -> Result<(Cid, u64)> {
    let valid_mime = mime_type
        .split_once('/')
        .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty())
        && mime_type.bytes().all(|b| b.is_ascii_graphic());
    if !valid_mime {
        return Err(Error::new(
            Code::InvalidBlob,
            format!(
                "blob mimeType {} is not a type/subtype MIME type",
                quote(mime_type)
            ),
        ));
    }
    if bytes.is_empty() {
        return Err(Error::new(
            Code::InvalidBlob,
            "a blob must have a positive size (the bytes are empty)",
        ));
    }
    Ok((Cid::for_raw(bytes), bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[(&str, Value<'static>)]) -> Value<'static> {
        Value::Map(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned().into(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn type_is_required_and_non_empty() {
        let text = |s: &str| Value::String(s.to_owned().into());
        assert!(encode_record(&record(&[("$type", text("app.bsky.feed.like"))])).is_ok());
        for bad in [
            record(&[("text", text("hi"))]),
            record(&[("$type", text(""))]),
            record(&[("$type", Value::Integer(1))]),
        ] {
            assert_eq!(
                encode_record(&bad).unwrap_err().code(),
                Code::InvalidRecordType
            );
        }
        assert_eq!(
            encode_record(&Value::Array(vec![])).unwrap_err().code(),
            Code::CborUnexpectedType
        );
    }

    #[test]
    fn size_limit() {
        let big = record(&[
            ("$type", Value::String("x.y.z".into())),
            ("b", Value::Bytes(vec![0; MAX_RECORD_BLOCK].into())),
        ]);
        assert_eq!(encode_record(&big).unwrap_err().code(), Code::LimitExceeded);
        assert_eq!(
            check_record(&vec![0xa0; MAX_RECORD_BLOCK + 1])
                .unwrap_err()
                .code(),
            Code::LimitExceeded
        );
    }

    #[test]
    fn blob_refs() {
        let (cid, size) = blob_ref(b"hello", "text/plain").unwrap();
        assert_eq!(cid, Cid::for_raw(b"hello"));
        assert_eq!(size, 5);
        assert_eq!(
            blob_ref(b"x", "text").unwrap_err().code(),
            Code::InvalidBlob
        );
        assert_eq!(
            blob_ref(b"", "image/png").unwrap_err().code(),
            Code::InvalidBlob
        );
    }
}
