//! Helpers shared by the integration tests and the benchmark (included with `#[path]`).

#![allow(dead_code)] // each test crate uses a part
// Test-only code: a malformed fixture should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atproof::cid::Cid;

/// The blocks of a CAR v1 file: `(cid, block bytes)` in file order.
///
/// A deliberately minimal reader for tests only (unsigned varint length, 36-byte atproto CID,
/// block); the real reader, with its checks and limits, comes with the CAR module.
pub fn car_blocks(car: &[u8]) -> Vec<(Cid, &[u8])> {
    let (header_len, used) = varint(car);
    let mut rest = &car[used + header_len..];
    let mut blocks = Vec::new();
    while !rest.is_empty() {
        let (len, used) = varint(rest);
        let section = &rest[used..used + len];
        let (cid, cid_len) = Cid::read_prefix(section).unwrap();
        blocks.push((cid, &section[cid_len..]));
        rest = &rest[used + len..];
    }
    blocks
}

fn varint(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("truncated varint");
}

/// A file of `tests/fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The frames of a `.frames.bin`: `[u32 big-endian length][frame]` repeated.
pub fn frames_of(bin: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bin.len() {
        let len = u32::from_be_bytes(bin[at..at + 4].try_into().unwrap()) as usize;
        frames.push(bin[at + 4..at + 4 + len].to_vec());
        at += 4 + len;
    }
    frames
}

/// The repo CAR made by the reference implementation (`@atproto/repo`), 1000 records.
pub fn reference_repo_car() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/generated/repo-1000-s1-k256.car"
    ))
    .unwrap()
}

/// Standard base64 (padding optional), for fixture files.
pub fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        bits = bits << 6 | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// Lower-case hex to bytes (spaces ignored), for hand-written encodings.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// Asserts that applying the record operations of `diff(before, after)` to `before` gives `after`.
pub fn assert_diff_replays(
    before: &atproof::mst::Tree,
    after: &atproof::mst::Tree,
    changes: &atproof::mst::TreeDiff,
    label: &str,
) {
    let mut replayed = before.clone();
    replayed
        .apply(
            changes
                .record_ops
                .iter()
                .map(|op| (op.key.as_slice(), op.after)),
        )
        .unwrap();
    assert_eq!(replayed.root_cid(), after.root_cid(), "{label}: replay");
}
