//! Private keys: generation, import/export, and signing.

use std::fmt;

use p256::elliptic_curve::Generate;
use sha2::digest::block_api::BlockSizeUser;
use sha2::digest::{FixedOutput, HashMarker, Output, OutputSizeUser, Update};
use sha2::{Digest, Sha256};

use super::es256::P256Key;
use super::keys::CurvePoint;
use super::libsecp::K256Secret;
use super::signature::SIGNATURE_LEN;
use super::{Algorithm, PublicKey};
use crate::{Code, Error, Result};

/// Size of a private key: the big-endian secret scalar.
const PRIVATE_KEY_LEN: usize = 32;

/// A private signing key on one of the two atproto curves.
///
/// Signatures are deterministic (RFC 6979: same key and data, same signature) and always low-S. The
/// secret scalar is wiped from memory when the keypair is dropped; `Debug` shows only the public side.
#[derive(Clone)]
pub struct Keypair(SigningKey);

#[derive(Clone)]
enum SigningKey {
    K256(K256Secret),
    /// The secret and its public key (computed once: it takes a scalar multiplication).
    P256(p256::ecdsa::SigningKey, P256Key),
}

impl Keypair {
    /// A new random key from the system's secure random source (`getrandom`; in browsers, Workers,
    /// Node and Deno that is `crypto.getRandomValues`).
    ///
    /// Errors with `environment` when the random source fails.
    pub fn generate(algorithm: Algorithm) -> Result<Keypair> {
        let key = match algorithm {
            Algorithm::Es256k => random_k256().map(SigningKey::K256),
            Algorithm::Es256 => p256::ecdsa::SigningKey::try_generate()
                .map_err(|err| err.to_string())
                .and_then(|secret| {
                    p256_signing_key(secret).ok_or_else(|| "no public key".to_owned())
                }),
        };
        key.map(Keypair).map_err(|err| {
            Error::new(
                Code::Environment,
                format!("the secure random source failed: {err}"),
            )
        })
    }

    /// A keypair from its 32-byte big-endian secret scalar (as [`Keypair::export`] returns it).
    ///
    /// Errors with `invalid-private-key` for another length, or a scalar that is zero or not below the
    /// curve order.
    pub fn import(algorithm: Algorithm, private_key: &[u8]) -> Result<Keypair> {
        let bytes: &[u8; PRIVATE_KEY_LEN] = private_key.try_into().map_err(|_| {
            Error::new(
                Code::InvalidPrivateKey,
                format!("private key must be 32 bytes, got {}", private_key.len()),
            )
        })?;
        let key = match algorithm {
            Algorithm::Es256k => K256Secret::from_bytes(bytes).map(SigningKey::K256),
            Algorithm::Es256 => p256::ecdsa::SigningKey::from_bytes(bytes.into())
                .ok()
                .and_then(p256_signing_key),
        };
        key.map(Keypair).ok_or_else(|| {
            Error::new(
                Code::InvalidPrivateKey,
                format!(
                    "{} private key must be a scalar in 1..n (not zero, below the curve order)",
                    algorithm.curve_name()
                ),
            )
        })
    }

    /// The 32-byte big-endian secret scalar. Handle with care.
    pub fn export(&self) -> [u8; PRIVATE_KEY_LEN] {
        match &self.0 {
            SigningKey::K256(key) => key.to_bytes(),
            SigningKey::P256(key, _) => key.to_bytes().into(),
        }
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            SigningKey::K256(_) => Algorithm::Es256k,
            SigningKey::P256(..) => Algorithm::Es256,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match &self.0 {
            SigningKey::K256(key) => PublicKey(CurvePoint::K256(key.public_key())),
            SigningKey::P256(_, public) => PublicKey(CurvePoint::P256(*public)),
        }
    }

    /// The public key as a `did:key`.
    pub fn did(&self) -> String {
        self.public_key().did_key()
    }

    /// Signs the SHA-256 hash of `data`: a 64-byte compact `r‖s`, deterministic (RFC 6979) and low-S.
    ///
    /// Never fails: in the (probability about 2⁻²⁵⁶) case that a nonce gives `r = 0` or `s = 0`,
    /// RFC 6979 draws the next one, on both curves.
    pub fn sign(&self, data: &[u8]) -> [u8; SIGNATURE_LEN] {
        let prehash = Sha256::digest(data).into();
        match &self.0 {
            SigningKey::K256(key) => key.sign_prehash(&prehash),
            SigningKey::P256(key, _) => sign_p256(key, &prehash),
        }
    }
}

/// An ES256 signature over a SHA-256 prehash: ecdsa's RFC 6979 signing, the one `PrehashSigner`
/// runs, with the nonce's HMAC-DRBG hashing through [`OutOfLineSha256`], then low-S.
fn sign_p256(key: &p256::ecdsa::SigningKey, prehash: &[u8; 32]) -> [u8; SIGNATURE_LEN] {
    let (signature, _) = ecdsa::hazmat::sign_prehashed_rfc6979::<p256::NistP256, OutOfLineSha256>(
        key.as_nonzero_scalar(),
        prehash,
        &[],
    );
    signature.normalize_s().to_bytes().into()
}

/// SHA-256 with its buffering and padding in one out-of-line copy each. RFC 6979's HMAC-DRBG
/// hashes at 15 places in one signature, and with `sha2::Sha256` itself LLVM inlined its `update`
/// and `finalize` into every one of them (9 KB of signing code for one hash function). Every
/// method forwards to `Sha256`: the same hash, the same nonces and signatures.
#[derive(Clone, Default)]
struct OutOfLineSha256(Sha256);

impl HashMarker for OutOfLineSha256 {}

impl OutputSizeUser for OutOfLineSha256 {
    type OutputSize = <Sha256 as OutputSizeUser>::OutputSize;
}

impl BlockSizeUser for OutOfLineSha256 {
    type BlockSize = <Sha256 as BlockSizeUser>::BlockSize;
}

impl Update for OutOfLineSha256 {
    #[inline(never)]
    fn update(&mut self, data: &[u8]) {
        Update::update(&mut self.0, data);
    }
}

impl FixedOutput for OutOfLineSha256 {
    #[inline(never)]
    fn finalize_into(self, out: &mut Output<Self>) {
        FixedOutput::finalize_into(self.0, out);
    }
}

/// A P-256 signing key with its public key, in the form verification uses.
fn p256_signing_key(secret: p256::ecdsa::SigningKey) -> Option<SigningKey> {
    let public = P256Key::from_sec1(secret.verifying_key().to_sec1_point(false).as_bytes())?;
    Some(SigningKey::P256(secret, public))
}

/// A secp256k1 key from the secure random source: 32 random bytes, drawn again in the (2^-128)
/// case that they are not a scalar in `1..n`.
fn random_k256() -> std::result::Result<K256Secret, String> {
    let mut bytes = [0u8; PRIVATE_KEY_LEN];
    for _ in 0..8 {
        getrandom::fill(&mut bytes).map_err(|err| err.to_string())?;
        let key = K256Secret::from_bytes(&bytes);
        bytes.fill(0);
        if let Some(key) = key {
            return Ok(key);
        }
    }
    Err("eight draws in a row were not secp256k1 scalars".to_owned())
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({}, {})", self.algorithm(), self.did())
    }
}
