//! Fuzzes MST node decoding: no input may panic it, anything accepted must re-encode to the same
//! bytes (the canonical form is unique), and a tree made of that one node must load and walk.
//!
//! Run from the repository root: `cargo +nightly fuzz run mst_node -- -max_total_time=300`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes the MST node blocks of
//! `tests/fixtures/mst-test-suite/cars/exhaustive/`.
#![no_main]

use std::collections::BTreeMap;

use atproof::cid::Cid;
use atproof::mst::{walk_entries, Node, Tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(node) = Node::decode(data) else {
        return;
    };
    assert_eq!(node.encode(), data, "accepted node is not canonical");
    let mut blocks = BTreeMap::new();
    let cid = Cid::for_drisl(data);
    blocks.insert(cid, data.to_vec());
    // Subtrees are absent: loading gives a partial tree, walking fails on the first one.
    if let Ok(tree) = Tree::load(&blocks, &cid) {
        assert_eq!(tree.root_cid(), cid);
        for entry in node.entries() {
            let _ = tree.get(entry.key);
        }
    }
    let _ = walk_entries(&blocks, &cid, |_, _| Ok(()));
});
