//! What the repository verifiers keep of a CAR's blocks after one pass over them.

use std::cell::Cell;
use std::collections::HashMap;

use super::verify::{check_record_block, missing_record, RepoRecords};
use crate::car::{BlockSource, CidHashBuilder};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::mst::missing_node;

/// A CAR's blocks sorted in one pass, as they are read (and hashed): the commit and every block
/// shaped like an MST node are kept (borrowed from the input, or copied when streaming); every
/// other block is checked as a record on the spot, while its bytes are still in cache, and only
/// its CID is remembered (with the error code if it is not a valid record, which matters only if
/// the tree links to it). Once reading is over, [`sort_records`](Self::sort_records) sorts the
/// record CIDs, and after the walk [`check_records`](Self::check_records) looks up all of the
/// tree's records at once.
///
/// Kept blocks are listed in file order and found by the walk with a guess before the hash table:
/// a CAR lists its nodes either depth-first (the walk's own order: the next node is the one after
/// the last found) or layer by layer (as `@atproto/repo` writes them: the next node on a layer is
/// the one after the last found on that layer). Either way most lookups are one comparison with
/// a CID next to the last one, not a cache miss at a random place of a table.
#[derive(Debug, Default)]
pub(crate) struct SortedBlocks<'a> {
    /// The commit's CID, the CAR's first root.
    commit: Option<Cid>,
    /// The kept blocks in file order, and where each CID is in it.
    kept: Vec<(Cid, Kept<'a>)>,
    index: HashMap<Cid, usize, CidHashBuilder>,
    /// The position in `kept` of the last node found, overall and per layer (modulo `CURSORS`).
    last: Cell<usize>,
    last_on_layer: [Cell<usize>; CURSORS],
    /// The copies of kept blocks (streaming), in pages: one allocation per page, not per block,
    /// and no reallocation as they add up.
    pages: Vec<Vec<u8>>,
    /// The valid records' CIDs: in file order while reading, then sorted by
    /// [`sort_records`](Self::sort_records) (by [`by_digest`]).
    records: Vec<Cid>,
    invalid: HashMap<Cid, Code, CidHashBuilder>,
}

/// Where a kept block is.
#[derive(Clone, Copy, Debug)]
enum Kept<'a> {
    Borrowed(&'a [u8]),
    Copied { page: usize, start: usize, end: usize },
}

/// The size of a page of copies; a larger block gets a page of its own.
const PAGE: usize = 64 * 1024;

/// How many layers have a cursor of their own (a tree of 4^16 keys has 16 layers).
const CURSORS: usize = 16;

impl<'a> SortedBlocks<'a> {
    /// Sets the commit's CID (known from the CAR header, before any block).
    pub(crate) fn set_commit(&mut self, commit: Option<Cid>) {
        self.commit = commit;
    }

    /// Sorts one hash-checked block of an input that outlives `self` (kept blocks are borrowed).
    pub(crate) fn add(&mut self, cid: Cid, data: &'a [u8]) {
        if !self.is_kept(&cid, data) {
            self.add_record(cid, data);
        } else if !self.index.contains_key(&cid) {
            self.keep(cid, Kept::Borrowed(data));
        }
    }

    fn keep(&mut self, cid: Cid, at: Kept<'a>) {
        self.index.insert(cid, self.kept.len());
        self.kept.push((cid, at));
    }

    /// Sorts one hash-checked block whose bytes are about to go (kept blocks are copied).
    pub(crate) fn add_copied(&mut self, cid: Cid, data: &[u8]) {
        if !self.is_kept(&cid, data) {
            self.add_record(cid, data);
            return;
        }
        if self.index.contains_key(&cid) {
            return;
        }
        let fits = self
            .pages
            .last()
            .is_some_and(|page| page.capacity() - page.len() >= data.len());
        if !fits {
            self.pages.push(Vec::with_capacity(data.len().max(PAGE)));
        }
        let page = self.pages.len() - 1;
        if let Some(copies) = self.pages.last_mut() {
            let start = copies.len();
            copies.extend_from_slice(data);
            let end = copies.len();
            self.keep(cid, Kept::Copied { page, start, end });
        }
    }

