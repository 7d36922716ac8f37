//! Trees whose nodes are loaded from a block store as operations need them.
//!
//! A repository loaded from a CAR starts as its root CID: decoding every node up front would cost
//! about as much as verifying the repository again, and a write touches a handful of nodes. Before
//! an operation on a key, [`Tree::load_around`] decodes the nodes around it that are still known
//! only by CID; a full export or listing loads everything once ([`Tree::load_all`]).
//!
//! Loading replaces a stub with its node without changing any CID, so the nodes above it are
//! copied with their cached CIDs; a loaded node is never hashed again.

use crate::support::shared::Shared;

use super::node::Node;
use super::tree::{Link, TreeEntry, TreeNode};
use super::{missing_node, Tree};
use crate::car::BlockSource;
use crate::cid::Cid;
use crate::error::Result;

/// Which subtrees to load below each node.
#[derive(Clone, Copy)]
enum Scope<'k> {
    /// Those an operation on this key reads ([`TreeNode::positions_around`]).
    Around(&'k [u8]),
    /// All of them.
    All,
}

impl Tree {
    /// Loads from `blocks` every node around `key` that is known only by CID, so that searching,
    /// inserting or deleting `key` and its [covering proof](Tree::covering_proof) need no more.
    ///
    /// The blocks must be those of a verified tree: they are decoded, not checked against the
    /// rules between nodes again. A node absent from `blocks` fails with `missing-block`, and the
    /// tree is then unchanged.
    pub fn load_around<B: BlockSource + ?Sized>(&mut self, key: &[u8], blocks: &B) -> Result<()> {
        self.load_scope(blocks, Scope::Around(key))
    }

    /// Loads every node still known only by CID from `blocks` (see [`Tree::load_around`]).
    pub fn load_all<B: BlockSource + ?Sized>(&mut self, blocks: &B) -> Result<()> {
        self.load_scope(blocks, Scope::All)
    }

    fn load_scope<B: BlockSource + ?Sized>(&mut self, blocks: &B, scope: Scope<'_>) -> Result<()> {
        let Some(root) = self.root_link() else {
            return Ok(());
        };
        if let Some(loaded) = load_link(root, None, blocks, scope)? {
            self.set_root_link(Some(loaded));
        }
        Ok(())
    }
}

/// Loads what `scope` asks for under `link` (whose layer its parent gives, `None` for the root):
/// the new link when anything was loaded, `None` when all of it was loaded already.
fn load_link<B: BlockSource + ?Sized>(
    link: &Link,
    layer: Option<u8>,
    blocks: &B,
    scope: Scope<'_>,
) -> Result<Option<Link>> {
    let (node, loaded_now) = match link {
        Link::Node(node) => (node.clone(), false),
        Link::Stub(cid) => (Shared::new(decode(cid, layer, blocks)?), true),
    };
    let positions = match scope {
        Scope::Around(key) => {
            let (first, second) = node.positions_around(key);
            first..=second.unwrap_or(first)
        }
        Scope::All => 0..=node.entries.len(),
    };
    let child_layer = node.layer.checked_sub(1);
    let mut left = None;
    let mut entries = None;
    for position in positions {
        let Some(child) = node.subtree(position) else {
            continue;
        };
        let Some(loaded) = load_link(child, child_layer, blocks, scope)? else {
            continue;
        };
        match position.checked_sub(1) {
            None => left = Some(loaded),
            Some(i) => {
                let entries = entries.get_or_insert_with(|| node.entries.clone());
                if let Some(entry) = entries.get_mut(i) {
                    entry.right = Some(loaded);
                }
            }
        }
    }
    if left.is_none() && entries.is_none() {
        return Ok(loaded_now.then_some(Link::Node(node)));
    }
    let copy = TreeNode::new(
        node.layer,
        left.or_else(|| node.left.clone()),
        entries.unwrap_or_else(|| node.entries.clone()),
    );
    Ok(Some(Link::Node(Shared::new(copy.with_cid(node.cid())))))
}

/// The node `cid` from `blocks`, its subtrees known only by CID.
fn decode<B: BlockSource + ?Sized>(cid: &Cid, layer: Option<u8>, blocks: &B) -> Result<TreeNode> {
    let block = blocks.block(cid).ok_or_else(|| missing_node(cid))?;
    let mut node = Node::default();
    let layer = match layer {
        Some(layer) => {
            node.decode_block_on_layer(block, cid, layer)?;
            layer
        }
        None => {
            node.decode_block(block, cid)?;
            node.layer().unwrap_or(0)
        }
    };
    let entries = node
        .entries()
        .map(|entry| TreeEntry {
            key: Shared::from(entry.key),
            value: entry.value,
            right: entry.right.map(Link::Stub),
        })
        .collect();
    let left = node.left().map(Link::Stub);
    Ok(TreeNode::new(layer, left, entries).with_cid(*cid))
}
