//! Fuzzes event-stream frames: no input may panic `decode_frame`, `read_envelope` or
//! `verify_commit` / `verify_sync` (with the reference stream's key, so that mutated frames reach
//! the signature, tree and inversion checks); a frame that decodes has the envelope it says
//! (header, `seq`, account) and re-encodes its body to the same bytes (both objects are canonical
//! DRISL), and a verified commit's ops are the frame's.
//!
//! Run from the repository root: `cargo +nightly fuzz run firehose -- -max_total_time=1800`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes the reference stream's frames into
//! `fuzz/corpus/firehose/`.
#![no_main]

use std::sync::OnceLock;

use atproof::cbor::{decode, encode};
use atproof::crypto::PublicKey;
use atproof::firehose::{decode_frame, read_envelope, verify_commit, verify_sync, Event};
use libfuzzer_sys::fuzz_target;

/// The signing key of tests/fixtures/generated/repo-1000-s1-k256 (its frames are the seeds).
fn stream_key() -> PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    *KEY.get_or_init(|| {
        PublicKey::from_did_key("did:key:zQ3shib1VEhDds71EkT4n95qYQ9Ma34V6QPkEWqoWj3D8o2uv")
            .expect("the stream's did:key")
    })
}

fuzz_target!(|data: &[u8]| {
    let envelope = read_envelope(data);
    let Ok(frame) = decode_frame(data) else {
        return;
    };
    // What a stream reports of a message that breaks its lexicon is what a valid one says.
    let envelope = envelope.expect("a frame that decodes has a readable envelope");
    assert_eq!((envelope.op, envelope.t), (frame.op, frame.t));
    if let Event::Commit(_) | Event::Sync(_) | Event::Identity(_) | Event::Account(_) = frame.event
    {
        assert_eq!(
            (envelope.seq, envelope.did),
            (frame.event.seq(), frame.event.did())
        );
    }
    let body = decode(frame.body).expect("a decoded frame's body is DRISL");
    assert_eq!(encode(&body).expect("re-encodes"), frame.body);
    match &frame.event {
        Event::Commit(event) => {
            if let Ok(verified) = verify_commit(event, &stream_key(), None) {
                assert_eq!(verified.ops, event.ops);
                assert_eq!(verified.records.len(), event.ops.len());
                assert_eq!(verified.inverted, event.prev_data.is_some());
            }
        }
        Event::Sync(event) => {
            let _ = verify_sync(event, &stream_key());
        }
        _ => {}
    }
});
