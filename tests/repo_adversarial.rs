//! An adversarial corpus built from the reference repository: each case breaks exactly one rule
//! (the tree is re-encoded and the commit re-signed with a test key where needed, so everything
//! else stays valid) and must be rejected with that rule's code, by `verify_repo` and by the
//! streaming verifier alike.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use atproof::car::{read_car, write_car, CarWriter};
use atproof::cbor::Encoder;
use atproof::cid::{Cid, Codec};
use atproof::crypto::{Algorithm, Keypair, PublicKey};
use atproof::mst::{common_prefix_len, key_depth, Node};
use atproof::repo::{
    record_proof_car, verify_record, verify_repo, Commit, RepoStreamVerifier, UnsignedCommit,
    VerifyOptions,
};
use atproof::syntax::Tid;
use atproof::Code;

const DID: &str = "did:plc:4ivi4ncn2kzzhwss5tmlrnoq";

fn good_car() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/generated/repo-1000-s1-k256.car"
    ))
    .unwrap()
}

fn reference_key() -> PublicKey {
    PublicKey::from_did_key("did:key:zQ3shib1VEhDds71EkT4n95qYQ9Ma34V6QPkEWqoWj3D8o2uv").unwrap()
}

fn test_keypair() -> Keypair {
    Keypair::import(Algorithm::Es256k, &[0x42; 32]).unwrap()
}

/// An MST node as plain data, to be broken and re-encoded.
#[derive(Clone, Debug)]
struct RawNode {
    left: Option<Box<RawNode>>,
    entries: Vec<RawEntry>,
    /// Write `l` as this link instead of the left subtree's CID.
    left_link: Option<Cid>,
    /// Add a third field, `x`.
    extra_field: bool,
}

#[derive(Clone, Debug)]
struct RawEntry {
    key: Vec<u8>,
    value: Cid,
    right: Option<Box<RawNode>>,
    /// Write this prefix length instead of the optimal one.
    prefix: Option<usize>,
}

impl RawNode {
    fn load(blocks: &HashMap<Cid, Vec<u8>>, cid: &Cid) -> RawNode {
        let node = Node::decode(&blocks[cid]).unwrap();
        let load = |link: Option<Cid>| link.map(|c| Box::new(RawNode::load(blocks, &c)));
        RawNode {
            left: load(node.left()),
            entries: node
                .entries()
                .map(|e| RawEntry {
                    key: e.key.to_vec(),
                    value: e.value,
                    right: load(e.right),
                    prefix: None,
                })
                .collect(),
            left_link: None,
            extra_field: false,
        }
    }

    /// Encodes the tree bottom-up into `out`; returns the root CID.
    fn encode(&self, out: &mut Vec<(Cid, Vec<u8>)>) -> Cid {
        let left = self.left.as_ref().map(|n| n.encode(out));
        let rights: Vec<Option<Cid>> = self
            .entries
            .iter()
            .map(|e| e.right.as_ref().map(|n| n.encode(out)))
            .collect();
        let mut enc = Encoder::new();
        enc.write_map_header(if self.extra_field { 3 } else { 2 });
        enc.write_str("e");
        enc.write_array_header(self.entries.len());
        let mut previous: &[u8] = &[];
        for (entry, right) in self.entries.iter().zip(&rights) {
            let prefix = entry
                .prefix
                .unwrap_or_else(|| common_prefix_len(previous, &entry.key));
            enc.write_map_header(4);
            enc.write_str("k");
            enc.write_bytes(&entry.key[prefix..]);
            enc.write_str("p");
            enc.write_int(prefix as i64);
            enc.write_str("t");
            match right {
                Some(cid) => enc.write_link(cid),
                None => enc.write_null(),
            }
            enc.write_str("v");
            enc.write_link(&entry.value);
            previous = &entry.key;
        }
        enc.write_str("l");
        match self.left_link.or(left) {
            Some(cid) => enc.write_link(&cid),
            None => enc.write_null(),
        }
        if self.extra_field {
            enc.write_str("x");
            enc.write_int(0);
        }
        let block = enc.into_bytes();
        let cid = Cid::for_drisl(&block);
        out.push((cid, block));
        cid
    }

