//! A hand-made corpus of malformed and non-canonical DRISL, one case per rule and per limit, each
//! with the code it must fail with; plus the cursor API and the encoder's refusals.

// A test crate: helpers outside #[test] functions may fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod support;

use std::borrow::Cow;

use atproof::cbor::{self, Decoder, Event, Events, Limits, Value};
use atproof::cid::Cid;
use atproof::Code;
use support::hex;

/// A blessed CID (DRISL codec) as a tag-42 link, in hex.
const LINK: &str = "d82a 5825 00 01711220 6506 2a5a 5a00 fc16 d73c 6944 237c cbc1 5b1c 4a72 3448 9336 891d 0917 41a2 39d0";

fn link_with(version_codec_hash: &str) -> String {
    format!("d82a 5825 00 {version_codec_hash} 65062a5a5a00fc16d73c6944237ccbc15b1c4a7234489336891d091741a239d0")
}

fn rejects(cases: &[(&str, &str, Code)]) -> usize {
    for (name, input, code) in cases {
        let bytes = hex(input);
        let error = cbor::validate(&bytes).expect_err(name);
        assert_eq!(error.code(), *code, "{name}: {error}");
        assert!(
            error.message().contains("at byte") || *code == Code::LimitExceeded,
            "{name}: {error}"
        );
        let tree_error = cbor::decode(&bytes).expect_err(name);
        assert_eq!(tree_error, error, "{name}: decode and validate disagree");
    }
    cases.len()
}

#[test]
fn malformed_and_non_canonical_inputs() {
    let long_key = format!("a1 79 2001 {} 01", "61".repeat(8193));
    let many_items = format!("9a 00020001 {}", "00".repeat(131_073));
    let depth_33 = format!("{}80", "81".repeat(32));
    #[rustfmt::skip]
    let cases: &[(&str, &str, Code)] = &[
        ("reserved info 28", "1c", Code::InvalidCbor),
        ("reserved info 30 on a string", "7e", Code::InvalidCbor),
        ("indefinite integer", "1f", Code::InvalidCbor),
        ("stray break", "ff", Code::InvalidCbor),
        ("two-byte simple value below 32", "f8 10", Code::InvalidCbor),
        ("1-byte argument under 24", "18 17", Code::NonCanonicalCbor),
        ("2-byte argument under 256", "19 00ff", Code::NonCanonicalCbor),
        ("4-byte argument under 65536", "1a 0000ffff", Code::NonCanonicalCbor),
        ("8-byte argument under 2^32", "1b 00000000ffffffff", Code::NonCanonicalCbor),
        ("negative integer not shortest", "38 00", Code::NonCanonicalCbor),
        ("string length not shortest", "78 01 61", Code::NonCanonicalCbor),
        ("array length not shortest", "98 00", Code::NonCanonicalCbor),
        ("map length not shortest", "b8 00", Code::NonCanonicalCbor),
        ("tag 42 not shortest", &format!("d9 002a {}", &LINK[5..]), Code::NonCanonicalCbor),
        ("CID byte string length not shortest", &LINK.replace("5825", "590025"), Code::NonCanonicalCbor),
        ("empty input", "", Code::CborTruncated),
        ("argument cut short", "19 01", Code::CborTruncated),
        ("string longer than input", "62 61", Code::CborTruncated),
        ("array claims more items than bytes", "82 01", Code::CborTruncated),
        ("map value missing", "a1 6161", Code::CborTruncated),
        ("nested arrays each claiming the rest", "83 83 83 00 00 00 00 00 00", Code::CborTruncated),
        ("CID link cut short", &LINK[..LINK.len() - 2], Code::CborTruncated),
        ("second top-level item", "01 01", Code::CborTrailingBytes),
        ("bytes after a map", "a0 00", Code::CborTrailingBytes),
        ("keys out of bytewise order", "a2 6162 01 6161 01", Code::CborMapKeyOrder),
        ("longer key before shorter", "a2 626161 01 6162 01", Code::CborMapKeyOrder),
        ("duplicate key", "a2 6161 01 6161 02", Code::CborDuplicateMapKey),
        ("integer key", "a1 01 01", Code::CborNonStringKey),
        ("byte-string key", "a1 4161 01", Code::CborNonStringKey),
        ("indefinite byte string", "5f 4161 ff", Code::CborIndefiniteLength),
        ("indefinite string", "7f 6161 ff", Code::CborIndefiniteLength),
        ("indefinite array", "9f 01 ff", Code::CborIndefiniteLength),
        ("indefinite map", "bf 6161 01 ff", Code::CborIndefiniteLength),
        ("half float", "f9 3c00", Code::CborFloat),
        ("single float", "fa 3f800000", Code::CborFloat),
        ("double float", "fb 3ff0000000000000", Code::CborFloat),
        ("float zero in a map", "a1 6161 fb 0000000000000000", Code::CborFloat),
        ("undefined", "f7", Code::CborSimpleValue),
        ("simple value 16", "f0", Code::CborSimpleValue),
        ("simple value 255", "f8 ff", Code::CborSimpleValue),
        ("tag 0 (date string)", "c0 60", Code::CborUnsupportedTag),
        ("tag 43", "d8 2b 01", Code::CborUnsupportedTag),
        ("big tag", "db 0000000100000000 01", Code::CborUnsupportedTag),
        ("tag 42 on an integer", "d82a 01", Code::CborInvalidCidLink),
        ("tag 42 on a string", "d82a 6161", Code::CborInvalidCidLink),
        ("CID link without the 0x00 prefix", &LINK.replace("5825 00 01", "5825 01 01").replace("39d0", "39d0 00"), Code::CborInvalidCidLink),
        ("CID link with a byte after the CID", &format!("{} 00", LINK.replace("5825", "5826")), Code::CborInvalidCidLink),
        ("empty CID link", "d82a 40", Code::CborInvalidCidLink),
        ("CID link of only the prefix", "d82a 41 00", Code::CborInvalidCidLink),
        ("CIDv0 in a link", &format!("d82a 5823 00 1220 {}", "ab".repeat(32)), Code::CidUnsupported),
        ("dag-pb codec", &link_with("01701220"), Code::CidUnsupported),
        ("sha-512 multihash", &link_with("01711320"), Code::CidUnsupported),
        ("invalid UTF-8 in a string", "62 c328", Code::CborInvalidUnicode),
        ("surrogate in a string", "63 eda080", Code::CborInvalidUnicode),
        ("invalid UTF-8 in a key", "a1 61ff 01", Code::CborInvalidUnicode),
        ("2^63", "1b 8000000000000000", Code::CborIntegerRange),
        ("-2^63 - 1", "3b 8000000000000000", Code::CborIntegerRange),
        ("2^64 - 1", "1b ffffffffffffffff", Code::CborIntegerRange),
        ("33 levels of nesting", &depth_33, Code::LimitExceeded),
        ("131073 items", &many_items, Code::LimitExceeded),
        ("10 bytes claiming 2^32 items", "9b 0000000100000000 00", Code::LimitExceeded),
        ("8193-byte key", &long_key, Code::LimitExceeded),
    ];
    assert_eq!(rejects(cases), 62, "cases run");
}

