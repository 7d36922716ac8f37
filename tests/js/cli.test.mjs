// The command line (the package's cli.js, run as a child process as users run it) end to end
// against the loopback stand-ins (standins.mjs): every command with good data and with tampered
// data (exit code 1 and the reason), --json outputs parsed and checked against what the stand-ins
// hold, usage errors exit with 2.
//
// The child is spawned asynchronously: the stand-ins answer it from this process's event loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as atproof from 'atproof';
import { startStandins } from './standins.mjs';
import { relay, seqs } from './relay.mjs';

const CLI = fileURLToPath(new URL('./node_modules/atproof/cli.js', import.meta.url));

let net;
let dir;
before(async () => {
  net = await startStandins();
  dir = mkdtempSync(join(tmpdir(), 'atproof-cli-'));
});
after(async () => {
  await net.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The stand-ins' addresses as the command line's environment variables. */
const standinEnv = () => ({
  ATPROOF_PLC_URL: net.urls.plc,
  ATPROOF_DOH_URL: net.urls.doh,
  ATPROOF_HOST_URL: net.urls.hostUrl,
  ATPROOF_RELAY_URL: net.urls.relay,
});

/**
 * Starts `atproof ...args` → { child, result }: `result` resolves to { code, stdout, stderr, json
 * (stdout parsed when --json) } once it exits.
 */
function start(args, { env = standinEnv(), detached = false } = {}) {
  const { ATPROOF_PLC_URL, ATPROOF_DOH_URL, ATPROOF_HOST_URL, ATPROOF_RELAY_URL, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...inherited, ...env }, detached });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const result = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, json: args.includes('--json') ? JSON.parse(stdout) : undefined }));
  });
  return { child, result };
}

const cli = (args, options) => start(args, options).result;

