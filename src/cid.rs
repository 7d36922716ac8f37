//! atproto CIDs: the content hashes that link blocks, records and blobs.
//!
//! atproto blesses exactly one shape of CID: version 1, codec DRISL (`0x71`, records, MST nodes,
//! commits) or raw (`0x55`, blobs), multihash SHA-256 (`0x12`) of 32 bytes. Its binary form is
//! therefore always 36 bytes (`01 71|55 12 20 <digest>`) and its string form always 59 characters
//! (`b` + lower-case RFC 4648 base32 without padding). [`Cid`] stores only the codec and the
//! digest, so it is a small `Copy` value that compares, hashes and sorts without allocation.
//!
//! The tricky bits:
//! - Reading tells two failures apart: bytes that are not a CID at all (truncated, non-minimal
//!   varints) are [`Code::InvalidCid`]; a well-formed CID of another kind (CIDv0, another codec or
//!   hash, a short digest) is [`Code::CidUnsupported`], so callers can say "valid, but not atproto".
//! - The string form is strict: only the `b` multibase, only lower case, no padding, and the two
//!   bits left over at the end of the base32 text must be zero, so every CID has one spelling and
//!   string equality is CID equality.
//! - The Lexicon `cid` *string format* (does a string look like a CID of any kind?) is a looser,
//!   syntax-only question answered by [`crate::syntax::is_valid_cid_syntax`], not here.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{Code, Error, Result};
use crate::syntax::quote;

/// The content type a CID points at: the only two codecs atproto allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Codec {
    /// Raw bytes (`0x55`): blobs.
    Raw,
    /// DRISL, the atproto profile of DAG-CBOR (`0x71`): records, MST nodes, commits.
    Drisl,
}

impl Codec {
    /// The multicodec number.
    pub const fn code(self) -> u8 {
        match self {
            Codec::Raw => RAW_CODE,
            Codec::Drisl => DRISL_CODE,
        }
    }
}

const CID_VERSION_1: u8 = 0x01;
const DRISL_CODE: u8 = 0x71;
const RAW_CODE: u8 = 0x55;
const SHA2_256_CODE: u8 = 0x12;
const SHA2_256_LEN: u8 = 0x20;

/// Length of the binary form of every atproto CID.
pub const CID_BYTE_LEN: usize = 36;
/// Length of the string form (`b` + 58 base32 characters) of every atproto CID.
pub const CID_STRING_LEN: usize = 59;
/// Longest binary CID this module will look at when classifying an unsupported one (the
/// `MAX_CID_BYTES` of the atproto data-validation guide).
pub const MAX_CID_BYTES: usize = 100;

/// An atproto CID: CIDv1, DRISL or raw codec, SHA-256. See the [module docs](self).
///
/// Ordered by codec, then digest (byte by byte).
#[derive(Clone, Copy, Eq)]
pub struct Cid {
    codec: Codec,
    digest: [u8; 32],
}

// Compared a 64-bit word at a time: `[u8; 32]`'s own equality may become the memcmp expansion
// that [`digest_order`] avoids, whose byte-swapped loads slowed repository verification, where
// every block looked up is compared with a guess.
impl PartialEq for Cid {
    fn eq(&self, other: &Cid) -> bool {
        self.codec == other.codec && digest_words(&self.digest).eq(digest_words(&other.digest))
    }
}

// By hand because `PartialEq` is: the same fields as the equality.
impl std::hash::Hash for Cid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.codec.hash(state);
        self.digest.hash(state);
    }
}

impl Ord for Cid {
    fn cmp(&self, other: &Cid) -> std::cmp::Ordering {
        self.codec
            .cmp(&other.codec)
            .then_with(|| digest_order(&self.digest, &other.digest))
    }
}

impl PartialOrd for Cid {
    fn partial_cmp(&self, other: &Cid) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The byte-by-byte order of two digests, a 64-bit word at a time. `[u8; 32]`'s own comparison
/// becomes a memcmp that LLVM expands into byte-swapped word loads, and wasm has no byte-swap
/// instruction: about 20 instructions per word and side at each comparison inlined (the digest
/// sorts and searches have many). Here only the first word that differs is looked into: its lowest
/// differing byte, read little-endian, is the first in memory.
#[inline]
pub(crate) fn digest_order(a: &[u8; 32], b: &[u8; 32]) -> std::cmp::Ordering {
    for (a, b) in digest_words(a).zip(digest_words(b)) {
        if a != b {
            let shift = (a ^ b).trailing_zeros() & !7;
            return ((a >> shift) as u8).cmp(&((b >> shift) as u8));
        }
    }
    std::cmp::Ordering::Equal
}

/// A digest's four 64-bit words, read little-endian.
fn digest_words(digest: &[u8; 32]) -> impl Iterator<Item = u64> + '_ {
    digest
        .chunks_exact(8)
        .map(|bytes| u64::from_le_bytes(bytes.try_into().unwrap_or_default()))
}

