// Loopback stand-ins of the network atproto tools talk to, for tests that run real sockets (the
// CLI's, the browser page's, the Worker example's). Node only; everything on 127.0.0.1, port 0.
//
//   import { startStandins } from './standins.mjs';
//   const net = await startStandins();            // { relay: false } for no relay, or relay.mjs options
//   net.urls.pds      // http://127.0.0.1:P   com.atproto.sync.getRepo, .sync.getRecord, .sync.getLatestCommit,
//                     //                      .repo.describeRepo, .repo.getRecord
//   net.urls.plc      // http://127.0.0.1:P   /<did> (document), /<did>/log/audit
//   net.urls.doh      // http://127.0.0.1:P/dns-query   DNS-over-HTTPS JSON: _atproto.<handle> TXT
//   net.urls.web      // http://127.0.0.1:P   /<host>/.well-known/atproto-did, /<host>/.well-known/did.json
//   net.urls.hostUrl  // `${web}/{host}`: where a host's /.well-known files are, as a template
//   net.urls.relay    // ws://127.0.0.1:P     tests/js/relay.mjs, replaying the reference #commit stream
//   net.resolveOptions // { plcDirectory, dohUrl, hostUrl } for resolveIdentity
//   net.accounts.alice // did:plc, k256, handle by DNS; .bob: did:plc, p256, handle by well-known file,
//                      // a fork in its log; .carol: did:web; .reference: the relay's account
//   net.relay          // the relay.mjs server (its .cursors and .paths), or null
//   net.tamper('alice', 'record');                 // → a function that restores the good data
//   net.requests       // [{ service: 'pds' | 'plc' | 'doh' | 'web', path }] in arrival order
//   await net.close();
//
// An account: { name, did, handle, pds, signingKey, keys: { signing, rotation, recovery, other }
// (Keypairs; the reference account has only `other`), document, log (its audit log entries, or null),
// repo (a Repo, or null), car (the getRepo export), rev, commit, data, records: [{ collection,
// rkey, path, uri, cid, record }] in key order, collections: { nsid: count } }.
//
// The accounts are genuinely consistent and made with atproof: a did:plc is the hash of a genesis
// operation signed by its rotation key that names the signing key, the handle and this PDS; the
// directory's document is what verifyPlcLog derives from the log; the repository is a Repo signed
// by the signing key, written in fixed commits (fixed keys, revs, rkeys and times: the same every
// run but for what names the PDS's port — the genesis operations, so the did:plc DIDs, and what
// names those). Alice's log has two operations (a recovery key added); bob's has a fork: an
// operation by his rotation key, nullified by one by his recovery key within 72 hours. The reference account is the one of the relay's stream
// (tests/fixtures/generated/repo-1000-s1-k256): its DID was not made here, so the directory serves
// a document naming its key but no audit log; the PDS serves the repository after the stream.
//
// Tampering, one kind per account at a time, until restored:
//   'record'        the last byte of the account's first record (account.records[0]) flipped
//                   wherever it is served (getRepo, getRecord): cid-mismatch
//   'commit-key'    getRepo and getRecord serve the same repository signed by keys.other: bad-signature
//   'document-key'  the DID document (directory or did.json) names keys.other as the signing key
//   'stall-repo'    getRepo sends its headers and the CAR's first kilobyte, then stalls
//   'slow-proof'    getRecord answers after SLOW_PROOF_MS (for answers that arrive too late to show)
//   'plc-signature' the log's last operation signed by keys.signing, not a rotation key: bad-signature
//                   from verifyPlcLog (the directory's document is unchanged)
//
// `node tests/js/standins.mjs` runs them until interrupted and prints the URLs, the accounts and the
// ATPROOF_* variables that point the command line (pkg/cli.js) at them.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  Keypair, Repo, Tid, cidForValue, createRecord, decodeCbor, encodeCbor, readCar, recordProof, toJson, verifyPlcLog, verifyRepo,
} from 'atproof';
import { meta as streamMeta, relay as startRelay } from './relay.mjs';
import { base32 } from './suites/util.mjs';

const T0 = Date.parse('2025-01-06T12:00:00.000Z');
const HOUR = 3600_000;
/** How long the 'slow-proof' tampering delays a getRecord answer. */
export const SLOW_PROOF_MS = 1500;
const at = (ms) => new Date(T0 + ms).toISOString();
const sha256 = (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest());
/** A fixed key per name, so that every run signs the same bytes (RFC 6979). */
const keyOf = (curve, name) => Keypair.import(curve, sha256(`atproof standins ${name}`));
/** Fixed revs and record keys: TIDs of T0 plus `step` milliseconds. */
const tidAt = (step) => Tid.fromTime((T0 + step) * 1000, 0);