/** Asserts the exit code, showing the output when it is not the one expected. */
function exits(result, code) {
  assert.equal(result.code, code, `exit code ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

/** Runs with `kind` of tampering served for `name` meanwhile. */
async function tampered(name, kind, run) {
  const restore = net.tamper(name, kind);
  try {
    return await run();
  } finally {
    restore();
  }
}

const problem = (result) => result.json.problems[0];
/** The CAR the stand-in PDS serves for `account` now (tampered or not). */
const servedCar = async (account) => new Uint8Array(await (await fetch(`${net.urls.pds}/xrpc/com.atproto.sync.getRepo?did=${account.did}`)).arrayBuffer());
const writeCar = (name, bytes) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

test('help for every command; usage errors exit with 2 and say what was wrong', async () => {
  const main = exits(await cli(['--help']), 0);
  const commands = ['verify-repo', 'verify-record', 'verify-plc', 'firehose', 'inspect', 'verify-repos', 'keygen'];
  for (const command of commands) assert.match(main.stdout, new RegExp(`\\n  ${command} `));
  const helps = await Promise.all(commands.map((command) => cli([command, '--help'])));
  for (const [i, result] of helps.entries()) {
    assert.match(exits(result, 0).stdout, new RegExp(`^Usage: atproof ${commands[i]} `));
    assert.match(result.stdout, /ATPROOF_PLC_URL/);
  }
  const usage = [
    [[], /Usage: atproof <command>/],
    [['frobnicate'], /there is no command "frobnicate"/],
    [['verify-repo'], /expected verify-repo <file.car \| handle \| did>/],
    [['verify-repo', 'alice.test', 'bob.test'], /expected verify-repo/],
    [['verify-repo', 'not a handle!'], /neither a CAR file nor a handle or DID/],
    [['verify-repo', 'alice.test', '--key', 'did:key:z123'], /--did, --key and --resolve apply to a CAR file/],
    [['verify-repo', 'x.car', '--key', 'did:key:zNope'], /--key: /],
    [['verify-repo', 'alice.test', '--frob'], /Unknown option '--frob'/],
    [['verify-repo', 'alice.test', '--plc', 'not a url'], /--plc: "not a url" is not an http\(s\):\/\/ URL/],
    [['verify-repo', 'alice.test', '--plc', 'localhost:2582'], /--plc: "localhost:2582" is not an http\(s\):\/\/ URL/],
    [['verify-repo', 'alice.test', '--doh', 'file:///etc/hosts'], /--doh: "file:\/\/\/etc\/hosts" is not an http\(s\):\/\/ URL/],
    [['verify-repo', 'alice.test', '--host-url', 'http://127.0.0.1:1'], /has no \{host\} to replace/],
    [['verify-repo', 'alice.test', '--timeout', 'soon'], /--timeout: "soon" is not a positive number/],
    [['verify-record', 'at://alice.test/app.bsky.feed.post'], /names no record/],
    [['verify-record', 'https://bsky.app'], /"https:\/\/bsky.app": /],
    [['verify-plc', 'did:web:carol.web.test'], /is not a did:plc/],
    [['firehose', '--cursor', 'soon'], /--cursor: "soon" is not a whole number/],
    [['firehose', 'http://127.0.0.1:1'], /is not a ws\(s\):\/\/ URL/],
    [['firehose', '--duration', '0'], /--duration: "0" is not a positive number/],
    [['firehose', '--limit', '0'], /--limit: 0 events would end it before it starts/],
    [['verify-repos', fileURLToPath(new URL('../fixtures/generated/repo-1000-s1-k256.car', import.meta.url))], /is not a folder or a list of files and identities \(for one CAR: atproof verify-repo\)/],
    [['inspect'], /expected inspect <file.car>/],
    [['verify-repos', join(dir, 'missing')], /no such file or folder/],
    [['verify-repos', dir, '--jobs', '0'], /--jobs must be at least 1/],
    [['keygen', 'ed25519'], /the algorithm is k256 or p256/],
  ];
  const results = await Promise.all(usage.map(([args]) => cli(args)));
  for (const [i, result] of results.entries()) {
    exits(result, 2);
    assert.match(result.stderr, usage[i][1], `atproof ${usage[i][0].join(' ')}`);
  }
  // With --json, a usage error is a JSON object on stdout too.
  for (const args of [['verify-repo', 'alice.test', '--frob', '--json'], ['--json']]) {
    const json = exits(await cli(args), 2).json;
    assert.deepEqual([json.ok, problem({ json }).code], [false, 'usage'], args.join(' '));
  }
  const unset = exits(await cli(['verify-repo', 'alice.test'], { env: { ...standinEnv(), ATPROOF_DOH_URL: 'nowhere' } }), 2);
  assert.match(unset.stderr, /ATPROOF_DOH_URL: "nowhere" is not an http\(s\):\/\/ URL/);
});

test('verify-repo from the network: each account resolved, its getRepo streamed and verified', async () => {
  const cases = [
    ['alice', 'alice.test', []],
    ['bob', null, ['--plc-audit']],
    ['carol', 'carol.web.test', []],
    ['reference', 'reference.test', []],
  ];
  const before = net.requests.length;
  const results = await Promise.all(cases.map(([name, handle, flags]) => cli(['verify-repo', handle ?? net.accounts[name].did, ...flags, '--json'])));
  const asked = net.requests.slice(before).map((r) => `${r.service} ${decodeURIComponent(r.path)}`);
  for (const [i, [name, , flags]] of cases.entries()) {
    const account = net.accounts[name];
    const { json } = exits(results[i], 0);
    assert.deepEqual(
      [json.ok, json.source, json.did, json.handle, json.handleVerified, json.pds, json.signingKey, json.signatureVerified],
      [true, 'identity', account.did, account.handle, true, net.urls.pds, account.signingKey, true],
    );
    assert.deepEqual([json.rev, json.commit, json.data, json.version], [account.rev, account.commit, account.data, 3]);
    assert.equal(json.records, account.records.length);
    assert.deepEqual(json.collections, account.collections);
    assert.equal(json.bytes, account.car.length);
    assert.equal(json.blocks, atproof.readCar(account.car).blocks.size);
    assert.deepEqual(json.problems, []);
    assert.ok(asked.includes(`pds /xrpc/com.atproto.sync.getRepo?did=${account.did}`), asked.join('\n'));
    if (flags.includes('--plc-audit')) {
      assert.ok(asked.includes(`plc /${account.did}/log/audit`));
      assert.match(json.checked.join('\n'), /re-derived from its audit log/);
    }
  }
  // The text output, and the network given by flags instead of the environment.
  const { alice } = net.accounts;
  const text = exits(await cli(['verify-repo', 'alice.test', '--plc', net.urls.plc, '--doh', net.urls.doh, '--host-url', net.urls.hostUrl], { env: {} }), 0);
  assert.match(text.stdout, /^verified: alice.test\n/);
  assert.match(text.stdout, new RegExp(`DID +${alice.did}\n`));
  assert.match(text.stdout, /app\.bsky\.feed\.post +3\n/);
  assert.match(text.stdout, /commit signature verified with did:key:/);
  assert.equal(text.stderr, '', 'no progress bar when stderr is not a terminal');
});

test('verify-repo from the network fails, saying why and where, on tampered data and unknown accounts', async () => {
  const { alice, bob, carol } = net.accounts;
  const getRepo = (account) => `${net.urls.pds}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(account.did)}`;
  const cases = [
    ['alice', 'record', ['alice.test'], 'cid-mismatch', `verifying ${getRepo(alice)}`],
    ['carol', 'commit-key', ['carol.web.test'], 'bad-signature', `verifying ${getRepo(carol)}`],
    ['bob', 'document-key', ['bob.test'], 'bad-signature', `verifying ${getRepo(bob)}`],
    ['alice', 'plc-signature', [alice.did, '--plc-audit'], 'bad-signature', `resolving ${alice.did}`],
  ];
  for (const [name, kind, args, code, stage] of cases) {
    const result = exits(await tampered(name, kind, () => cli(['verify-repo', ...args, '--json'])), 1);
    assert.equal(result.json.ok, false);
    assert.deepEqual([problem(result).code, problem(result).stage], [code, stage], `${name} ${kind}`);
  }
  // the directory alone does not see a log with a bad signature: --plc-audit does
  exits(await tampered('alice', 'plc-signature', () => cli(['verify-repo', alice.did])), 0);

  const text = exits(await tampered('alice', 'record', () => cli(['verify-repo', 'alice.test'])), 1);
  assert.match(text.stdout, /^NOT verified: alice.test\n/);
  assert.match(text.stdout, new RegExp(`FAILED while verifying ${getRepo(alice).replace(/[?.]/g, '\\$&')}: \\[cid-mismatch\\] .*${alice.records[0].cid}`));

  const [unknown, noRepo] = await Promise.all(['nobody.test', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'].map((who) => cli(['verify-repo', who, '--json'])));
  assert.equal(problem(exits(unknown, 1)).code, 'identity-resolution');
  assert.match(problem(unknown).message, /nobody\.test\/\.well-known\/atproto-did: HTTP 404/);
  exits(noRepo, 1);
  assert.match(problem(noRepo).message, /did:plc:aaaaaaaaaaaaaaaaaaaaaaaa: HTTP 404/);
});

test('verify-repo of a CAR file: structure alone, then the signature with --did, --resolve or --key', async () => {
  const { alice, bob } = net.accounts;
  const path = writeCar('alice.car', alice.car);
  const variants = [[], ['--did', alice.did], ['--resolve'], ['--key', alice.signingKey], ['--key', alice.keys.other.did()], ['--did', bob.did]];
  const [plain, ...keyed] = await Promise.all(variants.map((flags) => cli(['verify-repo', path, ...flags, '--json'])));
  assert.deepEqual([plain.json.source, plain.json.did, plain.json.rev, plain.json.signatureVerified, plain.json.records], ['file', alice.did, alice.rev, false, 7]);
  assert.match(exits(plain, 0).json.checked.join('\n'), /commit signature NOT checked/);
  for (const [i, result] of keyed.slice(0, 3).entries()) {
    assert.deepEqual([exits(result, 0).json.signatureVerified, result.json.signingKey], [true, alice.signingKey], variants[i + 1].join(' '));
  }
  const [wrongKey, wrongDid] = keyed.slice(3);
  assert.deepEqual([problem(exits(wrongKey, 1)).code, problem(wrongKey).stage], ['bad-signature', `verifying ${path}`]);
  assert.equal(problem(exits(wrongDid, 1)).code, 'did-mismatch');
  const flipped = writeCar('flipped.car', await tampered('alice', 'record', () => servedCar(alice)));
  const bad = exits(await cli(['verify-repo', flipped]), 1);
  assert.match(bad.stdout, new RegExp(`FAILED while verifying ${flipped}: \\[cid-mismatch\\]`));
  const missing = exits(await cli(['verify-repo', join(dir, 'missing.car'), '--json']), 1);
  assert.deepEqual([problem(missing).code, problem(missing).stage], ['ENOENT', `reading ${join(dir, 'missing.car')}`]);
});

test('verify-record: the proof fetched and verified, the record printed as atproto JSON', async () => {
  const posts = ['alice', 'carol', 'reference'].map((name) => [net.accounts[name], net.accounts[name].records.find((r) => r.collection === 'app.bsky.feed.post')]);
  const results = await Promise.all(posts.map(([account, record]) => cli(['verify-record', `at://${account.handle}/${record.path}`, '--json'])));
  for (const [i, [account, record]] of posts.entries()) {
    const { json } = exits(results[i], 0);
    assert.deepEqual([json.uri, json.did, json.cid, json.signingKey, json.commit, json.rev], [record.uri, account.did, record.cid, account.signingKey, account.commit, account.rev]);
    assert.deepEqual(json.record, atproof.toJson(record.record));
  }
  const { bob } = net.accounts;
  const profile = bob.records.find((r) => r.path === 'app.bsky.actor.profile/self');
  const text = exits(await cli(['verify-record', `${profile.uri}`]), 0);
  assert.match(text.stdout, /^verified: at:\/\//);
  assert.deepEqual(JSON.parse(text.stdout.slice(text.stdout.indexOf('\n{') + 1)), { $type: 'app.bsky.actor.profile', displayName: 'Bob' });

  const [first] = bob.records;
  const uri = `at://bob.test/${first.path}`;
  for (const [kind, code] of [['record', 'cid-mismatch'], ['commit-key', 'bad-signature'], ['document-key', 'bad-signature']]) {
    const result = exits(await tampered('bob', kind, () => cli(['verify-record', uri, '--json'])), 1);
    assert.equal(problem(result).code, code, kind);
    assert.match(problem(result).stage, /^verifying the proof from http:\/\/127\.0\.0\.1:\d+\/xrpc\/com\.atproto\.sync\.getRecord\?/);
    assert.equal(result.json.record, undefined);
  }
  const absent = exits(await cli(['verify-record', 'at://bob.test/app.bsky.feed.post/3zzzzzzzzzzzz']), 1);
  assert.match(absent.stdout, /\[record-absent\] at:\/\/did:plc:\w+\/app\.bsky\.feed\.post\/3zzzzzzzzzzzz does not exist/);
});

