//! atproof from Rust, without JavaScript: a repository CAR verified with its signing key, one of
//! its records proved, and a `#commit` frame of its stream verified with sync 1.1 inversion.
//!
//! ```sh
//! cargo run --release --example verify -- tests/fixtures/generated/repo-1000-s1-k256.car \
//!     did:key:zQ3shib1VEhDds71EkT4n95qYQ9Ma34V6QPkEWqoWj3D8o2uv \
//!     tests/fixtures/generated/repo-1000-s1-k256.frames.bin
//! ```
//!
//! (The frames file is `[u32 big-endian length][frame]` repeated; the first frame follows the CAR.)

use atproof::crypto::PublicKey;
use atproof::firehose::{decode_frame, verify_commit, Event};
use atproof::repo::{record_proof_car, verify_record, verify_repo, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [car_path, did_key, frames_path] = args.as_slice() else {
        return Err("usage: verify <repo.car> <did:key> <frames.bin>".into());
    };
    let key = PublicKey::from_did_key(did_key)?;

    // The whole repository: every block's hash, the signed commit, the MST, every record.
    let car = std::fs::read(car_path)?;
    let options = VerifyOptions {
        key: Some(key),
        ..VerifyOptions::default()
    };
    let repo = verify_repo(&car, &options)?;
    println!(
        "{}: {} records at rev {}, commit {}, signature verified: {}",
        repo.did,
        repo.records.len(),
        repo.rev,
        repo.commit,
        repo.signature_verified
    );

    // One record, as com.atproto.sync.getRecord would serve it, checked on its own.
    let first = repo.records.get(0).ok_or("the repository has no record")?;
    let proof = record_proof_car(&car, first.collection(), first.rkey())?;
    let proven = verify_record(&proof, &repo.did, &key, first.collection(), first.rkey())?;
    let record = proven.record.ok_or("the proof shows the record absent")?;
    println!(
        "{}: proven by a {}-byte proof, CID {}",
        first.path,
        proof.len(),
        record.cid
    );

    // The first #commit of the stream: signature, ops against the tree, inversion to prevData.
    let frames = std::fs::read(frames_path)?;
    let length = frames
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or("the frames file is too short")? as usize;
    let frame = frames.get(4..4 + length).ok_or("the first frame is cut")?;
    let decoded = decode_frame(frame)?;
    let Event::Commit(event) = &decoded.event else {
        return Err("the first frame is not a #commit".into());
    };
    let verified = verify_commit(event, &key, Some(repo.data))?;
    println!(
        "#commit seq {} rev {}: {} ops, inverted back to the repository's root: {}",
        event.seq,
        verified.rev,
        verified.ops.len(),
        verified.inverted
    );
    Ok(())
}
