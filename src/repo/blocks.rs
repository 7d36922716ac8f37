//! What the repository verifiers keep of a CAR's blocks after one pass over them.

use std::cell::{Cell, OnceCell};

use super::records::{check_record_block, missing_record, RepoRecords};
use crate::car::BlockSource;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::keyed_hash::KeyedHashMap;
use crate::mst::missing_node;
use crate::support::memory;
use crate::support::sort::sort_by;

/// A CAR's blocks sorted in one pass, as they are read (and hashed): the commit and every block
/// shaped like an MST node are kept (borrowed from the input, or copied when streaming); every
/// other block is checked as a record on the spot, while its bytes are still in cache, and only
/// its CID is remembered (with the error code if it is not a valid record, which matters only if
/// the tree links to it).
///
/// The walk finds blocks by guessing where they are in file order ([`Guesses`]): kept blocks
/// before a hash table, records before a binary search ([`find_record`](Self::find_record)).
#[derive(Debug, Default)]
pub(crate) struct SortedBlocks<'a> {
    /// The commit's CID, the CAR's first root.
    commit: Option<Cid>,
    /// The kept blocks in file order, and by CID with their position in it (and where they are,
    /// so that a lookup in a CAR whose order defeats the guesses is one cache miss, not two).
    kept: Vec<(Cid, KeptBlock<'a>)>,
    index: KeyedHashMap<Cid, (usize, KeptBlock<'a>)>,
    node_guesses: Guesses,
    /// How many records came before the kept block found last (see
    /// [`records_before_last_found`](Self::records_before_last_found)).
    last_found_records_before: Cell<usize>,
    /// The copies of kept blocks (streaming), in pages: one allocation per page, not per block,
    /// and no reallocation as they add up.
    pages: Vec<Vec<u8>>,
    /// The valid records' CIDs, in file order.
    records: Vec<Cid>,
    record_guesses: Guesses,
    /// The records' positions sorted by digest, made at the first record not where guessed.
    record_index: OnceCell<Vec<(Cid, Position)>>,
    /// The first digest word of each record, for [`scan`](Self::scan) (made at the first one).
    record_words: OnceCell<Vec<u32>>,
    scans: Cell<usize>,
    /// The blocks that are not valid records, with their error code. Looked up only on the way to
    /// an error (at most twice a verification), so a list: no hash table's code for it.
    invalid: Vec<(Cid, Code)>,
}

/// Where the next block a tree walk asks for probably is in a list of blocks in file order.
///
/// A CAR lists a tree's nodes (and records) either depth-first, the walk's own order, so the
/// next one asked for is the one after the last found; or layer by layer (as `@atproto/repo`
/// writes them, each node's records grouped likewise), so the next one on a layer is the one
/// after the last found on that layer. In the streaming order of the sync spec a node's records
/// follow the node itself, which the caller knows and passes as a third guess. Each guess is a
/// comparison with a CID next to one found before; only a wrong guess costs a lookup at a random
/// place of a large table. In a CAR in some
/// other order (a PDS may list blocks by CID) the guesses would be cache misses themselves, so
/// guessing stops once misses have used up the credit that hits earn.
#[derive(Debug)]
struct Guesses {
    last: Cell<usize>,
    /// Per layer, modulo [`CURSORS`].
    last_on_layer: [Cell<usize>; CURSORS],
    credit: Cell<u8>,
}

impl Guesses {
    /// The credit at the start and at most: what the misses of a first descent through a tree
    /// stored layer by layer cost (one per layer), with room to spare.
    const CREDIT: u8 = 32;

    /// Whether guesses are still made.
    fn is_guessing(&self) -> bool {
        self.credit.get() > 0
    }

    /// The first guess on `layer` that `is_at` confirms (the caller's own `hint` last), else
    /// `lookup`'s answer; remembered as the last position found.
    fn find(
        &self,
        layer: u8,
        hint: Option<usize>,
        is_at: impl Fn(usize) -> bool,
        lookup: impl FnOnce() -> Option<usize>,
    ) -> Option<usize> {
        let on_layer = self.last_on_layer.get(usize::from(layer) % CURSORS)?;
        let credit = self.credit.get();
        let mut guessed = None;
        if credit > 0 {
            let after = |cursor: &Cell<usize>| cursor.get().wrapping_add(1);
            guessed = [Some(after(&self.last)), Some(after(on_layer)), hint]
                .into_iter()
                .flatten()
                .find(|&p| is_at(p));
            self.credit.set(match guessed {
                Some(_) => credit.saturating_add(1).min(Self::CREDIT),
                None => credit - 1,
            });
        }
        let position = guessed.or_else(lookup)?;
        self.last.set(position);
        on_layer.set(position);
        Some(position)
    }
}

impl Default for Guesses {
    /// Both guesses start at position 0.
    fn default() -> Self {
        Guesses {
            last: Cell::new(usize::MAX),
            last_on_layer: std::array::from_fn(|_| Cell::new(usize::MAX)),
            credit: Cell::new(Self::CREDIT),
        }
    }
}

/// A position in file order in the index of records, as bytes: a CID has no alignment, so the
/// index's entries stay 37 bytes instead of 40, and sorting them moves less.
type Position = [u8; 4];

/// A kept block: where it is, and how many records came before it in the file.
#[derive(Clone, Copy, Debug)]
struct KeptBlock<'a> {
    at: Kept<'a>,
    records_before: usize,
}