test('verify-plc: the history with its signers and changes, the nullified fork, and the directory\'s document checked', async () => {
  const { alice, bob, reference } = net.accounts;
  const [aliceRun, bobRun, textRun] = await Promise.all([cli(['verify-plc', alice.did, '--json']), cli(['verify-plc', bob.did, '--json']), cli(['verify-plc', bob.did])]);
  const aliceResult = exits(aliceRun, 0).json;
  assert.deepEqual(aliceResult.operations.map((o) => [o.cid, o.signedBy, o.nullified]), alice.log.map((e) => [e.cid, alice.keys.rotation.did(), false]));
  assert.deepEqual(aliceResult.operations[1].changes, { rotationKeys: [alice.keys.recovery.did(), alice.keys.rotation.did()] });
  assert.deepEqual(aliceResult.forks, []);
  assert.deepEqual(aliceResult.document, alice.document);

  const bobResult = exits(bobRun, 0).json;
  assert.deepEqual(bobResult.operations.map((o) => o.signedBy), [bob.keys.rotation.did(), bob.keys.rotation.did(), bob.keys.recovery.did()]);
  assert.deepEqual(bobResult.operations[1].changes, { alsoKnownAs: ['at://bob.hijacked.test'] });
  assert.deepEqual(bobResult.forks, [{ nullified: bob.log[1].cid, index: 1, prev: bob.log[0].cid, forkPoint: bob.log[0].cid, by: bob.log[2].cid }]);
  const text = exits(textRun, 0).stdout;
  assert.match(text, new RegExp(`#1 2025-01-06T13:00:00.000Z plc_operation ${bob.log[1].cid}  NULLIFIED`));
  assert.match(text, new RegExp(`nullified: #1 ${bob.log[1].cid}, by #2 ${bob.log[2].cid} \\(a fork at #0\\)`));
  assert.match(text, /now: handle bob\.test, PDS http:/);

  const badSignature = exits(await tampered('alice', 'plc-signature', () => cli(['verify-plc', alice.did, '--json'])), 1);
  assert.equal(problem(badSignature).code, 'bad-signature');
  assert.match(problem(badSignature).message, /operation 1/);
  assert.equal(problem(badSignature).stage, `verifying ${net.urls.plc}/${alice.did}/log/audit`);
  const lyingDirectory = exits(await tampered('bob', 'document-key', () => cli(['verify-plc', bob.did, '--json'])), 1);
  assert.equal(problem(lyingDirectory).code, 'document-mismatch');
  assert.match(problem(lyingDirectory).message, new RegExp(bob.keys.other.did()));
  const noLog = exits(await cli(['verify-plc', reference.did]), 1);
  assert.match(noLog.stdout, new RegExp(`FAILED while fetching the audit log of ${reference.did}: \\[network\\] .*/log/audit: HTTP 404`));
});

