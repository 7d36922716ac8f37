//! One MST node: strict decoding from DRISL bytes, and the canonical encoding.

use std::cmp::Ordering;

use super::{
    common_prefix_len, compare_keys, depth_of_digest, ensure_depth_bound, ensure_valid_mst_key,
    quote_key, MAX_NODE_ENTRIES,
};
use crate::cbor::{canonical_link_content, Decoder, Encoder, Limits, CANONICAL_LINK_CONTENT_LEN};
use crate::cid::{Cid, Codec};
use crate::error::{Code, Error, Result};
use crate::support::short_copy;
use crate::syntax::quote;

/// A decoded MST node: the left link and the entries, with every key rebuilt in full.
///
/// [`Node::decode`] checks every rule that concerns one node alone (see the
/// [module docs](super)); the rules between nodes (layers, ranges, empty nodes) belong to the
/// walk. The node owns its buffers, so one `Node` can be reused for many blocks with
/// [`Node::decode_from`] without allocating again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    left: Option<Cid>,
    /// Every full key, one after the other.
    keys: Vec<u8>,
    entries: Vec<Slot>,
    layer: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    key_start: usize,
    key_end: usize,
    value: Cid,
    right: Option<Cid>,
}

/// One entry of a [`Node`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEntry<'a> {
    /// The full key.
    pub key: &'a [u8],
    /// The value: the record's CID.
    pub value: Cid,
    /// The subtree of keys between this key and the next (`t`).
    pub right: Option<Cid>,
}

/// Limits for decoding one node: nodes are small, the entry limit is checked separately.
const NODE_LIMITS: Limits = Limits::FRAME;

/// Shape errors: the node is not `{e: [{k, p, t, v}…], l}`.
fn invalid(why: impl std::fmt::Display) -> Error {
    Error::new(Code::MstInvalid, why.to_string())
}

/// Reads the next map key and checks it is `expected` (canonical order is the decoder's job).
fn expect_key(decoder: &mut Decoder<'_>, previous: Option<&str>, expected: &str) -> Result<()> {
    // The fields are read in canonical order, so the key that is exactly `expected` is valid.
    if decoder.read_expected_key(expected) {
        return Ok(());
    }
    // Only a node that breaks a rule gets here: the shared out-of-line key reader, not an
    // inlined copy of it, names the rule.
    let at = decoder.position();
    let key = decoder.next_key(previous)?;
    if key == expected {
        Ok(())
    } else {
        Err(invalid(format_args!(
            "field {} at byte {at} where {} belongs (fields are exactly e, l and k, p, t, v)",
            quote(key),
            quote(expected)
        )))
    }
}

/// Checks that an MST→MST link is a DRISL CID.
fn check_tree_link(link: Option<Cid>, field: &str, entry: Option<usize>) -> Result<Option<Cid>> {
    match link {
        Some(cid) if cid.codec() != Codec::Drisl => {
            let place = entry.map_or_else(String::new, |i| format!(" of entry {i}"));
            Err(Error::new(
                Code::MstInvalidLink,
                format!(
                    "link `{field}`{place} to {cid} is not a DRISL CID (MST nodes must be 0x71)"
                ),
            ))
        }
        link => Ok(link),
    }
}

/// An entry in the one layout canonical entries of real trees have — `{k, p, t, v}` with a byte
/// string shorter than 256 bytes, a prefix length below 256, `t` null or a link, `v` a link — read
/// straight from the bytes. Anything else, valid or not, is left to the decoder, field by field, to
/// the same values or to its precise error.
struct CanonicalEntry<'a> {
    suffix: &'a [u8],
    prefix: i64,
    /// Where the prefix length is, from the entry's start.
    prefix_offset: usize,
    right: Option<Cid>,
    value: Cid,
    /// The bytes the entry spans.
    len: usize,
}

