//! did:plc audit logs: every log of go-didplc's test data (tests/fixtures/plc/) with its expected
//! outcome, each invalid one refused with the code of the rule its name gives; the documents of
//! the valid ones; and altered logs.
#![allow(clippy::panic, clippy::unwrap_used, clippy::indexing_slicing)]

use atproof::identity::{plc_did_document, verify_plc_log};
use atproof::Code;
use serde_json::Value;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/plc/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn did_of(log: &str) -> String {
    let log: Value = serde_json::from_str(log).unwrap();
    log[0]["did"].as_str().unwrap().to_owned()
}

#[test]
fn every_log_has_its_expected_outcome() {
    let expected: Value = serde_json::from_str(&fixture("expected.json")).unwrap();
    let valid: Vec<&str> = expected["valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let invalid: Vec<&str> = expected["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!((valid.len(), invalid.len()), (8, 9));
    for name in valid {
        let log = fixture(name);
        let verified =
            verify_plc_log(&did_of(&log), &log).unwrap_or_else(|e| panic!("{name}: {e}"));
        let entries: Value = serde_json::from_str(&log).unwrap();
        let claimed: Vec<bool> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["nullified"].as_bool().unwrap())
            .collect();
        let computed: Vec<bool> = verified.operations.iter().map(|o| o.nullified).collect();
        assert_eq!(computed, claimed, "{name}");
    }
    // The rule each invalid log breaks, as the fixtures list it.
    let code_of = |name: &str| -> Code {
        let text = expected["codes"][name].as_str().unwrap();
        *Code::ALL.iter().find(|c| c.as_str() == text).unwrap()
    };
    for name in invalid {
        let log = fixture(name);
        let error = verify_plc_log(&did_of(&log), &log).unwrap_err();
        let code = code_of(name);
        assert_eq!(error.code(), code, "{name}: {error}");
        assert!(
            error.message().starts_with("operation "),
            "{name}: names the operation: {error}"
        );
    }
}

#[test]
fn the_state_and_document_are_those_of_the_last_operation_not_nullified() {
    let log = fixture("log_bskyapp.json");
    let did = did_of(&log);
    let verified = verify_plc_log(&did, &log).unwrap();
    let state = verified.state.unwrap();
    let document: Value = serde_json::from_str(&plc_did_document(&did, &state)).unwrap();
    assert_eq!(document["id"], did.as_str());
    assert!(document["alsoKnownAs"][0]
        .as_str()
        .unwrap()
        .starts_with("at://"));
    assert_eq!(
        document["verificationMethod"][0]["id"],
        format!("{did}#atproto").as_str()
    );
    assert_eq!(document["service"][0]["id"], "#atproto_pds");
    assert!(document["@context"].as_array().unwrap().len() >= 3);

    let tombstoned = fixture("log_tombstone.json");
    assert_eq!(
        verify_plc_log(&did_of(&tombstoned), &tombstoned)
            .unwrap()
            .state,
        None
    );
    let nullified_tombstone = fixture("log_nullified_tombstone.json");
    assert!(
        verify_plc_log(&did_of(&nullified_tombstone), &nullified_tombstone)
            .unwrap()
            .state
            .is_some()
    );
    let nontrivial = fixture("log_nullification_nontrivial.json");
    let verified = verify_plc_log(&did_of(&nontrivial), &nontrivial).unwrap();
    let nullified: Vec<usize> = verified
        .operations
        .iter()
        .enumerate()
        .filter(|(_, o)| o.nullified)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        nullified,
        [2, 3, 4, 5, 6],
        "after operation 7, operations 2-6 are nullified"
    );
}

/// The log with `change` applied to its entries.
fn altered(name: &str, change: impl FnOnce(&mut Vec<Value>)) -> (String, String) {
    let log = fixture(name);
    let did = did_of(&log);
    let mut entries: Vec<Value> = serde_json::from_str(&log).unwrap();
    change(&mut entries);
    (did, serde_json::to_string(&entries).unwrap())
}