    /// Paths to every node in pre-order (so leaves come in key order); a path step is 0 for the
    /// left subtree and i+1 for the subtree after entry i.
    fn paths(&self, path: Vec<usize>, out: &mut Vec<Vec<usize>>) {
        out.push(path.clone());
        if let Some(left) = &self.left {
            left.paths([path.clone(), vec![0]].concat(), out);
        }
        for (i, entry) in self.entries.iter().enumerate() {
            if let Some(right) = &entry.right {
                right.paths([path.clone(), vec![i + 1]].concat(), out);
            }
        }
    }

    fn at(&mut self, path: &[usize]) -> &mut RawNode {
        match path.split_first() {
            None => self,
            Some((0, rest)) => self.left.as_mut().unwrap().at(rest),
            Some((&i, rest)) => self.entries[i - 1].right.as_mut().unwrap().at(rest),
        }
    }

    fn is_leaf(&self) -> bool {
        self.left.is_none() && self.entries.iter().all(|e| e.right.is_none())
    }
}

/// The good repository, taken apart.
struct Repo {
    blocks: HashMap<Cid, Vec<u8>>,
    commit_cid: Cid,
    tree: RawNode,
    rev: Tid,
}

impl Repo {
    fn load() -> Repo {
        let bytes = good_car();
        let car = read_car(&bytes).unwrap();
        let blocks: HashMap<Cid, Vec<u8>> =
            car.blocks().iter().map(|(c, b)| (c, b.to_vec())).collect();
        let commit_cid = car.roots()[0];
        let commit = Commit::decode(&blocks[&commit_cid]).unwrap();
        let tree = RawNode::load(&blocks, &commit.data());
        Repo {
            rev: commit.rev(),
            blocks,
            commit_cid,
            tree,
        }
    }

    /// Leaves in key order.
    fn leaves(&self) -> Vec<Vec<usize>> {
        let mut paths = Vec::new();
        self.tree.paths(Vec::new(), &mut paths);
        paths
            .into_iter()
            .filter(|p| self.tree.clone().at(p).is_leaf())
            .collect()
    }

    /// A CAR of `tree` with a commit by `did` signed by the test key; the original record
    /// blocks; nodes of the original tree are left out.
    fn car_with(&self, tree: &RawNode, did: &str) -> Vec<u8> {
        let mut nodes = Vec::new();
        let data = tree.encode(&mut nodes);
        let commit = UnsignedCommit::new(did, self.rev, data, None)
            .unwrap()
            .sign(&test_keypair());
        let old_nodes: std::collections::HashSet<Cid> = {
            let mut all = Vec::new();
            self.tree.encode(&mut all);
            all.into_iter().map(|(c, _)| c).collect()
        };
        let mut writer = CarWriter::new(&[commit.cid]);
        writer.write_block(&commit.cid, &commit.block);
        for (cid, block) in &nodes {
            writer.write_block(cid, block);
        }
        for (cid, block) in &self.blocks {
            if *cid != self.commit_cid && !old_nodes.contains(cid) {
                writer.write_block(cid, block);
            }
        }
        writer.into_bytes()
    }

    fn car(&self, tree: &RawNode) -> Vec<u8> {
        self.car_with(tree, DID)
    }

    /// The original CAR with its blocks changed by `edit` (the header kept).
    fn raw_car(&self, edit: impl Fn(&Cid, &mut Vec<u8>) -> bool) -> Vec<u8> {
        let mut blocks: Vec<(Cid, Vec<u8>)> = Vec::new();
        for (cid, block) in &self.blocks {
            let mut block = block.clone();
            if edit(cid, &mut block) {
                blocks.push((*cid, block));
            }
        }
        // Commit first, as in the original.
        blocks.sort_by_key(|(cid, _)| *cid != self.commit_cid);
        write_car(
            &[self.commit_cid],
            blocks.iter().map(|(c, b)| (*c, b.as_slice())),
        )
    }
}

