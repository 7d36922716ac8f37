// The demo page (www/) in headless Chromium (Debian's, driven by playwright-core), served by
// www/serve.mjs's own server and pointed at the loopback stand-ins (standins.mjs: a PDS, a PLC
// directory, DNS-over-HTTPS, .well-known hosts, the relay) through its settings' query parameters.
// What the page shows is checked against what atproof says in Node of the same bytes: a CAR file
// picked and one dropped (and a tampered one, and one that is no CAR), records browsed, accounts
// fetched by handle and DID with their getRecord proofs, tampered servers, bad handles, an
// unreachable directory, did:plc histories with a fork, the firehose (clean and with a wrong key
// served, and with no key to be had), and a repository written with a WebCrypto key whose
// downloaded CAR is verified here.
// Screenshots go to target/www-screenshots/.
//   node tests/js/www-page.mjs      (from the repository root, after scripts/build-pkg.sh)
// Prints "N passed, M failed"; exits non-zero on any failure or when no check ran.
//
// Tricky bits: each step waits for the page's own data-state (running → verified | failed)
// rather than for time to pass; a step that throws is one failure and the next step still runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { verifyRepo, verifyRepoStream, readCar, decodeCbor, toJson, verifyPlcLog } from 'atproof';
import { serve } from '../../www/serve.mjs';
import { SLOW_PROOF_MS, startStandins } from './standins.mjs';
import { frames, relay as startRelay, seqs } from './relay.mjs';

const root = new URL('../../', import.meta.url);
const fixture = (name) => new URL(`tests/fixtures/generated/${name}`, root).pathname;
const SHOTS = new URL('target/www-screenshots/', root).pathname;
const { chromium } = await import(new URL('.tools/node_modules/playwright-core/index.mjs', root));

let passed = 0;
const failures = [];
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failures.push(`${name}${detail ? `: ${detail}` : ''}`);
}
const checkEqual = (name, actual, expected) => check(name, isDeepStrictEqual(actual, expected), `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);

async function step(name, body) {
  try {
    await body();
  } catch (error) {
    failures.push(`${name}: threw ${error?.stack ?? error}`);
  }
}

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The code and message atproof gives in Node for streaming verification of `car`, or null. */
async function streamingError(car, options = {}) {
  try {
    await verifyRepoStream([car], options);
    return null;
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}

execFileSync('sh', [new URL('www/build.sh', root).pathname], { stdio: 'inherit' });
mkdirSync(SHOTS, { recursive: true });

const net = await startStandins();
const unreachable = `http://127.0.0.1:${await closedPort()}`;
const server = await serve({ port: 0 });
const site = `http://127.0.0.1:${server.address().port}`;
const settingsQuery = new URLSearchParams({ plc: net.urls.plc, doh: net.urls.doh, host: net.urls.hostUrl, relay: net.urls.relay });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions'],
});
const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(String(error)));
page.on('worker', (worker) => worker.on('error', (error) => pageErrors.push(`worker: ${error}`)));
let shots = 0;
const screenshot = (name) => page.screenshot({ path: `${SHOTS}${String(++shots).padStart(2, '0')}-${name}.png`, fullPage: true });

