//! The wasm side of the string intern table shared with values.js.

use crate::keyed_hash::KeyedHashMap;

/// Longest string that is interned, in bytes.
pub(super) const MAX_INTERNED_LEN: usize = 64;
/// Most strings interned per process; later ones are simply not interned.
const MAX_INTERNED: u32 = 16_384;

/// The first and the last 8 bytes of `bytes` as words (zero-padded when shorter), read as whole
/// words where possible: a copy of a variable length would be a call (wasm `memory.copy`).
#[inline(always)]
fn head_and_tail(bytes: &[u8]) -> (u64, u64) {
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let head = bytes
                .iter()
                .rev()
                .fold(0u64, |word, &b| (word << 8) | u64::from(b));
            (head, head)
        }
    }
}

/// Slots of the interner's direct-mapped front cache.
const RECENT_SLOTS: usize = 512;

/// The wasm side of the string intern table (`interned` in values.js is the JS side).
///
/// The two sides must agree: an id the wasm side has handed out once is one whose string the JS
/// side has stored. A new id is handed out as an `Intern` op on the tape, and the JS side stores
/// its string only when it builds that op; a call that fails before its build has run to the end
/// (invalid DRISL after the new key, a later block of a batch, JS code that throws while building)
/// therefore [rolls back](Interner::roll_back) to the [mark](Interner::mark) taken when it
/// started, forgetting every id it handed out. The JS side may keep the strings of forgotten ids:
/// an id is always handed out again with an `Intern` op, which overwrites them.
///
/// A direct-mapped front cache answers most lookups without hashing the whole string: its slot is
/// chosen by the string's length and first 8 bytes, and strings of up to 16 bytes are identified by
/// those, their last 8 bytes and length (no comparison needed). Misses fall back to the hash map.
pub(super) struct Interner {
    /// Keyed by outside data, so with the keyed hash (no HashDoS through crafted map keys).
    ids: KeyedHashMap<Box<str>, u32>,
    /// By id, for comparing longer strings in the front cache.
    strings: Vec<Box<str>>,
    /// (first 8 bytes, last 8 bytes, length, id + 1); id + 1 = 0 marks an empty slot.
    recent: Vec<(u64, u64, u32, u32)>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            ids: KeyedHashMap::default(),
            strings: Vec::new(),
            recent: vec![(0, 0, 0, 0); RECENT_SLOTS],
        }
    }
}

impl Interner {
    /// How many ids have been handed out: the state [`roll_back`](Self::roll_back) returns to.
    pub(super) fn mark(&self) -> usize {
        self.strings.len()
    }

    /// Forgets every id handed out since `mark`.
    pub(super) fn roll_back(&mut self, mark: usize) {
        for string in self.strings.drain(mark..) {
            self.ids.remove(&string);
        }
        for slot in &mut self.recent {
            if slot.3 as usize > mark {
                *slot = (0, 0, 0, 0);
            }
        }
    }

    /// The id of `s` if interned, else it is interned as a new id if there is room; `(id, new)`.
    pub(super) fn intern(&mut self, s: &str) -> Option<(u32, bool)> {
        let bytes = s.as_bytes();
        let (head, tail) = head_and_tail(bytes);
        let slot = ((head ^ bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55) as usize
            % RECENT_SLOTS;
        if let Some(&(h, t, len, id1)) = self.recent.get(slot) {
            if id1 != 0 && h == head && t == tail && len as usize == bytes.len() {
                let id = id1 - 1;
                if bytes.len() <= 16 || self.strings.get(id as usize).is_some_and(|t| **t == *s) {
                    return Some((id, false));
                }
            }
        }
        let (id, new) = match self.ids.get(s) {
            Some(&id) => (id, false),
            None => {
                let id = self.strings.len() as u32;
                if id >= MAX_INTERNED {
                    return None;
                }
                self.ids.insert(s.into(), id);
                self.strings.push(s.into());
                (id, true)
            }
        };
        if let Some(entry) = self.recent.get_mut(slot) {
            *entry = (head, tail, bytes.len() as u32, id + 1);
        }
        Some((id, new))
    }
}
