//! Blocks indexed by CID, and the trait the MST and repository code read blocks through.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use crate::cid::Cid;

/// Where verification code finds blocks by CID: a CAR's [`BlockMap`], or any map of owned blocks.
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

/// The `BuildHasher` of CID-keyed maps and sets: a keyed folded multiply over the digest.
///
/// A CID is a SHA-256 digest, so its bytes are already uniformly spread, and a cheap mix is enough
/// for an even spread. The mix is keyed with a secret drawn once per process from the secure random
/// source, so a hostile CAR cannot grind block contents into one bucket of the table (HashDoS):
/// without the key, which digests collide in the table is unpredictable.
#[derive(Clone, Copy, Debug)]
pub struct CidHashBuilder {
    key: [u64; 2],
}

impl Default for CidHashBuilder {
    fn default() -> Self {
        CidHashBuilder {
            key: *process_hash_key(),
        }
    }
}

/// The per-process hash key. If the random source fails (it does not on any supported host), a
/// fixed key keeps everything working, with only the HashDoS protection lost.
fn process_hash_key() -> &'static [u64; 2] {
    static KEY: OnceLock<[u64; 2]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            bytes = *b"atproof-cid-hash";
        }
        let (low, high) = bytes.split_at(8);
        [
            u64::from_le_bytes(low.try_into().unwrap_or_default()),
            u64::from_le_bytes(high.try_into().unwrap_or_default()) | 1,
        ]
    })
}

impl BuildHasher for CidHashBuilder {
    type Hasher = CidHasher;

    fn build_hasher(&self) -> CidHasher {
        CidHasher {
            state: self.key[0],
            multiplier: self.key[1],
        }
    }
}

/// The hasher made by [`CidHashBuilder`].
#[derive(Clone, Copy, Debug)]
pub struct CidHasher {
    state: u64,
    multiplier: u64,
}

impl CidHasher {
    /// One keyed multiply-rotate step. 64-bit only: WebAssembly has no 64×64→128 multiply, and
    /// the emulated one (`__multi3`) cost more than the rest of the hash.
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(self.multiplier).rotate_left(29);
    }
}

impl Hasher for CidHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.mix(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let mut tail = [0u8; 8];
        let rest = words.remainder();
        if !rest.is_empty() {
            if let Some(slot) = tail.get_mut(..rest.len()) {
                slot.copy_from_slice(rest);
            }
            self.mix(u64::from_le_bytes(tail) ^ (rest.len() as u64) << 56);
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.mix(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.mix(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.mix(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown takes its bucket from the low bits.
        let x = self.state.wrapping_mul(self.multiplier);
        x ^ (x >> 32)
    }
}

/// A set of CIDs with the keyed [`CidHashBuilder`].
pub type CidSet = HashSet<Cid, CidHashBuilder>;

/// Blocks borrowed from an input buffer, indexed by CID for O(1) lookup.
///
/// [`read_car`](super::read_car) fills it with hash-checked blocks; [`BlockMap::insert`] lets other
/// code index blocks of its own (and takes them as given: it hashes nothing).
#[derive(Clone, Debug, Default)]
pub struct BlockMap<'a> {
    blocks: HashMap<Cid, &'a [u8], CidHashBuilder>,
}

impl<'a> BlockMap<'a> {
    /// An empty map.
    pub fn new() -> Self {
        BlockMap::default()
    }

    /// An empty map with room for `capacity` blocks.
    pub fn with_capacity(capacity: usize) -> Self {
        BlockMap {
            blocks: HashMap::with_capacity_and_hasher(capacity, CidHashBuilder::default()),
        }
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
    fn equal_cids_hash_equal_and_different_ones_spread() {
        let builder = CidHashBuilder::default();
        let hash = |cid: &Cid| builder.hash_one(cid);
        let a = Cid::for_drisl(b"a");
        assert_eq!(hash(&a), hash(&Cid::for_drisl(b"a")));
        let buckets: HashSet<u64> = (0..1000u32)
            .map(|i| hash(&Cid::for_drisl(&i.to_le_bytes())) & 1023)
            .collect();
        assert!(buckets.len() > 500, "{}", buckets.len());
    }

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
