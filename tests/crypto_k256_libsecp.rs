//! ES256K verification runs through libsecp256k1; these tests hold it to RustCrypto's `k256` (and the
//! strict atproto rules on top) on many pseudo-random keys, messages and signatures: valid ones,
//! wrong messages, wrong keys, high-S twins, flipped bits, swapped halves, out-of-range scalars and
//! random garbage. Natively and in wasm (`cargo test --target wasm32-unknown-unknown --test
//! crypto_k256_libsecp`), where libsecp256k1 is compiled with other settings (`.cargo/config.toml`).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // test code

use atproof::crypto::{verify_signature, verify_signature_strict, Algorithm, PublicKey};
use atproof::Code;
use k256::ecdsa::signature::{hazmat::PrehashSigner, Verifier};
use sha2::{Digest, Sha256};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Keys tried: fewer in wasm, where the tests run unoptimized (about 2 s per runner).
const KEYS: u32 = if cfg!(target_arch = "wasm32") {
    100
} else {
    400
};

/// secp256k1's group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// A reproducible byte stream: SHA-256 of a label and a counter.
struct Stream {
    label: u32,
    counter: u64,
}

impl Stream {
    fn new(label: u32) -> Stream {
        Stream { label, counter: 0 }
    }

    fn block(&mut self) -> [u8; 32] {
        self.counter += 1;
        let mut hasher = Sha256::new();
        hasher.update(self.label.to_be_bytes());
        hasher.update(self.counter.to_be_bytes());
        hasher.finalize().into()
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 32);
        while out.len() < len {
            out.extend_from_slice(&self.block());
        }
        out.truncate(len);
        out
    }

    fn below(&mut self, bound: usize) -> usize {
        (u64::from_be_bytes(self.block()[..8].try_into().unwrap()) % bound as u64) as usize
    }

    fn signing_key(&mut self) -> k256::ecdsa::SigningKey {
        loop {
            if let Ok(key) = k256::ecdsa::SigningKey::from_bytes(&self.block().into()) {
                return key;
            }
        }
    }
}

/// What atproto's rules say, computed with `k256` alone: 64 bytes, `r` and `s` in `1..n`, low S,
/// then `k256`'s ECDSA verification of SHA-256(data).
fn reference(key: &k256::ecdsa::VerifyingKey, data: &[u8], signature: &[u8]) -> Result<(), Code> {
    let bytes: [u8; 64] = signature
        .try_into()
        .map_err(|_| Code::InvalidSignatureFormat)?;
    let parsed = k256::ecdsa::Signature::from_bytes(&bytes.into())
        .map_err(|_| Code::InvalidSignatureFormat)?;
    if parsed.normalize_s() != parsed {
        return Err(Code::HighSSignature);
    }
    key.verify(data, &parsed).map_err(|_| Code::BadSignature)
}

fn sign(key: &k256::ecdsa::SigningKey, data: &[u8]) -> [u8; 64] {
    let signature: k256::ecdsa::Signature = key.sign_prehash(&Sha256::digest(data)).unwrap();
    signature.normalize_s().to_bytes().into()
}

