//! Throughput of atproof::cid::sha256_many against sha2 one message at a time, on 250-byte
//! messages: `CARGO_TARGET_DIR=target/wasi cargo build --release --example sha_bench --target
//! wasm32-wasip1` then `node bench/run-wasi.mjs target/wasi/wasm32-wasip1/release/examples/sha_bench.wasm`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use std::time::Instant;

fn main() {
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i * 31 + 7) as u8).collect();
    for size in [64usize, 250, 1000] {
        let messages: Vec<&[u8]> = data.chunks_exact(size).take(16_000).collect();
        let bytes = (messages.len() * size) as f64;
        let mut digests = vec![[0u8; 32]; messages.len()];
        let (mut best_one, mut best_many) = (f64::MAX, f64::MAX);
        for _ in 0..15 {
            let t = Instant::now();
            one_at_a_time(&messages, &mut digests);
            let one = t.elapsed().as_secs_f64();
            let t = Instant::now();
            in_groups(&messages, &mut digests);
            let many = t.elapsed().as_secs_f64();
            best_one = best_one.min(one);
            best_many = best_many.min(many);
        }
        {
            let (one, many) = (best_one, best_many);
            println!(
                "{size} B: sha2 {:.0} MB/s, sha256_many {:.0} MB/s ({:.2}x)",
                bytes / one / 1e6,
                bytes / many / 1e6,
                one / many
            );
        }
    }
}

// Not inlined into main: V8 has no on-stack replacement for wasm, so a hot loop must be in a
// function that is called again to reach the optimizing tier.
#[inline(never)]
fn one_at_a_time(messages: &[&[u8]], digests: &mut [[u8; 32]]) {
    for (m, d) in messages.iter().zip(digests) {
        *d = atproof::cid::sha256(m);
    }
}

#[inline(never)]
fn in_groups(messages: &[&[u8]], digests: &mut [[u8; 32]]) {
    for (ms, ds) in messages.chunks(16).zip(digests.chunks_mut(16)) {
        atproof::cid::sha256_many(ms, ds);
    }
}