test('verify-plc: in a log with nested forks, each nullified operation named with the fork that nullified it', async () => {
  // did:plc's own fixture: op5 forks at op3 (nullifying op4), then op7 at op1 (nullifying op2–op6).
  const log = readFileSync(new URL('../fixtures/plc/log_nullification_nontrivial.json', import.meta.url), 'utf8');
  const entries = JSON.parse(log);
  const did = entries[0].did;
  const { document } = atproof.verifyPlcLog(did, log);
  const directory = createServer((request, response) => {
    if (request.url === `/${did}/log/audit`) response.end(log);
    else if (request.url === `/${did}`) response.end(JSON.stringify(document));
    else response.writeHead(404).end();
  });
  await new Promise((ready) => directory.listen(0, '127.0.0.1', ready));
  try {
    const env = { ...standinEnv(), ATPROOF_PLC_URL: `http://127.0.0.1:${directory.address().port}` };
    const result = exits(await cli(['verify-plc', did, '--json'], { env }), 0).json;
    const cid = (i) => entries[i].cid;
    const fork = (index, by, forkPoint) => ({ nullified: cid(index), index, prev: entries[index].operation.prev, forkPoint: cid(forkPoint), by: cid(by) });
    assert.deepEqual(result.forks, [fork(2, 7, 1), fork(3, 7, 1), fork(4, 5, 3), fork(5, 7, 1), fork(6, 7, 1)]);
  } finally {
    await new Promise((closed) => directory.close(closed));
  }
});

