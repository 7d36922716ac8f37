//! Persistent in-memory trees: load (possibly partial), build, get, iterate, insert, delete,
//! proofs, root CID.

use crate::support::shared::Lazy;
use crate::support::shared::Shared;

use super::node::encode_node;
use super::walk::{walk_tree, TreeVisitor};
use super::{bounded_key_depth, ensure_valid_mst_key, key_depth, missing_node, quote_key, Node};
use crate::car::BlockSource;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};

/// A Merkle Search Tree held in memory, possibly in part.
///
/// Nodes are shared and never changed in place: [`Tree::insert`] and [`Tree::delete`] build the
/// nodes along the key's path anew and swap in the new root only when they succeed, so a failed
/// operation leaves the tree as it was, and `tree.clone()` is a cheap snapshot (diff it against
/// the tree after some changes with [`diff`](super::diff)). Subtrees may be known only by CID
/// (see [`Tree::load`]); operations that need one fail with `missing-block`.
///
/// ```
/// use atproof::mst::Tree;
/// use atproof::cid::Cid;
/// let value = Cid::for_drisl(&[0xa0]);
/// let mut tree = Tree::new();
/// tree.insert(b"app.bsky.feed.post/3k2a", value)?;
/// tree.insert(b"app.bsky.feed.like/3k2b", value)?;
/// let built = Tree::build([("app.bsky.feed.like/3k2b", value), ("app.bsky.feed.post/3k2a", value)])?;
/// assert_eq!(tree.root_cid(), built.root_cid());
/// assert_eq!(tree.get(b"app.bsky.feed.post/3k2a")?, Some(value));
/// # Ok::<(), atproof::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// `None` for the empty tree.
    root: Option<Link>,
}

/// A link to a subtree: loaded, or known only by its CID.
#[derive(Clone, Debug)]
pub(super) enum Link {
    Stub(Cid),
    Node(Shared<TreeNode>),
}

#[derive(Debug)]
pub(super) struct TreeNode {
    pub(super) layer: u8,
    pub(super) left: Option<Link>,
    pub(super) entries: Vec<TreeEntry>,
    cid: Lazy<Cid>,
}

#[derive(Clone, Debug)]
pub(super) struct TreeEntry {
    pub(super) key: Shared<[u8]>,
    pub(super) value: Cid,
    pub(super) right: Option<Link>,
}

/// How far a search for a key goes when the key is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Descent {
    /// Stop on the key's own layer: no deeper node could hold it.
    ToKeyLayer,
    /// Go one layer further, into the subtree at the key's position (the subtree that inserting
    /// the key would split), as mst-test-suite's proofs do.
    Covering,
}

/// The nodes that prove a key present or absent, and what they say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProof {
    /// The key's value, `None` when the proof shows it absent.
    pub value: Option<Cid>,
    /// The nodes from the root down to the one that holds the key or would hold it (and, for an
    /// absent key, the subtree at its position): each CID with the node's block.
    pub nodes: Vec<(Cid, Vec<u8>)>,
}

impl Link {
    pub(super) fn cid(&self) -> Cid {
        match self {
            Link::Stub(cid) => *cid,
            Link::Node(node) => node.cid(),
        }
    }

    /// The node behind the link; `missing-block` for a subtree known only by CID.
    pub(super) fn node(&self) -> Result<&Shared<TreeNode>> {
        match self {
            Link::Node(node) => Ok(node),
            Link::Stub(cid) => Err(missing_node(cid)),
        }
    }

    fn from_node(node: TreeNode) -> Link {
        Link::Node(Shared::new(node))
    }
}

impl TreeNode {
    pub(super) fn new(layer: u8, left: Option<Link>, entries: Vec<TreeEntry>) -> TreeNode {
        TreeNode {
            layer,
            left,
            entries,
            cid: Lazy::new(),
        }
    }

    /// A node whose CID is known already (loaded from its block), so it is never hashed again.
    pub(super) fn with_cid(self, cid: Cid) -> TreeNode {
        let _ = self.cid.set(cid);
        self
    }

    /// The one node of the empty tree.
    pub(super) fn empty() -> TreeNode {
        TreeNode::new(0, None, Vec::new())
    }

