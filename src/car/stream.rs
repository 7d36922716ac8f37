//! The incremental (push) reader.

use super::section::{decode_header, hash_ahead, read_block, Frame, HashCheck, HASH_AHEAD};
use super::CarLimits;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};

/// What the incremental reader hands over as soon as it is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CarItem<'a> {
    /// The header was read: the CAR's roots (always the first item).
    Header {
        /// The header's roots, in order.
        roots: &'a [Cid],
    },
    /// One block, already hash-checked against its CID (unless the reader trusts its input).
    Block {
        /// The CID the block is stored under.
        cid: Cid,
        /// The block's bytes, valid for the duration of the callback.
        data: &'a [u8],
    },
}

/// A push-based CAR v1 reader: feed it chunks as they arrive, get each block as soon as it is
/// whole, without ever holding more than one incomplete section.
///
/// A block that lies within one chunk is handed over straight from that chunk; only a section cut
/// by a chunk boundary is copied, into one buffer that is reused. Limits are checked from the
/// section's length prefix, before the buffer grows. After an error the reader is spent: further
/// calls return the same error.
///
/// ```
/// use atproof::car::{CarItem, CarStreamReader, CarWriter};
/// use atproof::cid::Cid;
/// let cid = Cid::for_drisl(&[0xa0]);
/// let mut writer = CarWriter::new(&[cid]);
/// writer.write_block(&cid, &[0xa0]);
/// let bytes = writer.into_bytes();
///
/// let mut reader = CarStreamReader::new();
/// let mut blocks = Vec::new();
/// for chunk in bytes.chunks(5) {
///     reader.feed(chunk, |item| {
///         if let CarItem::Block { cid, data } = item {
///             blocks.push((cid, data.to_vec()));
///         }
///         Ok(())
///     })?;
/// }
/// reader.finish()?;
/// assert_eq!(reader.roots(), Some(&[cid][..]));
/// assert_eq!(blocks, vec![(cid, vec![0xa0])]);
/// # Ok::<(), atproof::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CarStreamReader {
    limits: CarLimits,
    hashes: HashCheck,
    /// The start of a section cut by a chunk boundary.
    pending: Vec<u8>,
    /// Absolute offset of the next byte not yet consumed (the start of `pending`).
    offset: u64,
    /// Bytes fed so far.
    bytes_fed: u64,
    roots: Option<Vec<Cid>>,
    blocks: u64,
    failed: Option<Error>,
}

impl Default for CarStreamReader {
    fn default() -> Self {
        CarStreamReader::new()
    }
}

impl CarStreamReader {
    /// A reader that hashes every block, under [`CarLimits::DEFAULT`].
    pub fn new() -> Self {
        CarStreamReader::with_limits(CarLimits::DEFAULT)
    }

    /// A reader that hashes every block, under the given limits.
    pub fn with_limits(limits: CarLimits) -> Self {
        CarStreamReader::build(limits, HashCheck::Verify)
    }

    /// A reader that does not hash the blocks: only for input that is trusted already (see
    /// [`read_car_trusted`](super::read_car_trusted)).
    pub fn trusted(limits: CarLimits) -> Self {
        CarStreamReader::build(limits, HashCheck::Trust)
    }

    fn build(limits: CarLimits, hashes: HashCheck) -> Self {
        CarStreamReader {
            limits,
            hashes,
            pending: Vec::new(),
            offset: 0,
            bytes_fed: 0,
            roots: None,
            blocks: 0,
            failed: None,
        }
    }

    /// The roots, once the header has been read.
    pub fn roots(&self) -> Option<&[Cid]> {
        self.roots.as_deref()
    }

    /// Blocks handed over so far.
    pub fn blocks_read(&self) -> u64 {
        self.blocks
    }

