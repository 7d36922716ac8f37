//! The event stream: the reference-made `#commit` streams (k256, p256) decoded and verified frame
//! by frame with sync 1.1 inversion; the interop commit-proof fixtures both ways; tampered frames,
//! each refused with its own code; frames cut anywhere; the other event types.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unreachable
)]

mod support;

use std::borrow::Cow;
use std::collections::BTreeMap;

use atproof::car::{read_car, CarWriter};
use atproof::cbor::{decode, encode, Value};
use atproof::cid::Cid;
use atproof::crypto::PublicKey;
use atproof::firehose::{decode_frame, verify_commit, verify_sync, Action, Event};
use atproof::mst::Tree;
use atproof::repo::{verify_repo, VerifyOptions};
use atproof::Code;
use serde_json::Value as Json;
use support::{fixture, frames_of};

/// The frames of a reference stream and its sidecar.
fn stream(curve: &str) -> (Vec<Vec<u8>>, Json) {
    let bin = fixture(&format!("generated/repo-1000-s1-{curve}.frames.bin"));
    let meta: Json = serde_json::from_slice(&fixture(&format!(
        "generated/repo-1000-s1-{curve}.frames.json"
    )))
    .unwrap();
    (frames_of(&bin), meta)
}

fn cid(json: &Json) -> Option<Cid> {
    json.as_str().map(|s| Cid::parse(s).unwrap())
}

fn key(meta: &Json) -> PublicKey {
    PublicKey::from_did_key(meta["signingKey"].as_str().unwrap()).unwrap()
}

#[test]
fn reference_streams_verify_frame_by_frame_with_inversion() {
    for curve in ["k256", "p256"] {
        let (frames, meta) = stream(curve);
        assert_eq!(frames.len(), 200);
        let key = key(&meta);
        let mut data = cid(&meta["startData"]).unwrap();
        let mut ops_checked = 0;
        for (frame, expected) in frames.iter().zip(meta["frames"].as_array().unwrap()) {
            let decoded = decode_frame(frame).unwrap();
            assert_eq!((decoded.op, decoded.t), (1, Some("#commit")));
            let Event::Commit(event) = &decoded.event else {
                panic!("not a #commit")
            };
            assert_eq!(event.seq, expected["seq"].as_i64().unwrap());
            assert_eq!(event.rev_text, expected["rev"].as_str().unwrap());
            assert_eq!(event.since, expected["since"].as_str());
            assert_eq!(event.commit, cid(&expected["commit"]).unwrap());
            assert_eq!(
                event.prev_data,
                Some(data),
                "prevData follows the last data root"
            );
            assert_eq!(event.time, expected["time"].as_str().unwrap());
            let verified = verify_commit(event, &key, None).unwrap();
            assert!(verified.inverted);
            assert_eq!(verified.prev_data, Some(data));
            assert_eq!(verified.data, cid(&expected["data"]).unwrap());
            for (op, json) in verified.ops.iter().zip(expected["ops"].as_array().unwrap()) {
                assert_eq!(op.action.as_str(), json["action"].as_str().unwrap());
                assert_eq!(op.path, json["path"].as_str().unwrap());
                assert_eq!(op.cid, cid(&json["cid"]));
                assert_eq!(op.prev, cid(&json["prev"]));
                ops_checked += 1;
            }
            data = verified.data;
        }
        assert_eq!(ops_checked, 429);
        let after = verify_repo(
            &fixture(&format!("generated/repo-1000-s1-{curve}.after.car")),
            &VerifyOptions::default(),
        )
        .unwrap();
        assert_eq!(
            after.data, data,
            "{curve}: the stream ends at the .after.car root"
        );
    }
}

#[test]
fn commit_proof_fixtures_both_ways() {
    let cases: Json =
        serde_json::from_slice(&fixture("interop/firehose/commit-proof-fixtures.json")).unwrap();
    let cases = cases.as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["comment"].as_str().unwrap();
        let leaf = cid(&case["leafValue"]).unwrap();
        let strings = |field: &str| -> Vec<String> {
            case[field]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_owned())
                .collect()
        };
        let (keys, adds, dels) = (strings("keys"), strings("adds"), strings("dels"));
        let before = Tree::build(keys.iter().map(|k| (k.as_bytes(), leaf))).unwrap();
        assert_eq!(
            Some(before.root_cid()),
            cid(&case["rootBeforeCommit"]),
            "{name}"
        );
        let mut after = before.clone();
        for key in &adds {
            after.insert(key.as_bytes(), leaf).unwrap();
        }
        for key in &dels {
            after.delete(key.as_bytes()).unwrap();
        }
        assert_eq!(
            Some(after.root_cid()),
            cid(&case["rootAfterCommit"]),
            "{name}"
        );

        // Backwards: from the proof blocks alone, undo the commit.
        let proof: Vec<Cid> = strings("blocksInProof")
            .iter()
            .map(|s| Cid::parse(s).unwrap())
            .collect();
        let mut nodes = BTreeMap::new();
        after
            .visit_nodes_preorder(|cid, block, _| {
                nodes.insert(*cid, block.to_vec());
                Ok(())
            })
            .unwrap();
        let only = |keep: &dyn Fn(&Cid) -> bool| -> BTreeMap<Cid, Vec<u8>> {
            nodes
                .iter()
                .filter(|(cid, _)| keep(cid))
                .map(|(c, b)| (*c, b.clone()))
                .collect()
        };
        let invert = |blocks: &BTreeMap<Cid, Vec<u8>>| -> atproof::Result<Cid> {
            let mut tree = Tree::load(blocks, &after.root_cid())?;
            for key in &dels {
                tree.insert(key.as_bytes(), leaf)?;
            }
            for key in adds.iter().rev() {
                tree.delete(key.as_bytes())?;
            }
            Ok(tree.root_cid())
        };
        let root = invert(&only(&|cid| proof.contains(cid))).unwrap();
        assert_eq!(Some(root), cid(&case["rootBeforeCommit"]), "{name}");
    }
}

