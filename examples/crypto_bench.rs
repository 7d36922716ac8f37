//! Verifications per second for both curves, with and without the key cache; key parses and
//! signatures per second.
//!
//! `cargo run --release --example crypto_bench` (add `--features precomputed-tables` to compare the
//! curve crates' precomputed base-point tables). Prints one line per measurement.

use std::hint::black_box;
use std::time::{Duration, Instant};

use atproof::crypto::{verify_signature, Algorithm, KeyCache, Keypair, PublicKey};

/// Distinct signers per run: a realistic firehose mixes many accounts.
const SIGNERS: usize = 64;
/// Each measurement runs for about this long.
const TARGET: Duration = Duration::from_millis(1500);

struct Signed {
    did_key: String,
    data: Vec<u8>,
    signature: [u8; 64],
}

fn corpus(algorithm: Algorithm) -> Result<Vec<Signed>, atproof::Error> {
    (0..SIGNERS)
        .map(|i| {
            let keypair = Keypair::generate(algorithm)?;
            // About the size of a commit object.
            let data = format!("commit {i} {}", "x".repeat(200)).into_bytes();
            let signature = keypair.sign(&data);
            Ok(Signed {
                did_key: keypair.did(),
                data,
                signature,
            })
        })
        .collect()
}

/// Runs `one` over the corpus (with each item's index) until `TARGET` has passed; returns operations
/// per second. Every operation must succeed.
fn measure(corpus: &[Signed], mut one: impl FnMut(usize, &Signed) -> bool) -> Result<f64, String> {
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < TARGET {
        for (index, signed) in corpus.iter().enumerate() {
            if !black_box(one(index, black_box(signed))) {
                return Err(format!("operation failed for {}", signed.did_key));
            }
            count += 1;
        }
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tables = if cfg!(feature = "precomputed-tables") {
        "on"
    } else {
        "off"
    };
    println!("precomputed-tables: {tables}");
    for algorithm in [Algorithm::Es256k, Algorithm::Es256] {
        let corpus = corpus(algorithm)?;
        let parsed: Vec<PublicKey> = corpus
            .iter()
            .map(|s| PublicKey::from_did_key(&s.did_key))
            .collect::<Result<_, _>>()?;

        let parsed_keys = measure(&corpus, |index, signed| {
            parsed
                .get(index)
                .is_some_and(|key| verify_signature(key, &signed.data, &signed.signature))
        })?;
        let mut cache = KeyCache::new();
        let cached = measure(&corpus, |_, signed| {
            cache
                .parse_did_key(&signed.did_key)
                .is_ok_and(|key| verify_signature(&key, &signed.data, &signed.signature))
        })?;
        let uncached = measure(&corpus, |_, signed| {
            PublicKey::from_did_key(&signed.did_key)
                .is_ok_and(|key| verify_signature(&key, &signed.data, &signed.signature))
        })?;
        let parse_only = measure(&corpus, |_, signed| {
            PublicKey::from_did_key(&signed.did_key).is_ok()
        })?;
        let keypair = Keypair::generate(algorithm)?;
        let signs = measure(&corpus, |_, signed| {
            black_box(keypair.sign(&signed.data)).len() == 64
        })?;
        println!(
            "{algorithm:6}  verify/s: pre-parsed key {parsed_keys:>8.0}  key cache (did:key) {cached:>8.0}  \
             parse did:key every time {uncached:>8.0}  |  did:key parses/s {parse_only:>8.0}  sign/s {signs:>8.0}"
        );
    }
    Ok(())
}