#[test]
fn altered_logs_are_refused_with_their_codes() {
    let cases: Vec<(&str, (String, String), Code)> = vec![
        (
            "another DID",
            {
                let (_, log) = altered("log_bskyapp.json", |_| {});
                ("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa".to_owned(), log)
            },
            Code::DidMismatch,
        ),
        (
            "a field changed (the CID no longer matches)",
            altered("log_bskyapp.json", |e| {
                e[0]["operation"]["alsoKnownAs"] = serde_json::json!(["at://evil.example"]);
            }),
            Code::CidMismatch,
        ),
        (
            "an unknown field",
            altered("log_bskyapp.json", |e| {
                e[0]["operation"]["extra"] = Value::from("x");
            }),
            Code::InvalidPlcOperation,
        ),
        (
            "a wrong nullified claim",
            altered("log_nullification.json", |e| {
                e[1]["nullified"] = Value::from(false);
            }),
            Code::PlcNullifiedMismatch,
        ),
        (
            "reordered entries",
            altered("log_nullification.json", |e| e.swap(1, 2)),
            Code::InvalidPlcLog,
        ),
        (
            "createdAt not increasing",
            altered("log_nullification.json", |e| {
                e[2]["createdAt"] = Value::from("1970-01-01T00:00:00.500Z");
            }),
            Code::InvalidPlcLog,
        ),
        (
            "not an array",
            ("did:plc:x".to_owned(), "{}".to_owned()),
            Code::InvalidPlcLog,
        ),
        (
            "empty",
            ("did:plc:x".to_owned(), "[]".to_owned()),
            Code::InvalidPlcLog,
        ),
        (
            "not JSON",
            ("did:plc:x".to_owned(), "[".to_owned()),
            Code::InvalidJson,
        ),
    ];
    for (what, (did, log), code) in cases {
        let error = verify_plc_log(&did, &log).unwrap_err();
        assert_eq!(error.code(), code, "{what}: {error}");
    }
}

// ---- hand-made logs, signed here, for the rules the vectors do not cover ----

use atproof::cbor::{encode, json::from_json_text};
use atproof::cid::Cid;
use atproof::crypto::{Algorithm, Keypair};
use base64::Engine;

fn key(seed: u8) -> Keypair {
    Keypair::import(Algorithm::Es256k, &[seed; 32]).unwrap()
}

/// `op` signed by `signer`, and its CID.
fn sign(mut op: Value, signer: &Keypair) -> (Value, String) {
    let unsigned = encode(&from_json_text(&op.to_string()).unwrap()).unwrap();
    let sig = signer.sign(&unsigned);
    op["sig"] = Value::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig));
    let cid = Cid::for_drisl(&encode(&from_json_text(&op.to_string()).unwrap()).unwrap());
    (op, cid.to_string())
}

fn update(prev: &str, rotation: &[&Keypair]) -> Value {
    serde_json::json!({
        "type": "plc_operation",
        "rotationKeys": rotation.iter().map(|k| k.did()).collect::<Vec<_>>(),
        "verificationMethods": { "atproto": rotation[0].did() },
        "alsoKnownAs": ["at://alice.test"],
        "services": { "atproto_pds": { "type": "AtprotoPersonalDataServer", "endpoint": "https://pds.test" } },
        "prev": prev,
    })
}

/// A log of `ops` (each signed op with its CID) for the DID its genesis makes, at `times` (ms).
fn log_of(ops: &[(Value, String)], times: &[i64], nullified: &[bool]) -> (String, String) {
    let genesis = encode(&from_json_text(&ops[0].0.to_string()).unwrap()).unwrap();
    let did = plc_did(&genesis);
    let entries: Vec<Value> = ops
        .iter()
        .zip(times)
        .zip(nullified)
        .map(|(((op, cid), ms), nullified)| {
            serde_json::json!({
                "did": did,
                "operation": op,
                "cid": cid,
                "nullified": nullified,
                "createdAt": timestamp(*ms),
            })
        })
        .collect();
    (did, serde_json::to_string(&entries).unwrap())
}

/// did:plc: + the first 24 characters of lower-case base32 of SHA-256 of the signed genesis.
fn plc_did(genesis: &[u8]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let hash = atproof::cid::sha256(genesis);
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = String::new();
    for &byte in &hash[..15] {
        bits = bits << 8 | u64::from(byte);
        count += 8;
        while count >= 5 {
            count -= 5;
            out.push(ALPHABET[((bits >> count) & 31) as usize] as char);
        }
    }
    format!("did:plc:{out}")
}