/// n − s for a big-endian s < n.
fn negate(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

fn with_s(signature: &[u8; 64], s: &[u8; 32]) -> [u8; 64] {
    let mut out = *signature;
    out[32..].copy_from_slice(s);
    out
}

/// Checks atproof against the reference on one case, and that the case is the kind expected.
fn check(
    key: &PublicKey,
    reference_key: &k256::ecdsa::VerifyingKey,
    data: &[u8],
    signature: &[u8],
    expected: Option<Result<(), Code>>,
    what: &str,
) {
    let want = reference(reference_key, data, signature);
    if let Some(expected) = expected {
        assert_eq!(want, expected, "reference on {what}");
    }
    let got = verify_signature_strict(key, data, signature).map_err(|e| e.code());
    assert_eq!(
        got,
        want,
        "{what}: key {}, signature {signature:02x?}",
        key.did_key()
    );
    assert_eq!(
        verify_signature(key, data, signature),
        want.is_ok(),
        "{what}"
    );
}

#[test]
fn libsecp256k1_agrees_with_k256_on_random_cases() {
    let mut stream = Stream::new(1);
    let mut previous: Option<(k256::ecdsa::SigningKey, PublicKey)> = None;
    for i in 0..KEYS {
        let signing = stream.signing_key();
        let verifying = *signing.verifying_key();
        let compressed: [u8; 33] = k256::CompressedPoint::from(&verifying).into();
        let key = PublicKey::from_compressed(Algorithm::Es256k, &compressed).unwrap();
        let len = stream.below(300);
        let data = stream.bytes(len);
        let valid = sign(&signing, &data);

        check(&key, &verifying, &data, &valid, Some(Ok(())), "valid");
        let mut other_data = data.clone();
        other_data.push(i as u8);
        check(
            &key,
            &verifying,
            &other_data,
            &valid,
            Some(Err(Code::BadSignature)),
            "wrong message",
        );
        let twin = with_s(&valid, &negate(&valid[32..]));
        check(
            &key,
            &verifying,
            &data,
            &twin,
            Some(Err(Code::HighSSignature)),
            "high-S twin",
        );
        let mut flipped = valid;
        let bit = stream.below(512);
        flipped[bit / 8] ^= 1 << (bit % 8);
        check(&key, &verifying, &data, &flipped, None, "flipped bit");
        let mut swapped = [0u8; 64];
        swapped[..32].copy_from_slice(&valid[32..]);
        swapped[32..].copy_from_slice(&valid[..32]);
        check(&key, &verifying, &data, &swapped, None, "swapped r and s");
        let garbage = stream.bytes(64);
        check(&key, &verifying, &data, &garbage, None, "random garbage");
        // Garbage with a low s (top bit clear), so that it reaches the curve arithmetic.
        let mut low_garbage = stream.bytes(64);
        low_garbage[32] &= 0x7f;
        check(
            &key,
            &verifying,
            &data,
            &low_garbage,
            Some(Err(Code::BadSignature)),
            "low-S garbage",
        );
        let length = stream.below(80);
        let mut any_length = stream.bytes(length);
        if any_length.len() == 64 {
            any_length.push(0);
        }
        check(
            &key,
            &verifying,
            &data,
            &any_length,
            Some(Err(Code::InvalidSignatureFormat)),
            "length",
        );
        // The same data signed by the previous key: valid under that key only.
        if let Some((previous_signing, previous_key)) = &previous {
            let theirs = sign(previous_signing, &data);
            check(
                &key,
                &verifying,
                &data,
                &theirs,
                Some(Err(Code::BadSignature)),
                "other key",
            );
            check(
                previous_key,
                previous_signing.verifying_key(),
                &data,
                &theirs,
                Some(Ok(())),
                "their key",
            );
        }
        previous = Some((signing, key));
    }
}

#[test]
fn out_of_range_scalars_are_format_errors_before_verification() {
    let mut stream = Stream::new(2);
    let signing = stream.signing_key();
    let verifying = *signing.verifying_key();
    let key = PublicKey::from_compressed(
        Algorithm::Es256k,
        &<[u8; 33]>::from(k256::CompressedPoint::from(&verifying)),
    )
    .unwrap();
    let data = b"scalars";
    let valid = sign(&signing, data);
    let mut n_plus_r = [0u8; 64];
    n_plus_r[..32].copy_from_slice(&ORDER);
    n_plus_r[32..].copy_from_slice(&valid[32..]);
    let zero_r = {
        let mut sig = valid;
        sig[..32].fill(0);
        sig
    };
    let zero_s = with_s(&valid, &[0; 32]);
    let all_ones = [0xff; 64];
    for (signature, what) in [
        (n_plus_r, "r = n"),
        (zero_r, "r = 0"),
        (zero_s, "s = 0"),
        (all_ones, "r, s > n"),
    ] {
        check(
            &key,
            &verifying,
            data,
            &signature,
            Some(Err(Code::InvalidSignatureFormat)),
            what,
        );
    }
    // s = n/2 rounded down is the highest low S; s = that + 1 is high.
    let mut half = [0u8; 32];
    let mut carry = 0u8;
    for (out, byte) in half.iter_mut().zip(ORDER) {
        *out = (carry << 7) | (byte >> 1);
        carry = byte & 1;
    }
    check(
        &key,
        &verifying,
        data,
        &with_s(&valid, &half),
        Some(Err(Code::BadSignature)),
        "s = n/2",
    );
    let mut above = half;
    above[31] += 1;
    check(
        &key,
        &verifying,
        data,
        &with_s(&valid, &above),
        Some(Err(Code::HighSSignature)),
        "s = n/2 + 1",
    );
}
