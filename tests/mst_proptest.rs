//! Property tests: the tree of a key set does not depend on how it was made; insert then delete
//! restores the root; a diff replayed gives the other tree; loading a tree's own blocks gives it
//! back; and no input bytes, random or mutated, make the readers panic or accept a corrupted
//! repository.
#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use atproof::car::{read_car, CarStreamReader};
use atproof::cid::Cid;
use atproof::mst::{diff, walk_entries, Node, Tree};
use atproof::repo::{verify_repo, Commit, RepoStreamVerifier, VerifyOptions};
use proptest::prelude::*;

/// Keys like real repository paths: a few collections, short record keys.
fn key() -> impl Strategy<Value = Vec<u8>> {
    (0..4u8, "[a-z0-9]{1,6}")
        .prop_map(|(collection, rkey)| format!("com.example.c{collection}/{rkey}").into_bytes())
}

fn value(n: u32) -> Cid {
    Cid::for_drisl(&n.to_be_bytes())
}

fn key_set(max: usize) -> impl Strategy<Value = BTreeMap<Vec<u8>, Cid>> {
    proptest::collection::btree_set(key(), 0..max).prop_map(|keys| {
        keys.into_iter()
            .enumerate()
            .map(|(i, k)| (k, value(i as u32)))
            .collect()
    })
}

