//! Public keys and their string and byte encodings.

use std::fmt;

use super::es256::P256Key;
use super::libsecp::K256Key;
use crate::syntax::quote;
use crate::{Code, Error, Result};

const DID_KEY_PREFIX: &str = "did:key:";
/// Varint of multicodec `secp256k1-pub` (0xe7).
const SECP256K1_PUB_CODEC: [u8; 2] = [0xe7, 0x01];
/// Varint of multicodec `p256-pub` (0x1200).
const P256_PUB_CODEC: [u8; 2] = [0x80, 0x24];
const COMPRESSED_LEN: usize = 33;
const UNCOMPRESSED_LEN: usize = 65;
/// Decoding stops past this many bytes: every accepted key is shorter (35 or 65 bytes), and the bound
/// keeps base58 decoding (quadratic in its output) cheap on hostile input.
const MAX_DECODED_LEN: usize = 96;

/// An atproto signature algorithm, named as in JWT (`alg`) and in the JavaScript API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA on secp256k1 with SHA-256: `ES256K` ("k256").
    Es256k,
    /// ECDSA on NIST P-256 (secp256r1) with SHA-256: `ES256` ("p256").
    Es256,
}

impl Algorithm {
    /// The JWT name: `"ES256K"` or `"ES256"`.
    pub const fn jwt_name(self) -> &'static str {
        match self {
            Algorithm::Es256k => "ES256K",
            Algorithm::Es256 => "ES256",
        }
    }

    /// The algorithm with this JWT name (exact, case-sensitive); `unsupported-key-type` otherwise.
    pub fn from_jwt_name(name: &str) -> Result<Algorithm> {
        match name {
            "ES256K" => Ok(Algorithm::Es256k),
            "ES256" => Ok(Algorithm::Es256),
            _ => Err(Error::formatted(
                Code::UnsupportedKeyType,
                format_args!(
                    "unknown algorithm {}: expected \"ES256K\" or \"ES256\"",
                    quote(name)
                ),
            )),
        }
    }

    const fn multicodec(self) -> [u8; 2] {
        match self {
            Algorithm::Es256k => SECP256K1_PUB_CODEC,
            Algorithm::Es256 => P256_PUB_CODEC,
        }
    }

    fn from_multicodec(codec: [u8; 2]) -> Option<Algorithm> {
        match codec {
            SECP256K1_PUB_CODEC => Some(Algorithm::Es256k),
            P256_PUB_CODEC => Some(Algorithm::Es256),
            _ => None,
        }
    }

    /// The curve's usual name, for messages.
    pub(crate) const fn curve_name(self) -> &'static str {
        match self {
            Algorithm::Es256k => "secp256k1",
            Algorithm::Es256 => "P-256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jwt_name())
    }
}

/// A validated public key on one of the two atproto curves: a point on the curve, already
/// decompressed, ready to verify signatures.
///
/// Every way in (`did:key`, multikey, legacy multibase, compressed or uncompressed bytes) checks the
/// encoding and that the point is on the curve; every way out uses the canonical compressed form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub(super) CurvePoint);

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum CurvePoint {
    K256(K256Key),
    P256(P256Key),
}

impl PublicKey {
    /// Parses a `did:key:z…` string (a multikey behind the `did:key:` prefix).
    ///
    /// Errors: `invalid-did-key` without the prefix, then those of [`PublicKey::from_multikey`].
    pub fn from_did_key(did_key: &str) -> Result<PublicKey> {
        let multikey = did_key.strip_prefix(DID_KEY_PREFIX).ok_or_else(|| {
            Error::formatted(
                Code::InvalidDidKey,
                format_args!("{} does not start with \"did:key:\"", quote(did_key)),
            )
        })?;
        PublicKey::from_multikey(multikey)
    }