    /// A link to this node, or `None` when it has neither entries nor subtree (pruned).
    fn into_link(self) -> Option<Link> {
        (!self.entries.is_empty() || self.left.is_some()).then(|| Link::from_node(self))
    }

    pub(super) fn cid(&self) -> Cid {
        *self.cid.get_or_init(|| Cid::for_drisl(&self.encode()))
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let left = self.left.as_ref().map(Link::cid);
        encode_node(
            left.as_ref(),
            self.entries.iter().map(|entry| {
                (
                    entry.key.as_ref(),
                    entry.value,
                    entry.right.as_ref().map(Link::cid),
                )
            }),
        )
    }

    /// Where `key` is (`Ok(entry index)`) or would go (`Err(subtree position)`: position 0 is the
    /// left subtree, position i the subtree after entry i−1).
    fn position(&self, key: &[u8]) -> std::result::Result<usize, usize> {
        self.entries
            .binary_search_by(|entry| entry.key.as_ref().cmp(key))
    }

    /// The positions of the subtrees that an operation on `key` reads below this node: the one
    /// where the key would be or, when the node holds the key, the two around it. Followed down
    /// the tree, they give the nodes a search, an insertion (which splits the subtree at the key)
    /// or a deletion (which merges the two around it) opens: the key's path, and the facing edges
    /// of its neighbours' subtrees.
    pub(super) fn positions_around(&self, key: &[u8]) -> (usize, Option<usize>) {
        match self.position(key) {
            Ok(i) => (i, Some(i + 1)),
            Err(position) => (position, None),
        }
    }

    /// The subtree at `position` (0 is the left subtree).
    pub(super) fn subtree(&self, position: usize) -> Option<&Link> {
        match position.checked_sub(1) {
            None => self.left.as_ref(),
            Some(i) => self.entries.get(i).and_then(|entry| entry.right.as_ref()),
        }
    }

    /// A copy of the entries with the subtree at `position` replaced; returns the new left link
    /// and entries.
    fn with_subtree(
        &self,
        position: usize,
        subtree: Option<Link>,
    ) -> (Option<Link>, Vec<TreeEntry>) {
        let mut entries = self.entries.clone();
        let mut left = self.left.clone();
        match position.checked_sub(1).and_then(|i| entries.get_mut(i)) {
            Some(entry) => entry.right = subtree,
            None => left = subtree,
        }
        (left, entries)
    }
}

impl Tree {
    /// The empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// A tree known only by its root CID: every operation but [`Tree::root_cid`] needs nodes and
    /// fails with `missing-block`.
    pub fn from_root_cid(root: Cid) -> Tree {
        Tree {
            root: Some(Link::Stub(root)),
        }
    }

    /// Loads the tree under `root` from `blocks`, verifying every rule on the nodes present
    /// (the same walk as [`walk_entries`](super::walk_entries)). Nodes that are absent become
    /// subtrees known only by CID: a proof or a diff gives a partial tree.
    ///
    /// Through `dyn`, so that the wasm holds one copy of the walk for every kind of block source
    /// (the trees loaded are a frame's or a proof's few nodes, where a call per block is nothing).
    pub fn load(blocks: &dyn BlockSource, root: &Cid) -> Result<Tree> {
        let mut loader = Loader::default();
        walk_tree(blocks, root, &mut loader)?;
        Ok(Tree { root: loader.root })
    }

    /// Builds the tree holding `entries` (in any order): the one canonical tree of that key set.
    /// Fails on an invalid key (`mst-invalid-key`) or a key given twice (`mst-duplicate-key`).
    pub fn build<K: AsRef<[u8]>>(entries: impl IntoIterator<Item = (K, Cid)>) -> Result<Tree> {
        let mut items = entries
            .into_iter()
            .map(|(key, value)| {
                let key = key.as_ref();
                let depth = checked_depth(key)?;
                Ok((Shared::<[u8]>::from(key), depth, value))
            })
            .collect::<Result<Vec<_>>>()?;
        crate::support::sort::sort_by(&mut items, |a, b| a.0.cmp(&b.0))?;
        if let Some(pair) = items
            .windows(2)
            .find(|pair| pair.first().map(|a| &a.0) == pair.get(1).map(|b| &b.0))
        {
            let key = pair.first().map(|a| quote_key(&a.0)).unwrap_or_default();
            return Err(Error::new(
                Code::MstDuplicateKey,
                format!("MST key {key} given twice"),
            ));
        }
        let top = items.iter().map(|item| item.1).max().unwrap_or(0);
        Ok(Tree {
            root: build_layer(&items, top),
        })
    }