/// Where a kept block is.
#[derive(Clone, Copy, Debug)]
enum Kept<'a> {
    Borrowed(&'a [u8]),
    Copied {
        page: usize,
        start: usize,
        end: usize,
    },
}

/// The size of a page of copies; a larger block gets a page of its own.
const PAGE: usize = 64 * 1024;

/// How many records [`SortedBlocks::find_record`] looks for by a scan at most, before it sorts
/// an index.
const MAX_SCANS: usize = 24;

/// How many layers have a cursor of their own (a tree of 4^16 keys has 16 layers).
const CURSORS: usize = 16;

impl<'a> SortedBlocks<'a> {
    /// Sets the commit's CID (known from the CAR header, before any block).
    pub(crate) fn set_commit(&mut self, commit: Option<Cid>) {
        self.commit = commit;
    }

    /// Sorts one hash-checked block of an input that outlives `self` (kept blocks are borrowed).
    /// Fails only when memory runs out.
    pub(crate) fn add(&mut self, cid: Cid, data: &'a [u8]) -> Result<()> {
        if !self.is_kept(&cid, data) {
            self.add_record(cid, data)
        } else if !self.index.contains_key(&cid) {
            self.keep(cid, Kept::Borrowed(data))
        } else {
            Ok(())
        }
    }

    fn keep(&mut self, cid: Cid, at: Kept<'a>) -> Result<()> {
        let block = KeptBlock {
            at,
            records_before: self.records.len(),
        };
        memory::reserve(&mut self.kept, 1)?;
        self.index
            .try_reserve(1)
            .map_err(|_| memory::out_of_memory(size_of::<(Cid, KeptBlock)>()))?;
        self.index.insert(cid, (self.kept.len(), block));
        self.kept.push((cid, block));
        Ok(())
    }

    /// Sorts one hash-checked block whose bytes are about to go (kept blocks are copied).
    /// Fails only when memory runs out.
    pub(crate) fn add_copied(&mut self, cid: Cid, data: &[u8]) -> Result<()> {
        if !self.is_kept(&cid, data) {
            return self.add_record(cid, data);
        }
        if self.index.contains_key(&cid) {
            return Ok(());
        }
        let fits = self
            .pages
            .last()
            .is_some_and(|page| page.capacity() - page.len() >= data.len());
        if !fits {
            memory::reserve(&mut self.pages, 1)?;
            self.pages
                .push(memory::vec_with_capacity(data.len().max(PAGE))?);
        }
        let page = self.pages.len() - 1;
        let Some(copies) = self.pages.last_mut() else {
            return Ok(());
        };
        let start = copies.len();
        copies.extend_from_slice(data);
        let end = copies.len();
        self.keep(cid, Kept::Copied { page, start, end })
    }

    /// Whether a block is kept: the commit, or shaped like an MST node.
    fn is_kept(&self, cid: &Cid, data: &[u8]) -> bool {
        self.commit == Some(*cid) || looks_like_mst_node(data)
    }

    fn add_record(&mut self, cid: Cid, data: &[u8]) -> Result<()> {
        // A block seen twice is checked twice: rarer and cheaper than a lookup for every block.
        match check_record_block(data) {
            Ok(()) => {
                memory::reserve(&mut self.records, 1)?;
                self.records.push(cid);
            }
            Err(error) => {
                memory::reserve(&mut self.invalid, 1)?;
                self.invalid.push((cid, error.code()));
            }
        }
        Ok(())
    }

    /// How many valid records were read (blocks neither kept nor invalid).
    pub(crate) fn records_read(&self) -> usize {
        self.records.len()
    }

