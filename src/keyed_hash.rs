//! The hash of every table keyed by outside data: CID maps, the string intern table, the key cache.
//!
//! A hostile input (a CAR, a record's map keys, a stream of did:keys) must not be able to grind its
//! keys into one bucket of a table and make each lookup a linear scan (HashDoS). The mix is keyed
//! with a secret drawn once per process from the secure random source, so which keys collide is
//! unpredictable. std's `RandomState` would do natively, but on `wasm32-unknown-unknown` its keys
//! are fixed constants, so every table here uses [`KeyedHashBuilder`] instead.
//!
//! The mix is a keyed multiply-rotate over 8-byte words, 64-bit only: WebAssembly has no
//! 64×64→128 multiply, and the emulated one (`__multi3`) cost more than the rest of the hash. CIDs
//! are SHA-256 digests, already uniformly spread, so a cheap mix is enough for an even spread.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// The `BuildHasher` of the crate's tables: one per-process random key, shared by all of them.
#[derive(Clone, Copy, Debug)]
pub struct KeyedHashBuilder {
    key: [u64; 2],
}

/// A `HashMap` with the keyed hash.
pub type KeyedHashMap<K, V> = HashMap<K, V, KeyedHashBuilder>;
/// A `HashSet` with the keyed hash.
pub type KeyedHashSet<T> = HashSet<T, KeyedHashBuilder>;

impl Default for KeyedHashBuilder {
    fn default() -> Self {
        KeyedHashBuilder {
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
            bytes = *b"atproof-hash-key";
        }
        let (low, high) = bytes.split_at(8);
        [
            u64::from_le_bytes(low.try_into().unwrap_or_default()),
            u64::from_le_bytes(high.try_into().unwrap_or_default()) | 1,
        ]
    })
}

impl BuildHasher for KeyedHashBuilder {
    type Hasher = KeyedHasher;

    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher {
            state: self.key[0],
            multiplier: self.key[1],
        }
    }
}

/// The hasher made by [`KeyedHashBuilder`].
#[derive(Clone, Copy, Debug)]
pub struct KeyedHasher {
    state: u64,
    multiplier: u64,
}

impl KeyedHasher {
    /// One keyed multiply-rotate step.
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word)
            .wrapping_mul(self.multiplier)
            .rotate_left(29);
    }
}

impl Hasher for KeyedHasher {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cid::Cid;

    #[test]
    fn equal_keys_hash_equal_and_different_ones_spread() {
        let builder = KeyedHashBuilder::default();
        let a = Cid::for_drisl(b"a");
        assert_eq!(builder.hash_one(a), builder.hash_one(Cid::for_drisl(b"a")));
        let buckets: HashSet<u64> = (0..1000u32)
            .map(|i| builder.hash_one(Cid::for_drisl(&i.to_le_bytes())) & 1023)
            .collect();
        assert!(buckets.len() > 500, "{}", buckets.len());
    }

    #[test]
    fn keys_crafted_for_an_unkeyed_multiplicative_hash_spread() {
        // 8-byte keys whose first four bytes (the low half of their little-endian word) are the
        // same: under an unkeyed `word * K` hash every one of them lands in the same bucket of
        // any table of up to 2^32 buckets, since the low bits of a product depend only on the low
        // bits of its factors. Keyed, they spread over the 1024 buckets as random keys would.
        let builder = KeyedHashBuilder::default();
        let mut load = [0u32; 1024];
        for i in 0..10_000u32 {
            let letter = |n: u32| char::from(b'a' + (n % 26) as u8);
            let key: String = "$typ"
                .chars()
                .chain((0..4).map(|d| letter(i / 26u32.pow(d))))
                .collect();
            load[(builder.hash_one(key.as_str()) & 1023) as usize] += 1;
        }
        let fullest = load.iter().max().copied().unwrap_or_default();
        // ~9.8 a bucket on average; a uniform spread makes more than 40 in one vanishingly rare.
        assert!(fullest < 40, "{fullest} keys in one bucket");
    }
}
