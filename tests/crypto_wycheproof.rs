//! Project Wycheproof's ECDSA vectors for both atproto curves, P1363 (`r‖s`) encoding with
//! SHA-256 (tests/fixtures/wycheproof, Apache-2.0): every case of each file through
//! `verify_signature_strict`. A case Wycheproof calls valid verifies, or is refused only for a high
//! S (atproto's low-S rule, which Wycheproof does not have); every invalid case is refused. Each
//! case runs three times with the same outcome: a P-256 key's second successful verification
//! builds its word tables, so the valid cases (and the invalid ones after them in their group)
//! go through both of ES256's multiplications.
//! Natively and in wasm (`cargo test --target wasm32-unknown-unknown --test crypto_wycheproof`),
//! where libsecp256k1 is compiled with other settings and ES256's code runs on a 32-bit target.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // test code

use atproof::crypto::{verify_signature_strict, Algorithm, PublicKey};
use atproof::Code;
use serde_json::Value;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const P256_VECTORS: &str =
    include_str!("fixtures/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json");
const K256_VECTORS: &str =
    include_str!("fixtures/wycheproof/ecdsa_secp256k1_sha256_p1363_test.json");

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs every case of one file; returns (verified, refused for high S, refused as invalid).
fn run(file: &str, text: &str, algorithm: Algorithm, curve: &str) -> (usize, usize, usize) {
    let vectors: Value = serde_json::from_str(text).unwrap();
    let (mut verified, mut high_s, mut refused, mut cases) = (0, 0, 0, 0);
    for group in vectors["testGroups"].as_array().unwrap() {
        assert_eq!(group["publicKey"]["curve"], curve);
        assert_eq!(group["sha"], "SHA-256");
        let key_bytes = hex(group["publicKey"]["uncompressed"].as_str().unwrap());
        let key = PublicKey::from_uncompressed(algorithm, &key_bytes).unwrap();
        assert_eq!(key.uncompressed().to_vec(), key_bytes);
        // The compressed form names the same point.
        let again = PublicKey::from_compressed(algorithm, &key.compressed()).unwrap();
        assert_eq!(again, key);
        for case in group["tests"].as_array().unwrap() {
            cases += 1;
            let id = &case["tcId"];
            let comment = case["comment"].as_str().unwrap();
            let message = hex(case["msg"].as_str().unwrap());
            let signature = hex(case["sig"].as_str().unwrap());
            let outcome = verify_signature_strict(&key, &message, &signature);
            for _ in 0..2 {
                let again = verify_signature_strict(&key, &message, &signature);
                assert_eq!(
                    again.as_ref().map_err(|e| e.code()),
                    outcome.as_ref().map_err(|e| e.code()),
                    "{file} case {id} ({comment}) again"
                );
            }
            match (case["result"].as_str().unwrap(), outcome) {
                ("valid", Ok(())) => verified += 1,
                ("valid", Err(e)) if e.code() == Code::HighSSignature => high_s += 1,
                ("invalid", Err(_)) => refused += 1,
                (expected, outcome) => {
                    panic!("{file} case {id} ({comment}): expected {expected}, got {outcome:?}")
                }
            }
        }
    }
    assert_eq!(
        cases,
        vectors["numberOfTests"].as_u64().unwrap() as usize,
        "{file}: every case"
    );
    (verified, high_s, refused)
}

#[test]
fn p256_every_case() {
    let (verified, high_s, refused) = run(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        P256_VECTORS,
        Algorithm::Es256,
        "secp256r1",
    );
    assert_eq!(verified + high_s, 173);
    assert!(verified > 0 && high_s > 0, "{verified} {high_s}");
    assert_eq!(refused, 89);
}

#[test]
fn k256_every_case() {
    let (verified, high_s, refused) = run(
        "ecdsa_secp256k1_sha256_p1363_test.json",
        K256_VECTORS,
        Algorithm::Es256k,
        "secp256k1",
    );
    assert_eq!(verified + high_s, 167);
    assert!(verified > 0 && high_s > 0, "{verified} {high_s}");
    assert_eq!(refused, 85);
}
