//! Diffs of two trees: the nodes one has and the other lacks, and the record operations.

use super::tree::{Link, TreeEntry, TreeNode};
use super::Tree;
use crate::car::CidSet;
use crate::cid::Cid;
use crate::error::Result;

/// What changed from one tree to another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// Nodes of the new tree that the old one lacks, with their blocks, in the order the diff
    /// met them (pre-order).
    pub created_nodes: Vec<(Cid, Vec<u8>)>,
    /// Nodes of the old tree that the new one lacks.
    pub deleted_nodes: Vec<Cid>,
    /// The keys whose value changed, in key order.
    pub record_ops: Vec<RecordOp>,
}

/// One key whose value changed: created (`before` is `None`), deleted (`after` is `None`) or
/// updated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordOp {
    /// The key (a repository path).
    pub key: Vec<u8>,
    /// The value in the old tree.
    pub before: Option<Cid>,
    /// The value in the new tree.
    pub after: Option<Cid>,
}

/// Diffs `before` against `after`, walking both in key order and skipping every subtree they
/// share (same CID), so the work is proportional to the change, not to the trees.
///
/// Applying the record operations to `before` (with [`Tree::apply`]) gives `after`. Subtrees known
/// only by CID are fine where both trees share them; one that must be opened fails with
/// `missing-block`.
pub fn diff(before: &Tree, after: &Tree) -> Result<TreeDiff> {
    let mut old = Cursor::new(before);
    let mut new = Cursor::new(after);
    let mut old_nodes: Vec<Cid> = empty_root_cid(before).into_iter().collect();
    let mut new_nodes: Vec<(Cid, &TreeNode)> = Vec::new();
    let empty_new_root = empty_root_cid(after).map(|_| TreeNode::empty());
    if let Some(empty) = &empty_new_root {
        new_nodes.push((empty.cid(), empty));
    }
    let mut record_ops = Vec::new();
    loop {
        match (old.current(), new.current()) {
            (None, None) => break,
            (Some(Item::Subtree(x, old_layer)), Some(Item::Subtree(y, new_layer))) => {
                if x.cid() == y.cid() {
                    old.skip();
                    new.skip();
                    continue;
                }
                // Open the higher subtree first: the lower one may be shared inside it.
                let (old_layer, new_layer) =
                    (old_layer.unwrap_or(u8::MAX), new_layer.unwrap_or(u8::MAX));
                if old_layer >= new_layer {
                    old_nodes.push(old.descend(x)?.cid());
                }
                if new_layer >= old_layer {
                    let node = new.descend(y)?;
                    new_nodes.push((node.cid(), node));
                }
            }
            (Some(Item::Subtree(x, _)), _) => old_nodes.push(old.descend(x)?.cid()),
            (_, Some(Item::Subtree(y, _))) => {
                let node = new.descend(y)?;
                new_nodes.push((node.cid(), node));
            }
            (Some(Item::Entry(x)), Some(Item::Entry(y))) => match x.key.cmp(&y.key) {
                std::cmp::Ordering::Less => {
                    record_ops.push(op(x, Some(x.value), None));
                    old.skip();
                }
                std::cmp::Ordering::Greater => {
                    record_ops.push(op(y, None, Some(y.value)));
                    new.skip();
                }
                std::cmp::Ordering::Equal => {
                    if x.value != y.value {
                        record_ops.push(op(x, Some(x.value), Some(y.value)));
                    }
                    old.skip();
                    new.skip();
                }
            },
            (Some(Item::Entry(x)), None) => {
                record_ops.push(op(x, Some(x.value), None));
                old.skip();
            }
            (None, Some(Item::Entry(y))) => {
                record_ops.push(op(y, None, Some(y.value)));
                new.skip();
            }
        }
    }
    let old_set: CidSet = old_nodes.iter().copied().collect();
    let new_set: CidSet = new_nodes.iter().map(|(cid, _)| *cid).collect();
    Ok(TreeDiff {
        created_nodes: new_nodes
            .iter()
            .filter(|(cid, _)| !old_set.contains(cid))
            .map(|(cid, node)| (*cid, node.encode()))
            .collect(),
        deleted_nodes: old_nodes
            .into_iter()
            .filter(|cid| !new_set.contains(cid))
            .collect(),
        record_ops,
    })
}

fn op(entry: &TreeEntry, before: Option<Cid>, after: Option<Cid>) -> RecordOp {
    RecordOp {
        key: entry.key.to_vec(),
        before,
        after,
    }
}

/// The CID of the one node of an empty tree, which a diff counts like any other node.
fn empty_root_cid(tree: &Tree) -> Option<Cid> {
    tree.is_empty().then(|| TreeNode::empty().cid())
}

/// The item a cursor stands on: a subtree (with its layer, when known) or an entry.
enum Item<'t> {
    Subtree(&'t Link, Option<u8>),
    Entry(&'t TreeEntry),
}

/// A position in a tree's in-order sequence of subtrees and entries.
struct Cursor<'t> {
    /// The root, before the cursor has moved.
    root: Option<&'t Link>,
    /// Open nodes and the current item of each (0: left subtree, 2i+1: entry i, 2i+2: after it).
    stack: Vec<(&'t TreeNode, usize)>,
}

impl<'t> Cursor<'t> {
    fn new(tree: &'t Tree) -> Self {
        Cursor {
            root: tree.root_link(),
            stack: Vec::new(),
        }
    }

    fn current(&self) -> Option<Item<'t>> {
        if let Some(root) = self.root {
            return Some(Item::Subtree(root, link_layer(root, None)));
        }
        let &(node, item) = self.stack.last()?;
        if item % 2 == 1 {
            node.entries.get(item / 2).map(Item::Entry)
        } else {
            node.subtree(item / 2)
                .map(|link| Item::Subtree(link, link_layer(link, node.layer.checked_sub(1))))
        }
    }

    /// Moves past the current item (a whole subtree, unopened).
    fn skip(&mut self) {
        if self.root.take().is_none() {
            if let Some((_, item)) = self.stack.last_mut() {
                *item += 1;
            }
        }
        self.settle();
    }

    /// Opens `link`, the subtree the cursor stands on; returns its node.
    fn descend(&mut self, link: &'t Link) -> Result<&'t TreeNode> {
        let node: &'t TreeNode = link.node()?;
        self.skip();
        self.stack.push((node, 0));
        self.settle();
        Ok(node)
    }

    /// Moves forward to an item that exists: past absent subtrees and finished nodes.
    fn settle(&mut self) {
        while let Some((node, item)) = self.stack.last_mut() {
            if *item > 2 * node.entries.len() {
                self.stack.pop();
            } else if *item % 2 == 0 && node.subtree(*item / 2).is_none() {
                *item += 1;
            } else {
                break;
            }
        }
    }
}

fn link_layer(link: &Link, implied: Option<u8>) -> Option<u8> {
    match link {
        Link::Node(node) => Some(node.layer),
        Link::Stub(_) => implied,
    }
}
