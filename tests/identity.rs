//! DID documents: current and legacy shapes of did:plc and did:web, and malformed ones.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // test code

use atproof::crypto::{Algorithm, PublicKey};
use atproof::identity::{parse_did_document, DidDocumentInfo};
use atproof::Code;
use serde_json::{json, Value};
use std::path::Path;

const BSKY_DID: &str = "did:plc:z72i7hdynmk6r22z27h6tvur";
/// The K-256 key of the DID specification's example, in both encodings.
const K256_MULTIKEY: &str = "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF";
const K256_LEGACY: &str =
    "zQYEBzXeuTM9UR3rfvNag6L3RNAs5pQZyYPsomTsgQhsxLdEgCrPTLgFna8yqCnxPpNT7DBk6Ym3dgPKNu86vt9GR";
const P256_MULTIKEY: &str = "zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo";

fn parse(document: &Value) -> DidDocumentInfo {
    // Pretty-printed too: whitespace changes nothing.
    let pretty = serde_json::to_string_pretty(document).unwrap();
    let info = parse_did_document(&pretty).unwrap_or_else(|e| panic!("{e}: {document}"));
    assert_eq!(parse_did_document(&document.to_string()).unwrap(), info);
    info
}

fn error_code(document: &Value) -> Code {
    let text = document.to_string();
    let err = parse_did_document(&text).expect_err(&format!("should fail: {document}"));
    err.code()
}

/// A did:plc document as plc.directory serves it today.
fn current_plc_document() -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
            "https://w3id.org/security/suites/secp256k1-2019/v1"
        ],
        "id": BSKY_DID,
        "alsoKnownAs": ["at://bsky.app"],
        "verificationMethod": [{
            "id": format!("{BSKY_DID}#atproto"),
            "type": "Multikey",
            "controller": BSKY_DID,
            "publicKeyMultibase": K256_MULTIKEY
        }],
        "service": [{
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "https://puffball.us-east.host.bsky.network"
        }]
    })
}

#[test]
fn current_did_plc_document() {
    let info = parse(&current_plc_document());
    assert_eq!(info.did, BSKY_DID);
    assert_eq!(info.handle.as_deref(), Some("bsky.app"));
    let key = info.signing_key.unwrap();
    assert_eq!(key.algorithm(), Algorithm::Es256k);
    assert_eq!(key.multikey(), K256_MULTIKEY);
    assert_eq!(info.require_signing_key().unwrap(), key);
    assert_eq!(
        info.pds.as_deref(),
        Some("https://puffball.us-east.host.bsky.network")
    );
}

#[test]
fn legacy_did_plc_document() {
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
    let document = json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/secp256k1-2019/v1"
        ],
        "id": did,
        "alsoKnownAs": ["at://atproto.com"],
        "verificationMethod": [{
            "id": "#atproto",
            "type": "EcdsaSecp256k1VerificationKey2019",
            "controller": did,
            "publicKeyMultibase": K256_LEGACY
        }],
        "service": [{
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "https://bsky.social"
        }]
    });
    let info = parse(&document);
    assert_eq!(info.handle.as_deref(), Some("atproto.com"));
    assert_eq!(info.signing_key.unwrap().multikey(), K256_MULTIKEY);
    assert_eq!(info.pds.as_deref(), Some("https://bsky.social"));
}

#[test]
fn did_web_documents_with_p256_keys_current_and_legacy() {
    let did = "did:web:pds.example.com";
    let key = PublicKey::from_multikey(P256_MULTIKEY).unwrap();
    let legacy = format!("z{}", bs58::encode(key.uncompressed()).into_string());
    for (key_type, multibase) in [
        ("Multikey", P256_MULTIKEY.to_owned()),
        ("EcdsaSecp256r1VerificationKey2019", legacy),
    ] {
        // Extra contexts, methods and services are ignored.
        let document = json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://example.com/some/context"],
            "id": did,
            "alsoKnownAs": ["https://example.com/profile", "at://Alice.Example.COM"],
            "verificationMethod": [
                {
                    "id": format!("{did}#other"),
                    "type": "JsonWebKey2020",
                    "controller": "did:web:elsewhere.example",
                    "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "…"}
                },
                {
                    "id": format!("{did}#atproto"),
                    "type": key_type,
                    "controller": did,
                    "publicKeyMultibase": multibase
                }
            ],
            "service": [
                {"id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": "https://feed.example.com"},
                {"id": "#hub", "type": "LinkedDomains", "serviceEndpoint": {"origins": ["https://a.example"]}},
                {"id": format!("{did}#atproto_pds"), "type": "AtprotoPersonalDataServer", "serviceEndpoint": "http://localhost:2583"}
            ],
            "authentication": null
        });
        let info = parse(&document);
        assert_eq!(info.did, did);
        assert_eq!(info.handle.as_deref(), Some("alice.example.com"));
        assert_eq!(info.signing_key, Some(key), "{key_type}");
        assert_eq!(info.pds.as_deref(), Some("http://localhost:2583"));
    }
}

