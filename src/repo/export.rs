//! Writing repository CARs: full exports in streaming order, and record proofs.

use super::commit::Commit;
use super::records::missing_record;
use super::verify::{missing_commit, repo_path, root_commit_cid};
use crate::car::{read_car, BlockSource, CarWriter, CidSet};
use crate::cid::Cid;
use crate::error::Result;
use crate::mst::{NodesPreorder, Tree};

/// A full repository CAR in the streaming order: the commit first, then the MST nodes in
/// pre-order (a node, then its subtrees left to right), each node followed by the record blocks of
/// its entries in entry order. A record linked from several keys is written once.
///
/// `tree` must be the commit's `data` tree, whole; `records` must hold every record block
/// (`missing-block` otherwise).
pub fn write_repo_car<B: BlockSource + ?Sized>(
    commit_cid: &Cid,
    commit_block: &[u8],
    tree: &Tree,
    records: &B,
) -> Result<Vec<u8>> {
    let mut writer = RepoCarWriter::new(commit_cid, commit_block, tree);
    Ok(writer.next_piece(records, usize::MAX)?.unwrap_or_default())
}

/// [`write_repo_car`] a piece at a time, for repositories too large to hold twice: the writer
/// keeps a snapshot of the tree (its nodes are shared), and each piece is asked for with the
/// record blocks at hand.
#[derive(Debug)]
pub struct RepoCarWriter {
    car: CarWriter,
    nodes: NodesPreorder,
    written: CidSet,
    done: bool,
}

impl RepoCarWriter {
    /// A writer of the repository whose commit is `commit_block` and whose tree is `tree`.
    pub fn new(commit_cid: &Cid, commit_block: &[u8], tree: &Tree) -> RepoCarWriter {
        let mut car = CarWriter::new(&[*commit_cid]);
        car.write_block(commit_cid, commit_block);
        RepoCarWriter {
            car,
            nodes: tree.nodes_preorder(),
            written: CidSet::default(),
            done: false,
        }
    }

    /// The next piece of at least `size` bytes (less only for the last), `None` after the last.
    pub fn next_piece<B: BlockSource + ?Sized>(
        &mut self,
        records: &B,
        size: usize,
    ) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        while self.car.as_bytes().len() < size {
            let Some(node) = self.nodes.next().transpose()? else {
                self.done = true;
                break;
            };
            self.car.write_block(&node.cid, &node.block);
            for value in node.values {
                if self.written.insert(value) {
                    let record = records
                        .block(&value)
                        .ok_or_else(|| missing_record(&value))?;
                    self.car.write_block(&value, record);
                }
            }
        }
        Ok(Some(self.car.take_output()))
    }
}

/// The `com.atproto.sync.getRecord` proof of `collection/rkey` in a repository CAR: the commit,
/// the MST nodes from the root to where the key is (or would be), and the record if present.
///
/// The repository is read with every block hash-checked and its tree verified; the commit's
/// signature is not checked (the proof's reader does that).
pub fn record_proof_car(repo_car: &[u8], collection: &str, rkey: &str) -> Result<Vec<u8>> {
    let path = repo_path(collection, rkey)?;
    let car = read_car(repo_car)?;
    let commit_cid = root_commit_cid(car.roots())?;
    let commit_block = car
        .get(&commit_cid)
        .ok_or_else(|| missing_commit(&commit_cid))?;
    let commit = Commit::decode(commit_block)?;
    let tree = Tree::load(&car, &commit.data())?;
    let proof = tree.key_proof(path.as_bytes())?;
    let mut writer = CarWriter::new(&[commit_cid]);
    writer.write_block(&commit_cid, commit_block);
    for (cid, block) in &proof.nodes {
        writer.write_block(cid, block);
    }
    if let Some(value) = proof.value {
        let record = car.get(&value).ok_or_else(|| missing_record(&value))?;
        writer.write_block(&value, record);
    }
    Ok(writer.into_bytes())
}
