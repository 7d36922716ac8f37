//! Fuzzes repository verification: no input may panic it, and the whole-buffer and streaming
//! verifiers must agree (the same result, or errors with the same code).
//!
//! Run from the repository root: `cargo +nightly fuzz run verify_repo -- -max_total_time=300`.
//! Seeds: small valid repositories and record proofs (`fuzz/seed.sh` writes some into
//! `fuzz/corpus/verify_repo/`), and `tests/fixtures/generated/*.car`.
#![no_main]

use atproof::repo::{verify_repo, RepoStreamVerifier, VerifyOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = VerifyOptions::default();
    let whole = verify_repo(data, &options);
    let mut streaming = RepoStreamVerifier::new(options);
    let streamed = data
        .chunks(4099)
        .try_for_each(|chunk| streaming.feed(chunk).map(|_| ()))
        .and_then(|()| streaming.finish());
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{a} / {b}"),
        _ => panic!("verifiers disagree: {whole:?} / {streamed:?}"),
    }
});