#[test]
fn boundaries_are_accepted() {
    #[rustfmt::skip]
    let accepted = [
        "1b 7fffffffffffffff",                  // i64::MAX
        "3b 7fffffffffffffff",                  // i64::MIN
        "17", "18 18", "19 0100", "1a 00010000", "1b 0000000100000000",
        "a3 6161 01 6162 02 626161 03",        // {"a", "b", "aa"}: shorter first
        "a1 60 01",                             // empty key: valid DRISL (the data-model check refuses it)
        "f4", "f5", "f6", "40", "60", "80", "a0",
        LINK,
    ];
    for input in accepted {
        let bytes = hex(input);
        let value = cbor::decode(&bytes).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(cbor::encode(&value).unwrap(), bytes, "{input}");
    }
    let integer = |input| cbor::decode(&hex(input)).unwrap().as_integer();
    assert_eq!(integer("1b 7fffffffffffffff"), Some(i64::MAX));
    assert_eq!(integer("3b 7fffffffffffffff"), Some(i64::MIN));

    let depth_32 = hex(&format!("{}80", "81".repeat(31)));
    cbor::validate(&depth_32).unwrap();
    let items_131072 = hex(&format!("9a 00020000 {}", "00".repeat(131_072)));
    cbor::validate(&items_131072).unwrap();
    let key_8192 = hex(&format!("a1 79 2000 {} 01", "61".repeat(8192)));
    cbor::validate(&key_8192).unwrap();
}