    /// Parses a multikey (`Multikey` `publicKeyMultibase`): `z` + base58btc of the varint multicodec and
    /// the 33-byte compressed point.
    ///
    /// Errors: `invalid-multibase` (no `z`, not base58btc), `unsupported-key-type` (another multicodec),
    /// `invalid-public-key` (wrong length, uncompressed, not on the curve).
    pub fn from_multikey(multikey: &str) -> Result<PublicKey> {
        let bytes = decode_base58btc_multibase(multikey)?;
        let (codec, key) = bytes.split_first_chunk::<2>().ok_or_else(|| {
            Error::formatted(
                Code::InvalidPublicKey,
                format_args!(
                    "multikey of {} bytes has no room for a multicodec",
                    bytes.len()
                ),
            )
        })?;
        let algorithm = Algorithm::from_multicodec(*codec).ok_or_else(|| {
            Error::formatted(
                Code::UnsupportedKeyType,
                format_args!(
                    "multicodec prefix {:02x} {:02x} is neither secp256k1-pub (e7 01) nor p256-pub (80 24)",
                    codec[0], codec[1]
                ),
            )
        })?;
        PublicKey::from_compressed(algorithm, key)
    }

    /// Parses any public-key string atproto uses: a `did:key`, a multikey, or a legacy codec-less
    /// multibase key with the 65-byte uncompressed point (the curve is the one the point lies on:
    /// a point of one curve is not on the other). A codec-less *compressed* key names no curve and is
    /// refused (`unsupported-key-type`): read it through its DID document, whose method type says.
    pub fn from_key_string(key: &str) -> Result<PublicKey> {
        if key.starts_with(DID_KEY_PREFIX) {
            return PublicKey::from_did_key(key);
        }
        let multikey_error = match PublicKey::from_multikey(key) {
            Ok(public_key) => return Ok(public_key),
            Err(e) => e,
        };
        match decode_base58btc_multibase(key) {
            Ok(bytes) if bytes.len() == UNCOMPRESSED_LEN => PublicKey::from_uncompressed(Algorithm::Es256k, &bytes)
                .or_else(|_| PublicKey::from_uncompressed(Algorithm::Es256, &bytes)),
            Ok(bytes) if bytes.len() == COMPRESSED_LEN => Err(Error::formatted(
                Code::UnsupportedKeyType,
                format_args!(
                    "{} is a codec-less compressed key, which does not say its curve: use the did:key from its DID document",
                    quote(key)
                ),
            )),
            _ => Err(multikey_error),
        }
    }