/// A frame's header bytes and decoded body.
fn split(frame: &[u8]) -> (Vec<u8>, Value<'static>) {
    let decoded = decode_frame(frame).unwrap();
    let header = frame[..frame.len() - decoded.body.len()].to_vec();
    (header, decode(decoded.body).unwrap().into_owned())
}

fn join(header: &[u8], body: &Value<'_>) -> Vec<u8> {
    [header, &encode(body).unwrap()].concat()
}

/// `frame` with its body changed by `change`.
fn tamper(frame: &[u8], change: &dyn Fn(&mut Value<'static>)) -> Vec<u8> {
    let (header, mut body) = split(frame);
    change(&mut body);
    join(&header, &body)
}

fn field<'v>(body: &'v mut Value<'static>, key: &str) -> &'v mut Value<'static> {
    let Value::Map(entries) = body else {
        panic!("not a map")
    };
    &mut entries.iter_mut().find(|(k, _)| k == key).unwrap().1
}

fn set(body: &mut Value<'static>, key: &str, value: Value<'static>) {
    let Value::Map(entries) = body else {
        panic!("not a map")
    };
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => {
            entries.push((Cow::Owned(key.to_owned()), value));
            entries.sort_by(|a, b| atproof::cbor::canonical_key_order(&a.0, &b.0));
        }
    }
}

fn remove(map: &mut Value<'static>, key: &str) {
    let Value::Map(entries) = map else {
        panic!("not a map")
    };
    entries.retain(|(k, _)| k != key);
}

fn ops_mut<'v>(body: &'v mut Value<'static>) -> &'v mut Vec<Value<'static>> {
    let Value::Array(ops) = field(body, "ops") else {
        panic!("no ops")
    };
    ops
}

/// The body's `blocks` CAR rebuilt by `change` from its (cid, block) list in file order.
fn rebuild_blocks(body: &mut Value<'static>, change: impl FnOnce(&mut Vec<(Cid, Vec<u8>)>)) {
    let Value::Bytes(car) = field(body, "blocks") else {
        panic!("no blocks")
    };
    let roots = read_car(car).unwrap().roots().to_vec();
    let mut blocks: Vec<(Cid, Vec<u8>)> = support::car_blocks(car)
        .into_iter()
        .map(|(c, b)| (c, b.to_vec()))
        .collect();
    change(&mut blocks);
    let mut writer = CarWriter::new(&roots);
    for (cid, block) in &blocks {
        writer.write_block(cid, block);
    }
    set(
        body,
        "blocks",
        Value::Bytes(Cow::Owned(writer.into_bytes())),
    );
}

/// The first frame of the k256 stream with an op of `action`, and that op's index.
fn frame_with(frames: &[Vec<u8>], action: Action) -> (Vec<u8>, usize) {
    for frame in frames {
        if let Event::Commit(event) = decode_frame(frame).unwrap().event {
            if let Some(i) = event.ops.iter().position(|op| op.action == action) {
                return (frame.clone(), i);
            }
        }
    }
    panic!("no frame with that action")
}

fn op_field(body: &mut Value<'static>, index: usize, key: &str, value: Value<'static>) {
    set(&mut ops_mut(body)[index], key, value);
}

fn code_of(frame: &[u8], key: &PublicKey) -> Code {
    let decoded = match decode_frame(frame) {
        Ok(decoded) => decoded,
        Err(error) => return error.code(),
    };
    let Event::Commit(event) = decoded.event else {
        panic!("not a #commit")
    };
    verify_commit(&event, key, None)
        .map(|_| ())
        .unwrap_err()
        .code()
}

