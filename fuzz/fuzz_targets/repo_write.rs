//! Fuzzes writing: the input is read as commits of writes (creates, updates, deletes over a small
//! key space, with well-formed records or the input's own bytes as records) and as a frame for a
//! replica. No input may panic. A refused write leaves the commit unchanged; an accepted one gives
//! the root of the same records built from scratch, and its frame verifies and inverts to the
//! previous root. A replica given the input as a frame is unchanged unless the frame applies.
//!
//! Run from the repository root: `cargo +nightly fuzz run repo_write -- -max_total_time=1800`.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use atproof::cbor::{encode, Value};
use atproof::cid::Cid;
use atproof::crypto::{Algorithm, Keypair};
use atproof::firehose::{decode_frame, verify_commit, Action, Event};
use atproof::mst::Tree;
use atproof::syntax::Tid;
use atproof::writer::{CommitOptions, Repository, Write};
use libfuzzer_sys::fuzz_target;

fn keypair() -> &'static Keypair {
    static KEYPAIR: OnceLock<Keypair> = OnceLock::new();
    KEYPAIR.get_or_init(|| Keypair::import(Algorithm::Es256k, &[11; 32]).expect("a valid key"))
}

fn record(text: u8) -> Vec<u8> {
    encode(&Value::Map(vec![
        ("$type".into(), Value::String("app.bsky.feed.post".into())),
        ("n".into(), Value::Integer(i64::from(text))),
    ]))
    .expect("encodes")
}

fn rev(n: u64) -> Tid {
    Tid::from_time(1_700_000_000_000_000 + n, 1).expect("a valid TID")
}

fuzz_target!(|data: &[u8]| {
    let keypair = keypair();
    let key = keypair.public_key();
    let Ok(unsigned) = Repository::create("did:plc:fuzzfuzzfuzzfuzzfuzzfuzz", key, rev(0)) else {
        return;
    };
    let mut repo = unsigned.finish_with_keypair(keypair).expect("signs");
    let mut model: BTreeMap<String, Cid> = BTreeMap::new();
    let mut n = 0;
    for (chunk_index, chunk) in data.chunks(24).take(8).enumerate() {
        let mut writes = Vec::new();
        for op in chunk.chunks(3) {
            let [action, key_byte, content] =
                [op.first(), op.get(1), op.get(2)].map(|b| b.copied().unwrap_or(0));
            let action = match action % 3 {
                0 => Action::Create,
                1 => Action::Update,
                _ => Action::Delete,
            };
            let record = match (action, content) {
                (Action::Delete, _) => None,
                // The input's own bytes as a record: mostly refused, never a panic.
                (_, 255) => Some(chunk.to_vec()),
                (_, c) => Some(record(c)),
            };
            writes.push(Write {
                action,
                collection: "app.bsky.feed.post".into(),
                rkey: format!("k{}", key_byte % 24),
                record,
            });
        }
        n += 1;
        let options = CommitOptions {
            rev: rev(n),
            seq: None,
            time: "2026-01-01T00:00:00Z".into(),
        };
        let before = repo.commit().clone();
        let prev_data = repo.data();
        let Ok(prepared) = repo.prepare(&writes, &options) else {
            assert_eq!(repo.commit(), &before);
            continue;
        };
        let written = repo
            .finish_with_keypair(prepared, keypair)
            .expect("our own key signs");
        for write in &writes {
            let path = format!("{}/{}", write.collection, write.rkey);
            match &write.record {
                Some(block) => model.insert(path, Cid::for_drisl(block)),
                None => model.remove(&path),
            };
        }
        let scratch = Tree::build(model.iter().map(|(k, v)| (k.as_bytes(), *v))).expect("builds");
        assert_eq!(repo.data(), scratch.root_cid(), "commit {chunk_index}");
        let frame = decode_frame(&written.frame).expect("our frame decodes");
        let Event::Commit(event) = &frame.event else {
            panic!("not a #commit");
        };
        let verified = verify_commit(event, &key, Some(prev_data)).expect("our frame verifies");
        assert!(verified.inverted);
    }
    // The input as a frame for a replica of what was written.
    let car = repo.export_car().expect("exports");
    let mut replica = Repository::load(car.into(), key, None).expect("loads its own export");
    let before = replica.commit().clone();
    // Whatever the input's rev: the clock's limit is not what this target looks for.
    if replica.apply_commit(data, &key, u64::MAX).is_err() {
        assert_eq!(replica.commit(), &before);
    }
});
