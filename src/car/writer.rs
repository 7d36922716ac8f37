//! Writing CAR v1 files.

use super::section::{write_block, write_header};
use crate::cid::Cid;

/// Writes a CAR v1 file: the header, then blocks in the order given.
///
/// Output can be taken as it grows ([`CarWriter::take_output`]) to stream it, or whole at the end.
#[derive(Clone, Debug)]
pub struct CarWriter {
    out: Vec<u8>,
}

impl CarWriter {
    /// A writer whose header names `roots`.
    pub fn new(roots: &[Cid]) -> Self {
        let mut out = Vec::new();
        write_header(roots, &mut out);
        CarWriter { out }
    }

    /// Appends one block section. The CID is written as given: the caller vouches that it is the
    /// block's hash.
    pub fn write_block(&mut self, cid: &Cid, block: &[u8]) {
        write_block(cid, block, &mut self.out);
    }

    /// The bytes written and not yet taken.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// Takes the bytes written so far, leaving the writer ready for more blocks.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The bytes written and not yet taken.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

/// A whole CAR v1 file: the header naming `roots`, then `blocks` in the order given.
pub fn write_car<'b>(roots: &[Cid], blocks: impl IntoIterator<Item = (Cid, &'b [u8])>) -> Vec<u8> {
    let mut writer = CarWriter::new(roots);
    for (cid, block) in blocks {
        writer.write_block(&cid, block);
    }
    writer.into_bytes()
}