/// A feed generator's did:web: no handle, no signing key, no PDS. All absent, none an error.
#[test]
fn service_did_web_without_atproto_entries() {
    let document = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": "did:web:feed.example.com",
        "alsoKnownAs": [],
        "authentication": null,
        "verificationMethod": [],
        "service": [{"id": "#bsky_fg", "type": "BskyFeedGenerator", "serviceEndpoint": "https://feed.example.com"}]
    });
    let info = parse(&document);
    assert_eq!(
        (info.handle.clone(), info.signing_key, info.pds.clone()),
        (None, None, None)
    );
    assert_eq!(
        info.require_signing_key().unwrap_err().code(),
        Code::DidDocumentNoSigningKey
    );
    // Only `id` is required.
    let info = parse(&json!({"id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz"}));
    assert_eq!(
        info.require_signing_key().unwrap_err().code(),
        Code::DidDocumentNoSigningKey
    );
}

#[test]
fn handle_is_the_first_valid_at_uri() {
    let with_aka = |aka: Value| {
        let mut document = current_plc_document();
        document["alsoKnownAs"] = aka;
        parse(&document).handle
    };
    assert_eq!(
        with_aka(json!([
            "at://-bad-.example",
            "at://good.example",
            "at://later.example"
        ])),
        Some("good.example".to_owned())
    );
    assert_eq!(
        with_aka(json!([
            "https://bsky.app",
            "at://bsky.app/app.bsky.actor.profile",
            "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz"
        ])),
        None
    );
    assert_eq!(
        with_aka(json!(["at://BSKY.App"])),
        Some("bsky.app".to_owned())
    );
    assert_eq!(with_aka(json!([])), None);
    assert_eq!(with_aka(Value::Null), None);
}

/// Only the first `#atproto` method counts, whatever follows it.
#[test]
fn first_atproto_method_wins() {
    let mut document = current_plc_document();
    document["verificationMethod"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "#atproto", "type": "Multikey", "controller": BSKY_DID, "publicKeyMultibase": "zbad0"}));
    assert_eq!(
        parse(&document).signing_key.unwrap().multikey(),
        K256_MULTIKEY
    );
    document["verificationMethod"]
        .as_array_mut()
        .unwrap()
        .reverse();
    assert_eq!(error_code(&document), Code::InvalidMultibase);
}

