//! Writing: the reference-made stream rebuilt write by write from the reference-made repository
//! (same key, revs, seqs and times) gives the same commits, roots, ops and event block sets; the
//! reference stream applied to a loaded replica gives the reference's final repository; our own
//! repositories export, prove and stream in ways the verifiers accept (among them, many accounts'
//! commits through a stream verifier whose table is full); every bad write is refused
//! with its code and leaves the repository unchanged; random write sequences agree with trees
//! built from scratch.
#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unreachable
)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use atproof::car::read_car;
use atproof::cbor::{decode, Value};
use atproof::cid::{sha256, Cid};
use atproof::crypto::{Algorithm, Keypair, PublicKey};
use atproof::firehose::{decode_frame, verify_commit, Action, Event, StreamVerifier};
use atproof::mst::Tree;
use atproof::repo::{verify_record, verify_repo, VerifyOptions};
use atproof::syntax::Tid;
use atproof::writer::{encode_record, CommitOptions, Repository, Write, WrittenCommit};
use atproof::Code;
use proptest::prelude::*;
use serde_json::Value as Json;
use support::{fixture, frames_of};

fn frames(curve: &str) -> Vec<Vec<u8>> {
    frames_of(&fixture(&format!(
        "generated/repo-1000-s1-{curve}.frames.bin"
    )))
}

fn sidecar(curve: &str) -> Json {
    serde_json::from_slice(&fixture(&format!("generated/repo-1000-s1-{curve}.json"))).unwrap()
}

/// The generator's signing key: SHA-256 of `signing-key:<curve>:<seed>`.
fn reference_keypair(curve: &str) -> Keypair {
    let algorithm = if curve == "k256" {
        Algorithm::Es256k
    } else {
        Algorithm::Es256
    };
    Keypair::import(
        algorithm,
        &sha256(format!("signing-key:{curve}:1").as_bytes()),
    )
    .unwrap()
}

fn car_block_set(car: &[u8]) -> BTreeMap<Cid, Vec<u8>> {
    read_car(car)
        .unwrap()
        .blocks()
        .iter()
        .map(|(cid, block)| (cid, block.to_vec()))
        .collect()
}

/// A record of `collection` (its `$type`) holding `text`.
fn record(collection: &str, text: &str) -> Vec<u8> {
    let value = Value::Map(vec![
        ("$type".into(), Value::String(collection.to_owned().into())),
        ("text".into(), Value::String(text.to_owned().into())),
    ]);
    encode_record(&value).unwrap().1
}

fn write(action: Action, collection: &str, rkey: &str, text: Option<&str>) -> Write {
    Write {
        action,
        collection: collection.to_owned(),
        rkey: rkey.to_owned(),
        record: text.map(|text| record(collection, text)),
    }
}

/// Just after the reference streams' last event: no rev of theirs is in the future.
const STREAM_TIME: u64 = 1_736_600_000_000_000;

fn options(rev: Tid) -> CommitOptions {
    CommitOptions {
        rev,
        seq: None,
        time: "2026-12-05T00:00:00.000Z".to_owned(),
    }
}

/// Revs one second apart from a fixed start, clock id 7.
fn rev(n: u64) -> Tid {
    Tid::from_time(1_760_000_000_000_000 + n * 1_000_000, 7).unwrap()
}

fn new_repo(keypair: &Keypair) -> Repository {
    Repository::create(
        "did:plc:writertestaaaaaaaaaaaaaa",
        keypair.public_key(),
        rev(0),
    )
    .unwrap()
    .finish_with_keypair(keypair)
    .unwrap()
}

fn commit(repo: &mut Repository, keypair: &Keypair, writes: &[Write], n: u64) -> WrittenCommit {
    let prepared = repo.prepare(writes, &options(rev(n))).unwrap();
    repo.finish_with_keypair(prepared, keypair).unwrap()
}

