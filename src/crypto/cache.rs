//! A bounded cache of parsed public keys.

use std::cell::Cell;

use super::{Algorithm, PublicKey};
use crate::keyed_hash::KeyedHashMap;
use crate::Result;

/// Entries a [`KeyCache::new`] holds before it starts over: about 1 MiB of memory at most.
const DEFAULT_CAPACITY: usize = 4096;

/// Remembers parsed keys so that verifying many signatures from the same accounts parses and
/// decompresses each key once.
///
/// Keys are looked up by their string form (`did:key:` or multikey, which share entries) or by their
/// compressed bytes and algorithm. Only successfully parsed keys are stored. When full it empties
/// itself and starts over: simple, bounded, and as good as LRU for the two common patterns (a few hot
/// keys, or a stream of mostly distinct keys). Not thread-safe by design: wasm is single-threaded; own
/// one per thread, or use [`with_default_key_cache`].
#[derive(Debug)]
pub struct KeyCache {
    /// The parsed keys; the maps hold their positions. (A `u32` position rather than the key: the
    /// string map is then the same type as the JS binding's string intern table, and the wasm has
    /// one copy of its code instead of two.)
    keys: Vec<PublicKey>,
    by_multikey: KeyedHashMap<Box<str>, u32>,
    by_compressed: KeyedHashMap<(Algorithm, [u8; 33]), u32>,
    capacity: usize,
    hits: u64,
    misses: u64,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::new()
    }
}

impl KeyCache {
    /// A cache of 4096 keys.
    pub fn new() -> KeyCache {
        KeyCache::with_capacity(DEFAULT_CAPACITY)
    }

    /// A cache that holds at most `capacity` keys (at least 1, at most `u32::MAX`).
    pub fn with_capacity(capacity: usize) -> KeyCache {
        KeyCache {
            keys: Vec::new(),
            by_multikey: KeyedHashMap::default(),
            by_compressed: KeyedHashMap::default(),
            capacity: capacity.clamp(1, u32::MAX as usize),
            hits: 0,
            misses: 0,
        }
    }

    /// [`PublicKey::from_did_key`], cached.
    pub fn parse_did_key(&mut self, did_key: &str) -> Result<PublicKey> {
        match did_key.strip_prefix("did:key:") {
            Some(multikey) => self.parse_multikey(multikey),
            // Not a did:key: the parser names the error.
            None => PublicKey::from_did_key(did_key),
        }
    }

    /// [`PublicKey::from_multikey`], cached.
    pub fn parse_multikey(&mut self, multikey: &str) -> Result<PublicKey> {
        if let Some(key) = self.stored(self.by_multikey.get(multikey)) {
            self.hits += 1;
            return Ok(key);
        }
        self.misses += 1;
        let key = PublicKey::from_multikey(multikey)?;
        let position = self.store(key);
        self.by_multikey.insert(multikey.into(), position);
        Ok(key)
    }

    /// [`PublicKey::candidates_from_key_string`], cached for `did:key`s and multikeys (legacy keys
    /// are parsed each time: they are rare).
    pub fn parse_key_string(&mut self, key: &str) -> Result<Vec<PublicKey>> {
        if key.starts_with("did:key:") {
            return self.parse_did_key(key).map(|k| vec![k]);
        }
        match self.parse_multikey(key) {
            Ok(k) => Ok(vec![k]),
            Err(_) => PublicKey::candidates_from_key_string(key),
        }
    }