impl<'a> CanonicalEntry<'a> {
    fn read(bytes: &'a [u8]) -> Option<Self> {
        let mut rest = bytes;
        // a4: a map of four; 61 6b: "k"; a byte string (1-byte head, or 0x58 and a length >= 24).
        if take(&mut rest, 3)? != [0xa4, 0x61, b'k'] {
            return None;
        }
        let suffix_len = match *take(&mut rest, 1)?.first()? {
            head @ 0x40..=0x57 => head - 0x40,
            0x58 => match *take(&mut rest, 1)?.first()? {
                len @ 24.. => len,
                _ => return None,
            },
            _ => return None,
        };
        let suffix = take(&mut rest, usize::from(suffix_len))?;
        // 61 70: "p"; an unsigned integer (1-byte head, or 0x18 and a value >= 24).
        if take(&mut rest, 2)? != [0x61, b'p'] {
            return None;
        }
        let prefix_offset = bytes.len() - rest.len();
        let prefix = match *take(&mut rest, 1)?.first()? {
            small @ 0x00..=0x17 => small,
            0x18 => match *take(&mut rest, 1)?.first()? {
                value @ 24.. => value,
                _ => return None,
            },
            _ => return None,
        };
        // 61 74: "t"; null or a link. 61 76: "v"; a link.
        if take(&mut rest, 2)? != [0x61, b't'] {
            return None;
        }
        let right = match *take(&mut rest, 1)?.first()? {
            0xf6 => None,
            0xd8 => Some(link_after_tag_head(&mut rest)?),
            _ => return None,
        };
        if take(&mut rest, 3)? != [0x61, b'v', 0xd8] {
            return None;
        }
        let value = link_after_tag_head(&mut rest)?;
        Some(CanonicalEntry {
            suffix,
            prefix: i64::from(prefix),
            prefix_offset,
            right,
            value,
            len: bytes.len() - rest.len(),
        })
    }
}

/// The first `n` bytes of `rest`, which moves past them.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = rest.split_at_checked(n)?;
    *rest = tail;
    Some(head)
}

/// A CID link after its first byte (0xd8): 0x2a (tag 42), then the link content in its one shape.
fn link_after_tag_head(rest: &mut &[u8]) -> Option<Cid> {
    if take(rest, 1)? != [0x2a] {
        return None;
    }
    canonical_link_content(take(rest, CANONICAL_LINK_CONTENT_LEN))
}

impl Node {
    /// Decodes and checks one node.
    ///
    /// ```
    /// use atproof::mst::Node;
    /// let empty = [0xa2, 0x61, b'e', 0x80, 0x61, b'l', 0xf6]; // {e: [], l: null}
    /// let node = Node::decode(&empty)?;
    /// assert!(node.is_empty() && node.left().is_none());
    /// assert_eq!(node.encode(), empty);
    /// # Ok::<(), atproof::Error>(())
    /// ```
    pub fn decode(block: &[u8]) -> Result<Node> {
        let mut node = Node::default();
        node.decode_from(block)?;
        Ok(node)
    }

    /// Decodes `block` into this node, reusing its buffers. On error the node's content is
    /// unspecified (but valid to reuse).
    pub fn decode_from(&mut self, block: &[u8]) -> Result<()> {
        self.read(block).map_err(|e| e.context("MST node"))
    }

    /// [`Node::decode_from`] for the block of `cid`, which error messages name.
    pub(crate) fn decode_block(&mut self, block: &[u8], cid: &Cid) -> Result<()> {
        self.read(block)
            .map_err(|e| e.context(format_args!("MST node {cid}")))
    }

    /// [`Node::decode_block`] for a node whose layer its parent gives: every rule but the layer of
    /// the keys, which the caller checks later (see the walk's `LayerChecks`).
    pub(crate) fn decode_block_on_layer(
        &mut self,
        block: &[u8],
        cid: &Cid,
        layer: u8,
    ) -> Result<()> {
        self.read_entries(block)
            .map_err(|e| e.context(format_args!("MST node {cid}")))?;
        self.layer = layer;
        Ok(())
    }

    fn read(&mut self, block: &[u8]) -> Result<()> {
        self.read_entries(block)?;
        self.check_layer()
    }

