//! Repository verification throughput: `verify_repo` (whole buffer) and the streaming verifier in
//! records/s and MB/s, beside SHA-256 of every block alone (the floor: every block must be hashed)
//! and CAR indexing alone, with the peak memory above the input.
//!
//! Run: `cargo bench --bench verify_repo`. Inputs: the two 1,000-record repositories made by the
//! reference implementation (`tests/fixtures/generated/`), and a 100,000-record repository
//! generated here with the tree builder and a test key (records shaped like real posts, likes and
//! follows, about the reference's sizes), also written to `bench/data/` for the JavaScript
//! benchmarks. `ATPROOF_BENCH_RECORDS=n` changes the size of the generated repository;
//! `ATPROOF_BENCH_CAR=path/to/repo.car` measures that repository alone (DID and key from
//! `path/to/repo.json` when present).
//!
//! As WebAssembly: build this file as a `wasm32-wasip1` binary and run it under a WASI host (Node's
//! `node:wasi` with `/` preopened works); peak memory is then not measured.
//!
//! Peak memory is measured in a fresh child process (this binary with `--peak`), from Linux's
//! `VmHWM` minus the resident size once the input is loaded: everything the verification
//! allocated and touched.

// A benchmark binary: a broken fixture should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use atproof::car::{read_car, read_car_trusted, CarLimits};
use atproof::cbor::Encoder;
use atproof::cid::{sha256, Cid};
use atproof::crypto::{Algorithm, Keypair, PublicKey};
use atproof::mst::Tree;
use atproof::repo::{
    verify_repo, write_repo_car, RepoStreamVerifier, UnsignedCommit, VerifyOptions,
};
use atproof::syntax::Tid;

/// Best time of `rounds` runs of `run`.
fn best_of(rounds: usize, mut run: impl FnMut()) -> Duration {
    run(); // warm up
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// A field of `/proc/self/status` in bytes (Linux only; 0 elsewhere).
fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

/// Child mode (`--peak <car> <whole|stream>`): verifies once in this fresh process and prints the
/// peak resident memory above what the loaded input took.
fn measure_peak(path: &str, mode: &str) {
    let car = std::fs::read(path).unwrap();
    let before = proc_status("VmRSS:");
    let options = VerifyOptions::default();
    if mode == "stream" {
        let mut verifier = RepoStreamVerifier::new(options);
        for chunk in car.chunks(64 * 1024) {
            verifier.feed(chunk).unwrap();
        }
        black_box(verifier.finish().unwrap());
    } else {
        black_box(verify_repo(&car, &options).unwrap());
    }
    println!("{}", proc_status("VmHWM:").saturating_sub(before));
}

/// The peak memory of one verification of `car` above the input, measured in a fresh process
/// (Linux only: `None` elsewhere, for example when this benchmark runs as WebAssembly).
fn peak_growth(car: &[u8], mode: &str) -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let path = std::env::temp_dir().join(format!("atproof-bench-{}.car", std::process::id()));
    std::fs::write(&path, car).ok()?;
    let output = std::process::Command::new(std::env::current_exe().ok()?)
        .args(["--peak", path.to_str()?, mode])
        .output()
        .ok();
    let _ = std::fs::remove_file(&path);
    String::from_utf8(output?.stdout).ok()?.trim().parse().ok()
}

struct Input {
    name: String,
    car: Vec<u8>,
    options: VerifyOptions,
}