impl Cid {
    /// The CID with this codec and SHA-256 digest.
    pub const fn new(codec: Codec, digest: [u8; 32]) -> Cid {
        Cid { codec, digest }
    }

    /// The CID of a DRISL block (a record, MST node or commit): SHA-256 of `block`.
    pub fn for_drisl(block: &[u8]) -> Cid {
        Cid::new(Codec::Drisl, sha256(block))
    }

    /// The CID of a blob: SHA-256 of `bytes`, raw codec.
    pub fn for_raw(bytes: &[u8]) -> Cid {
        Cid::new(Codec::Raw, sha256(bytes))
    }

    /// The codec.
    pub const fn codec(&self) -> Codec {
        self.codec
    }

    /// The 32-byte SHA-256 digest.
    pub const fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Whether `block` hashes to this CID (same SHA-256 digest; the codec is not looked at).
    pub fn matches(&self, block: &[u8]) -> bool {
        sha256(block) == self.digest
    }

    /// Checks that `block` hashes to this CID; [`Code::CidMismatch`] names both CIDs otherwise.
    pub fn verify(&self, block: &[u8]) -> Result<()> {
        self.verify_digest(sha256(block))
    }

    /// [`Cid::verify`] for a block whose SHA-256 is `digest` (hashed already, e.g. in a batch).
    pub(crate) fn verify_digest(&self, digest: [u8; 32]) -> Result<()> {
        let actual = Cid::new(self.codec, digest);
        if actual == *self {
            Ok(())
        } else {
            Err(Error::new(
                Code::CidMismatch,
                format!("block stored under {self} hashes to {actual}"),
            ))
        }
    }

    /// Reads a binary CID at the start of `bytes` (more bytes may follow); returns it and the number
    /// of bytes it took (always [`CID_BYTE_LEN`]).
    pub fn read_prefix(bytes: &[u8]) -> Result<(Cid, usize)> {
        if let Some(&[CID_VERSION_1, codec, SHA2_256_CODE, SHA2_256_LEN, ref digest @ ..]) =
            bytes.get(..CID_BYTE_LEN)
        {
            let codec = match codec {
                DRISL_CODE => Some(Codec::Drisl),
                RAW_CODE => Some(Codec::Raw),
                _ => None,
            };
            if let (Some(codec), Ok(digest)) = (codec, <[u8; 32]>::try_from(digest)) {
                return Ok((Cid::new(codec, digest), CID_BYTE_LEN));
            }
        }
        Err(classify_unblessed(bytes))
    }