    /// [`PublicKey::from_compressed`], cached.
    pub fn parse_compressed(
        &mut self,
        algorithm: Algorithm,
        compressed: &[u8],
    ) -> Result<PublicKey> {
        let Ok(bytes) = <[u8; 33]>::try_from(compressed) else {
            // Wrong length: the parser names the error.
            return PublicKey::from_compressed(algorithm, compressed);
        };
        if let Some(key) = self.stored(self.by_compressed.get(&(algorithm, bytes))) {
            self.hits += 1;
            return Ok(key);
        }
        self.misses += 1;
        let key = PublicKey::from_compressed(algorithm, &bytes)?;
        let position = self.store(key);
        self.by_compressed.insert((algorithm, bytes), position);
        Ok(key)
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lookups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Lookups that had to parse (including those that failed).
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// Forgets every stored key (the hit and miss counts stay).
    pub fn clear(&mut self) {
        self.keys.clear();
        self.by_multikey.clear();
        self.by_compressed.clear();
    }

    fn stored(&self, position: Option<&u32>) -> Option<PublicKey> {
        position.and_then(|&p| self.keys.get(p as usize)).copied()
    }

    /// Stores a parsed key (starting over when full); returns its position.
    fn store(&mut self, key: PublicKey) -> u32 {
        if self.len() >= self.capacity {
            self.clear();
        }
        self.keys.push(key);
        // Below the capacity, which `with_capacity` bounds by the positions' type.
        u32::try_from(self.keys.len() - 1).unwrap_or(u32::MAX)
    }
}

thread_local! {
    /// Empty while lent out to [`with_default_key_cache`] (and before first use).
    static DEFAULT_KEY_CACHE: Cell<Option<KeyCache>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's default [`KeyCache`] (4096 keys).
///
/// Never panics: a nested call from inside `f`, or a call while the thread is being torn down, gets a
/// fresh cache instead.
///
/// ```
/// use atproof::crypto::{verify_signature, with_default_key_cache};
/// let key = with_default_key_cache(|cache| {
///     cache.parse_did_key("did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc")
/// })?;
/// assert!(!verify_signature(&key, b"data", &[0; 64]));
/// # Ok::<(), atproof::Error>(())
/// ```
pub fn with_default_key_cache<R>(f: impl FnOnce(&mut KeyCache) -> R) -> R {
    let mut cache = DEFAULT_KEY_CACHE
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_default();
    let value = f(&mut cache);
    // Fails only during thread teardown, when the cache is no longer wanted.
    let _ = DEFAULT_KEY_CACHE.try_with(|cell| cell.set(Some(cache)));
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    const K256: &str = "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc";
    const P256: &str = "did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo";

    #[test]
    fn string_forms_share_entries_and_hit() {
        let mut cache = KeyCache::new();
        let key = cache.parse_did_key(K256).unwrap();
        assert_eq!((cache.hits(), cache.misses(), cache.len()), (0, 1, 1));
        assert_eq!(cache.parse_did_key(K256).unwrap(), key);
        assert_eq!(cache.parse_multikey(&key.multikey()).unwrap(), key);
        assert_eq!((cache.hits(), cache.misses(), cache.len()), (2, 1, 1));
    }

    #[test]
    fn compressed_bytes_hit() {
        let mut cache = KeyCache::new();
        let key = PublicKey::from_did_key(P256).unwrap();
        let bytes = key.compressed();
        assert_eq!(
            cache.parse_compressed(Algorithm::Es256, &bytes).unwrap(),
            key
        );
        assert_eq!(
            cache.parse_compressed(Algorithm::Es256, &bytes).unwrap(),
            key
        );
        assert_eq!((cache.hits(), cache.misses()), (1, 1));
        // Same bytes, other curve: a different entry (and here not a valid secp256k1 point, or another key).
        let other = cache.parse_compressed(Algorithm::Es256k, &bytes);
        assert!(other.map(|k| k != key).unwrap_or(true));
        let err = cache
            .parse_compressed(Algorithm::Es256, &bytes[1..])
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidPublicKey);
    }

    #[test]
    fn errors_are_not_cached_and_bound_holds() {
        let mut cache = KeyCache::with_capacity(2);
        assert_eq!(
            cache.parse_did_key("did:key:zBad0").unwrap_err().code(),
            Code::InvalidMultibase
        );
        assert_eq!(
            cache
                .parse_did_key("did:web:example.com")
                .unwrap_err()
                .code(),
            Code::InvalidDidKey
        );
        assert!(cache.is_empty());
        cache.parse_did_key(K256).unwrap();
        cache.parse_did_key(P256).unwrap();
        assert_eq!(cache.len(), 2);
        let key = PublicKey::from_did_key(K256).unwrap();
        cache
            .parse_compressed(Algorithm::Es256k, &key.compressed())
            .unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn default_cache_persists_and_nests() {
        with_default_key_cache(KeyCache::clear);
        with_default_key_cache(|cache| cache.parse_did_key(K256)).unwrap();
        let inner_len = with_default_key_cache(|outer| {
            assert_eq!(outer.len(), 1);
            with_default_key_cache(|inner| inner.len())
        });
        assert_eq!(inner_len, 0);
        assert_eq!(with_default_key_cache(|cache| cache.len()), 1);
    }
}