fn bench(input: &Input) {
    let car = &input.car;
    let mb = car.len() as f64 / 1e6;
    let file = read_car(car).unwrap();
    let blocks: Vec<&[u8]> = file.blocks().iter().map(|(_, b)| b).collect();
    let records = verify_repo(car, &input.options).unwrap().records.len();
    let rounds = if records > 10_000 { 5 } else { 30 };
    println!(
        "\n{}: {records} records, {} blocks, {:.2} MB",
        input.name,
        blocks.len(),
        mb
    );

    let hash = best_of(rounds, || {
        for block in &blocks {
            black_box(sha256(black_box(block)));
        }
    });
    let index = best_of(rounds, || {
        black_box(read_car_trusted(black_box(car), &CarLimits::DEFAULT).unwrap());
    });
    let read = best_of(rounds, || {
        black_box(read_car(black_box(car)).unwrap());
    });
    let verify = best_of(rounds, || {
        black_box(verify_repo(black_box(car), &input.options).unwrap());
    });
    let no_key = VerifyOptions::default();
    let verify_unsigned = best_of(rounds, || {
        black_box(verify_repo(black_box(car), &no_key).unwrap());
    });
    let stream = best_of(rounds, || {
        let mut verifier = RepoStreamVerifier::new(input.options.clone());
        for chunk in car.chunks(64 * 1024) {
            verifier.feed(chunk).unwrap();
        }
        black_box(verifier.finish().unwrap());
    });
    let row = |what: &str, time: Duration| {
        let s = time.as_secs_f64();
        println!(
            "  {what:<42} {:>9.2} ms {:>9.1} MB/s {:>12.0} records/s",
            s * 1e3,
            mb / s,
            records as f64 / s
        );
    };
    row("SHA-256 of every block alone", hash);
    row("read_car_trusted (index, no hashing)", index);
    row("read_car (index + hash every block)", read);
    row("verify_repo (with key)", verify);
    row("verify_repo (without key)", verify_unsigned);
    row("RepoStreamVerifier (64 KiB chunks)", stream);
    println!(
        "  SHA-256 share of verify_repo: {:.0}%",
        100.0 * hash.as_secs_f64() / verify.as_secs_f64()
    );
    let mb_of = |bytes: Option<u64>| bytes.map_or(f64::NAN, |b| b as f64 / 1e6);
    let peak = peak_growth(car, "whole");
    let peak_stream = peak_growth(car, "stream");
    println!(
        "  peak memory above the input: verify_repo {:.2} MB ({:.2}x the CAR), streaming {:.2} MB",
        mb_of(peak),
        mb_of(peak) / mb,
        mb_of(peak_stream)
    );
}