    /// Reads a binary CID that is exactly `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Cid> {
        let (cid, used) = Cid::read_prefix(bytes)?;
        if used == bytes.len() {
            Ok(cid)
        } else {
            Err(Error::new(
                Code::InvalidCid,
                format!("{} bytes follow the 36-byte CID", bytes.len() - used),
            ))
        }
    }

    /// The 36-byte binary form.
    pub fn to_bytes(&self) -> [u8; CID_BYTE_LEN] {
        let mut out = [0u8; CID_BYTE_LEN];
        let (header, digest) = out.split_at_mut(4);
        header.copy_from_slice(&[
            CID_VERSION_1,
            self.codec.code(),
            SHA2_256_CODE,
            SHA2_256_LEN,
        ]);
        digest.copy_from_slice(&self.digest);
        out
    }

    /// Appends the 36-byte binary form to `out`.
    pub fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            CID_VERSION_1,
            self.codec.code(),
            SHA2_256_CODE,
            SHA2_256_LEN,
        ]);
        out.extend_from_slice(&self.digest);
    }

    /// Appends the string form (`b` + lower-case base32, ASCII) to `out` as bytes: for long lists
    /// of CIDs, without the formatting machinery and a UTF-8 check per CID.
    pub fn write_string_bytes(&self, out: &mut Vec<u8>) {
        let mut text = [0; CID_STRING_LEN];
        self.encode_ascii(&mut text);
        out.extend_from_slice(&text);
    }

    /// The string form, written into `text`.
    pub(crate) fn encode_string<'t>(&self, text: &'t mut [u8; CID_STRING_LEN]) -> &'t str {
        self.encode_ascii(text);
        // Base32 output is ASCII; the fallback is never taken.
        std::str::from_utf8(text).unwrap_or_default()
    }

    /// The string form's ASCII bytes, written into `text`.
    fn encode_ascii(&self, text: &mut [u8; CID_STRING_LEN]) {
        let (prefix, rest) = text.split_at_mut(1);
        prefix.copy_from_slice(b"b");
        base32_encode(&self.to_bytes(), rest);
    }

    /// Parses the string form (`b` + lower-case base32), strictly: see the [module docs](self).
    pub fn parse(s: &str) -> Result<Cid> {
        let text = match s.as_bytes().split_first() {
            Some((b'b', text)) => text,
            Some((prefix, _)) if is_multibase_prefix(*prefix) => {
                return Err(Error::new(
                    Code::CidUnsupported,
                    format!(
                        "CID {} is not in base32 (multibase 'b'), the only encoding atproto allows",
                        quote(s)
                    ),
                ))
            }
            _ => {
                return Err(Error::new(
                    Code::InvalidCid,
                    format!("{} is not a multibase CID string", quote(s)),
                ))
            }
        };
        let mut buf = [0u8; MAX_CID_BYTES];
        let len = base32_decode(text, &mut buf).ok_or_else(|| {
            Error::new(
                Code::InvalidCid,
                format!(
                    "CID {} is not lower-case unpadded canonical base32 of at most {MAX_CID_BYTES} bytes",
                    quote(s)
                ),
            )
        })?;
        let bytes = buf.get(..len).unwrap_or_default();
        Cid::from_bytes(bytes).map_err(|e| e.context(format!("CID {}", quote(s))))
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode_string(&mut [0; CID_STRING_LEN]))
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cid({self})")
    }
}

