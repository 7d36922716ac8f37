//! Keys and signatures: `did:key`/multikey public keys, strict signature verification, and signing.
//!
//! atproto signs with ECDSA on two curves: secp256k1 (`ES256K`, "k256") and NIST P-256 (`ES256`,
//! "p256"). The data is hashed with SHA-256 and the 32-byte hash is what gets signed and verified
//! (the "prehash"); signatures are 64-byte compact `r‖s`, never DER.
//!
//! The tricky bits:
//! - **Low-S on both curves.** For every valid `(r, s)` the twin `(r, n − s)` verifies too; atproto
//!   accepts only the form with `s ≤ n/2`. ECDSA itself does not care (libsecp256k1 refuses high S,
//!   most P-256 code does not), so [`verify_signature_strict`] checks `s` explicitly on both curves before verifying,
//!   and [`Keypair::sign`] always normalizes. [`normalize_low_s`] and [`is_low_s`] serve external
//!   signers (WebCrypto signs P-256 with either S).
//! - **Strict signature format.** Only 64 bytes are accepted; a DER signature (70–72 bytes starting with
//!   `0x30`) is refused even when its content would verify, and `r` and `s` must be in `1..n`.
//! - **Key encodings.** `did:key` and `Multikey` `publicKeyMultibase` are `z` + base58btc of a varint
//!   multicodec (`0xe7 0x01` secp256k1, `0x80 0x24` P-256) and the 33-byte *compressed* point; anything
//!   else after the codec (an uncompressed point, a wrong length) is refused, so every accepted string
//!   formats back to itself. Older DID documents use the legacy `EcdsaSecp256k1VerificationKey2019` /
//!   `EcdsaSecp256r1VerificationKey2019` types, whose `publicKeyMultibase` has *no* codec and the
//!   *uncompressed* 65-byte point (the interop fixtures also use the compressed point there); the curve
//!   comes from the type ([`PublicKey::from_legacy_multibase`]).
//!   All forms parse to the same [`PublicKey`].
//! - **Parsing costs.** Decoding a `did:key` (base58, then a square root to decompress the point) takes
//!   about a quarter of a secp256k1 verification (much less on P-256, whose verification is slower);
//!   [`KeyCache`] keeps parsed keys so a stream of signatures from the same accounts pays it once.
//! - **Speed and size.** secp256k1 (ES256K) is entirely libsecp256k1's (the `secp256k1` crate:
//!   keys, verification, signing): natively about 40 000 verifications per second on one core, in
//!   wasm about 20 000 (Node and Chromium). ES256 verification and P-256 keys are atproof's own
//!   (`es256`: variable-time code for public values, about 3× libsecp256k1's time in wasm and
//!   ~3× faster there than RustCrypto's `p256`); ES256 signing is `p256`'s. For P-256, WebCrypto's
//!   native verify plus [`is_low_s`] is the faster path where it exists.
//!
//! Verification has two flavours: [`verify_signature_strict`] returns the precise [`Code`] of what was
//! wrong (`invalid-signature-format`, `high-s-signature`, `bad-signature`); [`verify_signature`] answers
//! `true`/`false` and says `false` for every one of those. Malformed *keys* are always errors, raised
//! when the key is parsed.
//!
//! [`Code`]: crate::Code

mod cache;
mod es256;
mod keypair;
mod keys;
mod libsecp;
mod signature;

pub use cache::{with_default_key_cache, KeyCache};
pub use keypair::Keypair;
pub use keys::{Algorithm, PublicKey};
pub use signature::{is_low_s, normalize_low_s, verify_signature, verify_signature_strict};