test('--timeout: a proof, a log or a document whose body stalls fails within it', async () => {
  // Headers at once, then a body that never ends.
  const stalling = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('[');
  });
  await new Promise((ready) => stalling.listen(0, '127.0.0.1', ready));
  try {
    const env = { ...standinEnv(), ATPROOF_PLC_URL: `http://127.0.0.1:${stalling.address().port}` };
    const started = Date.now();
    const result = exits(await cli(['verify-plc', net.accounts.alice.did, '--timeout', '1', '--json'], { env }), 1).json;
    assert.equal(problem({ json: result }).code, 'network');
    assert.match(problem({ json: result }).message, /not read whole within 1000 ms/);
    assert.ok(Date.now() - started < 8000, `${Date.now() - started} ms`);
  } finally {
    stalling.closeAllConnections();
    await new Promise((closed) => stalling.close(closed));
  }
});

test('firehose: the relay\'s stream verified with keys resolved over the network; invalid and desynced accounts named', async () => {
  const { reference } = net.accounts;
  const [allRun, resumedRun] = await Promise.all([
    cli(['firehose', '--limit', '200', '--json']),
    cli(['firehose', net.urls.relay, '--cursor', String(seqs[149]), '--limit', '50', '--json'], { env: { ...standinEnv(), ATPROOF_RELAY_URL: 'ws://127.0.0.1:1' } }),
  ]);
  const all = exits(allRun, 0).json;
  assert.deepEqual([all.frames, all.byStatus, all.byType, all.lastSeq, all.accounts], [200, { valid: 200, invalid: 0, desync: 0, ignored: 0 }, { '#commit': 200 }, seqs.at(-1), []]);
  assert.ok(all.framesPerSecond > 0);

  const resumed = exits(resumedRun, 0).json;
  assert.deepEqual([resumed.frames, resumed.cursor, resumed.lastSeq], [50, seqs[149], seqs.at(-1)]);
  assert.deepEqual([...net.relay.cursors].sort(), [seqs[149], undefined]);

  const forged = exits(await tampered('reference', 'document-key', () => cli(['firehose', '--limit', '200', '--json'])), 1).json;
  assert.deepEqual(forged.byStatus, { valid: 0, invalid: 200, desync: 0, ignored: 0 });
  assert.deepEqual(forged.accounts.map((a) => [a.did, a.status, a.code, a.seq, a.events]), [[reference.did, 'invalid', 'bad-signature', seqs[0], 200]]);

  const unresolved = exits(await cli(['firehose', '--limit', '3', '--plc', net.urls.web, '--json']), 1).json;
  assert.deepEqual(unresolved.accounts.map((a) => [a.status, a.code]), [['invalid', 'identity-resolution']]);
  assert.match(unresolved.accounts[0].message, new RegExp(`${net.urls.web}/${reference.did}: HTTP 404`));

  const gap = await relay({ skip: [seqs[100]] });
  try {
    const desync = exits(await cli(['firehose', gap.url, '--limit', '199']), 1).stdout;
    assert.match(desync, new RegExp(`^desync ${reference.did} at seq ${seqs[101]}: \\[commit-desync\\]`, 'm'));
    assert.match(desync, /198 valid, 0 invalid, 1 desync, 0 ignored/);
  } finally {
    await gap.close();
  }

  // --state: a run carries every account's continuity and the cursor over to the next. Here the
  // next run's first commit is missing from the relay: only a restored state can call the one
  // after it a desync.
  const stateFile = join(dir, 'firehose.state');
  const first = exits(await cli(['firehose', '--limit', '100', '--state', stateFile, '--json']), 0).json;
  assert.deepEqual([first.state, first.cursor], [{ file: stateFile, restoredAccounts: 0, savedAccounts: 1 }, null]);
  const gapped = await relay({ skip: [seqs[100]] });
  try {
    const next = exits(await cli(['firehose', gapped.url, '--limit', '99', '--state', stateFile]), 1).stdout;
    assert.deepEqual(gapped.cursors, [seqs[99]]);
    assert.match(next, new RegExp(`^desync ${reference.did} at seq ${seqs[101]}: \\[commit-desync\\]`, 'm'));
    assert.match(next, /98 valid, 0 invalid, 1 desync, 0 ignored/);
    assert.match(next, new RegExp(`state ${stateFile.replace(/[.\\/]/g, '\\$&')}: 1 account restored, resumed after seq ${seqs[99]}; 1 account saved`));
  } finally {
    await gapped.close();
  }
  writeFileSync(stateFile, 'not a state');
  const corrupt = exits(await cli(['firehose', '--limit', '1', '--state', stateFile, '--json']), 1).json;
  assert.deepEqual([corrupt.frames, problem({ json: corrupt }).code], [0, 'invalid-saved-state']);
  assert.equal(readFileSync(stateFile, 'utf8'), 'not a state');

  // Stopped by SIGTERM (as `kill` and `timeout` stop it): the summary is still printed.
  const running = await tampered('reference', 'document-key', async () => {
    const { child, result } = start(['firehose']);
    await new Promise((resolve) => child.stdout.once('data', resolve)); // the first invalid account, printed as it comes
    child.kill('SIGTERM');
    return result;
  });
  assert.match(exits(running, 1).stdout, new RegExp(`^invalid ${reference.did} at seq ${seqs[0]}: \\[bad-signature\\]`));
  assert.match(running.stdout, /\n {2}invalid did:plc:\w+: [\d,]+ events?, first at seq \d+: \[bad-signature\]/);
  // Stopped as `timeout` stops it: SIGTERM to the whole process group (on Node 20 the command runs
  // itself again with WebSocket enabled, so both processes get it): the summary still printed.
  const grouped = await tampered('reference', 'document-key', async () => {
    const { child, result } = start(['firehose'], { detached: true });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    process.kill(-child.pid, 'SIGTERM');
    return result;
  });
  assert.match(exits(grouped, 1).stdout, /\n {2}invalid did:plc:\w+: [\d,]+ events?, first at seq \d+: \[bad-signature\]/);

  // Not a WebSocket server (the PDS answers the upgrade with 404): no connection, no retry asked for.
  const refused = exits(await cli(['firehose', net.urls.pds.replace('http:', 'ws:'), '--retries', '0', '--json']), 1).json;
  assert.deepEqual([refused.frames, problem({ json: refused }).code], [0, 'stream-error']);
  assert.match(problem({ json: refused }).message, /could not connect to ws:\/\/127\.0\.0\.1:\d+: the only attempt failed/);

  const silent = exits(await cli(['firehose', '--cursor', String(seqs.at(-1)), '--duration', '0.3', '--json']), 1).json;
  assert.deepEqual([silent.frames, problem({ json: silent }).code], [0, 'no-events']);
});