#[test]
fn tampered_frames_are_refused_with_their_codes() {
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let other_key = key_of_other_stream();
    let (update, update_op) = frame_with(&frames, Action::Update);
    let (delete, delete_op) = frame_with(&frames, Action::Delete);
    let (create, create_op) = frame_with(&frames, Action::Create);
    let some_cid = Cid::for_drisl(&[0xa0]);
    let created = match decode_frame(&create).unwrap().event {
        Event::Commit(event) => event.ops[create_op].cid.unwrap(),
        _ => unreachable!(),
    };
    let data_of = |frame: &[u8]| match decode_frame(frame).unwrap().event {
        Event::Commit(event) => read_car(event.blocks)
            .unwrap()
            .blocks()
            .iter()
            .find(|(cid, _)| *cid == event.commit)
            .map(|(_, block)| atproof::repo::Commit::decode(block).unwrap().data())
            .unwrap(),
        _ => unreachable!(),
    };
    let root = data_of(&create);
    // A path the delete frame's new tree still holds, in a node the frame carries.
    let still_present = match decode_frame(&delete).unwrap().event {
        Event::Commit(event) => {
            let car = read_car(event.blocks).unwrap();
            let data = data_of(&delete);
            let tree = Tree::load(car.blocks(), &data).unwrap();
            let root = atproof::mst::Node::decode(car.blocks().get(&data).unwrap()).unwrap();
            let key = root
                .entries()
                .map(|entry| String::from_utf8(entry.key.to_vec()).unwrap())
                .find(|key| {
                    tree.get(key.as_bytes()).unwrap().is_some()
                        && event.ops.iter().all(|op| op.path != key)
                })
                .unwrap();
            key
        }
        _ => unreachable!(),
    };
    let cases: Vec<(&str, Vec<u8>, Code)> = vec![
        ("signed by another key", create.clone(), Code::BadSignature),
        (
            "rev differs from the commit's",
            tamper(&create, &|b| {
                set(b, "rev", Value::String("3lfesk7epcc22".into()))
            }),
            Code::CommitMismatch,
        ),
        (
            "repo differs from the commit's did",
            tamper(&create, &|b| {
                set(
                    b,
                    "repo",
                    Value::String("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa".into()),
                )
            }),
            Code::CommitMismatch,
        ),
        (
            "commit differs from the CAR's root",
            tamper(&create, &|b| set(b, "commit", Value::Link(some_cid))),
            Code::CommitMismatch,
        ),
        (
            "an op whose cid differs from the tree",
            tamper(&create, &|b| {
                op_field(b, create_op, "cid", Value::Link(some_cid))
            }),
            Code::OpMismatch,
        ),
        (
            "an update whose prev differs",
            tamper(&update, &|b| {
                op_field(b, update_op, "prev", Value::Link(some_cid))
            }),
            // Restored as the op says, the old value gives another root.
            Code::InversionMismatch,
        ),
        (
            "a delete of a path still in the tree",
            tamper(&delete, &|b| {
                op_field(
                    b,
                    delete_op,
                    "path",
                    Value::String(still_present.clone().into()),
                )
            }),
            Code::OpMismatch,
        ),
        (
            "a missing record block",
            tamper(&create, &|b| {
                rebuild_blocks(b, |blocks| blocks.retain(|(c, _)| *c != created))
            }),
            Code::MissingBlock,
        ),
        (
            "a missing MST root",
            tamper(&create, &|b| {
                rebuild_blocks(b, |blocks| blocks.retain(|(c, _)| *c != root))
            }),
            Code::InversionIncomplete,
        ),
        (
            "prevData that does not match",
            tamper(&create, &|b| set(b, "prevData", Value::Link(some_cid))),
            Code::InversionMismatch,
        ),
        (
            "a duplicated op",
            tamper(&create, &|b| {
                let Value::Array(ops) = field(b, "ops") else {
                    panic!()
                };
                let first = ops[0].clone();
                ops.push(first);
            }),
            Code::InvalidEvent,
        ),
        (
            "tooBig set",
            tamper(&create, &|b| set(b, "tooBig", Value::Bool(true))),
            Code::CommitTooBig,
        ),
        (
            "blocks over 2,000,000 bytes",
            tamper(&create, &|b| {
                set(b, "blocks", Value::Bytes(vec![0; 2_000_001].into()))
            }),
            Code::LimitExceeded,
        ),
        (
            "a block whose bytes do not hash to its CID",
            tamper(&create, &|b| {
                rebuild_blocks(b, |blocks| {
                    let (_, block) = blocks.iter_mut().find(|(c, _)| *c == created).unwrap();
                    let last = block.len() - 1;
                    block[last] ^= 1;
                })
            }),
            Code::CidMismatch,
        ),
        (
            "an op of an unknown action",
            tamper(&create, &|b| {
                op_field(b, create_op, "action", Value::String("upsert".into()))
            }),
            Code::InvalidEvent,
        ),
        (
            "a create with a prev",
            tamper(&create, &|b| {
                op_field(b, create_op, "prev", Value::Link(some_cid))
            }),
            Code::InvalidEvent,
        ),
        ("garbage", vec![0xff, 0x00, 0x13], Code::InvalidCbor),
        (
            "two objects then a third",
            [create.clone(), vec![0xa0]].concat(),
            Code::CborTrailingBytes,
        ),
        (
            "a header without a body",
            split(&create).0,
            Code::InvalidFrame,
        ),
    ];
    for (what, frame, code) in cases {
        let used_key = if what == "signed by another key" {
            &other_key
        } else {
            &key
        };
        assert_eq!(code_of(&frame, used_key), code, "{what}");
    }
    assert!(verify_commit_ok(&create, &key));
}

