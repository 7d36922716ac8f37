//! Fuzzes did:plc audit-log verification: no input may panic it; a log it accepts is accepted
//! again with the same result (the key cache and P-256's key tables a call leaves behind change no
//! answer), compares as identical with itself, and names as each operation's signer the key the
//! rule names, found here the slow way: the keys its `prev` still allows (all the parent's, or
//! those before the key that signed the parent's latest earlier child), tried in order of
//! priority, the first that verifies. atproof tries the keys that signed lately first instead.
//!
//! Run from the repository root: `cargo +nightly fuzz run plc -- -max_total_time=1800`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes go-didplc's logs (k256 and P-256
//! keys) into `fuzz/corpus/plc/`.
#![no_main]

use atproof::cbor::{encode, json::from_json_text};
use atproof::crypto::{verify_signature, PublicKey};
use atproof::identity::{compare_audit_logs, verify_plc_log, LogRelation};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let did = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|log| log.get(0)?.get("did")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa".to_owned());
    let first = verify_plc_log(&did, text);
    let again = verify_plc_log(&did, text);
    match (&first, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!((a.code(), a.message()), (b.code(), b.message())),
        _ => panic!("two verifications disagree: {first:?} / {again:?}"),
    }
    let Ok(verified) = first else { return };
    assert_eq!(
        compare_audit_logs(&did, text, text).unwrap(),
        LogRelation::Identical
    );
    let entries: Vec<Value> = serde_json::from_str(text).unwrap();
    for (index, entry) in entries.iter().enumerate() {
        let operation = &entry["operation"];
        let parent = match operation["prev"].as_str() {
            Some(prev) => entries
                .iter()
                .position(|e| e["cid"].as_str() == Some(prev))
                .unwrap(),
            None => index,
        };
        let mut keys = rotation_keys(&entries[parent]["operation"]);
        // A parent's allowed keys shrink to those before the key that signed its latest child.
        if let Some(sibling) = (parent + 1..index)
            .rev()
            .find(|&j| entries[j]["operation"]["prev"] == entries[parent]["cid"])
        {
            keys.truncate(verified.operations[sibling].signed_by);
        }
        let mut unsigned = operation.clone();
        unsigned.as_object_mut().unwrap().remove("sig");
        let bytes = encode(&from_json_text(&unsigned.to_string()).unwrap()).unwrap();
        let signature = base64url(operation["sig"].as_str().unwrap());
        let in_order = keys
            .iter()
            .position(|key| verify_signature(key, &bytes, &signature));
        assert_eq!(
            in_order,
            Some(verified.operations[index].signed_by),
            "operation {index}"
        );
    }
});

/// The keys that may sign a child of `operation`: its rotation keys (a legacy `create`: its
/// recovery key, then its signing key).
fn rotation_keys(operation: &Value) -> Vec<PublicKey> {
    let names: Vec<&Value> = if operation["type"] == "create" {
        vec![&operation["recoveryKey"], &operation["signingKey"]]
    } else {
        operation["rotationKeys"]
            .as_array()
            .unwrap()
            .iter()
            .collect()
    };
    names
        .into_iter()
        .map(|key| PublicKey::from_did_key(key.as_str().unwrap()).unwrap())
        .collect()
}

/// Unpadded base64url (the verification already refused anything else).
fn base64url(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut bits, mut count, mut out) = (0u32, 0, Vec::new());
    for byte in text.bytes() {
        let value = ALPHABET.iter().position(|&c| c == byte).unwrap() as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}