    /// A kept block (the commit or an MST node).
    pub(crate) fn kept(&self, cid: &Cid) -> Option<&[u8]> {
        self.found(self.index.get(cid)?.1)
    }

    /// The bytes of a kept block just found, whose count of records before it is remembered.
    fn found(&self, block: KeptBlock<'a>) -> Option<&[u8]> {
        self.last_found_records_before.set(block.records_before);
        match block.at {
            Kept::Borrowed(block) => Some(block),
            Kept::Copied { page, start, end } => self.pages.get(page)?.get(start..end),
        }
    }

    /// How many valid records were read before the kept block found last: in the streaming
    /// order of the sync spec, where the records of a node entered just now start.
    pub(crate) fn records_before_last_found(&self) -> usize {
        self.last_found_records_before.get()
    }

    /// Whether `cid`, a record of a node on `layer`, is a valid record read, as far as is known
    /// now: where the walk's guess puts it, or else by a scan of the records' first digest words,
    /// or else by a binary search of the records sorted by digest. A record not found here is
    /// looked for again by [`check_unfound_records`](Self::check_unfound_records).
    ///
    /// A CAR in tree order misses the guess at the first record of each layer or so: a few
    /// scans of a small array, cheaper than sorting. One in another order would need a search per
    /// record, a cache miss each: after [`MAX_SCANS`] scans the index is sorted, and once the
    /// guesses have stopped ([`Guesses`]) so do the searches, and the records are left for the
    /// sequential merge after the walk.
    ///
    /// `hint` is the caller's own guess: where the record would be if the node's records followed
    /// the node.
    pub(crate) fn find_record(&self, cid: &Cid, layer: u8, hint: usize) -> bool {
        let is_at = |p: usize| self.records.get(p) == Some(cid);
        let search = || {
            if !self.record_guesses.is_guessing() {
                return None;
            }
            if self.scans.get() < MAX_SCANS {
                self.scans.set(self.scans.get() + 1);
                return self.scan(cid);
            }
            // Out of memory for the index: not found here; the check of the unfound reports it.
            let index = self.record_index().ok()?;
            let found = index.binary_search_by(|(r, _)| by_digest(r, cid)).ok()?;
            index
                .get(found)
                .map(|&(_, position)| u32::from_le_bytes(position) as usize)
        };
        self.record_guesses
            .find(layer, Some(hint), is_at, search)
            .is_some()
    }

    /// The position of `cid` among the valid records read, by a scan of their first digest words.
    fn scan(&self, cid: &Cid) -> Option<usize> {
        if self.record_words.get().is_none() {
            let mut words = memory::vec_with_capacity(self.records.len()).ok()?;
            words.extend(self.records.iter().map(digest_word));
            let _ = self.record_words.set(words);
        }
        let words = self.record_words.get()?;
        let word = digest_word(cid);
        for (position, &w) in words.iter().enumerate() {
            if w == word && self.records.get(position) == Some(cid) {
                return Some(position);
            }
        }
        None
    }

    /// The valid records read, sorted by digest, with their positions in file order.
    fn record_index(&self) -> Result<&[(Cid, Position)]> {
        if let Some(index) = self.record_index.get() {
            return Ok(index);
        }
        let mut positions = memory::vec_with_capacity(self.records.len())?;
        positions.extend(
            self.records
                .iter()
                .zip(0u32..)
                .map(|(cid, position)| (*cid, position.to_le_bytes())),
        );
        let sorted = sort_by_digest(&positions)?;
        Ok(self.record_index.get_or_init(|| sorted))
    }

    /// Why the MST node `cid` is not among the kept blocks: absent (`missing-block`), or present
    /// but not shaped like a node (`mst-invalid`).
    pub(crate) fn node_error(&self, cid: &Cid) -> Error {
        if self.records.contains(cid) || self.invalid_code(cid).is_some() {
            Error::new(
                Code::MstInvalid,
                format!("MST node {cid}: the block is not a map of exactly the fields e (an array) and l"),
            )
        } else {
            missing_node(cid)
        }
    }