fn test_options() -> VerifyOptions {
    VerifyOptions {
        did: Some(DID.to_owned()),
        key: Some(test_keypair().public_key()),
        ..VerifyOptions::default()
    }
}

fn reference_options() -> VerifyOptions {
    VerifyOptions {
        did: Some(DID.to_owned()),
        key: Some(reference_key()),
        ..VerifyOptions::default()
    }
}

/// Both verifiers must reject `car` with `code`.
fn rejects(name: &str, car: &[u8], options: &VerifyOptions, code: Code) {
    let error = verify_repo(car, options).expect_err(name);
    assert_eq!(error.code(), code, "{name}: {error}");
    let mut streaming = RepoStreamVerifier::new(options.clone());
    let result = car
        .chunks(4096)
        .try_for_each(|chunk| streaming.feed(chunk).map(|_| ()))
        .and_then(|()| streaming.finish());
    let error = result.expect_err(name);
    assert_eq!(error.code(), code, "{name} (streaming): {error}");
}

/// `base` + a suffix, with the depth asked for.
fn key_with_depth(base: &[u8], wanted: impl Fn(u8) -> bool) -> Vec<u8> {
    (0..10_000)
        .map(|i| [base, format!("{i}").as_bytes()].concat())
        .find(|k| wanted(key_depth(k)))
        .unwrap()
}

#[test]
fn the_rebuilt_repository_is_valid() {
    let repo = Repo::load();
    let car = repo.car(&repo.tree);
    let verified = verify_repo(&car, &test_options()).unwrap();
    let original = verify_repo(&good_car(), &reference_options()).unwrap();
    assert_eq!(verified.data, original.data);
    assert_eq!(verified.records, original.records);
}

#[test]
fn flipped_bytes() {
    let repo = Repo::load();
    let original = verify_repo(&good_car(), &reference_options()).unwrap();
    let record = original.records.get(10).unwrap().cid;
    let node = original.data;
    for (name, target) in [
        ("record", record),
        ("MST node", node),
        ("commit", repo.commit_cid),
    ] {
        let car = repo.raw_car(|cid, block| {
            if *cid == target {
                let last = block.len() - 1;
                block[last] ^= 0x01;
            }
            true
        });
        rejects(name, &car, &reference_options(), Code::CidMismatch);
    }
}

