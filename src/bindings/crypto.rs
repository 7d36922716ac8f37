//! Keys, signatures and DID documents for JavaScript: `parseDidKey`, `verifySignature`,
//! `verifySignatureAsync`, `parseDidDocument` (signing is in `signing.rs`).
//!
//! `verifySignatureAsync` takes P-256 to WebCrypto where the runtime has it (native code, several
//! times faster than wasm) after the wasm side has parsed the key (cached) and checked the
//! signature's format and low-S; secp256k1, which WebCrypto lacks, runs in wasm. Imported WebCrypto
//! keys are cached per key string in `webcrypto.js`.

use super::{bytes_arg, json_text_arg, string_arg, type_error, ObjectBuilder};
use crate::crypto::{self, Algorithm, PublicKey};
use crate::identity;
use crate::{Code, Error};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/bindings/webcrypto.js")]
extern "C" {
    #[wasm_bindgen(js_name = hasSubtle)]
    fn has_subtle() -> bool;
    #[wasm_bindgen(js_name = verifyP256Cached)]
    fn verify_p256_cached(cache_key: &JsValue, data: &JsValue, signature: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = verifyP256)]
    fn verify_p256(
        cache_key: &JsValue,
        raw_public_key: &[u8],
        data: &JsValue,
        signature: &JsValue,
    ) -> js_sys::Promise;
}

thread_local! {
    /// Whether the runtime has WebCrypto's `crypto.subtle`, asked once.
    static SUBTLE: bool = has_subtle();
}

fn subtle_available() -> bool {
    SUBTLE.with(|subtle| *subtle)
}

/// Longest key string accepted (a did:key is 57 characters; legacy keys about 90).
const MAX_KEY_LEN: usize = 256;
/// Largest data to sign or verify in one call.
const MAX_DATA_LEN: usize = 16 << 20;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A public key parsed from a did:key. */
export interface ParsedDidKey {
  /** 'ES256K' (secp256k1) or 'ES256' (P-256). */
  algorithm: 'ES256K' | 'ES256';
  /** The 33-byte compressed point. */
  publicKey: Uint8Array;
}
/** The atproto facts of a DID document. */
export interface DidDocumentInfo {
  did: string;
  /** The first valid at:// handle of alsoKnownAs, lower-cased, or null. */
  handle: string | null;
  /** The #atproto verification method as a did:key, or null. */
  signingKey: string | null;
  /** The #atproto_pds service endpoint, or null. */
  pds: string | null;
}
"#;

/// A key argument: a did:key, a multikey or a legacy multibase key (parsed once, then cached); a
/// legacy compressed key that names no curve gives its reading on each curve.
pub(super) fn key_arg(key: &JsValue) -> Result<(String, Vec<PublicKey>), Error> {
    let text = string_arg(key, "key", MAX_KEY_LEN, Code::InvalidPublicKey)?;
    let keys = crypto::with_default_key_cache(|cache| cache.parse_key_string(&text))?;
    Ok((text, keys))
}

pub(super) fn data_arg(value: &JsValue, what: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    bytes_arg(value, what, MAX_DATA_LEN, &mut bytes)?;
    Ok(bytes)
}

/// A promise already resolved to `value`.
pub(super) fn resolved(value: JsValue) -> js_sys::Promise {
    js_sys::Promise::resolve(&value)
}

/// Parses a `did:key` → `{ algorithm: 'ES256K' | 'ES256', publicKey }` (33-byte compressed point).
#[wasm_bindgen(js_name = parseDidKey, unchecked_return_type = "ParsedDidKey")]
pub fn parse_did_key(
    #[wasm_bindgen(js_name = didKey, unchecked_param_type = "string")] did_key: JsValue,
) -> Result<JsValue, JsValue> {
    let text = string_arg(&did_key, "did:key", MAX_KEY_LEN, Code::InvalidDidKey)?;
    let key = crypto::with_default_key_cache(|cache| cache.parse_did_key(&text))?;
    let mut out = ObjectBuilder::new();
    out.set("algorithm", key.algorithm().jwt_name().into());
    out.set(
        "publicKey",
        js_sys::Uint8Array::from(&key.compressed()[..]).into(),
    );
    out.finish()
}

/// Verifies a signature: SHA-256 of `data`, ECDSA with `key` (a did:key or multibase key). Strict:
/// only 64-byte compact low-S signatures verify; a DER, high-S or wrong signature gives `false`. A
/// malformed key or a non-`Uint8Array` argument throws.
#[wasm_bindgen(js_name = verifySignature)]
pub fn verify_signature(
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] sig: JsValue,
) -> Result<bool, JsValue> {
    let (_, keys) = key_arg(&key)?;
    let data = data_arg(&data, "data")?;
    let sig = data_arg(&sig, "sig")?;
    Ok(keys
        .iter()
        .any(|k| crypto::verify_signature(k, &data, &sig)))
}

/// [`verify_signature`] as a promise, free to use WebCrypto (P-256) where it is faster.
#[wasm_bindgen(js_name = verifySignatureAsync, unchecked_return_type = "Promise<boolean>")]
pub fn verify_signature_async(
    #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] sig: JsValue,
) -> js_sys::Promise {
    let checked = (|| -> Result<Option<js_sys::Promise>, Error> {
        let (_, keys) = key_arg(&key)?;
        let signature = data_arg(&sig, "sig")?;
        if let [public_key] = keys[..] {
            if public_key.algorithm() == Algorithm::Es256 && subtle_available() {
                if data.dyn_ref::<js_sys::Uint8Array>().is_none() {
                    return Err(type_error("data", "a Uint8Array", &data));
                }
                if !matches!(crypto::is_low_s(Algorithm::Es256, &signature), Ok(true)) {
                    return Ok(None); // high-S, not 64 bytes, or r/s out of range: false
                }
                let cached = verify_p256_cached(&key, &data, &sig);
                if !cached.is_undefined() {
                    return Ok(Some(cached.unchecked_into()));
                }
                return Ok(Some(verify_p256(
                    &key,
                    &public_key.uncompressed(),
                    &data,
                    &sig,
                )));
            }
        }
        let data = data_arg(&data, "data")?;
        Ok(Some(resolved(
            keys.iter()
                .any(|k| crypto::verify_signature(k, &data, &signature))
                .into(),
        )))
    })();
    match checked {
        Ok(Some(promise)) => promise,
        Ok(None) => resolved(false.into()),
        Err(error) => js_sys::Promise::reject(&error.into()),
    }
}

/// The atproto facts of a DID document (an object or JSON text):
/// `{ did, handle, signingKey, pds }`, `null` for what the document does not have.
#[wasm_bindgen(js_name = parseDidDocument, unchecked_return_type = "DidDocumentInfo")]
pub fn parse_did_document(
    #[wasm_bindgen(unchecked_param_type = "object | string")] document: JsValue,
) -> Result<JsValue, JsValue> {
    const MAX_DOCUMENT_LEN: usize = 1 << 20;
    let text = json_text_arg(
        &document,
        "DID document",
        MAX_DOCUMENT_LEN,
        Code::InvalidDidDocument,
    )?;
    let info = identity::parse_did_document(&text)?;
    let mut out = ObjectBuilder::new();
    let optional = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from_str);
    out.set("did", info.did.as_str().into());
    out.set("handle", optional(info.handle.as_deref()));
    out.set(
        "signingKey",
        optional(info.signing_key.map(|k| k.did_key()).as_deref()),
    );
    out.set("pds", optional(info.pds.as_deref()));
    out.finish()
}
