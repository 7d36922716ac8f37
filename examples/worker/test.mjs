// The Worker example under workerd, against the loopback stand-ins (tests/js/standins.mjs): records
// served only when their proof verifies (by DID, handle and did:web; p256 and k256), refused when
// the record, the commit's signature, the DID document or the did:plc log is tampered with, a
// proven absence as 404, bad URIs as 400; and the firehose worker counting the reference stream.
// Run from the repository root: `node examples/worker/test.mjs` (needs pkg/ built and workerd in
// .tools/). Prints "N passed, M failed"; exits non-zero on any failure or when nothing was checked.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { startStandins } from '../../tests/js/standins.mjs';
import { relay as startRelay, seqs } from '../../tests/js/relay.mjs';

const WORKERD = new URL('../../.tools/node_modules/.bin/workerd', import.meta.url).pathname;
const CONFIG = new URL('config.capnp', import.meta.url).pathname;

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  }
}

/**
 * Starts workerd with config.capnp on ports of its choosing (reported on fd 3) and `settings` as
 * its environment; resolves to the two workers' base URLs and a stop function.
 */
async function startWorkerd(settings) {
  const child = spawn(WORKERD, [
    'serve', CONFIG, '--socket-addr', 'record=127.0.0.1:0', '--socket-addr', 'firehose=127.0.0.1:0', '--control-fd', '3',
  ], { env: { ...process.env, ...settings }, stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
  const ports = {};
  for await (const line of createInterface({ input: child.stdio[3] })) {
    const { socket, port } = JSON.parse(line);
    ports[socket] = port;
    if (ports.record !== undefined && ports.firehose !== undefined) break;
  }
  if (ports.record === undefined || ports.firehose === undefined) throw new Error('workerd did not start (see its output above)');
  return {
    record: `http://127.0.0.1:${ports.record}`,
    firehose: `http://127.0.0.1:${ports.firehose}`,
    stop: () => child.kill(),
  };
}

const call = async (url, init) => {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.json() };
};

const net = await startStandins();
const { alice, bob, carol, reference } = net.accounts;
const settings = {
  PLC_DIRECTORY: net.urls.plc,
  DOH_URL: net.urls.doh,
  HOST_URL: net.urls.hostUrl,
  RELAY_URL: net.urls.relay,
  VERIFY_PLC_LOG: '',
  BATCH_EVENTS: String(seqs.length),
  BATCH_SECONDS: '60',
};
const workers = [];
const relays = [];
const start = async (overrides = {}) => {
  const started = await startWorkerd({ ...settings, ...overrides });
  workers.push(started);
  return started;
};
const find = (account, collection) => account.records.find((r) => r.collection === collection);

/** GET `path` from the record worker: the record as the stand-in PDS holds it, and the headers. */
async function expectRecord(worker, name, path, account, { collection, rkey, cid }) {
  const got = await call(`${worker.record}${path}`);
  const query = new URLSearchParams({ repo: account.did, collection, rkey });
  const held = (await call(`${net.urls.pds}/xrpc/com.atproto.repo.getRecord?${query}`)).body.value;
  check(`${name}: 200`, got.status === 200, got.body);
  check(`${name}: the body is the record the PDS holds`, isDeepStrictEqual(got.body, held), got.body);
  const headers = {
    'atproof-did': account.did,
    'atproof-signing-key': account.signingKey,
    'atproof-commit': account.commit,
    'atproof-rev': account.rev,
    'atproof-record-cid': cid,
    'content-type': 'application/json',
  };
  for (const [header, value] of Object.entries(headers)) {
    check(`${name}: ${header}`, got.headers.get(header) === value, got.headers.get(header));
  }
}

async function expectError(worker, name, path, status, code) {
  const got = await call(`${worker.record}${path}`);
  check(`${name}: ${status} ${code}`, got.status === status && got.body.error === code && typeof got.body.message === 'string', got.body);
  return got;
}

/** With `kind` of tampering served for `account`, `path` is refused with 502 and `code`. */
async function expectRefused(worker, account, kind, path, code) {
  const restore = net.tamper(account.name, kind);
  try {
    await expectError(worker, `${account.name}, ${kind} tampered`, path, 502, code);
  } finally {
    restore();
  }
}

try {
  const worker = await start();

  // Served after verification: every way of naming the account, both curves, both DID methods.
  const like = find(alice, 'app.bsky.feed.like'); // holds a CID link: atproto JSON's {"$link"}
  await expectRecord(worker, 'alice by at:// URI with DID', `/record/at://${alice.did}/${like.path}`, alice, like);
  await expectRecord(worker, 'alice by percent-encoded URI with handle (DNS)', `/record/${encodeURIComponent(`at://${alice.handle}/${like.path}`)}`, alice, like);
  const bobPost = find(bob, 'app.bsky.feed.post');
  await expectRecord(worker, 'bob (p256) by handle (well-known file)', `/record/${bob.handle}/${bobPost.path}`, bob, bobPost);
  const carolProfile = find(carol, 'app.bsky.actor.profile');
  await expectRecord(worker, 'carol by did:web', `/record/${carol.did}/${carolProfile.path}`, carol, carolProfile);
  const referencePost = reference.records.at(-1);
  await expectRecord(worker, 'the reference account (1000 records)', `/record/at://${reference.handle}/${referencePost.path}`, reference, referencePost);
  check('the proofs came from the PDS\'s com.atproto.sync.getRecord',
    net.requests.filter((r) => r.service === 'pds' && r.path.startsWith('/xrpc/com.atproto.sync.getRecord?')).length === 5);

  // Refused: each kind of tampering with its own code.
  await expectRefused(worker, alice, 'record', `/record/${alice.did}/${alice.records[0].path}`, 'cid-mismatch');
  await expectRefused(worker, bob, 'commit-key', `/record/${bob.did}/${bobPost.path}`, 'bad-signature');
  await expectRefused(worker, carol, 'document-key', `/record/${carol.did}/${carolProfile.path}`, 'bad-signature');

  // Absent: proven by the signed commit.
  const absent = await expectError(worker, 'a record that does not exist', `/record/${alice.did}/app.bsky.feed.post/absent`, 404, 'record-absent');
  check('the absence names the commit that proves it', absent.headers.get('atproof-commit') === alice.commit, absent.headers.get('atproof-commit'));

  // Not verifiable or not a record URI.
  await expectError(worker, 'an unknown DID', `/record/did:plc:${'a'.repeat(24)}/app.bsky.feed.post/x`, 502, 'identity-resolution');
  await expectError(worker, 'a URI without collection and record key', `/record/at://${alice.did}`, 400, 'invalid-at-uri');
  await expectError(worker, 'a collection that is not an NSID', `/record/${alice.did}/feed/x`, 400, 'invalid-at-uri');
  await expectError(worker, 'an authority that is neither DID nor handle', '/record/not_a_handle/app.bsky.feed.post/x', 400, 'invalid-at-uri');
  await expectError(worker, 'a malformed percent-encoding', '/record/at%3A%2F%2F%E0%A4%A', 400, 'invalid-at-uri');
  await expectError(worker, 'a did:plc that cannot be one', '/record/did:plc:xyz/app.bsky.feed.post/x', 400, 'invalid-argument');
  await expectError(worker, 'a DID method atproto does not use', `/record/${alice.signingKey}/app.bsky.feed.post/x`, 400, 'invalid-argument');
  await expectError(worker, 'another path', '/records', 404, 'no-route');

  // VERIFY_PLC_LOG: a log whose last operation is not signed by a rotation key is refused, while
  // the directory's document alone (the first worker) is taken as it is.
  const plcPath = `/record/${alice.did}/${like.path}`;
  const auditing = await start({ VERIFY_PLC_LOG: 'true' });
  await expectRecord(auditing, 'alice with VERIFY_PLC_LOG', plcPath, alice, like);
  await expectRefused(auditing, alice, 'plc-signature', plcPath, 'bad-signature');
  const restore = net.tamper('alice', 'plc-signature');
  const trusting = await call(`${worker.record}${plcPath}`);
  restore();
  check('without VERIFY_PLC_LOG the same tampered log goes unnoticed (200)', trusting.status === 200, trusting.body);

  // The firehose worker: one batch of the reference stream, every event valid.
  const before = await call(`${worker.firehose}/stats`);
  check('firehose: no events before a batch', before.body.events === 0 && before.body.batches === 0, before.body);
  const batch = await call(`${worker.firehose}/consume`, { method: 'POST' });
  const expected = { batches: 1, events: seqs.length, cursor: seqs.at(-1), followed: seqs.length - 1, byStatus: { valid: seqs.length }, byError: {}, lastError: null, accounts: 1, running: false };
  check(`firehose: POST /consume counts the ${seqs.length} events of the reference stream as valid`, batch.status === 200 && isDeepStrictEqual(batch.body, expected), batch.body);
  const stats = await call(`${worker.firehose}/stats`);
  check('firehose: GET /stats says the same', isDeepStrictEqual(stats.body, expected), stats.body);
  check('firehose: the stream\'s key came from the PLC directory', net.requests.some((r) => r.service === 'plc' && r.path === `/${reference.did}`));

  // Verified, not just counted: a relay that leaves out one commit makes the next one a desync.
  const gap = await startRelay({ skip: [seqs[100]] });
  relays.push(gap);
  const gapped = await start({ RELAY_URL: gap.url, BATCH_EVENTS: String(seqs.length - 1) });
  const desync = (await call(`${gapped.firehose}/consume`, { method: 'POST' })).body;
  check('firehose: a commit left out makes the next a desync',
    isDeepStrictEqual(desync.byStatus, { valid: seqs.length - 2, desync: 1 }) && isDeepStrictEqual(desync.byError, { 'commit-desync': 1 }), desync);

  // An error frame ends the batch; the next batch asks the relay for what follows the last event.
  const failing = await startRelay({ errorAt: seqs[50] });
  relays.push(failing);
  const interrupted = await start({ RELAY_URL: failing.url });
  const first = (await call(`${interrupted.firehose}/consume`, { method: 'POST' })).body;
  check('firehose: an error frame ends the batch with stream-error',
    first.events === 50 && first.cursor === seqs[49] && first.lastError?.code === 'stream-error', first);
  await call(`${interrupted.firehose}/consume`, { method: 'POST' });
  check('firehose: the next batch resumes from the cursor', isDeepStrictEqual(failing.cursors, [undefined, seqs[49]]), failing.cursors);
  // Two batches of half the stream: the second's first commit is checked against the first's last.
  const halves = await start({ BATCH_EVENTS: String(seqs.length / 2) });
  await call(`${halves.firehose}/consume`, { method: 'POST' });
  const second = (await call(`${halves.firehose}/consume`, { method: 'POST' })).body;
  check('firehose: the account\'s continuity carries across batches',
    second.batches === 2 && second.events === seqs.length && second.followed === seqs.length - 1 && isDeepStrictEqual(second.byStatus, { valid: seqs.length }), second);

  // Keys that cannot be resolved: the batch goes on, each event invalid for that reason.
  const keyless = await start({ PLC_DIRECTORY: net.urls.web });
  const unresolved = (await call(`${keyless.firehose}/consume`, { method: 'POST' })).body;
  check('firehose: unresolvable keys make events invalid, not the batch end',
    unresolved.events === seqs.length && isDeepStrictEqual(unresolved.byError, { 'identity-resolution': seqs.length }) && unresolved.lastError === null, unresolved);
  // Bad settings end the batch at once, saying which.
  for (const [name, value] of [['BATCH_EVENTS', '0'], ['BATCH_SECONDS', 'abc']]) {
    const misconfigured = await start({ [name]: value });
    const refused = (await call(`${misconfigured.firehose}/consume`, { method: 'POST' })).body;
    check(`firehose: ${name}=${value} is refused`, refused.events === 0 && refused.lastError?.code === 'bad-setting' && refused.lastError.message.includes(name), refused);
  }
  const notWs = await start({ RELAY_URL: net.urls.pds });
  const wrongRelay = (await call(`${notWs.firehose}/consume`, { method: 'POST' })).body;
  check('firehose: an http:// relay gives a named error, not a number', typeof wrongRelay.lastError?.code === 'string', wrongRelay);
} catch (e) {
  check('the run completed', false, String(e?.stack ?? e));
} finally {
  for (const { stop } of workers) stop();
  await Promise.all([net.close(), ...relays.map((r) => r.close())]);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
