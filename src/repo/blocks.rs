//! What the repository verifiers keep of a CAR's blocks after one pass over them.

use std::collections::HashMap;

use super::verify::{check_record_block, missing_record};
use crate::car::{BlockSource, CidHashBuilder, CidSet};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::mst::missing_node;

/// A CAR's blocks sorted in one pass, as they are read (and hashed): the commit and every block
/// shaped like an MST node are kept (`K`: borrowed from the input, or owned when streaming); every
/// other block is checked as a record on the spot, while its bytes are still in cache, and only
/// its CID is remembered (with the error code if it is not a valid record, which matters only if
/// the tree links to it).
#[derive(Debug)]
pub(crate) struct SortedBlocks<K> {
    /// The commit's CID, the CAR's first root.
    commit: Option<Cid>,
    kept: HashMap<Cid, K, CidHashBuilder>,
    records: CidSet,
    invalid: HashMap<Cid, Code, CidHashBuilder>,
}

impl<K> Default for SortedBlocks<K> {
    fn default() -> Self {
        SortedBlocks {
            commit: None,
            kept: HashMap::default(),
            records: CidSet::default(),
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
            Ok(()) => {
                self.records.insert(cid);
            }
            Err(error) => {
                self.invalid.insert(cid, error.code());
            }
        }
    }

    /// A kept block (the commit or an MST node).
    pub(crate) fn kept(&self, cid: &Cid) -> Option<&[u8]> {
        self.kept.get(cid).map(AsRef::as_ref)
    }

    /// Why the MST node `cid` is not among the kept blocks: absent (`missing-block`), or present
    /// but not shaped like a node (`mst-invalid`).
    pub(crate) fn node_error(&self, cid: &Cid) -> Error {
        if self.records.contains(cid) || self.invalid.contains_key(cid) {
            Error::new(
                Code::MstInvalid,
                format!("MST node {cid}: the block is not a map of exactly the fields e (an array) and l"),
            )
        } else {
            missing_node(cid)
        }
    }

    /// Checks the record block `cid`: `missing-block` if absent, the DRISL error if invalid.
    pub(crate) fn check_record(&self, cid: &Cid) -> Result<()> {
        if self.records.contains(cid) {
            return Ok(());
        }
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