/// A change that breaks the current did:plc document.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn malformed_documents() {
    let edit = |change: &dyn Fn(&mut Value)| {
        let mut document = current_plc_document();
        change(&mut document);
        error_code(&document)
    };
    let method = |field: &'static str, value: Value| {
        move |d: &mut Value| d["verificationMethod"][0][field] = value.clone()
    };
    let service = |field: &'static str, value: Value| {
        move |d: &mut Value| d["service"][0][field] = value.clone()
    };
    let cases: Vec<(&str, Code, Edit)> = vec![
        // The document itself.
        (
            "id missing",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| {
                d.as_object_mut().unwrap().remove("id");
            }),
        ),
        (
            "id not a string",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["id"] = json!(42)),
        ),
        (
            "id not a DID",
            Code::InvalidDid,
            Box::new(|d: &mut Value| d["id"] = json!("did:PLC:z72i7hdynmk6r22z27h6tvur")),
        ),
        (
            "id with fragment",
            Code::InvalidDid,
            Box::new(|d: &mut Value| d["id"] = json!("did:plc:z72i7hdynmk6r22z27h6tvur#atproto")),
        ),
        (
            "alsoKnownAs not an array",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["alsoKnownAs"] = json!("at://bsky.app")),
        ),
        (
            "alsoKnownAs entry not a string",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["alsoKnownAs"] = json!(["at://bsky.app", 7])),
        ),
        (
            "verificationMethod not an array",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["verificationMethod"] = json!({})),
        ),
        (
            "verificationMethod entry without id",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["verificationMethod"] = json!([{"type": "Multikey"}])),
        ),
        (
            "service not an array",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["service"] = json!("https://bsky.social")),
        ),
        (
            "service entry not an object",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| d["service"] = json!(["#atproto_pds"])),
        ),
        // The #atproto signing key.
        (
            "bad multibase",
            Code::InvalidMultibase,
            Box::new(method(
                "publicKeyMultibase",
                json!("zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribS0"),
            )),
        ),
        (
            "not base58btc multibase",
            Code::InvalidMultibase,
            Box::new(method("publicKeyMultibase", json!("uAQIDBA"))),
        ),
        (
            "legacy key under Multikey",
            Code::UnsupportedKeyType,
            Box::new(method("publicKeyMultibase", json!(K256_LEGACY))),
        ),
        (
            "wrong key type",
            Code::UnsupportedKeyType,
            Box::new(method("type", json!("JsonWebKey2020"))),
        ),
        (
            "curve of the legacy type does not fit the key",
            Code::InvalidPublicKey,
            Box::new(|d: &mut Value| {
                d["verificationMethod"][0]["type"] = json!("EcdsaSecp256r1VerificationKey2019");
                d["verificationMethod"][0]["publicKeyMultibase"] = json!(K256_LEGACY);
            }),
        ),
        (
            "missing type",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| {
                d["verificationMethod"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("type");
            }),
        ),
        (
            "missing publicKeyMultibase",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| {
                d["verificationMethod"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("publicKeyMultibase");
            }),
        ),
        (
            "foreign controller",
            Code::InvalidDidDocument,
            Box::new(method(
                "controller",
                json!("did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
            )),
        ),
        (
            "missing controller",
            Code::InvalidDidDocument,
            Box::new(|d: &mut Value| {
                d["verificationMethod"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("controller");
            }),
        ),
        // The #atproto_pds service.
        (
            "non-http pds endpoint",
            Code::InvalidPdsEndpoint,
            Box::new(service("serviceEndpoint", json!("wss://bsky.social"))),
        ),
        (
            "pds endpoint not a URL",
            Code::InvalidPdsEndpoint,
            Box::new(service("serviceEndpoint", json!("bsky.social"))),
        ),
        (
            "pds endpoint with user-info",
            Code::InvalidPdsEndpoint,
            Box::new(service(
                "serviceEndpoint",
                json!("https://bsky.social@evil.example"),
            )),
        ),
        (
            "pds endpoint not a string",
            Code::InvalidPdsEndpoint,
            Box::new(service(
                "serviceEndpoint",
                json!({"uri": "https://bsky.social"}),
            )),
        ),
        (
            "pds wrong service type",
            Code::InvalidPdsEndpoint,
            Box::new(service("type", json!("BskyFeedGenerator"))),
        ),
        (
            "pds type as an array",
            Code::InvalidPdsEndpoint,
            Box::new(service("type", json!(["AtprotoPersonalDataServer"]))),
        ),
    ];
    for (name, code, change) in &cases {
        assert_eq!(edit(change.as_ref()), *code, "{name}");
    }
    assert_eq!(cases.len(), 25);

    for (text, code) in [
        ("", Code::InvalidDidDocument),
        ("{", Code::InvalidDidDocument),
        ("[]", Code::InvalidDidDocument),
        (
            "\"did:plc:z72i7hdynmk6r22z27h6tvur\"",
            Code::InvalidDidDocument,
        ),
        ("null", Code::InvalidDidDocument),
    ] {
        assert_eq!(
            parse_did_document(text).unwrap_err().code(),
            code,
            "{text:?}"
        );
    }
}

/// The DID document a PLC directory serves for the latest operation of an audit log.
fn document_from_plc_log(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plc")
        .join(name);
    let log: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let entry = log.last().unwrap();
    let did = entry["did"].as_str().unwrap();
    let operation = &entry["operation"];
    let methods: Vec<Value> = operation["verificationMethods"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, key)| {
            json!({
                "id": format!("{did}#{name}"),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.as_str().unwrap().strip_prefix("did:key:").unwrap()
            })
        })
        .collect();
    let services: Vec<Value> = operation["services"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, service)| {
            json!({"id": format!("#{name}"), "type": service["type"], "serviceEndpoint": service["endpoint"]})
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "alsoKnownAs": operation["alsoKnownAs"],
        "verificationMethod": methods,
        "service": services
    })
}

#[test]
fn documents_built_from_plc_audit_logs() {
    let cases = [
        (
            "log_bskyapp.json",
            BSKY_DID,
            "bsky.app",
            "did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF",
            "https://bsky.social",
        ),
        (
            "log_bnewbold_robocracy.json",
            "did:plc:nhxcyu4ewwhl5pqil4dotqjo",
            "bnewbold.robocracy.org",
            "did:key:zQ3shazA2airLo8gNJvxGMFZWPJDRkLGNR6mn9Txsc8YYndwy",
            "https://pds.robocracy.org",
        ),
    ];
    for (file, did, handle, signing_key, pds) in cases {
        let info = parse(&document_from_plc_log(file));
        assert_eq!(info.did, did);
        assert_eq!(info.handle.as_deref(), Some(handle));
        assert_eq!(info.signing_key.unwrap().did_key(), signing_key);
        assert_eq!(info.pds.as_deref(), Some(pds));
    }
}