test('inspect: roots, blocks, the commit and collections of a CAR; a record or block as JSON', async () => {
  const { alice } = net.accounts;
  const path = writeCar('inspect.car', alice.car);
  const { json } = exits(await cli(['inspect', path, '--json']), 0);
  assert.deepEqual([json.roots, json.blocks, json.bytes, json.records, json.collections], [[alice.commit], atproof.readCar(alice.car).blocks.size, alice.car.length, 7, alice.collections]);
  assert.deepEqual([json.commit.did, json.commit.rev, json.commit.version, json.commit.data], [alice.did, alice.rev, 3, { $link: alice.data }]);
  const like = alice.records.find((r) => r.collection === 'app.bsky.feed.like');
  const selected = exits(await cli(['inspect', path, like.path, '--json']), 0).json.selected;
  assert.deepEqual(selected, { path: like.path, cid: like.cid, value: atproof.toJson(like.record) });
  const root = exits(await cli(['inspect', path, alice.commit]), 0).stdout;
  assert.equal(JSON.parse(root.slice(root.indexOf('\n{') + 1)).did, alice.did);
  const missing = exits(await cli(['inspect', path, 'app.bsky.feed.post/nope']), 1);
  assert.match(missing.stdout, /\[not-found\] .*inspect\.car has no record at app\.bsky\.feed\.post\/nope/);
  const flipped = writeCar('inspect-flipped.car', await tampered('alice', 'record', () => servedCar(alice)));
  const bad = exits(await cli(['inspect', flipped, '--json']), 1).json;
  assert.deepEqual([problem({ json: bad }).code, problem({ json: bad }).stage], ['cid-mismatch', `reading the CAR ${flipped}`]);
});

