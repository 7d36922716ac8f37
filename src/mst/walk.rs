//! The verification walk: every node of a tree, keys in order, every rule between nodes.

use std::cmp::Ordering;

use super::{missing_node, quote_key, Node};
use crate::car::BlockSource;
use crate::cid::{Cid, Codec};
use crate::error::{Code, Error, Result};

/// What the walk reports, in key order: a node is entered, then come (in order) its left subtree,
/// its first entry, the subtree after it, its second entry, …; then it is exited.
pub(crate) trait TreeVisitor {
    /// A node (the root or a subtree) whose block is not available. Return an error to stop (a
    /// full verification), or `Ok` to go on without it (a partial tree).
    fn missing_node(&mut self, cid: &Cid) -> Result<()>;
    /// A node is entered; `layer` is its layer (for an empty node, the one its parent implies).
    fn enter_node(&mut self, _cid: &Cid, _node: &Node, _layer: u8) -> Result<()> {
        Ok(())
    }
    /// The next entry in key order.
    fn entry(&mut self, key: &[u8], value: &Cid) -> Result<()>;
    /// The node entered last and not yet exited is done.
    fn exit_node(&mut self) -> Result<()> {
        Ok(())
    }
}

/// An open node of the walk.
struct Frame {
    cid: Cid,
    layer: u8,
    /// The next item: 0 is the left subtree, 2i+1 entry i, 2i+2 the subtree after entry i.
    next_item: usize,
    /// Distinguishes node instances, to tell whether the previous key came from this node.
    serial: u64,
}

/// Walks the tree whose root is `root` through `blocks`, checking every rule: each node with
/// [`Node::decode`]'s rules, and between nodes the layers, the key ranges (keys strictly
/// increasing across the whole walk), empty nodes and the empty top.
///
/// Nodes are decoded into a pool of scratch nodes, one per level, reused from node to node; the
/// walk holds one path of the tree, never the whole of it.
pub(crate) fn walk_tree<B, V>(blocks: &B, root: &Cid, visitor: &mut V) -> Result<()>
where
    B: BlockSource + ?Sized,
    V: TreeVisitor,
{
    if root.codec() != Codec::Drisl {
        return Err(Error::new(
            Code::MstInvalidLink,
            format!("MST root {root} is not a DRISL CID"),
        ));
    }
    let Some(block) = blocks.block(root) else {
        return visitor.missing_node(root);
    };
    let mut pool = vec![Node::default()];
    let root_node = pool.first_mut().ok_or_else(|| missing_node(root))?;
    root_node.decode_block(block, root)?;
    let Some(root_layer) = root_node.layer() else {
        if let Some(child) = root_node.left() {
            return Err(Error::new(
                Code::MstEmptyTopNode,
                format!("MST root {root} has no entries and only points to the subtree {child} (the top must be trimmed)"),
            ));
        }
        visitor.enter_node(root, root_node, 0)?;
        return visitor.exit_node();
    };
    visitor.enter_node(root, root_node, root_layer)?;

    let mut frames = vec![Frame {
        cid: *root,
        layer: root_layer,
        next_item: 0,
        serial: 0,
    }];
    let mut serials = 0u64;
    let mut previous_key: Vec<u8> = Vec::new();
    // The serial of the node the previous key came from (`None` before the first key).
    let mut previous_serial: Option<u64> = None;

    while let Some(level) = frames.len().checked_sub(1) {
        let frame = frames.get_mut(level).ok_or_else(|| missing_node(root))?;
        let node = pool.get(level).ok_or_else(|| missing_node(root))?;
        let item = frame.next_item;
        if item > 2 * node.len() {
            visitor.exit_node()?;
            frames.pop();
            continue;
        }
        frame.next_item += 1;
        let (cid, layer, serial) = (frame.cid, frame.layer, frame.serial);

        if item % 2 == 1 {
            let Some(entry) = node.entry(item / 2) else {
                continue;
            };
            if previous_serial.is_some_and(|s| s != serial) {
                check_in_order(&previous_key, entry.key, &cid)?;
            }
            visitor.entry(entry.key, &entry.value)?;
            previous_key.clear();
            previous_key.extend_from_slice(entry.key);
            previous_serial = Some(serial);
            continue;
        }

        let link = match item {
            0 => node.left(),
            _ => node.entry(item / 2 - 1).and_then(|entry| entry.right),
        };
        let Some(child) = link else {
            continue;
        };
        let Some(expected_layer) = layer.checked_sub(1) else {
            return Err(Error::new(
                Code::MstWrongLayer,
                format!("MST node {cid} is on layer 0 but links to the subtree {child}"),
            ));
        };
        let Some(block) = blocks.block(&child) else {
            visitor.missing_node(&child)?;
            continue;
        };
        if pool.len() <= level + 1 {
            pool.push(Node::default());
        }
        let child_node = pool
            .get_mut(level + 1)
            .ok_or_else(|| missing_node(&child))?;
        child_node.decode_block(block, &child)?;
        match child_node.layer() {
            None if child_node.left().is_none() => {
                return Err(Error::new(
                    Code::MstEmptyNode,
                    format!("MST node {child} (under {cid}) has neither entries nor a subtree"),
                ))
            }
            Some(child_layer) if child_layer != expected_layer => {
                return Err(Error::new(
                    Code::MstWrongLayer,
                    format!(
                        "MST node {child} holds keys of layer {child_layer}, but its parent {cid} on layer {layer} puts it on layer {expected_layer}"
                    ),
                ))
            }
            _ => {}
        }
        visitor.enter_node(&child, child_node, expected_layer)?;
        serials += 1;
        frames.push(Frame {
            cid: child,
            layer: expected_layer,
            next_item: 0,
            serial: serials,
        });
    }
    Ok(())
}

/// The range rule, seen from the walk: a key must sort strictly after the key before it in the
/// whole tree, here one from another node (a subtree, or the parent before the subtree).
fn check_in_order(previous: &[u8], key: &[u8], node: &Cid) -> Result<()> {
    match previous.cmp(key) {
        Ordering::Less => Ok(()),
        Ordering::Equal => Err(Error::new(
            Code::MstDuplicateKey,
            format!(
                "MST node {node}: key {} appears twice in the tree",
                quote_key(key)
            ),
        )),
        Ordering::Greater => Err(Error::new(
            Code::MstRangeViolation,
            format!(
                "MST node {node}: key {} is out of its subtree's range (it must sort after {})",
                quote_key(key),
                quote_key(previous)
            ),
        )),
    }
}

/// Verifies the whole tree under `root` (every node present, every rule) and calls `on_entry` with
/// each key and value in key order.
///
/// `missing-block` names the first node that is not in `blocks`.
pub fn walk_entries<B: BlockSource + ?Sized>(
    blocks: &B,
    root: &Cid,
    on_entry: impl FnMut(&[u8], &Cid) -> Result<()>,
) -> Result<()> {
    struct Entries<F>(F);
    impl<F: FnMut(&[u8], &Cid) -> Result<()>> TreeVisitor for Entries<F> {
        fn missing_node(&mut self, cid: &Cid) -> Result<()> {
            Err(missing_node(cid))
        }
        fn entry(&mut self, key: &[u8], value: &Cid) -> Result<()> {
            (self.0)(key, value)
        }
    }
    walk_tree(blocks, root, &mut Entries(on_entry))
}