    /// Every key a key string can mean: [`PublicKey::from_key_string`]'s one key, or for a legacy
    /// codec-less *compressed* key (which names no curve) its reading on each curve the point lies on
    /// — one or two keys. Verifying against each is sound: a signature that verifies under the other
    /// curve's reading would need that reading's unknown discrete logarithm.
    pub fn candidates_from_key_string(key: &str) -> Result<Vec<PublicKey>> {
        match PublicKey::from_key_string(key) {
            Ok(public_key) => Ok(vec![public_key]),
            Err(error)
                if error.code() == Code::UnsupportedKeyType && !key.starts_with(DID_KEY_PREFIX) =>
            {
                let readings: Vec<PublicKey> = [Algorithm::Es256k, Algorithm::Es256]
                    .into_iter()
                    .filter_map(|algorithm| PublicKey::from_legacy_multibase(algorithm, key).ok())
                    .collect();
                if readings.is_empty() {
                    Err(error)
                } else {
                    Ok(readings)
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Parses the legacy `publicKeyMultibase` of `EcdsaSecp256k1VerificationKey2019` /
    /// `EcdsaSecp256r1VerificationKey2019` verification methods: `z` + base58btc of the point with no
    /// multicodec; the curve comes from the method's type. The DID specification describes the 65-byte
    /// uncompressed point; the 33-byte compressed point is accepted too, as the interop fixtures and
    /// the reference implementation do.
    // Out of line: `candidates_from_key_string` tries both curves in an unrolled loop, and each
    // inlined copy carried the base58 decoding and both length checks (size: docs/performance.md,
    // "wasm size").
    #[inline(never)]
    pub fn from_legacy_multibase(algorithm: Algorithm, multibase: &str) -> Result<PublicKey> {
        let bytes = decode_base58btc_multibase(multibase)?;
        if bytes.len() == COMPRESSED_LEN {
            PublicKey::from_compressed(algorithm, &bytes)
        } else {
            PublicKey::from_uncompressed(algorithm, &bytes)
        }
    }

    /// A key from its 33-byte SEC1 compressed form (`02`/`03` and x).
    pub fn from_compressed(algorithm: Algorithm, bytes: &[u8]) -> Result<PublicKey> {
        if bytes.len() != COMPRESSED_LEN || !matches!(bytes.first(), Some(0x02 | 0x03)) {
            return Err(Error::formatted(
                Code::InvalidPublicKey,
                format_args!(
                    "{} public key must be 33 bytes in compressed form (02 or 03 then x), got {}",
                    algorithm.curve_name(),
                    describe_point_bytes(bytes)
                ),
            ));
        }
        PublicKey::from_sec1(algorithm, bytes)
    }

    /// A key from its 65-byte SEC1 uncompressed form (`04`, x, y), as WebCrypto exports P-256 keys in
    /// `raw` format.
    pub fn from_uncompressed(algorithm: Algorithm, bytes: &[u8]) -> Result<PublicKey> {
        if bytes.len() != UNCOMPRESSED_LEN || bytes.first() != Some(&0x04) {
            return Err(Error::formatted(
                Code::InvalidPublicKey,
                format_args!(
                    "{} public key must be 65 bytes in uncompressed form (04, x, y), got {}",
                    algorithm.curve_name(),
                    describe_point_bytes(bytes)
                ),
            ));
        }
        PublicKey::from_sec1(algorithm, bytes)
    }

    fn from_sec1(algorithm: Algorithm, bytes: &[u8]) -> Result<PublicKey> {
        let point = match algorithm {
            Algorithm::Es256k => K256Key::from_sec1(bytes).map(CurvePoint::K256),
            Algorithm::Es256 => P256Key::from_sec1(bytes).map(CurvePoint::P256),
        };
        point.map(PublicKey).ok_or_else(|| {
            Error::formatted(
                Code::InvalidPublicKey,
                format_args!("not a point on the {} curve", algorithm.curve_name()),
            )
        })
    }

    /// The key's algorithm: [`Algorithm::Es256k`] or [`Algorithm::Es256`].
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            CurvePoint::K256(_) => Algorithm::Es256k,
            CurvePoint::P256(_) => Algorithm::Es256,
        }
    }

    /// The 33-byte SEC1 compressed point.
    pub fn compressed(&self) -> [u8; COMPRESSED_LEN] {
        match &self.0 {
            CurvePoint::K256(key) => key.compressed(),
            CurvePoint::P256(key) => key.compressed(),
        }
    }

    /// The 65-byte SEC1 uncompressed point (`04`, x, y): WebCrypto's `raw` P-256 format.
    pub fn uncompressed(&self) -> [u8; UNCOMPRESSED_LEN] {
        match &self.0 {
            CurvePoint::K256(key) => key.uncompressed(),
            CurvePoint::P256(key) => key.uncompressed(),
        }
    }

    /// The multikey: `z` + base58btc(multicodec varint ‖ compressed point).
    pub fn multikey(&self) -> String {
        let mut bytes = [0u8; 2 + COMPRESSED_LEN];
        let codec = self.algorithm().multicodec();
        let compressed = self.compressed();
        for (slot, byte) in bytes.iter_mut().zip(codec.iter().chain(compressed.iter())) {
            *slot = *byte;
        }
        let mut text = String::with_capacity(50);
        text.push('z');
        text.push_str(&bs58::encode(bytes).into_string());
        text
    }

    /// The `did:key:` form of [`PublicKey::multikey`].
    pub fn did_key(&self) -> String {
        format!("{DID_KEY_PREFIX}{}", self.multikey())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.did_key())
    }
}

/// The key as its `did:key`.
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.did_key())
    }
}

/// [`PublicKey::from_key_string`]: a `did:key`, a multikey or a legacy uncompressed key.
impl std::str::FromStr for PublicKey {
    type Err = Error;

    fn from_str(key: &str) -> Result<PublicKey> {
        PublicKey::from_key_string(key)
    }
}

/// By curve and compressed point, as equality compares them.
impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.algorithm().hash(state);
        self.compressed().hash(state);
    }
}

