// The keys a FirehoseState keeps for its accounts (what FirehoseVerifier resolves and caches), in
// Node through the package: bounded by maxAccounts, forgotten on request, each account's frames
// checked with its own key; and FirehoseVerifier asking again for a key it had to forget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Repo, Keypair, FirehoseState, FirehoseVerifier, verifyRepo, decodeFrame, encodeCbor } from 'atproof';

/** The #commit frame of one more post in `repo`. */
async function post(repo) {
  const record = { $type: 'app.bsky.feed.post', text: repo.did, createdAt: '2026-12-05T00:00:00.000Z' };
  return (await repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', record }])).frame;
}

/** A new repository of `did`, its key and the frame of its first post. */
async function firstFrame(did) {
  const keypair = Keypair.generate('k256');
  const repo = await Repo.create({ did, keypair });
  return { did, repo, key: keypair.did(), frame: await post(repo) };
}

const accounts = await Promise.all(['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb', 'did:plc:cccccccccccccccccccccccc'].map(firstFrame));

test('FirehoseState keeps at most maxAccounts keys, each for its own account', () => {
  const state = new FirehoseState(2, 300_000);
  for (const { did, key } of accounts) state.setKey(did, key);
  const results = accounts.map(({ frame }) => state.processCached(frame, Date.now()));
  const asked = results.filter((r) => r.needsKey !== undefined);
  assert.equal(asked.length, 1, 'one of the first two keys was forgotten for the third');
  assert.notEqual(asked[0].needsKey, accounts[2].did);
  assert.ok(results.filter((r) => r.needsKey === undefined).every((r) => r.status === 'valid'));
  // Given back, the forgotten account's frame is valid.
  const missing = accounts.find(({ did }) => did === asked[0].needsKey);
  state.setKey(missing.did, missing.key);
  assert.equal(state.processCached(missing.frame, Date.now()).status, 'valid');
  assert.ok(state.accounts <= 2);
});

test('FirehoseState checks each frame with its own account\'s key, and forgets a key on request', () => {
  const state = new FirehoseState(10, 300_000);
  const [a, b] = accounts;
  state.setKey(a.did, b.key);
  const wrong = state.processCached(a.frame, Date.now());
  assert.equal(wrong.status, 'invalid');
  assert.equal(wrong.error.code, 'bad-signature');
  state.setKey(a.did, a.key);
  assert.equal(state.processCached(a.frame, Date.now()).status, 'valid');
  state.forgetKey(a.did);
  assert.deepEqual(state.processCached(a.frame, Date.now()), { needsKey: a.did });
  // An account known to have no key: its frames are invalid, not asked about again.
  state.setKey(b.did, undefined);
  const keyless = state.processCached(b.frame, Date.now());
  assert.equal(keyless.status, 'invalid');
  assert.equal(keyless.needsKey, undefined);
});

test('FirehoseVerifier with room for one key resolves again the account it forgot', async () => {
  const resolved = [];
  const keys = new Map(accounts.map(({ did, key }) => [did, key]));
  const verifier = new FirehoseVerifier({ maxAccounts: 1, resolveKey: (did) => (resolved.push(did), keys.get(did)) });
  const [a, b] = accounts;
  for (const frame of [a.frame, b.frame, await post(a.repo)]) {
    assert.equal((await verifier.process(frame)).status, 'valid');
  }
  assert.deepEqual(resolved, [a.did, b.did, a.did]);
});

test('FirehoseVerifier.follow checks the next commit against a repository fetched and verified; forget drops the account', async () => {
  const { did, repo, key } = await firstFrame('did:plc:dddddddddddddddddddddddd');
  const verifier = new FirehoseVerifier({ resolveKey: () => key });
  try {
    // The repository as a consumer fetches it (getRepo), verified; then its next commit.
    const { rev, data } = verifyRepo(repo.exportCar(), { did, key });
    verifier.follow(did, { rev, data });
    const followed = await verifier.process(await post(repo));
    assert.deepEqual([followed.status, followed.continuity], ['valid', true]);
    // A repository the commits do not follow: the next one is a desync.
    verifier.follow(did, { rev, data });
    const other = await firstFrame(did);
    const broken = await verifier.process(await post(other.repo));
    assert.equal(broken.status, 'invalid'); // signed by the other repository's key, which resolveKey does not give
    verifier.forget(did);
    assert.equal(verifier.accounts, 0);
    assert.throws(() => verifier.follow(did, { rev: 'not a tid', data }), (e) => e.code === 'invalid-tid');
    assert.throws(() => verifier.follow(did, { rev, data: 'bafy-not-a-cid' }), (e) => e.code === 'invalid-cid' || e.code === 'cid-unsupported');
    assert.throws(() => verifier.follow('not a did', { rev, data }), (e) => e.code === 'invalid-did');
  } finally {
    verifier.free();
  }
});

test('FirehoseVerifier with requirePrevData refuses a commit it cannot invert; without it, it is valid, not inverted', async () => {
  const { did, repo, key } = await firstFrame('did:plc:eeeeeeeeeeeeeeeeeeeeeeee');
  // A commit as before sync 1.1: the frame re-encoded without prevData.
  const { header, body } = decodeFrame(await post(repo));
  const { prevData: _prevData, ...older } = body;
  const legacy = new Uint8Array([...encodeCbor(header), ...encodeCbor(older)]);
  const strict = new FirehoseVerifier({ resolveKey: () => key, requirePrevData: true });
  const lenient = new FirehoseVerifier({ resolveKey: () => key });
  try {
    const refused = await strict.process(legacy);
    assert.deepEqual([refused.status, refused.error?.code, refused.did], ['invalid', 'inversion-incomplete', did]);
    const taken = await lenient.process(legacy);
    assert.deepEqual([taken.status, taken.commit.inverted], ['valid', false]);
  } finally {
    strict.free();
    lenient.free();
  }
});