#[test]
fn signature_and_did() {
    let repo = Repo::load();
    // The reference repository checked against another key.
    rejects(
        "other key",
        &good_car(),
        &test_options(),
        Code::BadSignature,
    );
    // Re-signed by the test key, checked against the reference key.
    rejects(
        "re-signed",
        &repo.car(&repo.tree),
        &reference_options(),
        Code::BadSignature,
    );
    // A commit for another DID, properly signed.
    let other = repo.car_with(&repo.tree, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa");
    rejects("different DID", &other, &test_options(), Code::DidMismatch);
    // The reference repository with another DID expected.
    let mut options = reference_options();
    options.did = Some("did:web:example.com".to_owned());
    rejects("expected DID", &good_car(), &options, Code::DidMismatch);
}

#[test]
fn missing_blocks() {
    let repo = Repo::load();
    let original = verify_repo(&good_car(), &reference_options()).unwrap();
    let record = original.records.get(500).unwrap().cid;
    let without_record = repo.raw_car(|cid, _| *cid != record);
    rejects(
        "missing record",
        &without_record,
        &reference_options(),
        Code::MissingBlock,
    );
    let leaf = Node::decode(&repo.blocks[&original.data])
        .unwrap()
        .left()
        .unwrap();
    let without_node = repo.raw_car(|cid, _| *cid != leaf);
    rejects(
        "missing MST node",
        &without_node,
        &reference_options(),
        Code::MissingBlock,
    );
    let without_commit = repo.raw_car(|cid, _| *cid != repo.commit_cid);
    rejects(
        "missing commit",
        &without_commit,
        &reference_options(),
        Code::MissingBlock,
    );
}

#[test]
fn key_on_the_wrong_layer() {
    let repo = Repo::load();
    let mut tree = repo.tree.clone();
    let leaf = tree.at(&repo.leaves()[3]);
    let key = key_with_depth(&leaf.entries[0].key, |d| d > 0);
    let value = leaf.entries[0].value;
    leaf.entries.insert(
        1,
        RawEntry {
            key,
            value,
            right: None,
            prefix: None,
        },
    );
    rejects(
        "wrong layer",
        &repo.car(&tree),
        &test_options(),
        Code::MstWrongLayer,
    );

    // A subtree that skips a layer: a layer-2 node linking straight to a layer-0 node.
    let mut tree = repo.tree.clone();
    let mut paths = Vec::new();
    tree.paths(Vec::new(), &mut paths);
    let grandchild = paths.iter().find(|p| p.len() == 2).unwrap().clone();
    let skipped = tree.at(&grandchild).clone();
    *tree.at(&grandchild[..1]) = skipped;
    rejects(
        "skipped layer",
        &repo.car(&tree),
        &test_options(),
        Code::MstWrongLayer,
    );
}

#[test]
fn unsorted_and_duplicate_keys() {
    let repo = Repo::load();
    let leaf_path = repo
        .leaves()
        .into_iter()
        .find(|p| repo.tree.clone().at(p).entries.len() >= 2)
        .unwrap();
    let mut tree = repo.tree.clone();
    tree.at(&leaf_path).entries.swap(0, 1);
    rejects(
        "unsorted",
        &repo.car(&tree),
        &test_options(),
        Code::MstUnsortedKeys,
    );

    let mut tree = repo.tree.clone();
    let leaf = tree.at(&leaf_path);
    let copy = leaf.entries[0].clone();
    leaf.entries.insert(1, copy);
    rejects(
        "duplicate in a node",
        &repo.car(&tree),
        &test_options(),
        Code::MstDuplicateKey,
    );
}

#[test]
fn non_optimal_prefix() {
    let repo = Repo::load();
    let mut tree = repo.tree.clone();
    let path = repo
        .leaves()
        .into_iter()
        .find(|p| repo.tree.clone().at(p).entries.len() >= 2)
        .unwrap();
    let leaf = tree.at(&path);
    let shared = common_prefix_len(&leaf.entries[0].key, &leaf.entries[1].key);
    assert!(shared > 0);
    leaf.entries[1].prefix = Some(shared - 1);
    rejects(
        "shorter prefix",
        &repo.car(&tree),
        &test_options(),
        Code::MstNonOptimalPrefix,
    );

    // A first entry claiming a prefix (against no previous key).
    let mut tree = repo.tree.clone();
    tree.at(&path).entries[0].prefix = Some(1);
    rejects(
        "first entry prefix",
        &repo.car(&tree),
        &test_options(),
        Code::MstNonOptimalPrefix,
    );
}

#[test]
fn subtree_range_violation() {
    let repo = Repo::load();
    let leaves = repo.leaves();
    let (j, _) = leaves
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, p)| repo.tree.clone().at(p).entries.len() >= 2)
        .unwrap();
    let mut tree = repo.tree.clone();
    let moved = tree.at(&leaves[j]).entries.remove(0);
    tree.at(&leaves[j - 1]).entries.push(moved);
    rejects(
        "range",
        &repo.car(&tree),
        &test_options(),
        Code::MstRangeViolation,
    );
}