// ---- did:plc operations (as in plc-interop.test.mjs: encodeCbor, cidForValue, Keypair.sign) ----

const signOperation = async (unsigned, keypair) => ({ ...unsigned, sig: Buffer.from(await keypair.sign(encodeCbor(unsigned))).toString('base64url') });
/** did:plc: + the first 24 base32 characters of SHA-256 of the signed genesis's DRISL bytes. */
const plcDid = (genesis) => `did:plc:${base32(sha256(encodeCbor(genesis))).slice(0, 24)}`;
const plcFields = ({ rotationKeys, signingKey, handle, pds }) => ({
  type: 'plc_operation',
  rotationKeys,
  verificationMethods: { atproto: signingKey },
  alsoKnownAs: [`at://${handle}`],
  services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: pds } },
});
const logEntry = (did, operation, createdAt, nullified = false) => ({ did, operation, cid: cidForValue(operation), nullified, createdAt });

/**
 * An account's did:plc history → { did, log }. Alice's: a genesis signed by the rotation key,
 * then the recovery key added above it. Bob's: a genesis with both keys, an operation by the
 * rotation key that moves the handle away, and within 72 hours the recovery key's operation from the genesis
 * that nullifies it.
 */
async function plcHistory(name, keys, handle, pds) {
  const { signing, rotation, recovery } = keys;
  const fields = (rotationKeys, alias) => plcFields({ rotationKeys, signingKey: signing.did(), handle: alias, pds });
  if (name === 'alice') {
    const genesis = await signOperation({ ...fields([rotation.did()], handle), prev: null }, rotation);
    const did = plcDid(genesis);
    const added = await signOperation({ ...fields([recovery.did(), rotation.did()], handle), prev: cidForValue(genesis) }, rotation);
    return { did, log: [logEntry(did, genesis, at(0)), logEntry(did, added, at(HOUR))] };
  }
  const genesis = await signOperation({ ...fields([recovery.did(), rotation.did()], handle), prev: null }, rotation);
  const did = plcDid(genesis);
  const hijack = await signOperation({ ...fields([recovery.did(), rotation.did()], `${name}.hijacked.test`), prev: cidForValue(genesis) }, rotation);
  const recovered = await signOperation({ ...fields([recovery.did(), rotation.did()], handle), prev: cidForValue(genesis) }, recovery);
  return { did, log: [logEntry(did, genesis, at(0)), logEntry(did, hijack, at(HOUR), true), logEntry(did, recovered, at(30 * HOUR))] };
}

/** A DID document made by hand (did:web's, the reference account's): handle, signing key as a Multikey, PDS. */
function didDocument(did, handle, signingKey, pds) {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    alsoKnownAs: [`at://${handle}`],
    verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: signingKey.slice('did:key:'.length) }],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
  };
}

/** The document with `key` (a did:key) as its #atproto verification method. */
function withSigningKey(document, key) {
  const verificationMethod = document.verificationMethod.map((m) => (m.id.endsWith('#atproto') ? { ...m, publicKeyMultibase: key.slice('did:key:'.length) } : m));
  return { ...document, verificationMethod };
}

// ---- repositories ----

/**
 * The commits an account writes, each a list of writes: a profile, posts and follows; then likes
 * of its own posts (their CIDs known before the write, from createRecord), an edited post and an
 * unfollow. Everything fixed, so that the same writes signed by another key give the same tree.
 */
function writePlan(name, did, follows) {
  const post = (i) => ({ $type: 'app.bsky.feed.post', text: `${name}'s post number ${i}`, createdAt: at(i * 60_000) });
  const postKeys = [1, 2, 3].map((i) => tidAt(i));
  const followKeys = follows.map((_, i) => tidAt(10 + i));
  const like = (i) => ({
    $type: 'app.bsky.feed.like',
    subject: { uri: `at://${did}/app.bsky.feed.post/${postKeys[i]}`, cid: createRecord(post(i + 1)).cid },
    createdAt: at(HOUR + i * 60_000),
  });
  return [
    [
      { action: 'create', collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName: name[0].toUpperCase() + name.slice(1) } },
      ...postKeys.map((rkey, i) => ({ action: 'create', collection: 'app.bsky.feed.post', rkey, record: post(i + 1) })),
      ...follows.map((subject, i) => ({ action: 'create', collection: 'app.bsky.graph.follow', rkey: followKeys[i], record: { $type: 'app.bsky.graph.follow', subject, createdAt: at(i * 60_000) } })),
    ],
    [
      ...[0, 1].map((i) => ({ action: 'create', collection: 'app.bsky.feed.like', rkey: tidAt(20 + i), record: like(i) })),
      { action: 'update', collection: 'app.bsky.feed.post', rkey: postKeys[2], record: { ...post(3), text: `${name}'s post number 3, edited` } },
      { action: 'delete', collection: 'app.bsky.graph.follow', rkey: followKeys[0] },
    ],
  ];
}

