//! did:plc audit logs (`/<did>/log/audit`) verified operation by operation.
//!
//! Rules (the did:plc specification v0.3.0, with go-didplc's strict semantics where the two
//! differ): each operation strictly typed (`plc_operation`, `plc_tombstone`, the legacy genesis
//! `create`), unknown fields refused; its CID recomputed from its DRISL bytes; its signature
//! (base64url without padding, zero padding bits, no line breaks; 64-byte compact, low-S) verified
//! over the operation without `sig` by a key that the operation its `prev` names allows; the DID
//! the first 24 base32 characters of SHA-256 of the signed genesis; `createdAt` strictly
//! increasing; nothing after a tombstone; a fork (an operation whose `prev` already has a child)
//! nullifies that child and its descendants, only within 72 hours (inclusive) of the first of
//! them and only with a key of strictly higher priority (lower index) than the one that signed it;
//! the `nullified` flags the log claims equal to the ones these rules give.
//!
//! Tricky bits:
//! - **Allowed keys shrink.** Like go-didplc's op store, each operation keeps the keys that may
//!   still sign a child of it: all its rotation keys at first, then, once a child signed by key
//!   `i` is accepted, only the keys before `i`. So a second fork from the same operation needs a
//!   strictly stronger key than the first.
//! - **The first key that verifies is the signer, in any order.** The rule wants the strongest
//!   allowed key that verifies; trying the keys in order of priority finds it, at the price of a
//!   failed check for every stronger key. But two keys verify one signature only in a relation
//!   that involves the signed hash `e` (on one curve `K₁ + K₂ = −2(e/r)·G`; across the curves by
//!   a chance of about 2⁻²⁵⁶), and the allowed keys are fixed before that hash: `prev` is the CID
//!   of the operation that lists them (the genesis lists its own). Arranging it is work of the
//!   order of breaking the signature scheme (some 2¹²⁸ hashes), so one allowed key verifies, a key
//!   listed twice counting at its first index. The keys that signed lately are therefore tried
//!   first (one of them usually signs the next operation), then the others by priority.
//! - **Where the directory and the specification disagree, the directory's history wins**, as
//!   go-didplc's test data marks it: duplicate rotation keys and an empty `rotationKeys` are
//!   accepted (the latter freezes the DID).
//! - `createdAt` is the directory's claim: it cannot be verified, only checked for consistency.

use crate::cbor::{self, Value};
use crate::cid::{base32_encode, sha256, Cid, Codec};
use crate::crypto::{verify_signature_strict, with_default_key_cache, Algorithm, PublicKey};
use crate::error::{Code, Error, Result};
use crate::support::base64::{self, Alphabet, Base64Error};
use crate::support::json::{self, json_object, Json};
use crate::support::sort::sort_by;
use crate::syntax::quote;

/// The most rotation keys, verification methods, services and `alsoKnownAs` entries (the
/// directory's limits).
const MAX_ITEMS: usize = 10;
/// The most operations a log may hold (a real log has a handful).
const MAX_OPERATIONS: usize = 10_000;
/// The largest log accepted, in bytes of JSON.
pub const MAX_AUDIT_LOG_BYTES: usize = 16 << 20;
/// 72 hours, in microseconds: how late a fork may nullify.
const RECOVERY_WINDOW_MICROS: i64 = 72 * 3600 * 1_000_000;

/// The state an operation sets: what the DID document is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlcState {
    /// Keys that may sign the next operation, strongest first (did:key).
    pub rotation_keys: Vec<String>,
    /// Named verification methods (did:key), `atproto` the signing key; sorted by name, each name
    /// once.
    pub verification_methods: Vec<(String, String)>,
    /// `at://` handles and other URIs.
    pub also_known_as: Vec<String>,
    /// Named services, `(name, (type, endpoint))`; sorted by name, each name once.
    pub services: Vec<(String, (String, String))>,
}

/// One operation of a verified log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlcOperation {
    /// Its CID.
    pub cid: String,
    /// `plc_operation`, `plc_tombstone` or `create`.
    pub kind: String,
    /// When the directory says it was made.
    pub created_at: String,
    /// Whether a later fork nullified it.
    pub nullified: bool,
    /// The index, in the rotation keys that allowed it, of the key that signed it.
    pub signed_by: usize,
}

/// A verified audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPlcLog {
    /// The DID.
    pub did: String,
    /// The state after the last operation not nullified; `None` when it is a tombstone (the DID is
    /// deactivated).
    pub state: Option<PlcState>,
    /// Every operation, in the log's order.
    pub operations: Vec<PlcOperation>,
}

