//! The whole-buffer reader.

use super::block_map::{BlockMap, BlockSource};
use super::section::{decode_header, read_block, Frame, HashCheck};
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
    let roots = decode_header(header_body, 0)?;

    // First pass: frame boundaries only, so the index is allocated once at its exact size.
    let mut count = 0usize;
    let mut pos = first_block;
    while let Some((_, next)) = next_frame(bytes, pos, limits)? {
        count += 1;
        if count > limits.max_blocks {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "CAR holds more than the limit of {} blocks",
                    limits.max_blocks
                ),
            ));
        }
        pos = next;
    }

    let mut blocks = BlockMap::with_capacity(count);
    let mut pos = first_block;
    while let Some((body, next)) = next_frame(bytes, pos, limits)? {
        let (cid, block) = read_block(body, pos as u64, hashes)?;
        blocks.insert(cid, block);
        pos = next;
    }
    Ok(CarFile { roots, blocks })
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