    /// Bytes fed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_fed
    }

    /// Feeds the next chunk; `on_item` receives the header and every block completed by it, in
    /// file order. An error from `on_item` stops the reader and is returned.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut on_item: impl FnMut(CarItem<'_>) -> Result<()>,
    ) -> Result<()> {
        self.feed_dyn(chunk, &mut on_item)
    }

    /// [`feed`](Self::feed) with the callback as `dyn`: one copy of the reader in the wasm for
    /// every caller (each had its own; an indirect call per block is nothing next to its hash).
    fn feed_dyn(
        &mut self,
        chunk: &[u8],
        on_item: &mut dyn FnMut(CarItem<'_>) -> Result<()>,
    ) -> Result<()> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let result = self.feed_inner(chunk, on_item);
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    fn feed_inner(
        &mut self,
        mut chunk: &[u8],
        on_item: &mut dyn FnMut(CarItem<'_>) -> Result<()>,
    ) -> Result<()> {
        self.bytes_fed += chunk.len() as u64;
        if self.bytes_fed > self.limits.max_car_size {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "CAR stream exceeds the limit of {} bytes",
                    self.limits.max_car_size
                ),
            ));
        }
        // Complete the section cut by the previous chunk boundary.
        while !self.pending.is_empty() {
            match Frame::read(&self.pending, self.offset, &self.limits)? {
                Frame::Incomplete { needed } => {
                    let missing = needed.saturating_sub(self.pending.len());
                    let (head, tail) = chunk.split_at(missing.min(chunk.len()));
                    self.pending
                        .reserve(needed.saturating_sub(self.pending.len()));
                    self.pending.extend_from_slice(head);
                    chunk = tail;
                    if self.pending.len() < needed {
                        return Ok(());
                    }
                }
                Frame::Complete { prefix, body } => {
                    let pending = std::mem::take(&mut self.pending);
                    let section = pending.get(prefix..prefix + body).unwrap_or_default();
                    self.consume(section, prefix + body, None, on_item)?;
                    self.pending = pending;
                    self.pending.clear();
                }
            }
        }
        // Sections wholly inside the chunk are read in place, their blocks hashed ahead in groups
        // (a section reassembled above is hashed alone).
        let mut digests = [[0u8; 32]; HASH_AHEAD];
        let (mut hashed, mut used) = (0, 0);
        while !chunk.is_empty() {
            if used == hashed && self.roots.is_some() && self.hashes == HashCheck::Verify {
                hashed = hash_ahead(chunk, self.offset, &self.limits, &mut digests);
                used = 0;
            }
            match Frame::read(chunk, self.offset, &self.limits)? {
                Frame::Incomplete { .. } => {
                    self.pending.extend_from_slice(chunk);
                    return Ok(());
                }
                Frame::Complete { prefix, body } => {
                    let (frame, rest) = chunk.split_at((prefix + body).min(chunk.len()));
                    let digest = if used < hashed {
                        used += 1;
                        digests.get(used - 1)
                    } else {
                        None
                    };
                    self.consume(
                        frame.get(prefix..).unwrap_or_default(),
                        frame.len(),
                        digest,
                        on_item,
                    )?;
                    chunk = rest;
                }
            }
        }
        Ok(())
    }

    /// Handles one whole frame body (`frame_len` bytes from `self.offset`); `digest` is its
    /// block's SHA-256 when hashed ahead.
    fn consume(
        &mut self,
        body: &[u8],
        frame_len: usize,
        digest: Option<&[u8; 32]>,
        on_item: &mut dyn FnMut(CarItem<'_>) -> Result<()>,
    ) -> Result<()> {
        let offset = self.offset;
        self.offset += frame_len as u64;
        match self.roots {
            None => {
                let roots = self.roots.insert(decode_header(body, offset)?);
                on_item(CarItem::Header { roots })
            }
            Some(_) => {
                self.blocks += 1;
                if self.blocks > self.limits.max_blocks as u64 {
                    return Err(Error::new(
                        Code::LimitExceeded,
                        format!(
                            "CAR holds more than the limit of {} blocks",
                            self.limits.max_blocks
                        ),
                    ));
                }
                let (cid, data) = read_block(body, offset, self.hashes, digest)?;
                on_item(CarItem::Block { cid, data })
            }
        }
    }

    /// Checks that the input ended between sections, after the header (`car-truncated`
    /// otherwise), or returns the error that stopped the reader.
    pub fn finish(&self) -> Result<()> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if self.roots.is_none() {
            return Err(Error::new(
                Code::CarTruncated,
                format!("CAR ends inside its header ({} bytes)", self.bytes_fed),
            ));
        }
        if !self.pending.is_empty() {
            return Err(Error::new(
                Code::CarTruncated,
                format!(
                    "CAR ends inside the section at byte {} ({} bytes of it read)",
                    self.offset,
                    self.pending.len()
                ),
            ));
        }
        Ok(())
    }
}