/// Decodes `z` + base58btc, refusing other multibase prefixes and anything longer than a key.
fn decode_base58btc_multibase(text: &str) -> Result<Vec<u8>> {
    let body = text.strip_prefix('z').ok_or_else(|| {
        Error::formatted(
            Code::InvalidMultibase,
            format_args!(
                "{} is not base58btc multibase (must start with 'z')",
                quote(text)
            ),
        )
    })?;
    let mut buffer = [0u8; MAX_DECODED_LEN];
    match bs58::decode(body).onto(&mut buffer[..]) {
        Ok(len) => Ok(buffer.get(..len).unwrap_or_default().to_vec()),
        Err(bs58::decode::Error::BufferTooSmall) => Err(Error::formatted(
            Code::InvalidPublicKey,
            format_args!(
                "multibase string of {} characters is too long for a public key",
                text.len()
            ),
        )),
        // Not bs58's own message: it shows the character with `{:?}` (see `quote`).
        Err(bs58::decode::Error::InvalidCharacter { character, index }) => Err(Error::formatted(
            Code::InvalidMultibase,
            format_args!(
                "not base58btc: {} at byte {index} is not in its alphabet",
                quote(character.encode_utf8(&mut [0; 4]))
            ),
        )),
        Err(bs58::decode::Error::NonAsciiCharacter { index }) => Err(Error::formatted(
            Code::InvalidMultibase,
            format_args!("not base58btc: a non-ASCII character at byte {index}"),
        )),
        Err(_) => Err(Error::new(Code::InvalidMultibase, "not base58btc")),
    }
}

