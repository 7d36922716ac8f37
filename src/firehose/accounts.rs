//! Per-account tables of the firehose's verifiers: continuity state, signing keys.
//!
//! The tricky bits:
//! - **The key is a hash of the DID**: its first 16 bytes of SHA-256, fixed in size whatever the
//!   DID's length, and no DID string kept. Two DIDs sharing them would take 2^64 accounts to find
//!   by chance, and 2^64 work on purpose to merge two accounts' state, which is all a collision
//!   could do.
//! - **Shards.** A hash table grows by doubling into a new allocation, and wasm memory never
//!   shrinks: one table of every account left its old buckets behind at each doubling and, just
//!   after one, took about twice its entries' worth. [`AccountTable::SHARDS`] tables chosen by the
//!   key's first byte, a few thousand accounts each, grow one after another, each into the space
//!   the ones before it left, so that the memory stays close to the tables' own
//!   (docs/firehose.md).

use crate::cid::sha256;
use crate::keyed_hash::KeyedHashMap;
use crate::support::memory::out_of_memory;
use crate::Result;

/// The table key of an account (see the module documentation).
pub(crate) type AccountKey = [u8; 16];

/// The table key of `did`.
pub(crate) fn account_key(did: &str) -> AccountKey {
    let digest = sha256(did.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    key
}

/// A value per account, in shards (see the module documentation).
#[derive(Debug)]
pub(crate) struct AccountTable<V> {
    shards: Vec<KeyedHashMap<AccountKey, V>>,
}

impl<V> AccountTable<V> {
    pub(crate) const SHARDS: usize = 32;

    pub(crate) fn new() -> AccountTable<V> {
        // Empty tables allocate nothing.
        let shards = (0..Self::SHARDS).map(|_| KeyedHashMap::default()).collect();
        AccountTable { shards }
    }

    fn shard(key: &AccountKey) -> usize {
        let [first, ..] = *key;
        usize::from(first) % Self::SHARDS
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(KeyedHashMap::len).sum()
    }

    pub(crate) fn get(&self, key: &AccountKey) -> Option<&V> {
        self.shards.get(Self::shard(key))?.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &AccountKey) -> Option<&mut V> {
        self.shards.get_mut(Self::shard(key))?.get_mut(key)
    }

    pub(crate) fn contains_key(&self, key: &AccountKey) -> bool {
        self.get(key).is_some()
    }

    /// Sets the value of `key`; fails (`limit-exceeded`), changing nothing, when its shard cannot
    /// grow.
    pub(crate) fn insert(&mut self, key: AccountKey, value: V) -> Result<()> {
        if let Some(shard) = self.shards.get_mut(Self::shard(&key)) {
            shard
                .try_reserve(1)
                .map_err(|_| out_of_memory(size_of::<(AccountKey, V)>()))?;
            shard.insert(key, value);
        }
        Ok(())
    }

    pub(crate) fn remove(&mut self, key: &AccountKey) -> Option<V> {
        self.shards.get_mut(Self::shard(key))?.remove(key)
    }

    /// Removes one entry, any, looking first in the shard of `near` (where an insertion of it
    /// would go).
    #[cfg(all(target_arch = "wasm32", feature = "js"))]
    pub(crate) fn remove_any(&mut self, near: &AccountKey) {
        let first = Self::shard(near);
        let order = (first..Self::SHARDS).chain(0..first);
        for index in order {
            if let Some(shard) = self.shards.get_mut(index) {
                if let Some(key) = shard.keys().next().copied() {
                    shard.remove(&key);
                    return;
                }
            }
        }
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (&AccountKey, &V)> {
        self.shards.iter().flat_map(KeyedHashMap::iter)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.shards.iter().flat_map(KeyedHashMap::values)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.shards.iter_mut().flat_map(KeyedHashMap::values_mut)
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        for shard in &mut self.shards {
            shard.retain(|_, value| keep(value));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn accounts_spread_over_the_shards_and_are_found_again() {
        let mut table = AccountTable::new();
        let dids: Vec<String> = (0..1000).map(|i| format!("did:plc:{i:024}")).collect();
        for (i, did) in dids.iter().enumerate() {
            table.insert(account_key(did), i).unwrap();
        }
        assert_eq!(table.len(), 1000);
        assert!(table.shards.iter().all(|shard| !shard.is_empty()));
        for (i, did) in dids.iter().enumerate() {
            assert_eq!(table.get(&account_key(did)), Some(&i));
        }
        // Replacing a value keeps the count.
        table.insert(account_key(&dids[7]), 7000).unwrap();
        assert_eq!(table.len(), 1000);
        assert_eq!(table.get(&account_key(&dids[7])), Some(&7000));
        *table.get_mut(&account_key(&dids[8])).unwrap() = 8000;
        table.retain(|&value| value % 2 == 0);
        // The 500 even values, and 7000 in place of 7.
        assert_eq!(table.len(), 501);
        assert!(table.values().all(|value| value % 2 == 0));
        assert!(!table.contains_key(&account_key(&dids[9])));
        assert!(table.contains_key(&account_key(&dids[8])));
    }
}
