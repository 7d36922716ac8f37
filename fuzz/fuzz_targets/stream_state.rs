//! Fuzzes restoring a stream verifier's saved state: the input gets its checksum (so that the
//! fuzzer reaches past it), no input may panic `restore`, a refused one changes nothing, and an
//! accepted one is saved again as the same accounts and seq (in whatever order its table keeps
//! them), which restore again to the same.
//!
//! Run from the repository root: `cargo +nightly fuzz run stream_state -- -max_total_time=300`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes states saved after the reference
//! stream's first frames (without their checksums).
#![no_main]

use atproof::cid::sha256;
use atproof::firehose::StreamVerifier;
use libfuzzer_sys::fuzz_target;

/// The header's length; then 44-byte accounts; then the 8-byte checksum.
const HEADER: usize = 24;

/// The saved state's header and its accounts sorted, without the checksum.
fn canonical(saved: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let body = &saved[..saved.len() - 8];
    let mut accounts: Vec<Vec<u8>> = body[HEADER..].chunks(44).map(<[u8]>::to_vec).collect();
    accounts.sort();
    (body[..HEADER].to_vec(), accounts)
}

fuzz_target!(|data: &[u8]| {
    let mut saved = data.to_vec();
    saved.extend_from_slice(&sha256(data)[..8]);
    let mut verifier = StreamVerifier::new(64, 300_000_000);
    let before = verifier.save().unwrap();
    match verifier.restore(&saved) {
        Err(_) => assert_eq!(verifier.save().unwrap(), before),
        Ok(()) => {
            let again = verifier.save().unwrap();
            let mut other = StreamVerifier::new(64, 300_000_000);
            other.restore(&again).unwrap();
            assert_eq!(canonical(&other.save().unwrap()), canonical(&again));
            if verifier.accounts() == (data.len().saturating_sub(HEADER)) / 44 {
                assert_eq!(canonical(&again), canonical(&saved));
            }
        }
    }
});