    /// Whether the tree is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The root CID (the commit's `data`): the empty tree's is that of a node with no entries.
    /// Node CIDs are computed once and cached.
    pub fn root_cid(&self) -> Cid {
        match &self.root {
            Some(link) => link.cid(),
            None => TreeNode::empty().cid(),
        }
    }

    /// The value of `key`, `None` if absent.
    ///
    /// The key's depth says which layer must hold it, so the descent stops there: a proof that
    /// carries only the nodes down to that layer is enough (subtrees below may be absent).
    pub fn get(&self, key: &[u8]) -> Result<Option<Cid>> {
        self.descend(key, Descent::ToKeyLayer, |_| ())
    }

    /// The value of `key` with the nodes that prove it ([`KeyProof`]): the path from the root to
    /// the node holding the key or, for an absent key, to the node on the key's layer where it
    /// would be and one layer further, into the subtree its insertion would split (the proofs of
    /// mst-test-suite; a superset of what [`Tree::get`] needs). Every node on it must be loaded.
    pub fn key_proof(&self, key: &[u8]) -> Result<KeyProof> {
        let mut nodes = Vec::new();
        let value = self.descend(key, Descent::Covering, |node| {
            nodes.push((node.cid(), node.encode()))
        })?;
        if nodes.is_empty() {
            // The empty tree: its one node proves every key absent.
            let empty = TreeNode::empty();
            nodes.push((empty.cid(), empty.encode()));
        }
        Ok(KeyProof { value, nodes })
    }

    /// The nodes around `key`, each CID with its block, from
    /// the root down: what `@atproto/repo` calls the covering proof of a key (the key's path and
    /// its neighbours'), which a `#commit` carries for each operation so that a consumer can undo
    /// it. Every node on the way must be loaded.
    pub fn covering_proof(&self, key: &[u8]) -> Result<Vec<(Cid, Vec<u8>)>> {
        let mut nodes = Vec::new();
        let Some(root) = &self.root else {
            let empty = TreeNode::empty();
            nodes.push((empty.cid(), empty.encode()));
            return Ok(nodes);
        };
        let mut pending = vec![root];
        while let Some(link) = pending.pop() {
            let node = link.node()?;
            nodes.push((node.cid(), node.encode()));
            let (first, second) = node.positions_around(key);
            pending.extend(second.and_then(|p| node.subtree(p)));
            pending.extend(node.subtree(first));
        }
        Ok(nodes)
    }

    /// Descends towards `key`, calling `on_node` for each node passed.
    fn descend(
        &self,
        key: &[u8],
        descent: Descent,
        mut on_node: impl FnMut(&TreeNode),
    ) -> Result<Option<Cid>> {
        let depth = key_depth(key);
        let mut link = self.root.as_ref();
        while let Some(current) = link {
            let node = current.node()?;
            on_node(node);
            match node.position(key) {
                Ok(i) => return Ok(node.entries.get(i).map(|entry| entry.value)),
                Err(_) if depth > node.layer => return Ok(None),
                Err(_) if descent == Descent::ToKeyLayer && depth == node.layer => return Ok(None),
                Err(position) => link = node.subtree(position),
            }
        }
        Ok(None)
    }