/// A short description of point bytes for error messages: length and leading byte.
// Cold and out of line, as `Error::new`; it takes `format_args!` so that each caller passes its
// arguments only and the message is formatted here, once (size: docs/performance.md, "wasm size").
fn describe_point_bytes(bytes: &[u8]) -> String {
    match bytes.first() {
        Some(first) => format!("{} bytes starting with {first:02x}", bytes.len()),
        None => "0 bytes".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cryptography spec's example keys.
    const SPEC_KEYS: [(&str, Algorithm); 2] = [
        (
            "did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo",
            Algorithm::Es256,
        ),
        (
            "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
            Algorithm::Es256k,
        ),
    ];

    #[test]
    fn algorithm_names_round_trip() {
        for alg in [Algorithm::Es256k, Algorithm::Es256] {
            assert_eq!(Algorithm::from_jwt_name(alg.jwt_name()).unwrap(), alg);
        }
        assert_eq!(
            Algorithm::from_jwt_name("es256k").unwrap_err().code(),
            Code::UnsupportedKeyType
        );
        assert_eq!(
            Algorithm::from_jwt_name("EdDSA").unwrap_err().code(),
            Code::UnsupportedKeyType
        );
    }

    #[test]
    fn key_strings_of_every_form() {
        for (did, alg) in SPEC_KEYS {
            let key = PublicKey::from_did_key(did).unwrap();
            assert_eq!(PublicKey::from_key_string(did).unwrap(), key);
            assert_eq!(PublicKey::from_key_string(&key.multikey()).unwrap(), key);
            let legacy = format!("z{}", bs58::encode(key.uncompressed()).into_string());
            let parsed = PublicKey::from_key_string(&legacy).unwrap();
            assert_eq!((parsed, parsed.algorithm()), (key, alg));
            let compressed = format!("z{}", bs58::encode(key.compressed()).into_string());
            assert_eq!(
                PublicKey::from_key_string(&compressed).unwrap_err().code(),
                Code::UnsupportedKeyType
            );
            let candidates = PublicKey::candidates_from_key_string(&compressed).unwrap();
            assert!(
                candidates.contains(&key) && candidates.len() <= 2,
                "{candidates:?}"
            );
            assert_eq!(
                PublicKey::candidates_from_key_string(did).unwrap(),
                vec![key]
            );
        }
        assert_eq!(
            PublicKey::from_key_string("did:key:x").unwrap_err().code(),
            Code::InvalidMultibase
        );
        assert_eq!(
            PublicKey::from_key_string("hello").unwrap_err().code(),
            Code::InvalidMultibase
        );
        // '0' is not in base58's alphabet; é is not ASCII.
        let error = PublicKey::from_key_string("did:key:zQ3sh0").unwrap_err();
        assert_eq!(error.code(), Code::InvalidMultibase);
        assert_eq!(
            error.message(),
            "not base58btc: \"0\" at byte 4 is not in its alphabet"
        );
        let error = PublicKey::from_key_string("did:key:zQ3shé").unwrap_err();
        assert_eq!(
            error.message(),
            "not base58btc: a non-ASCII character at byte 4"
        );
    }

    #[test]
    fn spec_examples_round_trip() {
        for (did, alg) in SPEC_KEYS {
            let key = PublicKey::from_did_key(did).unwrap();
            assert_eq!(key.algorithm(), alg);
            assert_eq!(key.did_key(), did);
            assert_eq!(
                PublicKey::from_compressed(alg, &key.compressed()).unwrap(),
                key
            );
            assert_eq!(
                PublicKey::from_uncompressed(alg, &key.uncompressed()).unwrap(),
                key
            );
        }
    }

    #[test]
    fn legacy_multibase_matches_multikey() {
        // The example of the atproto DID specification: the same K-256 key in both encodings.
        let legacy = PublicKey::from_legacy_multibase(
            Algorithm::Es256k,
            "zQYEBzXeuTM9UR3rfvNag6L3RNAs5pQZyYPsomTsgQhsxLdEgCrPTLgFna8yqCnxPpNT7DBk6Ym3dgPKNu86vt9GR",
        )
        .unwrap();
        assert_eq!(
            legacy.multikey(),
            "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"
        );
    }

    #[test]
    fn malformed_keys_name_their_fault() {
        let cases = [
            (
                "zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
                Code::InvalidDidKey,
            ),
            (
                "did:key:Q3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
                Code::InvalidMultibase,
            ),
            (
                "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJw0",
                Code::InvalidMultibase,
            ),
            ("did:key:z", Code::InvalidPublicKey),
            // ed25519-pub
            (
                "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                Code::UnsupportedKeyType,
            ),
        ];
        for (input, code) in cases {
            assert_eq!(
                PublicKey::from_did_key(input).unwrap_err().code(),
                code,
                "{input}"
            );
        }
        // The right codec with a 32-byte body, and with the (valid) uncompressed point.
        let key =
            PublicKey::from_did_key("did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc")
                .unwrap();
        let short = [&SECP256K1_PUB_CODEC[..], &key.compressed()[..32]].concat();
        let uncompressed = [&SECP256K1_PUB_CODEC[..], &key.uncompressed()[..]].concat();
        for body in [short, uncompressed] {
            let multikey = format!("z{}", bs58::encode(body).into_string());
            assert_eq!(
                PublicKey::from_multikey(&multikey).unwrap_err().code(),
                Code::InvalidPublicKey
            );
        }
        let long = format!("did:key:z{}", "Q".repeat(10_000));
        assert_eq!(
            PublicKey::from_did_key(&long).unwrap_err().code(),
            Code::InvalidPublicKey
        );
    }

    #[test]
    fn off_curve_and_misshapen_points_are_refused() {
        let key =
            PublicKey::from_did_key("did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc")
                .unwrap();
        let mut uncompressed = key.uncompressed();
        uncompressed[64] ^= 1;
        let err = PublicKey::from_uncompressed(Algorithm::Es256k, &uncompressed).unwrap_err();
        assert_eq!(err.code(), Code::InvalidPublicKey);
        // x = 5 is not the x of a secp256k1 point (5³ + 7 = 132 is a non-residue mod p).
        let mut compressed = [0u8; 33];
        compressed[0] = 0x02;
        compressed[32] = 5;
        let err = PublicKey::from_compressed(Algorithm::Es256k, &compressed).unwrap_err();
        assert_eq!(err.code(), Code::InvalidPublicKey);
        assert_eq!(
            PublicKey::from_compressed(Algorithm::Es256k, &uncompressed)
                .unwrap_err()
                .code(),
            Code::InvalidPublicKey
        );
        assert_eq!(
            PublicKey::from_uncompressed(Algorithm::Es256, &compressed)
                .unwrap_err()
                .code(),
            Code::InvalidPublicKey
        );
        assert_eq!(
            PublicKey::from_compressed(Algorithm::Es256, &[])
                .unwrap_err()
                .code(),
            Code::InvalidPublicKey
        );
    }
}
