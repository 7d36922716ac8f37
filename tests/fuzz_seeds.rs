//! Writes seed corpora for the fuzz targets into `fuzz/corpus/<target>/` (git-ignored): run
//! `cargo test --test fuzz_seeds -- --ignored` before `cargo +nightly fuzz run …`.
//!
//! Seeds: the small MST-only CARs of mst-test-suite and their node blocks, small signed
//! repositories built with the tree builder (and their commits), record proofs cut from the
//! reference repository and 200 of its blocks (DRISL), CIDs in both forms, the first frames of
//! the reference event stream and stream verifier states saved after them, and go-didplc's audit
//! logs.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::Path;

use atproof::car::read_car;
use atproof::cid::Cid;
use atproof::crypto::{Algorithm, Keypair};
use atproof::mst::Tree;
use atproof::repo::{record_proof_car, write_repo_car, UnsignedCommit};
use atproof::syntax::Tid;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// A signed repository of `count` small records.
fn small_repo(count: u32) -> Vec<u8> {
    let keypair = Keypair::import(Algorithm::Es256k, &[9; 32]).unwrap();
    let mut blocks = HashMap::new();
    let mut entries = Vec::new();
    for i in 0..count {
        let record = vec![0xa1, 0x61, b'i', (i % 24) as u8];
        let cid = Cid::for_drisl(&record);
        blocks.insert(cid, record);
        let rkey = Tid::from_time(1_700_000_000_000_000 + u64::from(i) * 977, 0).unwrap();
        entries.push((format!("app.bsky.feed.like/{rkey}"), cid));
    }
    let tree = Tree::build(entries.iter().map(|(k, v)| (k.as_bytes(), *v))).unwrap();
    let commit = UnsignedCommit::new(
        "did:plc:fuzz",
        Tid::from_time(1, 0).unwrap(),
        tree.root_cid(),
        None,
    )
    .unwrap()
    .sign(&keypair);
    write_repo_car(&commit.cid, &commit.block, &tree, &blocks).unwrap()
}

#[test]
#[ignore = "writes fuzz corpora; run explicitly"]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = root.join("tests/fixtures/mst-test-suite/cars/exhaustive");
    for entry in std::fs::read_dir(suite).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The chunk-size byte first, then the CAR.
        write("car_read", &name, &[&[7u8][..], &bytes].concat());
        for (cid, block) in read_car(&bytes).unwrap().blocks().iter() {
            write("mst_node", &cid.to_string(), block);
        }
    }
    for count in [0, 1, 2, 5, 20] {
        let car = small_repo(count);
        write("verify_repo", &format!("repo-{count}.car"), &car);
        let read = read_car(&car).unwrap();
        let commit = read.blocks().get(&read.roots()[0]).unwrap();
        write("commit", &format!("commit-{count}"), commit);
        write(
            "car_read",
            &format!("repo-{count}.car"),
            &[&[3u8][..], &car].concat(),
        );
    }
    let reference =
        std::fs::read(root.join("tests/fixtures/generated/repo-1000-s1-k256.car")).unwrap();
    let read = read_car(&reference).unwrap();
    write(
        "commit",
        "reference",
        read.blocks().get(&read.roots()[0]).unwrap(),
    );
    for (cid, block) in read.blocks().iter().take(200) {
        write("cbor_decode", &cid.to_string(), block);
    }
    for (cid, _) in read.blocks().iter().take(16) {
        write("cid", &format!("{cid}.bin"), &cid.to_bytes());
        write("cid", &format!("{cid}.txt"), cid.to_string().as_bytes());
    }
    let frames =
        std::fs::read(root.join("tests/fixtures/generated/repo-1000-s1-k256.frames.bin")).unwrap();
    let mut at = 0;
    // States saved after the first frames (the checksum left off: the fuzz target adds it).
    let mut stream = atproof::firehose::StreamVerifier::new(1000, 300_000_000);
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/fixtures/generated/repo-1000-s1-k256.json")).unwrap(),
    )
    .unwrap();
    let key: atproof::crypto::PublicKey = meta["signingKey"].as_str().unwrap().parse().unwrap();
    while at < frames.len() {
        let len = u32::from_be_bytes(frames[at..at + 4].try_into().unwrap()) as usize;
        let frame = &frames[at + 4..at + 4 + len];
        if at < 40_000 {
            write("firehose", &format!("frame-{at}"), frame);
            stream.process(frame, Some(&key), u64::MAX / 2).unwrap();
            let saved = stream.save().unwrap();
            write(
                "stream_state",
                &format!("after-{at}"),
                &saved[..saved.len() - 8],
            );
        }
        at += 4 + len;
    }
    for entry in std::fs::read_dir(root.join("tests/fixtures/plc")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("log_") {
            write("plc", &name, &std::fs::read(&path).unwrap());
            write("json", &name, &std::fs::read(&path).unwrap());
        }
    }
    for fixture in [
        "data-model-fixtures",
        "data-model-valid",
        "data-model-invalid",
    ] {
        let path = root.join(format!("tests/fixtures/interop/data-model/{fixture}.json"));
        let entries: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (i, entry) in entries.as_array().unwrap().iter().enumerate() {
            write(
                "json",
                &format!("{fixture}-{i}"),
                entry["json"].to_string().as_bytes(),
            );
        }
    }
    let raw = Cid::for_raw(b"raw");
    write("cid", "raw.bin", &raw.to_bytes());
    write("cid", "raw.txt", raw.to_string().as_bytes());
    for (collection, rkey) in [
        ("app.bsky.actor.profile", "self"),
        ("app.bsky.feed.post", "2222222222222"),
    ] {
        let proof = record_proof_car(&reference, collection, rkey).unwrap();
        write(
            "verify_repo",
            &format!("proof-{collection}-{rkey}.car"),
            &proof,
        );
    }
}