/// An operation as parsed, with what the chain rules need.
struct Parsed {
    kind: &'static str,
    /// The CID of the signed operation's DRISL bytes.
    cid: Cid,
    prev: Option<Cid>,
    signature: [u8; 64],
    unsigned: Vec<u8>,
    signed: Vec<u8>,
    /// `None` for a tombstone.
    state: Option<PlcState>,
    /// The rotation keys as keys (empty for a tombstone).
    rotation_keys: Vec<PublicKey>,
}

/// Where an operation stands in the chain while the log is read.
struct Node {
    cid: Cid,
    rotation_keys: Vec<PublicKey>,
    allowed: usize,
    last_child: Option<usize>,
    nullified: bool,
    created_at: i64,
    tombstone: bool,
}

/// A log read so far: each operation's place in the chain, its state, and the log's claims.
struct Replay {
    did: String,
    nodes: Vec<Node>,
    states: Vec<Option<PlcState>>,
    operations: Vec<PlcOperation>,
    claimed: Vec<bool>,
    /// The keys that signed the operations taken in, the latest first, each once (at most
    /// [`MAX_ITEMS`]).
    recent_signers: Vec<PublicKey>,
}

fn plc_error(code: Code, index: usize, cid: &str, why: impl std::fmt::Display) -> Error {
    Error::new(code, format!("operation {index} ({cid}): {why}"))
}

/// Verifies the audit log of `did` (the JSON text of `/<did>/log/audit`) under every rule of
/// the module documentation. Errors name the first operation that fails, its index and CID.
pub fn verify_plc_log(did: &str, audit_log: &str) -> Result<VerifiedPlcLog> {
    replay_log(did, audit_log)?.1.finish()
}

/// An audit log's JSON read and each of its operations parsed.
struct AuditLog {
    entries: Vec<Json>,
    /// Each entry's operation as parsed (`None` for an entry without one): the verification
    /// reports a parse failure only when it reaches the entry, after that entry's other fields.
    operations: Vec<Option<Result<Parsed>>>,
    /// For each entry, the first parsed operation of the log whose CID its `prev` names.
    parents: Vec<Option<usize>>,
}

impl AuditLog {
    /// Reads the JSON text of `/<did>/log/audit` within the limits and parses every operation.
    fn parse(audit_log: &str) -> Result<AuditLog> {
        let entries = parse_entries(audit_log)?;
        let operations: Vec<Option<Result<Parsed>>> = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let operation = entry.get("operation")?;
                Some(parse_operation(operation, index == 0))
            })
            .collect();
        // Each CID with the first operation that has it: sorted by CID and then position, one
        // entry each, found by binary search.
        let mut first_with_cid: Vec<(Cid, usize)> = operations
            .iter()
            .enumerate()
            .filter_map(|(at, operation)| match operation {
                Some(Ok(operation)) => Some((operation.cid, at)),
                _ => None,
            })
            .collect();
        sort_by(&mut first_with_cid, |a, b| a.cmp(b))?;
        first_with_cid.dedup_by(|later, first| later.0 == first.0);
        let parents = operations
            .iter()
            .map(|operation| match operation {
                Some(Ok(Parsed {
                    prev: Some(prev), ..
                })) => {
                    let at = first_with_cid.binary_search_by(|(c, _)| c.cmp(prev)).ok()?;
                    first_with_cid.get(at).map(|&(_, first)| first)
                }
                _ => None,
            })
            .collect();
        Ok(AuditLog {
            entries,
            operations,
            parents,
        })
    }
}

/// The entries of an audit log's JSON text, within the limits.
fn parse_entries(audit_log: &str) -> Result<Vec<Json>> {
    if audit_log.len() > MAX_AUDIT_LOG_BYTES {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "an audit log of {} bytes exceeds the limit of {MAX_AUDIT_LOG_BYTES}",
                audit_log.len()
            ),
        ));
    }
    let log = json::parse(audit_log)
        .map_err(|e| Error::new(Code::InvalidJson, format!("audit log: {e}")))?;
    let Json::Array(entries) = log else {
        return Err(Error::new(
            Code::InvalidPlcLog,
            "the audit log is not a JSON array",
        ));
    };
    if entries.is_empty() {
        return Err(Error::new(Code::InvalidPlcLog, "the audit log is empty"));
    }
    if entries.len() > MAX_OPERATIONS {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "{} operations exceed the limit of {MAX_OPERATIONS}",
                entries.len()
            ),
        ));
    }
    Ok(entries)
}

impl Replay {
    fn new(did: &str) -> Replay {
        Replay {
            did: did.to_owned(),
            nodes: Vec::new(),
            states: Vec::new(),
            operations: Vec::new(),
            claimed: Vec::new(),
            recent_signers: Vec::new(),
        }
    }