/// What a frame's body says, blocks as a set.
fn frame_facts(frame: &[u8]) -> (Json, BTreeMap<Cid, Vec<u8>>) {
    let decoded = decode_frame(frame).unwrap();
    let Event::Commit(event) = &decoded.event else {
        panic!("not a #commit")
    };
    let facts = serde_json::json!({
        "seq": event.seq, "repo": event.repo, "rev": event.rev_text, "since": event.since,
        "commit": event.commit.to_string(), "time": event.time, "tooBig": event.too_big,
        "prevData": event.prev_data.map(|c| c.to_string()),
        "ops": event.ops.iter().map(|op| serde_json::json!({
            "action": op.action.as_str(), "path": op.path,
            "cid": op.cid.map(|c| c.to_string()), "prev": op.prev.map(|c| c.to_string()),
        })).collect::<Vec<_>>(),
        "roots": read_car(event.blocks).unwrap().roots().iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    });
    (facts, car_block_set(event.blocks))
}

/// `count` new repositories signed by `keypair`, DIDs `prefix` + a letter, each with the number of
/// commits made since (0).
fn accounts(keypair: &Keypair, prefix: &str, count: u8) -> Vec<(Repository, u64)> {
    (0..count)
        .map(|i| {
            let did = format!("{prefix}{}", char::from(b'a' + i));
            let repo = Repository::create(&did, keypair.public_key(), rev(0)).unwrap();
            (repo.finish_with_keypair(keypair).unwrap(), 0)
        })
        .collect()
}

#[test]
fn a_full_stream_verifier_forgets_the_least_recently_seen_eighth() {
    let keypair = Keypair::import(Algorithm::Es256k, &[5; 32]).unwrap();
    let key = keypair.public_key();
    let now = 1_900_000_000_000_000u64;
    let mut repos = accounts(&keypair, "did:plc:evictionaccount", 20);
    let mut seq = 0;
    let mut stream = StreamVerifier::new(16, u64::MAX / 2);
    // A commit by account `i`: its status and whether continuity was checked.
    let mut next = |stream: &mut StreamVerifier, i: usize| {
        let (repo, n) = &mut repos[i];
        *n += 1;
        seq += 1;
        let rkey = format!("r{n}");
        let writes = [write(
            Action::Create,
            "app.bsky.feed.post",
            &rkey,
            Some("x"),
        )];
        let prepared = repo
            .prepare(
                &writes,
                &CommitOptions {
                    seq: Some(seq),
                    ..options(rev(*n))
                },
            )
            .unwrap();
        let written = repo.finish_with_keypair(prepared, &keypair).unwrap();
        let out = stream.process(&written.frame, Some(&key), now).unwrap();
        (out.status.as_str().to_owned(), out.continuity)
    };
    let valid = |continuity| ("valid".to_owned(), continuity);

    for i in 0..16 {
        assert_eq!(next(&mut stream, i), valid(false), "account {i}");
    }
    assert_eq!(stream.accounts(), 16);
    // Accounts 0 and 1 seen again: 2 and 3 are now the least recently seen.
    assert_eq!(next(&mut stream, 0), valid(true));
    assert_eq!(next(&mut stream, 1), valid(true));
    // A 17th account: the table is full, so the least recently seen eighth (two) is forgotten.
    assert_eq!(next(&mut stream, 16), valid(false));
    assert_eq!(stream.accounts(), 15);
    // Forgotten: verified without continuity, then followed again.
    assert_eq!(next(&mut stream, 2), valid(false));
    assert_eq!(next(&mut stream, 2), valid(true));
    // Kept: continuity as before.
    for i in [0, 1, 15, 16] {
        assert_eq!(next(&mut stream, i), valid(true), "account {i}");
    }
    assert_eq!(stream.accounts(), 16);
    // Full again: account 3 (forgotten) comes back as a new one and the two least recently seen
    // now, 4 and 5, go.
    assert_eq!(next(&mut stream, 3), valid(false));
    assert_eq!(stream.accounts(), 15);
    assert_eq!(next(&mut stream, 4), valid(false));
    assert_eq!(next(&mut stream, 6), valid(true));
    // And again: 5 comes back, 7 and 8 go.
    assert_eq!(next(&mut stream, 5), valid(false));
    assert_eq!(next(&mut stream, 9), valid(true));
    assert_eq!(next(&mut stream, 7), valid(false));
    assert_eq!(stream.accounts(), 16);
}

