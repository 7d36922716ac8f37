//! Fuzzes the DRISL decoder: no input may panic it, the tree decoder and validation must agree,
//! and anything accepted must be canonical (re-encode to the same bytes).
//!
//! Run from the repository root: `cargo +nightly fuzz run cbor_decode -- -max_total_time=600`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes 200 blocks of the reference
//! repository (`tests/fixtures/generated/repo-1000-s1-k256.car`) into `fuzz/corpus/cbor_decode/`:
//! real records reach deep structure sooner.
#![no_main]

use atproof::cbor::{self, json, Decoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let validated = cbor::validate(data);
    match cbor::decode(data) {
        Ok(value) => {
            assert!(validated.is_ok(), "decode accepted what validate refused");
            assert_eq!(
                cbor::encode(&value).ok().as_deref(),
                Some(data),
                "accepted input is not canonical"
            );
            let _ = cbor::check_data_model(&value);
            if let Ok(text) = json::to_json_text(&value) {
                let _ = json::from_json_text(&text);
            }
        }
        Err(error) => assert_eq!(validated.err(), Some(error), "decode and validate disagree"),
    }
    if let Ok(mut decoder) = Decoder::new(data) {
        let _ = decoder.skip_value();
    }
});
