//! The records of a verified repository ([`RepoRecords`]: every path in one buffer) and the check
//! every record block passes.

use super::path::path_not_utf8;
use crate::cbor::{validate_with_limits, Limits};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::support::memory;

/// The records of a repository, in key order: every path in one buffer, no allocation per record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoRecords {
    paths: String,
    ends: Vec<usize>,
    cids: Vec<Cid>,
}

/// One record of [`RepoRecords`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordEntry<'a> {
    /// `collection/rkey`.
    pub path: &'a str,
    /// The record's CID.
    pub cid: Cid,
}

impl<'a> RecordEntry<'a> {
    /// The collection (the part before `/`).
    pub fn collection(&self) -> &'a str {
        self.path.split_once('/').map_or(self.path, |(c, _)| c)
    }

    /// The record key (the part after `/`).
    pub fn rkey(&self) -> &'a str {
        self.path.split_once('/').map_or("", |(_, r)| r)
    }
}

/// [`RepoRecords`] as the walk finds them: the paths as bytes, made text once at the end (one
/// UTF-8 pass over all of them instead of one per path).
#[derive(Debug, Default)]
pub(crate) struct RecordList {
    paths: Vec<u8>,
    ends: Vec<usize>,
    cids: Vec<Cid>,
}

impl RecordList {
    /// The number of records so far.
    pub(crate) fn len(&self) -> usize {
        self.cids.len()
    }

    /// Appends a record whose path is checked (so UTF-8: ASCII in fact). Fails only when memory
    /// runs out.
    pub(crate) fn push(&mut self, path: &[u8], cid: Cid) -> Result<()> {
        memory::reserve(&mut self.paths, path.len())?;
        memory::reserve(&mut self.ends, 1)?;
        memory::reserve(&mut self.cids, 1)?;
        crate::support::short_copy::extend(&mut self.paths, path);
        self.ends.push(self.paths.len());
        self.cids.push(cid);
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<RepoRecords> {
        let paths = String::from_utf8(self.paths).map_err(|_| path_not_utf8())?;
        Ok(RepoRecords {
            paths,
            ends: self.ends,
            cids: self.cids,
        })
    }
}

impl RepoRecords {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.cids.len()
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.cids.is_empty()
    }

    /// The record at `index` (in key order).
    pub fn get(&self, index: usize) -> Option<RecordEntry<'_>> {
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)?,
            None => 0,
        };
        let end = *self.ends.get(index)?;
        Some(RecordEntry {
            path: self.paths.get(start..end)?,
            cid: *self.cids.get(index)?,
        })
    }

    /// The CID of the record at `path` (a binary search: the records are sorted).
    pub fn find(&self, path: &str) -> Option<Cid> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            let entry = self.get(middle)?;
            match entry.path.as_bytes().cmp(path.as_bytes()) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(entry.cid),
            }
        }
        None
    }

    /// The parts, for handing every record over at once (as the JS binding does): every path one
    /// after the other, the byte offset where each ends, and the CIDs, all in key order.
    pub fn into_parts(self) -> (String, Vec<usize>, Vec<Cid>) {
        (self.paths, self.ends, self.cids)
    }

    /// The records' CIDs, in key order.
    pub fn cids(&self) -> &[Cid] {
        &self.cids
    }

    /// The records in key order.
    pub fn iter(&self) -> Records<'_> {
        Records {
            records: self,
            next: 0,
        }
    }
}

impl<'a> IntoIterator for &'a RepoRecords {
    type Item = RecordEntry<'a>;
    type IntoIter = Records<'a>;

    fn into_iter(self) -> Records<'a> {
        self.iter()
    }
}

/// The records of a [`RepoRecords`] in key order ([`RepoRecords::iter`]).
#[derive(Clone, Debug)]
pub struct Records<'a> {
    records: &'a RepoRecords,
    next: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordEntry<'a>;

    fn next(&mut self) -> Option<RecordEntry<'a>> {
        let records = self.records;
        let end = *records.ends.get(self.next)?;
        let start = match self.next.checked_sub(1) {
            Some(previous) => records.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        let cid = *records.cids.get(self.next)?;
        self.next += 1;
        let path = records.paths.get(start..end).unwrap_or_default();
        Some(RecordEntry { path, cid })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.records.ends.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Records<'_> {}

/// Checks a record block: valid DRISL within the record limits, and a map.
pub(crate) fn check_record_block(block: &[u8]) -> Result<()> {
    validate_with_limits(block, Limits::RECORD)?;
    if block.first().is_some_and(|b| b >> 5 != 5) {
        return Err(Error::new(
            Code::CborUnexpectedType,
            "a record must be a map at its top level",
        ));
    }
    Ok(())
}

// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size").
#[cold]
#[inline(never)]
pub(crate) fn missing_record(cid: &Cid) -> Error {
    Error::new(
        Code::MissingBlock,
        format!("record block {cid} is not in the CAR"),
    )
}
