//! did:plc for JavaScript: `verifyPlcLog`, `verifyPlcLogAsync`, `compareAuditLogs`.

use super::{json_text_arg, string_arg};
use crate::identity::{
    compare_audit_logs as compare, plc_did_document_json, verify_plc_log as verify, LogRelation,
    VerifiedPlcLog, MAX_AUDIT_LOG_BYTES,
};
use crate::support::json::{self, json_object, Json, Object};
use crate::{Code, Error};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** The state a did:plc operation sets. */
export interface PlcState {
  rotationKeys: string[];
  verificationMethods: Record<string, string>;
  alsoKnownAs: string[];
  services: Record<string, { type: string; endpoint: string }>;
}
/** A verified did:plc audit log. */
export interface VerifiedPlcLog {
  did: string;
  /** The state after the last operation not nullified; null when it is a tombstone (deactivated). */
  state: PlcState | null;
  /** The DID document the directory serves for that state; null when deactivated. */
  document: Record<string, unknown> | null;
  operations: { cid: string; type: string; createdAt: string; nullified: boolean; signedBy: number }[];
}
/** How two copies of one DID's audit log relate. */
export type AuditLogComparison =
  | { relation: 'identical' }
  | { relation: 'prefix'; longer: 'a' | 'b'; extra: number }
  | { relation: 'fork'; at: number; common: string | null; aAllowedByB: boolean; bAllowedByA: boolean };
"#;

/// Verifies a did:plc audit log (`/<did>/log/audit`, as JSON text or as parsed) under every rule
/// of the did:plc specification and go-didplc: shapes, CIDs, signatures, the DID's derivation,
/// the chain, nullification within 72 hours by a stronger key, the `nullified` flags. Throws an
/// `AtproofError` naming the first operation that fails (index and CID) and the rule.
#[wasm_bindgen(js_name = verifyPlcLog, unchecked_return_type = "VerifiedPlcLog")]
pub fn verify_plc_log(
    #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
    #[wasm_bindgen(js_name = auditLog, unchecked_param_type = "string | unknown[]")]
    audit_log: JsValue,
) -> Result<JsValue, JsValue> {
    let did = did_arg(&did)?;
    let text = log_text(&audit_log, "auditLog")?;
    verified_to_js(&did, verify(&did, &text)?)
}

/// [`verify_plc_log`] as a promise: the same verification, in wasm. (It once made the P-256 checks
/// with WebCrypto; atproof's own P-256 became faster than WebCrypto for the keys a log checks
/// repeatedly, so there is nothing left to wait for. Kept for the callers that await it.)
#[wasm_bindgen(js_name = verifyPlcLogAsync, unchecked_return_type = "Promise<VerifiedPlcLog>")]
pub fn verify_plc_log_async(
    #[wasm_bindgen(unchecked_param_type = "string")] did: JsValue,
    #[wasm_bindgen(js_name = auditLog, unchecked_param_type = "string | unknown[]")]
    audit_log: JsValue,
) -> js_sys::Promise {
    match verify_plc_log(did, audit_log) {
        Ok(verified) => js_sys::Promise::resolve(&verified),
        Err(error) => js_sys::Promise::reject(&error),
    }
}

fn did_arg(did: &JsValue) -> Result<String, Error> {
    string_arg(
        did,
        "did",
        crate::syntax::identifiers::MAX_DID_LEN,
        Code::InvalidDid,
    )
}

/// The JS object of a verified log.
fn verified_to_js(did: &str, verified: VerifiedPlcLog) -> Result<JsValue, JsValue> {
    let state = verified.state.as_ref().map(|state| {
        let mut services = Object::default();
        for (name, (kind, endpoint)) in &state.services {
            services.push(name, json_object! { "type": kind, "endpoint": endpoint });
        }
        let mut methods = Object::default();
        for (name, key) in &state.verification_methods {
            methods.push(name, key);
        }
        json_object! {
            "rotationKeys": Json::strings(&state.rotation_keys),
            "verificationMethods": methods,
            "alsoKnownAs": Json::strings(&state.also_known_as),
            "services": services,
        }
    });
    let document = verified
        .state
        .as_ref()
        .map(|state| plc_did_document_json(did, state));
    let operations: Vec<Json> = verified
        .operations
        .iter()
        .map(|op| {
            json_object! {
                "cid": &op.cid,
                "type": &op.kind,
                "createdAt": &op.created_at,
                "nullified": op.nullified,
                "signedBy": op.signed_by,
            }
        })
        .collect();
    let out =
        json_object! { "did": did, "state": state, "document": document, "operations": operations };
    js_sys::JSON::parse(&out.to_text())
}

/// An audit log argument (JSON text, or a value to stringify) as text within the size limit.
fn log_text(log: &JsValue, what: &str) -> Result<String, Error> {
    json_text_arg(log, what, MAX_AUDIT_LOG_BYTES, Code::InvalidJson)
}

/// Compares two copies of one DID's audit log (say, from the directory and from a mirror), each
/// verified in full first: identical, one a prefix of the other, or a fork — where, and whether
/// each side's first differing operation is signed by a key the other side's history allows.
#[wasm_bindgen(js_name = compareAuditLogs, unchecked_return_type = "AuditLogComparison")]
pub fn compare_audit_logs(
    #[wasm_bindgen(unchecked_param_type = "string | unknown[]")] a: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | unknown[]")] b: JsValue,
) -> Result<JsValue, JsValue> {
    let a = log_text(&a, "log a")?;
    let b = log_text(&b, "log b")?;
    // The DID is the first entry's of log a; verification checks every entry of both against it.
    let did = json::parse(&a)
        .ok()
        .and_then(|log| {
            log.as_array()?
                .first()?
                .get("did")?
                .as_str()
                .map(str::to_owned)
        })
        .ok_or_else(|| Error::new(Code::InvalidPlcLog, "log a: its first entry names no DID"))?;
    let out = match compare(&did, &a, &b)? {
        LogRelation::Identical => json_object! { "relation": "identical" },
        LogRelation::Prefix { a_longer, extra } => json_object! {
            "relation": "prefix",
            "longer": if a_longer { "a" } else { "b" },
            "extra": extra,
        },
        LogRelation::Fork {
            at,
            common,
            a_allowed_by_b,
            b_allowed_by_a,
        } => json_object! {
            "relation": "fork",
            "at": at,
            "common": common,
            "aAllowedByB": a_allowed_by_b,
            "bAllowedByA": b_allowed_by_a,
        },
    };
    js_sys::JSON::parse(&out.to_text())
}
