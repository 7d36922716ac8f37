//! The atproto interop vectors for the data model (CC0, bluesky-social/atproto-interop-tests at
//! commit 056e5741, copied into tests/fixtures/interop), and a cross-implementation check against
//! a repository CAR written by the reference TypeScript implementation.

// A test crate: helpers outside #[test] functions may fail loudly too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod support;

use atproof::cbor::{self, json, Value};
use atproof::cid::Cid;
use serde_json::Value as Json;

fn fixture(name: &str) -> Vec<Json> {
    let path = format!(
        "{}/tests/fixtures/interop/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str::<Json>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn data_model_fixtures_round_trip() {
    let fixtures = fixture("data-model/data-model-fixtures.json");
    for entry in &fixtures {
        let expected_json = &entry["json"];
        let bytes = support::base64_decode(entry["cbor_base64"].as_str().unwrap());
        let expected_cid = entry["cid"].as_str().unwrap();

        let decoded = cbor::decode(&bytes).unwrap();
        cbor::check_data_model(&decoded).unwrap();
        let text = json::to_json_text(&decoded).unwrap();
        assert_eq!(
            &serde_json::from_str::<Json>(&text).unwrap(),
            expected_json,
            "toJson(decode(cbor))"
        );
        assert_eq!(
            cbor::encode(&decoded).unwrap(),
            bytes,
            "encode(decode(cbor))"
        );

        let from_json = json::from_json_text(&expected_json.to_string()).unwrap();
        assert_eq!(from_json, decoded, "fromJson(json) == decode(cbor)");
        let encoded = cbor::encode(&from_json).unwrap();
        assert_eq!(encoded, bytes, "encode(fromJson(json))");
        assert_eq!(Cid::for_drisl(&encoded).to_string(), expected_cid);
        assert_eq!(Cid::for_drisl(&bytes), expected_cid.parse::<Cid>().unwrap());

        assert_eq!(
            json::from_json_text(&text).unwrap(),
            decoded,
            "JSON text round trip"
        );
    }
    assert_eq!(fixtures.len(), 3, "cases run");
}

#[test]
fn data_model_valid_json_is_accepted() {
    let fixtures = fixture("data-model/data-model-valid.json");
    for entry in &fixtures {
        let value = json::from_json_text(&entry["json"].to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", entry["note"]));
        let bytes = cbor::encode(&value).unwrap();
        assert_eq!(cbor::decode(&bytes).unwrap(), value, "{}", entry["note"]);
    }
    assert_eq!(fixtures.len(), 5, "cases run");
}

#[test]
fn data_model_invalid_json_is_rejected() {
    let fixtures = fixture("data-model/data-model-invalid.json");
    for entry in &fixtures {
        let result = json::from_json_text(&entry["json"].to_string());
        assert!(result.is_err(), "accepted: {}", entry["note"]);
    }
    assert_eq!(fixtures.len(), 12, "cases run");
}

#[test]
fn data_model_invalid_json_codes() {
    use atproof::Code;
    let code = |note: &str| {
        let entry = fixture("data-model/data-model-invalid.json")
            .into_iter()
            .find(|e| e["note"] == note)
            .unwrap();
        json::from_json_text(&entry["json"].to_string())
            .unwrap_err()
            .code()
    };
    assert_eq!(code("top-level not an object"), Code::InvalidJson);
    assert_eq!(code("float"), Code::JsonFloat);
    assert_eq!(code("record with $type null"), Code::InvalidRecordType);
    assert_eq!(
        code("record with empty $type string"),
        Code::InvalidRecordType
    );
    assert_eq!(code("blob with string size"), Code::InvalidBlob);
    assert_eq!(code("blob with missing key"), Code::InvalidBlob);
    assert_eq!(code("bytes with extra fields"), Code::JsonInvalidBytes);
    assert_eq!(code("link with bogus CID"), Code::JsonInvalidLink);
}

/// Every block of a repository written by the reference implementation decodes, re-encodes byte
/// for byte, and hashes to the CID it is stored under.
#[test]
fn reference_repo_blocks_round_trip() {
    let car = support::reference_repo_car();
    let blocks = support::car_blocks(&car);
    let mut records = 0;
    for (cid, block) in &blocks {
        assert_eq!(Cid::for_drisl(block), *cid, "hash of block {cid}");
        cid.verify(block).unwrap();
        cbor::validate(block).unwrap();
        let value = cbor::decode(block).unwrap_or_else(|e| panic!("block {cid}: {e}"));
        cbor::check_data_model(&value).unwrap();
        assert_eq!(
            cbor::encode(&value).unwrap(),
            *block,
            "re-encoding of block {cid}"
        );
        let owned: Value<'static> = value.clone().into_owned();
        assert_eq!(cbor::encode(&owned).unwrap(), *block);
        if value.get("$type").is_some() {
            records += 1;
            let json = json::to_json_text(&value).unwrap();
            assert_eq!(
                json::from_json_text(&json).unwrap(),
                value,
                "JSON round trip of record {cid}"
            );
        }
    }
    // The fixture's manifest says 1270 blocks: 1000 records, the MST nodes and the commit.
    assert_eq!(blocks.len(), 1270, "blocks checked");
    assert_eq!(records, 1000, "records checked");
}
