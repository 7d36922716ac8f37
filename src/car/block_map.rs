//! Blocks indexed by CID, and the trait the MST and repository code read blocks through.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use crate::cid::Cid;
use crate::keyed_hash::{KeyedHashBuilder, KeyedHashMap, KeyedHashSet};
use crate::support::memory::out_of_memory;
use crate::Result;

/// Where verification code finds blocks by CID: a CAR's [`BlockMap`], or any map of owned blocks.
/// The code takes each block to be the one its CID names and never hashes it again (a loaded MST
/// node keeps its CID as given): a source filled from outside checks the hashes first, as the
/// CAR reader does.
pub trait BlockSource {
    /// The block stored under `cid`, if present.
    fn block(&self, cid: &Cid) -> Option<&[u8]>;

    /// The block of the MST node `cid` on `layer`, as a tree walk asks for it: a source that
    /// knows the order of its blocks may use the layer to guess where it is.
    fn node_block(&self, cid: &Cid, layer: u8) -> Option<&[u8]> {
        let _ = layer;
        self.block(cid)
    }
}

impl<S: BuildHasher> BlockSource for HashMap<Cid, Vec<u8>, S> {
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.get(cid).map(Vec::as_slice)
    }
}

impl BlockSource for BTreeMap<Cid, Vec<u8>> {
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.get(cid).map(Vec::as_slice)
    }
}

/// A set of CIDs with the keyed hash.
pub type CidSet = KeyedHashSet<Cid>;

/// Blocks borrowed from an input buffer, indexed by CID for O(1) lookup.
///
/// [`read_car`](super::read_car) fills it with hash-checked blocks; [`BlockMap::insert`] lets other
/// code index blocks of its own (and takes them as given: it hashes nothing).
#[derive(Clone, Debug, Default)]
pub struct BlockMap<'a> {
    blocks: KeyedHashMap<Cid, &'a [u8]>,
}

impl<'a> BlockMap<'a> {
    /// An empty map.
    pub fn new() -> Self {
        BlockMap::default()
    }

    /// An empty map with room for `capacity` blocks.
    pub fn with_capacity(capacity: usize) -> Self {
        BlockMap {
            blocks: HashMap::with_capacity_and_hasher(capacity, KeyedHashBuilder::default()),
        }
    }

    /// [`with_capacity`](Self::with_capacity), or `limit-exceeded` if the memory cannot be had
    /// (`capacity` comes from the input).
    pub fn try_with_capacity(capacity: usize) -> Result<Self> {
        let mut blocks = KeyedHashMap::default();
        blocks
            .try_reserve(capacity)
            .map_err(|_| out_of_memory(capacity.saturating_mul(size_of::<(Cid, &[u8])>())))?;
        Ok(BlockMap { blocks })
    }

    /// Stores `block` under `cid`, keeping the first block if the CID is already present.
    pub fn insert(&mut self, cid: Cid, block: &'a [u8]) {
        self.blocks.entry(cid).or_insert(block);
    }

    /// The block stored under `cid`.
    #[inline]
    pub fn get(&self, cid: &Cid) -> Option<&'a [u8]> {
        self.blocks.get(cid).copied()
    }

    /// Whether a block is stored under `cid`.
    pub fn contains(&self, cid: &Cid) -> bool {
        self.blocks.contains_key(cid)
    }

    /// The number of distinct blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether the map holds no block.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Every block with its CID, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Cid, &'a [u8])> + '_ {
        self.blocks.iter().map(|(cid, block)| (*cid, *block))
    }
}

impl BlockSource for BlockMap<'_> {
    #[inline]
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.get(cid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_block() {
        let cid = Cid::for_drisl(&[0xa0]);
        let mut map = BlockMap::new();
        map.insert(cid, &[0xa0]);
        map.insert(cid, &[0xa1]);
        assert_eq!(map.get(&cid), Some(&[0xa0][..]));
        assert_eq!(map.len(), 1);
        assert!(map.contains(&cid) && !map.is_empty());
        assert_eq!(map.block(&cid), Some(&[0xa0][..]));
    }
}
