//! Keys, signatures and DID documents inside WebAssembly (Node by default): the secure random source
//! is `crypto.getRandomValues` there, through getrandom's `wasm_js` backend.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)] // test code

use atproof::crypto::{verify_signature_strict, with_default_key_cache, Algorithm, Keypair};
use atproof::identity::parse_did_document;
use atproof::Code;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn generate_sign_verify_in_wasm() {
    for algorithm in [Algorithm::Es256k, Algorithm::Es256] {
        let keypair = Keypair::generate(algorithm).unwrap();
        assert_ne!(
            keypair.export(),
            Keypair::generate(algorithm).unwrap().export()
        );
        let signature = keypair.sign(b"wasm");
        let key = with_default_key_cache(|cache| cache.parse_did_key(&keypair.did())).unwrap();
        assert_eq!(verify_signature_strict(&key, b"wasm", &signature), Ok(()));
        let err = verify_signature_strict(&key, b"wasm?", &signature).unwrap_err();
        assert_eq!(err.code(), Code::BadSignature);
    }
}

#[wasm_bindgen_test]
fn did_document_in_wasm() {
    let info = parse_did_document(
        r##"{"id":"did:plc:ewvi7nxzyoun6zhxrhs64oiz","alsoKnownAs":["at://atproto.com"],
        "verificationMethod":[{"id":"#atproto","type":"Multikey","controller":"did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        "publicKeyMultibase":"zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}]}"##,
    )
    .unwrap();
    assert_eq!(info.handle.as_deref(), Some("atproto.com"));
    assert_eq!(info.pds, None);
    assert_eq!(
        info.signing_key.unwrap().did_key(),
        "did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"
    );
}