    /// Whether a block is kept: the commit, or shaped like an MST node.
    fn is_kept(&self, cid: &Cid, data: &[u8]) -> bool {
        self.commit == Some(*cid) || looks_like_mst_node(data)
    }

    fn add_record(&mut self, cid: Cid, data: &[u8]) {
        // A block seen twice is checked twice: rarer and cheaper than a lookup for every block.
        match check_record_block(data) {
            Ok(()) => self.records.push(cid),
            Err(error) => {
                self.invalid.insert(cid, error.code());
            }
        }
    }

    /// A kept block (the commit or an MST node).
    pub(crate) fn kept(&self, cid: &Cid) -> Option<&[u8]> {
        self.kept_at(*self.index.get(cid)?)
    }

    fn kept_at(&self, position: usize) -> Option<&[u8]> {
        match self.kept.get(position)?.1 {
            Kept::Borrowed(block) => Some(block),
            Kept::Copied { page, start, end } => self.pages.get(page)?.get(start..end),
        }
    }

    /// Sorts the record CIDs for the lookups: call it once, after the last block is read.
    pub(crate) fn sort_records(&mut self) {
        self.records = sort_by_digest(&self.records);
    }

    /// Whether `cid` is a valid record block read (after [`sort_records`](Self::sort_records)).
    fn is_valid_record(&self, cid: &Cid) -> bool {
        self.records.binary_search_by(|r| by_digest(r, cid)).is_ok()
    }

    /// Why the MST node `cid` is not among the kept blocks: absent (`missing-block`), or present
    /// but not shaped like a node (`mst-invalid`).
    pub(crate) fn node_error(&self, cid: &Cid) -> Error {
        if self.is_valid_record(cid) || self.invalid.contains_key(cid) {
            Error::new(
                Code::MstInvalid,
                format!("MST node {cid}: the block is not a map of exactly the fields e (an array) and l"),
            )
        } else {
            missing_node(cid)
        }
    }

    /// Checks that every record the tree names is here and valid; on failure, the error is that of
    /// the first such record in key order.
    ///
    /// A hash-set lookup per record costs a cache miss or two at a random place of a table as big
    /// as the repository's CIDs (a sixth of the whole verification for 100,000 records). Instead
    /// both lists are sorted by digest — a counting sort on the first bits (SHA-256 output is
    /// uniform) whose scattered writes do not stall, then each small bucket — and merged in one
    /// sequential pass. A digest ground into one bucket only makes that bucket an ordinary sort.
    pub(crate) fn check_records(&self, records: &RepoRecords) -> Result<()> {
        let want = sort_by_digest(records.cids());
        let mut have_iter = self.records.iter().peekable();
        let mut all_valid = true;
        for cid in &want {
            while have_iter.next_if(|h| by_digest(h, cid).is_lt()).is_some() {}
            if have_iter.peek() != Some(&cid) && self.check_unindexed_record(cid).is_err() {
                all_valid = false;
                break;
            }
        }
        if all_valid {
            return Ok(());
        }
        for entry in records.iter() {
            if !self.is_valid_record(&entry.cid) {
                self.check_unindexed_record(&entry.cid)
                    .map_err(|e| e.context(format_args!("record {}", entry.path)))?;
            }
        }
        Ok(())
    }

    /// Checks a record that is not among the valid records read: `missing-block` if absent, the
    /// DRISL error if invalid, and fine if it is a kept block (the commit or node-shaped) that is
    /// a valid record too.
    fn check_unindexed_record(&self, cid: &Cid) -> Result<()> {
        if let Some(block) = self.kept(cid) {
            return check_record_block(block);
        }
        match self.invalid.get(cid) {
            Some(code) => Err(Error::new(
                *code,
                format!("record block {cid} is not a valid record (DRISL map)"),
            )),
            None => Err(missing_record(cid)),
        }
    }
}

impl BlockSource for SortedBlocks<'_> {
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.kept(cid)
    }

    fn node_block(&self, cid: &Cid, layer: u8) -> Option<&[u8]> {
        let on_layer = self.last_on_layer.get(usize::from(layer) % CURSORS)?;
        let after = |cursor: &Cell<usize>| cursor.get().wrapping_add(1);
        let position = [after(&self.last), after(on_layer)]
            .into_iter()
            .find(|&p| self.kept.get(p).is_some_and(|(c, _)| c == cid))
            .or_else(|| self.index.get(cid).copied())?;
        self.last.set(position);
        on_layer.set(position);
        self.kept_at(position)
    }
}