async function buildRepo(did, keypair, plan) {
  const repo = await Repo.create({ did, keypair, rev: tidAt(100) });
  for (const [i, writes] of plan.entries()) await repo.applyWrites(writes, { rev: tidAt(101 + i), time: at(HOUR + i) });
  return repo;
}

/** A copy of `car` with the last byte of block `cid` flipped (unchanged if it lacks the block). */
function flipBlock(car, cid) {
  const copy = car.slice();
  const block = readCar(copy).blocks.get(cid);
  if (block !== undefined) copy[block.byteOffset - copy.byteOffset + block.length - 1] ^= 1;
  return copy;
}

/** The records of a verified CAR, decoded, in key order. */
function recordsOf(did, car) {
  const { blocks } = readCar(car);
  return [...verifyRepo(car, { did }).records].map(({ path, cid }) => {
    const [collection, rkey] = path.split('/');
    return { collection, rkey, path, uri: `at://${did}/${path}`, cid, record: decodeCbor(blocks.get(cid)) };
  });
}

function countCollections(records) {
  const counts = {};
  for (const { collection } of records) counts[collection] = (counts[collection] ?? 0) + 1;
  return counts;
}

// ---- accounts ----

/**
 * One account → { account, good, variants }: `good` is what the stand-ins serve for it ({ car,
 * proof(collection, rkey), document, log }), `variants` the same tampered, by kind (only the kinds
 * that apply to the account).
 */
async function makeAccount(name, { curve, method, handle, pds, follows }) {
  const keys = {
    signing: keyOf(curve, `${name} signing`),
    rotation: keyOf(curve, `${name} rotation`),
    recovery: keyOf('k256', `${name} recovery`),
    other: keyOf(curve, `${name} other`),
  };
  let did, log = null, document;
  if (method === 'plc') {
    ({ did, log } = await plcHistory(name, keys, handle, pds));
    document = verifyPlcLog(did, log).document;
  } else {
    did = `did:web:${handle}`;
    document = didDocument(did, handle, keys.signing.did(), pds);
  }
  const plan = writePlan(name, did, follows);
  const repo = await buildRepo(did, keys.signing, plan);
  const forged = await buildRepo(did, keys.other, plan);
  const car = repo.exportCar();
  const records = recordsOf(did, car);
  const good = { car, proof: (collection, rkey) => repo.proof(collection, rkey), document, log };
  const variants = {
    'record': { ...good, car: flipBlock(car, records[0].cid), proof: (c, r) => flipBlock(repo.proof(c, r), records[0].cid) },
    'commit-key': { ...good, car: forged.exportCar(), proof: (c, r) => forged.proof(c, r) },
    'document-key': { ...good, document: withSigningKey(document, keys.other.did()) },
    'stall-repo': { ...good, stallRepo: true },
    'slow-proof': { ...good, slowProof: true },
  };
  if (log !== null) {
    const { sig: _sig, ...last } = log.at(-1).operation;
    const resigned = await signOperation(last, keys.signing);
    variants['plc-signature'] = { ...good, log: [...log.slice(0, -1), logEntry(did, resigned, log.at(-1).createdAt)] };
  }
  const account = { name, did, handle, pds, signingKey: keys.signing.did(), keys, document, log, repo, car, rev: repo.rev, commit: repo.commit, data: repo.data, records, collections: countCollections(records) };
  return { account, good, variants };
}