    /// The entries in key order.
    pub fn iter(&self) -> TreeIter<'_> {
        self.range(&[], None)
    }

    /// The entries with `start <= key < end` (no upper bound for `end = None`), in key order.
    /// Only the subtrees that can hold such keys are opened.
    pub fn range(&self, start: &[u8], end: Option<&[u8]>) -> TreeIter<'_> {
        TreeIter::new(self.root.as_ref(), start, end.map(<[u8]>::to_vec))
    }

    /// The entries of one collection (`<collection>/…` keys), in key order.
    pub fn collection(&self, collection: &str) -> TreeIter<'_> {
        // '0' is the byte after '/': the keys of the collection sort in [c/, c0).
        let start = [collection.as_bytes(), b"/"].concat();
        let end = [collection.as_bytes(), b"0"].concat();
        TreeIter::new(self.root.as_ref(), &start, Some(end))
    }

    /// Sets `key` to `value`; returns the previous value.
    pub fn insert(&mut self, key: &[u8], value: Cid) -> Result<Option<Cid>> {
        let depth = checked_depth(key)?;
        let (root, previous) = match &self.root {
            None => (leaf(depth, key, value), None),
            Some(link) => {
                let node = link.node()?;
                if depth > node.layer {
                    let (before, after) = split(link, key)?;
                    let entry = TreeEntry {
                        key: Shared::from(key),
                        value,
                        right: lift(after, node.layer, depth - 1),
                    };
                    let before = lift(before, node.layer, depth - 1);
                    (
                        Link::from_node(TreeNode::new(depth, before, vec![entry])),
                        None,
                    )
                } else {
                    let (node, previous) = insert_into(node, key, depth, value)?;
                    (Link::from_node(node), previous)
                }
            }
        };
        self.root = Some(root);
        Ok(previous)
    }

    /// Removes `key`; returns its value, `None` if it was absent (the tree is then unchanged).
    pub fn delete(&mut self, key: &[u8]) -> Result<Option<Cid>> {
        let Some(link) = &self.root else {
            return Ok(None);
        };
        let Some((root, removed)) = delete_from(link.node()?, key, key_depth(key))? else {
            return Ok(None);
        };
        self.root = trim(root)?;
        Ok(Some(removed))
    }

    /// Applies record operations in order: a set value inserts, `None` deletes.
    pub fn apply<'k>(
        &mut self,
        ops: impl IntoIterator<Item = (&'k [u8], Option<Cid>)>,
    ) -> Result<()> {
        let mut next = self.clone();
        for (key, value) in ops {
            match value {
                Some(value) => next.insert(key, value)?,
                None => next.delete(key)?,
            };
        }
        *self = next;
        Ok(())
    }

    /// Visits every node in pre-order (a node, then its subtrees left to right) with its CID, its
    /// block and the values of its entries in order: the order of a streaming repository CAR.
    pub fn visit_nodes_preorder(
        &self,
        mut visit: impl FnMut(&Cid, &[u8], &mut dyn Iterator<Item = Cid>) -> Result<()>,
    ) -> Result<()> {
        for node in self.nodes_preorder() {
            let node = node?;
            visit(&node.cid, &node.block, &mut node.values.iter().copied())?;
        }
        Ok(())
    }

    /// The nodes in pre-order, as [`Tree::visit_nodes_preorder`] visits them, from an iterator
    /// that owns a snapshot of the tree (nodes are shared, so that costs a few pointers) and can be
    /// kept between calls: for writing a large CAR a piece at a time.
    pub fn nodes_preorder(&self) -> NodesPreorder {
        NodesPreorder {
            stack: self.root.iter().cloned().collect(),
            empty_root: self.root.is_none(),
        }
    }

    pub(super) fn root_link(&self) -> Option<&Link> {
        self.root.as_ref()
    }

    pub(super) fn set_root_link(&mut self, root: Option<Link>) {
        self.root = root;
    }
}

/// The depth of a key about to enter a tree, after checking the key and the layer limit.
fn checked_depth(key: &[u8]) -> Result<u8> {
    ensure_valid_mst_key(key)?;
    bounded_key_depth(key)
}

fn leaf(layer: u8, key: &[u8], value: Cid) -> Link {
    let entry = TreeEntry {
        key: Shared::from(key),
        value,
        right: None,
    };
    Link::from_node(TreeNode::new(layer, None, vec![entry]))
}

/// Puts a subtree on layer `from` under empty nodes until it hangs from layer `to + 1`.
fn lift(mut link: Option<Link>, from: u8, to: u8) -> Option<Link> {
    let mut layer = from;
    while layer < to {
        layer += 1;
        link = link.map(|child| Link::from_node(TreeNode::new(layer, Some(child), Vec::new())));
    }
    link
}

