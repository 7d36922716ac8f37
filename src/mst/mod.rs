//! The Merkle Search Tree (MST) of atproto repositories: strict node decoding, the verification
//! walk, persistent in-memory trees with insert/delete, diffs and key proofs.
//!
//! An MST maps keys (repository paths, `<collection>/<record key>`) to CIDs. Each key has a
//! *depth*: the number of leading zero bits of its SHA-256, halved (2-bit chunks, fanout 4). A node
//! on *layer* L holds only keys of depth L, sorted, with links to subtrees on layer L−1 between
//! them (`l` before the first key, `t` after each); the root's layer is the greatest depth. The
//! shape is therefore a pure function of the key set, and so is the root CID.
//!
//! The tricky bits:
//! - **Every canonical rule is checked**, because a tree that breaks one still hashes fine and
//!   other implementations accept it (atproto#5429): every key on its node's layer
//!   (`mst-wrong-layer`), sorted and unique within a node (`mst-unsorted-keys`,
//!   `mst-duplicate-key`), each prefix length `p` exactly the common prefix with the previous key
//!   (`mst-non-optimal-prefix`: the compression is mandatory, so a shorter `p` is a different,
//!   non-canonical encoding of the same keys), every subtree key strictly between its neighbours
//!   (`mst-range-violation`), subtrees exactly one layer down, MST→MST links DRISL CIDs
//!   (`mst-invalid-link`), keys of the repository-path shape (`mst-invalid-key`).
//! - **Empty nodes.** The empty tree is one node with no entries. Otherwise the top must not be
//!   an empty node that only points down (`mst-empty-top-node`), and no node may be empty without
//!   a subtree (`mst-empty-node`); an empty node *with* a subtree is required wherever keys sit
//!   two or more layers below their parent, so that links never skip a layer.
//! - **Layers are checked in batches.** Below the root a node's layer is its parent's minus one,
//!   so the walk does not need a node's key depths to go on: it queues the keys and hashes them
//!   128 at a time across nodes (four SHA-256 lanes stay busy; a node has 3-4 keys), running
//!   the queue before it returns any error so that a wrong layer is still reported first.
//! - **Ranges are checked in one pass**: the walk visits keys in order across all nodes, so each
//!   key must sort strictly after the previous one; within a node that is the node's own order,
//!   across nodes it is exactly the range rule.
//! - **Node decoding goes straight from the DRISL bytes** through the strict cursor into a
//!   reusable scratch [`Node`] (keys rebuilt into one buffer): no generic value tree. Map keys
//!   sort `e` before `l`, so the left link is read last.
//! - **Partial trees.** A [`Tree`] may hold subtrees known only by CID (a proof or a firehose
//!   diff carries only some nodes). Anything that needs such a subtree fails with
//!   `missing-block` naming its CID, and leaves the tree unchanged: trees are persistent
//!   (copy-on-write nodes behind a shared pointer), so an operation builds a new root and swaps it in only on
//!   success, and keeping the old tree costs one clone of a pointer.
//! - **Insert** may split the subtree where the key lands (into the parts before and after it),
//!   and a key above the root's layer grows new layers. **Delete** merges the two subtrees around
//!   the removed key (recursively along their facing edges) and trims empty nodes off the top.
//! - **Proofs**: the nodes from the root down to where a key is or would be prove its presence or
//!   absence; a key's depth says which node must hold it, so no neighbour is needed.
//! - **Limits**: at most [`MAX_NODE_ENTRIES`] entries per node and [`MAX_LAYER`] layers, both far
//!   beyond honest trees (a node averages 3 entries; a layer is a factor of 4 in size) and there
//!   because record keys can be mined to make degenerate shapes.

mod diff;
mod lazy;
mod node;
mod tree;
mod walk;

pub(crate) use diff::created_nodes;
pub use diff::{diff, RecordOp, TreeDiff};
pub use node::{Node, NodeEntry};
pub use tree::{KeyProof, NodesPreorder, PreorderNode, Tree, TreeIter};
pub use walk::walk_entries;
pub(crate) use walk::{walk_tree, TreeVisitor};

use std::fmt::Write as _;

use crate::cid::sha256;
use crate::error::{Code, Error, Result};