/** The relay's account: the reference repository after its stream, and a document naming its key. */
function referenceAccount(handle, pds) {
  const { did, signingKey } = streamMeta;
  const car = new Uint8Array(readFileSync(new URL('../fixtures/generated/repo-1000-s1-k256.after.car', import.meta.url)));
  const document = didDocument(did, handle, signingKey, pds);
  const { rev, commit, data } = verifyRepo(car, { did, key: signingKey });
  const records = recordsOf(did, car);
  const good = { car, proof: (collection, rkey) => recordProof(car, collection, rkey), document, log: null };
  const other = keyOf('k256', 'reference other');
  const variants = {
    'record': { ...good, car: flipBlock(car, records[0].cid), proof: (c, r) => flipBlock(recordProof(car, c, r), records[0].cid) },
    'document-key': { ...good, document: withSigningKey(document, other.did()) },
  };
  const account = { name: 'reference', did, handle, pds, signingKey, keys: { other }, document, log: null, repo: null, car, rev, commit, data, records, collections: countCollections(records) };
  return { account, good, variants };
}

// ---- servers ----

/**
 * An HTTP server on 127.0.0.1 whose `handle(url)` returns [status, body, contentType], null (404),
 * or a function `(response, cors)` that answers by itself.
 */
async function listen(service, handle, requests) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push({ service, path: url.pathname + url.search });
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' };
    if (req.method === 'OPTIONS') return res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET' }).end();
    let answer;
    try {
      answer = req.method === 'GET' ? handle(url) : [405, { error: 'MethodNotAllowed', message: `${req.method} ${url.pathname}` }];
    } catch (e) {
      answer = [500, { error: 'InternalServerError', message: String(e?.message ?? e) }];
    }
    if (typeof answer === 'function') return answer(res, cors);
    const [status, body, type = 'application/json'] = answer ?? [404, { error: 'NotFound', message: `nothing at ${url.pathname}` }];
    const bytes = body instanceof Uint8Array ? body : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { ...cors, 'content-type': type, 'content-length': Buffer.byteLength(bytes) }).end(bytes);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

const CAR = 'application/vnd.ipld.car';
const xrpcError = (status, error, message) => [status, { error, message }];

/**
 * Starts the stand-ins (see the header). `relay`: options for tests/js/relay.mjs, or false for
 * no relay.
 */