const text = (selector) => page.locator(selector).innerText();
const data = (selector, name) => page.locator(selector).getAttribute(`data-${name}`);
/** Waits for a status element's data-state to leave "running"; returns the state. */
async function settled(selector) {
  await page.waitForSelector(`${selector}[data-state]:not([data-state=running])`, { state: 'attached' });
  return data(selector, 'state');
}
/** The <dl> of a panel as { term: text }. */
const facts = (selector) => page.locator(selector).evaluate((list) =>
  Object.fromEntries([...list.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
async function dropFile(name, bytes) {
  await page.evaluate(({ name, base64 }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name));
    const zone = document.getElementById('car-drop');
    for (const type of ['dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, { name, base64: Buffer.from(bytes).toString('base64') });
}
async function verifyIdentifier(identifier) {
  await page.fill('#repo-identifier', identifier);
  await page.click('#repo-form button[type=submit]');
  return settled('#repo-progress-text');
}
async function openRecord(path) {
  const collection = path.slice(0, path.indexOf('/'));
  await page.click(`#collections [data-collection="${collection}"]`);
  await page.click(`#records [data-path="${path}"]`);
  await page.waitForSelector(`#record-facts[data-path="${path}"]`);
}

try {
  await step('the static server', async () => {
    const wasm = await fetch(`${site}/pkg/atproof_bg.wasm`, { method: 'HEAD' });
    checkEqual('the wasm module is served as application/wasm', wasm.headers.get('content-type'), 'application/wasm');
    const worker = await fetch(`${site}/repo-worker.js`);
    check('module scripts are served as JavaScript', worker.headers.get('content-type').startsWith('text/javascript'));
    // Raw paths (fetch would normalize them): Cargo.toml exists just outside www/.
    for (const path of ['/../Cargo.toml', '/..%2fCargo.toml', '/pkg/..%2f..%2fCargo.toml']) {
      const request = { host: '127.0.0.1', port: server.address().port, path };
      const status = await new Promise((resolve, reject) => get(request, (response) => { response.resume(); resolve(response.statusCode); }).on('error', reject));
      checkEqual(`nothing outside www/ is served: ${path}`, status, 404);
    }
  });

  await step('load', async () => {
    await page.goto(`${site}/?${settingsQuery}`);
    checkEqual('the package loads', await settled('#load-status'), 'ready');
    checkEqual('the settings come from the query', await page.inputValue('#setting-plc'), net.urls.plc);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')].filter((e) => e.labels.length === 0).map((e) => e.id));
    checkEqual('every field has a label', unlabelled, []);
    await screenshot('loaded');
  });

  const sidecar = JSON.parse(readFileSync(fixture('repo-1000-s1-k256.json'), 'utf8'));
  const car = new Uint8Array(readFileSync(fixture('repo-1000-s1-k256.car')));
  const expected = verifyRepo(car, { did: sidecar.did, key: sidecar.signingKey });

  await step('a CAR file picked, with its key', async () => {
    // The progress bar's value at every change of the progress text, to see it move.
    await page.evaluate(() => {
      window.progressSeen = [];
      const bar = document.getElementById('repo-progress');
      new MutationObserver(() => window.progressSeen.push(bar.value))
        .observe(document.getElementById('repo-progress-text'), { childList: true, characterData: true, subtree: true });
    });
    await page.fill('#car-key', sidecar.signingKey);
    await page.setInputFiles('#car-file', fixture('repo-1000-s1-k256.car'));
    checkEqual('the picked CAR verifies', await settled('#repo-progress-text'), 'verified');
    const seen = await page.evaluate(() => window.progressSeen);
    check('progress shown part way', seen.some((value) => value > 0 && value < sidecar.carBytes), JSON.stringify(seen));
    check('progress only grows', seen.slice(1).every((value, i) => value >= seen[i]), JSON.stringify(seen));
    checkEqual('records counted', Number(await data('#repo-progress-text', 'records')), sidecar.recordCount);
    checkEqual('blocks counted', Number(await data('#repo-progress-text', 'blocks')), sidecar.blockCount);
    checkEqual('bytes counted', Number(await data('#repo-progress-text', 'bytes')), sidecar.carBytes);
    const bar = await page.locator('#repo-progress').evaluate((p) => [p.value, p.max]);
    checkEqual('the progress bar is full', bar, [sidecar.carBytes, sidecar.carBytes]);
    const shown = await facts('#repo-summary');
    checkEqual('the commit shown', shown.Commit, sidecar.commitCid);
    checkEqual('the revision shown', shown.Revision, sidecar.rev);
    checkEqual('the DID shown', shown.DID, sidecar.did);
    checkEqual('the signature shown as verified', shown.Signature, `verified with ${sidecar.signingKey}`);
    const collections = await page.locator('#collections button').evaluateAll((buttons) => Object.fromEntries(buttons.map((b) => [b.dataset.collection, Number(b.dataset.count)])));
    checkEqual('the collections and their counts', collections, sidecar.collections);
    await screenshot('car-verified');
  });

  await step('a record browsed', async () => {
    const posts = [...expected.records].filter(({ path }) => path.startsWith('app.bsky.feed.post/'));
    const { blocks } = readCar(car);
    await page.click('#collections [data-collection="app.bsky.feed.post"]');
    await page.waitForSelector('#records button');
    checkEqual('the first page of records', await page.locator('#records button').count(), 100);
    await page.click('#records-more');
    await page.waitForFunction(() => document.querySelectorAll('#records button').length > 100);
    checkEqual('the next page of records', await page.locator('#records button').count(), 200);
    // Keyboard: focus a record's button and press Enter.
    const { path, cid } = posts[150];
    await page.locator(`#records [data-path="${path}"]`).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#record-facts[data-path="${path}"]`);
    const shown = await facts('#record-facts');
    checkEqual('the record\'s CID', shown.CID, cid);
    checkEqual('the record\'s AT-URI', shown['AT-URI'], `at://${sidecar.did}/${path}`);
    check('the record is covered by the verified repository', shown.Proof.includes('covered by the verified repository') && shown.Proof.includes('signature verified'), shown.Proof);
    checkEqual('the record as atproto JSON', JSON.parse(await text('#record-json')), toJson(decodeCbor(blocks.get(cid))));
    check('no getRecord proof is offered for a file', await page.locator('#record-proof').isHidden());
    await screenshot('record');
  });

  await step('a tampered CAR dropped', async () => {
    const { cid } = expected.records.at(500);
    const tampered = car.slice();
    const block = readCar(tampered).blocks.get(cid);
    tampered[block.byteOffset + block.length - 1] ^= 1;
    const error = await streamingError(tampered);
    await page.fill('#car-key', '');
    await dropFile('tampered.car', tampered);
    checkEqual('the tampered CAR fails', await settled('#repo-progress-text'), 'failed');
    checkEqual('its error code', await data('#repo-error', 'code'), error.code);
    checkEqual('its error message', await text('#repo-error'), `[${error.code}] ${error.message}`);
    check('the browser of the last repository is gone', await page.locator('#repo-browser').isHidden());
    await screenshot('car-tampered');
  });

  await step('a file that is no CAR', async () => {
    const garbage = new TextEncoder().encode('{"this is": "not a CAR file"}');
    const error = await streamingError(garbage);
    await dropFile('notes.json', garbage);
    checkEqual('it fails', await settled('#repo-progress-text'), 'failed');
    checkEqual('its error code', await data('#repo-error', 'code'), error.code);
  });

  await step('a CAR dropped without a key', async () => {
    await dropFile('repo.car', car);
    checkEqual('it verifies', await settled('#repo-progress-text'), 'verified');
    check('the signature is said to be unchecked', (await facts('#repo-summary')).Signature.startsWith('not checked'));
  });

  const { alice, bob, carol, reference } = net.accounts;

  await step('an account by handle (DNS), with a record\'s proof', async () => {
    checkEqual('alice verifies', await verifyIdentifier(alice.handle), 'verified');
    checkEqual('records counted', Number(await data('#repo-progress-text', 'records')), alice.records.length);
    const shown = await facts('#repo-summary');
    checkEqual('her DID', shown.DID, alice.did);
    checkEqual('her handle, verified', shown.Handle, `${alice.handle} (verified both ways)`);
    checkEqual('her PDS', shown.PDS, net.urls.pds);
    checkEqual('her commit', shown.Commit, alice.commit);
    checkEqual('the signature verified with her key', shown.Signature, `verified with ${alice.signingKey}`);
    const record = alice.records.at(-1);
    await openRecord(record.path);
    checkEqual('the record as atproto JSON', JSON.parse(await text('#record-json')), toJson(record.record));
    await page.click('#record-proof');
    checkEqual('its getRecord proof verifies and matches', await settled('#record-proof-status'), 'same');
    await screenshot('account-record-proof');

    // The PDS now serves a tampered proof of her first record.
    const restore = net.tamper('alice', 'record');
    try {
      await openRecord(alice.records[0].path);
      await page.click('#record-proof');
      checkEqual('a tampered proof fails', await settled('#record-proof-status'), 'failed');
      checkEqual('with its code', await data('#record-error', 'code'), 'cid-mismatch');
    } finally {
      restore();
    }

    // A proof that answers after another record is shown: dropped, not shown on that record.
    const slow = net.tamper('alice', 'slow-proof');
    try {
      await openRecord(alice.records[0].path);
      await page.click('#record-proof');
      checkEqual('a slow proof runs', await data('#record-proof-status', 'state'), 'running');
      await openRecord(record.path);
      await page.waitForTimeout(SLOW_PROOF_MS + 500);
      check('its late answer is not shown on the next record', (await data('#record-proof-status', 'state')) === null
        && (await text('#record-proof-status')) === '' && await page.locator('#record-error').isHidden());
      await page.click('#record-proof');
      checkEqual('that record\'s own proof still verifies', await settled('#record-proof-status'), 'same');
    } finally {
      slow();
    }
  });

  await step('accounts by well-known handle and by did:web', async () => {
    checkEqual('bob (p256, handle by well-known file) verifies', await verifyIdentifier(bob.handle), 'verified');
    checkEqual('his records', Number(await data('#repo-progress-text', 'records')), bob.records.length);
    checkEqual('carol (did:web) verifies', await verifyIdentifier(carol.did), 'verified');
    checkEqual('her handle, verified', (await facts('#repo-summary')).Handle, `${carol.handle} (verified both ways)`);
  });

  await step('tampered servers', async () => {
    for (const [kind, code] of [['record', 'cid-mismatch'], ['commit-key', 'bad-signature'], ['document-key', 'bad-signature']]) {
      const restore = net.tamper('alice', kind);
      try {
        const served = await (await fetch(`${net.urls.pds}/xrpc/com.atproto.sync.getRepo?did=${alice.did}`)).arrayBuffer();
        const key = kind === 'document-key' ? alice.keys.other.did() : alice.signingKey;
        const error = await streamingError(new Uint8Array(served), { did: alice.did, key });
        checkEqual(`atproof in Node refuses ${kind} with ${code}`, error?.code, code);
        checkEqual(`${kind}: the page refuses it`, await verifyIdentifier(alice.did), 'failed');
        checkEqual(`${kind}: with the same error`, await text('#repo-error'), `[${error.code}] ${error.message}`);
      } finally {
        restore();
      }
    }
    await screenshot('account-tampered');
  });

  await step('a stalled download cancelled; handles typed as people paste them', async () => {
    const restore = net.tamper('alice', 'stall-repo');
    try {
      await page.fill('#repo-identifier', alice.handle);
      await page.click('#repo-form button[type=submit]');
      await page.waitForSelector('#repo-cancel:not([hidden])');
      await page.waitForFunction(() => document.getElementById('repo-progress').value > 0); // the first kilobyte read
      check('the form waits meanwhile', await page.locator('#repo-form button[type=submit]').isDisabled());
      await page.click('#repo-cancel');
      checkEqual('Cancel ends it', await settled('#repo-progress-text'), 'cancelled');
      check('without an error shown', await page.locator('#repo-error').isHidden());
      check('the Cancel button goes', await page.locator('#repo-cancel').isHidden());
    } finally {
      restore();
    }
    checkEqual('the panel works again at once', await verifyIdentifier(`@${alice.handle}`), 'verified');
    checkEqual('"@handle" is the handle', (await facts('#repo-summary')).DID, alice.did);
    checkEqual('an AT-URI is its account', await verifyIdentifier(`at://${bob.handle}/app.bsky.feed.post/3jzfcijpj2z2a`), 'verified');
    checkEqual('the AT-URI\'s account', (await facts('#repo-summary')).DID, bob.did);
  });

  await step('bad handles and an unreachable server', async () => {
    await verifyIdentifier('not a handle!');
    checkEqual('a malformed handle', await data('#repo-error', 'code'), 'invalid-argument');
    await verifyIdentifier('nobody.test');
    checkEqual('a handle that resolves nowhere', await data('#repo-error', 'code'), 'identity-resolution');
    check('its message names the handle', (await text('#repo-error')).includes('nobody.test'));
    await screenshot('bad-handle');

    await page.fill('#setting-plc', unreachable);
    checkEqual('the address keeps the setting', await page.evaluate(() => new URL(location.href).searchParams.get('plc')), unreachable);
    await verifyIdentifier(alice.did);
    checkEqual('an unreachable directory', await data('#repo-error', 'code'), 'identity-resolution');
    check('its message names the directory', (await text('#repo-error')).includes(unreachable), await text('#repo-error'));
    await page.fill('#did-identifier', bob.did);
    await page.click('#did-form button[type=submit]');
    checkEqual('the DID panel with an unreachable directory', await settled('#did-status'), 'failed');
    checkEqual('its error code', await data('#did-error', 'code'), 'identity-resolution');
    await screenshot('unreachable');
    await page.fill('#setting-plc', net.urls.plc);
  });

  async function verifyHistory(identifier) {
    await page.fill('#did-identifier', identifier);
    await page.click('#did-form button[type=submit]');
    return settled('#did-status');
  }

  await step('did:plc histories', async () => {
    const judged = verifyPlcLog(bob.did, bob.log);
    checkEqual('bob\'s history verifies', await verifyHistory(bob.did), 'verified');
    checkEqual('its operations', Number(await data('#did-status', 'operations')), judged.operations.length);
    checkEqual('one fork', Number(await data('#did-status', 'forks')), 1);
    const flags = await page.locator('#did-operations tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.nullified === 'true'));
    checkEqual('the nullified operations', flags, judged.operations.map((operation) => operation.nullified));
    const cids = await page.locator('#did-operations tbody tr td:nth-child(4)').allInnerTexts();
    checkEqual('the operations\' CIDs', cids, judged.operations.map((operation) => operation.cid));
    const shown = await facts('#did-state');
    checkEqual('his handle now', shown.Handle, `at://${bob.handle}`);
    checkEqual('his signing key now', shown['Signing key'], bob.signingKey);
    await screenshot('did-fork');

    checkEqual('alice\'s history by handle verifies', await verifyHistory(alice.handle), 'verified');
    checkEqual('her operations', Number(await data('#did-status', 'operations')), alice.log.length);
    checkEqual('no fork', Number(await data('#did-status', 'forks')), 0);

    const restore = net.tamper('alice', 'plc-signature');
    try {
      checkEqual('a wrongly signed operation', await verifyHistory(alice.did), 'failed');
      checkEqual('its error code', await data('#did-error', 'code'), 'bad-signature');
    } finally {
      restore();
    }
    checkEqual('a DID whose directory has no log', await verifyHistory(reference.did), 'failed');
    checkEqual('its error code', await data('#did-error', 'code'), 'identity-resolution');
    checkEqual('a did:web has no audit log', await verifyHistory(carol.did), 'failed');
    await screenshot('did-errors');
  });

  async function watchFirehose(until) {
    await page.click('#firehose-start');
    await page.waitForFunction(until);
    await page.click('#firehose-stop');
    await page.waitForSelector('#firehose-start:not([disabled])');
    const counts = await page.locator('#firehose-stats').evaluate((list) => ({ ...list.dataset }));
    return Object.fromEntries(Object.entries(counts).map(([name, value]) => [name, Number(value)]));
  }

  await step('the firehose', async () => {
    const half = frames.length / 2;
    const counts = await watchFirehose(`document.getElementById('firehose-stats').dataset.events === '${frames.length}'`);
    checkEqual('every event verified', counts, { events: frames.length, followed: frames.length - 1, valid: frames.length, invalid: 0, desync: 0, ignored: 0 });
    check('it stopped', (await text('#firehose-status')).startsWith(`Stopped after ${frames.length} events`), await text('#firehose-status'));
    check('no account failed', await page.locator('#firehose-failures').isHidden());
    await screenshot('firehose');

    // The directory now names another key for the stream's account: every commit fails its signature.
    const restore = net.tamper('reference', 'document-key');
    try {
      const bad = await watchFirehose(`document.getElementById('firehose-stats').dataset.invalid === '${frames.length}'`);
      checkEqual('every event refused', bad, { events: frames.length, followed: 0, valid: 0, invalid: frames.length, desync: 0, ignored: 0 });
      const rows = await page.locator('#firehose-failures tbody tr').evaluateAll((trs) => trs.map((tr) => ({ did: tr.dataset.did, code: tr.dataset.code, events: tr.cells[3].textContent })));
      checkEqual('the account that failed, and why', rows, [{ did: reference.did, code: 'bad-signature', events: String(frames.length) }]);
      await screenshot('firehose-failures');
    } finally {
      restore();
    }

    // Resumed: a run that saw the first half of the stream, then one after its last seq (from a
    // relay with the whole stream) whose every commit is checked against the one before it.
    const firstHalf = await startRelay({ skip: seqs.slice(half) });
    try {
      await page.fill('#setting-relay', firstHalf.url);
      const before = await watchFirehose(`document.getElementById('firehose-stats').dataset.events === '${half}'`);
      checkEqual('the first half verified', [before.events, before.valid], [half, half]);
      check('resuming is offered after its last seq', await page.locator('#firehose-resume').isEnabled() && (await text('#firehose-resume-seq')).includes(String(seqs[half - 1])));
    } finally {
      await firstHalf.close();
    }
    await page.fill('#setting-relay', net.urls.relay);
    await page.check('#firehose-resume');
    const resumed = await watchFirehose(`document.getElementById('firehose-stats').dataset.events === '${frames.length - half}'`);
    checkEqual('the second half resumed, each commit following the one before, the first half\'s last included', resumed, { events: frames.length - half, followed: frames.length - half, valid: frames.length - half, invalid: 0, desync: 0, ignored: 0 });
    check('the relay was asked for what follows the first half', net.relay.cursors.includes(seqs[half - 1]), JSON.stringify(net.relay.cursors));
    await page.uncheck('#firehose-resume');

    // A relay that cannot be reached: said so while it retries, until Stop.
    await page.fill('#setting-relay', unreachable.replace('http:', 'ws:'));
    try {
      await page.click('#firehose-start');
      await page.waitForFunction(() => /unreachable: [2-9]\d* attempts in a row failed, retrying/.test(document.getElementById('firehose-status').textContent));
      await page.click('#firehose-stop');
      await page.waitForSelector('#firehose-start:not([disabled])');
      check('an unreachable relay said so', true);
    } finally {
      await page.fill('#setting-relay', net.urls.relay);
    }

    // No key can be resolved at all: the stream goes on, and the failure says why.
    await page.fill('#setting-plc', unreachable);
    try {
      const unresolved = await watchFirehose(`document.getElementById('firehose-stats').dataset.invalid === '${frames.length}'`);
      checkEqual('every event refused without a key', unresolved.invalid, frames.length);
      const rows = await page.locator('#firehose-failures tbody tr').evaluateAll((trs) => trs.map((tr) => ({ did: tr.dataset.did, code: tr.dataset.code })));
      checkEqual('the account whose key could not be resolved', rows, [{ did: reference.did, code: 'identity-resolution' }]);
      check('the directory named', (await text('#firehose-failures tbody')).includes(unreachable));
    } finally {
      await page.fill('#setting-plc', net.urls.plc);
    }
  });

  await step('writing a repository', async () => {
    await page.click('#write-create button[type=submit]');
    await page.waitForSelector('#write-key');
    const did = await page.inputValue('#write-did');
    const key = await text('#write-key');
    check('a P-256 did:key', key.startsWith('did:key:zDn'), key);
    checkEqual('the key is not extractable', (await facts('#write-facts'))['Key storage'], 'P-256 in WebCrypto, extractable: false');

    const writes = [
      { collection: 'app.bsky.feed.post', rkey: '', record: { $type: 'app.bsky.feed.post', text: 'first', createdAt: '2026-01-01T00:00:00.000Z' } },
      { collection: 'com.example.note', rkey: 'pinned', record: { $type: 'com.example.note', body: 'second', tags: ['a', 'b'] } },
    ];
    for (const { collection, rkey, record } of writes) {
      await page.fill('#write-collection', collection);
      await page.fill('#write-rkey', rkey);
      await page.fill('#write-json', JSON.stringify(record));
      const before = await page.locator('#write-commits > li').count();
      await page.click('#write-record button[type=submit]');
      await page.waitForFunction((n) => document.querySelectorAll('#write-commits > li').length > n, before);
    }
    checkEqual('three commits: the empty repository and two writes', await page.locator('#write-commits > li').count(), 3);

    // A float is not in the data model; a second create of the same path is refused.
    await page.fill('#write-json', '{"$type": "com.example.note", "score": 1.5}');
    await page.click('#write-record button[type=submit]');
    await page.waitForSelector('#write-error:not([hidden])');
    checkEqual('a float refused', await data('#write-error', 'code'), 'json-float');
    await page.fill('#write-json', JSON.stringify(writes[1].record));
    await page.click('#write-record button[type=submit]');
    await page.waitForSelector('#write-error[data-code=record-exists]');
    checkEqual('still three commits', await page.locator('#write-commits > li').count(), 3);

    await page.click('#write-verify');
    await page.waitForSelector('#write-verified[data-records]');
    checkEqual('verifyRepo in the page', Number(await data('#write-verified', 'records')), writes.length);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#write-download')]);
    const downloaded = new Uint8Array(readFileSync(await download.path()));
    const verified = verifyRepo(downloaded, { did, key });
    checkEqual('the downloaded CAR verifies in Node', verified.signatureVerified, true);
    const lastCommit = await page.locator('#write-commits > li').last().getAttribute('data-commit');
    checkEqual('its commit is the last one shown', verified.commit, lastCommit);
    const { blocks } = readCar(downloaded);
    const records = [...verified.records].map(({ path, cid }) => ({ collection: path.split('/')[0], record: toJson(decodeCbor(blocks.get(cid))) }));
    checkEqual('its records are the ones written', records, writes.map(({ collection, record }) => ({ collection, record })));
    check('the record key given is used', verified.records.get('com.example.note/pinned') !== undefined);
    await screenshot('written');
  });

  checkEqual('no errors on the page', pageErrors, []);
} finally {
  await browser.close();
  server.close();
  await net.close();
}

for (const failure of failures) console.error(`FAIL ${failure}`);
console.log(`${passed} passed, ${failures.length} failed`);
process.exitCode = failures.length > 0 || passed === 0 ? 1 : 0;
