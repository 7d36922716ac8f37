//! CAR v1 files (`application/vnd.ipld.car`), the container of atproto repositories and
//! firehose diffs: reading a whole buffer, reading incrementally, writing.
//!
//! A CAR is a length-prefixed header (a DRISL map `{roots: [CID links], version: 1}`) followed by
//! length-prefixed sections, each a binary CID and the block it names. Lengths are unsigned LEB128
//! varints.
//!
//! The tricky bits:
//! - **Every block is hashed.** A CAR reader that does not hash blocks turns content addressing
//!   into a suggestion, and most CAR readers in the atproto ecosystem do not. [`read_car`] and
//!   [`CarStreamReader`] hash each block exactly once, as it is read; only
//!   [`read_car_trusted`] and [`CarStreamReader::trusted`], named for what they assume, skip it.
//! - **Tolerance is required by the spec**: blocks may come in any order, appear twice, or be
//!   linked by nothing. Duplicates are all hash-checked; the index keeps the first.
//! - **Strict framing.** Varints must be minimal, at most 10 bytes and fit in 64 bits; a length
//!   is checked against [`CarLimits`] before anything is buffered or allocated for it; the whole
//!   reader counts the sections first so the index is allocated once, at its exact size. Every
//!   error names the byte offset of the section at fault.
//! - **The header is DRISL**, decoded with the strict cursor: exactly the two fields, canonical
//!   order, `version` the integer 1 (CARv2 is refused). An empty `roots` array is valid CAR;
//!   repository code requires a root and says so (`car-no-roots`).
//! - **The index** is a hash map keyed by CID with a keyed hash (a secret per-process key mixed
//!   into the digest), so hostile CARs cannot engineer collisions; lookups are O(1).
//! - **Incremental reading** hands each block over straight from the chunk that completes it when
//!   it lies within that chunk, and otherwise from one reused buffer: memory is one section, not
//!   the file.

mod block_map;
mod reader;
mod section;
mod stream;
mod writer;

pub use crate::support::varint::{read_varint, write_varint, MAX_VARINT_LEN};
pub use block_map::{BlockMap, BlockSource, CidSet};
pub use reader::{
    count_sections, read_car, read_car_blocks, read_car_trusted, read_car_with_limits, CarBlocks,
    CarFile,
};
pub use stream::{CarItem, CarStreamReader};
pub use writer::{write_car, CarWriter};

/// Default [`CarLimits::max_block_size`]: 2 MiB (records are at most 1 MiB; firehose diffs at most
/// 2 MB in all).
pub const DEFAULT_MAX_BLOCK_SIZE: usize = 2 << 20;
/// Default [`CarLimits::max_blocks`]: 16 Mi blocks.
pub const DEFAULT_MAX_BLOCKS: usize = 16 << 20;
/// Default [`CarLimits::max_car_size`]: 4 GiB, the whole of a 32-bit WebAssembly memory.
pub const DEFAULT_MAX_CAR_SIZE: u64 = 4 << 30;

/// Resource limits for reading CARs, each checked before anything is allocated for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CarLimits {
    /// Largest CAR, in bytes.
    pub max_car_size: u64,
    /// Largest block (and header), in bytes, not counting the CID.
    pub max_block_size: usize,
    /// Most blocks (sections after the header), duplicates included.
    pub max_blocks: usize,
}

impl CarLimits {
    /// The limits of [`read_car`] and [`CarStreamReader::new`].
    pub const DEFAULT: CarLimits = CarLimits {
        max_car_size: DEFAULT_MAX_CAR_SIZE,
        max_block_size: DEFAULT_MAX_BLOCK_SIZE,
        max_blocks: DEFAULT_MAX_BLOCKS,
    };
}

impl Default for CarLimits {
    fn default() -> Self {
        CarLimits::DEFAULT
    }
}
