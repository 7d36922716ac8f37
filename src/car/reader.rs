//! The whole-buffer reader.

use super::block_map::{BlockMap, BlockSource};
use super::section::{decode_header, hash_ahead, read_block, Frame, HashCheck, HASH_AHEAD};
use super::CarLimits;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};

/// A CAR file read from one buffer: its roots and its blocks, borrowed from the buffer.
#[derive(Clone, Debug)]
pub struct CarFile<'a> {
    roots: Vec<Cid>,
    blocks: BlockMap<'a>,
}

impl<'a> CarFile<'a> {
    /// The header's roots, in order (possibly none).
    pub fn roots(&self) -> &[Cid] {
        &self.roots
    }

    /// The blocks, indexed by CID (duplicates stored once).
    pub fn blocks(&self) -> &BlockMap<'a> {
        &self.blocks
    }

    /// The block stored under `cid`.
    #[inline]
    pub fn get(&self, cid: &Cid) -> Option<&'a [u8]> {
        self.blocks.get(cid)
    }

    /// The roots and the blocks.
    pub fn into_parts(self) -> (Vec<Cid>, BlockMap<'a>) {
        (self.roots, self.blocks)
    }
}

impl BlockSource for CarFile<'_> {
    #[inline]
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.get(cid)
    }
}

/// Reads a CAR v1 file held in one buffer, hashing every block against its CID, under
/// [`CarLimits::DEFAULT`].
///
/// Blocks may come in any order; duplicates and blocks nothing links to are fine. Errors name the
/// byte offset: `car-invalid-header`, `car-invalid-varint`, `car-truncated`, `invalid-cid` /
/// `cid-unsupported` for a section's CID, `cid-mismatch` for a block whose hash differs, and
/// `limit-exceeded`.
///
/// ```
/// use atproof::car::{read_car, CarWriter};
/// use atproof::cid::Cid;
/// let block = [0xa0]; // {}
/// let cid = Cid::for_drisl(&block);
/// let mut writer = CarWriter::new(&[cid]);
/// writer.write_block(&cid, &block);
/// let bytes = writer.into_bytes();
/// let car = read_car(&bytes)?;
/// assert_eq!(car.roots(), &[cid]);
/// assert_eq!(car.get(&cid), Some(&block[..]));
/// # Ok::<(), atproof::Error>(())
/// ```
pub fn read_car(bytes: &[u8]) -> Result<CarFile<'_>> {
    read_car_with_limits(bytes, &CarLimits::DEFAULT)
}

/// [`read_car`] under the given limits.
pub fn read_car_with_limits<'a>(bytes: &'a [u8], limits: &CarLimits) -> Result<CarFile<'a>> {
    read_whole(bytes, limits, HashCheck::Verify)
}

/// [`read_car`] without hashing the blocks: only for bytes that are trusted already (for example
/// a CAR this process wrote itself, or one whose hashes were checked when it was stored). The
/// structure and the limits are still checked.
pub fn read_car_trusted<'a>(bytes: &'a [u8], limits: &CarLimits) -> Result<CarFile<'a>> {
    read_whole(bytes, limits, HashCheck::Trust)
}

fn read_whole<'a>(bytes: &'a [u8], limits: &CarLimits, hashes: HashCheck) -> Result<CarFile<'a>> {
    let blocks = CarBlocks::new(bytes, limits, hashes)?;
    let mut index = BlockMap::try_with_capacity(count_sections(bytes, limits))?;
    let roots = blocks.roots.clone();
    for block in blocks {
        let (cid, block) = block?;
        index.insert(cid, block);
    }
    Ok(CarFile {
        roots,
        blocks: index,
    })
}

/// How many sections follow the header of the CAR in `bytes` (at most `limits.max_blocks` + 1),
/// by its framing alone (nothing is hashed or decoded): for allocating what a reader fills once, at
/// its exact size. A framing error ends the count; the reader reports it in file order, after the
/// blocks before it.
pub fn count_sections(bytes: &[u8], limits: &CarLimits) -> usize {
    let Ok(Some((_, mut pos))) = next_frame(bytes, 0, limits) else {
        return 0;
    };
    let mut count = 0usize;
    while let Ok(Some((_, next))) = next_frame(bytes, pos, limits) {
        count += 1;
        pos = next;
        if count > limits.max_blocks {
            break;
        }
    }
    count
}