export async function startStandins({ relay: relayOptions = {} } = {}) {
  const requests = [];
  const byDid = new Map();
  const byHandle = new Map();
  const entries = {};
  const servedFor = (did) => byDid.get(did)?.served;

  const pds = await listen('pds', (url) => {
    if (!url.pathname.startsWith('/xrpc/')) return null;
    const method = url.pathname.slice('/xrpc/'.length);
    const q = (name) => url.searchParams.get(name);
    const repoParam = q('did') ?? q('repo');
    const entry = byDid.get(repoParam) ?? byDid.get(byHandle.get(repoParam));
    if (entry === undefined) return xrpcError(400, 'RepoNotFound', `Could not find repo for DID: ${repoParam}`);
    const { account, served } = entry;
    switch (method) {
      case 'com.atproto.sync.getRepo':
        if (served.stallRepo) {
          // The headers and the CAR's first kilobyte, then nothing more, ever (until closed).
          return (res, cors) => res.writeHead(200, { ...cors, 'content-type': CAR, 'content-length': served.car.length }).write(served.car.subarray(0, 1024));
        }
        return [200, served.car, CAR];
      case 'com.atproto.sync.getRecord': {
        const proof = served.proof(q('collection'), q('rkey'));
        if (served.slowProof) {
          return (res, cors) => setTimeout(() => res.writeHead(200, { ...cors, 'content-type': CAR }).end(proof), SLOW_PROOF_MS);
        }
        return [200, proof, CAR];
      }
      case 'com.atproto.sync.getLatestCommit':
        return [200, { cid: account.commit, rev: account.rev }];
      case 'com.atproto.repo.describeRepo':
        return [200, { handle: account.handle, did: account.did, didDoc: served.document, collections: Object.keys(account.collections), handleIsCorrect: true }];
      case 'com.atproto.repo.getRecord': {
        const found = account.records.find((r) => r.collection === q('collection') && r.rkey === q('rkey'));
        return found ? [200, { uri: found.uri, cid: found.cid, value: toJson(found.record) }] : xrpcError(400, 'RecordNotFound', `Could not locate record: at://${account.did}/${q('collection')}/${q('rkey')}`);
      }
      default:
        return xrpcError(501, 'MethodNotImplemented', `${method} is not served by the stand-in PDS`);
    }
  }, requests);

  const plc = await listen('plc', (url) => {
    const [, did, ...rest] = url.pathname.split('/').map(decodeURIComponent);
    const served = servedFor(did);
    const notFound = [404, { message: `DID not registered: ${did}` }];
    if (served === undefined || !did.startsWith('did:plc:')) return notFound;
    if (rest.length === 0) return [200, served.document, 'application/did+ld+json'];
    if (rest.join('/') === 'log/audit') return served.log === null ? notFound : [200, served.log];
    return null;
  }, requests);

  const doh = await listen('doh', (url) => {
    if (url.pathname !== '/dns-query') return null;
    const name = (url.searchParams.get('name') ?? '').toLowerCase().replace(/\.$/, '');
    const did = name.startsWith('_atproto.') ? entries.dns?.[name.slice('_atproto.'.length)] : undefined;
    const question = [{ name, type: 16 }];
    if (did === undefined) return [200, { Status: 3, Question: question, Answer: [] }, 'application/dns-json'];
    return [200, { Status: 0, Question: question, Answer: [{ name, type: 16, TTL: 300, data: `"did=${did}"` }] }, 'application/dns-json'];
  }, requests);

  const web = await listen('web', (url) => {
    const [, host, ...rest] = url.pathname.split('/').map(decodeURIComponent);
    const file = rest.join('/');
    const did = entries.wellKnown?.[host];
    if (did === undefined) return null;
    if (file === '.well-known/atproto-did') return [200, did, 'text/plain'];
    if (file === '.well-known/did.json' && did === `did:web:${host}`) return [200, servedFor(did).document];
    return null;
  }, requests);

  const alice = await makeAccount('alice', { curve: 'k256', method: 'plc', handle: 'alice.test', pds: pds.url, follows: ['did:web:carol.web.test', streamMeta.did] });
  const bob = await makeAccount('bob', { curve: 'p256', method: 'plc', handle: 'bob.test', pds: pds.url, follows: [alice.account.did, streamMeta.did] });
  const carol = await makeAccount('carol', { curve: 'k256', method: 'web', handle: 'carol.web.test', pds: pds.url, follows: [alice.account.did, bob.account.did] });
  const made = [alice, bob, carol, referenceAccount('reference.test', pds.url)];
  const accounts = {};
  for (const { account, good, variants } of made) {
    accounts[account.name] = account;
    byDid.set(account.did, { account, good, variants, served: good });
    byHandle.set(account.handle, account.did);
  }
  // How each handle resolves: alice and the reference account by DNS, bob and carol by their host.
  entries.dns = { [accounts.alice.handle]: accounts.alice.did, [accounts.reference.handle]: accounts.reference.did };
  entries.wellKnown = { [accounts.bob.handle]: accounts.bob.did, [accounts.carol.handle]: accounts.carol.did };

  const relayServer = relayOptions === false ? null : await startRelay(relayOptions);
  const hostUrl = (host) => `${web.url}/${host}`;
  const servers = [pds, plc, doh, web];

  return {
    urls: { pds: pds.url, plc: plc.url, doh: `${doh.url}/dns-query`, web: web.url, hostUrl: `${web.url}/{host}`, relay: relayServer?.url ?? null },
    resolveOptions: { plcDirectory: plc.url, dohUrl: `${doh.url}/dns-query`, hostUrl },
    accounts,
    relay: relayServer,
    requests,
    /** Serves `kind` of tampered data for account `name`; returns a function that restores the good data. */
    tamper(name, kind) {
      const entry = byDid.get(accounts[name]?.did);
      if (entry === undefined) throw new Error(`tamper: no account ${JSON.stringify(name)} (there are ${Object.keys(accounts).join(', ')})`);
      const variant = entry.variants[kind];
      if (variant === undefined) throw new Error(`tamper: ${name} has no ${JSON.stringify(kind)} tampering (it has ${Object.keys(entry.variants).join(', ')})`);
      entry.served = variant;
      return () => { entry.served = entry.good; };
    },
    async close() {
      await Promise.all([
        ...servers.map(({ server }) => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); })),
        relayServer?.close(),
      ]);
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const net = await startStandins();
  console.log(JSON.stringify({ urls: net.urls, accounts: Object.fromEntries(Object.values(net.accounts).map((a) => [a.name, { did: a.did, handle: a.handle, records: a.records.length }])) }, null, 2));
  console.log(`# for the command line (pkg/cli.js):\nexport ATPROOF_PLC_URL=${net.urls.plc} ATPROOF_DOH_URL=${net.urls.doh} ATPROOF_HOST_URL='${net.urls.hostUrl}' ATPROOF_RELAY_URL=${net.urls.relay}`);
  process.on('SIGINT', async () => { await net.close(); process.exit(0); });
}
