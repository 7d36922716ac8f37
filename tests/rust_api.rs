//! What a Rust service gets from the crate beyond the checks: state it can move between threads,
//! and keys, TIDs, statuses and records usable as map keys, strings and loops.

mod support;

use std::collections::{HashMap, HashSet};

use atproof::cid::Cid;
use atproof::crypto::{KeyCache, PublicKey};
use atproof::firehose::{Status, StreamVerifier};
use atproof::mst::Tree;
use atproof::repo::{
    verify_repo, verify_repo_with, RepoRecords, RepoStreamVerifier, VerifyOptions,
};
use atproof::syntax::Tid;
use atproof::writer::{PreparedCommit, Repository};
use support::fixture;

const DID: &str = "did:plc:4ivi4ncn2kzzhwss5tmlrnoq";
const KEY: &str = "did:key:zQ3shib1VEhDds71EkT4n95qYQ9Ma34V6QPkEWqoWj3D8o2uv";

fn send_and_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn the_state_a_service_keeps_moves_between_threads() {
    send_and_sync::<Repository>();
    send_and_sync::<PreparedCommit>();
    send_and_sync::<Tree>();
    send_and_sync::<StreamVerifier>();
    send_and_sync::<KeyCache>();
    send_and_sync::<RepoRecords>();
    send::<RepoStreamVerifier>();

    // A repository loaded on one thread and read on another, as a task of an async runtime is.
    let car = fixture("generated/repo-1000-s1-k256.car").into_boxed_slice();
    let key = KEY.parse::<PublicKey>().unwrap();
    let mut repo = Repository::load(car, key, Some(DID.to_owned())).unwrap();
    let records = std::thread::spawn(move || repo.list(None).unwrap().len())
        .join()
        .unwrap();
    assert_eq!(records, 1000);
}

#[test]
fn a_repository_verified_with_an_index_of_its_blocks_reads_its_records_without_hashing_again() {
    let car = fixture("generated/repo-1000-s1-k256.car");
    let mut index = HashMap::new();
    let repo = verify_repo_with(&car, &VerifyOptions::default(), &mut |cid, range| {
        index.insert(cid, range);
        Ok(())
    })
    .unwrap();
    assert_eq!(index.len(), 1270);
    for entry in &repo.records {
        let record = &car[index[&entry.cid].clone()];
        assert_eq!(Cid::for_drisl(record), entry.cid);
    }
    // The hook's error ends the verification with it.
    let error = verify_repo_with(&car, &VerifyOptions::default(), &mut |_, _| {
        Err(atproof::Error::new(atproof::Code::LimitExceeded, "enough"))
    })
    .unwrap_err();
    assert_eq!(error.code(), atproof::Code::LimitExceeded);
}

#[test]
fn keys_tids_statuses_and_records_as_map_keys_strings_and_loops() {
    let key: PublicKey = KEY.parse().unwrap();
    assert_eq!(key.to_string(), KEY);
    assert_eq!(key.multikey().parse::<PublicKey>().unwrap(), key);
    assert!("did:key:zNope".parse::<PublicKey>().is_err());
    let keys: HashSet<PublicKey> = [key, key].into_iter().collect();
    assert_eq!(keys.len(), 1);

    let tid: Tid = "3lfesjgnzk226".parse().unwrap();
    assert_eq!(tid.to_string(), "3lfesjgnzk226");
    assert!("3lfesjgnzk22".parse::<Tid>().is_err());

    let mut statuses = HashMap::new();
    *statuses.entry(Status::Valid).or_insert(0) += 1;
    assert_eq!(statuses[&Status::Valid], 1);

    let car = fixture("generated/repo-1000-s1-k256.car");
    let repo = verify_repo(&car, &VerifyOptions::default()).unwrap();
    let mut count = 0;
    for entry in &repo.records {
        assert_eq!(entry.cid, repo.records.iter().nth(count).unwrap().cid);
        count += 1;
    }
    assert_eq!((count, repo.records.iter().len()), (1000, 1000));
}