impl FromStr for Cid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Cid> {
        Cid::parse(s)
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The SHA-256 of each message, written to `digests` in the same order (extra slots on either side
/// are left alone): how atproof hashes a CAR's blocks and an MST's keys. In wasm it hashes four
/// messages at once in the lanes of SIMD128 vectors, several times the speed of one at a time for
/// small blocks; natively it is sha2 (with SHA-NI where the CPU has it), one message at a time.
pub use crate::support::sha256x4::sha256_many;

/// Multibase prefixes of the text encodings a CID string may use (base2, base8, base10, base16,
/// base32 variants, base36, base58 and base64 variants): a CID string in one of them is a CID
/// atproto does not support rather than no CID at all.
fn is_multibase_prefix(b: u8) -> bool {
    b"079fFvVtTbBcChkKzZmMuU".contains(&b)
}

/// Why `bytes` is not an atproto CID: [`Code::CidUnsupported`] for a well-formed CID of another
/// kind, [`Code::InvalidCid`] for anything else. Cold: only an input that is not an atproto CID
/// comes here.
#[cold]
#[inline(never)]
fn classify_unblessed(bytes: &[u8]) -> Error {
    let invalid = |why: &str| Error::new(Code::InvalidCid, format!("not a CID: {why}"));
    let unsupported = |why: String| Error::new(Code::CidUnsupported, why);
    if let Some(&[SHA2_256_CODE, SHA2_256_LEN, ..]) = bytes.get(..2) {
        return if bytes.len() >= 34 {
            unsupported("CIDv0 is not allowed in atproto (CIDv1 only)".into())
        } else {
            invalid("truncated CIDv0")
        };
    }
    let mut rest = bytes;
    let mut fields = [0u64; 4];
    for field in &mut fields {
        match read_varint(rest) {
            Some((value, used)) => {
                *field = value;
                rest = rest.get(used..).unwrap_or_default();
            }
            None => return invalid("truncated or non-minimal varint in the header"),
        }
    }
    let [version, codec, hash, digest_len] = fields;
    if version != u64::from(CID_VERSION_1) {
        return unsupported(format!(
            "CID version {version} (atproto allows only version 1)"
        ));
    }
    if usize::try_from(digest_len).map_or(true, |len| rest.len() < len) {
        return invalid("the digest is truncated");
    }
    if codec != u64::from(DRISL_CODE) && codec != u64::from(RAW_CODE) {
        return unsupported(format!(
            "codec 0x{codec:x} (atproto allows DRISL 0x71 and raw 0x55)"
        ));
    }
    unsupported(format!(
        "multihash 0x{hash:x} of {digest_len} bytes (atproto allows SHA-256 0x12 of 32 bytes)"
    ))
}

/// A varint of a binary CID: strict as every varint (minimal, within 64 bits), and at most 9 bytes
/// as multiformats' unsigned-varint allows; `None` otherwise or when `bytes` ends inside it.
/// Out of line: [`classify_unblessed`]'s loop over the four header fields was unrolled with a
/// copy of the varint reader in each step (size: docs/performance.md, "wasm size").
#[inline(never)]
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    match crate::support::varint::read_varint(bytes, 0) {
        Ok(Some((value, used))) if used <= 9 => Some((value, used)),
        _ => None,
    }
}

const BASE32_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Value of each lower-case base32 character, 0xff for every other byte.
const BASE32_VALUES: [u8; 256] = crate::support::alphabet_values(BASE32_ALPHABET);

/// Writes the unpadded lower-case base32 of `bytes` into `out`, which must hold exactly
/// `ceil(8 * bytes.len() / 5)` bytes.
pub(crate) fn base32_encode(bytes: &[u8], out: &mut [u8]) {
    // Five bytes make eight characters: whole groups go through one u64, the tail bit by bit.
    let char_of = |index: u64| {
        BASE32_ALPHABET
            .get(index as usize & 31)
            .copied()
            .unwrap_or(b'a')
    };
    let mut groups = bytes.chunks_exact(5);
    let mut octets = out.chunks_exact_mut(8);
    for (group, octet) in (&mut groups).zip(&mut octets) {
        let word = group.iter().fold(0u64, |word, &b| word << 8 | u64::from(b));
        for (i, slot) in octet.iter_mut().enumerate() {
            *slot = char_of(word >> (35 - 5 * i));
        }
    }
    let mut chars = octets.into_remainder().iter_mut();
    let mut bits = 0u32;
    let mut bit_count = 0u32;
    let mut push = |index: u32| {
        if let Some(slot) = chars.next() {
            *slot = char_of(u64::from(index));
        }
    };
    for &b in groups.remainder() {
        bits = (bits << 8) | u32::from(b);
        bit_count += 8;
        while bit_count >= 5 {
            bit_count -= 5;
            push(bits >> bit_count);
        }
        bits &= (1 << bit_count) - 1;
    }
    if bit_count > 0 {
        push(bits << (5 - bit_count));
    }
}

/// Decodes unpadded lower-case base32 into `out`; `None` if a character is outside the alphabet,
/// the length is impossible, the leftover bits are not zero, or `out` is too small.
fn base32_decode(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut bits = 0u32;
    let mut bit_count = 0u32;
    let mut len = 0usize;
    for &c in text {
        let value = *BASE32_VALUES.get(usize::from(c))?;
        if value == 0xff {
            return None;
        }
        bits = (bits << 5) | u32::from(value);
        bit_count += 5;
        if bit_count >= 8 {
            bit_count -= 8;
            *out.get_mut(len)? = (bits >> bit_count) as u8;
            len += 1;
            bits &= (1 << bit_count) - 1;
        }
    }
    // Leftover bits must be fewer than 5 (else a whole character was wasted) and all zero.
    (bit_count < 5 && bits == 0).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD_CID: &str = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a";
    const BLOB_CID: &str = "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity";

    #[test]
    fn digest_order_and_equality_are_byte_order() {
        // Digests that differ first at each byte, both ways, by one bit and by a whole byte, and
        // pseudo-random pairs sharing a prefix of every length.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for at in 0..32 {
            for (x, y) in [(0x00, 0x01), (0x7f, 0x80), (0x01, 0xff), (0xfe, 0xff)] {
                let mut a = [0x5a_u8; 32];
                let mut b = a;
                a[at] = x;
                b[at] = y;
                for later in at + 1..32 {
                    a[later] = next() as u8;
                    b[later] = next() as u8;
                }
                assert_eq!(digest_order(&a, &b), a.cmp(&b), "at {at}");
                assert_eq!(digest_order(&b, &a), b.cmp(&a), "at {at}");
                assert_eq!(digest_order(&a, &a), std::cmp::Ordering::Equal);
            }
        }
        for _ in 0..10_000 {
            let mut a = [0u8; 32];
            a.iter_mut().for_each(|byte| *byte = next() as u8);
            let mut b = a;
            let from = (next() % 33) as usize;
            b.iter_mut()
                .skip(from)
                .for_each(|byte| *byte = next() as u8);
            assert_eq!(digest_order(&a, &b), a.cmp(&b));
            for (x, y) in [
                (Cid::new(Codec::Drisl, a), Cid::new(Codec::Drisl, b)),
                (Cid::new(Codec::Drisl, a), Cid::new(Codec::Raw, b)),
            ] {
                assert_eq!(x.cmp(&y), (x.codec, x.digest).cmp(&(y.codec, y.digest)));
                assert_eq!(x == y, (x.codec, x.digest) == (y.codec, y.digest));
            }
        }
    }

