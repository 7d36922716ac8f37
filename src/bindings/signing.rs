//! Signing for JavaScript: `Keypair` (the private key in wasm memory) and `webCryptoSigner` (the
//! private key in WebCrypto, possibly non-extractable). Not in the verify-only build.

use super::crypto::{data_arg, resolved};
use super::{type_error, type_name};
use crate::crypto::{self, Algorithm, PublicKey};
use crate::{Code, Error};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/bindings/webcrypto.js")]
extern "C" {
    #[wasm_bindgen(js_name = exportRawPublicKey)]
    fn export_raw_public_key(key_pair: &JsValue, then: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = signP256)]
    fn sign_p256(private_key: &JsValue, data: &JsValue, then: &JsValue) -> js_sys::Promise;
}

/// What the promises of WebCrypto calls continue with in wasm. Each is made once: a closure made
/// per call is freed only when it runs, so one per failed call would stay for ever.
struct Continuations {
    /// A WebCrypto P-256 signature (P1363, either S) → low-S.
    low_s: Closure<dyn Fn(JsValue) -> Result<JsValue, JsValue>>,
    /// An exported raw public key (undefined when the export failed) and the private key → a
    /// `WebCryptoSigner`.
    signer: Closure<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>>,
}

thread_local! {
    static CONTINUATIONS: Continuations = Continuations {
        low_s: Closure::new(|signature: JsValue| -> Result<JsValue, JsValue> {
            let signature: js_sys::Uint8Array = signature.unchecked_into();
            let low_s = crypto::normalize_low_s(Algorithm::Es256, &signature.to_vec())?;
            Ok(js_sys::Uint8Array::from(&low_s[..]).into())
        }),
        signer: Closure::new(|raw: JsValue, private_key: JsValue| -> Result<JsValue, JsValue> {
            let Some(raw) = raw.dyn_ref::<js_sys::Uint8Array>() else {
                return Err(Error::new(
                    Code::InvalidArgument,
                    "expected a WebCrypto ECDSA P-256 CryptoKeyPair",
                )
                .into());
            };
            let public_key = PublicKey::from_uncompressed(Algorithm::Es256, &raw.to_vec())?;
            Ok(WebCryptoSigner {
                did: public_key.did_key(),
                private_key,
            }
            .into())
        }),
    };
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Anything that can sign for a repository: a Keypair, a webCryptoSigner, a hardware key… */
export interface Signer {
  /** The did:key of the signing key. */
  did(): string;
  /** A 64-byte low-S r‖s signature of SHA-256(data). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}
"#;

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
    pub fn algorithm(&self) -> JsValue {
        algorithm_name(self.0.algorithm()).into()
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
        match data_arg(&data, "data").map(|data| self.0.sign(&data)) {
            Ok(signature) => resolved(js_sys::Uint8Array::from(&signature[..]).into()),
            Err(error) => js_sys::Promise::reject(&error.into()),
        }
    }

    /// The 32-byte private key.
    pub fn export(&self) -> js_sys::Uint8Array {
        super::bytes_js(&self.0.export())
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
    #[wasm_bindgen(unchecked_return_type = "string")]
    pub fn did(&self) -> JsValue {
        self.did.as_str().into()
    }

    /// Signs SHA-256(`data`) with WebCrypto: 64 bytes r‖s, low-S.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn sign(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: JsValue,
    ) -> js_sys::Promise {
        if data.dyn_ref::<js_sys::Uint8Array>().is_none() {
            return js_sys::Promise::reject(&type_error("data", "a Uint8Array", &data).into());
        }
        CONTINUATIONS.with(|then| sign_p256(&self.private_key, &data, then.low_s.as_ref()))
    }
}

/// Wraps a WebCrypto ECDSA P-256 `CryptoKeyPair` as a `Signer` (see [`WebCryptoSigner`]).
#[wasm_bindgen(js_name = webCryptoSigner, unchecked_return_type = "Promise<WebCryptoSigner>")]
pub fn web_crypto_signer(
    #[wasm_bindgen(js_name = keyPair, unchecked_param_type = "CryptoKeyPair")] key_pair: JsValue,
) -> js_sys::Promise {
    CONTINUATIONS.with(|then| export_raw_public_key(&key_pair, then.signer.as_ref()))
}

fn algorithm_arg(value: &JsValue) -> Result<Algorithm, Error> {
    match value.as_string().as_deref() {
        Some("k256") => Ok(Algorithm::Es256k),
        Some("p256") => Ok(Algorithm::Es256),
        _ => Err(Error::formatted(
            Code::UnsupportedKeyType,
            format_args!(
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
