//! The public atproto interop vectors for the MST (`tests/fixtures/interop/`, CC0): key depths,
//! common prefixes, the example keys, and the commit-proof fixtures (trees built from key lists,
//! changed by adds and deletes, with the expected root CIDs and proof blocks).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeSet;

use atproof::cid::Cid;
use atproof::mst::{common_prefix_len, diff, key_depth, Tree};
use serde_json::Value;

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/interop/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

#[test]
fn key_heights() {
    let cases = json("mst/key_heights.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for case in cases {
        let key = case["key"].as_str().unwrap();
        assert_eq!(
            u64::from(key_depth(key.as_bytes())),
            case["height"].as_u64().unwrap(),
            "{key:?}"
        );
    }
}

#[test]
fn common_prefixes() {
    let cases = json("mst/common_prefix.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 13);
    for case in cases {
        let (left, right) = (
            case["left"].as_str().unwrap(),
            case["right"].as_str().unwrap(),
        );
        assert_eq!(
            common_prefix_len(left.as_bytes(), right.as_bytes()) as u64,
            case["len"].as_u64().unwrap(),
            "{left:?} {right:?}"
        );
    }
}

#[test]
fn example_keys_sit_on_the_layer_their_name_says() {
    let text = fixture("mst/example_keys.txt");
    let keys: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(keys.len(), 156);
    for key in &keys {
        // "A2/827942": the digit after the letter is the key's depth.
        let depth = key[1..2].parse::<u8>().unwrap();
        assert_eq!(key_depth(key.as_bytes()), depth, "{key}");
    }
    // All of them in one tree, inserted forwards and backwards, give one root.
    let value = Cid::for_drisl(&[0xa0]);
    let built = Tree::build(keys.iter().map(|k| (*k, value))).unwrap();
    let mut forwards = Tree::new();
    for key in &keys {
        forwards.insert(key.as_bytes(), value).unwrap();
    }
    let mut backwards = Tree::new();
    for key in keys.iter().rev() {
        backwards.insert(key.as_bytes(), value).unwrap();
    }
    assert_eq!(forwards.root_cid(), built.root_cid());
    assert_eq!(backwards.root_cid(), built.root_cid());
    let listed: Vec<Vec<u8>> = built.iter().map(|e| e.unwrap().0.to_vec()).collect();
    let mut sorted: Vec<Vec<u8>> = keys.iter().map(|k| k.as_bytes().to_vec()).collect();
    sorted.sort();
    assert_eq!(listed, sorted);
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn commit_proof_fixtures() {
    let cases = json("firehose/commit-proof-fixtures.json");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let comment = case["comment"].as_str().unwrap();
        let value = Cid::parse(case["leafValue"].as_str().unwrap()).unwrap();
        let keys = strings(&case["keys"]);
        let before = Tree::build(keys.iter().map(|k| (*k, value))).unwrap();
        assert_eq!(
            before.root_cid().to_string(),
            case["rootBeforeCommit"].as_str().unwrap(),
            "{comment}: root before"
        );
        let mut after = before.clone();
        for key in strings(&case["adds"]) {
            assert_eq!(
                after.insert(key.as_bytes(), value).unwrap(),
                None,
                "{comment}"
            );
        }
        for key in strings(&case["dels"]) {
            assert_eq!(
                after.delete(key.as_bytes()).unwrap(),
                Some(value),
                "{comment}"
            );
        }
        assert_eq!(
            after.root_cid().to_string(),
            case["rootAfterCommit"].as_str().unwrap(),
            "{comment}: root after"
        );
        // The same key set built from scratch gives the same tree.
        let keys_after: Vec<Vec<u8>> = after.iter().map(|e| e.unwrap().0.to_vec()).collect();
        let rebuilt = Tree::build(keys_after.iter().map(|k| (k, value))).unwrap();
        assert_eq!(rebuilt.root_cid(), after.root_cid(), "{comment}: rebuilt");

        // Every new node and every node proving an added or deleted key is among the proof
        // blocks (which also hold the nodes inversion needs, the firehose's business).
        let expected: BTreeSet<&str> = strings(&case["blocksInProof"]).into_iter().collect();
        let changes = diff(&before, &after).unwrap();
        let mut ours = BTreeSet::new();
        for (cid, _) in &changes.created_nodes {
            ours.insert(cid.to_string());
        }
        for key in strings(&case["adds"])
            .into_iter()
            .chain(strings(&case["dels"]))
        {
            for (cid, _) in after.key_proof(key.as_bytes()).unwrap().nodes {
                ours.insert(cid.to_string());
            }
        }
        for cid in &ours {
            assert!(
                expected.contains(cid.as_str()),
                "{comment}: {cid} not in blocksInProof"
            );
        }
        // Applying the diff's operations to the old tree gives the new one.
        support::assert_diff_replays(&before, &after, &changes, comment);
    }
}
