//! Fuzzes CIDs in both forms: no input may panic the binary or the string parser, and whatever
//! either accepts is in the one canonical form (the binary CID re-encodes to the same 36 bytes, the
//! string prints back to itself) and converts to the other form and back.
//!
//! Run from the repository root: `cargo +nightly fuzz run cid -- -max_total_time=1800`.
//! Seeds: `cargo test --test fuzz_seeds -- --ignored` writes CIDs of both forms into
//! `fuzz/corpus/cid/`.
#![no_main]

use atproof::cid::Cid;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((cid, used)) = Cid::read_prefix(data) {
        assert_eq!(
            cid.to_bytes().as_slice(),
            data.get(..used).unwrap_or_default()
        );
        assert_eq!(Cid::parse(&cid.to_string()).ok(), Some(cid));
    }
    if let Ok(cid) = Cid::from_bytes(data) {
        assert_eq!(cid.to_bytes().as_slice(), data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cid) = Cid::parse(text) {
            assert_eq!(
                cid.to_string(),
                text,
                "accepted CID string is not canonical"
            );
            assert_eq!(Cid::from_bytes(&cid.to_bytes()).ok(), Some(cid));
        }
    }
});
