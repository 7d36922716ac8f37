//! The blocks of a writable repository: the CAR it was loaded from, kept whole, and the records
//! written since, each kept once however many paths link to it.

use std::ops::Range;

use crate::car::BlockSource;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::keyed_hash::KeyedHashMap;
use crate::repo::{by_digest, sort_by_digest};

/// Blocks by CID.
///
/// A loaded CAR stays one buffer, indexed by a list of its blocks' places sorted by digest (built
/// from the verification's own pass over the CAR, sorted in linear time, a binary search per
/// lookup): no copy per block, a fraction of a hash table's memory, and the MST nodes there for the
/// tree to load lazily. Records written later are owned one by one and counted by the paths that
/// link to them, so that one no path links to any more is dropped. The CAR's own blocks are never
/// dropped (their bytes are part of the one buffer anyway).
#[derive(Debug, Default)]
pub(crate) struct BlockStore {
    car: Box<[u8]>,
    /// The CAR's blocks sorted by digest, each with its position in `spans`.
    car_index: Vec<(Cid, [u8; 4])>,
    /// Where each block lies in `car`, in file order.
    spans: Vec<[u32; 2]>,
    written: KeyedHashMap<Cid, Written>,
}

/// A record written since the load, and how many paths link to it.
#[derive(Debug)]
struct Written {
    block: Box<[u8]>,
    links: u32,
}

/// The places of a CAR's blocks, as the verification reads them (see [`BlockStore::from_car`]).
///
/// Positions are 4 bytes, as in the verifier's own index of records, so that both sort with one
/// instantiation of the digest sort.
#[derive(Debug, Default)]
pub(crate) struct CarIndex {
    cids: Vec<(Cid, [u8; 4])>,
    spans: Vec<[u32; 2]>,
}

impl CarIndex {
    /// Notes where the block `cid` lies in the CAR (which is under 4 GiB).
    pub(crate) fn add(&mut self, cid: Cid, span: Range<usize>) -> Result<()> {
        crate::support::memory::reserve(&mut self.cids, 1)?;
        crate::support::memory::reserve(&mut self.spans, 1)?;
        self.cids
            .push((cid, (self.spans.len() as u32).to_le_bytes()));
        self.spans.push([span.start as u32, span.end as u32]);
        Ok(())
    }
}

impl BlockStore {
    /// A store of the blocks of `car`, verified already, at the places `index` noted.
    pub(crate) fn from_car(car: Box<[u8]>, index: CarIndex) -> Result<BlockStore> {
        if u32::try_from(car.len()).is_err() {
            return Err(Error::new(
                Code::LimitExceeded,
                format!("a CAR of {} bytes is too large to keep", car.len()),
            ));
        }
        Ok(BlockStore {
            car,
            car_index: sort_by_digest(&index.cids)?,
            spans: index.spans,
            written: KeyedHashMap::default(),
        })
    }

    fn in_car(&self, cid: &Cid) -> Option<&[u8]> {
        let found = self
            .car_index
            .binary_search_by(|(c, _)| by_digest(c, cid))
            .ok()?;
        let position = u32::from_le_bytes(self.car_index.get(found)?.1);
        let [start, end] = *self.spans.get(position as usize)?;
        self.car.get(start as usize..end as usize)
    }

    /// Room for `additional` more records, reserved fallibly (so that adding them cannot fail).
    pub(crate) fn reserve(&mut self, additional: usize) -> Result<()> {
        self.written.try_reserve(additional).map_err(|_| {
            crate::support::memory::out_of_memory(additional * size_of::<(Cid, Written)>())
        })
    }

    /// One more path links to the record `cid`. `block` is its block the first time the caller
    /// has it, kept if the store lacks it (with room [reserved](Self::reserve) beforehand, this
    /// allocates nothing).
    pub(crate) fn link_record(&mut self, cid: Cid, block: Option<Box<[u8]>>) {
        if let Some(written) = self.written.get_mut(&cid) {
            written.links = written.links.saturating_add(1);
        } else if let Some(block) = block.filter(|_| self.in_car(&cid).is_none()) {
            self.written.insert(cid, Written { block, links: 1 });
        }
    }

    /// One path fewer links to the record `cid`: dropped when none does.
    pub(crate) fn unlink_record(&mut self, cid: &Cid) {
        if let Some(written) = self.written.get_mut(cid) {
            written.links = written.links.saturating_sub(1);
            if written.links == 0 {
                self.written.remove(cid);
            }
        }
    }
}

impl BlockSource for BlockStore {
    // Out of line: inlined into the export's piece writer, its table lookup was a second copy
    // (size: docs/performance.md, "wasm size").
    #[inline(never)]
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        match self.written.get(cid) {
            Some(written) => Some(&written.block),
            None => self.in_car(cid),
        }
    }
}
