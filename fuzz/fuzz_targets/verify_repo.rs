//! Fuzzes repository verification, signature path included: no input may panic it; the
//! whole-buffer and streaming verifiers must agree (the same result, or errors with the same
//! code); and a check with the seeds' signing key may only add a signature failure to a check
//! without one.
//!
//! Run from the repository root: `cargo +nightly fuzz run verify_repo -- -max_total_time=1800`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes small repositories signed with the
//! key below and record proofs into `fuzz/corpus/verify_repo/`; add `tests/fixtures/generated/*.car`.
#![no_main]

use std::sync::OnceLock;

use atproof::crypto::{Algorithm, Keypair, PublicKey};
use atproof::repo::{verify_repo, RepoStreamVerifier, VerifiedRepo, VerifyOptions};
use atproof::{Code, Error};
use libfuzzer_sys::fuzz_target;

/// The key the seed repositories are signed with (tests/fuzz_seeds.rs: private key [9; 32]).
fn seed_key() -> PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    *KEY.get_or_init(|| {
        let keypair = Keypair::import(Algorithm::Es256k, &[9; 32]).expect("a valid private key");
        PublicKey::from_did_key(&keypair.did()).expect("its own did:key")
    })
}

/// Verifies `data` whole and in 4099-byte chunks, and checks that both agree.
fn verify_both_ways(data: &[u8], key: Option<PublicKey>) -> Result<VerifiedRepo, Error> {
    let options = VerifyOptions {
        key,
        ..VerifyOptions::default()
    };
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
    whole
}

fn is_signature_failure(error: &Error) -> bool {
    matches!(
        error.code(),
        Code::BadSignature | Code::InvalidSignatureFormat | Code::HighSSignature
    )
}

fuzz_target!(|data: &[u8]| {
    let unkeyed = verify_both_ways(data, None);
    let keyed = verify_both_ways(data, Some(seed_key()));
    match (&unkeyed, &keyed) {
        (Ok(a), Ok(b)) => {
            assert!(!a.signature_verified && b.signature_verified);
            assert_eq!(
                (&a.did, &a.rev, &a.commit, &a.data, &a.records),
                (&b.did, &b.rev, &b.commit, &b.data, &b.records)
            );
        }
        (Ok(_), Err(e)) => assert!(
            is_signature_failure(e),
            "only the signature may fail with a key: {e}"
        ),
        // The signature is checked before the tree: with a key, its failure may come first.
        (Err(a), Err(b)) => assert!(a.code() == b.code() || is_signature_failure(b), "{a} / {b}"),
        (Err(e), Ok(_)) => panic!("a key made an invalid repository valid: {e}"),
    }
});