fn verify_commit_ok(frame: &[u8], key: &PublicKey) -> bool {
    match decode_frame(frame).unwrap().event {
        Event::Commit(event) => verify_commit(&event, key, None).is_ok(),
        _ => false,
    }
}

fn key_of_other_stream() -> PublicKey {
    key(&stream("p256").1)
}

#[test]
fn a_frame_cut_anywhere_is_refused() {
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    for frame in frames.iter().take(3) {
        for cut in 0..frame.len() {
            let code = code_of(&frame[..cut], &key);
            assert!(
                matches!(
                    code,
                    Code::CborTruncated | Code::InvalidFrame | Code::CarTruncated
                ),
                "cut at {cut}: {code:?}"
            );
        }
    }
}

#[test]
fn a_commit_without_a_required_field_names_it() {
    let (frames, _) = stream("k256");
    for name in [
        "rev", "seq", "repo", "since", "commit", "tooBig", "blocks", "ops", "time",
    ] {
        let frame = tamper(&frames[0], &|body| remove(body, name));
        let err = decode_frame(&frame).unwrap_err();
        assert_eq!(err.code(), Code::InvalidEvent, "{name}");
        let expected = format!("the field `{name}` is missing");
        assert!(
            err.message().contains(&expected),
            "{name}: {}",
            err.message()
        );
    }
}

#[test]
fn other_event_types_unknown_ones_and_error_frames() {
    let message = |t: &str, body: &[(&str, Value<'static>)]| {
        let header = encode(&Value::Map(vec![
            ("t".into(), Value::String(t.to_owned().into())),
            ("op".into(), Value::Integer(1)),
        ]))
        .unwrap();
        let mut entries: Vec<(Cow<'static, str>, Value<'static>)> = body
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), v.clone()))
            .collect();
        entries.sort_by(|a, b| atproof::cbor::canonical_key_order(&a.0, &b.0));
        [header, encode(&Value::Map(entries)).unwrap()].concat()
    };
    let did = || Value::String("did:plc:4ivi4ncn2kzzhwss5tmlrnoq".into());
    let time = || Value::String("2025-01-10T08:46:10.205Z".into());
    let identity = message(
        "#identity",
        &[
            ("seq", Value::Integer(5)),
            ("did", did()),
            ("time", time()),
            ("handle", Value::String("handle.invalid".into())),
        ],
    );
    match decode_frame(&identity).unwrap().event {
        Event::Identity(e) => assert_eq!((e.seq, e.handle), (5, Some("handle.invalid"))),
        other => panic!("{other:?}"),
    }
    let account = message(
        "#account",
        &[
            ("seq", Value::Integer(6)),
            ("did", did()),
            ("time", time()),
            ("active", Value::Bool(false)),
            ("status", Value::String("takendown".into())),
        ],
    );
    match decode_frame(&account).unwrap().event {
        Event::Account(e) => assert_eq!((e.active, e.status), (false, Some("takendown"))),
        other => panic!("{other:?}"),
    }
    let info = message("#info", &[("name", Value::String("OutdatedCursor".into()))]);
    assert!(
        matches!(decode_frame(&info).unwrap().event, Event::Info(e) if e.name == "OutdatedCursor")
    );
    let unknown = message("#future", &[("anything", Value::Integer(1))]);
    assert_eq!(decode_frame(&unknown).unwrap().event, Event::Unknown);
    let unknown_op = [
        encode(&Value::Map(vec![("op".into(), Value::Integer(7))])).unwrap(),
        vec![0xa0],
    ]
    .concat();
    assert_eq!(decode_frame(&unknown_op).unwrap().event, Event::Unknown);
    let error = [
        encode(&Value::Map(vec![("op".into(), Value::Integer(-1))])).unwrap(),
        encode(&Value::Map(vec![(
            "error".into(),
            Value::String("FutureCursor".into()),
        )]))
        .unwrap(),
    ]
    .concat();
    assert!(matches!(
        decode_frame(&error).unwrap().event,
        Event::Error {
            error: "FutureCursor",
            message: None
        }
    ));

    let refused = [
        (
            "seq 0",
            message(
                "#identity",
                &[("seq", Value::Integer(0)), ("did", did()), ("time", time())],
            ),
            Code::InvalidEvent,
        ),
        (
            "seq 2^53",
            message(
                "#identity",
                &[
                    ("seq", Value::Integer(1 << 53)),
                    ("did", did()),
                    ("time", time()),
                ],
            ),
            Code::InvalidEvent,
        ),
        (
            "a bad DID",
            message(
                "#identity",
                &[
                    ("seq", Value::Integer(1)),
                    ("did", Value::String("did:x".into())),
                    ("time", time()),
                ],
            ),
            Code::InvalidEvent,
        ),
        (
            "a bad time",
            message(
                "#account",
                &[
                    ("seq", Value::Integer(1)),
                    ("did", did()),
                    ("time", Value::String("yesterday".into())),
                    ("active", Value::Bool(true)),
                ],
            ),
            Code::InvalidEvent,
        ),
        (
            "a missing field",
            message(
                "#account",
                &[("seq", Value::Integer(1)), ("did", did()), ("time", time())],
            ),
            Code::InvalidEvent,
        ),
        (
            "a body that is not a map",
            [
                encode(&Value::Map(vec![
                    ("t".into(), Value::String("#info".into())),
                    ("op".into(), Value::Integer(1)),
                ]))
                .unwrap(),
                vec![0x80],
            ]
            .concat(),
            Code::InvalidFrame,
        ),
        (
            "op 1 without t",
            [
                encode(&Value::Map(vec![("op".into(), Value::Integer(1))])).unwrap(),
                vec![0xa0],
            ]
            .concat(),
            Code::InvalidFrame,
        ),
        (
            "a header that is not a map",
            [vec![0x01], vec![0xa0]].concat(),
            Code::InvalidFrame,
        ),
        ("a frame over 5 MB", vec![0; 5_000_001], Code::LimitExceeded),
    ];
    for (what, frame, code) in refused {
        assert_eq!(
            decode_frame(&frame).map(|_| ()).unwrap_err().code(),
            code,
            "{what}"
        );
    }
}