    fn read_entries(&mut self, block: &[u8]) -> Result<()> {
        self.left = None;
        self.keys.clear();
        self.entries.clear();
        self.layer = 0;
        let mut decoder = Decoder::with_limits(block, NODE_LIMITS)?;
        if decoder.read_map_header()? != 2 {
            return Err(invalid("must be a map of exactly two fields, e and l"));
        }
        expect_key(&mut decoder, None, "e")?;
        let count = decoder.read_array_header()?;
        if count > MAX_NODE_ENTRIES {
            return Err(Error::new(
                Code::LimitExceeded,
                format!("{count} entries exceed the limit of {MAX_NODE_ENTRIES}"),
            ));
        }
        self.entries.reserve(count);
        // The full keys usually take less room than the block (each entry carries two CIDs): one
        // reservation instead of growing key by key in a fresh node. Only a hint: if memory cannot
        // give that much, the keys grow as they come (and fail where they truly need it).
        let _ = self.keys.try_reserve(block.len());
        for index in 0..count {
            self.decode_entry(&mut decoder, index)?;
        }
        expect_key(&mut decoder, Some("e"), "l")?;
        self.left = check_tree_link(decoder.read_null_or_link()?, "l", None)?;
        decoder.finish()
    }

    /// Checks that every key has the depth of the first (the node's layer), hashing the keys a
    /// batch at a time: four SHA-256 run at once in wasm (see [`crate::cid::sha256_many`]), and a node
    /// holds a few keys, each one block long.
    fn check_layer(&mut self) -> Result<()> {
        const BATCH: usize = 16;
        let mut digests = [[0u8; 32]; BATCH];
        for (batch, slots) in self.entries.chunks(BATCH).enumerate() {
            let mut keys: [&[u8]; BATCH] = [&[]; BATCH];
            for (key, slot) in keys.iter_mut().zip(slots) {
                *key = self
                    .keys
                    .get(slot.key_start..slot.key_end)
                    .unwrap_or_default();
            }
            let keys = keys.get(..slots.len()).unwrap_or_default();
            crate::cid::sha256_many(keys, &mut digests);
            for (offset, (key, digest)) in keys.iter().zip(&digests).enumerate() {
                let index = batch * BATCH + offset;
                let depth = ensure_depth_bound(key, depth_of_digest(digest))?;
                if index == 0 {
                    self.layer = depth;
                } else if depth != self.layer {
                    return Err(Error::new(
                        Code::MstWrongLayer,
                        format!(
                            "key {} of entry {index} has depth {depth}, but the node's first key puts it on layer {}",
                            quote_key(key),
                            self.layer
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn decode_entry(&mut self, decoder: &mut Decoder<'_>, index: usize) -> Result<()> {
        let at = decoder.position();
        let (suffix, prefix_at, prefix, right, value) = match CanonicalEntry::read(
            decoder.input().get(at..).unwrap_or_default(),
        ) {
            Some(entry) => {
                decoder.skip_checked_item(entry.len);
                (
                    entry.suffix,
                    at + entry.prefix_offset,
                    entry.prefix,
                    entry.right,
                    entry.value,
                )
            }
            None => {
                if decoder.read_map_header()? != 4 {
                    return Err(invalid(format_args!(
                            "entry {index} at byte {at} must be a map of exactly four fields, k, p, t and v"
                        )));
                }
                expect_key(decoder, None, "k")?;
                let suffix = decoder.read_bytes()?;
                expect_key(decoder, Some("k"), "p")?;
                let prefix_at = decoder.position();
                let prefix = decoder.read_int()?;
                expect_key(decoder, Some("p"), "t")?;
                let right = decoder.read_null_or_link()?;
                expect_key(decoder, Some("t"), "v")?;
                (suffix, prefix_at, prefix, right, decoder.read_link()?)
            }
        };
        let right = check_tree_link(right, "t", Some(index))?;

        // Rebuild the key: the first `prefix` bytes of the previous key, then the suffix.
        let previous = self
            .entries
            .last()
            .map(|slot| (slot.key_start, slot.key_end));
        let (previous_start, previous_end) = previous.unwrap_or((0, 0));
        let previous_len = previous_end - previous_start;
        if index == 0 && prefix != 0 {
            return Err(Error::new(
                Code::MstNonOptimalPrefix,
                format!(
                    "the first entry has prefix length {prefix} at byte {prefix_at}; it must be 0"
                ),
            ));
        }
        let prefix = usize::try_from(prefix)
            .ok()
            .filter(|&p| p <= previous_len)
            .ok_or_else(|| {
                invalid(format_args!(
                    "entry {index}: prefix length {prefix} at byte {prefix_at} is not between 0 and the previous key's length {previous_len}"
                ))
            })?;
        let key_start = self.keys.len();
        short_copy::extend_within(&mut self.keys, previous_start..previous_start + prefix);
        short_copy::extend(&mut self.keys, suffix);
        let key_end = self.keys.len();
        let key = self.keys.get(key_start..key_end).unwrap_or_default();
        ensure_valid_mst_key(key).map_err(|e| e.context(format_args!("entry {index}")))?;

        if index > 0 {
            let previous_key = self
                .keys
                .get(previous_start..previous_end)
                .unwrap_or_default();
            let (order, shared) = compare_keys(previous_key, key);
            match order {
                Ordering::Less => {}
                Ordering::Equal => {
                    return Err(Error::new(
                        Code::MstDuplicateKey,
                        format!("entry {index} repeats key {}", quote_key(key)),
                    ))
                }
                Ordering::Greater => {
                    return Err(Error::new(
                        Code::MstUnsortedKeys,
                        format!(
                            "entry {index} key {} sorts before the previous key {}",
                            quote_key(key),
                            quote_key(previous_key)
                        ),
                    ))
                }
            }
            if shared != prefix {
                return Err(Error::new(
                    Code::MstNonOptimalPrefix,
                    format!(
                        "entry {index} key {} has prefix length {prefix}, but shares {shared} bytes with the previous key (the compression is mandatory)",
                        quote_key(key)
                    ),
                ));
            }
        }

        self.entries.push(Slot {
            key_start,
            key_end,
            value,
            right,
        });
        Ok(())
    }

    /// The left link (`l`): the subtree of keys before the first entry.
    pub fn left(&self) -> Option<Cid> {
        self.left
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the node has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The layer of the node's keys, `None` for a node without entries (whose layer only its
    /// parent can tell).
    pub fn layer(&self) -> Option<u8> {
        (!self.entries.is_empty()).then_some(self.layer)
    }

    /// The entry at `index`.
    #[inline]
    pub fn entry(&self, index: usize) -> Option<NodeEntry<'_>> {
        self.entries.get(index).map(|slot| self.view(slot))
    }

    /// The entries, in key order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = NodeEntry<'_>> + '_ {
        self.entries.iter().map(|slot| self.view(slot))
    }

    #[inline]
    fn view(&self, slot: &Slot) -> NodeEntry<'_> {
        NodeEntry {
            key: self
                .keys
                .get(slot.key_start..slot.key_end)
                .unwrap_or_default(),
            value: slot.value,
            right: slot.right,
        }
    }

    /// The canonical encoding (equal to the decoded bytes, since decoding accepts only that).
    pub fn encode(&self) -> Vec<u8> {
        encode_node(
            self.left.as_ref(),
            self.entries()
                .map(|entry| (entry.key, entry.value, entry.right)),
        )
    }
}

/// The canonical DRISL encoding of an MST node: `{e: [{k, p, t, v}…], l}` with each key
/// compressed against the previous one.
pub(crate) fn encode_node<'k>(
    left: Option<&Cid>,
    entries: impl ExactSizeIterator<Item = (&'k [u8], Cid, Option<Cid>)>,
) -> Vec<u8> {
    // An entry is about 90 bytes besides its key's suffix (two links, four one-letter keys):
    // room for that and a 38-byte suffix, so that the buffer is not regrown as it fills.
    let mut encoder = Encoder::with_capacity(48 + entries.len() * 128);
    encoder.write_map_header(2);
    encoder.write_str("e");
    encoder.write_array_header(entries.len());
    let mut previous: &[u8] = &[];
    for (key, value, right) in entries {
        let prefix = common_prefix_len(previous, key);
        encoder.write_map_header(4);
        encoder.write_str("k");
        encoder.write_bytes(key.get(prefix..).unwrap_or_default());
        encoder.write_str("p");
        encoder.write_int(prefix as i64);
        encoder.write_str("t");
        write_optional_link(&mut encoder, right.as_ref());
        encoder.write_str("v");
        encoder.write_link(&value);
        previous = key;
    }
    encoder.write_str("l");
    write_optional_link(&mut encoder, left);
    encoder.into_bytes()
}

fn write_optional_link(encoder: &mut Encoder, link: Option<&Cid>) {
    match link {
        Some(cid) => encoder.write_link(cid),
        None => encoder.write_null(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code

    use super::{encode_node, CanonicalEntry, Node};
    use crate::cid::{Cid, Codec};
    use crate::error::Code;

    /// `base` and one more character from `chars`, chosen so that the key is on layer 0.
    fn on_layer_0(base: &str, chars: std::ops::RangeInclusive<char>) -> String {
        chars
            .map(|c| format!("{base}{c}"))
            .find(|k| crate::mst::key_depth(k.as_bytes()) == 0)
            .unwrap()
    }

    /// Two keys whose suffixes and shared prefix sit on both sides of the one-byte CBOR heads
    /// (23/24) and of the fast path's bounds (255/256), with `t` null and set and `v` of both
    /// codecs: read the fast way or field by field, the node is the same, and encodes back.
    #[test]
    fn fast_and_field_by_field_reading_agree() {
        for (shared, suffix) in [
            (0, 1),
            (0, 21),
            (0, 22),
            (0, 253),
            (0, 254),
            (21, 1),
            (22, 1),
            (253, 1),
            (254, 1),
        ] {
            let x = "x".repeat(shared);
            let first = on_layer_0(&format!("a/{x}{}", "x".repeat(suffix - 1)), 'a'..='m');
            let second = on_layer_0(&format!("a/{x}{}", "y".repeat(suffix - 1)), 'n'..='z');
            for (t, codec) in [
                (None, Codec::Drisl),
                (Some(Cid::for_drisl(b"t")), Codec::Raw),
            ] {
                let value = Cid::new(codec, [7; 32]);
                let keys = [first.as_bytes(), second.as_bytes()];
                let block = encode_node(None, keys.iter().map(|k| (*k, value, t)));
                let node = Node::decode(&block).unwrap();
                let entries: Vec<_> = node.entries().map(|e| (e.key, e.value, e.right)).collect();
                assert_eq!(entries, [(keys[0], value, t), (keys[1], value, t)]);
                assert_eq!(node.encode(), block);
            }
        }
    }

    #[test]
    fn fast_path_takes_only_the_canonical_layout() {
        let v = Cid::for_drisl(b"v");
        let block = encode_node(None, [(&b"a/b"[..], v, None)].into_iter());
        let entry = &block[4..block.len() - 3]; // after a2 61 65 81, before 61 6c f6
        let read = CanonicalEntry::read(entry).unwrap();
        assert_eq!(
            (read.suffix, read.prefix, read.right, read.value, read.len),
            (&b"a/b"[..], 0, None, v, entry.len())
        );
        // A length in two bytes where one would do: left to the decoder, which names the rule.
        let mut long_head = entry.to_vec();
        long_head.splice(3..4, [0x58, 0x03]);
        assert!(CanonicalEntry::read(&long_head).is_none());
        let mut node_block = block[..4].to_vec();
        node_block.extend_from_slice(&long_head);
        node_block.extend_from_slice(&[0x61, b'l', 0xf6]);
        assert_eq!(
            Node::decode(&node_block).unwrap_err().code(),
            Code::NonCanonicalCbor
        );
    }
}
