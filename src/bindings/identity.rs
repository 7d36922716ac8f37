//! did:plc for JavaScript: `verifyPlcLog`.

use super::string_arg;
use crate::identity::{plc_did_document, verify_plc_log as verify, MAX_AUDIT_LOG_BYTES};
use crate::{Code, Error};
use serde_json::{json, Value as Json};
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
    let did = string_arg(
        &did,
        "did",
        crate::syntax::identifiers::MAX_DID_LEN,
        Code::InvalidDid,
    )?;
    let text = if audit_log.is_string() {
        audit_log
    } else {
        js_sys::JSON::stringify(&audit_log)
            .map_err(|_| {
                Error::new(
                    Code::InvalidJson,
                    "the audit log cannot be turned into JSON",
                )
            })?
            .into()
    };
    let text = string_arg(&text, "auditLog", MAX_AUDIT_LOG_BYTES, Code::LimitExceeded)?;
    let verified = verify(&did, &text)?;
    let state = verified.state.as_ref().map(|state| {
        json!({
            "rotationKeys": state.rotation_keys,
            "verificationMethods": state.verification_methods,
            "alsoKnownAs": state.also_known_as,
            "services": state.services.iter().map(|(name, (kind, endpoint))| {
                (name.clone(), json!({ "type": kind, "endpoint": endpoint }))
            }).collect::<serde_json::Map<String, Json>>(),
        })
    });
    let document = verified
        .state
        .as_ref()
        .map(|state| plc_did_document(&did, state));
    let operations: Vec<Json> = verified
        .operations
        .iter()
        .map(|op| {
            json!({
                "cid": op.cid,
                "type": op.kind,
                "createdAt": op.created_at,
                "nullified": op.nullified,
                "signedBy": op.signed_by,
            })
        })
        .collect();
    let out = json!({ "did": did, "state": state, "document": document, "operations": operations });
    js_sys::JSON::parse(&out.to_string())
}
