//! Fuzzes ES256 (P-256), atproof's own code, against RustCrypto's `p256`: key bytes in both SEC1
//! forms parse alike and encode back alike; a signature made by `p256` from a fuzzed secret over
//! the fuzzed message verifies; with a fuzzed byte of it changed, or a signature taken from the
//! input, atproof answers as `p256` does under atproto's rules (a high S refused, `r` and `s` in
//! `1..n`), both for a new key and once the key has its word tables (built at its second
//! successful verification).
//!
//! Run from the repository root: `cargo +nightly fuzz run es256 -- -max_total_time=1800`.
#![no_main]

use atproof::crypto::{verify_signature_strict, Algorithm, PublicKey};
use atproof::Code;
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::elliptic_curve::scalar::IsHigh;
use sha2::{Digest, Sha256};

/// What `p256` says of `signature` over `message` by `key`, in atproto's terms.
fn expected(
    key: &p256::ecdsa::VerifyingKey,
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), Code> {
    let Ok(parsed) = p256::ecdsa::Signature::from_bytes(&(*signature).into()) else {
        return Err(Code::InvalidSignatureFormat);
    };
    if bool::from(parsed.s().is_high()) {
        return Err(Code::HighSSignature);
    }
    let prehash: [u8; 32] = Sha256::digest(message).into();
    key.verify_prehash(&prehash, &parsed)
        .map_err(|_| Code::BadSignature)
}

fn check_key_bytes(bytes: &[u8]) {
    let theirs = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes).ok();
    let ours = match bytes.len() {
        33 => PublicKey::from_compressed(Algorithm::Es256, bytes),
        _ => PublicKey::from_uncompressed(Algorithm::Es256, bytes),
    }
    .ok();
    assert_eq!(ours.is_some(), theirs.is_some(), "{bytes:02x?}");
    if let (Some(ours), Some(theirs)) = (ours, theirs) {
        assert_eq!(
            ours.uncompressed().as_slice(),
            theirs.to_sec1_point(false).as_bytes()
        );
        assert_eq!(
            ours.compressed().as_slice(),
            theirs.to_sec1_point(true).as_bytes()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    // Key bytes: a compressed point from the first 33 bytes, an uncompressed one from 65.
    if let Some(first) = data.get(..33) {
        let mut compressed = first.to_vec();
        compressed[0] = 0x02 | (compressed[0] & 1);
        check_key_bytes(&compressed);
    }
    if let Some(first) = data.get(..65) {
        let mut uncompressed = first.to_vec();
        uncompressed[0] = 0x04;
        check_key_bytes(&uncompressed);
    }

    // A signature by a key from the first 32 bytes over the rest.
    let Some((secret, message)) = data.split_first_chunk::<32>() else {
        return;
    };
    let Ok(signer) = p256::ecdsa::SigningKey::from_bytes(&(*secret).into()) else {
        return;
    };
    let verifying = *signer.verifying_key();
    let key =
        PublicKey::from_uncompressed(Algorithm::Es256, verifying.to_sec1_point(false).as_bytes())
            .expect("p256's key parses");
    let prehash: [u8; 32] = Sha256::digest(message).into();
    let signature: p256::ecdsa::Signature = signer.sign_prehash(&prehash).expect("p256 signs");
    let low: [u8; 64] = signature.normalize_s().to_bytes().into();

    // One byte of it changed, as the message's first bytes say; and the message's own first 64
    // bytes as a signature over it.
    let mut changed = low;
    let at = usize::from(message.first().copied().unwrap_or(0)) % 64;
    changed[at] ^= message.get(1).copied().unwrap_or(1) | 1;
    let mut others = vec![(changed, expected(&verifying, message, &changed))];
    if let Some(taken) = message.first_chunk::<64>() {
        others.push((*taken, expected(&verifying, message, taken)));
    }
    let check_others = |when: &str| {
        for (signature, expected) in &others {
            let ours = verify_signature_strict(&key, message, signature).map_err(|e| e.code());
            assert_eq!(
                ours, *expected,
                "{when}: {signature:02x?} (changed byte {at})"
            );
        }
    };
    // A new key: the whole multiplication. Its second successful verification builds its word
    // tables, so the same checks then go through those.
    check_others("a new key");
    assert_eq!(verify_signature_strict(&key, message, &low), Ok(()));
    assert_eq!(verify_signature_strict(&key, message, &low), Ok(()));
    check_others("with the key's tables");
});
