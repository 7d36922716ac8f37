//! Decoding throughput on real atproto blocks, beside SHA-256 on the same bytes in the same build.
//!
//! Run: `cargo bench --bench cbor_decode` (native), or under Node's WASI for the numbers a
//! JavaScript runtime sees: see `bench/run-wasi.mjs`. A plain `std::time::Instant` harness (no criterion):
//! the numbers to compare are MB/s of a few whole passes over the 1270 blocks of the reference
//! repository CAR, best of several rounds, and criterion's statistics would not change the verdict
//! while adding a large dependency tree to the build.
//!
//! Its measurements are in bench/README.md ("Native decoding throughput").

// A benchmark binary: a broken fixture should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use atproof::cbor::{self, json, Decoder};
use atproof::cid::{self, Cid};

const ROUNDS: usize = 7;
const PASSES_PER_ROUND: usize = 40;

/// Best-of-rounds throughput of `pass` (one pass over all `bytes` bytes), in MB/s (10^6 bytes).
/// With `BENCH_ONLY=<text>` set, measurements whose name lacks that text are skipped (for
/// profiling one of them).
fn throughput(name: &str, bytes: usize, mut pass: impl FnMut()) -> f64 {
    if std::env::var("BENCH_ONLY").is_ok_and(|only| !name.contains(&only)) {
        return f64::NAN;
    }
    pass(); // warm up
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..PASSES_PER_ROUND {
            pass();
        }
        best = best.min(start.elapsed() / PASSES_PER_ROUND as u32);
    }
    let mbps = bytes as f64 / best.as_secs_f64() / 1e6;
    println!(
        "{name:<44} {mbps:>9.1} MB/s   ({:.1} µs per pass)",
        best.as_secs_f64() * 1e6
    );
    mbps
}

fn main() {
    let car = support::reference_repo_car();
    let blocks: Vec<&[u8]> = support::car_blocks(&car)
        .into_iter()
        .map(|(_, block)| block)
        .collect();
    let total: usize = blocks.iter().map(|b| b.len()).sum();
    println!(
        "{} blocks, {total} bytes (reference repo-1000-s1-k256.car)\n",
        blocks.len()
    );

    let sha = throughput("SHA-256 (sha2, same build)", total, || {
        for block in &blocks {
            black_box(cid::sha256(black_box(block)));
        }
    });
    let validate = throughput("cbor::validate (no tree)", total, || {
        for block in &blocks {
            cbor::validate(black_box(block)).unwrap();
        }
    });
    throughput("cbor::Decoder::skip_value (cursor)", total, || {
        for block in &blocks {
            Decoder::new(black_box(block))
                .unwrap()
                .skip_value()
                .unwrap();
        }
    });
    let tree = throughput("cbor::decode (borrowed Value tree)", total, || {
        for block in &blocks {
            black_box(cbor::decode(black_box(block)).unwrap());
        }
    });
    let values: Vec<_> = blocks.iter().map(|b| cbor::decode(b).unwrap()).collect();
    throughput("cbor::encode (from decoded trees)", total, || {
        for value in &values {
            black_box(cbor::encode(black_box(value)).unwrap());
        }
    });
    throughput("decode + Cid::verify (hash check)", total, || {
        for block in &blocks {
            black_box(cbor::decode(black_box(block)).unwrap());
            Cid::for_drisl(block);
        }
    });
    throughput("json::to_json_text (from decoded trees)", total, || {
        for value in &values {
            black_box(json::to_json_text(black_box(value)).unwrap());
        }
    });

    println!(
        "\nvalidate / SHA-256 = {:.2}x, decode / SHA-256 = {:.2}x",
        validate / sha,
        tree / sha
    );
}
