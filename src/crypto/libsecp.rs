//! secp256k1 (ES256K) entirely through libsecp256k1 (Bitcoin Core's C library, via the
//! `secp256k1` crate): keys (parsing, point decompression, encodings), verification, signing, and
//! the range and low-S rules on signature scalars.
//!
//! One library for the curve keeps the wasm small (RustCrypto's `k256` beside it cost about 78 KB)
//! and is the fast one: with the clang settings of `.cargo/config.toml`, verification in wasm is
//! several times as fast as `k256`'s, signing about 3×, parsing a did:key 3×. Signatures are RFC 6979
//! (the same bytes as `k256` and `@noble/curves` make: the tests hold it to `k256`) and always
//! low-S. The scalar rules are checked here on the big-endian bytes, before libsecp256k1 sees them:
//! `r` and `s` in `1..n`, and low S (libsecp256k1 also refuses high S by itself).
//!
//! No `unsafe` here: the `secp256k1` crate wraps the FFI.

use std::fmt;

use secp256k1::ecdsa::Signature;
use secp256k1::{Message, PublicKey, SecretKey};

use crate::cid::digest_order;

/// The order `n` of secp256k1's group, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];
/// `(n − 1) / 2`: an `s` above it is high.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// A secp256k1 public key, a valid point.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct K256Key(PublicKey);

impl K256Key {
    /// A key from its 33-byte compressed or 65-byte uncompressed SEC1 form; `None` for a point not
    /// on the curve.
    pub(super) fn from_sec1(bytes: &[u8]) -> Option<K256Key> {
        PublicKey::from_slice(bytes).ok().map(K256Key)
    }

    pub(super) fn compressed(&self) -> [u8; 33] {
        self.0.serialize()
    }

    pub(super) fn uncompressed(&self) -> [u8; 65] {
        self.0.serialize_uncompressed()
    }

    /// Whether `compact` (already checked: `r`, `s` in `1..n`, low S) is this key's signature of
    /// `prehash`.
    pub(super) fn verify_prehash(&self, prehash: &[u8; 32], compact: &[u8; 64]) -> bool {
        Signature::from_compact(compact).is_ok_and(|signature| {
            secp256k1::ecdsa::verify(&signature, Message::from_digest(*prehash), &self.0).is_ok()
        })
    }
}

impl fmt::Debug for K256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("K256Key").field(&self.compressed()).finish()
    }
}

/// A secp256k1 secret scalar, wiped when dropped, with its public key (computed once: it takes a
/// scalar multiplication, as long as a signature).
#[derive(Clone)]
pub(super) struct K256Secret {
    secret: SecretKey,
    public: K256Key,
}

impl Drop for K256Secret {
    fn drop(&mut self) {
        self.secret.non_secure_erase();
    }
}

impl K256Secret {
    /// The key of a big-endian scalar in `1..n`; `None` otherwise.
    pub(super) fn from_bytes(bytes: &[u8; 32]) -> Option<K256Secret> {
        let secret = SecretKey::from_secret_bytes(*bytes).ok()?;
        let public = K256Key(PublicKey::from_secret_key(&secret));
        Some(K256Secret { secret, public })
    }

    pub(super) fn to_bytes(&self) -> [u8; 32] {
        self.secret.to_secret_bytes()
    }

    pub(super) fn public_key(&self) -> K256Key {
        self.public
    }

    /// Signs `prehash`: the 64-byte compact low-S signature (RFC 6979).
    pub(super) fn sign_prehash(&self, prehash: &[u8; 32]) -> [u8; 64] {
        secp256k1::ecdsa::sign(Message::from_digest(*prehash), &self.secret).serialize_compact()
    }
}

/// Whether `r` and `s` of a compact signature are both in `1..n`.
pub(super) fn scalars_in_range(compact: &[u8; 64]) -> bool {
    let (r, s) = scalars(compact);
    let in_range = |x: &[u8; 32]| *x != [0; 32] && digest_order(x, &ORDER).is_lt();
    in_range(r) && in_range(s)
}

/// Whether `s` of a compact signature (its scalars in range) is above `n/2`.
pub(super) fn is_high_s(compact: &[u8; 64]) -> bool {
    digest_order(scalars(compact).1, &HALF_ORDER).is_gt()
}

/// `r` and `s` of a compact signature, big-endian. They are compared with the byte order of
/// `cid::digest_order` (a word at a time): a slice comparison became a memcmp that LLVM expands into
/// byte-swapped words, about 20 wasm instructions per word wherever a check was inlined.
fn scalars(compact: &[u8; 64]) -> (&[u8; 32], &[u8; 32]) {
    let (r, s) = compact.split_at(32);
    (scalar(r), scalar(s))
}

fn scalar(half: &[u8]) -> &[u8; 32] {
    half.try_into().unwrap_or(&[0; 32])
}

/// The low-S twin of a compact signature (its scalars in range): `s` replaced by `n − s` when high.
pub(super) fn normalized(compact: &[u8; 64]) -> [u8; 64] {
    let mut out = *compact;
    if is_high_s(compact) {
        let mut borrow = 0u16;
        for i in (0..32).rev() {
            let (Some(&n), Some(s)) = (ORDER.get(i), out.get_mut(32 + i)) else {
                continue;
            };
            let difference = u16::from(n)
                .wrapping_sub(u16::from(*s))
                .wrapping_sub(borrow);
            *s = difference as u8;
            borrow = u16::from(difference > 0xff);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code
    use super::*;

    #[test]
    fn the_constants_are_the_curve_s() {
        let minus_one = {
            let mut n = ORDER;
            n[31] -= 1;
            n
        };
        // (n − 1) / 2 doubled is n − 1.
        let mut doubled = [0u8; 32];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(HALF_ORDER[i]) * 2 + carry;
            doubled[i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(doubled, minus_one);
        assert!(SecretKey::from_secret_bytes(minus_one).is_ok());
        assert!(SecretKey::from_secret_bytes(ORDER).is_err());
    }

    #[test]
    fn ranges_and_low_s() {
        let with = |r: [u8; 32], s: [u8; 32]| {
            let mut out = [0u8; 64];
            out[..32].copy_from_slice(&r);
            out[32..].copy_from_slice(&s);
            out
        };
        let one = {
            let mut x = [0u8; 32];
            x[31] = 1;
            x
        };
        assert!(scalars_in_range(&with(one, one)));
        assert!(!scalars_in_range(&with([0; 32], one)));
        assert!(!scalars_in_range(&with(one, ORDER)));
        assert!(!is_high_s(&with(one, HALF_ORDER)));
        let mut above = HALF_ORDER;
        above[31] += 1;
        let high = with(one, above);
        assert!(is_high_s(&high));
        // n − ((n − 1)/2 + 1) = (n − 1)/2
        assert_eq!(normalized(&high), with(one, HALF_ORDER));
        assert_eq!(normalized(&with(one, one)), with(one, one));
    }
}
