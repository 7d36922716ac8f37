//! ES256K verification through libsecp256k1 (Bitcoin Core's C library, via the `secp256k1` crate).
//!
//! RustCrypto's `k256` still parses keys and signs; a secp256k1 key also carries libsecp256k1's form
//! of the same point, made once when the key is parsed (and kept by [`KeyCache`]), so each
//! verification is one call into the C library. In wasm that call is about twice as fast as
//! `k256`'s verification (see the README, "Keys and signatures").
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
            Some(fast) => {
                match Signature::from_compact(compact) {
                    Ok(parsed) => {
                        secp256k1::ecdsa::verify(&parsed, Message::from_digest(*prehash), fast)
                            .is_ok()
                    }
                    Err(_) => false,
                }
            }
            None => {
                use k256::ecdsa::signature::hazmat::PrehashVerifier;
                self.key.verify_prehash(prehash, signature).is_ok()
            }
        }
    }
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
