// Memory through the package, in Node (node:test runs this file in a process of its own): limits
// refused before anything is copied, an input whose processing needs more memory than
// WebAssembly can still give refused with limit-exceeded instead of trapping the instance (and
// the next call working), and fresh instances made with createInstance: their own memory, their
// own intern tables, usable side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as atproof from 'atproof';
import { hex } from './suites/util.mjs';

const { AtproofError } = atproof;
const wasmBytes = readFileSync(new URL('./node_modules/atproof/atproof_bg.wasm', import.meta.url));
const repoCar = new Uint8Array(readFileSync(new URL('../fixtures/generated/repo-1000-s1-k256.car', import.meta.url)));
const MiB = 1 << 20;

const isLimit = (pattern) => (e) => e instanceof AtproofError && e.code === 'limit-exceeded' && pattern.test(e.message);

function varint(n) {
  const out = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return Uint8Array.from(out);
}
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
/** A CAR section: the block under its DRISL CID. */
const section = (block) => concat([varint(36 + block.length), Uint8Array.from([1, 0x71, 0x12, 0x20]), createHash('sha256').update(block).digest(), block]);

test('whole-buffer limits are refused before anything is copied', () => {
  const before = atproof.wasmMemoryBytes();
  const over = new Uint8Array(MiB * 1024 + 1);
  assert.throws(() => atproof.readCar(over), isLimit(/over the limit/));
  assert.throws(() => atproof.recordProof(over, 'app.bsky.feed.post', '3jzfcijpj2z2a'), isLimit(/over the limit/));
  assert.throws(() => atproof.decodeCborMany(Array.from({ length: 65 }, () => new Uint8Array(MiB))), isLimit(/size limit/));
  assert.ok(atproof.wasmMemoryBytes() - before < MiB, 'a refused input was copied into wasm memory');
  assert.equal(atproof.verifyRepo(repoCar).records.length, 1000);
});

test('an input that needs more memory than WebAssembly can give is refused, and the next call works', () => {
  // A streaming verifier holds on to every block shaped like an MST node (it checks them when the
  // tree is walked): 1 MiB blocks of that shape until wasm memory is nearly full.
  const verifier = new atproof.RepoVerifier({});
  const header = atproof.encodeCbor({ roots: [new atproof.CidLink('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm')], version: 1 });
  verifier.push(concat([varint(header.length), header]));
  const block = new Uint8Array(MiB);
  block.set([0xa2, 0x61, 0x65, 0x80]); // {e: [] …: looks like an MST node
  let held = 0;
  try {
    for (; held < 4000; held++) {
      new DataView(block.buffer).setUint32(8, held);
      verifier.push(section(block));
      if (atproof.wasmMemoryBytes() > 3.7 * 1024 * MiB) break;
    }
  } catch (e) {
    // Running out while holding blocks is the same refusal, from the verifier itself.
    assert.ok(isLimit(/out of memory/)(e), String(e));
  }
  assert.ok(held > 3000, `held only ${held} MiB`);
  // 600 MiB more cannot be had: the copy of the argument is refused, not a trap.
  const large = new Uint8Array(600 * MiB);
  assert.throws(() => atproof.readCar(large), isLimit(/out of memory/));
  assert.throws(() => atproof.decodeCborMany([large.subarray(0, 60 * MiB)]), (e) => e instanceof AtproofError);
  // Small calls still work meanwhile, and everything works once the verifier is dropped.
  assert.deepEqual(atproof.decodeCbor(hex('a1616101')), { a: 1 });
  verifier.free();
  assert.equal(atproof.readCar(repoCar).blocks.size, 1270);
  assert.equal(atproof.verifyRepo(repoCar).records.length, 1000);
  const key = `fresh${Date.now()}`;
  assert.deepEqual(atproof.decodeCbor(atproof.encodeCbor({ [key]: [1, 'x'] })), { [key]: [1, 'x'] });
});

test('createInstance: a fresh instance has its own small memory, the old one keeps working, and they share no state', async () => {
  const grown = atproof.wasmMemoryBytes();
  const fresh = await atproof.createInstance(wasmBytes);
  assert.ok(fresh.wasmMemoryBytes() < 16 * MiB, `a fresh instance starts with ${fresh.wasmMemoryBytes()} bytes`);
  assert.ok(grown > fresh.wasmMemoryBytes());
  // Interleaved use with keys neither has seen: each instance numbers its interned strings itself.
  for (let i = 0; i < 20; i++) {
    const a = { [`a${i}${Date.now()}`]: i, $type: `com.example.a${i}` };
    const b = { [`b${i}${Date.now()}`]: [i], $type: `com.example.b${i}` };
    assert.deepEqual(atproof.decodeCbor(atproof.encodeCbor(a)), a);
    assert.deepEqual(fresh.decodeCbor(fresh.encodeCbor(b)), b);
    assert.deepEqual(fresh.decodeCborMany([atproof.encodeCbor(a)]), [a]);
    assert.deepEqual(atproof.decodeCbor(fresh.encodeCbor(b)), b);
  }
  // A setter on Object.prototype that calls the other instance in the middle of a build.
  const key = `reentry${Date.now()}`;
  Object.defineProperty(Object.prototype, key, { set(v) { fresh.decodeCbor(fresh.encodeCbor({ other: [v] })); Object.defineProperty(this, key, { value: v, enumerable: true }); }, configurable: true });
  try {
    assert.deepEqual(atproof.decodeCbor(atproof.encodeCbor({ [key]: 5, z: 'after' })), { [key]: 5, z: 'after' });
  } finally {
    delete Object.prototype[key];
  }
  const verified = await fresh.verifyRepoStream([repoCar.subarray(0, 1000), repoCar.subarray(1000)]);
  assert.equal(verified.records.length, 1000);
  assert.ok(fresh.verifyRepo(repoCar).records.get(verified.records.at(5).path) === verified.records.at(5).cid);
  assert.throws(() => fresh.decodeCbor(hex('f7')), (e) => e instanceof AtproofError && e.code === 'cbor-simple-value');
  const module = await WebAssembly.compile(wasmBytes);
  const third = await fresh.createInstance(module);
  assert.equal(third.isValidHandle('alice.test'), true);
  assert.equal(atproof.verifyRepo(repoCar).records.length, 1000);
});

test('release(): every later call on the instance and its objects throws instance-released; the others go on', async () => {
  const job = await atproof.createInstance(wasmBytes);
  const keypair = job.Keypair.generate('k256');
  const verifier = new job.RepoVerifier({});
  assert.equal(job.decodeCbor(hex('a1616101')).a, 1);
  job.release();
  const released = (e) => e instanceof AtproofError && e.code === 'instance-released';
  assert.throws(() => job.decodeCbor(hex('a1616101')), released);
  assert.throws(() => job.isValidDid('did:plc:x'), released);
  assert.throws(() => job.wasmMemoryBytes(), released);
  assert.throws(() => keypair.did(), released);
  assert.throws(() => verifier.push(repoCar), released);
  assert.throws(() => new job.RepoVerifier({}), released);
  // Objects of the released instance may be collected later: freeing them does nothing.
  keypair.free();
  assert.deepEqual(atproof.decodeCbor(hex('a1616101')), { a: 1 });
  assert.equal(atproof.verifyRepo(repoCar).records.length, 1000);
  const other = await atproof.createInstance(wasmBytes);
  assert.equal(other.verifyRepo(repoCar).records.length, 1000);
  other.release();
});
