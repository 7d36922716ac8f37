//! ES256K verification and signing through libsecp256k1 (Bitcoin Core's C library, via the
//! `secp256k1` crate).
//!
//! RustCrypto's `k256` still parses keys; a secp256k1 key also carries libsecp256k1's form of the
//! same point, made once when the key is parsed (and kept by [`KeyCache`]), so each verification is
//! one call into the C library: natively about 2×, in wasm 5.7× as fast as `k256`'s verification,
//! with the clang settings of `.cargo/config.toml` (see the README, "Keys and signatures"). The
//! caller has already applied atproto's rules (64 bytes, `r` and `s` in `1..n`, low S);
//! libsecp256k1 also refuses high S by itself.
//!
//! Signing goes through libsecp256k1 too (about 3× as fast as `k256` in wasm, which matters for a
//! commit: the signature is most of its cost). Both use RFC 6979 nonces, so the signatures are the
//! same bytes; libsecp256k1 always gives the low-S form.
//!
//! No `unsafe` here: the `secp256k1` crate wraps the FFI.
//!
//! [`KeyCache`]: super::KeyCache

use std::fmt;

use secp256k1::ecdsa::Signature;
use secp256k1::{Message, PublicKey};

/// A secp256k1 public key in both libraries' forms: `k256`'s (encodings, equality) and
/// libsecp256k1's (verification).
#[derive(Clone, Copy)]
pub(super) struct K256Key {
    key: k256::ecdsa::VerifyingKey,
    /// libsecp256k1's parsed point; `None` only if libsecp256k1 refused a point `k256` accepted,
    /// which no valid point does (then `k256` verifies).
    fast: Option<PublicKey>,
}

impl K256Key {
    pub(super) fn new(key: k256::ecdsa::VerifyingKey) -> K256Key {
        // From the uncompressed point: no square root to take again.
        let point = key.to_sec1_point(false);
        let fast = <[u8; 65]>::try_from(point.as_bytes())
            .ok()
            .and_then(|bytes| PublicKey::from_byte_array_uncompressed(bytes).ok());
        K256Key { key, fast }
    }

    pub(super) fn k256(&self) -> &k256::ecdsa::VerifyingKey {
        &self.key
    }

    /// Whether `signature` (already checked: `r`, `s` in `1..n`, `s ≤ n/2`; `compact` is its 64
    /// bytes) is this key's signature of `prehash`.
    pub(super) fn verify_prehash(
        &self,
        prehash: &[u8; 32],
        compact: &[u8; 64],
        signature: &k256::ecdsa::Signature,
    ) -> bool {
        match &self.fast {
            Some(fast) => match Signature::from_compact(compact) {
                Ok(parsed) => {
                    secp256k1::ecdsa::verify(&parsed, Message::from_digest(*prehash), fast).is_ok()
                }
                Err(_) => false,
            },
            None => {
                use k256::ecdsa::signature::hazmat::PrehashVerifier;
                self.key.verify_prehash(prehash, signature).is_ok()
            }
        }
    }
}

/// Signs `prehash` with the secret scalar of `key`: the 64-byte compact low-S signature, the same
/// as `k256`'s (RFC 6979). `None` if libsecp256k1 refuses the scalar, which no valid key is.
pub(super) fn sign_prehash(key: &k256::ecdsa::SigningKey, prehash: &[u8; 32]) -> Option<[u8; 64]> {
    let mut scalar: [u8; 32] = key.to_bytes().into();
    let secret = secp256k1::SecretKey::from_secret_bytes(scalar);
    scalar.fill(0);
    std::hint::black_box(&scalar);
    let mut secret = secret.ok()?;
    let signature = secp256k1::ecdsa::sign(Message::from_digest(*prehash), &secret);
    secret.non_secure_erase();
    Some(signature.serialize_compact())
}

impl PartialEq for K256Key {
    fn eq(&self, other: &K256Key) -> bool {
        self.key == other.key
    }
}

impl Eq for K256Key {}

impl fmt::Debug for K256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("K256Key").field(&self.key).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::hazmat::PrehashSigner;

    fn signing_key(seed: u8) -> k256::ecdsa::SigningKey {
        let mut bytes = [seed; 32];
        bytes[0] = 1;
        k256::ecdsa::SigningKey::from_bytes(&bytes.into()).unwrap()
    }

    /// The same key verifying with `k256` only.
    fn k256_only(key: &K256Key) -> K256Key {
        K256Key {
            key: key.key,
            fast: None,
        }
    }

    #[test]
    fn signatures_are_k256_s_rfc6979_ones() {
        for seed in 0..=255u8 {
            let signing = signing_key(seed);
            let prehash = [seed.wrapping_mul(7); 32];
            let expected: k256::ecdsa::Signature = signing.sign_prehash(&prehash).unwrap();
            let expected: [u8; 64] = expected.normalize_s().to_bytes().into();
            assert_eq!(sign_prehash(&signing, &prehash), Some(expected), "{seed}");
        }
    }

    #[test]
    fn every_key_gets_the_fast_form() {
        for seed in 0..=255u8 {
            let key = K256Key::new(*signing_key(seed).verifying_key());
            assert!(key.fast.is_some(), "{seed}");
            assert_eq!(key, k256_only(&key));
        }
    }

    #[test]
    fn both_paths_agree_on_extreme_prehashes() {
        // Prehashes at and above the group order n are reduced mod n by both libraries: 0 and n
        // name the same scalar, as do 1 and n + 1.
        let order = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c,
            0xd0, 0x36, 0x41, 0x41,
        ];
        let mut order_plus_one = order;
        order_plus_one[31] += 1;
        let mut one = [0u8; 32];
        one[31] = 1;
        // (prehash, the scalar it reduces to, as an index)
        let prehashes = [
            ([0u8; 32], 0),
            (order, 0),
            (one, 1),
            (order_plus_one, 1),
            ([0xff; 32], 2),
            ([0x5a; 32], 3),
        ];
        for (seed, (prehash, scalar)) in prehashes.iter().enumerate() {
            let signing = signing_key(seed as u8);
            let key = K256Key::new(*signing.verifying_key());
            let signature: k256::ecdsa::Signature = signing.sign_prehash(prehash).unwrap();
            let signature = signature.normalize_s();
            let compact: [u8; 64] = signature.to_bytes().into();
            for (candidate, candidate_scalar) in &prehashes {
                let fast = key.verify_prehash(candidate, &compact, &signature);
                let slow = k256_only(&key).verify_prehash(candidate, &compact, &signature);
                assert_eq!(fast, slow, "seed {seed}, {candidate:02x?}");
                assert_eq!(
                    fast,
                    candidate_scalar == scalar,
                    "seed {seed}, {candidate:02x?}"
                );
            }
        }
    }
}
