//! Keypairs: generation, import/export, deterministic low-S signing, and the low-S helpers.
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

const ALGORITHMS: [Algorithm; 2] = [Algorithm::Es256k, Algorithm::Es256];

/// The group order n of each curve, big-endian.
fn order(algorithm: Algorithm) -> [u8; 32] {
    let hex = match algorithm {
        Algorithm::Es256k => "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
        Algorithm::Es256 => "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
    };
    hex_bytes(hex).try_into().unwrap()
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// a − b for 256-bit big-endian numbers with a ≥ b.
fn sub(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = if d < 0 { 1 } else { 0 };
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    assert_eq!(borrow, 0);
    out
}

/// The high-S twin (r, n − s) of a low-S signature.
fn high_s_twin(algorithm: Algorithm, signature: &[u8; 64]) -> [u8; 64] {
    let mut twin = *signature;
    twin[32..].copy_from_slice(&sub(&order(algorithm), &signature[32..]));
    twin
}

#[test]
fn generate_sign_verify() {
    for algorithm in ALGORITHMS {
        let keypair = Keypair::generate(algorithm).unwrap();
        assert_eq!(keypair.algorithm(), algorithm);
        let key = PublicKey::from_did_key(&keypair.did()).unwrap();
        assert_eq!(key, keypair.public_key());
        let signature = keypair.sign(b"hello world");
        assert!(verify_signature(&key, b"hello world", &signature));
        assert!(!verify_signature(&key, b"hello world.", &signature));
        let other = Keypair::generate(algorithm).unwrap();
        assert_ne!(other.did(), keypair.did());
        assert_eq!(
            verify_signature_strict(&other.public_key(), b"hello world", &signature)
                .unwrap_err()
                .code(),
            Code::BadSignature
        );
    }
}

#[test]
fn signatures_are_deterministic() {
    for algorithm in ALGORITHMS {
        let keypair = Keypair::generate(algorithm).unwrap();
        let again = Keypair::import(algorithm, &keypair.export()).unwrap();
        let first = keypair.sign(b"same data");
        assert_eq!(keypair.sign(b"same data"), first);
        assert_eq!(again.sign(b"same data"), first);
        assert_ne!(keypair.sign(b"other data"), first);
    }
}

/// RFC 6979 appendix A.2.5 (P-256, SHA-256): `r` is the RFC's, and `s` is the RFC's or, when the RFC's
/// is high, its low-S twin.
#[test]
fn rfc6979_p256_vectors() {
    let keypair = Keypair::import(
        Algorithm::Es256,
        &hex_bytes("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"),
    )
    .unwrap();
    let n = order(Algorithm::Es256);
    // "sample": the RFC's s is high, so the low-S twin comes out.
    let signature = keypair.sign(b"sample");
    assert_eq!(
        signature[..32],
        hex_bytes("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716")
    );
    let rfc_s = hex_bytes("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
    assert_eq!(signature[32..], sub(&n, &rfc_s));
    // "test": the RFC's s is already low.
    let signature = keypair.sign(b"test");
    assert_eq!(
        signature.to_vec(),
        hex_bytes(
            "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367\
             019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"
        )
    );
}

#[test]
fn signatures_are_always_low_s_and_twins_are_refused() {
    for algorithm in ALGORITHMS {
        let keypair = Keypair::generate(algorithm).unwrap();
        let key = keypair.public_key();
        for i in 0..200u32 {
            let data = format!("message {i}");
            let signature = keypair.sign(data.as_bytes());
            assert!(is_low_s(algorithm, &signature).unwrap());
            assert_eq!(normalize_low_s(algorithm, &signature).unwrap(), signature);
            let twin = high_s_twin(algorithm, &signature);
            assert!(!is_low_s(algorithm, &twin).unwrap());
            assert_eq!(
                verify_signature_strict(&key, data.as_bytes(), &twin)
                    .unwrap_err()
                    .code(),
                Code::HighSSignature,
                "{algorithm} {i}"
            );
            assert!(!verify_signature(&key, data.as_bytes(), &twin));
            assert_eq!(normalize_low_s(algorithm, &twin).unwrap(), signature);
        }
    }
}

#[test]
fn import_export_round_trip() {
    for algorithm in ALGORITHMS {
        let keypair = Keypair::generate(algorithm).unwrap();
        let exported = keypair.export();
        let imported = Keypair::import(algorithm, &exported).unwrap();
        assert_eq!(imported.export(), exported);
        assert_eq!(imported.did(), keypair.did());
        // The secret never shows in Debug.
        let debug = format!("{keypair:?}");
        let secret_hex: String = exported.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!debug.to_lowercase().contains(&secret_hex), "{debug}");
        assert!(debug.contains(&keypair.did()));
    }
}

#[test]
fn bad_private_keys_are_refused() {
    for algorithm in ALGORITHMS {
        let n = order(algorithm);
        let mut n_plus_one = n;
        n_plus_one[31] += 1;
        let mut n_minus_one = n;
        n_minus_one[31] -= 1;
        for bad in [
            vec![0u8; 32],
            n.to_vec(),
            n_plus_one.to_vec(),
            vec![0xff; 32],
            vec![1u8; 31],
            vec![1u8; 33],
            vec![],
        ] {
            let err = Keypair::import(algorithm, &bad).unwrap_err();
            assert_eq!(
                err.code(),
                Code::InvalidPrivateKey,
                "{algorithm} {bad:02x?}"
            );
        }
        let mut one = [0u8; 32];
        one[31] = 1;
        for good in [one, n_minus_one] {
            let keypair = Keypair::import(algorithm, &good).unwrap();
            let signature = keypair.sign(b"edge");
            assert!(verify_signature(&keypair.public_key(), b"edge", &signature));
        }
    }
}

/// WebCrypto exports P-256 public keys as 65-byte uncompressed points ("raw").
#[test]
fn webcrypto_raw_key_to_did_key() {
    let keypair = Keypair::generate(Algorithm::Es256).unwrap();
    let raw = keypair.public_key().uncompressed();
    assert_eq!(raw.len(), 65);
    assert_eq!(raw[0], 0x04);
    let key = PublicKey::from_uncompressed(Algorithm::Es256, &raw).unwrap();
    assert_eq!(key.did_key(), keypair.did());
    assert_eq!(key.compressed()[1..], raw[1..33]);
    assert_eq!(key.compressed()[0], 0x02 | (raw[64] & 1));
}
