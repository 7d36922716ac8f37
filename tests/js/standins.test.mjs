// The loopback stand-ins (standins.mjs) hold what other tests rely on: every account resolves both
// ways through the real sockets, its repository and record proofs verify with the key its DID
// document names, its audit log verifies and gives the document the directory serves; and each
// kind of tampering fails where it should, with its rule's code, until restored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as atproof from 'atproof';
import { startStandins } from './standins.mjs';

let net;
before(async () => { net = await startStandins({ relay: false }); });
after(() => net.close());

const bytesOf = async (url) => {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return new Uint8Array(await response.arrayBuffer());
};
const getRepo = (did) => bytesOf(`${net.urls.pds}/xrpc/com.atproto.sync.getRepo?did=${did}`);
const getRecord = (did, { collection, rkey }) => bytesOf(`${net.urls.pds}/xrpc/com.atproto.sync.getRecord?did=${did}&collection=${collection}&rkey=${rkey}`);
const resolve = (who, options = {}) => atproof.resolveIdentity(who, { ...net.resolveOptions, ...options });

test('every account resolves from its handle and its DID, and its repository and records verify', async () => {
  assert.deepEqual(Object.keys(net.accounts), ['alice', 'bob', 'carol', 'reference']);
  for (const account of Object.values(net.accounts)) {
    const fromHandle = await resolve(account.handle);
    const fromDid = await resolve(account.did, { verifyPlcLog: account.log !== null });
    for (const id of [fromHandle, fromDid]) {
      assert.deepEqual([id.did, id.handle, id.handleVerified, id.signingKey, id.pds], [account.did, account.handle, true, account.signingKey, net.urls.pds], account.name);
    }
    const repo = atproof.verifyRepo(await getRepo(account.did), { did: account.did, key: fromDid.signingKey });
    assert.deepEqual([repo.rev, repo.commit, repo.data, repo.signatureVerified], [account.rev, account.commit, account.data, true]);
    assert.deepEqual(repo.records.toJSON(), account.records.map(({ path, cid }) => ({ path, cid })));
    const record = account.records.find((r) => r.collection === 'app.bsky.feed.post');
    const proven = atproof.verifyRecord(await getRecord(account.did, record), { did: account.did, key: account.signingKey, ...record });
    assert.equal(proven.cid, record.cid);
    assert.deepEqual(atproof.toJson(proven.record), atproof.toJson(record.record));
  }
});

test('the accounts are what their makers say: keys, histories, writes', async () => {
  const { alice, bob, carol } = net.accounts;
  for (const account of [alice, bob, carol]) {
    assert.equal(account.repo.signingKey, account.keys.signing.did());
    assert.deepEqual(account.collections, { 'app.bsky.actor.profile': 1, 'app.bsky.feed.like': 2, 'app.bsky.feed.post': 3, 'app.bsky.graph.follow': 1 });
    // the likes name the account's own posts, by the CIDs they have
    for (const like of account.records.filter((r) => r.collection === 'app.bsky.feed.like')) {
      const liked = account.records.find((r) => r.uri === like.record.subject.uri);
      assert.equal(like.record.subject.cid, liked.cid);
    }
  }
  assert.equal(atproof.parseDidKey(bob.signingKey).algorithm, 'ES256');
  assert.deepEqual(atproof.verifyPlcLog(alice.did, alice.log).operations.map((o) => o.nullified), [false, false]);
  const bobs = atproof.verifyPlcLog(bob.did, bob.log);
  assert.deepEqual(bobs.operations.map((o) => o.nullified), [false, true, false]);
  assert.deepEqual(bobs.document, bob.document);
  assert.equal(carol.log, null);
  assert.equal(carol.did, 'did:web:carol.web.test');
  // the directory serves the document its log gives
  const served = await (await fetch(`${net.urls.plc}/${alice.did}`)).json();
  assert.deepEqual(served, atproof.verifyPlcLog(alice.did, alice.log).document);
});

test('the PDS answers describeRepo, getLatestCommit and repo.getRecord from the same repository, and names what it lacks', async () => {
  const { alice } = net.accounts;
  const describe = await (await fetch(`${net.urls.pds}/xrpc/com.atproto.repo.describeRepo?repo=${alice.handle}`)).json();
  assert.deepEqual([describe.did, describe.handle, describe.collections], [alice.did, alice.handle, Object.keys(alice.collections)]);
  assert.deepEqual(await (await fetch(`${net.urls.pds}/xrpc/com.atproto.sync.getLatestCommit?did=${alice.did}`)).json(), { cid: alice.commit, rev: alice.rev });
  const [first] = alice.records;
  const got = await (await fetch(`${net.urls.pds}/xrpc/com.atproto.repo.getRecord?repo=${alice.did}&collection=${first.collection}&rkey=${first.rkey}`)).json();
  assert.deepEqual(got, { uri: first.uri, cid: first.cid, value: atproof.toJson(first.record) });
  const missing = await fetch(`${net.urls.pds}/xrpc/com.atproto.sync.getRepo?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa`);
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error, 'RepoNotFound');
  assert.equal((await fetch(`${net.urls.plc}/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa`)).status, 404);
  assert.equal((await fetch(`${net.urls.plc}/${net.accounts.reference.did}/log/audit`)).status, 404, 'the reference DID has no log here');
  assert.ok(net.requests.some((r) => r.service === 'pds' && r.path.startsWith('/xrpc/com.atproto.repo.describeRepo')));
});

test('tampering fails with its rule\'s code, and restoring serves the good data again', async () => {
  const { alice, carol, reference } = net.accounts;
  const refuses = (fn, code) => assert.throws(fn, (e) => {
    assert.equal(e.code, code, e.message);
    return true;
  });

  for (const account of [alice, reference]) {
    const restore = net.tamper(account.name, 'record');
    const [first] = account.records;
    const car = await getRepo(account.did);
    refuses(() => atproof.verifyRepo(car, { key: account.signingKey }), 'cid-mismatch');
    const proof = await getRecord(account.did, first);
    refuses(() => atproof.verifyRecord(proof, { did: account.did, key: account.signingKey, ...first }), 'cid-mismatch');
    restore();
    atproof.verifyRepo(await getRepo(account.did), { key: account.signingKey });
  }

  let restore = net.tamper('carol', 'commit-key');
  const forged = await getRepo(carol.did);
  refuses(() => atproof.verifyRepo(forged, { key: carol.signingKey }), 'bad-signature');
  assert.equal(atproof.verifyRepo(forged, { key: carol.keys.other.did() }).data, carol.data, 'the same tree, signed by another key');
  restore();

  restore = net.tamper('carol', 'document-key');
  assert.equal((await resolve(carol.did)).signingKey, carol.keys.other.did());
  restore();

  restore = net.tamper('alice', 'plc-signature');
  const log = await (await fetch(`${net.urls.plc}/${alice.did}/log/audit`)).json();
  refuses(() => atproof.verifyPlcLog(alice.did, log), 'bad-signature');
  await assert.rejects(resolve(alice.did, { verifyPlcLog: true }), (e) => e.code === 'bad-signature');
  assert.equal((await resolve(alice.did)).signingKey, alice.signingKey, 'the directory\'s document is unchanged');
  restore();
  atproof.verifyPlcLog(alice.did, await (await fetch(`${net.urls.plc}/${alice.did}/log/audit`)).json());

  assert.throws(() => net.tamper('carol', 'plc-signature'), /carol has no "plc-signature" tampering/);
  assert.throws(() => net.tamper('dave', 'record'), /no account "dave"/);
});