/// Most entries one node may hold (a node averages 3; more than about 60 in an honest tree of
/// millions of keys is improbable beyond any practical doubt).
pub const MAX_NODE_ENTRIES: usize = 4096;
/// Highest layer a tree may reach (a key of depth 32 needs 64 leading zero bits; honest trees of
/// millions of keys stay below layer 15).
pub const MAX_LAYER: u8 = 32;
/// Longest key, in bytes (an NSID is at most 317 bytes, a record key 512).
pub const MAX_KEY_LEN: usize = 1024;

/// The depth of `key`: leading zero bits of its SHA-256, divided by two.
///
/// ```
/// use atproof::mst::key_depth;
/// assert_eq!(key_depth(b"blue"), 1);
/// assert_eq!(key_depth(b"app.bsky.feed.post/9adeb165882c"), 8);
/// ```
pub fn key_depth(key: &[u8]) -> u8 {
    depth_of_digest(&sha256(key))
}

/// The depth of a key whose SHA-256 is `digest`: its leading zero bits, halved.
pub(crate) fn depth_of_digest(digest: &[u8; 32]) -> u8 {
    let mut zeros = 0u32;
    for chunk in digest.chunks_exact(8) {
        let word = u64::from_be_bytes(chunk.try_into().unwrap_or_default());
        zeros += word.leading_zeros();
        if word != 0 {
            break;
        }
    }
    (zeros / 2) as u8
}

/// [`key_depth`], refused with `limit-exceeded` beyond [`MAX_LAYER`].
pub(crate) fn bounded_key_depth(key: &[u8]) -> Result<u8> {
    ensure_depth_bound(key, key_depth(key))
}

/// Refuses `depth` of `key` with `limit-exceeded` beyond [`MAX_LAYER`].
pub(crate) fn ensure_depth_bound(key: &[u8], depth: u8) -> Result<u8> {
    if depth > MAX_LAYER {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "MST key {} has depth {depth}, beyond the limit of {MAX_LAYER} layers",
                quote_key(key)
            ),
        ));
    }
    Ok(depth)
}

/// The length of the common prefix of `a` and `b`, in bytes (compared eight at a time).
pub fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let mut shared = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let word = |bytes: &[u8]| bytes.first_chunk().map_or(0, |w| u64::from_le_bytes(*w));
        let different = word(x) ^ word(y);
        if different != 0 {
            return shared + different.trailing_zeros() as usize / 8;
        }
        shared += 8;
    }
    let (a, b) = (
        a.get(shared..).unwrap_or_default(),
        b.get(shared..).unwrap_or_default(),
    );
    shared + a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// How `a` sorts against `b` bytewise, and their common prefix length: one pass for both (wasm's
/// `memcmp` goes a byte at a time, and the MST rules want the prefix anyway).
pub(crate) fn compare_keys(a: &[u8], b: &[u8]) -> (std::cmp::Ordering, usize) {
    let shared = common_prefix_len(a, b);
    (a.get(shared).cmp(&b.get(shared)), shared)
}

/// What each byte is in an MST key: 0 not allowed, 1 allowed (`A-Za-z0-9.-_:~`), 2 the `/`; one
/// table load per byte, and one pass finds both the bad bytes and the slashes.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: a bad index fails the build
const KEY_BYTES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'~') {
            table[b] = 1;
        }
        b += 1;
    }
    table[b'/' as usize] = 2;
    table
};

/// Checks the shape every MST key must have: 1 to [`MAX_KEY_LEN`] bytes of `A-Za-z0-9.-_:~` and
/// exactly one `/`, between two non-empty segments (`mst-invalid-key`).
///
/// This is the structural rule of the tree; a repository also needs the first segment to be an
/// NSID and the second a record key, which [`crate::repo::ensure_valid_repo_path`] checks.
pub fn ensure_valid_mst_key(key: &[u8]) -> Result<()> {
    let invalid = |why: &str| {
        Err(Error::new(
            Code::MstInvalidKey,
            format!("MST key {}: {why}", quote_key(key)),
        ))
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return invalid("must be 1 to 1024 bytes");
    }
    // Every byte allowed (a zero anywhere zeroes `all`), and where the slashes are.
    let (mut all, mut slashes, mut slash) = (1, 0, 0);
    for (i, &b) in key.iter().enumerate() {
        let class = KEY_BYTES.get(usize::from(b)).copied().unwrap_or(0);
        all &= class.min(1);
        if class == 2 {
            slashes += 1;
            slash = i;
        }
    }
    if all == 0 {
        return invalid("has a character outside [A-Za-z0-9.-_:~/]");
    }
    match slashes {
        0 => invalid("has no '/' (a key is <collection>/<record key>)"),
        1 if slash > 0 && slash + 1 < key.len() => Ok(()),
        1 => invalid("has an empty segment"),
        _ => invalid("has more than one '/'"),
    }
}

