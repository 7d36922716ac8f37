//! The atproto interop syntax vectors (tests/fixtures/interop/syntax, CC0), every line of every file.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // test code

use atproof::syntax;
use std::path::Path;

/// The vectors of one file: every line except blank ones and `#` comments, kept byte for byte
/// (leading and trailing spaces are part of several vectors).
fn vectors(name: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/interop/syntax")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(!lines.is_empty(), "{name} has no vectors");
    lines
}

fn check(kind: &str, is_valid: fn(&str) -> bool, valid: &[&str], invalid: &[&str]) -> usize {
    let mut count = 0;
    for file in valid {
        for v in vectors(file) {
            assert!(is_valid(&v), "{kind}: {v:?} ({file}) should be valid");
            count += 1;
        }
    }
    for file in invalid {
        for v in vectors(file) {
            assert!(!is_valid(&v), "{kind}: {v:?} ({file}) should be invalid");
            count += 1;
        }
    }
    count
}

#[test]
fn every_syntax_vector() {
    let cases = [
        check(
            "tid",
            syntax::is_valid_tid,
            &["tid_syntax_valid.txt"],
            &["tid_syntax_invalid.txt"],
        ),
        check(
            "record key",
            syntax::is_valid_record_key,
            &["recordkey_syntax_valid.txt"],
            &["recordkey_syntax_invalid.txt"],
        ),
        check(
            "nsid",
            syntax::is_valid_nsid,
            &["nsid_syntax_valid.txt"],
            &["nsid_syntax_invalid.txt"],
        ),
        check(
            "did",
            syntax::is_valid_did,
            &["did_syntax_valid.txt"],
            &["did_syntax_invalid.txt"],
        ),
        check(
            "handle",
            syntax::is_valid_handle,
            &["handle_syntax_valid.txt"],
            &["handle_syntax_invalid.txt"],
        ),
        check(
            "at-identifier",
            syntax::is_valid_at_identifier,
            &["atidentifier_syntax_valid.txt"],
            &["atidentifier_syntax_invalid.txt"],
        ),
        check(
            "at-uri",
            syntax::is_valid_at_uri,
            &["aturi_syntax_valid.txt"],
            &["aturi_syntax_invalid.txt"],
        ),
        check(
            "datetime",
            syntax::is_valid_datetime,
            &["datetime_syntax_valid.txt"],
            &["datetime_syntax_invalid.txt", "datetime_parse_invalid.txt"],
        ),
        check(
            "language",
            syntax::is_valid_language,
            &["language_syntax_valid.txt"],
            &["language_syntax_invalid.txt", "language_parse_invalid.txt"],
        ),
        check(
            "cid",
            syntax::is_valid_cid_syntax,
            &["cid_syntax_valid.txt"],
            &["cid_syntax_invalid.txt"],
        ),
        check(
            "uri",
            syntax::is_valid_uri,
            &["uri_syntax_valid.txt"],
            &["uri_syntax_invalid.txt"],
        ),
    ];
    let total: usize = cases.iter().sum();
    // Every non-comment line of the 24 files (counted independently: `grep -cv '^#\|^$'`).
    assert_eq!(total, EXPECTED_VECTORS, "vectors run: {cases:?}");
}

const EXPECTED_VECTORS: usize = 536;
