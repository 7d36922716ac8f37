// Memory per tracked account of FirehoseState, measured: 100,000 accounts, each made known by a
// #sync frame signed here (one keypair, 100,000 DIDs), in a fresh instance; the growth of its
// wasm memory divided by the number of accounts tracked. Then the same accounts again (no growth
// expected), a verifier capped at 10,000 accounts (the least recently seen forgotten), and, in
// another fresh instance, the accounts with their keys kept as FirehoseVerifier keeps them
// (setKey, then processCached).
//   node bench/firehose-memory.mjs      (after scripts/build-pkg.sh; ACCOUNTS=n for another count,
//   ATPROOF_PKG=dir for another build of the package)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const pkg = process.env.ATPROOF_PKG ?? join(root, 'pkg');
const atproof = await import(join(pkg, 'node.js'));
const N = Number(process.env.ACCOUNTS ?? 100_000);

const keypair = atproof.Keypair.generate('k256');
const key = keypair.did();
const emptyNode = atproof.encodeCbor({ e: [], l: null });
const data = new atproof.CidLink(atproof.cidForCbor(emptyNode));
const header = atproof.encodeCbor({ op: 1, t: '#sync' });

function varint(n) {
  const out = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}
/** A did:plc of the real length (24 base32 characters) for account `i`. */
function plcDid(i) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let id = '';
  for (let n = i; id.length < 24; n = Math.floor(n / 32)) id = alphabet[n % 32] + id;
  return `did:plc:${id}`;
}
/** A #sync frame for account `i`: its own signed commit, alone in a CAR. */
async function syncFrame(i, rev) {
  const did = plcDid(i);
  const unsigned = { did, version: 3, data, rev, prev: null };
  const sig = await keypair.sign(atproof.encodeCbor(unsigned));
  const commit = atproof.encodeCbor({ ...unsigned, sig });
  const cid = [1, 0x71, 0x12, 0x20, ...createHash('sha256').update(commit).digest()]; // CIDv1, DRISL, SHA-256
  const carHeader = atproof.encodeCbor({ roots: [new atproof.CidLink(atproof.cidForCbor(commit))], version: 1 });
  const car = Uint8Array.from([...varint(carHeader.length), ...carHeader, ...varint(36 + commit.length), ...cid, ...commit]);
  const body = atproof.encodeCbor({ did, rev, seq: i + 1, time: new Date().toISOString(), blocks: car });
  return Uint8Array.from([...header, ...body]);
}

const started = performance.now();
const frames = [];
const rev = atproof.Tid.now();
for (let i = 0; i < N; i++) frames.push(await syncFrame(i, rev));
const made = performance.now() - started;

const fresh = await atproof.createInstance(readFileSync(join(pkg, 'atproof_bg.wasm')));
const state = new fresh.FirehoseState(1_000_000, 300_000);
const before = fresh.wasmMemoryBytes();
let valid = 0;
const t = performance.now();
for (const frame of frames) if (state.process(frame, key, Date.now()).status === 'valid') valid++;
const ms = performance.now() - t;
const grown = fresh.wasmMemoryBytes() - before;
let ignored = 0;
for (const frame of frames) if (state.process(frame, key, Date.now()).status === 'ignored') ignored++;
const regrown = fresh.wasmMemoryBytes() - before;

const capped = new fresh.FirehoseState(10_000, 300_000);
for (const frame of frames) capped.process(frame, key, Date.now());

const withKeys = await atproof.createInstance(readFileSync(join(pkg, 'atproof_bg.wasm')));
const keyed = new withKeys.FirehoseState(1_000_000, 300_000);
const keyedBefore = withKeys.wasmMemoryBytes();
for (const frame of frames) {
  keyed.setKey(keyed.accountOf(frame), key);
  if (keyed.processCached(frame, Date.now()).status !== 'valid') throw new Error('a frame is not valid');
}
const keyedGrown = withKeys.wasmMemoryBytes() - keyedBefore;

console.log(`Node ${process.version}, ${new Date().toISOString()}: ${N.toLocaleString('en')} accounts (frames made in ${(made / 1000).toFixed(1)} s)`);
console.log(`  ${valid.toLocaleString('en')} #sync frames valid in ${(ms / 1000).toFixed(1)} s; accounts tracked: ${state.accounts.toLocaleString('en')}`);
console.log(`  wasm memory grew by ${(grown / 1e6).toFixed(2)} MB: ${(grown / state.accounts).toFixed(1)} bytes per tracked account (the table, at its load factor)`);
console.log(`  the same frames again: ${ignored.toLocaleString('en')} ignored (stale), memory grown since: ${((regrown - grown) / 1e6).toFixed(2)} MB`);
console.log(`  capped at 10,000: ${capped.accounts.toLocaleString('en')} tracked after ${N.toLocaleString('en')} accounts`);
console.log(`  with each account's key kept too (setKey, processCached: as FirehoseVerifier): ${(keyedGrown / 1e6).toFixed(2)} MB, ${(keyedGrown / keyed.accounts).toFixed(1)} bytes per account`);
