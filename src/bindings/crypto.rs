//! Keys, signatures and DID documents for JavaScript: `parseDidKey`, `verifySignature`,
//! `verifySignatureAsync`, `Keypair`, `webCryptoSigner`, `parseDidDocument`.
//!
//! `verifySignatureAsync` takes P-256 to WebCrypto where the runtime has it (native code, several
//! times faster than wasm) after the wasm side has parsed the key (cached) and checked the
//! signature's format and low-S; secp256k1, which WebCrypto lacks, runs in wasm. Imported WebCrypto
//! keys are cached per key string in `webcrypto.js`.

use super::{bytes_arg, json_text_arg, set, string_arg, type_name};
use crate::crypto::{self, Algorithm, PublicKey};
use crate::identity;
use crate::{Code, Error};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

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
    #[wasm_bindgen(js_name = exportRawPublicKey)]
    fn export_raw_public_key(key_pair: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = signP256)]
    fn sign_p256(private_key: &JsValue, data: &JsValue) -> js_sys::Promise;
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
/** Anything that can sign for a repository: a Keypair, a webCryptoSigner, a hardware key… */
export interface Signer {
  /** The did:key of the signing key. */
  did(): string;
  /** A 64-byte low-S r‖s signature of SHA-256(data). */
  sign(data: Uint8Array): Promise<Uint8Array>;
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

fn data_arg(value: &JsValue, what: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    bytes_arg(value, what, MAX_DATA_LEN, &mut bytes)?;
    Ok(bytes)
}

fn algorithm_arg(value: &JsValue) -> Result<Algorithm, Error> {
    match value.as_string().as_deref() {
        Some("k256") => Ok(Algorithm::Es256k),
        Some("p256") => Ok(Algorithm::Es256),
        _ => Err(Error::new(
            Code::UnsupportedKeyType,
            format!(
                "the algorithm must be 'k256' or 'p256', not {}",
                type_name(value)
            ),
        )),
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Es256k => "k256",
        Algorithm::Es256 => "p256",
    }
}

/// A promise already resolved to `value`.
fn resolved(value: JsValue) -> js_sys::Promise {
    js_sys::Promise::resolve(&value)
}

/// Parses a `did:key` → `{ algorithm: 'ES256K' | 'ES256', publicKey }` (33-byte compressed point).
#[wasm_bindgen(js_name = parseDidKey, unchecked_return_type = "ParsedDidKey")]
pub fn parse_did_key(
    #[wasm_bindgen(js_name = didKey, unchecked_param_type = "string")] did_key: JsValue,
) -> Result<JsValue, JsValue> {
    let text = string_arg(&did_key, "did:key", MAX_KEY_LEN, Code::InvalidDidKey)?;
    let key = crypto::with_default_key_cache(|cache| cache.parse_did_key(&text))?;
    let out = js_sys::Object::new();
    set(&out, "algorithm", &key.algorithm().jwt_name().into())?;
    set(
        &out,
        "publicKey",
        &js_sys::Uint8Array::from(&key.compressed()[..]).into(),
    )?;
    Ok(out.into())
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
                    return Err(Error::new(
                        Code::InvalidArgument,
                        format!("data must be a Uint8Array, not {}", type_name(&data)),
                    ));
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

/// Whether each of `checks` (P-256, well-formed low-S) verifies, all checked at once with WebCrypto
/// where the runtime has it, else here.
pub(super) async fn verify_p256_all(
    checks: &[identity::SignatureCheck],
) -> Result<Vec<bool>, JsValue> {
    if !subtle_available() {
        return Ok(checks
            .iter()
            .map(|c| crypto::verify_signature(&c.key, &c.data, &c.signature))
            .collect());
    }
    let promises = js_sys::Array::new();
    for check in checks {
        let key: JsValue = check.key.did_key().into();
        let data: JsValue = js_sys::Uint8Array::from(&check.data[..]).into();
        let signature: JsValue = js_sys::Uint8Array::from(&check.signature[..]).into();
        let cached = verify_p256_cached(&key, &data, &signature);
        promises.push(&if cached.is_undefined() {
            verify_p256(&key, &check.key.uncompressed(), &data, &signature).into()
        } else {
            cached
        });
    }
    let results = JsFuture::from(js_sys::Promise::all(&promises)).await?;
    let results: js_sys::Array = results.unchecked_into();
    Ok(results.iter().map(|r| r.as_bool() == Some(true)).collect())
}

/// A signing keypair (secp256k1 or P-256) whose private key lives in wasm memory.
#[wasm_bindgen]
pub struct Keypair(pub(super) crypto::Keypair);

#[wasm_bindgen]
impl Keypair {
    /// A new keypair from the secure random source (`crypto.getRandomValues`).
    pub fn generate(
        #[wasm_bindgen(unchecked_param_type = "'k256' | 'p256'")] algorithm: JsValue,
    ) -> Result<Keypair, JsValue> {
        Ok(Keypair(crypto::Keypair::generate(algorithm_arg(
            &algorithm,
        )?)?))
    }

    /// A keypair from its 32-byte private key.
    #[wasm_bindgen(js_name = "import")]
    pub fn import_private_key(
        #[wasm_bindgen(unchecked_param_type = "'k256' | 'p256'")] algorithm: JsValue,
        #[wasm_bindgen(js_name = privateKey, unchecked_param_type = "Uint8Array")]
        private_key: JsValue,
    ) -> Result<Keypair, JsValue> {
        let algorithm = algorithm_arg(&algorithm)?;
        let bytes = data_arg(&private_key, "privateKey")?;
        Ok(Keypair(crypto::Keypair::import(algorithm, &bytes)?))
    }

    /// 'k256' or 'p256'.
    #[wasm_bindgen(getter, unchecked_return_type = "'k256' | 'p256'")]
    pub fn algorithm(&self) -> String {
        algorithm_name(self.0.algorithm()).to_owned()
    }

    /// The public key as a did:key.
    pub fn did(&self) -> String {
        self.0.did()
    }

    /// Signs SHA-256(`data`): a 64-byte low-S signature (deterministic, RFC 6979).
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn sign(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: JsValue,
    ) -> js_sys::Promise {
        match data_arg(&data, "data").and_then(|data| self.0.sign(&data)) {
            Ok(signature) => resolved(js_sys::Uint8Array::from(&signature[..]).into()),
            Err(error) => js_sys::Promise::reject(&error.into()),
        }
    }

    /// The 32-byte private key.
    pub fn export(&self) -> Vec<u8> {
        self.0.export().to_vec()
    }
}

/// A [`Signer`] over a WebCrypto P-256 key pair: the private key never leaves WebCrypto (it may be
/// non-extractable); signatures are normalized to low-S.
#[wasm_bindgen]
pub struct WebCryptoSigner {
    did: String,
    private_key: JsValue,
}

#[wasm_bindgen]
impl WebCryptoSigner {
    /// The public key as a did:key.
    pub fn did(&self) -> String {
        self.did.clone()
    }

    /// Signs SHA-256(`data`) with WebCrypto: 64 bytes r‖s, low-S.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn sign(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: JsValue,
    ) -> js_sys::Promise {
        if data.dyn_ref::<js_sys::Uint8Array>().is_none() {
            let error = Error::new(
                Code::InvalidArgument,
                format!("data must be a Uint8Array, not {}", type_name(&data)),
            );
            return js_sys::Promise::reject(&error.into());
        }
        let signed = JsFuture::from(sign_p256(&self.private_key, &data));
        future_to_promise(async move {
            let signature = signed.await?;
            let signature: js_sys::Uint8Array = signature.unchecked_into();
            let low_s = crypto::normalize_low_s(Algorithm::Es256, &signature.to_vec())?;
            Ok(js_sys::Uint8Array::from(&low_s[..]).into())
        })
    }
}

/// Wraps a WebCrypto ECDSA P-256 `CryptoKeyPair` as a `Signer` (see [`WebCryptoSigner`]).
#[wasm_bindgen(js_name = webCryptoSigner)]
pub async fn web_crypto_signer(
    #[wasm_bindgen(js_name = keyPair, unchecked_param_type = "CryptoKeyPair")] key_pair: JsValue,
) -> Result<WebCryptoSigner, JsValue> {
    let raw = JsFuture::from(export_raw_public_key(&key_pair))
        .await
        .map_err(|e| {
            Error::new(
                Code::InvalidArgument,
                e.as_string()
                    .unwrap_or_else(|| "expected a WebCrypto ECDSA P-256 CryptoKeyPair".into()),
            )
        })?;
    let raw: js_sys::Uint8Array = raw.unchecked_into();
    let public_key = PublicKey::from_uncompressed(Algorithm::Es256, &raw.to_vec())?;
    let private_key = js_sys::Reflect::get(&key_pair, &"privateKey".into())?;
    Ok(WebCryptoSigner {
        did: public_key.did_key(),
        private_key,
    })
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
    let out = js_sys::Object::new();
    let optional = |s: Option<String>| s.map_or(JsValue::NULL, JsValue::from);
    set(&out, "did", &info.did.clone().into())?;
    set(&out, "handle", &optional(info.handle.clone()))?;
    set(
        &out,
        "signingKey",
        &optional(info.signing_key.map(|k| k.did_key())),
    )?;
    set(&out, "pds", &optional(info.pds.clone()))?;
    Ok(out.into())
}