    /// Checks the next entry of the log (with its operation and the index of the operation its
    /// `prev` names as [`AuditLog::parse`] found them) against everything before it and takes it
    /// in.
    fn append(
        &mut self,
        entry: &Json,
        operation: Option<Result<Parsed>>,
        parent: Option<usize>,
    ) -> Result<()> {
        let index = self.nodes.len();
        let did = self.did.as_str();
        let nodes = &mut self.nodes;
        let cid_text = entry.get("cid").and_then(Json::as_str).unwrap_or("?");
        let fail = |code: Code, why: &dyn std::fmt::Display| plc_error(code, index, cid_text, why);
        let fields = entry
            .as_object()
            .ok_or_else(|| fail(Code::InvalidPlcLog, &"the entry is not an object"))?;
        let text = |key: &str| fields.get(key).and_then(Json::as_str);
        if text("did") != Some(did) {
            return Err(fail(
                Code::DidMismatch,
                &format_args!(
                    "the entry is for {}, not {did}",
                    fields
                        .get("did")
                        .and_then(Json::as_str)
                        .map_or_else(|| "no DID string".to_owned(), quote)
                ),
            ));
        }
        let nullified_claim = fields
            .get("nullified")
            .and_then(Json::as_bool)
            .ok_or_else(|| fail(Code::InvalidPlcLog, &"`nullified` is not a boolean"))?;
        let created_text = text("createdAt")
            .ok_or_else(|| fail(Code::InvalidPlcLog, &"`createdAt` is not a string"))?;
        let created_at = parse_timestamp(created_text).ok_or_else(|| {
            fail(
                Code::InvalidPlcLog,
                &format_args!("`createdAt` {} is not a UTC timestamp", quote(created_text)),
            )
        })?;
        let parsed = operation
            .ok_or_else(|| fail(Code::InvalidPlcLog, &"no `operation`"))?
            .map_err(|e| fail(e.code(), &e.message()))?;
        let cid = parsed.cid;
        if cid.to_string() != cid_text {
            return Err(fail(
                Code::CidMismatch,
                &format_args!("the operation's CID is {cid}"),
            ));
        }

        // Who may sign it, and what it does to the chain.
        let (signer_keys, parent) = match (index, parsed.prev) {
            (0, None) => (parsed.rotation_keys.as_slice(), None),
            (0, Some(_)) => {
                return Err(fail(
                    Code::InvalidPlcLog,
                    &"the genesis operation has a `prev`",
                ))
            }
            (_, None) => {
                return Err(fail(
                    Code::InvalidPlcLog,
                    &"only the genesis operation may have `prev: null`",
                ))
            }
            (_, Some(prev)) => {
                // The first operation with that CID, and it must come before this one.
                let parent = parent.filter(|&at| at < index).ok_or_else(|| {
                    fail(
                        Code::InvalidPlcLog,
                        &format_args!("`prev` {prev} is no earlier operation"),
                    )
                })?;
                let node = nodes
                    .get(parent)
                    .ok_or_else(|| fail(Code::InvalidPlcLog, &"no parent"))?;
                if node.nullified {
                    return Err(fail(
                        Code::InvalidPlcLog,
                        &format_args!("`prev` {prev} is a nullified operation"),
                    ));
                }
                if node.tombstone {
                    return Err(fail(
                        Code::InvalidPlcLog,
                        &format_args!("`prev` {prev} is a tombstone: nothing may follow it"),
                    ));
                }
                let allowed = node.rotation_keys.get(..node.allowed).unwrap_or_default();
                (allowed, Some(parent))
            }
        };
        // After the chain checks, so that an operation breaking both is refused for its chain.
        if let Some(previous) = nodes.last() {
            if created_at <= previous.created_at {
                return Err(fail(
                    Code::InvalidPlcLog,
                    &"`createdAt` is not after the previous entry's",
                ));
            }
        }
        let mut high_s = false;
        let mut verifies = |key: &PublicKey| match verify_signature_strict(
            key,
            &parsed.unsigned,
            &parsed.signature,
        ) {
            Ok(()) => true,
            Err(e) => {
                high_s |= e.code() == Code::HighSSignature;
                false
            }
        };
        // The keys that signed lately first, most recent first (one of them usually signs this
        // one too), then the others in order of priority: the first key that verifies is the
        // signer (module docs).
        let recent = &self.recent_signers;
        let signer = recent
            .iter()
            .filter(|&key| signer_keys.contains(key))
            .chain(signer_keys.iter().filter(|&key| !recent.contains(key)))
            .find(|&key| verifies(key))
            .copied();
        let signed_by = signer
            .and_then(|signer| signer_keys.iter().position(|key| *key == signer))
            .ok_or_else(|| {
                if high_s {
                    fail(Code::HighSSignature, &"the signature is high-S (only low-S is valid)")
                } else if is_der(&parsed.signature) {
                    fail(
                        Code::InvalidSignatureFormat,
                        &"the signature is DER-encoded (only 64-byte compact r‖s is valid)",
                    )
                } else {
                    fail(
                        Code::BadSignature,
                        &format_args!("no key the previous operation allows ({} of them) verifies the signature", signer_keys.len()),
                    )
                }
            })?;
        if index == 0 {
            // 24 base32 characters are exactly the first 15 bytes of the hash.
            let genesis = sha256(&parsed.signed);
            let mut identifier = [0u8; 24];
            base32_encode(genesis.get(..15).unwrap_or_default(), &mut identifier);
            // base32 is ASCII.
            let derived = format!(
                "did:plc:{}",
                std::str::from_utf8(&identifier).unwrap_or_default()
            );
            if derived != did {
                return Err(fail(
                    Code::DidMismatch,
                    &format_args!("the genesis operation makes {derived}, not {did}"),
                ));
            }
        }
        if let Some(parent) = parent {
            // A fork: the parent already has a child, which this one nullifies with its descendants.
            if let Some(first) = nodes.get(parent).and_then(|n| n.last_child) {
                let first_at = nodes.get(first).map_or(i64::MAX, |n| n.created_at);
                if created_at - first_at > RECOVERY_WINDOW_MICROS {
                    return Err(fail(
                        Code::PlcLateRecovery,
                        &"it nullifies an operation made more than 72 hours before it",
                    ));
                }
                let mut next = Some(first);
                while let Some(at) = next {
                    let Some(node) = nodes.get_mut(at) else { break };
                    node.nullified = true;
                    next = node.last_child;
                }
            }
            if let Some(node) = nodes.get_mut(parent) {
                node.last_child = Some(index);
                node.allowed = signed_by;
            }
        }
        nodes.push(Node {
            cid,
            allowed: parsed.rotation_keys.len(),
            rotation_keys: parsed.rotation_keys,
            last_child: None,
            nullified: false,
            created_at,
            tombstone: parsed.state.is_none(),
        });
        self.states.push(parsed.state);
        self.claimed.push(nullified_claim);
        if let Some(signer) = signer {
            self.recent_signers.retain(|key| *key != signer);
            self.recent_signers.insert(0, signer);
            self.recent_signers.truncate(MAX_ITEMS);
        }
        self.operations.push(PlcOperation {
            cid: cid_text.to_owned(),
            kind: parsed.kind.to_owned(),
            created_at: created_text.to_owned(),
            nullified: false,
            signed_by,
        });
        Ok(())
    }