test('verify-repos: a folder of CARs and a list of files and identities, in worker threads, one line each and a total', async () => {
  const folder = join(dir, 'many');
  mkdirSync(folder);
  const accounts = Object.values(net.accounts);
  for (const account of accounts) writeFileSync(join(folder, `${account.name}.car`), account.car);
  const good = exits(await cli(['verify-repos', folder, '--jobs', '2', '--resolve', '--json']), 0).json;
  assert.deepEqual([good.total, good.verified, good.failed, good.jobs], [4, 4, 0, 2]);
  assert.deepEqual(good.repositories.map((r) => [r.target, r.did, r.rev, r.records, r.signatureVerified]), accounts.map((a) => [join(folder, `${a.name}.car`), a.did, a.rev, a.records.length, true]).sort());

  writeFileSync(join(folder, 'forged.car'), await tampered('carol', 'commit-key', () => servedCar(net.accounts.carol)));
  const text = exits(await cli(['verify-repos', folder, '--resolve']), 1).stdout;
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 6);
  assert.match(text, new RegExp(`^FAIL ${join(folder, 'forged.car')}  \\[bad-signature\\] .*\\(while verifying ${join(folder, 'forged.car')}\\)$`, 'm'));
  assert.equal(lines.filter((l) => l.startsWith('ok   ')).length, 4);
  assert.match(lines.at(-1), /^4 verified, 1 failed, of 5 repositories in [\d.]+ s \(2 jobs\)$/);

  const list = join(dir, 'list.txt');
  writeFileSync(list, `# mixed\nmany/alice.car\n\nbob.test\n${net.accounts.carol.did}\n`);
  const mixed = exits(await cli(['verify-repos', list, '--json']), 0).json;
  assert.deepEqual(mixed.repositories.map((r) => [r.source, r.did, r.signatureVerified]), [
    ['file', net.accounts.alice.did, false],
    ['identity', net.accounts.bob.did, true],
    ['identity', net.accounts.carol.did, true],
  ]);
});

