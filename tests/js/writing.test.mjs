// Writing against the reference, in Node: the same repository built in atproof and in
// @atproto/repo from the same key, DID, records and revs gives, after every commit, the same
// commit CID, the same MST root and the same event block set (the reference PDS's: new blocks,
// covering proofs, the records written); the exports hold the same blocks; @atproto/repo's
// verifyRepoCar accepts atproof's export and lists the same records; @atcute/mst inverts every
// frame atproof emits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { Repo, Keypair, decodeFrame, CidLink } from 'atproof';
import * as ref from '@atproto/repo';
import { Secp256k1Keypair, P256Keypair } from '@atproto/crypto';
import * as CBOR from '@atcute/cbor';
import * as CAR from '@atcute/car';
import * as MST from '@atcute/mst';
import * as CID from '@atcute/cid';

const DID = 'did:plc:referencewritingaaaaaaaa';

/** A small deterministic generator (xorshift32), seeded per test. */
function random(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

/** The block CIDs of a CAR, as a sorted list (the tests' own reader: atcute's). */
function carCids(bytes) {
  return [...CAR.fromUint8Array(bytes)].map((entry) => CID.toString(entry.cid)).sort();
}

const cidsOf = (blockMap) => [...blockMap.keys()].map(String);

async function keypairs(curve) {
  const privateKey = createHash('sha256').update(`writing-test:${curve}`).digest();
  const theirs = curve === 'k256'
    ? await Secp256k1Keypair.import(privateKey, { exportable: true })
    : await P256Keypair.import(privateKey, { exportable: true });
  const ours = Keypair.import(curve, new Uint8Array(privateKey));
  assert.equal(ours.did(), theirs.did());
  return { ours, theirs };
}

/** The next batch of writes: creates, updates and deletes over the paths alive, some records equal. */
function nextWrites(next, alive, size, n) {
  const writes = [];
  const touched = new Set();
  const collections = ['app.bsky.feed.post', 'app.bsky.feed.like', 'app.bsky.graph.follow'];
  for (let i = 0; i < size; i++) {
    const roll = next();
    // Every tenth record repeats an earlier one of its collection: two paths linking one block.
    const recordOf = (collection) => ({ $type: collection, text: `text ${roll < 0.1 ? 'again' : `${n}.${i}`}`, n: roll < 0.1 ? 0 : n });
    if (roll < 0.6 || alive.size < 10) {
      const collection = collections[Math.floor(next() * collections.length)];
      const rkey = `k${n}x${i}x${Math.floor(next() * 1e6)}`;
      const path = `${collection}/${rkey}`;
      if (touched.has(path) || alive.has(path)) continue;
      touched.add(path);
      writes.push({ action: 'create', collection, rkey, record: recordOf(collection) });
    } else {
      const paths = [...alive].filter((p) => !touched.has(p));
      const path = paths[Math.floor(next() * paths.length)];
      touched.add(path);
      const [collection, rkey] = path.split('/');
      writes.push(roll < 0.8 ? { action: 'update', collection, rkey, record: recordOf(collection) } : { action: 'delete', collection, rkey });
    }
  }
  for (const w of writes) {
    const path = `${w.collection}/${w.rkey}`;
    if (w.action === 'delete') alive.delete(path);
    else alive.add(path);
  }
  return writes;
}

const ACTIONS = { create: ref.WriteOpAction.Create, update: ref.WriteOpAction.Update, delete: ref.WriteOpAction.Delete };

for (const curve of ['k256', 'p256']) {
  test(`${curve}: atproof and @atproto/repo build the same repository, commit by commit`, async () => {
    const { ours, theirs } = await keypairs(curve);
    const storage = new ref.MemoryBlockstore();
    let theirRepo = await ref.Repo.create(storage, DID, theirs);
    const repo = await Repo.create({ did: DID, keypair: ours, rev: theirRepo.commit.rev });
    assert.equal(repo.commit, theirRepo.cid.toString(), 'the first commit');

    const next = random(curve === 'k256' ? 1 : 2);
    const alive = new Set();
    const sizes = [200, ...Array.from({ length: 40 }, () => 1 + Math.floor(next() * 8)), 50];
    let commits = 0;
    for (const [n, size] of sizes.entries()) {
      const writes = nextWrites(next, alive, size, n);
      const theirWrites = writes.map((w) => ({ ...w, action: ACTIONS[w.action] }));
      const formatted = await theirRepo.formatCommit(theirWrites, theirs);
      // The reference PDS sends its new blocks and relevant blocks, plus the record of every op.
      const expected = new ref.BlockMap();
      expected.addMap(formatted.newBlocks);
      expected.addMap(formatted.relevantBlocks);
      for (const w of writes) {
        if (w.record === undefined) continue;
        const cid = await ref.cidForRecord(w.record);
        if (!expected.has(cid)) expected.set(cid, (await storage.getBytes(cid)) ?? formatted.newBlocks.get(cid));
      }
      theirRepo = await theirRepo.applyCommit(formatted);

      const written = await repo.applyWrites(writes, { rev: formatted.rev });
      assert.equal(written.commit, formatted.cid.toString(), `commit ${n}: the commit CID`);
      assert.equal(written.data, theirRepo.commit.data.toString(), `commit ${n}: the MST root`);
      assert.equal(written.since, formatted.since, `commit ${n}: since`);
      assert.deepEqual(carCids(written.blocks), cidsOf(expected).sort(), `commit ${n}: the event's block set`);
      const body = decodeFrame(written.frame).body;
      assert.deepEqual(body.ops.map((op) => op.path), writes.map((w) => `${w.collection}/${w.rkey}`));
      commits++;
    }
    assert.equal(commits, sizes.length);

    const theirCar = await ref.concatBytesAsync(ref.getFullRepo(storage, theirRepo.cid));
    const ourCar = repo.exportCar();
    assert.deepEqual(carCids(ourCar), carCids(theirCar), 'the exports hold the same blocks');

    const verified = await ref.verifyRepoCar(ourCar, DID, ours.did());
    const theirList = verified.creates.map((c) => `${c.collection}/${c.rkey} ${c.cid}`).sort();
    const ourList = repo.list().map((r) => `${r.collection}/${r.rkey} ${r.cid}`).sort();
    assert.equal(ourList.length, alive.size);
    assert.deepEqual(theirList, ourList, '@atproto/repo verifies the export and lists the same records');
  });
}

/** @atcute/mst's inversion of a #commit frame: the root before, or a thrown reason. */
async function atcuteInvert(frame) {
  const [, rest] = CBOR.decodeFirst(frame);
  const body = CBOR.decode(rest);
  const reader = CAR.fromUint8Array(CBOR.fromBytes(body.blocks));
  const blocks = new Map();
  for (const entry of reader) blocks.set(CID.toString(entry.cid), entry.bytes);
  const commit = CBOR.decode(blocks.get(reader.roots[0].$link));
  const store = new MST.NodeStore(new MST.MemoryBlockStore(blocks));
  const wrangler = new MST.NodeWrangler(store);
  let root = commit.data.$link;
  for (const op of [...body.ops].reverse()) {
    const [value] = await MST.findRpathAndBuildProof(store, root, op.path);
    assert.equal(value?.$link ?? null, op.cid?.$link ?? null, `${op.path}: the tree holds the op's cid`);
    root = op.action === 'create' ? await wrangler.deleteRecord(root, op.path) : await wrangler.putRecord(root, op.path, op.prev);
  }
  return { root, prevData: body.prevData.$link };
}

test('@atcute/mst inverts every frame atproof emits', async () => {
  const keypair = Keypair.generate('k256');
  const repo = await Repo.create({ did: DID, keypair });
  const next = random(3);
  const alive = new Set();
  let inverted = 0;
  for (let n = 0; n < 60; n++) {
    const written = await repo.applyWrites(nextWrites(next, alive, n === 0 ? 100 : 1 + Math.floor(next() * 6), n));
    const { root, prevData } = await atcuteInvert(written.frame);
    assert.equal(prevData, written.prevData);
    assert.equal(root, prevData, `frame ${n}: @atcute's inversion arrives at prevData`);
    inverted++;
  }
  assert.equal(inverted, 60);
  assert.ok(new CidLink(repo.data).$link.startsWith('bafyrei'));
});