    /// Whether `entry`'s operation is signed by a key this log allows for the operation its `prev`
    /// names (an operation it holds, not nullified, not a tombstone).
    fn allows(&self, entry: &Json) -> bool {
        let Some(Ok(parsed)) = entry.get("operation").map(|op| parse_operation(op, false)) else {
            return false;
        };
        let Some(node) = parsed
            .prev
            .and_then(|prev| self.nodes.iter().find(|n| n.cid == prev))
        else {
            return false;
        };
        !node.nullified
            && !node.tombstone
            && node
                .rotation_keys
                .get(..node.allowed)
                .unwrap_or_default()
                .iter()
                .any(|key| {
                    verify_signature_strict(key, &parsed.unsigned, &parsed.signature).is_ok()
                })
    }

    /// The `nullified` flags the log claims must be the ones the rules gave.
    fn check_claims(&self) -> Result<()> {
        let claims = self.nodes.iter().zip(&self.claimed).zip(&self.operations);
        for (index, ((node, claim), operation)) in claims.enumerate() {
            if node.nullified != *claim {
                return Err(plc_error(
                    Code::PlcNullifiedMismatch,
                    index,
                    &operation.cid,
                    format_args!(
                        "the log says nullified: {claim}, the rules give {}",
                        node.nullified
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The verified log, once its claims are checked.
    fn finish(mut self) -> Result<VerifiedPlcLog> {
        self.check_claims()?;
        for (node, operation) in self.nodes.iter().zip(&mut self.operations) {
            operation.nullified = node.nullified;
        }
        let last = self.nodes.iter().rposition(|n| !n.nullified).unwrap_or(0);
        Ok(VerifiedPlcLog {
            did: self.did,
            state: self.states.into_iter().nth(last).flatten(),
            operations: self.operations,
        })
    }
}

/// How two copies of one DID's audit log relate (see [`compare_audit_logs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogRelation {
    /// The same operations.
    Identical,
    /// One holds all the other's operations and more after them.
    Prefix {
        /// Whether `a` is the longer one.
        a_longer: bool,
        /// How many operations the longer one has beyond the other.
        extra: usize,
    },
    /// They agree up to `at` and then differ.
    Fork {
        /// The index of the first operation that differs.
        at: usize,
        /// The CID of the last operation they share (`None` when even the genesis differs).
        common: Option<String>,
        /// Whether `a`'s first differing operation is signed by a key that `b`'s history allows
        /// for the operation it follows (so `b` could have it as a valid fork).
        a_allowed_by_b: bool,
        /// The same, the other way round.
        b_allowed_by_a: bool,
    },
}

/// Compares two copies of the audit log of `did` (say, from the directory and from a mirror):
/// both are verified in full first (an invalid one is an error naming it), then they are
/// identical, one a prefix of the other, or a fork.
pub fn compare_audit_logs(did: &str, a: &str, b: &str) -> Result<LogRelation> {
    let verified = |text: &str| {
        let (entries, replay) = replay_log(did, text)?;
        replay.check_claims()?;
        Ok::<_, Error>((entries, replay))
    };
    let (a_entries, a_replay) = verified(a).map_err(|e| e.context("log a"))?;
    let (b_entries, b_replay) = verified(b).map_err(|e| e.context("log b"))?;
    let cid = |entries: &[Json], i: usize| {
        entries
            .get(i)
            .and_then(|e| e.get("cid"))
            .and_then(Json::as_str)
            .map(str::to_owned)
    };
    let shared = (0..a_entries.len().min(b_entries.len()))
        .take_while(|&i| cid(&a_entries, i) == cid(&b_entries, i))
        .count();
    if shared == a_entries.len() && shared == b_entries.len() {
        return Ok(LogRelation::Identical);
    }
    if shared == a_entries.len() || shared == b_entries.len() {
        return Ok(LogRelation::Prefix {
            a_longer: a_entries.len() > b_entries.len(),
            extra: a_entries.len().abs_diff(b_entries.len()),
        });
    }
    let allowed = |entry: Option<&Json>, by: &Replay| entry.is_some_and(|e| by.allows(e));
    Ok(LogRelation::Fork {
        at: shared,
        common: shared.checked_sub(1).and_then(|i| cid(&a_entries, i)),
        a_allowed_by_b: allowed(a_entries.get(shared), &b_replay),
        b_allowed_by_a: allowed(b_entries.get(shared), &a_replay),
    })
}

/// A log read and replayed (all but the final check of the `nullified` flags,
/// [`Replay::check_claims`]): its entries and the replay.
fn replay_log(did: &str, text: &str) -> Result<(Vec<Json>, Replay)> {
    let log = AuditLog::parse(text)?;
    let mut replay = Replay::new(did);
    for ((entry, operation), parent) in log.entries.iter().zip(log.operations).zip(log.parents) {
        replay.append(entry, operation, parent)?;
    }
    Ok((log.entries, replay))
}

/// The DID document the directory serves for `did` in `state` (the reference's `formatDidDoc`):
/// `@context` with the suite of each verification method's curve, `Multikey` methods with
/// absolute ids, services with relative ids. As compact JSON text.
pub fn plc_did_document(did: &str, state: &PlcState) -> String {
    plc_did_document_json(did, state).to_text()
}

/// [`plc_did_document`] as a JSON tree.
pub(crate) fn plc_did_document_json(did: &str, state: &PlcState) -> Json {
    let mut context = vec![
        Json::from("https://www.w3.org/ns/did/v1"),
        Json::from("https://w3id.org/security/multikey/v1"),
    ];
    let mut methods = Vec::new();
    for (name, key) in &state.verification_methods {
        let suite = match PublicKey::from_did_key(key).map(|k| k.algorithm()) {
            Ok(Algorithm::Es256) => Some("https://w3id.org/security/suites/ecdsa-2019/v1"),
            Ok(Algorithm::Es256k) => Some("https://w3id.org/security/suites/secp256k1-2019/v1"),
            Err(_) => None,
        };
        if let Some(suite) = suite {
            if !context.iter().any(|c| c.as_str() == Some(suite)) {
                context.push(Json::from(suite));
            }
        }
        methods.push(json_object! {
            "id": format!("{did}#{name}"),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.strip_prefix("did:key:").unwrap_or(key),
        });
    }
    let services: Vec<Json> = state
        .services
        .iter()
        .map(|(name, (kind, endpoint))| {
            json_object! { "id": format!("#{name}"), "type": kind, "serviceEndpoint": endpoint }
        })
        .collect();
    json_object! {
        "@context": context,
        "id": did,
        "alsoKnownAs": Json::strings(&state.also_known_as),
        "verificationMethod": methods,
        "service": services,
    }
}

fn invalid(why: impl std::fmt::Display) -> Error {
    Error::new(Code::InvalidPlcOperation, why.to_string())
}

/// Parses and checks one operation's shape; its DRISL bytes with and without `sig`.
fn parse_operation(json: &Json, genesis: bool) -> Result<Parsed> {
    let object = json
        .as_object()
        .ok_or_else(|| invalid("the operation is not an object"))?;
    let kind = match object.get("type").and_then(Json::as_str) {
        Some("plc_operation") => "plc_operation",
        Some("plc_tombstone") => "plc_tombstone",
        Some("create") if genesis => "create",
        Some("create") => {
            return Err(invalid(
                "a legacy `create` is only allowed as the genesis operation",
            ))
        }
        Some(other) => {
            return Err(invalid(format_args!(
                "unknown operation type {}",
                quote(other)
            )))
        }
        None => return Err(invalid("the operation has no string `type`")),
    };
    let expected: &[&str] = match kind {
        "plc_operation" => &[
            "type",
            "rotationKeys",
            "verificationMethods",
            "alsoKnownAs",
            "services",
            "prev",
            "sig",
        ],
        "plc_tombstone" => &["type", "prev", "sig"],
        _ => &[
            "type",
            "signingKey",
            "recoveryKey",
            "handle",
            "service",
            "prev",
            "sig",
        ],
    };
    for key in object.keys() {
        if !expected.contains(&key.as_str()) {
            return Err(invalid(format_args!(
                "unknown field {} in a {kind}",
                quote(key)
            )));
        }
    }
    for key in expected {
        if !object.contains_key(key) {
            return Err(invalid(format_args!("a {kind} has no `{key}`")));
        }
    }
    let string = |key: &str| {
        object
            .get(key)
            .and_then(Json::as_str)
            .ok_or_else(|| invalid(format_args!("`{key}` is not a string")))
    };
    let prev = match object.get("prev") {
        Some(Json::Null) if kind != "plc_tombstone" => None,
        Some(Json::String(text)) => {
            let cid =
                Cid::parse(text).map_err(|e| invalid(format_args!("`prev`: {}", e.message())))?;
            if cid.codec() != Codec::Drisl {
                return Err(invalid("`prev` is not a DRISL CID"));
            }
            Some(cid)
        }
        _ => {
            return Err(invalid(
                "`prev` is neither a CID string nor (genesis only) null",
            ))
        }
    };
    let signature = decode_signature(string("sig")?)?;
    let (state, rotation_keys) = match kind {
        "plc_tombstone" => (None, Vec::new()),
        "plc_operation" => {
            let rotation = string_array(object.get("rotationKeys"), "rotationKeys")?;
            let keys = rotation_keys(&rotation)?;
            let methods = string_map(object.get("verificationMethods"), "verificationMethods")?;
            for (name, key) in &methods {
                if !key.starts_with("did:key:z") {
                    return Err(invalid(format_args!(
                        "verification method {} is not a did:key",
                        quote(name)
                    )));
                }
            }
            let also_known_as = string_array(object.get("alsoKnownAs"), "alsoKnownAs")?;
            let services = services(object.get("services"))?;
            let state = PlcState {
                rotation_keys: rotation,
                verification_methods: methods,
                also_known_as,
                services,
            };
            (Some(state), keys)
        }
        _ => {
            // The legacy genesis, normalized as the reference does.
            let signing = string("signingKey")?.to_owned();
            let recovery = string("recoveryKey")?.to_owned();
            let rotation = vec![recovery, signing.clone()];
            let keys = rotation_keys(&rotation)?;
            let mut service = string("service")?.to_owned();
            if !service.starts_with("http://") && !service.starts_with("https://") {
                service = format!("https://{service}");
            }
            let handle = string("handle")?;
            let handle = handle
                .strip_prefix("https://")
                .or_else(|| handle.strip_prefix("http://"))
                .unwrap_or(handle);
            let state = PlcState {
                rotation_keys: rotation,
                verification_methods: vec![("atproto".to_owned(), signing)],
                also_known_as: vec![format!("at://{handle}")],
                services: vec![(
                    "atproto_pds".to_owned(),
                    ("AtprotoPersonalDataServer".to_owned(), service),
                )],
            };
            (Some(state), keys)
        }
    };
    let signed_value = json_to_value(json, 0)?;
    let signed = cbor::encode(&signed_value)?;
    let Value::Map(mut entries) = signed_value else {
        return Err(invalid("the operation is not an object"));
    };
    entries.retain(|(key, _)| key != "sig");
    let unsigned = cbor::encode(&Value::Map(entries))?;
    Ok(Parsed {
        kind,
        cid: Cid::for_drisl(&signed),
        prev,
        signature,
        unsigned,
        signed,
        state,
        rotation_keys,
    })
}

fn string_array(json: Option<&Json>, field: &str) -> Result<Vec<String>> {
    let items = json
        .and_then(Json::as_array)
        .ok_or_else(|| invalid(format_args!("`{field}` is not an array")))?;
    if items.len() > MAX_ITEMS {
        return Err(invalid(format_args!(
            "`{field}` has {} entries, more than {MAX_ITEMS}",
            items.len()
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let item = item
            .as_str()
            .ok_or_else(|| invalid(format_args!("`{field}` holds a non-string")))?;
        out.push(item.to_owned());
    }
    Ok(out)
}

fn string_map(json: Option<&Json>, field: &str) -> Result<Vec<(String, String)>> {
    let object = json
        .and_then(Json::as_object)
        .ok_or_else(|| invalid(format_args!("`{field}` is not an object")))?;
    if object.len() > MAX_ITEMS {
        return Err(invalid(format_args!(
            "`{field}` has {} entries, more than {MAX_ITEMS}",
            object.len()
        )));
    }
    // A parsed object's entries come sorted by name, each name once (support::json): in that
    // order they are the map, without a `BTreeMap`'s tree code in the wasm.
    let mut out = Vec::with_capacity(object.len());
    for (k, v) in object.iter() {
        let v = v
            .as_str()
            .ok_or_else(|| invalid(format_args!("`{field}` entry {} is not a string", quote(k))))?;
        out.push((k.clone(), v.to_owned()));
    }
    Ok(out)
}

fn services(json: Option<&Json>) -> Result<Vec<(String, (String, String))>> {
    let object = json
        .and_then(Json::as_object)
        .ok_or_else(|| invalid("`services` is not an object"))?;
    if object.len() > MAX_ITEMS {
        return Err(invalid(format_args!(
            "`services` has {} entries, more than {MAX_ITEMS}",
            object.len()
        )));
    }
    let mut out = Vec::with_capacity(object.len());
    for (name, service) in object.iter() {
        let fields = service
            .as_object()
            .filter(|f| f.len() == 2)
            .ok_or_else(|| {
                invalid(format_args!(
                    "service {} is not {{type, endpoint}}",
                    quote(name)
                ))
            })?;
        let get = |key: &str| {
            fields
                .get(key)
                .and_then(Json::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    invalid(format_args!(
                        "service {} has no string `{key}`",
                        quote(name)
                    ))
                })
        };
        out.push((name.clone(), (get("type")?, get("endpoint")?)));
    }
    Ok(out)
}

/// Rotation keys: did:keys on k256 or p256 (duplicates allowed, as the directory holds them).
/// Parsed through the process's key cache: a log names the same few keys in operation after
/// operation, and a point's decompression costs more than a lookup.
fn rotation_keys(keys: &[String]) -> Result<Vec<PublicKey>> {
    let mut out = Vec::with_capacity(keys.len());
    for text in keys {
        let key = with_default_key_cache(|cache| cache.parse_did_key(text)).map_err(|e| {
            invalid(format_args!(
                "rotation key {}: {}",
                quote(text),
                e.message()
            ))
        })?;
        match key.algorithm() {
            Algorithm::Es256k | Algorithm::Es256 => out.push(key),
        }
    }
    Ok(out)
}

/// The operation's JSON as a DRISL value: strings, null, arrays and maps only.
fn json_to_value(json: &Json, depth: usize) -> Result<Value<'static>> {
    if depth > 8 {
        return Err(invalid("nested too deeply"));
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::String(s) => Value::String(s.clone().into()),
        // Loops, not `collect::<Result<_>>()`: its adapter was a function of its own per
        // container type, larger than the loop.
        Json::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(json_to_value(item, depth + 1)?);
            }
            Value::Array(values)
        }
        Json::Object(fields) => {
            let mut entries = Vec::with_capacity(fields.len());
            for (key, item) in fields.iter() {
                entries.push((key.clone().into(), json_to_value(item, depth + 1)?));
            }
            Value::Map(entries)
        }
        Json::Bool(_) | Json::Number(_) => {
            return Err(invalid(
                "an operation holds only strings, null, arrays and objects",
            ))
        }
    })
}

/// A signature in unpadded base64url (RFC 4648 §5), strictly: no `=`, no line breaks or other
/// characters, zero padding bits; 64 bytes.
fn decode_signature(text: &str) -> Result<[u8; 64]> {
    let format = |why: &str| Error::new(Code::InvalidSignatureFormat, format!("`sig`: {why}"));
    // 64 bytes are 86 characters, the last carrying 2 bits of data and 4 of padding.
    if text.len() != 86 {
        return Err(format("not 86 characters of unpadded base64url (64 bytes)"));
    }
    let bytes = base64::decode(text.as_bytes(), Alphabet::UrlSafe, false, true).map_err(|e| {
        format(match e {
            Base64Error::TrailingBits => "the padding bits are not zero",
            Base64Error::Padding => "padded (only unpadded base64url is valid)",
            Base64Error::Character | Base64Error::Length => {
                "a character outside the base64url alphabet"
            }
        })
    })?;
    <[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| format("not 64 bytes of unpadded base64url"))
}

/// Whether 64 bytes are a whole DER `SEQUENCE { INTEGER r, INTEGER s }` (asked only of a
/// signature that did not verify as compact `r‖s`, to name the rule it breaks).
fn is_der(signature: &[u8; 64]) -> bool {
    let integer = |at: usize| -> Option<usize> {
        let len = usize::from(*signature.get(at + 1)?);
        (signature.get(at) == Some(&0x02) && len > 0).then_some(at + 2 + len)
    };
    signature[..2] == [0x30, 62] && integer(2).and_then(integer) == Some(64)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` as microseconds since the UNIX epoch.
fn parse_timestamp(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    if bytes.len() < 20
        || bytes.get(4) != Some(&b'-')
        || bytes.get(7) != Some(&b'-')
        || bytes.get(10) != Some(&b'T')
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
        || bytes.last() != Some(&b'Z')
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut micros = 0i64;
    if bytes.len() > 20 {
        if bytes.get(19) != Some(&b'.') {
            return None;
        }
        let fraction = bytes.get(20..bytes.len() - 1)?;
        if fraction.is_empty() || fraction.len() > 9 || !fraction.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for (i, &d) in fraction.iter().take(6).enumerate() {
            micros += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
        }
    }
    // Days since the epoch (the civil-from-days inverse, proleptic Gregorian).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn maps_are_sorted_by_name_and_the_last_duplicate_wins() {
        let text = r#"{"zeta":"did:key:z3","atproto":"did:key:z1","b":"did:key:z2","atproto":"did:key:z4"}"#;
        let methods = string_map(Some(&json::parse(text).unwrap()), "verificationMethods");
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            methods.unwrap(),
            [
                pair("atproto", "did:key:z4"),
                pair("b", "did:key:z2"),
                pair("zeta", "did:key:z3")
            ]
        );
        let text = r#"{"x":{"type":"T","endpoint":"https://x"},"atproto_pds":{"endpoint":"https://p","type":"P"}}"#;
        let names: Vec<String> = services(Some(&json::parse(text).unwrap()))
            .unwrap()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["atproto_pds", "x"]);
        // A name from the input is quoted in a message, never written raw.
        let text = r#"{"a\u001b[2J":7}"#;
        let error = string_map(Some(&json::parse(text).unwrap()), "verificationMethods");
        assert_eq!(
            error.unwrap_err().message(),
            "`verificationMethods` entry \"a\\u{1b}[2J\" is not a string"
        );
    }

    #[test]
    fn timestamps_are_microseconds_since_the_epoch() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(
            parse_timestamp("2023-03-01T12:30:00.123456Z"),
            Some(1_677_673_800_123_456)
        );
        assert_eq!(
            parse_timestamp("2000-02-29T00:00:00.000Z"),
            Some(951_782_400_000_000)
        );
        for bad in [
            "2023-03-01T12:30:00.123+00:00",
            "2023-13-01T00:00:00Z",
            "2023-03-01 12:30:00Z",
            "",
            "2023-03-01T12:30:00.Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn signatures_are_strict_base64url() {
        let good = "A".repeat(85) + "A";
        assert!(decode_signature(&good).is_ok());
        let code = |s: &str| decode_signature(s).unwrap_err().code();
        assert_eq!(code(&("A".repeat(85) + "B")), Code::InvalidSignatureFormat); // padding bits
        assert_eq!(code(&("A".repeat(84) + "A=")), Code::InvalidSignatureFormat);
        assert_eq!(
            code(&("A".repeat(84) + "\nA")),
            Code::InvalidSignatureFormat
        );
        assert_eq!(code(&("A".repeat(85) + "+")), Code::InvalidSignatureFormat);
        assert_eq!(code("AAAA"), Code::InvalidSignatureFormat);
    }
}