#[test]
fn empty_nodes() {
    let repo = Repo::load();
    // The root wrapped in an empty node one layer up.
    let top = RawNode {
        left: Some(Box::new(repo.tree.clone())),
        entries: Vec::new(),
        left_link: None,
        extra_field: false,
    };
    rejects(
        "empty top",
        &repo.car(&top),
        &test_options(),
        Code::MstEmptyTopNode,
    );

    // A leaf emptied of its entries.
    let mut tree = repo.tree.clone();
    tree.at(&repo.leaves()[2]).entries.clear();
    rejects(
        "empty leaf",
        &repo.car(&tree),
        &test_options(),
        Code::MstEmptyNode,
    );
}

#[test]
fn invalid_keys_and_links() {
    let repo = Repo::load();
    let path = repo.leaves()[4].clone();
    // Replacing a leaf's last key by one that sorts right after it keeps the order.
    let replace_last = |suffix: &[u8]| {
        let mut tree = repo.tree.clone();
        let leaf = tree.at(&path);
        let last = leaf.entries.last_mut().unwrap();
        last.key = key_with_depth(&[&last.key[..], suffix].concat(), |d| d == 0);
        tree
    };
    rejects(
        "three segments",
        &repo.car(&replace_last(b"/x")),
        &test_options(),
        Code::MstInvalidKey,
    );
    rejects(
        "space",
        &repo.car(&replace_last(b" ")),
        &test_options(),
        Code::MstInvalidKey,
    );
    let long_rkey = vec![b'x'; 600];
    rejects(
        "record key too long",
        &repo.car(&replace_last(&long_rkey)),
        &test_options(),
        Code::InvalidRepoPath,
    );
    // The smallest key of the tree replaced by one with an invalid collection NSID that still
    // sorts first and sits on the same layer.
    let mut tree = repo.tree.clone();
    let mut first = &mut tree;
    let mut layer_path = Vec::new();
    while first.left.is_some() {
        first = first.left.as_mut().unwrap();
        layer_path.push(0);
    }
    let layer = key_depth(&first.entries[0].key);
    first.entries[0].key = key_with_depth(b"0.bad.nsid/x", |d| d == layer);
    rejects(
        "invalid collection",
        &repo.car(&tree),
        &test_options(),
        Code::InvalidRepoPath,
    );

    // A node with a third field: present, but not an MST node.
    let mut tree = repo.tree.clone();
    tree.at(&path).extra_field = true;
    rejects(
        "extra node field",
        &repo.car(&tree),
        &test_options(),
        Code::MstInvalid,
    );
    let mut root_extra = repo.tree.clone();
    root_extra.extra_field = true;
    rejects(
        "extra root field",
        &repo.car(&root_extra),
        &test_options(),
        Code::MstInvalid,
    );

    // An MST link with the raw codec.
    let mut tree = repo.tree.clone();
    let mut nodes = Vec::new();
    let left = tree.left.as_ref().unwrap().encode(&mut nodes);
    tree.left_link = Some(Cid::new(Codec::Raw, *left.digest()));
    rejects(
        "raw MST link",
        &repo.car(&tree),
        &test_options(),
        Code::MstInvalidLink,
    );
}

#[test]
fn root_is_not_a_commit() {
    let repo = Repo::load();
    let original = verify_repo(&good_car(), &reference_options()).unwrap();
    let car = write_car(
        &[original.data],
        repo.blocks.iter().map(|(c, b)| (*c, b.as_slice())),
    );
    rejects(
        "root is the MST",
        &car,
        &reference_options(),
        Code::CarRootNotCommit,
    );
    let record = original.records.get(0).unwrap().cid;
    let car = write_car(
        &[record],
        repo.blocks.iter().map(|(c, b)| (*c, b.as_slice())),
    );
    rejects(
        "root is a record",
        &car,
        &reference_options(),
        Code::CarRootNotCommit,
    );
    let car = write_car(&[], repo.blocks.iter().map(|(c, b)| (*c, b.as_slice())));
    rejects("no root", &car, &reference_options(), Code::CarNoRoots);
}

/// A commit map written by hand (fields in canonical order), signed by the test key.
/// Writes one field value.
type FieldWriter<'a> = &'a dyn Fn(&mut Encoder);

