//! Writes the large hostile inputs of `bench/hostile.mjs` into a folder (default `bench/data`):
//! `mst-1m.car`, a valid signed repository of 1,000,000 tiny records under tiny keys (an MST as
//! wide and deep as such a repository gets), with `mst-1m.json` naming its DID and signing key; and
//! `duplicates-1m.car`, one small block repeated 1,000,000 times.
//!
//! `cargo run --release --example hostile_inputs [folder]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use atproof::car::CarWriter;
use atproof::cbor::{encode, Value};
use atproof::cid::Cid;
use atproof::crypto::{Algorithm, Keypair};
use atproof::mst::Tree;
use atproof::repo::{write_repo_car, UnsignedCommit};
use atproof::syntax::Tid;

const RECORDS: u32 = 1_000_000;

fn main() {
    let folder = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "bench/data".into()),
    );
    std::fs::create_dir_all(&folder).unwrap();

    let keypair = Keypair::import(Algorithm::Es256k, &[9; 32]).unwrap();
    let did = "did:plc:hostilehostilehostilehos";
    let mut records = HashMap::new();
    let mut entries = Vec::with_capacity(RECORDS as usize);
    for i in 0..RECORDS {
        let record = encode(&Value::Map(vec![("i".into(), Value::Integer(i.into()))])).unwrap();
        let cid = Cid::for_drisl(&record);
        records.insert(cid, record);
        entries.push((format!("a.b.c/{i:x}"), cid));
    }
    let tree = Tree::build(entries.iter().map(|(key, cid)| (key.as_bytes(), *cid))).unwrap();
    let commit = UnsignedCommit::new(did, Tid::from_time(1, 0).unwrap(), tree.root_cid(), None)
        .unwrap()
        .sign(&keypair);
    let car = write_repo_car(&commit.cid, &commit.block, &tree, &records).unwrap();
    std::fs::write(folder.join("mst-1m.car"), &car).unwrap();
    let meta = format!(
        "{{\"did\":\"{did}\",\"signingKey\":\"{}\",\"records\":{RECORDS}}}\n",
        keypair.did()
    );
    std::fs::write(folder.join("mst-1m.json"), meta).unwrap();
    println!("mst-1m.car: {} bytes, {RECORDS} records", car.len());

    let block = encode(&Value::Map(vec![("a".into(), Value::Integer(1))])).unwrap();
    let cid = Cid::for_drisl(&block);
    let mut writer = CarWriter::new(&[cid]);
    for _ in 0..RECORDS {
        writer.write_block(&cid, &block);
    }
    let duplicates = writer.into_bytes();
    std::fs::write(folder.join("duplicates-1m.car"), &duplicates).unwrap();
    println!(
        "duplicates-1m.car: {} bytes, {RECORDS} copies of one block",
        duplicates.len()
    );
}