/// Splits a subtree around `key` (which it must not hold) into the parts before and after it, on
/// the same layer.
fn split(link: &Link, key: &[u8]) -> Result<(Option<Link>, Option<Link>)> {
    let node = link.node()?;
    let position = match node.position(key) {
        Err(position) => position,
        Ok(_) => {
            return Err(Error::new(
                Code::MstWrongLayer,
                format!(
                    "MST node {} holds key {} below the key's own layer",
                    node.cid(),
                    quote_key(key)
                ),
            ))
        }
    };
    let (inner_before, inner_after) = match node.subtree(position) {
        Some(subtree) => split(subtree, key)?,
        None => (None, None),
    };
    let mut before_entries: Vec<TreeEntry> =
        node.entries.get(..position).unwrap_or_default().to_vec();
    let before_left = match before_entries.last_mut() {
        Some(last) => {
            last.right = inner_before;
            node.left.clone()
        }
        None => inner_before,
    };
    let after_entries = node.entries.get(position..).unwrap_or_default().to_vec();
    let before = TreeNode::new(node.layer, before_left, before_entries).into_link();
    let after = TreeNode::new(node.layer, inner_after, after_entries).into_link();
    Ok((before, after))
}

/// Inserts into a node whose layer is at least the key's depth; returns the new node and the
/// previous value.
fn insert_into(
    node: &TreeNode,
    key: &[u8],
    depth: u8,
    value: Cid,
) -> Result<(TreeNode, Option<Cid>)> {
    let position = match node.position(key) {
        Ok(i) => {
            let mut entries = node.entries.clone();
            let previous = entries
                .get_mut(i)
                .map(|entry| std::mem::replace(&mut entry.value, value));
            return Ok((
                TreeNode::new(node.layer, node.left.clone(), entries),
                previous,
            ));
        }
        Err(position) => position,
    };
    if depth == node.layer {
        let (before, after) = match node.subtree(position) {
            Some(subtree) => split(subtree, key)?,
            None => (None, None),
        };
        let (left, mut entries) = node.with_subtree(position, before);
        entries.insert(
            position,
            TreeEntry {
                key: Shared::from(key),
                value,
                right: after,
            },
        );
        return Ok((TreeNode::new(node.layer, left, entries), None));
    }
    let (subtree, previous) = match node.subtree(position) {
        Some(subtree) => {
            let (child, previous) = insert_into(subtree.node()?, key, depth, value)?;
            (Link::from_node(child), previous)
        }
        None => {
            let below = lift(Some(leaf(depth, key, value)), depth, node.layer - 1);
            (below.unwrap_or_else(|| leaf(depth, key, value)), None)
        }
    };
    let (left, entries) = node.with_subtree(position, Some(subtree));
    Ok((TreeNode::new(node.layer, left, entries), previous))
}

/// Removes `key` from the subtree of `node`: `None` if absent, else the replacement subtree
/// (`None` when nothing is left) and the removed value.
fn delete_from(node: &TreeNode, key: &[u8], depth: u8) -> Result<Option<(Option<Link>, Cid)>> {
    if depth > node.layer {
        return Ok(None);
    }
    match node.position(key) {
        Ok(i) => {
            let Some(removed) = node.entries.get(i) else {
                return Ok(None);
            };
            let merged = merge(node.subtree(i), removed.right.as_ref())?;
            let (left, mut entries) = node.with_subtree(i, merged);
            entries.remove(i);
            Ok(Some((
                TreeNode::new(node.layer, left, entries).into_link(),
                removed.value,
            )))
        }
        Err(_) if depth == node.layer => Ok(None),
        Err(position) => {
            let Some(subtree) = node.subtree(position) else {
                return Ok(None);
            };
            let Some((replacement, removed)) = delete_from(subtree.node()?, key, depth)? else {
                return Ok(None);
            };
            let (left, entries) = node.with_subtree(position, replacement);
            Ok(Some((
                TreeNode::new(node.layer, left, entries).into_link(),
                removed,
            )))
        }
    }
}

