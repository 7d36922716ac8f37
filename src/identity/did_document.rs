//! Extracting handle, signing key and PDS from a DID document.

use crate::crypto::{Algorithm, PublicKey};
use crate::support::json::{self, Json, Object};
use crate::syntax::identifiers::normalize_handle;
use crate::syntax::{ensure_valid_did, is_valid_handle, quote};
use crate::{Code, Error, Result};

const SIGNING_KEY_FRAGMENT: &str = "#atproto";
const PDS_FRAGMENT: &str = "#atproto_pds";
const PDS_SERVICE_TYPE: &str = "AtprotoPersonalDataServer";
const HANDLE_URI_PREFIX: &str = "at://";
/// Longest PDS URL accepted (the lexicon `uri` limit).
const MAX_URL_LEN: usize = 8 * 1024;
const MAX_PORT: u32 = 65_535;

/// What atproto needs from a DID document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DidDocumentInfo {
    /// The document's `id`, a valid DID. Check that it is the DID that was resolved.
    pub did: String,
    /// The first valid handle declared in `alsoKnownAs` (`at://<handle>`), lower-cased; not yet
    /// verified (the handle must resolve back to this DID before it is trusted).
    pub handle: Option<String>,
    /// The `#atproto` signing key, in either the `Multikey` or the legacy form.
    pub signing_key: Option<PublicKey>,
    /// The `#atproto_pds` service endpoint: an http(s) URL, as written in the document.
    pub pds: Option<String>,
}

impl DidDocumentInfo {
    /// The signing key, or `did-document-no-signing-key` when the document declares none.
    pub fn require_signing_key(&self) -> Result<PublicKey> {
        self.signing_key.ok_or_else(|| {
            Error::new(
                Code::DidDocumentNoSigningKey,
                format!(
                    "DID document of {} has no #atproto verification method",
                    self.did
                ),
            )
        })
    }
}

/// Extracts the atproto facts of a DID document, given as JSON text (see the
/// [module documentation](super) for the rules).
///
/// Errors: `invalid-did-document` (not JSON; not an object; `id` missing; `alsoKnownAs`, `verificationMethod` or
/// `service` not arrays, or entries of the wrong shape; an `#atproto` method with missing fields or a
/// foreign `controller`), `invalid-did` (the `id`), `unsupported-key-type` and the key codes (the
/// `#atproto` key), `invalid-pds-endpoint` (the `#atproto_pds` service).
pub fn parse_did_document(text: &str) -> Result<DidDocumentInfo> {
    let document = json::parse(text).map_err(|err| malformed(format_args!("not JSON: {err}")))?;
    let object = document
        .as_object()
        .ok_or_else(|| malformed(format_args!("must be a JSON object")))?;
    let did = match object.get("id") {
        Some(Json::String(id)) => id,
        _ => return Err(malformed(format_args!("`id` must be a string"))),
    };
    ensure_valid_did(did).map_err(|err| err.context("DID document `id`"))?;
    Ok(DidDocumentInfo {
        did: did.clone(),
        handle: declared_handle(object)?,
        signing_key: signing_key(object, did)?,
        pds: pds_endpoint(object, did)?,
    })
}

// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size"). It takes `format_args!`, not a `String`: one
// copy instead of one per argument type, and no message formatted and freed at each caller.
#[cold]
#[inline(never)]
fn malformed(why: std::fmt::Arguments<'_>) -> Error {
    Error::new(Code::InvalidDidDocument, format!("DID document: {why}"))
}

/// The array in `field`, or nothing when it is absent or null.
fn optional_array<'a>(object: &'a Object, field: &str) -> Result<&'a [Json]> {
    match object.get(field) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(items)) => Ok(items),
        Some(_) => Err(malformed(format_args!("`{field}` must be an array"))),
    }
}

fn declared_handle(object: &Object) -> Result<Option<String>> {
    let mut handle = None;
    for entry in optional_array(object, "alsoKnownAs")? {
        let uri = entry
            .as_str()
            .ok_or_else(|| malformed(format_args!("`alsoKnownAs` entries must be strings")))?;
        if handle.is_none() {
            handle = uri
                .strip_prefix(HANDLE_URI_PREFIX)
                .filter(|candidate| is_valid_handle(candidate))
                .map(normalize_handle);
        }
    }
    Ok(handle)
}

/// The first entry of the array `field` whose `id` is `fragment` or `<did>fragment`. Every entry must be
/// an object with a string `id`.
fn find_by_id<'a>(
    object: &'a Object,
    field: &str,
    did: &str,
    fragment: &str,
) -> Result<Option<&'a Object>> {
    let mut found = None;
    for entry in optional_array(object, field)? {
        let entry = entry
            .as_object()
            .ok_or_else(|| malformed(format_args!("`{field}` entries must be objects")))?;
        let id = entry
            .get("id")
            .and_then(Json::as_str)
            .ok_or_else(|| malformed(format_args!("`{field}` entries must have a string `id`")))?;
        let matches = id == fragment || id.strip_prefix(did) == Some(fragment);
        if found.is_none() && matches {
            found = Some(entry);
        }
    }
    Ok(found)
}

