//! The verification walk: every node of a tree, keys in order, every rule between nodes.

use std::cmp::Ordering;

use super::{compare_keys, depth_of_digest, ensure_depth_bound, missing_node, quote_key, Node};
use crate::car::BlockSource;
use crate::cid::{Cid, Codec};
use crate::error::{Code, Error, Result};
use crate::support::short_copy;

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
///
/// The root's keys give the tree's layer; below it, a node's layer is its parent's minus one, and
/// whether its keys have that depth is checked in batches across nodes ([`LayerChecks`]): a
/// node holds three or four keys on average, too few to keep the four SHA-256 lanes busy. Before
/// any error is returned the pending checks are run, so a key on the wrong layer is reported
/// ahead of whatever a walk beyond its node finds.
///
/// Through `dyn`, so that the wasm holds one copy of the walk for every visitor and block source
/// (a call per node and per entry through a table is little next to decoding the node).
pub(crate) fn walk_tree(
    blocks: &dyn BlockSource,
    root: &Cid,
    visitor: &mut dyn TreeVisitor,
) -> Result<()> {
    let mut checks = LayerChecks::with_batch_room();
    let walked = walk_nodes(blocks, root, visitor, &mut checks);
    // The pending keys' nodes were all reached before whatever ended the walk.
    checks.run()?;
    walked
}

fn walk_nodes(
    blocks: &dyn BlockSource,
    root: &Cid,
    visitor: &mut dyn TreeVisitor,
    checks: &mut LayerChecks,
) -> Result<()> {
    if root.codec() != Codec::Drisl {
        return Err(Error::new(
            Code::MstInvalidLink,
            format!("MST root {root} is not a DRISL CID"),
        ));
    }
    let Some(block) = blocks.block(root) else {
        return visitor.missing_node(root);
    };
    // Room for the levels of any real tree (a million keys make about ten), so that a walk of a
    // small partial tree (a firehose frame's) does not grow its vectors level by level.
    const LEVELS: usize = 16;
    let mut pool = Vec::with_capacity(LEVELS);
    pool.push(Node::default());
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

    let mut frames = Vec::with_capacity(LEVELS);
    frames.push(Frame {
        cid: *root,
        layer: root_layer,
        next_item: 0,
        serial: 0,
    });
    let mut serials = 0u64;
    let mut previous_key: Vec<u8> = Vec::with_capacity(64);
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
            short_copy::extend(&mut previous_key, entry.key);
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
        let Some(block) = blocks.node_block(&child, expected_layer) else {
            visitor.missing_node(&child)?;
            continue;
        };
        if pool.len() <= level + 1 {
            pool.push(Node::default());
        }
        let child_node = pool
            .get_mut(level + 1)
            .ok_or_else(|| missing_node(&child))?;
        child_node.decode_block_on_layer(block, &child, expected_layer)?;
        if child_node.is_empty() && child_node.left().is_none() {
            return Err(Error::new(
                Code::MstEmptyNode,
                format!("MST node {child} (under {cid}) has neither entries nor a subtree"),
            ));
        }
        checks.add(child_node, &child, &cid)?;
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

/// Checks that keys have the depth of their node's layer, for many nodes at once: the keys are
/// copied aside with their node and layer, and hashed in batches of [`LayerChecks::BATCH`] (four
/// SHA-256 at a time in wasm, see [`crate::cid::sha256_many`]).
struct LayerChecks {
    /// The pending keys, one after the other.
    keys: Vec<u8>,
    pending: Vec<PendingKey>,
    digests: Vec<[u8; 32]>,
}

struct PendingKey {
    /// Where the key ends in `keys`.
    end: usize,
    layer: u8,
    node: Cid,
    parent: Cid,
}

impl LayerChecks {
    const BATCH: usize = 128;

    /// Room for a batch of typical keys, reserved once rather than grown key by key.
    fn with_batch_room() -> LayerChecks {
        LayerChecks {
            keys: Vec::with_capacity(Self::BATCH * 40),
            pending: Vec::with_capacity(Self::BATCH),
            digests: Vec::with_capacity(Self::BATCH),
        }
    }

    /// Queues the keys of `node` (the block of `cid`, under `parent`), decoded on its layer.
    fn add(&mut self, node: &Node, cid: &Cid, parent: &Cid) -> Result<()> {
        let Some(layer) = node.layer() else {
            return Ok(());
        };
        for entry in node.entries() {
            short_copy::extend(&mut self.keys, entry.key);
            self.pending.push(PendingKey {
                end: self.keys.len(),
                layer,
                node: *cid,
                parent: *parent,
            });
        }
        if self.pending.len() >= Self::BATCH {
            self.run()?;
        }
        Ok(())
    }

    /// Checks every pending key; the first (in walk order) on the wrong layer is the error.
    fn run(&mut self) -> Result<()> {
        let mut start = 0;
        let keys: Vec<&[u8]> = self
            .pending
            .iter()
            .map(|key| {
                let bytes = self.keys.get(start..key.end).unwrap_or_default();
                start = key.end;
                bytes
            })
            .collect();
        self.digests.resize(keys.len(), [0; 32]);
        crate::cid::sha256_many(&keys, &mut self.digests);
        let outcome = keys
            .iter()
            .zip(&self.digests)
            .zip(&self.pending)
            .try_for_each(|((key, digest), pending)| {
                let depth = ensure_depth_bound(key, depth_of_digest(digest))?;
                if depth == pending.layer {
                    return Ok(());
                }
                Err(Error::new(
                    Code::MstWrongLayer,
                    format!(
                        "MST node {} holds key {} of depth {depth}, but its parent {} puts it on layer {}",
                        pending.node,
                        quote_key(key),
                        pending.parent,
                        pending.layer
                    ),
                ))
            });
        self.keys.clear();
        self.pending.clear();
        outcome
    }
}

/// The range rule, seen from the walk: a key must sort strictly after the key before it in the
/// whole tree, here one from another node (a subtree, or the parent before the subtree).
fn check_in_order(previous: &[u8], key: &[u8], node: &Cid) -> Result<()> {
    match compare_keys(previous, key).0 {
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
pub fn walk_entries(
    blocks: &dyn BlockSource,
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
