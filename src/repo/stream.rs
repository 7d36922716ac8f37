//! The streaming verifier: a repository CAR verified as its chunks arrive.

use super::blocks::SortedBlocks;
use super::verify::{verify_sorted_blocks, VerifiedRepo, VerifyOptions};
use crate::car::{CarItem, CarStreamReader};
use crate::error::Result;

/// How far a [`RepoStreamVerifier`] has read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamProgress {
    /// Blocks read (each hash-checked).
    pub blocks: u64,
    /// Bytes fed.
    pub bytes: u64,
    /// Of the blocks read, those that are valid records (not MST nodes or the commit): the
    /// records so far, for a progress display; whether the tree links each of them is known at
    /// the end.
    pub records: u64,
}

/// Verifies a repository CAR as it streams in, to the same result as
/// [`verify_repo`](super::verify_repo), holding the MST but not the records.
///
/// Each block is hash-checked as it completes. The commit (the first root) and every block shaped
/// like an MST node (a map whose first field is `e`, an array) are copied and kept; every other
/// block is checked as a record there and then (valid DRISL, a map) and only its CID is
/// remembered (or, if invalid, its CID and error code, reported only if a record turns out to be
/// it). Blocks may come in any order. [`finish`](RepoStreamVerifier::finish) then walks the kept
/// tree with every check of the whole-buffer verifier (which sorts blocks the same way, borrowing
/// instead of copying).
///
/// ```
/// use atproof::repo::{RepoStreamVerifier, VerifyOptions};
/// # fn verify(chunks: &[&[u8]]) -> atproof::Result<()> {
/// let mut verifier = RepoStreamVerifier::new(VerifyOptions::default());
/// for chunk in chunks {
///     let progress = verifier.feed(chunk)?;
///     println!("{} blocks, {} bytes", progress.blocks, progress.bytes);
/// }
/// let repo = verifier.finish()?;
/// println!("{} records at rev {}", repo.records.len(), repo.rev);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RepoStreamVerifier {
    options: VerifyOptions,
    reader: CarStreamReader,
    blocks: SortedBlocks<'static>,
}

impl RepoStreamVerifier {
    /// A verifier with the given options (DID, key, CAR limits).
    pub fn new(options: VerifyOptions) -> Self {
        RepoStreamVerifier {
            reader: CarStreamReader::with_limits(options.limits),
            options,
            blocks: SortedBlocks::default(),
        }
    }

    /// Feeds the next chunk of the CAR; returns the progress so far. After an error the verifier
    /// is spent and returns that error again.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<StreamProgress> {
        let blocks = &mut self.blocks;
        self.reader.feed(chunk, |item| match item {
            CarItem::Header { roots } => {
                blocks.set_commit(roots.first().copied());
                Ok(())
            }
            CarItem::Block { cid, data } => blocks.add_copied(cid, data),
        })?;
        Ok(self.progress())
    }

    /// Blocks and bytes read so far.
    pub fn progress(&self) -> StreamProgress {
        StreamProgress {
            blocks: self.reader.blocks_read(),
            bytes: self.reader.bytes_read(),
            records: self.blocks.records_read() as u64,
        }
    }

    /// Ends the stream and verifies the repository: the same checks and result as
    /// [`verify_repo`](super::verify_repo).
    pub fn finish(self) -> Result<VerifiedRepo> {
        self.reader.finish()?;
        let roots = self.reader.roots().unwrap_or_default();
        verify_sorted_blocks(roots, self.blocks, &self.options)
    }
}
