//! Property tests: random values survive encode → decode → encode; random and mutated bytes never
//! panic the decoder, and whatever it accepts is canonical (re-encodes to the same bytes).

// proptest is a native-only dev-dependency.
#![cfg(not(target_arch = "wasm32"))]
// A test crate: helpers outside #[test] functions may fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;

use atproof::cbor::{self, canonical_key_order, json, Value};
use atproof::cid::{Cid, Codec};
use proptest::prelude::*;

fn value_strategy(
    integers: impl Strategy<Value = i64> + 'static,
) -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        integers.prop_map(Value::Integer),
        ".{0,20}".prop_map(|s| Value::String(Cow::Owned(s))),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::Bytes(Cow::Owned(b))),
        (any::<bool>(), any::<[u8; 32]>()).prop_map(|(raw, digest)| Value::Link(Cid::new(
            if raw { Codec::Raw } else { Codec::Drisl },
            digest
        ))),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            // Unique keys (a map cannot repeat one), in no particular order: the encoder sorts.
            prop::collection::hash_map("[a-zA-Z0-9_]{1,10}", inner, 0..8)
                .prop_map(|m| Value::Map(m.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect())),
        ]
    })
}

/// The same value with every map in canonical key order, as decoding yields it.
fn canonical(value: Value<'static>) -> Value<'static> {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Map(mut entries) => {
            entries.sort_by(|a, b| canonical_key_order(&a.0, &b.0));
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        other => other,
    }
}

/// Decoding must never panic; whatever it accepts must be canonical.
fn check_arbitrary_input(bytes: &[u8]) {
    let validated = cbor::validate(bytes);
    match cbor::decode(bytes) {
        Ok(value) => {
            assert!(validated.is_ok());
            assert_eq!(
                cbor::encode(&value).unwrap(),
                bytes,
                "accepted input is not canonical"
            );
        }
        Err(error) => assert_eq!(validated.unwrap_err(), error),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn values_round_trip(value in value_strategy(any::<i64>())) {
        let bytes = cbor::encode(&value).unwrap();
        let decoded = cbor::decode(&bytes).unwrap();
        prop_assert_eq!(cbor::encode(&decoded).unwrap(), bytes.clone());
        cbor::validate(&bytes).unwrap();
        // Any integer: to_json refuses the ones JSON cannot carry, and must not panic on them.
        let _ = json::to_json_text(&decoded);
        prop_assert_eq!(decoded, canonical(value));
    }

    #[test]
    fn values_round_trip_through_json(
        value in value_strategy(-json::MAX_SAFE_INTEGER..=json::MAX_SAFE_INTEGER)
    ) {
        let object = Value::Map(vec![(Cow::Borrowed("v"), value)]);
        let text = json::to_json_text(&object).unwrap();
        let back = json::from_json_text(&text).unwrap();
        prop_assert_eq!(cbor::encode(&back).unwrap(), cbor::encode(&object).unwrap());
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_arbitrary_input(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(
        value in value_strategy(any::<i64>()),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = cbor::encode(&value).unwrap();
        for (index, byte, kind) in edits {
            let at = index.index(bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => { bytes.remove(at); }
                _ => bytes.push(byte),
            }
        }
        check_arbitrary_input(&bytes);
    }
}