/// Joins two adjacent subtrees of the same layer (every key of `before` sorts before every key of
/// `after`), merging along their facing edges.
fn merge(before: Option<&Link>, after: Option<&Link>) -> Result<Option<Link>> {
    let (before, after) = match (before, after) {
        (None, other) | (other, None) => return Ok(other.cloned()),
        (Some(before), Some(after)) => (before.node()?, after.node()?),
    };
    let before_edge = before.subtree(before.entries.len());
    let middle = merge(before_edge, after.left.as_ref())?;
    let (left, mut entries) = before.with_subtree(before.entries.len(), middle);
    entries.extend(after.entries.iter().cloned());
    Ok(Some(Link::from_node(TreeNode::new(
        before.layer,
        left,
        entries,
    ))))
}

/// Removes empty nodes from the top of a tree (a root with no entries is replaced by its subtree).
fn trim(mut root: Option<Link>) -> Result<Option<Link>> {
    while let Some(Link::Node(node)) = &root {
        if !node.entries.is_empty() {
            break;
        }
        // The subtree that becomes the root may itself be entry-less and need trimming: a subtree
        // known only by CID must be loaded to tell (a partial tree cannot guess).
        if let Some(Link::Stub(cid)) = &node.left {
            return Err(missing_node(cid));
        }
        root = node.left.clone();
    }
    Ok(root)
}

/// Builds the canonical subtree of `items` (sorted, with their depths) on `layer`.
fn build_layer(items: &[(Shared<[u8]>, u8, Cid)], layer: u8) -> Option<Link> {
    if items.is_empty() {
        return None;
    }
    let below =
        |part: &[(Shared<[u8]>, u8, Cid)]| layer.checked_sub(1).and_then(|l| build_layer(part, l));
    let mut left = None;
    let mut entries: Vec<TreeEntry> = Vec::new();
    let mut start = 0;
    for (i, (key, depth, value)) in items.iter().enumerate() {
        if *depth != layer {
            continue;
        }
        let subtree = below(items.get(start..i).unwrap_or_default());
        match entries.last_mut() {
            Some(last) => last.right = subtree,
            None => left = subtree,
        }
        entries.push(TreeEntry {
            key: key.clone(),
            value: *value,
            right: None,
        });
        start = i + 1;
    }
    let subtree = below(items.get(start..).unwrap_or_default());
    match entries.last_mut() {
        Some(last) => last.right = subtree,
        None => left = subtree,
    }
    TreeNode::new(layer, left, entries).into_link()
}

/// Builds a [`Tree`] from the walk's events.
#[derive(Default)]
struct Loader {
    /// Nodes entered and not yet exited: (CID, layer, left, entries).
    open: Vec<(Cid, u8, Option<Link>, Vec<TreeEntry>)>,
    root: Option<Link>,
}

impl Loader {
    /// Hangs a finished subtree on the open node, at the current position.
    fn attach(&mut self, link: Option<Link>) {
        match self.open.last_mut() {
            None => self.root = link,
            Some((_, _, left, entries)) => match entries.last_mut() {
                Some(last) => last.right = link,
                None => *left = link,
            },
        }
    }
}

impl TreeVisitor for Loader {
    fn missing_node(&mut self, cid: &Cid) -> Result<()> {
        self.attach(Some(Link::Stub(*cid)));
        Ok(())
    }

    fn enter_node(&mut self, cid: &Cid, node: &Node, layer: u8) -> Result<()> {
        self.open
            .push((*cid, layer, None, Vec::with_capacity(node.len())));
        Ok(())
    }

    fn entry(&mut self, key: &[u8], value: &Cid) -> Result<()> {
        if let Some((_, _, _, entries)) = self.open.last_mut() {
            entries.push(TreeEntry {
                key: Shared::from(key),
                value: *value,
                right: None,
            });
        }
        Ok(())
    }

    fn exit_node(&mut self) -> Result<()> {
        if let Some((cid, layer, left, entries)) = self.open.pop() {
            // Its block's CID, so that a root computed after changes elsewhere in the tree never
            // encodes and hashes this node again.
            let node = TreeNode::new(layer, left, entries).with_cid(cid);
            // The empty tree's root is the one node allowed to be empty; it loads as no root.
            self.attach(node.into_link());
        }
        Ok(())
    }
}

