//! The blocks of a writable repository: the CAR it was loaded from, kept whole, and the records
//! written since, each kept once however many paths link to it.

use crate::car::{read_car_blocks_trusted, BlockSource, CarLimits};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::keyed_hash::KeyedHashMap;

/// Blocks by CID.
///
/// A loaded CAR stays one buffer, indexed by offsets: no copy per block, and its MST nodes are
/// there for the tree to load lazily. Records written later are owned one by one and counted by
/// the paths that link to them, so that one no path links to any more is dropped. The CAR's own
/// blocks are never dropped (their bytes are part of the one buffer anyway).
#[derive(Debug, Default)]
pub(crate) struct BlockStore {
    car: Box<[u8]>,
    blocks: KeyedHashMap<Cid, Stored>,
}

#[derive(Debug)]
enum Stored {
    /// `start..end` of the loaded CAR.
    InCar { start: u32, end: u32 },
    /// A record written since, and how many paths link to it.
    Owned { block: Box<[u8]>, links: u32 },
}

impl BlockStore {
    /// A store of the blocks of `car`, whose hashes were verified already (the blocks are indexed,
    /// not hashed again). The index is reserved fallibly, at its exact size.
    pub(crate) fn from_verified_car(car: Box<[u8]>, limits: &CarLimits) -> Result<BlockStore> {
        if u32::try_from(car.len()).is_err() {
            return Err(Error::new(
                Code::LimitExceeded,
                format!("a CAR of {} bytes is too large to keep", car.len()),
            ));
        }
        let mut blocks: KeyedHashMap<Cid, Stored> = KeyedHashMap::default();
        let count = crate::car::count_sections(&car, limits);
        blocks
            .try_reserve(count)
            .map_err(|_| crate::memory::out_of_memory(count * size_of::<(Cid, Stored)>()))?;
        let mut sections = read_car_blocks_trusted(&car, limits)?;
        while let Some(section) = sections.next() {
            let (cid, block) = section?;
            let end = sections.offset();
            let start = end - block.len();
            // Both fit: the whole CAR's length does.
            blocks.entry(cid).or_insert(Stored::InCar {
                start: start as u32,
                end: end as u32,
            });
        }
        Ok(BlockStore { car, blocks })
    }

    /// Room for `additional` more blocks, reserved fallibly (so that adding them cannot fail).
    pub(crate) fn reserve(&mut self, additional: usize) -> Result<()> {
        self.blocks
            .try_reserve(additional)
            .map_err(|_| crate::memory::out_of_memory(additional * size_of::<(Cid, Stored)>()))
    }

    /// One more path links to the record `cid`. `block` is its block the first time the caller
    /// has it, kept if the store lacks it (with room [reserved](Self::reserve) beforehand, this
    /// allocates nothing).
    pub(crate) fn link_record(&mut self, cid: Cid, block: Option<Box<[u8]>>) {
        match (self.blocks.get_mut(&cid), block) {
            (Some(Stored::Owned { links, .. }), _) => *links = links.saturating_add(1),
            (Some(Stored::InCar { .. }), _) => {}
            (None, Some(block)) => {
                self.blocks.insert(cid, Stored::Owned { block, links: 1 });
            }
            (None, None) => {}
        }
    }

    /// One path fewer links to the record `cid`: dropped when none does.
    pub(crate) fn unlink_record(&mut self, cid: &Cid) {
        if let Some(Stored::Owned { links, .. }) = self.blocks.get_mut(cid) {
            *links = links.saturating_sub(1);
            if *links == 0 {
                self.blocks.remove(cid);
            }
        }
    }
}

impl BlockSource for BlockStore {
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        match self.blocks.get(cid)? {
            Stored::InCar { start, end } => self.car.get(*start as usize..*end as usize),
            Stored::Owned { block, .. } => Some(block),
        }
    }
}