fn hand_commit(fields: &[(&str, FieldWriter<'_>)]) -> Vec<u8> {
    let mut enc = Encoder::new();
    enc.write_map_header(fields.len());
    for (name, write) in fields {
        enc.write_str(name);
        write(&mut enc);
    }
    enc.into_bytes()
}

#[test]
fn commit_fields() {
    let repo = Repo::load();
    let original = verify_repo(&good_car(), &reference_options()).unwrap();
    let data = original.data;
    let sig = [7u8; 64];
    let with_commit = |commit: Vec<u8>| {
        let cid = Cid::for_drisl(&commit);
        let mut blocks: Vec<(Cid, Vec<u8>)> = vec![(cid, commit)];
        blocks.extend(
            repo.blocks
                .iter()
                .filter(|(c, _)| **c != repo.commit_cid)
                .map(|(c, b)| (*c, b.clone())),
        );
        write_car(&[cid], blocks.iter().map(|(c, b)| (*c, b.as_slice())))
    };
    let did = |e: &mut Encoder| e.write_str(DID);
    let rev = |e: &mut Encoder| e.write_str("3lfesjgnzk226");
    let signature = |e: &mut Encoder| e.write_bytes(&sig);
    let data_link = |e: &mut Encoder| e.write_link(&data);
    let null = |e: &mut Encoder| e.write_null();
    let v3 = |e: &mut Encoder| e.write_int(3);
    let v2 = |e: &mut Encoder| e.write_int(2);
    let bad_rev = |e: &mut Encoder| e.write_str("not-a-tid");
    let bad_did = |e: &mut Encoder| e.write_str("plc:abc");
    let short_sig = |e: &mut Encoder| e.write_bytes(&[1; 63]);
    let extra = |e: &mut Encoder| e.write_int(1);
    let raw_data = |e: &mut Encoder| e.write_link(&Cid::new(Codec::Raw, *data.digest()));
    let unchecked = VerifyOptions::default();

    // A well-formed v3 commit's fields in canonical order; each case changes it.
    let valid: Vec<(&str, FieldWriter<'_>)> = vec![
        ("did", &did),
        ("rev", &rev),
        ("sig", &signature),
        ("data", &data_link),
        ("prev", &null),
        ("version", &v3),
    ];
    let mut with_extra_field = valid.clone();
    with_extra_field.insert(5, ("extra", &extra));
    let mut unsorted = valid.clone();
    unsorted.swap(0, 1);
    let cases = [
        (
            "version 2",
            edited(&edited(&valid, "rev", None), "version", Some(&v2)),
            &unchecked,
            Code::CommitUnsupportedVersion,
        ),
        (
            "no prev",
            edited(&valid, "prev", None),
            &unchecked,
            Code::CommitInvalid,
        ),
        (
            "bad rev",
            edited(&valid, "rev", Some(&bad_rev)),
            &unchecked,
            Code::CommitInvalid,
        ),
        (
            "bad did",
            edited(&valid, "did", Some(&bad_did)),
            &unchecked,
            Code::CommitInvalid,
        ),
        (
            "short sig",
            edited(&valid, "sig", Some(&short_sig)),
            &unchecked,
            Code::CommitInvalid,
        ),
        (
            "unknown field",
            with_extra_field,
            &unchecked,
            Code::CommitInvalid,
        ),
        (
            "raw data link",
            edited(&valid, "data", Some(&raw_data)),
            &unchecked,
            Code::CommitInvalid,
        ),
        (
            "unsorted commit",
            unsorted,
            &unchecked,
            Code::CborMapKeyOrder,
        ),
        // Well-formed, but the signature is not the key's.
        (
            "forged signature",
            valid.clone(),
            &reference_options(),
            Code::BadSignature,
        ),
    ];
    for (name, fields, options, code) in cases {
        rejects(name, &with_commit(hand_commit(&fields)), options, code);
    }
}

/// `fields` with the field `name` written by `writer` instead, or left out (`None`).
fn edited<'a>(
    fields: &[(&'a str, FieldWriter<'a>)],
    name: &str,
    writer: Option<FieldWriter<'a>>,
) -> Vec<(&'a str, FieldWriter<'a>)> {
    fields
        .iter()
        .filter_map(|&(field, write)| match (field == name, writer) {
            (false, _) => Some((field, write)),
            (true, Some(replacement)) => Some((field, replacement)),
            (true, None) => None,
        })
        .collect()
}

#[test]
fn invalid_record() {
    let repo = Repo::load();
    let mut tree = repo.tree.clone();
    // A record holding a float, linked from a leaf (replacing a value).
    let float_record = vec![0xa1, 0x61, b'x', 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0];
    let float_cid = Cid::for_drisl(&float_record);
    let not_map = vec![0x83, 1, 2, 3];
    let not_map_cid = Cid::for_drisl(&not_map);
    let path = repo.leaves()[1].clone();
    tree.at(&path).entries[0].value = float_cid;
    let car = repo.car(&tree);
    let mut extended = car.clone();
    atproof::car::write_varint((36 + float_record.len()) as u64, &mut extended);
    extended.extend_from_slice(&float_cid.to_bytes());
    extended.extend_from_slice(&float_record);
    rejects("float record", &extended, &test_options(), Code::CborFloat);

    let mut tree = repo.tree.clone();
    tree.at(&path).entries[0].value = not_map_cid;
    let mut car = repo.car(&tree);
    atproof::car::write_varint((36 + not_map.len()) as u64, &mut car);
    car.extend_from_slice(&not_map_cid.to_bytes());
    car.extend_from_slice(&not_map);
    rejects(
        "array record",
        &car,
        &test_options(),
        Code::CborUnexpectedType,
    );
}

#[test]
fn tampered_record_proofs() {
    let original = verify_repo(&good_car(), &reference_options()).unwrap();
    let entry = original.records.get(321).unwrap();
    let (collection, rkey) = (entry.collection(), entry.rkey());
    let proof = record_proof_car(&good_car(), collection, rkey).unwrap();
    let key = reference_key();
    let proven = verify_record(&proof, DID, &key, collection, rkey).unwrap();
    assert!(proven.record.is_some());
    assert_eq!(
        (proven.commit, proven.rev),
        (original.commit, original.rev.as_str())
    );

    // Every single flipped byte past the header breaks the proof (hash, signature or framing).
    let header_end = 1 + proof[0] as usize;
    for i in (header_end..proof.len()).step_by(7) {
        let mut tampered = proof.clone();
        tampered[i] ^= 0x20;
        assert!(
            verify_record(&tampered, DID, &key, collection, rkey).is_err(),
            "byte {i}"
        );
    }
    // Another key, another DID.
    let other = test_keypair().public_key();
    let error = verify_record(&proof, DID, &other, collection, rkey).unwrap_err();
    assert_eq!(error.code(), Code::BadSignature);
    let error = verify_record(&proof, "did:plc:other", &key, collection, rkey).unwrap_err();
    assert_eq!(error.code(), Code::DidMismatch);
    // A proof with a node left out.
    let car = read_car(&proof).unwrap();
    let data = Commit::decode(car.get(&car.roots()[0]).unwrap())
        .unwrap()
        .data();
    let without_root = write_car(car.roots(), car.blocks().iter().filter(|(c, _)| *c != data));
    let error = verify_record(&without_root, DID, &key, collection, rkey).unwrap_err();
    assert_eq!(error.code(), Code::MissingBlock);
    // A proof whose record block is missing.
    let without_record = write_car(
        car.roots(),
        car.blocks().iter().filter(|(c, _)| *c != entry.cid),
    );
    let error = verify_record(&without_record, DID, &key, collection, rkey).unwrap_err();
    assert_eq!(error.code(), Code::MissingBlock);
}
