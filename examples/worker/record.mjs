// A Cloudflare Worker that serves an atproto record only after verifying it:
// GET /record/<at-uri, or DID or handle>/<collection>/<rkey> resolves the account (DID document →
// PDS and signing key), fetches com.atproto.sync.getRecord (the record with its Merkle proof up to
// the signed commit) from the PDS, checks it with verifyRecord, and answers the record as atproto
// JSON, with atproof-* headers saying what was verified — or an error with atproof's code.
import { AtUri, AtproofError, resolveIdentity, toJson, verifyRecord } from 'atproof';
import { identityOptions } from './settings.mjs';

const ROUTE = '/record/';
/** A getRecord proof is the commit, one MST path and one record (at most 1 MB): far below this. */
const MAX_PROOF_BYTES = 4 << 20;
const PDS_TIMEOUT_MS = 10_000;

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(ROUTE)) {
      return problem(404, 'no-route', 'GET /record/<at-uri, or DID or handle>/<collection>/<rkey>');
    }
    if (request.method !== 'GET') return problem(405, 'method-not-allowed', 'only GET');
    let uri;
    try {
      uri = recordUri(decodeURIComponent(pathname.slice(ROUTE.length)));
    } catch (e) {
      return problem(400, e.code ?? 'invalid-at-uri', e.message);
    }
    try {
      return await verifiedRecord(uri, env);
    } catch (e) {
      // A DID atproto cannot resolve (another method, a malformed did:plc) is the request's fault;
      // otherwise the identity, the PDS or the proof failed: upstream's, and the code says which rule.
      if (e instanceof AtproofError) return problem(e.code === 'invalid-argument' ? 400 : 502, e.code, e.message);
      throw e;
    }
  },
};

/** The record's AT-URI from the path: a whole `at://…` URI, or the same without its scheme. */
function recordUri(path) {
  const uri = AtUri.parse(path.startsWith('at://') ? path : `at://${path}`);
  if (uri.collection === undefined || uri.rkey === undefined) {
    throw new AtproofError('invalid-at-uri', `${uri} names no record: it needs a collection and a record key`);
  }
  return uri;
}

async function verifiedRecord(uri, env) {
  const { authority, collection, rkey } = uri;
  const identity = await resolveIdentity(authority, identityOptions(env));
  const { did, signingKey: key, pds } = identity;
  if (authority !== did && !identity.handleVerified) {
    throw new AtproofError('identity-resolution', `${authority} points to ${did}, whose DID document does not name it back`);
  }
  if (key === null) throw new AtproofError('identity-resolution', `the DID document of ${did} has no #atproto signing key`);
  if (pds === null) throw new AtproofError('identity-resolution', `the DID document of ${did} names no PDS`);

  const proof = await fetchProof(`${pds}/xrpc/com.atproto.sync.getRecord?${new URLSearchParams({ did, collection, rkey })}`);
  const { cid, record, commit, rev } = verifyRecord(proof, { did, key, collection, rkey });
  const headers = {
    'atproof-did': did,
    'atproof-signing-key': key,
    'atproof-commit': commit,
    'atproof-rev': rev,
  };
  if (cid === null) return problem(404, 'record-absent', `the commit ${commit} of ${did} proves that ${collection}/${rkey} does not exist`, headers);
  return new Response(JSON.stringify(toJson(record)), {
    headers: { ...headers, 'atproof-record-cid': cid, etag: `"${cid}"`, 'content-type': 'application/json' },
  });
}

/** The proof CAR's bytes; an HTTP error, a timeout or an oversized answer is a `pds-error`. */
async function fetchProof(url) {
  const failure = (why) => new AtproofError('pds-error', `${url}: ${why}`);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PDS_TIMEOUT_MS) });
    if (!response.ok) {
      // An XRPC error names itself ({ error: 'RecordNotFound' }); it proves nothing, so it stays a 502.
      const xrpc = await response.json().catch(() => null);
      throw failure(`HTTP ${response.status}${xrpc?.error ? ` ${xrpc.error}` : ''}`);
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > MAX_PROOF_BYTES) throw failure(`the proof is over ${MAX_PROOF_BYTES} bytes`);
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(size);
    chunks.reduce((at, chunk) => (bytes.set(chunk, at), at + chunk.length), 0);
    return bytes;
  } catch (e) {
    throw e instanceof AtproofError ? e : failure(e.message);
  }
}

/** An XRPC-style error body `{ error, message }` with its status. */
function problem(status, error, message, headers = {}) {
  return Response.json({ error, message }, { status, headers });
}