fn blocks_of(tree: &Tree) -> HashMap<Cid, Vec<u8>> {
    let mut blocks = HashMap::new();
    tree.visit_nodes_preorder(|cid, block, _| {
        blocks.insert(*cid, block.to_vec());
        Ok(())
    })
    .unwrap();
    blocks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_insertion_order_gives_one_tree(entries in key_set(80), seed in any::<u64>()) {
        let built = Tree::build(entries.iter().map(|(k, v)| (k, *v))).unwrap();
        let mut shuffled: Vec<_> = entries.iter().collect();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut inserted = Tree::new();
        for (k, v) in &shuffled {
            prop_assert_eq!(inserted.insert(k, **v).unwrap(), None);
        }
        prop_assert_eq!(inserted.root_cid(), built.root_cid());
        let listed: Vec<(Vec<u8>, Cid)> = inserted.iter().map(|e| { let (k, v) = e.unwrap(); (k.to_vec(), v) }).collect();
        let expected: Vec<(Vec<u8>, Cid)> = entries.iter().map(|(k, v)| (k.clone(), *v)).collect();
        prop_assert_eq!(listed, expected);
        for (k, v) in &entries {
            prop_assert_eq!(inserted.get(k).unwrap(), Some(*v));
        }
        // Deleting everything, in the shuffled order, leaves the empty tree.
        for (k, v) in &shuffled {
            prop_assert_eq!(inserted.delete(k).unwrap(), Some(**v));
        }
        prop_assert!(inserted.is_empty());
        prop_assert_eq!(inserted.root_cid(), Tree::new().root_cid());
    }

    #[test]
    fn insert_then_delete_restores_the_root(entries in key_set(60), extra in proptest::collection::btree_set(key(), 1..10)) {
        let tree = Tree::build(entries.iter().map(|(k, v)| (k, *v))).unwrap();
        let mut changed = tree.clone();
        let new: Vec<_> = extra.iter().filter(|k| !entries.contains_key(*k)).collect();
        for (i, k) in new.iter().enumerate() {
            changed.insert(k, value(1_000_000 + i as u32)).unwrap();
        }
        for k in new.iter().rev() {
            prop_assert!(changed.delete(k).unwrap().is_some());
        }
        prop_assert_eq!(changed.root_cid(), tree.root_cid());
        // Deleting an absent key changes nothing.
        prop_assert_eq!(changed.delete(b"com.example.zz/none").unwrap(), None);
        prop_assert_eq!(changed.root_cid(), tree.root_cid());
    }

    #[test]
    fn a_replayed_diff_gives_the_other_tree(a in key_set(60), b in key_set(60)) {
        let before = Tree::build(a.iter().map(|(k, v)| (k, *v))).unwrap();
        let after = Tree::build(b.iter().map(|(k, v)| (k, *v))).unwrap();
        let changes = diff(&before, &after).unwrap();
        let mut replayed = before.clone();
        replayed.apply(changes.record_ops.iter().map(|op| (op.key.as_slice(), op.after))).unwrap();
        prop_assert_eq!(replayed.root_cid(), after.root_cid());
        // The operations are exactly the differences of the two maps, in key order.
        let keys: BTreeSet<&Vec<u8>> = a.keys().chain(b.keys()).collect();
        let expected: Vec<(Vec<u8>, Option<Cid>, Option<Cid>)> = keys
            .into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(|k| (k.clone(), a.get(k).copied(), b.get(k).copied()))
            .collect();
        let ops: Vec<_> = changes.record_ops.iter().map(|op| (op.key.clone(), op.before, op.after)).collect();
        prop_assert_eq!(ops, expected);
        // Created nodes are exactly the nodes of `after` that `before` lacks.
        let old = blocks_of(&before);
        let new = blocks_of(&after);
        let created: BTreeSet<Cid> = changes.created_nodes.iter().map(|(c, _)| *c).collect();
        let expected_created: BTreeSet<Cid> = new.keys().filter(|c| !old.contains_key(*c)).copied().collect();
        prop_assert_eq!(created, expected_created);
        let deleted: BTreeSet<Cid> = changes.deleted_nodes.iter().copied().collect();
        let expected_deleted: BTreeSet<Cid> = old.keys().filter(|c| !new.contains_key(*c)).copied().collect();
        prop_assert_eq!(deleted, expected_deleted);
    }

    #[test]
    fn loading_a_trees_blocks_gives_it_back(entries in key_set(80)) {
        let tree = Tree::build(entries.iter().map(|(k, v)| (k, *v))).unwrap();
        let blocks = blocks_of(&tree);
        let root = tree.root_cid();
        let loaded = Tree::load(&blocks, &root).unwrap();
        prop_assert_eq!(loaded.root_cid(), root);
        let mut walked = Vec::new();
        walk_entries(&blocks, &root, |k, v| { walked.push((k.to_vec(), *v)); Ok(()) }).unwrap();
        let expected: Vec<(Vec<u8>, Cid)> = entries.iter().map(|(k, v)| (k.clone(), *v)).collect();
        prop_assert_eq!(walked, expected);
        // Every node re-encodes to its own bytes.
        for (cid, block) in &blocks {
            prop_assert_eq!(Node::decode(block).unwrap().encode(), block.clone(), "{}", cid);
        }
        // With any one node missing, the partial tree still loads and its root is the same.
        if let Some(missing) = blocks.keys().find(|c| **c != root) {
            let mut partial = blocks.clone();
            partial.remove(missing);
            prop_assert_eq!(Tree::load(&partial, &root).unwrap().root_cid(), root);
            prop_assert!(walk_entries(&partial, &root, |_, _| Ok(())).is_err());
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_car(&bytes);
        let _ = Node::decode(&bytes);
        let _ = Commit::decode(&bytes);
        let _ = verify_repo(&bytes, &VerifyOptions::default());
        let mut reader = CarStreamReader::new();
        let _ = reader.feed(&bytes, |_| Ok(()));
        let _ = reader.finish();
    }
}

fn reference_car() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/generated/repo-1000-s1-k256.car"
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any single changed byte of a repository CAR makes both verifiers fail (every byte is in
    /// the header, a length, a CID or a hashed block).
    #[test]
    fn any_changed_byte_is_caught(position in any::<prop::sample::Index>(), flip in 1..=255u8) {
        let mut car = reference_car();
        let i = position.index(car.len());
        car[i] ^= flip;
        prop_assert!(verify_repo(&car, &VerifyOptions::default()).is_err(), "byte {}", i);
        let mut streaming = RepoStreamVerifier::new(VerifyOptions::default());
        let result = streaming.feed(&car).and_then(|_| streaming.finish());
        prop_assert!(result.is_err(), "byte {} (streaming)", i);
    }
}
