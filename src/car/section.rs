//! The pieces of a CAR v1 file, shared by the whole-buffer and the incremental reader: the
//! length-prefixed frame, the header, the block section.

use super::CarLimits;
use crate::cbor::{Decoder, Encoder};
use crate::cid::{Cid, CID_BYTE_LEN};
use crate::error::{Code, Error, Result};
use crate::support::varint::{read_varint, write_varint};
use crate::syntax::quote;

/// A length-prefixed frame (the header or a block section) at the start of some bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// The bytes end inside the frame; `needed` bytes from its start would make progress (the
    /// whole frame once its length is known, one more byte while the varint is incomplete).
    Incomplete { needed: usize },
    /// The frame is whole: a varint of `prefix` bytes and a body of `body` bytes.
    Complete { prefix: usize, body: usize },
}

impl Frame {
    /// Reads the frame at the start of `bytes` (absolute position `offset`), refusing a body
    /// longer than the limits allow before anything is buffered for it.
    pub(crate) fn read(bytes: &[u8], offset: u64, limits: &CarLimits) -> Result<Frame> {
        let Some((length, prefix)) = read_varint(bytes, offset)? else {
            return Ok(Frame::Incomplete {
                needed: bytes.len() + 1,
            });
        };
        let max_body = limits.max_block_size.saturating_add(CID_BYTE_LEN);
        let body = usize::try_from(length)
            .ok()
            .filter(|&body| body <= max_body)
            .ok_or_else(|| {
                Error::new(
                    Code::LimitExceeded,
                    format!(
                        "CAR section at byte {offset} of {length} bytes exceeds the block size limit of {} bytes",
                        limits.max_block_size
                    ),
                )
            })?;
        let total = prefix.checked_add(body).ok_or_else(|| {
            Error::new(
                Code::LimitExceeded,
                format!("CAR section at byte {offset} of {length} bytes is too large to address"),
            )
        })?;
        Ok(if bytes.len() >= total {
            Frame::Complete { prefix, body }
        } else {
            Frame::Incomplete { needed: total }
        })
    }
}

/// Decodes the CAR header body (at absolute `offset`): a DRISL map of exactly `roots`, an array of
/// CID links, and `version`, the integer 1.
pub(crate) fn decode_header(body: &[u8], offset: u64) -> Result<Vec<Cid>> {
    let invalid = |why: String| {
        Error::new(
            Code::CarInvalidHeader,
            format!("CAR header at byte {offset}: {why}"),
        )
    };
    let cbor = |e: Error| invalid(format!("[{}] {}", e.code(), e.message()));
    let mut decoder = Decoder::new(body).map_err(cbor)?;
    let entries = decoder.read_map_header().map_err(cbor)?;
    let mut roots = None;
    let mut version = None;
    let mut previous = None;
    for _ in 0..entries {
        let key = decoder.next_key(previous).map_err(cbor)?;
        match key {
            "roots" => {
                let count = decoder.read_array_header().map_err(cbor)?;
                let mut links = Vec::with_capacity(count);
                for _ in 0..count {
                    links.push(decoder.read_link().map_err(cbor)?);
                }
                roots = Some(links);
            }
            "version" => version = Some(decoder.read_int().map_err(cbor)?),
            other => return Err(invalid(format!("unexpected field {}", quote(other)))),
        }
        previous = Some(key);
    }
    decoder.finish().map_err(cbor)?;
    match (version, roots) {
        (Some(1), Some(roots)) => Ok(roots),
        (Some(version), _) if version != 1 => Err(invalid(format!(
            "version {version} (only CAR version 1 is supported)"
        ))),
        (None, _) => Err(invalid("no version field".into())),
        _ => Err(invalid("no roots field".into())),
    }
}

/// Appends the frame of a CAR v1 header naming `roots`.
pub(crate) fn write_header(roots: &[Cid], out: &mut Vec<u8>) {
    let mut encoder = Encoder::new();
    encoder.write_map_header(2);
    encoder.write_key("roots");
    encoder.write_array_header(roots.len());
    for root in roots {
        encoder.write_link(root);
    }
    encoder.write_key("version");
    encoder.write_int(1);
    let header = encoder.into_bytes();
    write_varint(header.len() as u64, out);
    out.extend_from_slice(&header);
}

/// Whether the readers hash every block against its CID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HashCheck {
    /// Hash every block and fail with `cid-mismatch` on a difference.
    Verify,
    /// Take the CIDs as given: only for data that is trusted already.
    Trust,
}

/// Splits a block section body (at absolute `offset`) into its CID and block, and checks the
/// block's hash unless told to trust it. `digest` is the block's SHA-256 when it was hashed ahead
/// (see [`hash_ahead`]); it is hashed here otherwise.
#[inline]
pub(crate) fn read_block<'a>(
    body: &'a [u8],
    offset: u64,
    hashes: HashCheck,
    digest: Option<&[u8; 32]>,
) -> Result<(Cid, &'a [u8])> {
    let (cid, used) =
        Cid::read_prefix(body).map_err(|e| e.context(format!("CAR block at byte {offset}")))?;
    let block = body.get(used..).unwrap_or_default();
    if hashes == HashCheck::Verify {
        match digest {
            Some(digest) => cid.verify_digest(*digest),
            None => cid.verify(block),
        }
        .map_err(|e| e.context(format!("CAR block at byte {offset}")))?;
    }
    Ok((cid, block))
}

/// How many block sections [`hash_ahead`] hashes at once.
pub(crate) const HASH_AHEAD: usize = 128;

/// Hashes, four at a time (see [`crate::cid::sha256_many`]), the blocks of the whole block sections at the
/// start of `bytes` (at most [`HASH_AHEAD`]; it stops at the first incomplete or invalid frame)
/// and returns how many: `digests[i]` is the SHA-256 of the `i`-th section's block. Nothing is
/// checked or reported here: the reader then reads the same sections one by one, in file order,
/// and checks each against its digest, so errors and callbacks come exactly as without this. A
/// section whose CID does not read gets the digest of nothing (its CID error is reported first).
pub(crate) fn hash_ahead(
    bytes: &[u8],
    offset: u64,
    limits: &CarLimits,
    digests: &mut [[u8; 32]; HASH_AHEAD],
) -> usize {
    let mut blocks: [&[u8]; HASH_AHEAD] = [&[]; HASH_AHEAD];
    let mut count = 0;
    let mut rest = bytes;
    for slot in &mut blocks {
        let Ok(Frame::Complete { prefix, body }) = Frame::read(rest, offset, limits) else {
            break;
        };
        let Some(section) = rest.get(prefix..prefix + body) else {
            break;
        };
        *slot = Cid::read_prefix(section)
            .ok()
            .and_then(|(_, used)| section.get(used..))
            .unwrap_or_default();
        rest = rest.get(prefix + body..).unwrap_or_default();
        count += 1;
    }
    crate::cid::sha256_many(blocks.get(..count).unwrap_or_default(), digests);
    count
}

/// Appends one block section.
pub(crate) fn write_block(cid: &Cid, block: &[u8], out: &mut Vec<u8>) {
    write_varint((CID_BYTE_LEN + block.len()) as u64, out);
    cid.write_bytes(out);
    out.extend_from_slice(block);
}