fn string_field<'a>(entry: &'a Object, field: &str, what: &str) -> Result<&'a str> {
    entry
        .get(field)
        .and_then(Json::as_str)
        .ok_or_else(|| malformed(format_args!("{what} must have a string `{field}`")))
}

fn signing_key(object: &Object, did: &str) -> Result<Option<PublicKey>> {
    let what = "the #atproto verification method";
    let Some(method) = find_by_id(object, "verificationMethod", did, SIGNING_KEY_FRAGMENT)? else {
        return Ok(None);
    };
    let controller = string_field(method, "controller", what)?;
    if controller != did {
        return Err(malformed(format_args!(
            "{what} has controller {}, not the document's DID",
            quote(controller)
        )));
    }
    let algorithm = match string_field(method, "type", what)? {
        "Multikey" => None,
        "EcdsaSecp256k1VerificationKey2019" => Some(Algorithm::Es256k),
        "EcdsaSecp256r1VerificationKey2019" => Some(Algorithm::Es256),
        other => {
            return Err(Error::new(
                Code::UnsupportedKeyType,
                format!(
                    "DID document: {what} has type {}; expected Multikey, \
                     EcdsaSecp256k1VerificationKey2019 or EcdsaSecp256r1VerificationKey2019",
                    quote(other)
                ),
            ))
        }
    };
    let multibase = string_field(method, "publicKeyMultibase", what)?;
    let key = match algorithm {
        None => PublicKey::from_multikey(multibase),
        Some(algorithm) => PublicKey::from_legacy_multibase(algorithm, multibase),
    };
    key.map(Some)
        .map_err(|err| err.context(format!("DID document: {what}")))
}

fn pds_endpoint(object: &Object, did: &str) -> Result<Option<String>> {
    let Some(service) = find_by_id(object, "service", did, PDS_FRAGMENT)? else {
        return Ok(None);
    };
    let bad = |why: String| {
        Error::new(
            Code::InvalidPdsEndpoint,
            format!("DID document: the #atproto_pds service {why}"),
        )
    };
    match service.get("type") {
        Some(Json::String(kind)) if kind == PDS_SERVICE_TYPE => {}
        Some(Json::String(kind)) => {
            return Err(bad(format!(
                "has type {}, not {PDS_SERVICE_TYPE}",
                quote(kind)
            )))
        }
        _ => return Err(bad(format!("must have type {PDS_SERVICE_TYPE}"))),
    }
    let Some(Json::String(endpoint)) = service.get("serviceEndpoint") else {
        return Err(bad("must have a string `serviceEndpoint`".to_owned()));
    };
    check_http_url(endpoint).map_err(|why| bad(format!("endpoint {}: {why}", quote(endpoint))))?;
    Ok(Some(endpoint.clone()))
}

/// Checks an `http(s)://host[:port][/path]` URL; the error says what is wrong.
fn check_http_url(url: &str) -> std::result::Result<(), String> {
    if url.len() > MAX_URL_LEN {
        return Err("longer than 8 KiB".to_owned());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// or http://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at_checked(authority_end).ok_or("is not ASCII")?;
    if authority.contains('@') {
        return Err("must not contain user-info (`user@`)".to_owned());
    }
    let port = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (address, after) = bracketed.split_once(']').ok_or("has an unclosed '['")?;
            if address.is_empty()
                || !address
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
            {
                return Err("has an invalid IPv6 address".to_owned());
            }
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or("has text after the IPv6 address")?,
                ),
            };
            port
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let label_ok = |label: &str| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            };
            if !host.split('.').all(label_ok) {
                return Err("has no valid host name".to_owned());
            }
            port
        }
    };
    if let Some(port) = port {
        let valid = (1..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
            && port
                .parse::<u32>()
                .is_ok_and(|n| (1..=MAX_PORT).contains(&n));
        if !valid {
            return Err("has an invalid port".to_owned());
        }
    }
    if path.contains(['?', '#']) {
        return Err("must not have a query or fragment".to_owned());
    }
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b));
    if !path_ok {
        return Err("has a character not allowed in a URL path".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_http_url;

    #[test]
    fn http_urls() {
        for good in [
            "https://bsky.social",
            "https://pds.example.com/",
            "http://localhost:2583",
            "https://10.0.0.1:443",
            "https://[::1]:8080",
            "https://host.example/some/path",
        ] {
            assert_eq!(check_http_url(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "bsky.social",
            "ftp://bsky.social",
            "wss://bsky.social",
            "HTTPS//bsky.social",
            "https://",
            "https://user@evil.example",
            "https://good.example@evil.example/",
            "https://bsky.social:0",
            "https://bsky.social:65536",
            "https://bsky.social:",
            "https://bsky.social:80a",
            "https://bsky..social",
            "https://bsky.social.",
            "https://bsky_social.com",
            "https://bsky.social?x=1",
            "https://bsky.social/#frag",
            "https://bsky.social/a b",
            "https://[::1",
            "https://[]",
            "https://[::1]x",
            "https://bücher.example",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }
}