#[test]
fn sync_events_are_checked_against_their_signed_commit() {
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let commit_event = match decode_frame(&frames[0]).unwrap().event {
        Event::Commit(event) => event,
        _ => unreachable!(),
    };
    let car = read_car(commit_event.blocks).unwrap();
    let commit_block = car.blocks().get(&commit_event.commit).unwrap();
    let mut writer = CarWriter::new(&[commit_event.commit]);
    writer.write_block(&commit_event.commit, commit_block);
    let sync_car = writer.into_bytes();
    let sync = |did: &str, rev: &str| {
        let header = encode(&Value::Map(vec![
            ("t".into(), Value::String("#sync".into())),
            ("op".into(), Value::Integer(1)),
        ]))
        .unwrap();
        let body = Value::Map(vec![
            ("did".into(), Value::String(did.to_owned().into())),
            ("rev".into(), Value::String(rev.to_owned().into())),
            ("seq".into(), Value::Integer(9)),
            (
                "time".into(),
                Value::String("2025-01-10T08:46:10.205Z".into()),
            ),
            ("blocks".into(), Value::Bytes(sync_car.clone().into())),
        ]);
        [header, encode(&body).unwrap()].concat()
    };
    let check = |frame: &[u8], key: &PublicKey| match decode_frame(frame).unwrap().event {
        Event::Sync(event) => verify_sync(&event, key).map(|v| (v.commit, v.data)),
        other => panic!("{other:?}"),
    };
    let did = meta["did"].as_str().unwrap();
    let good = sync(did, commit_event.rev_text);
    let data = cid(&meta["frames"][0]["data"]).unwrap();
    assert_eq!(check(&good, &key).unwrap(), (commit_event.commit, data));
    assert_eq!(
        check(&good, &key_of_other_stream()).unwrap_err().code(),
        Code::BadSignature
    );
    assert_eq!(
        check(&sync(did, "3lfesk7epcc22"), &key).unwrap_err().code(),
        Code::CommitMismatch
    );
    assert_eq!(
        check(
            &sync("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", commit_event.rev_text),
            &key
        )
        .unwrap_err()
        .code(),
        Code::CommitMismatch
    );
}

/// The status of each frame processed in order by one stream verifier at the stream's time.
fn statuses(
    verifier: &mut atproof::firehose::StreamVerifier,
    frames: &[&[u8]],
    key: &PublicKey,
) -> Vec<(&'static str, bool)> {
    // Just after the stream's last event: no rev is in the future.
    let now = 1_736_600_000_000_000;
    frames
        .iter()
        .map(|frame| {
            let out = verifier.process(frame, Some(key), now).unwrap();
            (out.status.as_str(), out.seq_regression)
        })
        .collect()
}

