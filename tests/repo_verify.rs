//! Repositories made by the reference implementation (`@atproto/repo`, see
//! `tests/fixtures/generated/README.md`): verification returns exactly the expected records,
//! commit and data CIDs and verifies the signature, whole-buffer and streaming; the tree rebuilt
//! from the records has the reference root; exports and proofs round-trip.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use atproof::car::{read_car, CarItem, CarStreamReader};
use atproof::cid::Cid;
use atproof::crypto::PublicKey;
use atproof::mst::Tree;
use atproof::repo::{
    record_proof_car, verify_record, verify_repo, write_repo_car, Commit, RepoStreamVerifier,
    VerifyOptions,
};
use atproof::Code;
use serde_json::Value;

struct Fixture {
    car: Vec<u8>,
    sidecar: Value,
    records: Vec<(String, Cid)>,
}

fn fixture(curve: &str) -> Fixture {
    let base = format!(
        "{}/tests/fixtures/generated/repo-1000-s1-{curve}",
        env!("CARGO_MANIFEST_DIR")
    );
    let car = std::fs::read(format!("{base}.car")).unwrap();
    let sidecar =
        serde_json::from_str(&std::fs::read_to_string(format!("{base}.json")).unwrap()).unwrap();
    let records = std::fs::read_to_string(format!("{base}.records.tsv"))
        .unwrap()
        .lines()
        .map(|line| {
            let (path, cid) = line.split_once('\t').unwrap();
            (path.to_owned(), Cid::parse(cid).unwrap())
        })
        .collect();
    Fixture {
        car,
        sidecar,
        records,
    }
}

fn options(fixture: &Fixture) -> VerifyOptions {
    VerifyOptions {
        did: Some(fixture.sidecar["did"].as_str().unwrap().to_owned()),
        key: Some(
            PublicKey::from_did_key(fixture.sidecar["signingKey"].as_str().unwrap()).unwrap(),
        ),
        ..VerifyOptions::default()
    }
}

fn check_result(fixture: &Fixture, repo: &atproof::repo::VerifiedRepo) {
    let s = &fixture.sidecar;
    assert_eq!(repo.did, s["did"].as_str().unwrap());
    assert_eq!(repo.rev, s["rev"].as_str().unwrap());
    assert_eq!(repo.version, 3);
    assert_eq!(repo.commit.to_string(), s["commitCid"].as_str().unwrap());
    assert_eq!(repo.data.to_string(), s["dataCid"].as_str().unwrap());
    assert_eq!(
        repo.records.len() as u64,
        s["recordCount"].as_u64().unwrap()
    );
    let ours: Vec<(String, Cid)> = repo
        .records
        .iter()
        .map(|r| (r.path.to_owned(), r.cid))
        .collect();
    assert_eq!(ours, fixture.records);
}

#[test]
fn reference_repositories_verify() {
    for curve in ["k256", "p256"] {
        let fixture = fixture(curve);
        assert_eq!(fixture.records.len(), 1000);
        let repo = verify_repo(&fixture.car, &options(&fixture)).unwrap();
        assert!(repo.signature_verified, "{curve}");
        check_result(&fixture, &repo);
        let first = repo.records.get(0).unwrap();
        assert_eq!(first.collection(), "app.bsky.actor.profile");
        assert_eq!(first.rkey(), "self");
        for (path, cid) in &fixture.records {
            assert_eq!(repo.records.find(path), Some(*cid));
        }
        assert_eq!(repo.records.find("app.bsky.feed.post/nope"), None);

        let unsigned = verify_repo(&fixture.car, &VerifyOptions::default()).unwrap();
        assert!(!unsigned.signature_verified);
        assert_eq!(unsigned.records, repo.records);
    }
}

#[test]
fn reference_car_reads() {
    let fixture = fixture("k256");
    let car = read_car(&fixture.car).unwrap();
    assert_eq!(
        car.blocks().len() as u64,
        fixture.sidecar["blockCount"].as_u64().unwrap()
    );
    assert_eq!(
        car.roots()[0].to_string(),
        fixture.sidecar["commitCid"].as_str().unwrap()
    );
    // The incremental reader hands over the same blocks whatever the chunk size.
    for chunk_size in [1, 7, 4096, 1 << 20] {
        let mut reader = CarStreamReader::new();
        let mut count = 0;
        for chunk in fixture.car.chunks(chunk_size) {
            reader
                .feed(chunk, |item| {
                    if let CarItem::Block { cid, data } = item {
                        assert_eq!(car.get(&cid), Some(data));
                        count += 1;
                    }
                    Ok(())
                })
                .unwrap();
        }
        reader.finish().unwrap();
        assert_eq!(count, 1270, "chunk size {chunk_size}");
        assert_eq!(reader.bytes_read(), fixture.car.len() as u64);
    }
}

#[test]
fn streaming_verifier_matches() {
    for curve in ["k256", "p256"] {
        let fixture = fixture(curve);
        for chunk_size in [1, 1000, 65_536] {
            let mut verifier = RepoStreamVerifier::new(options(&fixture));
            for chunk in fixture.car.chunks(chunk_size) {
                verifier.feed(chunk).unwrap();
            }
            let progress = verifier.progress();
            assert_eq!(progress.bytes, fixture.car.len() as u64);
            assert_eq!(progress.blocks, 1270);
            // Every record of the reference repository is its own block (1,000 of the 1,270).
            assert_eq!(progress.records, 1000);
            let repo = verifier.finish().unwrap();
            assert!(repo.signature_verified);
            check_result(&fixture, &repo);
        }
    }
}