#[test]
fn rebuilding_the_reference_stream_gives_the_same_commits_and_blocks() {
    for curve in ["k256", "p256"] {
        let keypair = reference_keypair(curve);
        assert_eq!(
            keypair.did(),
            sidecar(curve)["signingKey"].as_str().unwrap()
        );
        let car = fixture(&format!("generated/repo-1000-s1-{curve}.car"));
        let mut repo = Repository::load(car.into(), keypair.public_key(), None).unwrap();
        for (n, frame) in frames(curve).iter().enumerate() {
            let decoded = decode_frame(frame).unwrap();
            let Event::Commit(event) = &decoded.event else {
                panic!("not a #commit")
            };
            let blocks = car_block_set(event.blocks);
            let writes: Vec<Write> = event
                .ops
                .iter()
                .map(|op| {
                    let (collection, rkey) = op.path.split_once('/').unwrap();
                    Write {
                        action: op.action,
                        collection: collection.to_owned(),
                        rkey: rkey.to_owned(),
                        record: op.cid.map(|cid| blocks[&cid].clone()),
                    }
                })
                .collect();
            let prepared = repo
                .prepare(
                    &writes,
                    &CommitOptions {
                        rev: event.rev,
                        seq: Some(event.seq),
                        time: event.time.to_owned(),
                    },
                )
                .unwrap();
            let written = repo.finish_with_keypair(prepared, &keypair).unwrap();
            assert_eq!(
                written.commit, event.commit,
                "{curve} frame {n}: the commit"
            );
            let (ours, our_blocks) = frame_facts(&written.frame);
            let (theirs, their_blocks) = frame_facts(frame);
            assert_eq!(ours, theirs, "{curve} frame {n}: the event's fields");
            assert_eq!(
                our_blocks.keys().collect::<Vec<_>>(),
                their_blocks.keys().collect::<Vec<_>>(),
                "{curve} frame {n}: the event's block set"
            );
            assert_eq!(our_blocks, their_blocks);
        }
        let after = verify_repo(
            &fixture(&format!("generated/repo-1000-s1-{curve}.after.car")),
            &VerifyOptions::default(),
        )
        .unwrap();
        assert_eq!(repo.commit().cid, after.commit);
        let exported = repo.export_car().unwrap();
        assert_eq!(
            car_block_set(&exported),
            car_block_set(&fixture(&format!(
                "generated/repo-1000-s1-{curve}.after.car"
            ))),
            "{curve}: the export holds the reference's blocks"
        );
    }
}

#[test]
fn a_replica_follows_the_reference_stream() {
    for curve in ["k256", "p256"] {
        let key = PublicKey::from_did_key(sidecar(curve)["signingKey"].as_str().unwrap()).unwrap();
        let car = fixture(&format!("generated/repo-1000-s1-{curve}.car"));
        let mut replica = Repository::load(car.into(), key, None).unwrap();
        let frames = frames(curve);
        // A skipped frame: desync, nothing changed.
        let before = replica.commit().clone();
        let err = replica
            .apply_commit(&frames[1], &key, STREAM_TIME)
            .unwrap_err();
        assert_eq!(err.code(), Code::CommitDesync, "{err}");
        assert_eq!(replica.commit(), &before);
        // A clock years behind the stream: its revs are in the future, refused.
        let err = replica
            .apply_commit(&frames[0], &key, 1_600_000_000_000_000)
            .unwrap_err();
        assert_eq!(err.code(), Code::RevInFuture, "{err}");
        assert_eq!(replica.commit(), &before);
        let mut ops = 0;
        for frame in &frames {
            ops += replica
                .apply_commit(frame, &key, STREAM_TIME)
                .unwrap()
                .len();
        }
        assert_eq!(ops, 429);
        // The same frame again no longer follows.
        let err = replica
            .apply_commit(&frames[199], &key, STREAM_TIME)
            .unwrap_err();
        assert_eq!(err.code(), Code::CommitDesync);
        let after_car = fixture(&format!("generated/repo-1000-s1-{curve}.after.car"));
        let after = verify_repo(&after_car, &VerifyOptions::default()).unwrap();
        assert_eq!(replica.commit().cid, after.commit);
        let listed = replica.list(None).unwrap();
        let expected: Vec<(String, Cid)> = after
            .records
            .iter()
            .map(|r| (r.path.to_owned(), r.cid))
            .collect();
        assert_eq!(listed, expected);
        assert_eq!(
            car_block_set(&replica.export_car().unwrap()),
            car_block_set(&after_car)
        );
    }
}

