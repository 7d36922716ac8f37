//! The JS binding layer in real JS engines: Node (default) and headless Chromium
//! (`WASM_BINDGEN_USE_BROWSER=1`), through `cargo test --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

use atproof::bindings::syntax::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn js(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn error_code(error: &JsValue) -> String {
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "not an Error: {error:?}"
    );
    let name = js_sys::Reflect::get(error, &js("name")).unwrap();
    assert_eq!(name.as_string().as_deref(), Some("AtproofError"));
    js_sys::Reflect::get(error, &js("code"))
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn checks_strings() {
    assert!(isValidHandle(js("alice.bsky.social")));
    assert!(!isValidHandle(js("john.0")));
    assert!(isValidDid(js("did:plc:7iza6de2dwap2sbkpav7c6c6")));
    assert!(isValidDatetime(js("1985-04-12T23:20:50.123Z")));
    assert!(!isValidDatetime(js("1985-00-12T23:20:50.123Z")));
    assert!(isValidLanguage(js("pt-BR")));
    assert!(!isValidLanguage(js("de-DE-1901-1901")));
    assert!(isValidAtUri(js(
        "at://did:plc:asdf123/com.atproto.feed.post/record"
    )));
    assert!(isValidCid(js(
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
    )));
    assert!(isValidUri(js(
        "https://example.com/path?q=blah&yes=true#frag.123"
    )));
    assert!(isValidNsid(js("com.example.fooBar")));
    assert!(isValidRecordKey(js("self")));
    assert!(isValidTid(js("3jzfcijpj2z2a")));
    assert!(isValidAtIdentifier(js("did:web:example.com")));
}

#[wasm_bindgen_test]
fn bad_arguments_are_false_or_atproof_errors() {
    for value in [
        JsValue::from_f64(42.0),
        JsValue::NULL,
        JsValue::UNDEFINED,
        js_sys::Object::new().into(),
    ] {
        assert!(!isValidHandle(value.clone()));
        assert_eq!(
            error_code(&ensureValidHandle(value).unwrap_err()),
            "invalid-argument"
        );
    }
    let huge: JsValue = js_sys::JsString::from("x").repeat(10_000_000).into();
    assert!(!isValidUri(huge.clone()));
    assert_eq!(
        error_code(&ensureValidUri(huge).unwrap_err()),
        "invalid-uri"
    );
    let lone_surrogate: JsValue = js_sys::JsString::from_char_code1(0xD800)
        .concat(&js(".test"))
        .into();
    assert!(!isValidHandle(lone_surrogate.clone()));
    assert_eq!(
        error_code(&ensureValidHandle(lone_surrogate).unwrap_err()),
        "invalid-argument"
    );
    // The instance still works after every failure.
    assert!(isValidHandle(js("alice.test")));
    assert_eq!(
        error_code(&ensureValidNsid(js("a.")).unwrap_err()),
        "invalid-nsid"
    );
}

#[wasm_bindgen_test]
fn tids_increase_and_round_trip() {
    let now = || Tid::now().unwrap().as_string().unwrap();
    let mut last = now();
    for _ in 0..10_000 {
        let next = now();
        assert!(next > last, "{next} after {last}");
        last = next;
    }
    let made = Tid::from_time(
        JsValue::from_f64(1_700_000_000_000_000.0),
        JsValue::from_f64(42.0),
    )
    .unwrap()
    .as_string()
    .unwrap();
    let parts = Tid::parse(js(&made)).unwrap();
    let micros = js_sys::Reflect::get(&parts, &js("micros"))
        .unwrap()
        .as_f64()
        .unwrap();
    let clock = js_sys::Reflect::get(&parts, &js("clockId"))
        .unwrap()
        .as_f64()
        .unwrap();
    assert_eq!((micros, clock), (1_700_000_000_000_000.0, 42.0));
    let date: js_sys::Date = js_sys::Reflect::get(&parts, &js("date"))
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(date.get_time(), 1_700_000_000_000.0);
    assert_eq!(
        error_code(&Tid::from_time(JsValue::from_f64(-1.0), JsValue::from_f64(0.0)).unwrap_err()),
        "invalid-argument"
    );
    assert_eq!(
        error_code(&Tid::parse(js("zzzzzzzzzzzzz")).unwrap_err()),
        "invalid-tid"
    );
}

#[wasm_bindgen_test]
fn at_uri_parses_and_normalizes() {
    let uri = AtUri::parse(js(
        "at://Alice.Example.com/COM.example.fooBar/3jzfcijpj2z2a",
    ))
    .unwrap();
    assert_eq!(
        uri.authority().as_string().as_deref(),
        Some("alice.example.com")
    );
    assert_eq!(
        uri.collection().as_string().as_deref(),
        Some("com.example.fooBar")
    );
    assert_eq!(
        uri.to_js_string(),
        "at://alice.example.com/com.example.fooBar/3jzfcijpj2z2a"
    );
    assert_eq!(
        error_code(&AtUri::parse(js("at://did:plc:asdf123/")).err().unwrap()),
        "invalid-at-uri"
    );
}
