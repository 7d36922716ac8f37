//! The atproto interop crypto vectors (tests/fixtures/interop/crypto, CC0), every case of every file.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // test code

use atproof::crypto::{
    is_low_s, normalize_low_s, verify_signature, verify_signature_strict, Algorithm, Keypair,
    PublicKey,
};
use atproof::Code;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/interop/crypto")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(!cases.is_empty(), "{name} has no cases");
    cases
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {case}"))
}

fn base64(text: &str) -> Vec<u8> {
    STANDARD_NO_PAD.decode(text.trim_end_matches('=')).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn signature_fixtures() {
    let cases = fixture("signature-fixtures.json");
    let (mut valid, mut high_s, mut der) = (0, 0, 0);
    for case in &cases {
        let comment = text(case, "comment");
        let algorithm = Algorithm::from_jwt_name(text(case, "algorithm")).unwrap();
        let key = PublicKey::from_did_key(text(case, "publicKeyDid")).unwrap();
        assert_eq!(key.algorithm(), algorithm, "{comment}");
        assert_eq!(key.did_key(), text(case, "publicKeyDid"), "{comment}");

        // The same key in the legacy DID document form, the curve named by the suite.
        let suite_algorithm = match text(case, "didDocSuite") {
            "EcdsaSecp256k1VerificationKey2019" => Algorithm::Es256k,
            "EcdsaSecp256r1VerificationKey2019" => Algorithm::Es256,
            other => panic!("unknown suite {other}"),
        };
        assert_eq!(suite_algorithm, algorithm, "{comment}");
        let legacy =
            PublicKey::from_legacy_multibase(algorithm, text(case, "publicKeyMultibase")).unwrap();
        assert_eq!(legacy, key, "{comment}");

        let message = base64(text(case, "messageBase64"));
        let signature = base64(text(case, "signatureBase64"));
        let tags: Vec<&str> = case["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let outcome = verify_signature_strict(&key, &message, &signature);
        assert_eq!(
            verify_signature(&key, &message, &signature),
            case["validSignature"].as_bool().unwrap(),
            "{comment}"
        );
        match tags.as_slice() {
            [] => {
                assert_eq!(outcome, Ok(()), "{comment}");
                assert!(is_low_s(algorithm, &signature).unwrap());
                valid += 1;
            }
            ["high-s"] => {
                assert_eq!(
                    outcome.unwrap_err().code(),
                    Code::HighSSignature,
                    "{comment}"
                );
                assert!(!is_low_s(algorithm, &signature).unwrap());
                // Its low-S twin is a valid signature.
                let twin = normalize_low_s(algorithm, &signature).unwrap();
                assert_eq!(
                    verify_signature_strict(&key, &message, &twin),
                    Ok(()),
                    "{comment}"
                );
                high_s += 1;
            }
            ["der-encoded"] => {
                let err = outcome.unwrap_err();
                assert_eq!(err.code(), Code::InvalidSignatureFormat, "{comment}");
                assert!(err.message().contains("DER"), "{}", err.message());
                der += 1;
            }
            other => panic!("unexpected tags {other:?}"),
        }
    }
    assert_eq!(cases.len(), 6);
    assert_eq!((valid, high_s, der), (2, 2, 2));
}

fn check_didkey_vector(algorithm: Algorithm, private_key: &[u8], did_key: &str) {
    let key = PublicKey::from_did_key(did_key).unwrap();
    assert_eq!(key.algorithm(), algorithm);
    assert_eq!(key.did_key(), did_key);
    assert_eq!(format!("did:key:{}", key.multikey()), did_key);
    assert_eq!(PublicKey::from_multikey(&key.multikey()).unwrap(), key);
    assert_eq!(
        PublicKey::from_compressed(algorithm, &key.compressed()).unwrap(),
        key
    );
    assert_eq!(
        PublicKey::from_uncompressed(algorithm, &key.uncompressed()).unwrap(),
        key
    );

    let keypair = Keypair::import(algorithm, private_key).unwrap();
    assert_eq!(keypair.did(), did_key);
    assert_eq!(keypair.public_key(), key);
    assert_eq!(keypair.export().as_slice(), private_key);
    let signature = keypair.sign(b"atproto interop");
    assert_eq!(
        verify_signature_strict(&key, b"atproto interop", &signature),
        Ok(())
    );
    assert_eq!(
        verify_signature_strict(&key, b"atproto interop!", &signature)
            .unwrap_err()
            .code(),
        Code::BadSignature
    );
}

#[test]
fn w3c_didkey_k256() {
    let cases = fixture("w3c_didkey_K256.json");
    for case in &cases {
        let private_key = hex(text(case, "privateKeyBytesHex"));
        check_didkey_vector(Algorithm::Es256k, &private_key, text(case, "publicDidKey"));
    }
    assert_eq!(cases.len(), 5);
}

#[test]
fn w3c_didkey_p256() {
    let cases = fixture("w3c_didkey_P256.json");
    for case in &cases {
        let private_key = bs58::decode(text(case, "privateKeyBytesBase58"))
            .into_vec()
            .unwrap();
        check_didkey_vector(Algorithm::Es256, &private_key, text(case, "publicDidKey"));
    }
    assert_eq!(cases.len(), 1);
}