#[test]
fn a_replica_refuses_a_frame_signed_by_another_key() {
    let key = PublicKey::from_did_key(sidecar("k256")["signingKey"].as_str().unwrap()).unwrap();
    let other = Keypair::import(Algorithm::Es256k, &[9; 32])
        .unwrap()
        .public_key();
    let car = fixture("generated/repo-1000-s1-k256.car");
    let mut replica = Repository::load(car.into(), other, None);
    assert_eq!(replica.unwrap_err().code(), Code::BadSignature);
    replica = Repository::load(fixture("generated/repo-1000-s1-k256.car").into(), key, None);
    let mut replica = replica.unwrap();
    let before = replica.commit().clone();
    let err = replica
        .apply_commit(&frames("k256")[0], &other, STREAM_TIME)
        .unwrap_err();
    assert_eq!(err.code(), Code::BadSignature);
    assert_eq!(replica.commit(), &before);
}

/// Everything a reader can check of a repository written here.
fn check_everything_verifies(repo: &mut Repository, expected: &BTreeMap<String, Vec<u8>>) {
    let car = repo.export_car().unwrap();
    let key = *repo.key();
    let verified = verify_repo(
        &car,
        &VerifyOptions {
            did: Some(repo.did().to_owned()),
            key: Some(key),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    let listed: Vec<(String, Cid)> = verified
        .records
        .iter()
        .map(|r| (r.path.to_owned(), r.cid))
        .collect();
    let wanted: Vec<(String, Cid)> = expected
        .iter()
        .map(|(path, block)| (path.clone(), Cid::for_drisl(block)))
        .collect();
    assert_eq!(listed, wanted);
    assert_eq!(repo.list(None).unwrap(), wanted);
    for (path, block) in expected {
        let (collection, rkey) = path.split_once('/').unwrap();
        let (cid, stored) = repo.get(collection, rkey).unwrap().unwrap();
        assert_eq!((cid, stored), (Cid::for_drisl(block), &block[..]));
        let proof = repo.proof(collection, rkey).unwrap();
        let proof = verify_record(&proof, repo.did(), &key, collection, rkey).unwrap();
        assert_eq!(proof.commit, repo.commit().cid);
        assert_eq!(proof.data, repo.data());
        let proven = proof.record.unwrap();
        assert_eq!(proven.record, &block[..]);
    }
    let proof = repo.proof("app.bsky.feed.post", "absent").unwrap();
    assert!(
        verify_record(&proof, repo.did(), &key, "app.bsky.feed.post", "absent")
            .unwrap()
            .record
            .is_none()
    );
}

#[test]
fn own_writes_export_prove_and_stream() {
    let keypair = Keypair::import(Algorithm::Es256k, &[3; 32]).unwrap();
    let mut repo = new_repo(&keypair);
    let key = keypair.public_key();
    let mut stream = StreamVerifier::new(16, u64::MAX / 2);
    let now = 1_900_000_000_000_000u64;
    let mut expected = BTreeMap::new();
    let mut n = 0;
    for round in 0..30u32 {
        let mut writes = Vec::new();
        for i in 0..(1 + round % 7) {
            let rkey = format!("r{round}x{i}");
            writes.push(write(
                Action::Create,
                "app.bsky.feed.post",
                &rkey,
                Some(&rkey),
            ));
            expected.insert(
                format!("app.bsky.feed.post/{rkey}"),
                record("app.bsky.feed.post", &rkey),
            );
        }
        if round > 2 {
            let rkey = format!("r{}x0", round - 2);
            writes.push(write(
                Action::Update,
                "app.bsky.feed.post",
                &rkey,
                Some("changed"),
            ));
            expected.insert(
                format!("app.bsky.feed.post/{rkey}"),
                record("app.bsky.feed.post", "changed"),
            );
            let rkey = format!("r{}x0", round - 3);
            writes.push(write(Action::Delete, "app.bsky.feed.post", &rkey, None));
            expected.remove(&format!("app.bsky.feed.post/{rkey}"));
        }
        n += 1;
        let prev_data = repo.data();
        let written = commit(&mut repo, &keypair, &writes, n);
        assert_eq!(written.prev_data, prev_data);
        assert_eq!(written.seq, i64::from(round) + 1);
        let decoded = decode_frame(&written.frame).unwrap();
        let Event::Commit(event) = &decoded.event else {
            panic!("not a #commit")
        };
        let verified = verify_commit(event, &key, None).unwrap();
        assert!(verified.inverted);
        assert_eq!(verified.data, written.data);
        assert_eq!(verified.prev_data, Some(prev_data));
        let processed = stream.process(&written.frame, Some(&key), now).unwrap();
        assert_eq!(processed.status.as_str(), "valid", "round {round}");
    }
    check_everything_verifies(&mut repo, &expected);

    // The same repository loaded from its export takes more writes.
    let car = repo.export_car().unwrap();
    let mut loaded = Repository::load(car.into(), key, Some(repo.did().to_owned())).unwrap();
    assert_eq!(loaded.data(), repo.data());
    n += 1;
    let written = commit(
        &mut loaded,
        &keypair,
        &[write(
            Action::Create,
            "app.bsky.feed.like",
            "zzz",
            Some("like"),
        )],
        n,
    );
    expected.insert(
        "app.bsky.feed.like/zzz".to_owned(),
        record("app.bsky.feed.like", "like"),
    );
    assert_eq!(
        stream
            .process(&written.frame, Some(&key), now)
            .unwrap()
            .status
            .as_str(),
        "valid"
    );
    check_everything_verifies(&mut loaded, &expected);
}

#[test]
fn bad_writes_are_refused_and_change_nothing() {
    let keypair = Keypair::import(Algorithm::Es256, &[5; 32]).unwrap();
    let mut repo = new_repo(&keypair);
    commit(
        &mut repo,
        &keypair,
        &[
            write(Action::Create, "app.bsky.feed.post", "a", Some("a")),
            write(Action::Create, "app.bsky.feed.post", "b", Some("b")),
        ],
        1,
    );
    let commit_before = repo.commit().clone();
    let list_before = repo.list(None).unwrap();
    let no_type = atproof::cbor::encode(&Value::Map(vec![(
        "text".into(),
        Value::String("x".into()),
    )]))
    .unwrap();
    let float = vec![
        0xa2, 0x61, b'f', 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x65, b'$', b't', b'y', b'p', b'e',
        0x61, b'x',
    ];
    let huge = atproof::cbor::encode_with_limits(
        &Value::Map(vec![
            ("$type".into(), Value::String("x.y.z".into())),
            ("b".into(), Value::Bytes(vec![0; 2_000_000].into())),
        ]),
        atproof::cbor::Limits {
            max_size: 4 << 20,
            ..atproof::cbor::Limits::DEFAULT
        },
    )
    .unwrap();
    // A legacy blob reference {cid, mimeType}: readable, never written.
    let legacy_blob = atproof::cbor::encode(&Value::Map(vec![
        ("$type".into(), Value::String("app.bsky.feed.post".into())),
        (
            "image".into(),
            Value::Map(vec![
                (
                    "cid".into(),
                    Value::String(
                        "bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm".into(),
                    ),
                ),
                ("mimeType".into(), Value::String("image/png".into())),
            ]),
        ),
    ]))
    .unwrap();
    let with_record = |block: Vec<u8>| Write {
        action: Action::Create,
        collection: "app.bsky.feed.post".into(),
        rkey: "new".into(),
        record: Some(block),
    };
    let cases: Vec<(Vec<Write>, Code)> = vec![
        (
            vec![write(Action::Create, "not an nsid", "x", Some("x"))],
            Code::InvalidNsid,
        ),
        (
            vec![write(
                Action::Create,
                "app.bsky.feed.post",
                "bad key!",
                Some("x"),
            )],
            Code::InvalidRecordKey,
        ),
        (vec![with_record(no_type)], Code::InvalidRecordType),
        (
            vec![with_record(record("app.bsky.feed.like", "x"))],
            Code::InvalidRecordType,
        ),
        (vec![with_record(legacy_blob)], Code::InvalidBlob),
        (vec![with_record(float)], Code::CborFloat),
        (vec![with_record(huge)], Code::LimitExceeded),
        (
            vec![write(
                Action::Update,
                "app.bsky.feed.post",
                "missing",
                Some("x"),
            )],
            Code::RecordNotFound,
        ),
        (
            vec![write(Action::Delete, "app.bsky.feed.post", "missing", None)],
            Code::RecordNotFound,
        ),
        (
            vec![write(Action::Create, "app.bsky.feed.post", "a", Some("x"))],
            Code::RecordExists,
        ),
        (
            vec![
                write(Action::Create, "app.bsky.feed.post", "c", Some("x")),
                write(Action::Delete, "app.bsky.feed.post", "c", None),
            ],
            Code::DuplicateWrite,
        ),
        (vec![], Code::LimitExceeded),
        (
            (0..201)
                .map(|i| {
                    write(
                        Action::Create,
                        "app.bsky.feed.post",
                        &format!("k{i}"),
                        Some("x"),
                    )
                })
                .collect(),
            Code::LimitExceeded,
        ),
    ];
    for (writes, code) in cases {
        let err = repo.prepare(&writes, &options(rev(2))).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    // A rev not above the last.
    let ok = [write(Action::Create, "app.bsky.feed.post", "c", Some("c"))];
    for stale in [rev(1), rev(0)] {
        let err = repo.prepare(&ok, &options(stale)).unwrap_err();
        assert_eq!(err.code(), Code::RevNotIncreasing);
    }
    // Signatures from elsewhere: too short, wrong, from another key; a high-S one is made low-S.
    let prepared = repo.prepare(&ok, &options(rev(2))).unwrap();
    let signature = keypair.sign(prepared.bytes_to_sign());
    let err = repo.finish(prepared.clone(), &signature[..63]).unwrap_err();
    assert_eq!(err.code(), Code::InvalidSignatureFormat);
    let mut wrong = signature;
    wrong[10] ^= 1;
    let err = repo.finish(prepared.clone(), &wrong).unwrap_err();
    assert!(
        matches!(
            err.code(),
            Code::BadSignature | Code::InvalidSignatureFormat
        ),
        "{err}"
    );
    let other = Keypair::import(Algorithm::Es256, &[6; 32]).unwrap();
    let err = repo
        .finish(prepared.clone(), &other.sign(prepared.bytes_to_sign()))
        .unwrap_err();
    assert_eq!(err.code(), Code::BadSignature);
    let err = repo
        .finish_with_keypair(prepared.clone(), &other)
        .unwrap_err();
    assert_eq!(err.code(), Code::BadSignature);
    assert_eq!(repo.commit(), &commit_before);
    assert_eq!(repo.list(None).unwrap(), list_before);

    let high_s = high_s_twin(&signature);
    let written = repo.finish(prepared.clone(), &high_s).unwrap();
    let car = repo.export_car().unwrap();
    let commit = atproof::repo::Commit::decode(car_block_set(&car)[&written.commit].as_slice())
        .unwrap()
        .signature()
        .to_vec();
    assert_eq!(commit, signature.to_vec(), "the low-S twin is stored");
    // A commit prepared before another finished no longer applies.
    let err = repo.finish(prepared, &signature).unwrap_err();
    assert_eq!(err.code(), Code::CommitDesync);
}

/// `s` replaced by `n − s` (P-256's order).
fn high_s_twin(signature: &[u8; 64]) -> Vec<u8> {
    let n: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let mut out = signature.to_vec();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(n[i]) - i16::from(signature[32 + i]) - borrow;
        borrow = i16::from(d < 0);
        out[32 + i] = (d + if d < 0 { 256 } else { 0 }) as u8;
    }
    assert!(atproof::crypto::is_low_s(Algorithm::Es256, signature).unwrap());
    assert!(!atproof::crypto::is_low_s(Algorithm::Es256, &out).unwrap());
    out
}

#[test]
fn a_commit_too_big_for_an_event_is_refused_before_signing() {
    let keypair = Keypair::import(Algorithm::Es256k, &[4; 32]).unwrap();
    let mut repo = new_repo(&keypair);
    let big = |i: usize| {
        atproof::cbor::encode(&Value::Map(vec![
            ("$type".into(), Value::String("x.y.z".into())),
            ("b".into(), Value::Bytes(vec![i as u8; 900_000].into())),
        ]))
        .unwrap()
    };
    let writes: Vec<Write> = (0..3)
        .map(|i| Write {
            action: Action::Create,
            collection: "x.y.z".into(),
            rkey: format!("k{i}"),
            record: Some(big(i)),
        })
        .collect();
    let err = repo.prepare(&writes, &options(rev(1))).unwrap_err();
    assert_eq!(err.code(), Code::CommitTooBig);
    assert!(repo.prepare(&writes[..2], &options(rev(1))).is_ok());
    let _ = &mut repo;
}

fn ops_strategy() -> impl Strategy<Value = Vec<Vec<(u8, u8)>>> {
    // Commits of (key index, action seed) pairs over a small key space, so that updates and
    // deletes find records.
    proptest::collection::vec(proptest::collection::vec((0u8..60, 0u8..3), 1..8), 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random creates, updates and deletes give the root of the final record set built from
    /// scratch, and every frame inverts to the root before it.
    #[test]
    fn random_writes_match_a_tree_built_from_scratch(commits in ops_strategy()) {
        let keypair = Keypair::import(Algorithm::Es256k, &[8; 32]).unwrap();
        let key = keypair.public_key();
        let mut repo = new_repo(&keypair);
        let mut records: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for (n, ops) in commits.iter().enumerate() {
            let mut writes = Vec::new();
            let mut touched = BTreeSet::new();
            for &(k, a) in ops {
                let rkey = format!("k{k:03}");
                if !touched.insert(rkey.clone()) {
                    continue;
                }
                let path = format!("app.bsky.feed.post/{rkey}");
                let text = format!("{n}-{k}-{a}");
                let w = match (records.contains_key(&path), a) {
                    (false, _) => write(Action::Create, "app.bsky.feed.post", &rkey, Some(&text)),
                    (true, 0) => write(Action::Delete, "app.bsky.feed.post", &rkey, None),
                    (true, _) => write(Action::Update, "app.bsky.feed.post", &rkey, Some(&text)),
                };
                match w.action {
                    Action::Delete => { records.remove(&path); }
                    _ => { records.insert(path, record("app.bsky.feed.post", &text)); }
                }
                writes.push(w);
            }
            let prev_data = repo.data();
            let written = commit(&mut repo, &keypair, &writes, n as u64 + 1);
            let decoded = decode_frame(&written.frame).unwrap();
            let Event::Commit(event) = &decoded.event else { unreachable!() };
            let verified = verify_commit(event, &key, Some(prev_data)).unwrap();
            prop_assert!(verified.inverted);
            let scratch = Tree::build(records.iter().map(|(p, b)| (p.as_bytes(), Cid::for_drisl(b)))).unwrap();
            prop_assert_eq!(repo.data(), scratch.root_cid());
        }
        let car = repo.export_car().unwrap();
        let verified = verify_repo(&car, &VerifyOptions { key: Some(key), ..VerifyOptions::default() }).unwrap();
        prop_assert_eq!(verified.records.len(), records.len());
        let _ = decode(&[0xa0]);
    }
}

#[test]
fn a_sync_frame_starts_consumers_on_the_current_commit_and_seqs_only_increase() {
    let keypair = Keypair::import(Algorithm::Es256k, &[9; 32]).unwrap();
    let key = keypair.public_key();
    let now = 1_900_000_000_000_000u64;
    let time = "2026-12-06T06:00:00.000Z";
    let mut repo = new_repo(&keypair);
    let first = commit(
        &mut repo,
        &keypair,
        &[write(Action::Create, "app.bsky.feed.post", "a", Some("a"))],
        1,
    );
    assert_eq!(first.seq, 1);

    // The frame, against one built here from generic DRISL values.
    let sync = repo.sync_frame(None, time).unwrap();
    assert_eq!(repo.last_seq(), 2);
    let mut car = atproof::car::CarWriter::new(&[repo.commit().cid]);
    car.write_block(&repo.commit().cid, &repo.commit().block);
    let expected = [
        atproof::cbor::encode(&Value::Map(vec![
            ("t".into(), Value::String("#sync".into())),
            ("op".into(), Value::Integer(1)),
        ]))
        .unwrap(),
        atproof::cbor::encode(&Value::Map(vec![
            ("did".into(), Value::String(repo.did().to_owned().into())),
            ("rev".into(), Value::String(repo.rev().to_string().into())),
            ("seq".into(), Value::Integer(2)),
            ("time".into(), Value::String(time.into())),
            ("blocks".into(), Value::Bytes(car.into_bytes().into())),
        ]))
        .unwrap(),
    ]
    .concat();
    assert_eq!(sync, expected);
    let Event::Sync(event) = decode_frame(&sync).unwrap().event else {
        panic!("not a #sync")
    };
    let verified = atproof::firehose::verify_sync(&event, &key).unwrap();
    assert_eq!(
        (verified.commit, verified.data),
        (repo.commit().cid, repo.data())
    );

    // A consumer that starts at the #sync follows the commits after it with continuity.
    let mut stream = StreamVerifier::new(16, 300_000_000);
    let out = stream.process(&sync, Some(&key), now).unwrap();
    assert_eq!(out.status.as_str(), "valid");
    let second = commit(
        &mut repo,
        &keypair,
        &[write(Action::Create, "app.bsky.feed.post", "b", Some("b"))],
        2,
    );
    assert_eq!(second.seq, 3);
    let out = stream.process(&second.frame, Some(&key), now).unwrap();
    assert_eq!((out.status.as_str(), out.continuity), ("valid", true));

    // A seq not above the last event's is refused, by commits and #sync frames alike, and uses
    // nothing up.
    let writes = [write(Action::Create, "app.bsky.feed.post", "c", Some("c"))];
    for seq in [3, 2, 0, -1, 1 << 53] {
        let refused = repo.prepare(
            &writes,
            &CommitOptions {
                seq: Some(seq),
                ..options(rev(3))
            },
        );
        assert_eq!(refused.unwrap_err().code(), Code::InvalidArgument, "{seq}");
        assert_eq!(
            repo.sync_frame(Some(seq), time).unwrap_err().code(),
            Code::InvalidArgument
        );
    }
    assert_eq!(
        repo.sync_frame(None, "yesterday").unwrap_err().code(),
        Code::InvalidDatetime
    );
    assert_eq!(repo.last_seq(), 3);

    // A repository loaded again starts from the seq it is told.
    let mut loaded = Repository::load(repo.export_car().unwrap().into(), key, None).unwrap();
    assert_eq!(loaded.last_seq(), 0);
    assert_eq!(
        loaded.set_last_seq(-1).unwrap_err().code(),
        Code::InvalidArgument
    );
    assert_eq!(
        loaded.set_last_seq(1 << 53).unwrap_err().code(),
        Code::InvalidArgument
    );
    loaded.set_last_seq(3).unwrap();
    let third = commit(&mut loaded, &keypair, &writes, 3);
    assert_eq!(third.seq, 4);
    assert_eq!(decode_frame(&third.frame).unwrap().event.seq(), Some(4));
}

#[test]
fn a_saved_stream_state_keeps_the_most_recent_accounts_when_restored_into_a_smaller_table() {
    let keypair = Keypair::import(Algorithm::Es256k, &[5; 32]).unwrap();
    let key = keypair.public_key();
    let now = 1_900_000_000_000_000u64;
    let mut repos = accounts(&keypair, "did:plc:savedstateaccount", 20);
    let mut next_frame = |i: usize| {
        let (repo, n) = &mut repos[i];
        *n += 1;
        let writes = [write(
            Action::Create,
            "app.bsky.feed.post",
            &format!("r{n}"),
            Some("x"),
        )];
        commit(repo, &keypair, &writes, *n).frame
    };
    let mut big = StreamVerifier::new(1000, u64::MAX / 2);
    for i in 0..20 {
        big.process(&next_frame(i), Some(&key), now).unwrap();
    }
    let saved = big.save().unwrap();

    // Into a table of 16: the 4 (or more, on ties) seen first are forgotten, the rest followed.
    let mut small = StreamVerifier::new(16, u64::MAX / 2);
    small.restore(&saved).unwrap();
    assert_eq!(small.accounts(), 16);
    let continuity = |v: &mut StreamVerifier, frame: &[u8]| {
        let out = v.process(frame, Some(&key), now).unwrap();
        assert_eq!(out.status.as_str(), "valid");
        out.continuity
    };
    // (The kept ones first: a forgotten account coming back, the table full, makes room.)
    for i in (0..20).rev() {
        assert_eq!(
            continuity(&mut small, &next_frame(i)),
            i >= 4,
            "account {i}"
        );
    }
    // A state saved after those commits, restored into the big table, follows those it holds.
    let mut again = StreamVerifier::new(1000, u64::MAX / 2);
    again.restore(&small.save().unwrap()).unwrap();
    assert_eq!(again.accounts(), small.accounts());
    let followed = (0..20)
        .filter(|&i| continuity(&mut again, &next_frame(i)))
        .count();
    assert_eq!(followed, small.accounts());
}
