//! Fuzzes the CAR readers: no input may panic them, and the whole-buffer reader and the
//! incremental reader (fed in chunks whose size the first byte picks) must agree: the same blocks,
//! or errors with the same code.
//!
//! Run from the repository root: `cargo +nightly fuzz run car_read -- -max_total_time=300`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes the small CARs of
//! `tests/fixtures/mst-test-suite/cars/exhaustive/` and small signed repositories, each after its
//! chunk-size byte.
#![no_main]

use atproof::car::{read_car, CarItem, CarStreamReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk_byte, car)) = data.split_first() else {
        return;
    };
    let chunk_size = usize::from(chunk_byte % 64) + 1;
    let whole = read_car(car);
    let mut reader = CarStreamReader::new();
    let mut blocks = Vec::new();
    let streamed = car
        .chunks(chunk_size)
        .try_for_each(|chunk| {
            reader.feed(chunk, |item| {
                if let CarItem::Block { cid, data } = item {
                    blocks.push((cid, data.to_vec()));
                }
                Ok(())
            })
        })
        .and_then(|()| reader.finish());
    match (&whole, &streamed) {
        (Ok(file), Ok(())) => {
            assert_eq!(reader.roots(), Some(file.roots()));
            for (cid, block) in &blocks {
                assert_eq!(file.get(cid), Some(block.as_slice()));
            }
            assert!(blocks.len() >= file.blocks().len());
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{a} / {b}"),
        _ => panic!("readers disagree: {whole:?} / {streamed:?}"),
    }
});