#[test]
fn a_stream_verifier_follows_each_account_and_reports_breaks_in_continuity() {
    use atproof::firehose::StreamVerifier;
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let f: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();

    // The whole stream: every frame valid, continuity checked from the second on.
    let mut verifier = StreamVerifier::new(1000, 300_000_000);
    for (i, frame) in f.iter().enumerate() {
        let out = verifier
            .process(frame, Some(&key), 1_736_600_000_000_000)
            .unwrap();
        assert_eq!(out.status.as_str(), "valid", "frame {i}: {:?}", out.error);
        assert_eq!(out.continuity, i > 0);
        assert_eq!(out.did, meta["did"].as_str());
    }
    assert_eq!(verifier.accounts(), 1);

    let valid = ("valid", false);
    // Dropped: the frame after the gap is verified but breaks continuity; then it goes on.
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let dropped = statuses(&mut v, &[f[0], f[1], f[3], f[4]], &key);
    assert_eq!(dropped, [valid, valid, ("desync", false), valid]);
    // Duplicated and replayed: stale, ignored, and the seq regression reported.
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let duplicated = statuses(&mut v, &[f[0], f[1], f[1], f[0], f[2]], &key);
    assert_eq!(
        duplicated,
        [valid, valid, ("ignored", true), ("ignored", true), valid]
    );
    // Reordered: the later one first breaks continuity, the earlier one is then stale.
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let reordered = statuses(&mut v, &[f[0], f[2], f[1], f[3]], &key);
    assert_eq!(
        reordered,
        [valid, ("desync", false), ("ignored", true), valid]
    );
    // A rev in the future, beyond the drift.
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let out = v.process(f[0], Some(&key), 1_600_000_000_000_000).unwrap();
    assert_eq!(
        (out.status.as_str(), out.error.map(|e| e.code())),
        ("invalid", Some(Code::RevInFuture))
    );
    // No key, then another key: invalid, and the state untouched, so the right key then works
    // (and the retried frame is no seq regression).
    let mut v = StreamVerifier::new(1000, 300_000_000);
    assert_eq!(
        v.process(f[0], None, 1_736_600_000_000_000)
            .unwrap()
            .status
            .as_str(),
        "invalid"
    );
    let other = key_of_other_stream();
    let out = v
        .process(f[0], Some(&other), 1_736_600_000_000_000)
        .unwrap();
    assert_eq!(out.error.map(|e| e.code()), Some(Code::BadSignature));
    assert_eq!(statuses(&mut v, &[f[0], f[1]], &key), [valid, valid]);
    assert_eq!(v.accounts(), 1);
}

#[test]
fn a_sync_after_a_gap_restores_continuity() {
    use atproof::firehose::StreamVerifier;
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let event = match decode_frame(&frames[9]).unwrap().event {
        Event::Commit(event) => event,
        _ => unreachable!(),
    };
    let car = read_car(event.blocks).unwrap();
    let mut writer = CarWriter::new(&[event.commit]);
    writer.write_block(&event.commit, car.blocks().get(&event.commit).unwrap());
    let header = encode(&Value::Map(vec![
        ("t".into(), Value::String("#sync".into())),
        ("op".into(), Value::Integer(1)),
    ]))
    .unwrap();
    let body = Value::Map(vec![
        ("did".into(), Value::String(event.repo.to_owned().into())),
        (
            "rev".into(),
            Value::String(event.rev_text.to_owned().into()),
        ),
        ("seq".into(), Value::Integer(event.seq)),
        ("time".into(), Value::String(event.time.to_owned().into())),
        ("blocks".into(), Value::Bytes(writer.into_bytes().into())),
    ]);
    let sync = [header, encode(&body).unwrap()].concat();
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let sequence = [&frames[0][..], &frames[1], &sync, &frames[10], &frames[11]];
    let got = statuses(&mut v, &sequence, &key);
    assert_eq!(
        got,
        [
            ("valid", false),
            ("valid", false),
            ("valid", false),
            ("valid", false),
            ("valid", false)
        ]
    );
}

#[test]
fn a_message_that_breaks_its_types_rules_is_invalid_and_the_stream_goes_on() {
    use atproof::firehose::{Status, StreamVerifier};
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let now = 1_736_600_000_000_000;
    let second = &frames[1];
    let seq = decode_frame(second).unwrap().event.seq();
    let text = |s: &str| Value::String(s.to_owned().into());
    let cases = [
        (
            "a time with a space",
            tamper(second, &|b| set(b, "time", text("2025-01-10 08:46:10Z"))),
            Code::InvalidEvent,
        ),
        (
            "no rev",
            tamper(second, &|b| remove(b, "rev")),
            Code::InvalidEvent,
        ),
        (
            "an action of its own",
            tamper(second, &|b| op_field(b, 0, "action", text("upsert"))),
            Code::InvalidEvent,
        ),
        (
            "a blob that is not a link",
            tamper(second, &|b| set(b, "blobs", Value::Array(vec![text("x")]))),
            Code::InvalidEvent,
        ),
        (
            "rebase not a boolean",
            tamper(second, &|b| set(b, "rebase", text("yes"))),
            Code::InvalidEvent,
        ),
        (
            "201 ops",
            tamper(second, &|b| {
                let ops = ops_mut(b);
                let op = ops[0].clone();
                ops.resize(201, op);
            }),
            Code::LimitExceeded,
        ),
    ];
    let mut v = StreamVerifier::new(1000, 300_000_000);
    assert_eq!(statuses(&mut v, &[&frames[0]], &key), [("valid", false)]);
    for (what, frame, code) in &cases {
        let out = v.process(frame, Some(&key), now).unwrap();
        assert_eq!(
            (out.status, out.kind, out.seq, out.did),
            (Status::Invalid, "#commit", seq, meta["did"].as_str()),
            "{what}"
        );
        assert_eq!(out.error.map(|e| e.code()), Some(*code), "{what}");
        assert!(!out.seq_regression && !out.continuity, "{what}");
    }
    // A `seq` that is not one: invalid, and no seq to report.
    let zero_seq = tamper(second, &|b| set(b, "seq", Value::Integer(0)));
    let out = v.process(&zero_seq, Some(&key), now).unwrap();
    assert_eq!((out.status, out.seq), (Status::Invalid, None));
    assert_eq!(out.did, meta["did"].as_str());
    // None of them changed the state: the frame as sent follows the first.
    assert_eq!(
        statuses(&mut v, &[second, &frames[2]], &key),
        [("valid", false), ("valid", false)]
    );
    // Broken framing or DRISL is an error, not an event.
    let header = split(second).0;
    let broken = [
        ("garbage", vec![0xff, 0x00, 0x13]),
        ("a third object", [second.clone(), vec![0xa0]].concat()),
        ("a header alone", header.clone()),
        ("a body that is not a map", [header, vec![0x80]].concat()),
        ("a cut frame", second[..second.len() - 1].to_vec()),
    ];
    for (what, frame) in broken {
        assert!(v.process(&frame, Some(&key), now).is_err(), "{what}");
    }
}