    #[test]
    fn string_round_trip() {
        for s in [RECORD_CID, BLOB_CID] {
            let cid: Cid = s.parse().unwrap();
            assert_eq!(cid.to_string(), s);
            assert_eq!(Cid::from_bytes(&cid.to_bytes()).unwrap(), cid);
        }
        assert_eq!(Cid::parse(RECORD_CID).unwrap().codec(), Codec::Drisl);
        assert_eq!(Cid::parse(BLOB_CID).unwrap().codec(), Codec::Raw);
    }

    #[test]
    fn hashes_blocks() {
        // The CID of the empty DRISL map `{}` (0xa0), a well-known value.
        let cid = Cid::for_drisl(&[0xa0]);
        assert_eq!(
            cid.to_string(),
            "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua"
        );
        assert!(cid.matches(&[0xa0]));
        assert!(cid.verify(&[0xa0]).is_ok());
        assert_eq!(cid.verify(&[0xa1]).unwrap_err().code(), Code::CidMismatch);
        assert_eq!(Cid::for_raw(b"").codec(), Codec::Raw);
    }

    #[test]
    fn rejects_bad_strings() {
        let code = |s: &str| Cid::parse(s).unwrap_err().code();
        assert_eq!(code(""), Code::InvalidCid);
        assert_eq!(code("."), Code::InvalidCid);
        assert_eq!(code(&RECORD_CID.to_uppercase()), Code::CidUnsupported);
        assert_eq!(
            code("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"),
            Code::InvalidCid
        );
        assert_eq!(
            code("zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7"),
            Code::CidUnsupported
        );
        // dag-pb CIDv1 (codec 0x70).
        assert_eq!(
            code("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"),
            Code::CidUnsupported
        );
        // Last character changed so the leftover bits are not zero.
        let mut noncanonical = RECORD_CID.to_string();
        noncanonical.pop();
        noncanonical.push('b');
        assert_eq!(code(&noncanonical), Code::InvalidCid);
        assert_eq!(code(&format!("{RECORD_CID}=")), Code::InvalidCid);
        assert_eq!(code(&RECORD_CID[..40]), Code::InvalidCid);
        assert_eq!(code(&format!("{RECORD_CID}aaaaaaaa")), Code::InvalidCid);
    }

    #[test]
    fn classifies_binary() {
        let good = Cid::parse(RECORD_CID).unwrap().to_bytes();
        let (cid, used) = Cid::read_prefix(&[&good[..], &[1, 2, 3]].concat()).unwrap();
        assert_eq!((cid.to_bytes(), used), (good, 36));
        assert_eq!(
            Cid::from_bytes(&[&good[..], &[0]].concat())
                .unwrap_err()
                .code(),
            Code::InvalidCid
        );
        assert_eq!(
            Cid::read_prefix(&good[..35]).unwrap_err().code(),
            Code::InvalidCid
        );
        assert_eq!(Cid::read_prefix(&[]).unwrap_err().code(), Code::InvalidCid);
        let mut v0 = vec![0x12, 0x20];
        v0.extend_from_slice(&[7; 32]);
        assert_eq!(
            Cid::read_prefix(&v0).unwrap_err().code(),
            Code::CidUnsupported
        );
        let mut other_codec = good;
        other_codec[1] = 0x70;
        assert_eq!(
            Cid::read_prefix(&other_codec).unwrap_err().code(),
            Code::CidUnsupported
        );
        let mut other_hash = good;
        other_hash[2] = 0x13;
        assert_eq!(
            Cid::read_prefix(&other_hash).unwrap_err().code(),
            Code::CidUnsupported
        );
        let mut short_digest = good;
        short_digest[3] = 0x10;
        assert_eq!(
            Cid::read_prefix(&short_digest).unwrap_err().code(),
            Code::CidUnsupported
        );
        let mut v2 = good;
        v2[0] = 0x02;
        assert_eq!(
            Cid::read_prefix(&v2).unwrap_err().code(),
            Code::CidUnsupported
        );
        // Non-minimal varint for the version: 0x81 0x00.
        assert_eq!(
            Cid::read_prefix(&[0x81, 0x00, 0x71, 0x12, 0x20])
                .unwrap_err()
                .code(),
            Code::InvalidCid
        );
    }
}
