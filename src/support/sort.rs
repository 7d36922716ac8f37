//! The crate's one sort.
//!
//! `slice::sort_unstable_by` is instantiated anew for each element type and each comparator, and
//! each instance is 10–25 KB of wasm (its quicksort, small-sort networks, heapsort fallback and
//! pivot selection are all generic); even one instance is 10 KB. atproof sorts a handful of kinds
//! of things — map keys, MST keys, CIDs by digest — and long lists only when it builds a tree from
//! many records. So every caller sorts through this module: a slice of up to [`SMALL`] items by
//! insertion (the common case: a record's map, a digest bucket; tiny per type, and no
//! allocation), a longer one by sorting its positions (`u32`s, with the comparator behind `dyn`,
//! so the code exists once) with a merge sort, then moving the items into that order in place, one
//! swap per item. The merge sort makes about as many comparisons as the standard library's
//! quicksort and is a few hundred bytes.
//!
//! Sorts are stable (equal items keep their order). One caller relies on it: a JSON object's
//! entries sorted by key keep the order they were read in, so that the last of duplicate keys wins
//! (`support::json`); the others have no equal items, reject them after sorting, or keep one of
//! equal ones that do not differ.

use crate::support::memory;
use crate::Result;
use std::cmp::Ordering;

/// Up to this many items are sorted by insertion; a long slice's positions are sorted by insertion
/// in runs of this length before the runs are merged.
const SMALL: usize = 16;

/// Sorts `items` by `compare`. Fails only when the positions of a long slice (and as many again
/// for merging) cannot be allocated (`limit-exceeded`); `items` is then left as it was.
pub(crate) fn sort_by<T>(
    items: &mut [T],
    mut compare: impl FnMut(&T, &T) -> Ordering,
) -> Result<()> {
    if items.len() <= SMALL {
        insertion_sort(items, &mut compare);
        return Ok(());
    }
    // Positions fit in u32: a slice this code sorts comes from an input of at most a few GiB
    // whose items are each more than one byte.
    let mut order = memory::vec_with_capacity::<u32>(items.len())?;
    order.extend((0..items.len()).map(|i| i as u32));
    let mut scratch = memory::vec_with_capacity::<u32>(items.len())?;
    scratch.resize(items.len(), 0);
    let mut order = sort_positions(order, scratch, &mut |a, b| match (
        items.get(a as usize),
        items.get(b as usize),
    ) {
        (Some(a), Some(b)) => compare(a, b),
        _ => Ordering::Equal,
    });
    arrange(items, &mut order);
    Ok(())
}

fn insertion_sort<T>(items: &mut [T], compare: &mut impl FnMut(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while let (Some(previous), Some(current)) = (items.get(j.wrapping_sub(1)), items.get(j)) {
            if compare(previous, current).is_le() {
                break;
            }
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Sorts `order` (`scratch` is as long): runs of [`SMALL`] by insertion, then runs merged pairwise
/// from one buffer into the other until one run is left. Returns the buffer that holds it.
#[inline(never)]
fn sort_positions(
    mut order: Vec<u32>,
    mut scratch: Vec<u32>,
    compare: &mut dyn FnMut(u32, u32) -> Ordering,
) -> Vec<u32> {
    for run in order.chunks_mut(SMALL) {
        insertion_sort(run, &mut |&a, &b| compare(a, b));
    }
    let mut width = SMALL;
    while width < order.len() {
        for (pair, out) in order.chunks(2 * width).zip(scratch.chunks_mut(2 * width)) {
            let (left, right) = pair.split_at(width.min(pair.len()));
            merge(left, right, out, compare);
        }
        std::mem::swap(&mut order, &mut scratch);
        width *= 2;
    }
    order
}

/// Merges the sorted `left` and `right` into `out` (as long as both), taking from `left` on ties.
fn merge(
    left: &[u32],
    right: &[u32],
    out: &mut [u32],
    compare: &mut dyn FnMut(u32, u32) -> Ordering,
) {
    let (mut left, mut right) = (left.iter().peekable(), right.iter().peekable());
    for slot in out {
        let next = match (left.peek(), right.peek()) {
            (Some(&&a), Some(&&b)) if compare(b, a).is_lt() => right.next(),
            (Some(_), _) => left.next(),
            (None, _) => right.next(),
        };
        *slot = next.copied().unwrap_or_default();
    }
}

/// Moves `items` so that position `i` holds the item that was at `order[i]`, following each cycle
/// of the permutation with swaps; `order` is used up (each visited entry marked done).
fn arrange<T>(items: &mut [T], order: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for start in 0..order.len() {
        let mut at = start;
        while let Some(next) = order
            .get_mut(at)
            .map(|entry| std::mem::replace(entry, DONE))
        {
            if next == DONE || next as usize == start {
                break;
            }
            // `at` takes the item of `next`; the item that was at `at` moves on to `next`, whose
            // own item is the next one the cycle needs.
            items.swap(at, next as usize);
            at = next as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_the_standard_sort(mut items in proptest::collection::vec((0u8..20, any::<u16>()), 0..200)) {
            let mut expected = items.clone();
            expected.sort();
            sort_by(&mut items, |a, b| a.cmp(b)).unwrap();
            prop_assert_eq!(items, expected);
        }

        #[test]
        fn keeps_equal_items_in_order(mut items in proptest::collection::vec((0u8..8, any::<u16>()), 0..600)) {
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            sort_by(&mut items, |a, b| a.0.cmp(&b.0)).unwrap();
            prop_assert_eq!(items, expected);
        }

        #[test]
        fn owned_items_move_without_copies(words in proptest::collection::vec("[a-c]{0,4}", 0..100)) {
            let mut items: Vec<String> = words.clone();
            let mut expected = words;
            expected.sort();
            sort_by(&mut items, |a, b| a.cmp(b)).unwrap();
            prop_assert_eq!(items, expected);
        }
    }

    #[test]
    fn reversed_and_equal_runs() {
        let mut items: Vec<u32> = (0..1000).rev().collect();
        sort_by(&mut items, |a, b| a.cmp(b)).unwrap();
        assert_eq!(items, (0..1000).collect::<Vec<_>>());
        let mut same = vec![7u8; 100];
        sort_by(&mut same, |a, b| a.cmp(b)).unwrap();
        assert_eq!(same, vec![7u8; 100]);
    }
}