#[test]
fn a_commit_from_before_sync_1_1_is_checked_as_far_as_it_can_be() {
    use atproof::firehose::StreamVerifier;
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    // As before sync 1.1: no `prevData`, no `prev` on the ops.
    let legacy = |frame: &[u8]| {
        tamper(frame, &|b| {
            remove(b, "prevData");
            ops_mut(b).iter_mut().for_each(|op| remove(op, "prev"));
        })
    };
    for action in [Action::Update, Action::Delete] {
        let (frame, _) = frame_with(&frames, action);
        let Event::Commit(original) = decode_frame(&frame).unwrap().event else {
            unreachable!()
        };
        let old = legacy(&frame);
        let Event::Commit(event) = decode_frame(&old).unwrap().event else {
            unreachable!()
        };
        assert!(event.ops.iter().all(|op| op.prev.is_none()));
        let verified = verify_commit(&event, &key, None).unwrap();
        assert_eq!((verified.inverted, verified.prev_data), (false, None));
        // Given a root to invert to, the ops' `prev` are needed.
        let error = verify_commit(&event, &key, original.prev_data).unwrap_err();
        assert_eq!(error.code(), Code::InvalidEvent, "{action:?}");
    }
    // In a stream, continuity by `since` alone.
    let old: Vec<Vec<u8>> = frames[1..3].iter().map(|f| legacy(f)).collect();
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let got = statuses(&mut v, &[&frames[0], &old[0], &old[1], &frames[3]], &key);
    assert_eq!(got, [("valid", false); 4]);
    // A stream that requires what it can invert refuses them, and takes them again when told not to.
    let mut strict = StreamVerifier::new(1000, 300_000_000);
    strict.set_require_prev_data(true);
    let out = strict
        .process(&old[0], Some(&key), 1_736_600_000_000_000)
        .unwrap();
    assert_eq!(out.error.map(|e| e.code()), Some(Code::InversionIncomplete));
    assert_eq!(strict.accounts(), 0);
    strict.set_require_prev_data(false);
    assert_eq!(statuses(&mut strict, &[&old[0]], &key), [("valid", false)]);
    let mut v = StreamVerifier::new(1000, 300_000_000);
    let gap = statuses(&mut v, &[&frames[0], &old[1]], &key);
    assert_eq!(gap, [("valid", false), ("desync", false)]);
}

#[test]
fn a_stream_follows_an_account_from_a_verified_repository_and_forgets_it() {
    use atproof::firehose::{Status, StreamVerifier};
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let did = meta["did"].as_str().unwrap();
    let now = 1_736_600_000_000_000;
    // The repository before the stream, verified: the first frame follows it.
    let car = fixture("generated/repo-1000-s1-k256.car");
    let repo = verify_repo(&car, &VerifyOptions::default()).unwrap();
    let rev: atproof::syntax::Tid = repo.rev.parse().unwrap();

    let mut v = StreamVerifier::new(1000, 300_000_000);
    v.follow(did, rev, repo.data).unwrap();
    let first = v.process(&frames[0], Some(&key), now).unwrap();
    assert_eq!((first.status, first.continuity), (Status::Valid, true));

    // Following another root: the next commit does not follow it.
    let mut v = StreamVerifier::new(1000, 300_000_000);
    v.follow(did, rev, cid(&meta["frames"][5]["data"]).unwrap())
        .unwrap();
    let out = v.process(&frames[0], Some(&key), now).unwrap();
    assert_eq!(out.status, Status::Desync);
    // After a desync the state follows the commit that broke continuity (here frame 0 itself:
    // processed again, it is stale); following the repository fetched again puts it back.
    assert_eq!(
        v.process(&frames[0], Some(&key), now).unwrap().status,
        Status::Ignored
    );
    v.follow(did, rev, repo.data).unwrap();
    let again = v.process(&frames[0], Some(&key), now).unwrap();
    assert_eq!((again.status, again.continuity), (Status::Valid, true));
    v.forget(did);
    assert_eq!(v.accounts(), 0);
    let fresh = v.process(&frames[0], Some(&key), now).unwrap();
    assert_eq!((fresh.status, fresh.continuity), (Status::Valid, false));
}