    /// Checks the records of `records` at `positions` (in key order), those that
    /// [`find_record`](Self::find_record) did not find: each must be a valid record read, or a
    /// kept block that is a valid record too; else the first in key order is reported,
    /// `missing-block` or its DRISL error.
    ///
    /// Rather than a search per record (a cache miss each), the records asked for are sorted by
    /// digest like the index and the two lists merged in one sequential pass.
    pub(crate) fn check_unfound_records(
        &self,
        records: &RepoRecords,
        positions: &[usize],
    ) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let have = self.record_index()?;
        let cids = records.cids();
        let mut want = memory::vec_with_capacity(positions.len())?;
        want.extend(
            positions
                .iter()
                .filter_map(|&i| Some((*cids.get(i)?, (i as u32).to_le_bytes()))),
        );
        let mut have_iter = have.iter().peekable();
        let mut all_valid = true;
        for (cid, _) in &sort_by_digest(&want)? {
            while have_iter
                .next_if(|(h, _)| by_digest(h, cid).is_lt())
                .is_some()
            {}
            if have_iter.peek().map(|(h, _)| h) != Some(cid)
                && self.check_unindexed_record(cid).is_err()
            {
                all_valid = false;
                break;
            }
        }
        if all_valid {
            return Ok(());
        }
        for entry in positions.iter().filter_map(|&i| records.get(i)) {
            if have
                .binary_search_by(|(r, _)| by_digest(r, &entry.cid))
                .is_err()
            {
                self.check_unindexed_record(&entry.cid)
                    .map_err(|e| e.context(format_args!("record {}", entry.path)))?;
            }
        }
        Ok(())
    }

    /// The error code of `cid` if it was read and is not a valid record.
    fn invalid_code(&self, cid: &Cid) -> Option<Code> {
        self.invalid
            .iter()
            .find(|(invalid, _)| invalid == cid)
            .map(|(_, code)| *code)
    }

    /// Checks a record that is not among the valid records read: `missing-block` if absent, the
    /// DRISL error if invalid, and fine if it is a kept block (the commit or node-shaped) that is
    /// a valid record too.
    fn check_unindexed_record(&self, cid: &Cid) -> Result<()> {
        if let Some(block) = self.kept(cid) {
            return check_record_block(block);
        }
        match self.invalid_code(cid) {
            Some(code) => Err(Error::new(
                code,
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
        // Found by a guess: the position in `kept`; else the table's entry.
        let mut looked_up = None;
        let is_at = |p: usize| self.kept.get(p).is_some_and(|(c, _)| c == cid);
        let lookup = || {
            let &(position, at) = self.index.get(cid)?;
            looked_up = Some(at);
            Some(position)
        };
        let position = self.node_guesses.find(layer, None, is_at, lookup)?;
        match looked_up {
            Some(block) => self.found(block),
            None => self.found(self.kept.get(position)?.1),
        }
    }
}

/// Whether a block starts like an MST node: a two-entry map whose first key is `e`, an array.
fn looks_like_mst_node(block: &[u8]) -> bool {
    matches!(block, [0xa2, 0x61, b'e', array, ..] if array >> 5 == 4)
}

/// Sorts CIDs (each with a position) by [`by_digest`]: a counting sort on the first digest bits
/// (about one CID per bucket; SHA-256 output is uniform, and the scattered writes do not stall),
/// then [`sort_by`] of each bucket (by insertion for a small one; a digest ground into one bucket
/// only makes that bucket an ordinary sort).
pub(crate) fn sort_by_digest(cids: &[(Cid, Position)]) -> Result<Vec<(Cid, Position)>> {
    let bits = bucket_bits(cids.len());
    // `ends[b]`: first the start of bucket `b`, after the scatter its end.
    let mut ends = memory::vec_with_capacity(1 << bits)?;
    ends.resize(1 << bits, 0u32);
    for (cid, _) in cids {
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
    let mut sorted = memory::vec_with_capacity(cids.len())?;
    sorted.extend_from_slice(cids);
    for item in cids {
        if let Some(at) = ends.get_mut(bucket(&item.0, bits)) {
            if let Some(slot) = sorted.get_mut(*at as usize) {
                *slot = *item;
            }
            *at += 1;
        }
    }
    let mut start = 0;
    for &end in &ends {
        if let Some(run) = sorted.get_mut(start..end as usize) {
            sort_by(run, |a, b| by_digest(&a.0, &b.0))?;
        }
        start = end as usize;
    }
    Ok(sorted)
}

/// The first four bytes of a CID's digest.
#[inline]
fn digest_word(cid: &Cid) -> u32 {
    cid.digest()
        .first_chunk()
        .map_or(0, |b| u32::from_ne_bytes(*b))
}

/// The order of [`sort_by_digest`]: by digest, then codec (a bucket is a digest prefix).
pub(crate) fn by_digest(a: &Cid, b: &Cid) -> std::cmp::Ordering {
    crate::cid::digest_order(a.digest(), b.digest()).then_with(|| a.codec().cmp(&b.codec()))
}

/// How many leading digest bits choose the bucket for `len` CIDs: about one CID per bucket.
fn bucket_bits(len: usize) -> u32 {
    len.max(2).next_power_of_two().trailing_zeros().min(20)
}

/// The bucket of `cid`: the first `bits` bits of its digest.
#[inline]
fn bucket(cid: &Cid, bits: u32) -> usize {
    let [a, b, c, d, ..] = *cid.digest();
    (u32::from_be_bytes([a, b, c, d])
        .checked_shr(32 - bits)
        .unwrap_or(0)) as usize
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code

    use super::super::records::RecordList;
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
        // A bucket ground full (more than 16 CIDs: the merge sort), one small one, duplicates,
        // and the same digest under both codecs.
        cids.extend((0..40).map(|i| cid(Codec::Drisl, 5000 + i, Some([7, 7, 7, 7]))));
        cids.extend((0..5).map(|i| cid(Codec::Raw, 6000 + i, Some([0xff, 0, 0, 1]))));
        let repeated = cids[..10].to_vec();
        cids.extend(repeated);
        cids.push(Cid::new(Codec::Raw, *cids[3].digest()));
        let items: Vec<(Cid, Position)> = cids.iter().map(|c| (*c, [1, 2, 3, 4])).collect();
        let mut expected = items.clone();
        expected.sort_by(|a, b| by_digest(&a.0, &b.0));
        assert_eq!(sort_by_digest(&items).unwrap(), expected);
        assert_eq!(sort_by_digest(&[]).unwrap(), Vec::new());
    }

    #[test]
    fn records_are_found_and_the_first_unfound_in_key_order_is_reported() {
        let record = [0xa1, 0x61, b'a', 0x01]; // {a: 1}
        let mut blocks = SortedBlocks::default();
        let have: Vec<Cid> = (0..100).map(|i| cid(Codec::Drisl, i, None)).collect();
        blocks.records.extend(&have);
        let invalid = cid(Codec::Drisl, 1000, None);
        blocks.invalid.push((invalid, Code::CborFloat));
        let kept = Cid::for_drisl(&record);
        // The commit is kept (copied) even though it is also a valid record.
        blocks.set_commit(Some(kept));
        blocks.add_copied(kept, &record).unwrap();
        assert_eq!(blocks.kept(&kept), Some(&record[..]));

        let list = |paths: &[&str], cids: &[Cid]| {
            let mut list = RecordList::default();
            for (path, cid) in paths.iter().zip(cids) {
                list.push(path.as_bytes(), *cid).unwrap();
            }
            list.finish().unwrap()
        };
        // Found where guessed or searched for while guesses go on (32 misses), the others by the
        // merge after the walk. A stride of 37 is never where guessed.
        let order: Vec<usize> = (0..40).map(|i| i * 37 % 100).collect();
        let found: Vec<bool> = order
            .iter()
            .map(|&i| blocks.find_record(&have[i], 0, usize::MAX))
            .collect();
        // The first at the first guess, then 31 searches.
        assert!(
            found[..32].iter().all(|&f| f) && found[32..].iter().all(|&f| !f),
            "{found:?}"
        );
        let paths: Vec<String> = (0..order.len()).map(|i| format!("c/{i:02}")).collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let cids: Vec<Cid> = order.iter().map(|&i| have[i]).collect();
        let unfound: Vec<usize> = (0..order.len()).filter(|&i| !found[i]).collect();
        assert!(blocks
            .check_unfound_records(&list(&paths, &cids), &unfound)
            .is_ok());
        for unfound in [kept, invalid, cid(Codec::Drisl, 2000, None)] {
            assert!(!blocks.find_record(&unfound, 0, 0));
        }

        let missing = cid(Codec::Drisl, 2000, None);
        let records = list(
            &["c/kept", "d/invalid", "d/missing"],
            &[kept, invalid, missing],
        );
        assert!(blocks.check_unfound_records(&records, &[0]).is_ok());
        assert!(blocks.check_unfound_records(&records, &[]).is_ok());
        let err = blocks
            .check_unfound_records(&records, &[0, 1, 2])
            .unwrap_err();
        assert_eq!(err.code(), Code::CborFloat);
        assert!(err.message().starts_with("record d/invalid:"), "{err}");
        let err = blocks.check_unfound_records(&records, &[2, 1]).unwrap_err();
        assert_eq!(err.code(), Code::MissingBlock);
        assert!(err.message().starts_with("record d/missing:"), "{err}");
    }

    #[test]
    fn guesses_follow_depth_first_layer_by_layer_and_hinted_orders() {
        let file: Vec<u32> = (0..12).collect();
        // How many lookups a walk needs, the items asked for on their layers (and with a hint).
        let hinted_lookups = |walk: &[(u8, u32, Option<usize>)]| {
            let guesses = Guesses::default();
            let count = Cell::new(0);
            for &(layer, item, hint) in walk {
                let is_at = |p: usize| file.get(p) == Some(&item);
                let lookup = || {
                    count.set(count.get() + 1);
                    file.iter().position(|&f| f == item)
                };
                assert_eq!(
                    guesses.find(layer, hint, is_at, lookup),
                    Some(item as usize)
                );
            }
            count.get()
        };
        let lookups = |walk: &[(u8, u32)]| {
            let walk: Vec<(u8, u32, Option<usize>)> =
                walk.iter().map(|&(l, i)| (l, i, None)).collect();
            hinted_lookups(&walk)
        };
        // Depth-first: one after the other.
        let depth_first: Vec<(u8, u32)> = (0..12).map(|i| (3 - (i % 4) as u8, i)).collect();
        assert_eq!(lookups(&depth_first), 0);
        // Layer by layer: layer 1 holds 0..4 and layer 0 holds 4..12, visited interleaved; only
        // the first item of layer 0 is looked up.
        let by_layer = [
            (1, 0),
            (0, 4),
            (0, 5),
            (1, 1),
            (0, 6),
            (0, 7),
            (1, 2),
            (0, 8),
            (1, 3),
        ];
        assert_eq!(lookups(&by_layer), 1);
        // Random order: a lookup almost every time.
        let shuffled: Vec<(u8, u32)> = (0..12).map(|i| (0, i * 5 % 12)).collect();
        assert_eq!(lookups(&shuffled), 11);
        // Each node's items right after it (the sync spec's streaming order): root R (layer 2)
        // holds r0, its left child P (layer 1) p0 p1, P's left child A (layer 0) a0 a1, R's
        // right child Q (layer 1) q0 q1 and Q's left child D (layer 0) d0 d1. The file lists
        // R r0 P p0 p1 A a0 a1 Q q0 q1 D d0 d1, so the items are r0=0 p0=1 p1=2 a0=3 a1=4 q0=5
        // q1=6 d0=7 d1=8; the walk asks for them in key order, a0 a1 p0 p1 r0 d0 d1 q0 q1. The
        // cursors miss every node's first item but R's; the hint (its node's first item, then
        // the next) finds them all.
        let walk = [
            (0, 3),
            (0, 4),
            (1, 1),
            (1, 2),
            (2, 0),
            (0, 7),
            (0, 8),
            (1, 5),
            (1, 6),
        ];
        assert_eq!(lookups(&walk), 4);
        let hinted: Vec<(u8, u32, Option<usize>)> = walk
            .iter()
            .map(|&(l, i)| (l, i, Some(i as usize)))
            .collect();
        assert_eq!(hinted_lookups(&hinted), 0);
    }

    #[test]
    fn node_lookups_find_the_block_whatever_the_guess() {
        let nodes: Vec<Vec<u8>> = (0..50u8)
            .map(|i| vec![0xa2, 0x61, b'e', 0x80, 0x61, b'l', 0xf6, i])
            .collect();
        let cids: Vec<Cid> = nodes.iter().map(|n| Cid::for_drisl(n)).collect();
        let mut blocks = SortedBlocks::default();
        for (cid, node) in cids.iter().zip(&nodes) {
            blocks.add(*cid, node).unwrap();
        }
        // In file order, backwards, strided, and with layers that do not match any pattern.
        let orders: [Vec<usize>; 3] = [
            (0..50).collect(),
            (0..50).rev().collect(),
            (0..50).map(|i| i * 7 % 50).collect(),
        ];
        for order in orders {
            for (n, &i) in order.iter().enumerate() {
                assert_eq!(
                    blocks.node_block(&cids[i], (n % 20) as u8),
                    Some(&nodes[i][..])
                );
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
            blocks.add_copied(*cid, block).unwrap();
            blocks.add_copied(*cid, block).unwrap(); // a duplicate is kept once
        }
        for (cid, block) in &stored {
            assert_eq!(blocks.kept(cid), Some(&block[..]));
        }
        assert_eq!(blocks.pages.len(), 6); // 40k | 40k | 100k | 10 | PAGE | 30k: none fits the page before
    }
}
