//! Fuzzes atproof's own JSON reader against serde_json, through the public entry points that use
//! it: atproto JSON (`from_json_text`, the input wrapped as `{"v": …}` so that any JSON value is
//! a record) and DID documents (`parse_did_document`). A text serde_json refuses must be refused
//! as not JSON (`invalid-json`, `invalid-did-document`), except for a number beyond a float's
//! range or nesting beyond serde_json's depth, which atproof reads as valid JSON; a text serde_json
//! reads must never be refused as not JSON; and a value atproof accepts, written back as JSON
//! text, must be the one serde_json read (numbers compared by value, `$bytes` by their bytes:
//! atproof writes canonical base64 for what may have been read with padding or stray low bits).
//!
//! Run from the repository root: `cargo +nightly fuzz run json -- -max_total_time=600`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes the data-model fixtures' JSON and
//! go-didplc's logs into `fuzz/corpus/json/`.
#![no_main]

use atproof::cbor::json::{from_json_text, to_json_text};
use atproof::identity::parse_did_document;
use atproof::Code;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let wrapped = format!("{{\"v\":{text}}}");
    let theirs = serde_json::from_str::<Value>(&wrapped);
    let ours = from_json_text(&wrapped);
    let beyond_serde = |e: &serde_json::Error| {
        let message = e.to_string();
        message.contains("number out of range") || message.contains("recursion limit")
    };
    match (&theirs, &ours) {
        (Err(e), _) if beyond_serde(e) => {}
        (Err(e), Ok(_)) => panic!("serde_json refuses ({e}), atproof accepts"),
        (Err(_), Err(error)) => assert_eq!(error.code(), Code::InvalidJson, "{error}"),
        (Ok(_), Err(error)) => assert_ne!(error.code(), Code::InvalidJson, "{error}"),
        (Ok(expected), Ok(value)) => {
            let written = to_json_text(value).unwrap();
            let back: Value = serde_json::from_str(&written).unwrap();
            assert!(same(expected, &back), "{expected} read as {back}");
        }
    }
    let document = parse_did_document(text);
    match serde_json::from_str::<Value>(text) {
        Err(e) if !beyond_serde(&e) => {
            assert_eq!(document.unwrap_err().code(), Code::InvalidDidDocument)
        }
        _ => {}
    }
});

/// Whether `b`, atproof's JSON of a value read from `a`, is `a`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            if let (Some(Value::String(x)), Some(Value::String(y))) =
                (x.get("$bytes"), y.get("$bytes"))
            {
                return bytes(x).is_some() && bytes(x) == bytes(y);
            }
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

fn bytes(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{general_purpose::GeneralPurpose, GeneralPurposeConfig};
    use base64::{alphabet::STANDARD, engine::DecodePaddingMode, Engine};
    let lenient = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&STANDARD, lenient).decode(text).ok()
}