/// The blocks of a CAR held in one buffer, one after the other, hash-checked, borrowed from the
/// buffer: for a single pass that needs no index.
///
/// Yields `Err` once (framing, CID, hash or limit error, with its byte offset) and then stops.
#[derive(Clone, Debug)]
pub struct CarBlocks<'a> {
    bytes: &'a [u8],
    roots: Vec<Cid>,
    pos: usize,
    limits: CarLimits,
    hashes: HashCheck,
    count: usize,
    done: bool,
    /// SHA-256 of the blocks of the next `hashed - used` sections (hashed ahead in groups).
    digests: [[u8; 32]; HASH_AHEAD],
    hashed: usize,
    used: usize,
}

/// Reads the header of a CAR held in one buffer and returns an iterator over its blocks, each
/// hash-checked as it is reached (see [`CarBlocks`]).
pub fn read_car_blocks<'a>(bytes: &'a [u8], limits: &CarLimits) -> Result<CarBlocks<'a>> {
    CarBlocks::new(bytes, limits, HashCheck::Verify)
}

impl<'a> CarBlocks<'a> {
    fn new(bytes: &'a [u8], limits: &CarLimits, hashes: HashCheck) -> Result<CarBlocks<'a>> {
        if bytes.len() as u64 > limits.max_car_size {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "CAR of {} bytes exceeds the limit of {} bytes",
                    bytes.len(),
                    limits.max_car_size
                ),
            ));
        }
        let (header_body, first_block) = next_frame(bytes, 0, limits)?.ok_or_else(|| {
            Error::new(
                Code::CarTruncated,
                "CAR ends before its header (empty input)",
            )
        })?;
        Ok(CarBlocks {
            bytes,
            roots: decode_header(header_body, 0)?,
            pos: first_block,
            limits: *limits,
            hashes,
            count: 0,
            done: false,
            digests: [[0; 32]; HASH_AHEAD],
            hashed: 0,
            used: 0,
        })
    }

    /// The header's roots.
    pub fn roots(&self) -> &[Cid] {
        &self.roots
    }

    /// The byte offset just past the last block yielded (a block ends its section): where a
    /// block of `n` bytes just yielded starts is this minus `n`.
    pub fn offset(&self) -> usize {
        self.pos
    }

    fn read_next(&mut self) -> Result<Option<(Cid, &'a [u8])>> {
        if self.used == self.hashed && self.hashes == HashCheck::Verify {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            self.hashed = hash_ahead(rest, self.pos as u64, &self.limits, &mut self.digests);
            self.used = 0;
        }
        let Some((body, next)) = next_frame(self.bytes, self.pos, &self.limits)? else {
            return Ok(None);
        };
        self.count += 1;
        if self.count > self.limits.max_blocks {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "CAR holds more than the limit of {} blocks",
                    self.limits.max_blocks
                ),
            ));
        }
        let digest = if self.used < self.hashed {
            self.used += 1;
            self.digests.get(self.used - 1)
        } else {
            None
        };
        let block = read_block(body, self.pos as u64, self.hashes, digest)?;
        self.pos = next;
        Ok(Some(block))
    }
}

impl<'a> Iterator for CarBlocks<'a> {
    type Item = Result<(Cid, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_next().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// The frame starting at `pos`: its body and the position after it, or `None` at the end of the
/// input; `car-truncated` when the input ends inside it.
#[inline]
fn next_frame<'a>(
    bytes: &'a [u8],
    pos: usize,
    limits: &CarLimits,
) -> Result<Option<(&'a [u8], usize)>> {
    let rest = bytes.get(pos..).unwrap_or_default();
    if rest.is_empty() {
        return Ok(None);
    }
    match Frame::read(rest, pos as u64, limits)? {
        Frame::Complete { prefix, body } => {
            let end = prefix + body;
            Ok(rest.get(prefix..end).map(|body| (body, pos + end)))
        }
        Frame::Incomplete { .. } => Err(Error::new(
            Code::CarTruncated,
            format!(
                "CAR ends inside the section at byte {pos} ({} bytes left)",
                rest.len()
            ),
        )),
    }
}