/// Whether a block starts like an MST node: a two-entry map whose first key is `e`, an array.
fn looks_like_mst_node(block: &[u8]) -> bool {
    matches!(block, [0xa2, 0x61, b'e', array, ..] if array >> 5 == 4)
}


/// Sorts CIDs by [`by_digest`]: a counting sort on the first digest bits (about one CID per
/// bucket), then an insertion sort of each bucket (an ordinary sort for a large one).
fn sort_by_digest(cids: &[Cid]) -> Vec<Cid> {
    let bits = bucket_bits(cids.len());
    // `ends[b]`: first the start of bucket `b`, after the scatter its end.
    let mut ends = vec![0u32; 1 << bits];
    for cid in cids {
        if let Some(count) = ends.get_mut(bucket(cid, bits)) {
            *count += 1;
        }
    }
    let mut start = 0;
    for slot in &mut ends {
        let count = *slot;
        *slot = start;
        start += count;
    }
    let mut sorted = cids.to_vec();
    for cid in cids {
        if let Some(at) = ends.get_mut(bucket(cid, bits)) {
            if let Some(slot) = sorted.get_mut(*at as usize) {
                *slot = *cid;
            }
            *at += 1;
        }
    }
    let mut start = 0;
    for &end in &ends {
        if let Some(run) = sorted.get_mut(start..end as usize) {
            if run.len() > 16 {
                run.sort_unstable_by(by_digest);
            } else {
                for i in 1..run.len() {
                    let mut j = i;
                    while let (Some(previous), Some(current)) = (run.get(j.wrapping_sub(1)), run.get(j)) {
                        if by_digest(previous, current).is_le() {
                            break;
                        }
                        run.swap(j - 1, j);
                        j -= 1;
                    }
                }
            }
        }
        start = end as usize;
    }
    sorted
}

/// The order of [`sort_by_digest`]: by digest, then codec (a bucket is a digest prefix).
fn by_digest(a: &Cid, b: &Cid) -> std::cmp::Ordering {
    a.digest()
        .cmp(b.digest())
        .then_with(|| a.codec().cmp(&b.codec()))
}

/// How many leading digest bits choose the bucket for `len` CIDs: about one CID per bucket.
fn bucket_bits(len: usize) -> u32 {
    len.max(2).next_power_of_two().trailing_zeros().min(20)
}