#[test]
fn limits_are_configurable() {
    let tight = Limits {
        max_size: 4,
        max_depth: 2,
        max_container_len: 2,
        max_key_len: 1,
    };
    let code = |input: &str| {
        cbor::validate_with_limits(&hex(input), tight)
            .unwrap_err()
            .code()
    };
    assert_eq!(code("82 01 01 01 01"), Code::LimitExceeded); // 5 bytes > 4
    assert_eq!(code("81 81 80"), Code::LimitExceeded); // depth 3
    assert_eq!(code("83 01 01 01"), Code::LimitExceeded); // 3 items
    assert_eq!(code("a1 626161 01"), Code::LimitExceeded); // 2-byte key
    cbor::validate_with_limits(&hex("81 80"), tight).unwrap();

    // With no container limit, a huge claim still fails before any allocation: it cannot fit.
    let open = Limits {
        max_container_len: usize::MAX,
        ..Limits::DEFAULT
    };
    let claim = hex("9b 0000000100000000 00");
    assert_eq!(
        cbor::decode_with_limits(&claim, open).unwrap_err().code(),
        Code::CborTruncated
    );
    let claim = hex("bb 7fffffffffffffff 00");
    assert_eq!(
        cbor::decode_with_limits(&claim, open).unwrap_err().code(),
        Code::CborTruncated
    );

    let record = vec![0x40; cbor::MAX_CBOR_RECORD_SIZE + 1];
    assert_eq!(
        cbor::decode_with_limits(&record, Limits::RECORD)
            .unwrap_err()
            .code(),
        Code::LimitExceeded
    );
}

#[test]
fn error_messages_name_the_offset() {
    let error = cbor::validate(&hex("a2 6161 01 6161 02")).unwrap_err();
    assert_eq!(error.message(), "duplicate map key \"a\" at byte 4");
    let error = cbor::validate(&hex("82 01 fb 3ff0000000000000")).unwrap_err();
    assert!(error.message().ends_with("at byte 2"), "{error}");
    let error = cbor::validate(&hex("62 61 ff")).unwrap_err();
    assert!(error.message().ends_with("at byte 2"), "{error}");
}

/// The cursor decodes a fixed shape (here: an MST-node-like map) with no tree.
#[test]
fn cursor_reads_fixed_shapes() {
    let cid = Cid::for_drisl(b"x");
    let node = Value::Map(vec![
        (
            Cow::Borrowed("e"),
            Value::Array(vec![Value::Map(vec![
                (
                    Cow::Borrowed("k"),
                    Value::Bytes(Cow::Borrowed(b"app.bsky.feed.post/3k")),
                ),
                (Cow::Borrowed("p"), Value::Integer(0)),
                (Cow::Borrowed("t"), Value::Null),
                (Cow::Borrowed("v"), Value::Link(cid)),
            ])]),
        ),
        (Cow::Borrowed("l"), Value::Null),
    ]);
    let bytes = cbor::encode(&node).unwrap();

    let mut d = Decoder::new(&bytes).unwrap();
    assert_eq!(d.read_map_header().unwrap(), 2);
    assert_eq!(d.read_key(None).unwrap(), "e");
    assert_eq!(d.read_array_header().unwrap(), 1);
    assert_eq!(d.read_map_header().unwrap(), 4);
    assert_eq!(d.read_key(None).unwrap(), "k");
    assert_eq!(d.read_bytes().unwrap(), b"app.bsky.feed.post/3k");
    assert_eq!(d.read_key(Some("k")).unwrap(), "p");
    assert_eq!(d.read_int().unwrap(), 0);
    assert_eq!(d.read_key(Some("p")).unwrap(), "t");
    assert_eq!(d.read_null_or_link().unwrap(), None);
    assert_eq!(d.read_key(Some("t")).unwrap(), "v");
    assert_eq!(d.read_link().unwrap(), cid);
    assert_eq!(d.read_key(Some("e")).unwrap(), "l");
    assert_eq!(d.read_null_or_link().unwrap(), None);
    d.finish().unwrap();

    // Wrong types, key order and skipping.
    let mut d = Decoder::new(&bytes).unwrap();
    assert_eq!(d.read_str().unwrap_err().code(), Code::CborUnexpectedType);
    let mut d = Decoder::new(&bytes).unwrap();
    d.read_map_header().unwrap();
    assert_eq!(
        d.read_key(Some("e")).unwrap_err().code(),
        Code::CborDuplicateMapKey
    );
    let mut d = Decoder::new(&bytes).unwrap();
    d.read_map_header().unwrap();
    d.read_key(None).unwrap();
    let skipped = d.skip_value().unwrap();
    assert_eq!(cbor::decode(skipped).unwrap(), *node.get("e").unwrap());
    assert_eq!(d.read_key(Some("e")).unwrap(), "l");
    assert!(d.finish().is_err());
    d.read_null_or_link().unwrap();
    d.finish().unwrap();

    // skip_value applies the depth limit from where it starts.
    let deep = hex(&format!("{}80", "81".repeat(40)));
    assert_eq!(
        Decoder::new(&deep)
            .unwrap()
            .skip_value()
            .unwrap_err()
            .code(),
        Code::LimitExceeded
    );
}

