// The repository verifier, in a module worker so that a large CAR never stalls the page. A CAR
// file, or an account's getRepo from its PDS (the DID document resolved first: it names the PDS
// and the signing key), streams through verifyRepoStream with progress; the verified CAR is then
// kept here so the page can browse its records and check a record's getRecord proof.
//
// Tricky bits: verifyRepoStream keeps the MST but not the records, so the chunks are kept on the
// way through and indexed with readCar once the whole repository is verified — a record shown is
// a block of the CAR that passed, under the CID its MST entry names. The result crosses to the
// page as plain data (RepoRecords stays here; the page asks for one page of records at a time).
import { AtproofError, resolveIdentity, verifyRepoStream, readCar, decodeCbor, toJson, verifyRecord } from './pkg/browser.js';
import { fetchOk, resolveOptions, xrpcUrl } from './network.js';
import { serveRequests } from './rpc.js';

/** The repository verified last: { did, key, pds, commit, signatureVerified, records, blocks, collections }. */
let verified = null;

/** A file in slices of FILE_SLICE bytes (File.stream()'s chunks are the browser's choice: a small file may come at once). */
const FILE_SLICE = 256 * 1024;
async function* fileChunks(file, signal) {
  for (let at = 0; at < file.size; at += FILE_SLICE) {
    signal.throwIfAborted();
    yield new Uint8Array(await file.slice(at, at + FILE_SLICE).arrayBuffer());
  }
}

/** The chunks of a ReadableStream (not every browser makes streams async-iterable). */
async function* streamChunks(stream) {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** Passes the chunks on, keeping each in `kept`. */
async function* keeping(chunks, kept) {
  for await (const chunk of chunks) {
    kept.push(chunk);
    yield chunk;
  }
}

function concat(chunks) {
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) { all.set(chunk, at); at += chunk.length; }
  return all;
}

/** The account's identity and the getRepo response of its PDS (`signal` cancels the download). */
async function fetchRepo(identifier, settings, progress, signal) {
  const identity = await resolveIdentity(identifier, resolveOptions(settings));
  signal.throwIfAborted();
  const { did, handle, handleVerified, signingKey, pds } = identity;
  progress({ identity: { did, handle, handleVerified, signingKey, pds } });
  if (signingKey === null) throw new AtproofError('did-document-no-signing-key', `the DID document of ${did} names no #atproto signing key`);
  if (pds === null) throw new AtproofError('invalid-pds-endpoint', `the DID document of ${did} names no #atproto_pds service`);
  const response = await fetchOk(xrpcUrl(pds, 'com.atproto.sync.getRepo', { did }), { signal });
  return { identity, response };
}

serveRequests({
  /**
   * Verifies `{ file, key? }` or `{ identifier, settings }`; progress: `{ identity }` once resolved,
   * then `{ bytes, blocks, total }` (total null when the server gives no length). `signal` (the
   * page's Cancel) stops the download or the file's reading, and so the verification.
   */
  async verify({ file, key, identifier, settings }, progress, signal) {
    verified = null;
    let source, total, options, pds = null;
    if (file !== undefined) {
      source = fileChunks(file, signal);
      total = file.size;
      options = key ? { key } : {};
    } else {
      const { identity, response } = await fetchRepo(identifier, settings, progress, signal);
      source = streamChunks(response.body);
      total = Number(response.headers.get('content-length')) || null;
      options = { did: identity.did, key: identity.signingKey };
      pds = identity.pds;
    }
    const chunks = [];
    let read = { bytes: 0, blocks: 0 };
    const repo = await verifyRepoStream(keeping(source, chunks), options, (now) => {
      read = now;
      progress({ ...now, total });
    });
    const { blocks } = readCar(concat(chunks));
    const collections = new Map();
    for (const { path } of repo.records) {
      const collection = path.slice(0, path.indexOf('/'));
      collections.set(collection, (collections.get(collection) ?? 0) + 1);
    }
    verified = { ...repo, key: options.key ?? null, pds, blocks, collections };
    return {
      did: repo.did,
      rev: repo.rev,
      version: repo.version,
      commit: repo.commit,
      data: repo.data,
      signatureVerified: repo.signatureVerified,
      key: verified.key,
      fromPds: pds !== null,
      recordCount: repo.records.length,
      ...read,
      collections: [...collections].map(([name, count]) => ({ name, count })),
    };
  },

  /** One page of a collection's records, in key order: `{ total, records: [{ rkey, cid }] }`. */
  list({ collection, offset, limit }) {
    const total = verified.collections.get(collection) ?? 0;
    // Records are in key order, so a collection's are contiguous: find where they start.
    let start = 0;
    for (let low = 0, high = verified.records.length; low < high;) {
      const middle = (low + high) >> 1;
      if (verified.records.at(middle).path < `${collection}/`) low = start = middle + 1;
      else high = middle;
    }
    const records = [];
    for (let i = start + offset; i < start + Math.min(total, offset + limit); i++) {
      const { path, cid } = verified.records.at(i);
      records.push({ rkey: path.slice(collection.length + 1), cid });
    }
    return { total, records };
  },

  /** A record of the verified repository: `{ path, cid, json }` (the block decoded, as atproto JSON). */
  record({ path }) {
    const cid = verified.records.get(path);
    if (cid === undefined) throw new Error(`${path} is not in the repository`);
    return { path, cid, json: toJson(decodeCbor(verified.blocks.get(cid))) };
  },

  /**
   * Fetches the record's getRecord proof from the PDS and verifies it with the account's key:
   * `{ cid, sameAsRepository }` (cid null when the proof shows the record absent now).
   */
  async proof({ path }) {
    const { did, key, pds } = verified;
    if (pds === null) throw new Error('a CAR file comes from no PDS: there is no getRecord proof to ask for');
    const [collection, rkey] = [path.slice(0, path.indexOf('/')), path.slice(path.indexOf('/') + 1)];
    const response = await fetchOk(xrpcUrl(pds, 'com.atproto.sync.getRecord', { did, collection, rkey }), { timeoutMs: 30_000 });
    const proved = verifyRecord(new Uint8Array(await response.arrayBuffer()), { did, key, collection, rkey });
    return { cid: proved.cid, sameAsRepository: proved.cid === verified.records.get(path) };
  },
});