/// A CAR named by `ATPROOF_BENCH_CAR`; its DID and key come from the sidecar `<name>.json`
/// (fields `did` and `signingKey`) when there is one.
fn from_file(path: &str) -> Input {
    let sidecar: Option<serde_json::Value> = std::fs::read_to_string(path.replace(".car", ".json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let field = |name: &str| {
        sidecar
            .as_ref()
            .and_then(|s| s[name].as_str())
            .map(str::to_owned)
    };
    Input {
        name: path.to_owned(),
        car: std::fs::read(path).unwrap(),
        options: VerifyOptions {
            key: field("signingKey").map(|k| PublicKey::from_did_key(&k).unwrap()),
            did: field("did"),
            ..VerifyOptions::default()
        },
    }
}

fn reference(curve: &str) -> Input {
    let base = format!(
        "{}/tests/fixtures/generated/repo-1000-s1-{curve}",
        env!("CARGO_MANIFEST_DIR")
    );
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{base}.json")).unwrap()).unwrap();
    Input {
        name: format!("reference repo-1000-s1-{curve}"),
        car: std::fs::read(format!("{base}.car")).unwrap(),
        options: VerifyOptions {
            did: Some(sidecar["did"].as_str().unwrap().to_owned()),
            key: Some(PublicKey::from_did_key(sidecar["signingKey"].as_str().unwrap()).unwrap()),
            ..VerifyOptions::default()
        },
    }
}

/// A record about the size and shape of real ones: posts with text, likes and reposts with a
/// strong ref, follows and blocks with a subject DID.
fn record(i: u64, collection: &str, created_at: &str) -> Vec<u8> {
    let mut e = Encoder::new();
    let subject_uri = format!(
        "at://did:plc:{:024x}/app.bsky.feed.post/3l{:011x}",
        i * 7919,
        i
    );
    let subject_cid = Cid::for_drisl(&i.to_be_bytes()).to_string();
    match collection {
        "app.bsky.feed.post" => {
            let text = "the quick brown fox jumps over the lazy dog ".repeat(1 + (i % 4) as usize);
            e.write_map_header(4);
            e.write_str("text");
            e.write_str(&text);
            e.write_str("$type");
            e.write_str(collection);
            e.write_str("langs");
            e.write_array_header(1);
            e.write_str("en");
            e.write_str("createdAt");
            e.write_str(created_at);
        }
        "app.bsky.feed.like" | "app.bsky.feed.repost" => {
            e.write_map_header(3);
            e.write_str("$type");
            e.write_str(collection);
            e.write_str("subject");
            e.write_map_header(2);
            e.write_str("cid");
            e.write_str(&subject_cid);
            e.write_str("uri");
            e.write_str(&subject_uri);
            e.write_str("createdAt");
            e.write_str(created_at);
        }
        _ => {
            e.write_map_header(3);
            e.write_str("$type");
            e.write_str(collection);
            e.write_str("subject");
            e.write_str(&format!("did:plc:{:024x}", i * 104_729));
            e.write_str("createdAt");
            e.write_str(created_at);
        }
    }
    e.into_bytes()
}

fn generated(count: u64) -> Input {
    let keypair = Keypair::import(Algorithm::Es256k, &[0x42; 32]).unwrap();
    let did = "did:plc:benchbenchbenchbenchbenc";
    // The reference repositories' mix: 43% likes, 28% posts, 18% follows, 9% reposts, 2% blocks.
    let collections = [
        ("app.bsky.feed.like", 43),
        ("app.bsky.feed.post", 28),
        ("app.bsky.graph.follow", 18),
        ("app.bsky.feed.repost", 9),
        ("app.bsky.graph.block", 2),
    ];
    let mut blocks = std::collections::HashMap::new();
    let mut entries = Vec::with_capacity(count as usize);
    let start_micros = 1_700_000_000_000_000u64;
    for i in 0..count {
        let pick = (i * 37) % 100;
        let mut acc = 0;
        let collection = collections
            .iter()
            .find(|(_, share)| {
                acc += share;
                pick < acc
            })
            .map_or("app.bsky.feed.like", |(c, _)| c);
        let micros = start_micros + i * 1_234_567;
        let rkey = Tid::from_time(micros, (i % 1024) as u16).unwrap();
        let created_at = format!("2024-01-01T00:00:{:02}.{:06}Z", i % 60, i % 1_000_000);
        let block = record(i, collection, &created_at);
        let cid = Cid::for_drisl(&block);
        blocks.insert(cid, block);
        entries.push((format!("{collection}/{rkey}"), cid));
    }
    let tree = Tree::build(entries.iter().map(|(k, v)| (k.as_bytes(), *v))).unwrap();
    let rev = Tid::from_time(start_micros + count * 1_234_567 + 1, 0).unwrap();
    let commit = UnsignedCommit::new(did, rev, tree.root_cid(), None)
        .unwrap()
        .sign(&keypair);
    let car = write_repo_car(&commit.cid, &commit.block, &tree, &blocks).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/data");
    if std::fs::create_dir_all(dir).is_ok() {
        let path = format!("{dir}/repo-{count}-synthetic-k256.car");
        let _ = std::fs::write(&path, &car);
        let sidecar = serde_json::json!({
            "generator": "bench/verify_repo.rs (atproof tree builder, streaming order)",
            "did": did,
            "signingKey": keypair.did(),
            "commitCid": commit.cid.to_string(),
            "dataCid": tree.root_cid().to_string(),
            "rev": rev.to_string(),
            "recordCount": count,
        });
        let _ = std::fs::write(
            format!("{dir}/repo-{count}-synthetic-k256.json"),
            sidecar.to_string(),
        );
    }
    Input {
        name: format!("generated {count}-record repository (streaming order)"),
        car,
        options: VerifyOptions {
            did: Some(did.to_owned()),
            key: Some(keypair.public_key()),
            ..VerifyOptions::default()
        },
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path, mode] = &args[..] {
        if flag == "--peak" {
            return measure_peak(path, mode);
        }
    }
    if let Ok(path) = std::env::var("ATPROOF_BENCH_CAR") {
        return bench(&from_file(&path));
    }
    let count = std::env::var("ATPROOF_BENCH_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    for input in [reference("k256"), reference("p256"), generated(count)] {
        bench(&input);
    }
}
