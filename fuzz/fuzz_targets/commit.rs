//! Fuzzes commit decoding: no input may panic it, and an accepted commit is exactly the canonical
//! block that its fields make again (with the same signature), whose unsigned bytes are the same
//! fields without `sig`.
//!
//! Run from the repository root: `cargo +nightly fuzz run commit -- -max_total_time=1800`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes signed commits into
//! `fuzz/corpus/commit/`.
#![no_main]

use atproof::repo::{Commit, UnsignedCommit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(commit) = Commit::decode(data) else {
        return;
    };
    let unsigned = UnsignedCommit::new(commit.did(), commit.rev(), commit.data(), commit.prev())
        .expect("the fields of an accepted commit are valid");
    assert_eq!(unsigned.encode(), commit.unsigned_bytes());
    let signature: [u8; 64] = commit
        .signature()
        .try_into()
        .expect("an accepted signature is 64 bytes");
    assert_eq!(unsigned.with_signature(&signature).block, data);
});