/// The nodes of a tree in pre-order (see [`Tree::nodes_preorder`]); yields `missing-block` once
/// and stops at a subtree that is not loaded.
#[derive(Debug)]
pub struct NodesPreorder {
    stack: Vec<Link>,
    /// The tree is empty: its one node is still to come.
    empty_root: bool,
}

/// A node as [`NodesPreorder`] yields it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreorderNode {
    /// The node's CID.
    pub cid: Cid,
    /// Its block.
    pub block: Vec<u8>,
    /// The values of its entries, in order.
    pub values: Vec<Cid>,
}

impl Iterator for NodesPreorder {
    type Item = Result<PreorderNode>;

    fn next(&mut self) -> Option<Self::Item> {
        if std::mem::take(&mut self.empty_root) {
            let empty = TreeNode::empty();
            return Some(Ok(PreorderNode {
                cid: empty.cid(),
                block: empty.encode(),
                values: Vec::new(),
            }));
        }
        let link = self.stack.pop()?;
        let node = match link.node() {
            Ok(node) => node.clone(),
            Err(error) => {
                self.stack.clear();
                return Some(Err(error));
            }
        };
        // Pushed in reverse so the left subtree comes out first.
        for entry in node.entries.iter().rev() {
            self.stack.extend(entry.right.clone());
        }
        self.stack.extend(node.left.clone());
        Some(Ok(PreorderNode {
            cid: node.cid(),
            block: node.encode(),
            values: node.entries.iter().map(|entry| entry.value).collect(),
        }))
    }
}

/// An iterator over a tree's entries in key order (see [`Tree::range`]); yields `missing-block`
/// once and stops if it reaches a subtree that is not loaded.
#[derive(Debug)]
pub struct TreeIter<'t> {
    /// Open nodes and the next item of each (0: left subtree, 2i+1: entry i, 2i+2: after entry i).
    stack: Vec<(&'t TreeNode, usize)>,
    /// Keys from this one on are past the range.
    end: Option<Vec<u8>>,
    failed: Option<Error>,
}

impl<'t> TreeIter<'t> {
    fn new(root: Option<&'t Link>, start: &[u8], end: Option<Vec<u8>>) -> TreeIter<'t> {
        let mut iter = TreeIter {
            stack: Vec::new(),
            end,
            failed: None,
        };
        // Descend towards `start`, leaving each node positioned at the first item not before it.
        let mut link = root;
        while let Some(current) = link {
            let node = match current.node() {
                Ok(node) => node.as_ref(),
                Err(error) => {
                    iter.failed = Some(error);
                    break;
                }
            };
            match node.position(start) {
                Ok(i) => {
                    iter.stack.push((node, 2 * i + 1));
                    break;
                }
                Err(position) => {
                    iter.stack.push((node, 2 * position + 1));
                    link = node.subtree(position);
                }
            }
        }
        iter
    }

    fn is_past_end(&self, key: &[u8]) -> bool {
        self.end.as_deref().is_some_and(|end| key >= end)
    }
}

impl<'t> Iterator for TreeIter<'t> {
    type Item = Result<(&'t [u8], Cid)>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.failed.take() {
            self.stack.clear();
            return Some(Err(error));
        }
        loop {
            let (node, item) = self.stack.last_mut()?;
            let node: &'t TreeNode = node;
            let current = *item;
            *item += 1;
            if current > 2 * node.entries.len() {
                self.stack.pop();
                continue;
            }
            if current % 2 == 1 {
                let entry = node.entries.get(current / 2)?;
                if self.is_past_end(&entry.key) {
                    self.stack.clear();
                    return None;
                }
                return Some(Ok((&entry.key, entry.value)));
            }
            if let Some(link) = node.subtree(current / 2) {
                match link.node() {
                    Ok(child) => self.stack.push((child.as_ref(), 0)),
                    Err(error) => {
                        self.stack.clear();
                        return Some(Err(error));
                    }
                }
            }
        }
    }
}
