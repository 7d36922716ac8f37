//! The streaming verifier: a repository CAR verified as its chunks arrive.

use std::collections::HashMap;

use super::verify::{
    check_record_block, missing_commit, missing_record, root_commit_cid, verify_repo_blocks,
    RepoBlocks, VerifiedRepo, VerifyOptions,
};
use crate::car::{BlockSource, CarItem, CarStreamReader, CidHashBuilder, CidSet};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};

/// How far a [`RepoStreamVerifier`] has read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamProgress {
    /// Blocks read (each hash-checked).
    pub blocks: u64,
    /// Bytes fed.
    pub bytes: u64,
}

/// Verifies a repository CAR as it streams in, to the same result as
/// [`verify_repo`](super::verify_repo), holding the MST but not the records.
///
/// Each block is hash-checked as it completes. The commit (the first root) and every block shaped
/// like an MST node (a map whose first field is `e`, an array) are kept; every other block is
/// checked as a record there and then (valid DRISL, a map) and only its CID is remembered (or,
/// if invalid, its CID and error code, reported only if a record turns out to be it). Blocks may
/// come in any order. [`finish`](RepoStreamVerifier::finish) then walks the kept tree with every
/// check of the whole-buffer verifier.
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
    blocks: StreamedBlocks,
}

/// What the streaming verifier keeps of the blocks it has seen.
#[derive(Debug, Default)]
struct StreamedBlocks {
    /// The commit's CID (the first root), once the header is read.
    commit: Option<Cid>,
    /// The commit and the blocks shaped like MST nodes.
    kept: HashMap<Cid, Box<[u8]>, CidHashBuilder>,
    /// Blocks checked as valid records.
    records: CidSet,
    /// Blocks that are not valid records, with the reason's code.
    invalid: HashMap<Cid, Code, CidHashBuilder>,
}

impl RepoStreamVerifier {
    /// A verifier with the given options (DID, key, CAR limits).
    pub fn new(options: VerifyOptions) -> Self {
        RepoStreamVerifier {
            reader: CarStreamReader::with_limits(options.limits),
            options,
            blocks: StreamedBlocks::default(),
        }
    }

    /// Feeds the next chunk of the CAR; returns the progress so far. After an error the verifier
    /// is spent and returns that error again.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<StreamProgress> {
        let blocks = &mut self.blocks;
        self.reader.feed(chunk, |item| {
            match item {
                CarItem::Header { roots } => blocks.commit = roots.first().copied(),
                CarItem::Block { cid, data } => blocks.add(cid, data),
            }
            Ok(())
        })?;
        Ok(self.progress())
    }

    /// Blocks and bytes read so far.
    pub fn progress(&self) -> StreamProgress {
        StreamProgress {
            blocks: self.reader.blocks_read(),
            bytes: self.reader.bytes_read(),
        }
    }

    /// Ends the stream and verifies the repository: the same checks and result as
    /// [`verify_repo`](super::verify_repo).
    pub fn finish(self) -> Result<VerifiedRepo> {
        self.reader.finish()?;
        let roots = self.reader.roots().unwrap_or_default();
        let commit_cid = root_commit_cid(roots)?;
        let commit_block = self
            .blocks
            .kept
            .get(&commit_cid)
            .ok_or_else(|| missing_commit(&commit_cid))?;
        verify_repo_blocks(&commit_cid, commit_block, &self.blocks, &self.options)
    }
}

impl StreamedBlocks {
    fn add(&mut self, cid: Cid, data: &[u8]) {
        if self.commit == Some(cid) || looks_like_mst_node(data) {
            self.kept.entry(cid).or_insert_with(|| data.into());
            return;
        }
        if self.records.contains(&cid) || self.invalid.contains_key(&cid) {
            return;
        }
        match check_record_block(data) {
            Ok(()) => {
                self.records.insert(cid);
            }
            Err(error) => {
                self.invalid.insert(cid, error.code());
            }
        }
    }
}

/// Whether a block starts like an MST node: a two-entry map whose first key is `e`, an array.
fn looks_like_mst_node(block: &[u8]) -> bool {
    matches!(block, [0xa2, 0x61, b'e', array, ..] if array >> 5 == 4)
}

impl BlockSource for StreamedBlocks {
    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        self.kept.get(cid).map(|block| &block[..])
    }
}

impl RepoBlocks for StreamedBlocks {
    fn check_record(&self, cid: &Cid) -> Result<()> {
        if self.records.contains(cid) {
            return Ok(());
        }
        if let Some(block) = self.kept.get(cid) {
            return check_record_block(block);
        }
        match self.invalid.get(cid) {
            Some(code) => Err(Error::new(
                *code,
                format!("record block {cid} is not a valid record (checked as it streamed)"),
            )),
            None => Err(missing_record(cid)),
        }
    }
}