fn timestamp(ms: i64) -> String {
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_700_000_000_000;

#[test]
fn the_72_hour_window_is_inclusive_at_both_edges() {
    let (strong, weak) = (key(1), key(2));
    let genesis = sign(update_genesis(&[&strong, &weak]), &strong);
    let by_weak = sign(update(&genesis.1, &[&strong, &weak]), &weak);
    let recovery = sign(update(&genesis.1, &[&strong, &weak]), &strong);
    let ops = [genesis, by_weak, recovery];
    // Exactly 72 hours after the nullified operation: valid.
    let (did, log) = log_of(
        &ops,
        &[T0, T0 + HOUR, T0 + HOUR + 72 * HOUR],
        &[false, true, false],
    );
    let verified = verify_plc_log(&did, &log).unwrap();
    assert_eq!(
        verified
            .operations
            .iter()
            .map(|o| o.nullified)
            .collect::<Vec<_>>(),
        [false, true, false]
    );
    // One millisecond later: too late.
    let (did, log) = log_of(
        &ops,
        &[T0, T0 + HOUR, T0 + HOUR + 72 * HOUR + 1],
        &[false, true, false],
    );
    assert_eq!(
        verify_plc_log(&did, &log).unwrap_err().code(),
        Code::PlcLateRecovery
    );
}

fn update_genesis(rotation: &[&Keypair]) -> Value {
    let mut op = update("", rotation);
    op["prev"] = Value::Null;
    op
}

#[test]
fn a_fork_needs_a_strictly_stronger_key_than_the_one_it_nullifies() {
    let (strong, weak) = (key(3), key(4));
    let genesis = sign(update_genesis(&[&strong, &weak]), &strong);
    // The child was signed by the strongest key: no key may fork above it.
    let child = sign(update(&genesis.1, &[&strong, &weak]), &strong);
    let fork = sign(update(&genesis.1, &[&strong]), &strong);
    let (did, log) = log_of(
        &[genesis.clone(), child, fork],
        &[T0, T0 + 1, T0 + 2],
        &[false, true, false],
    );
    assert_eq!(
        verify_plc_log(&did, &log).unwrap_err().code(),
        Code::BadSignature
    );
    // A second fork from the same operation needs a key stronger than the first fork's.
    let by_weak = sign(update(&genesis.1, &[&strong, &weak]), &weak);
    let first_fork = sign(update(&genesis.1, &[&strong, &weak]), &weak);
    let (did, log) = log_of(
        &[genesis, by_weak, first_fork],
        &[T0, T0 + 1, T0 + 2],
        &[false, true, false],
    );
    assert_eq!(
        verify_plc_log(&did, &log).unwrap_err().code(),
        Code::BadSignature,
        "an equal-priority key"
    );
}

#[test]
fn a_legacy_create_genesis_is_read_in_its_legacy_form() {
    let (signing, recovery) = (key(5), key(6));
    let create = serde_json::json!({
        "type": "create",
        "signingKey": signing.did(),
        "recoveryKey": recovery.did(),
        "handle": "alice.test",
        "service": "https://pds.test",
        "prev": null,
    });
    let genesis = sign(create, &recovery);
    let next = sign(update(&genesis.1, &[&recovery, &signing]), &signing);
    let (did, log) = log_of(&[genesis, next], &[T0, T0 + 1], &[false, false]);
    let verified = verify_plc_log(&did, &log).unwrap();
    assert_eq!(verified.operations[0].kind, "create");
    assert_eq!(
        verified.operations[1].signed_by, 1,
        "signed by the legacy signing key, second in rotation"
    );
    let state = verified.state.unwrap();
    assert_eq!(state.also_known_as, ["at://alice.test"]);
    // A legacy create anywhere but first is refused.
    let again = sign(
        serde_json::json!({ "type": "create", "signingKey": signing.did(), "recoveryKey": recovery.did(), "handle": "a.test", "service": "https://p.test", "prev": null }),
        &recovery,
    );
    let genesis = sign(update_genesis(&[&recovery]), &recovery);
    let (did, log) = log_of(&[genesis, again], &[T0, T0 + 1], &[false, false]);
    assert_eq!(
        verify_plc_log(&did, &log).unwrap_err().code(),
        Code::InvalidPlcOperation
    );
}

#[test]
fn two_copies_of_a_log_are_identical_a_prefix_or_a_fork() {
    use atproof::identity::{compare_audit_logs, LogRelation};
    let log = fixture("log_nullification.json");
    let did = did_of(&log);
    let entries: Vec<Value> = serde_json::from_str(&log).unwrap();
    let text = |picked: &[usize]| {
        let mut out: Vec<Value> = picked.iter().map(|&i| entries[i].clone()).collect();
        for entry in &mut out {
            entry["nullified"] = Value::from(false);
        }
        serde_json::to_string(&out).unwrap()
    };
    assert_eq!(
        compare_audit_logs(&did, &log, &log).unwrap(),
        LogRelation::Identical
    );
    assert_eq!(
        compare_audit_logs(&did, &text(&[0]), &text(&[0, 1])).unwrap(),
        LogRelation::Prefix {
            a_longer: false,
            extra: 1
        }
    );
    // The directory (a) shows op 1 signed by the weaker key; a mirror (b) shows op 2 instead, a
    // fork from the genesis signed by the stronger key: b's history cannot take a's op 1 (the
    // genesis's stronger child leaves no key for it), a's history could take b's op 2.
    let relation = compare_audit_logs(&did, &text(&[0, 1]), &text(&[0, 2])).unwrap();
    assert_eq!(
        relation,
        LogRelation::Fork {
            at: 1,
            common: entries[0]["cid"].as_str().map(str::to_owned),
            a_allowed_by_b: false,
            b_allowed_by_a: true,
        }
    );
    let error = compare_audit_logs(&did, &log, "[]").unwrap_err();
    assert_eq!(error.code(), Code::InvalidPlcLog);
    assert!(error.message().starts_with("log b"), "{error}");
}

/// The keys that signed lately are tried first; whatever the order, each operation is credited
/// to the key that verifies it, by its first index (a key listed twice), on both curves, and only
/// among the keys its `prev` still allows: after a fork by key `i`, a key at `i` or later that
/// signed just before is not tried.
#[test]
fn each_operation_names_the_key_that_signed_it_whatever_signed_before() {
    let (a, c) = (key(7), key(9));
    let b = Keypair::import(Algorithm::Es256, &[8; 32]).unwrap();
    let keys = [&a, &b, &c, &b];
    let genesis = sign(update_genesis(&keys), &c);
    let mut ops = vec![genesis];
    for signer in [&c, &a, &c, &b, &b, &a, &c] {
        let prev = ops.last().unwrap().1.clone();
        ops.push(sign(update(&prev, &keys), signer));
    }
    let times: Vec<i64> = (0..ops.len() as i64).map(|i| T0 + i).collect();
    let (did, log) = log_of(&ops, &times, &vec![false; ops.len()]);
    let signed_by: Vec<usize> = verify_plc_log(&did, &log)
        .unwrap()
        .operations
        .iter()
        .map(|op| op.signed_by)
        .collect();
    assert_eq!(signed_by, [2, 2, 0, 2, 1, 1, 0, 2]);

    // c signs twice, b forks from the first of them: the second is nullified, and c, which signed
    // just before, is no longer allowed to sign another child of that first one.
    let first = sign(update(&ops[0].1, &keys), &c);
    let second = sign(update(&first.1, &keys), &c);
    let fork = sign(update(&first.1, &keys), &b);
    let after = sign(update(&fork.1, &keys), &c);
    let base = vec![ops[0].clone(), first.clone(), second, fork, after];
    let (did, log) = log_of(
        &base,
        &[T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4],
        &[false, false, true, false, false],
    );
    let verified = verify_plc_log(&did, &log).unwrap();
    let signed_by: Vec<usize> = verified.operations.iter().map(|op| op.signed_by).collect();
    assert_eq!(signed_by, [2, 2, 2, 1, 2]);
    for (second_fork_by, outcome) in [
        (&c, Err(Code::BadSignature)),
        (&b, Err(Code::BadSignature)),
        (&a, Ok(0)),
    ] {
        let mut forked = base.clone();
        forked.push(sign(update(&first.1, &keys), second_fork_by));
        let (did, log) = log_of(
            &forked,
            &[T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5],
            &[false, false, true, true, true, false],
        );
        let result = verify_plc_log(&did, &log).map(|v| v.operations[5].signed_by);
        assert_eq!(result.map_err(|e| e.code()), outcome);
    }
}
