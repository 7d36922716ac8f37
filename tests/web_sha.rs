//! The 4-lane multi-buffer SHA-256 (`atproof::cid::sha256_many`) against sha2, in wasm with SIMD128
//! (through `cargo test --target wasm32-unknown-unknown --test web_sha`), where the SIMD code runs.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use atproof::cid::sha256_many;
use sha2::{Digest, Sha256};
use wasm_bindgen_test::*;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn check(messages: &[Vec<u8>]) {
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let mut digests = vec![[0u8; 32]; refs.len()];
    sha256_many(&refs, &mut digests);
    for (message, digest) in messages.iter().zip(&digests) {
        let expected: [u8; 32] = Sha256::digest(message).into();
        assert_eq!(*digest, expected, "message of {} bytes", message.len());
    }
}

#[wasm_bindgen_test]
fn every_length_alone_and_in_groups() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for len in 0..=300 {
        check(&[rng.bytes(len)]);
    }
    // Groups of 1..=9 messages of random lengths 0..=300, so lanes refill at every phase.
    for round in 0..600 {
        let count = 1 + round % 9;
        let messages: Vec<Vec<u8>> = (0..count)
            .map(|_| {
                let len = (rng.next() % 301) as usize;
                rng.bytes(len)
            })
            .collect();
        check(&messages);
    }
    // All 301 lengths in one call.
    let all: Vec<Vec<u8>> = (0..=300).map(|len| rng.bytes(len)).collect();
    check(&all);
}

#[wasm_bindgen_test]
fn all_lane_length_combinations() {
    // Lengths around every padding edge (one or two final blocks, block boundaries), all 4-tuples.
    let lengths = [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128];
    let mut rng = Rng(7);
    for &a in &lengths {
        for &b in &lengths {
            for &c in &lengths {
                for &d in &lengths {
                    check(&[rng.bytes(a), rng.bytes(b), rng.bytes(c), rng.bytes(d)]);
                }
            }
        }
    }
    // And every length 0..=130 in each lane against fixed others.
    for len in 0..=130 {
        for lane in 0..4 {
            let mut messages: Vec<Vec<u8>> = (0..4).map(|i| rng.bytes(50 * i + 3)).collect();
            messages[lane] = rng.bytes(len);
            check(&messages);
        }
    }
}

#[wasm_bindgen_test]
fn long_messages_mixed_with_short_ones() {
    let mut rng = Rng(42);
    let lengths = [
        0usize,
        1_000,
        4_096,
        65_535,
        1,
        250,
        100_001,
        3,
        64,
        1 << 20,
        55,
        7,
    ];
    let messages: Vec<Vec<u8>> = lengths.iter().map(|&len| rng.bytes(len)).collect();
    check(&messages);
    check(&messages[..1]);
    check(&messages[9..10]);
}

#[wasm_bindgen_test]
fn output_slots_beyond_the_messages_are_left_alone() {
    let messages: [&[u8]; 2] = [b"abc", b""];
    let mut digests = [[0xaa; 32]; 4];
    sha256_many(&messages, &mut digests);
    assert_eq!(digests[0], <[u8; 32]>::from(Sha256::digest(b"abc")));
    assert_eq!(digests[1], <[u8; 32]>::from(Sha256::digest(b"")));
    assert_eq!(digests[2], [0xaa; 32]);
    assert_eq!(digests[3], [0xaa; 32]);
    // Fewer slots than messages: only those slots are filled.
    let mut one = [[0u8; 32]; 1];
    sha256_many(&messages, &mut one);
    assert_eq!(one[0], <[u8; 32]>::from(Sha256::digest(b"abc")));
    sha256_many(&[], &mut one);
}