#[test]
fn tree_rebuilt_from_records_has_the_reference_root() {
    let fixture = fixture("k256");
    let data = Cid::parse(fixture.sidecar["dataCid"].as_str().unwrap()).unwrap();
    let built = Tree::build(fixture.records.iter().map(|(p, c)| (p.as_bytes(), *c))).unwrap();
    assert_eq!(built.root_cid(), data);
    let car = read_car(&fixture.car).unwrap();
    let loaded = Tree::load(&car, &data).unwrap();
    assert_eq!(loaded.root_cid(), data);
    let listed: Vec<(String, Cid)> = loaded
        .iter()
        .map(|e| {
            let (key, cid) = e.unwrap();
            (String::from_utf8(key.to_vec()).unwrap(), cid)
        })
        .collect();
    assert_eq!(listed, fixture.records);
    let follows: Vec<_> = loaded
        .collection("app.bsky.graph.follow")
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(follows.len(), 175);
    assert!(loaded.collection("app.bsky.graph").next().is_none());
}

#[test]
fn export_in_streaming_order_round_trips() {
    let fixture = fixture("p256");
    let car = read_car(&fixture.car).unwrap();
    let commit_cid = car.roots()[0];
    let commit_block = car.get(&commit_cid).unwrap();
    let commit = Commit::decode(commit_block).unwrap();
    let tree = Tree::load(&car, &commit.data()).unwrap();
    let exported = write_repo_car(&commit_cid, commit_block, &tree, car.blocks()).unwrap();
    let repo = verify_repo(&exported, &options(&fixture)).unwrap();
    check_result(&fixture, &repo);

    // Commit first, then the root node, each node followed by its records.
    let mut order = Vec::new();
    let mut reader = CarStreamReader::new();
    reader
        .feed(&exported, |item| {
            if let CarItem::Block { cid, .. } = item {
                order.push(cid);
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(order[0], commit_cid);
    assert_eq!(order[1], commit.data());
    let root = atproof::mst::Node::decode(car.get(&commit.data()).unwrap()).unwrap();
    for (i, entry) in root.entries().enumerate() {
        assert_eq!(order[2 + i], entry.value);
    }
    // Every block written once: records linked from two keys appear once.
    let distinct: std::collections::HashSet<_> = order.iter().collect();
    assert_eq!(distinct.len(), order.len());
}

#[test]
fn record_proofs() {
    let fixture = fixture("k256");
    let options = options(&fixture);
    let did = options.did.clone().unwrap();
    let key = options.key.unwrap();
    for (path, cid) in fixture.records.iter().step_by(97) {
        let (collection, rkey) = path.split_once('/').unwrap();
        let proof = record_proof_car(&fixture.car, collection, rkey).unwrap();
        assert!(
            proof.len() < 10_000,
            "{path}: proof of {} bytes",
            proof.len()
        );
        let proven = verify_record(&proof, &did, &key, collection, rkey)
            .unwrap()
            .record
            .unwrap();
        assert_eq!(proven.cid, *cid);
        assert_eq!(Cid::for_drisl(proven.record), *cid);
    }
    for (collection, rkey) in [
        ("app.bsky.feed.post", "2222222222222"),
        ("app.bsky.feed.post", "zzzzzzzzzzzzz"),
        ("com.example.nothing", "self"),
        ("a.a.a", "a"),
    ] {
        let proof = record_proof_car(&fixture.car, collection, rkey).unwrap();
        assert_eq!(
            verify_record(&proof, &did, &key, collection, rkey)
                .unwrap()
                .record,
            None
        );
    }
    // A proof of one key says nothing about another whose path leaves the proof's nodes.
    let (path, _) = &fixture.records[500];
    let (collection, rkey) = path.split_once('/').unwrap();
    let proof = record_proof_car(&fixture.car, collection, rkey).unwrap();
    let (other, _) = &fixture.records[10];
    let (other_collection, other_rkey) = other.split_once('/').unwrap();
    let err = verify_record(&proof, &did, &key, other_collection, other_rkey).unwrap_err();
    assert_eq!(err.code(), Code::MissingBlock);
}

#[test]
fn empty_repository() {
    use atproof::crypto::{Algorithm, Keypair};
    use atproof::repo::UnsignedCommit;
    use atproof::syntax::Tid;
    let keypair = Keypair::import(Algorithm::Es256, &[3; 32]).unwrap();
    let tree = Tree::new();
    let commit = UnsignedCommit::new(
        "did:web:example.com",
        Tid::from_time(1, 0).unwrap(),
        tree.root_cid(),
        None,
    )
    .unwrap()
    .sign(&keypair);
    let no_records: std::collections::HashMap<Cid, Vec<u8>> = std::collections::HashMap::new();
    let car = write_repo_car(&commit.cid, &commit.block, &tree, &no_records).unwrap();
    let options = VerifyOptions {
        did: Some("did:web:example.com".to_owned()),
        key: Some(keypair.public_key()),
        ..VerifyOptions::default()
    };
    let repo = verify_repo(&car, &options).unwrap();
    assert!(repo.records.is_empty());
    assert_eq!(repo.data, tree.root_cid());
    let mut streaming = RepoStreamVerifier::new(options.clone());
    streaming.feed(&car).unwrap();
    assert_eq!(streaming.finish().unwrap(), repo);
    // Absence is provable in the empty tree too.
    let proof = record_proof_car(&car, "app.bsky.feed.post", "3k2a").unwrap();
    let key = keypair.public_key();
    assert_eq!(
        verify_record(
            &proof,
            "did:web:example.com",
            &key,
            "app.bsky.feed.post",
            "3k2a"
        )
        .unwrap()
        .record,
        None
    );
}