/// The bucket of `cid`: the first `bits` bits of its digest.
#[inline]
fn bucket(cid: &Cid, bits: u32) -> usize {
    let [a, b, c, d, ..] = *cid.digest();
    (u32::from_be_bytes([a, b, c, d]).checked_shr(32 - bits).unwrap_or(0)) as usize
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code

    use super::super::verify::RecordList;
    use super::*;
    use crate::cid::Codec;

    fn cid(codec: Codec, seed: u32, prefix: Option<[u8; 4]>) -> Cid {
        let mut digest = crate::cid::sha256(&seed.to_le_bytes());
        if let Some(prefix) = prefix {
            digest[..4].copy_from_slice(&prefix);
        }
        Cid::new(codec, digest)
    }

    #[test]
    fn sorts_like_a_plain_sort() {
        let mut cids: Vec<Cid> = (0..1000).map(|i| cid(Codec::Drisl, i, None)).collect();
        // A bucket ground full (sorted with sort_unstable), one small one, duplicates, and the
        // same digest under both codecs.
        cids.extend((0..40).map(|i| cid(Codec::Drisl, 5000 + i, Some([7, 7, 7, 7]))));
        cids.extend((0..5).map(|i| cid(Codec::Raw, 6000 + i, Some([0xff, 0, 0, 1]))));
        let repeated = cids[..10].to_vec();
        cids.extend(repeated);
        cids.push(Cid::new(Codec::Raw, *cids[3].digest()));
        let mut expected = cids.clone();
        expected.sort_by(by_digest);
        assert_eq!(sort_by_digest(&cids), expected);
        assert_eq!(sort_by_digest(&[]), Vec::<Cid>::new());
    }

    #[test]
    fn check_records_finds_the_first_bad_record_in_key_order() {
        let record = [0xa1, 0x61, b'a', 0x01]; // {a: 1}
        let mut blocks = SortedBlocks::default();
        let have: Vec<Cid> = (0..100).map(|i| cid(Codec::Drisl, i, None)).collect();
        for c in &have {
            blocks.records.push(*c);
        }
        blocks.sort_records();
        let invalid = cid(Codec::Drisl, 1000, None);
        blocks.invalid.insert(invalid, Code::CborFloat);
        let kept = Cid::for_drisl(&record);
        // The commit is kept (copied) even though it is also a valid record.
        blocks.set_commit(Some(kept));
        blocks.add_copied(kept, &record);
        assert_eq!(blocks.kept(&kept), Some(&record[..]));

        let list = |entries: &[(String, Cid)]| {
            let mut list = RecordList::default();
            for (path, cid) in entries {
                list.push(path.as_bytes(), *cid);
            }
            list.finish().unwrap()
        };
        let mut good: Vec<(String, Cid)> = have
            .iter()
            .enumerate()
            .rev()
            .map(|(i, c)| (format!("c/{i:03}"), *c))
            .collect();
        good.push(("c/dup".into(), have[7]));
        good.push(("c/kept".into(), kept));
        assert!(blocks.check_records(&list(&good)).is_ok());

        let mut bad = good.clone();
        bad.push(("d/invalid".into(), invalid));
        bad.push(("d/missing".into(), cid(Codec::Drisl, 2000, None)));
        let err = blocks.check_records(&list(&bad)).unwrap_err();
        assert_eq!(err.code(), Code::CborFloat);
        assert!(err.message().starts_with("record d/invalid:"), "{err}");

        let mut missing = good.clone();
        missing.push(("d/missing".into(), cid(Codec::Drisl, 2000, None)));
        missing.push(("e/invalid".into(), invalid));
        let err = blocks.check_records(&list(&missing)).unwrap_err();
        assert_eq!(err.code(), Code::MissingBlock);
        assert!(err.message().starts_with("record d/missing:"), "{err}");
    }

    #[test]
    fn node_lookups_find_the_block_whatever_the_guess() {
        let nodes: Vec<Vec<u8>> = (0..50u8)
            .map(|i| vec![0xa2, 0x61, b'e', 0x80, 0x61, b'l', 0xf6, i])
            .collect();
        let cids: Vec<Cid> = nodes.iter().map(|n| Cid::for_drisl(n)).collect();
        let mut blocks = SortedBlocks::default();
        for (cid, node) in cids.iter().zip(&nodes) {
            blocks.add(*cid, node);
        }
        // In file order, backwards, strided, and with layers that do not match any pattern.
        let orders: [Vec<usize>; 3] = [
            (0..50).collect(),
            (0..50).rev().collect(),
            (0..50).map(|i| i * 7 % 50).collect(),
        ];
        for order in orders {
            for (n, &i) in order.iter().enumerate() {
                assert_eq!(blocks.node_block(&cids[i], (n % 20) as u8), Some(&nodes[i][..]));
            }
        }
        assert_eq!(blocks.node_block(&cid(Codec::Drisl, 1, None), 0), None);
    }

    #[test]
    fn copied_blocks_are_kept_across_pages() {
        let mut blocks = SortedBlocks::default();
        let shaped = |len: usize, fill: u8| {
            let mut block = vec![fill; len];
            block[..4].copy_from_slice(&[0xa2, 0x61, b'e', 0x80]); // shaped like an MST node
            block
        };
        let sizes = [40_000, 40_000, 100_000, 10, PAGE, 30_000];
        let stored: Vec<(Cid, Vec<u8>)> = sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let block = shaped(len, i as u8);
                (Cid::for_drisl(&block), block)
            })
            .collect();
        for (cid, block) in &stored {
            blocks.add_copied(*cid, block);
            blocks.add_copied(*cid, block); // a duplicate is kept once
        }
        for (cid, block) in &stored {
            assert_eq!(blocks.kept(cid), Some(&block[..]));
        }
        assert_eq!(blocks.pages.len(), 6); // 40k | 40k | 100k | 10 | PAGE | 30k: none fits the page before
    }
}
