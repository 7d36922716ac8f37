//! What the repository verifiers keep of a CAR's blocks after one pass over them.

use std::collections::HashMap;

use super::verify::{check_record_block, missing_record, RepoRecords};
use crate::car::{BlockSource, CidHashBuilder};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::mst::missing_node;

/// A CAR's blocks sorted in one pass, as they are read (and hashed): the commit and every block
/// shaped like an MST node are kept (`K`: borrowed from the input, or owned when streaming); every
/// other block is checked as a record on the spot, while its bytes are still in cache, and only
/// its CID is remembered (with the error code if it is not a valid record, which matters only if
/// the tree links to it). Once reading is over, [`sort_records`](Self::sort_records) sorts the
/// record CIDs, and after the walk [`check_records`](Self::check_records) looks up all of the
/// tree's records at once.
#[derive(Debug)]
pub(crate) struct SortedBlocks<K> {
    /// The commit's CID, the CAR's first root.
    commit: Option<Cid>,
    kept: HashMap<Cid, K, CidHashBuilder>,
    /// The valid records' CIDs: in file order while reading, then sorted by
    /// [`sort_records`](Self::sort_records) (by [`by_digest`]).
    records: Vec<Cid>,
    invalid: HashMap<Cid, Code, CidHashBuilder>,
}

impl<K> Default for SortedBlocks<K> {
    fn default() -> Self {
        SortedBlocks {
            commit: None,
            kept: HashMap::default(),
            records: Vec::new(),
            invalid: HashMap::default(),
        }
    }
}

impl<K: AsRef<[u8]>> SortedBlocks<K> {
    /// Sets the commit's CID (known from the CAR header, before any block).
    pub(crate) fn set_commit(&mut self, commit: Option<Cid>) {
        self.commit = commit;
    }

    /// Sorts one hash-checked block.
    pub(crate) fn add<'d>(&mut self, cid: Cid, data: &'d [u8])
    where
        &'d [u8]: Into<K>,
    {
        if self.commit == Some(cid) || looks_like_mst_node(data) {
            self.kept.entry(cid).or_insert_with(|| data.into());
            return;
        }
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
        self.kept.get(cid).map(AsRef::as_ref)
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

impl<K: AsRef<[u8]>> BlockSource for SortedBlocks<K> {
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.kept(cid)
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
        let mut blocks = SortedBlocks::<&[u8]>::default();
        let have: Vec<Cid> = (0..100).map(|i| cid(Codec::Drisl, i, None)).collect();
        for c in &have {
            blocks.records.push(*c);
        }
        blocks.sort_records();
        let invalid = cid(Codec::Drisl, 1000, None);
        blocks.invalid.insert(invalid, Code::CborFloat);
        let kept = Cid::for_drisl(&record);
        blocks.kept.insert(kept, &record[..]);

        let mut records = RepoRecords::default();
        for (i, c) in have.iter().enumerate().rev() {
            records.push(&format!("c/{i:03}"), *c);
        }
        records.push("c/dup", have[7]);
        records.push("c/kept", kept);
        assert!(blocks.check_records(&records).is_ok());

        let mut bad = records.clone();
        bad.push("d/invalid", invalid);
        bad.push("d/missing", cid(Codec::Drisl, 2000, None));
        let err = blocks.check_records(&bad).unwrap_err();
        assert_eq!(err.code(), Code::CborFloat);
        assert!(err.message().starts_with("record d/invalid:"), "{err}");

        let mut missing = records.clone();
        missing.push("d/missing", cid(Codec::Drisl, 2000, None));
        missing.push("e/invalid", invalid);
        let err = blocks.check_records(&missing).unwrap_err();
        assert_eq!(err.code(), Code::MissingBlock);
        assert!(err.message().starts_with("record d/missing:"), "{err}");
    }
}