/// `saved` with its checksum (the last 8 bytes: SHA-256 of the rest) made right again.
fn resealed(mut saved: Vec<u8>) -> Vec<u8> {
    let body_len = saved.len() - 8;
    let check = atproof::cid::sha256(&saved[..body_len]);
    saved[body_len..].copy_from_slice(&check[..8]);
    saved
}

#[test]
fn a_saved_stream_state_restores_continuity_in_another_verifier() {
    use atproof::firehose::StreamVerifier;
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let now = 1_736_600_000_000_000;
    let f: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();

    let mut first = StreamVerifier::new(1000, 300_000_000);
    assert!(statuses(&mut first, &f[..100], &key)
        .iter()
        .all(|s| *s == ("valid", false)));
    let saved = first.save().unwrap();
    assert_eq!(saved.len(), 8 + 4 + 8 + 4 + 44 + 8);
    let last_seq = decode_frame(f[99]).unwrap().event.seq();
    assert_eq!(first.last_seq(), last_seq);

    // Restored elsewhere: the next commit is checked against the saved one (continuity), an
    // old one is stale, a skipped one is a desync, a replayed seq a regression.
    let mut second = StreamVerifier::new(1000, 300_000_000);
    second.restore(&saved).unwrap();
    assert_eq!((second.accounts(), second.last_seq()), (1, last_seq));
    let out = second.process(f[100], Some(&key), now).unwrap();
    assert_eq!((out.status.as_str(), out.continuity), ("valid", true));
    let out = second.process(f[50], Some(&key), now).unwrap();
    assert_eq!((out.status.as_str(), out.seq_regression), ("ignored", true));
    let out = second.process(f[102], Some(&key), now).unwrap();
    assert_eq!(out.status.as_str(), "desync");
    // Without the state, the same commit would not be checked at all.
    let mut fresh = StreamVerifier::new(1000, 300_000_000);
    let out = fresh.process(f[100], Some(&key), now).unwrap();
    assert_eq!((out.status.as_str(), out.continuity), ("valid", false));

    // An empty verifier's state round-trips too, and restoring it forgets everything.
    let empty = StreamVerifier::new(10, 0).save().unwrap();
    second.restore(&empty).unwrap();
    assert_eq!((second.accounts(), second.last_seq()), (0, None));
}

#[test]
fn bytes_that_are_not_a_saved_state_are_refused_and_change_nothing() {
    use atproof::firehose::StreamVerifier;
    let (frames, meta) = stream("k256");
    let key = key(&meta);
    let f: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let mut source = StreamVerifier::new(1000, 300_000_000);
    statuses(&mut source, &f[..10], &key);
    let saved = source.save().unwrap();

    let mut verifier = StreamVerifier::new(1000, 300_000_000);
    statuses(&mut verifier, &f[..3], &key);
    let refused =
        |verifier: &mut StreamVerifier, bytes: &[u8]| verifier.restore(bytes).unwrap_err().code();
    // Cut anywhere, or any bit flipped: refused.
    for len in 0..saved.len() {
        assert_eq!(
            refused(&mut verifier, &saved[..len]),
            Code::InvalidSavedState,
            "cut at {len}"
        );
    }
    for at in 0..saved.len() {
        let mut flipped = saved.clone();
        flipped[at] ^= 0x10;
        assert_eq!(
            refused(&mut verifier, &flipped),
            Code::InvalidSavedState,
            "flipped at {at}"
        );
    }
    // Consistent checksums around inconsistent contents: refused for what they say.
    let header = 8 + 4 + 8 + 4;
    let with = |change: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = saved.clone();
        change(&mut bytes);
        resealed(bytes)
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("another version", with(&|b| b[7] = 2)),
        ("a count too high", with(&|b| b[20] = 2)),
        ("a count too low", with(&|b| b[20] = 0)),
        (
            "a rev that is no TID",
            with(&|b| b[header + 16 + 7] |= 0x80),
        ),
        (
            "seen after the save",
            with(&|b| b[header + 40..header + 44].copy_from_slice(&u32::MAX.to_le_bytes())),
        ),
        (
            "a negative seq",
            with(&|b| b[12..20].copy_from_slice(&(-1i64).to_le_bytes())),
        ),
        (
            "a seq of 2^53",
            with(&|b| b[12..20].copy_from_slice(&(1i64 << 53).to_le_bytes())),
        ),
        (
            "an account twice",
            with(&|b| {
                let entry = b[header..header + 44].to_vec();
                b.splice(header..header, entry);
                b[20] = 2;
            }),
        ),
    ];
    for (what, bytes) in &cases {
        assert_eq!(
            refused(&mut verifier, bytes),
            Code::InvalidSavedState,
            "{what}"
        );
    }
    // The verifier is as it was: its own continuity goes on.
    assert_eq!(verifier.last_seq(), decode_frame(f[2]).unwrap().event.seq());
    assert_eq!(
        statuses(&mut verifier, &f[3..5], &key),
        [("valid", false), ("valid", false)]
    );
    let out = verifier
        .process(f[5], Some(&key), 1_736_600_000_000_000)
        .unwrap();
    assert!(out.continuity);
}