/** base58btc, independently of the CLI's encoder. */
function fromBase58(text) {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let value = 0n;
  for (const c of text) value = value * 58n + BigInt(alphabet.indexOf(c));
  const hex = value.toString(16);
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return new Uint8Array([...Array(text.match(/^1*/)[0].length).fill(0), ...bytes]);
}

test('keygen: a fresh key whose private multibase imports back to its did:key', async () => {
  const codecs = { k256: [0x81, 0x26], p256: [0x86, 0x26] };
  const seen = new Set();
  for (const args of [['keygen'], ['keygen', 'k256'], ['keygen', 'p256']]) {
    const { json } = exits(await cli([...args, '--json']), 0);
    const algorithm = args[1] ?? 'k256';
    assert.equal(json.algorithm, algorithm);
    assert.equal(json.did, `did:key:${json.publicKeyMultibase}`);
    assert.equal(atproof.parseDidKey(json.did).algorithm, algorithm === 'k256' ? 'ES256K' : 'ES256');
    const decoded = fromBase58(json.privateKeyMultibase.slice(1));
    assert.ok(json.privateKeyMultibase.startsWith('z'));
    assert.deepEqual([...decoded.slice(0, 2)], codecs[algorithm]);
    assert.equal(Buffer.from(decoded.slice(2)).toString('hex'), json.privateKeyHex);
    assert.equal(atproof.Keypair.import(algorithm, decoded.slice(2)).did(), json.did);
    seen.add(json.did);
  }
  assert.equal(seen.size, 3, 'every key is new');
  assert.match(exits(await cli(['keygen']), 0).stdout, /^algorithm +k256\ndid:key +did:key:zQ3sh\w+\nprivate key +z\w+/);
});