#[test]
fn events_describe_values_flatly() {
    let bytes = hex("a2 6161 82 01 f6 6162 43 010203");
    let mut events = Events::new(&bytes).unwrap();
    let mut seen = Vec::new();
    while let Some(event) = events.next_event().unwrap() {
        if let Event::Bytes(b) = event {
            assert_eq!(&bytes[events.position() - b.len()..events.position()], b);
        }
        seen.push(event);
    }
    assert_eq!(
        seen,
        [
            Event::MapStart(2),
            Event::Key("a"),
            Event::ArrayStart(2),
            Event::Integer(1),
            Event::Null,
            Event::End,
            Event::Key("b"),
            Event::Bytes(&[1, 2, 3]),
            Event::End,
        ]
    );
}

#[test]
fn encoder_sorts_and_refuses() {
    let s = |text: &'static str| Cow::Borrowed(text);
    let built = Value::Map(vec![
        (s("b"), Value::Integer(2)),
        (s("aa"), Value::Integer(3)),
        (s("a"), Value::Integer(1)),
    ]);
    assert_eq!(
        cbor::encode(&built).unwrap(),
        hex("a3 6161 01 6162 02 626161 03")
    );

    let duplicate = Value::Map(vec![
        (s("b"), Value::Null),
        (s("a"), Value::Null),
        (s("b"), Value::Null),
    ]);
    assert_eq!(
        cbor::encode(&duplicate).unwrap_err().code(),
        Code::CborDuplicateMapKey
    );
    let long_key = Value::Map(vec![(Cow::Owned("k".repeat(8193)), Value::Null)]);
    assert_eq!(
        cbor::encode(&long_key).unwrap_err().code(),
        Code::LimitExceeded
    );
    let mut deep = Value::Array(vec![]);
    for _ in 0..32 {
        deep = Value::Array(vec![deep]);
    }
    assert_eq!(cbor::encode(&deep).unwrap_err().code(), Code::LimitExceeded);
    let big = Value::Bytes(Cow::Owned(vec![0; 100]));
    let small = Limits {
        max_size: 50,
        ..Limits::DEFAULT
    };
    assert_eq!(
        cbor::encode_with_limits(&big, small).unwrap_err().code(),
        Code::LimitExceeded
    );

    let integers = [
        0,
        23,
        24,
        255,
        256,
        65535,
        65536,
        u32::MAX as i64,
        u32::MAX as i64 + 1,
        i64::MAX,
        -1,
        -24,
        -25,
        -256,
        -257,
        i64::MIN,
    ];
    for n in integers {
        let bytes = cbor::encode(&Value::Integer(n)).unwrap();
        assert_eq!(cbor::decode(&bytes).unwrap(), Value::Integer(n), "{n}");
    }
}

#[test]
fn data_model_rules_on_decoded_values() {
    let check = |input: &str| {
        cbor::check_data_model(&cbor::decode(&hex(input)).unwrap()).map_err(|e| e.code())
    };
    assert_eq!(check("a1 60 01"), Err(Code::EmptyMapKey));
    assert_eq!(check("a1 65 2474797065 01"), Err(Code::InvalidRecordType)); // {"$type": 1}
    assert_eq!(check("a1 65 2474797065 60"), Err(Code::InvalidRecordType)); // {"$type": ""}
    assert_eq!(check("a1 65 2474797065 61 78"), Ok(())); // {"$type": "x"}
                                                         // {"$type": "blob", ...} with a DRISL-codec ref: blobs must be raw.
    let blob = |reference: &str, size: &str| {
        format!("a4 63726566 {reference} 6473697a65 {size} 6524747970 65 64626c6f62 686d696d6554797065 6a696d6167652f6a706567")
    };
    let raw_link = LINK.replace("01711220", "01551220");
    assert_eq!(check(&blob(&raw_link, "19 2710")), Ok(()));
    assert_eq!(check(&blob(LINK, "19 2710")), Err(Code::InvalidBlob));
    assert_eq!(check(&blob(&raw_link, "00")), Err(Code::InvalidBlob));
    assert_eq!(check(&blob(&raw_link, "20")), Err(Code::InvalidBlob));
    // The legacy blob form is an ordinary map: read without complaint.
    assert_eq!(
        check("a2 63636964 6461626364 686d696d6554797065 6161"),
        Ok(())
    );
}