/// A key for messages: quoted text when it is printable ASCII (see `syntax::quote`), else hex of
/// at most 80 bytes.
pub(crate) fn quote_key(key: &[u8]) -> String {
    const MAX: usize = 80;
    if key.iter().all(|b| b.is_ascii_graphic()) {
        if let Ok(text) = std::str::from_utf8(key) {
            return crate::syntax::quote(text);
        }
    }
    let shown = key.get(..MAX).unwrap_or(key);
    // Two digits a byte by a plain loop: a `format!` per byte collected into a `String` made
    // this cold path several times larger in the wasm.
    let mut text = String::with_capacity(2 + 2 * shown.len());
    text.push_str("0x");
    for &byte in shown {
        for digit in [byte >> 4, byte & 0xf] {
            text.push(char::from_digit(u32::from(digit), 16).unwrap_or('0'));
        }
    }
    if key.len() > MAX {
        let _ = write!(text, "… ({} bytes)", key.len());
    }
    text
}

/// The `missing-block` error for an MST node that is not available.
// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size").
#[cold]
#[inline(never)]
pub fn missing_node(cid: &crate::cid::Cid) -> Error {
    Error::new(
        Code::MissingBlock,
        format!("MST node {cid} is not available"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_once_and_shortened_once() {
        assert_eq!(
            quote_key(b"app.bsky.feed.post/3k"),
            "\"app.bsky.feed.post/3k\""
        );
        let long = format!("app.bsky.feed.post/{}", "a".repeat(100));
        assert_eq!(
            quote_key(long.as_bytes()),
            format!("\"{}\"… (119 bytes)", long.get(..64).unwrap_or_default())
        );
        assert_eq!(quote_key(b"a b\xff"), "0x612062ff"); // not printable ASCII: hex
        assert_eq!(
            quote_key(&[0u8; 81]),
            format!("0x{}… (81 bytes)", "00".repeat(80))
        );
    }

    #[test]
    fn prefixes_and_order_match_the_byte_by_byte_answers() {
        // Every pair of strings of lengths 0..=20 over a small alphabet that differ at one
        // position (or not at all), across the eight-byte words.
        let base: Vec<u8> = (0..20u8).map(|i| b'a' + i % 3).collect();
        for a_len in 0..=20 {
            for b_len in 0..=20 {
                for change in 0..=b_len {
                    let a = &base[..a_len];
                    let mut b = base[..b_len].to_vec();
                    if let Some(byte) = b.get_mut(change) {
                        *byte = if change % 2 == 0 { b'Z' } else { b'z' };
                    }
                    let naive = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
                    assert_eq!(common_prefix_len(a, &b), naive, "{a:?} {b:?}");
                    assert_eq!(compare_keys(a, &b), (a.cmp(&b[..]), naive), "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn key_depths_of_the_spec_examples() {
        assert_eq!(key_depth(b"2653ae71"), 0);
        assert_eq!(key_depth(b"blue"), 1);
        assert_eq!(key_depth(b"app.bsky.feed.post/454397e440ec"), 4);
        assert_eq!(key_depth(b"app.bsky.feed.post/9adeb165882c"), 8);
    }

    #[test]
    fn key_shapes() {
        for good in ["a/b", "app.bsky.feed.post/3k2a", "k/00", "x:y/~z_-."] {
            assert!(ensure_valid_mst_key(good.as_bytes()).is_ok(), "{good}");
        }
        for bad in ["", "a", "/b", "a/", "a/b/c", "a b/c", "a/é"] {
            let err = ensure_valid_mst_key(bad.as_bytes()).unwrap_err();
            assert_eq!(err.code(), Code::MstInvalidKey, "{bad}");
        }
        assert!(ensure_valid_mst_key(&[b'a'; 1025]).is_err());
    }
}
