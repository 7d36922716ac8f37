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
    let mut record_ops = Vec::new();
    let walked = walk(before, after, |entry, before, after| {
        record_ops.push(RecordOp {
            key: entry.key.to_vec(),
            before,
            after,
        });
    })?;
    let mut new_set: CidSet = walked.new_nodes.iter().map(|(cid, _)| *cid).collect();
    new_set.extend(empty_root_cid(after));
    let created_nodes = walked.created_nodes(after);
    Ok(TreeDiff {
        created_nodes,
        deleted_nodes: walked
            .old_nodes
            .into_iter()
            .filter(|cid| !new_set.contains(cid))
            .collect(),
        record_ops,
    })
}

/// [`diff`]'s created nodes alone, with the same walk: a commit's event carries them, and the
/// record operations and deleted nodes it would drop are work (and, in the wasm, code) for
/// nothing.
pub(crate) fn created_nodes(before: &Tree, after: &Tree) -> Result<Vec<(Cid, Vec<u8>)>> {
    Ok(walk(before, after, |_, _, _| {})?.created_nodes(after))
}

/// The nodes a diff opened: those of the old tree, and those of the new one with their nodes (an
/// empty tree's one node aside: see [`empty_root_cid`]).
struct Walked<'t> {
    old_nodes: Vec<Cid>,
    new_nodes: Vec<(Cid, &'t TreeNode)>,
}

impl Walked<'_> {
    /// The new tree's nodes that the old one lacks, with their blocks, in pre-order (the empty
    /// root first, if `after` is empty).
    fn created_nodes(&self, after: &Tree) -> Vec<(Cid, Vec<u8>)> {
        let old_set: CidSet = self.old_nodes.iter().copied().collect();
        let mut created = Vec::new();
        if empty_root_cid(after).is_some_and(|cid| !old_set.contains(&cid)) {
            let empty = TreeNode::empty();
            created.push((empty.cid(), empty.encode()));
        }
        for (cid, node) in &self.new_nodes {
            if !old_set.contains(cid) {
                created.push((*cid, node.encode()));
            }
        }
        created
    }
}

/// Walks `before` and `after` in key order (see [`diff`]), calling `on_op` with each entry whose
/// value changed and its value before and after.
fn walk<'t>(
    before: &'t Tree,
    after: &'t Tree,
    mut on_op: impl FnMut(&TreeEntry, Option<Cid>, Option<Cid>),
) -> Result<Walked<'t>> {
    let mut old = Cursor::new(before);
    let mut new = Cursor::new(after);
    let mut old_nodes: Vec<Cid> = empty_root_cid(before).into_iter().collect();
    let mut new_nodes: Vec<(Cid, &TreeNode)> = Vec::new();
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
                    on_op(x, Some(x.value), None);
                    old.skip();
                }
                std::cmp::Ordering::Greater => {
                    on_op(y, None, Some(y.value));
                    new.skip();
                }
                std::cmp::Ordering::Equal => {
                    if x.value != y.value {
                        on_op(x, Some(x.value), Some(y.value));
                    }
                    old.skip();
                    new.skip();
                }
            },
            (Some(Item::Entry(x)), None) => {
                on_op(x, Some(x.value), None);
                old.skip();
            }
            (None, Some(Item::Entry(y))) => {
                on_op(y, None, Some(y.value));
                new.skip();
            }
        }
    }
    Ok(Walked {
        old_nodes,
        new_nodes,
    })
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
