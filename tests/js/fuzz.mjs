// Fuzzes the built package as users call it, in one long-lived instance: valid and invalid inputs
// interleaved across every function that takes outside bytes or values, each valid result checked
// against an independent implementation, and after every call one earlier valid input decoded
// again and compared with its first result, so that no state can leak from a call into later ones.
//
//   node tests/js/fuzz.mjs                       (20 s; scripts/test.sh runs it)
//   ATPROOF_FUZZ_SECONDS=1800 node tests/js/fuzz.mjs
//   ATPROOF_FUZZ_SEED=1234 node tests/js/fuzz.mjs  (replays a run: the seed is printed)
//   ATPROOF_FUZZ_BUILD=verify node tests/js/fuzz.mjs  (atproof/verify: every function it has comes
//     from it; the full build lends the rest — encodeCbor, Keypair, Repo… — to make inputs)
//
// Independent checks: @atcute/cbor decodes and encodes DRISL; node:crypto hashes blocks and
// records; this file's own CAR parser, JSON-to-value conversion and DID-document reading; the
// synchronous did:plc verification for the one that checks P-256 with WebCrypto; a model of the
// keys a FirehoseState was given (setKey and forgetKey interleaved with frames, mutated byte-wise
// or field-wise: a frame decodeFrame refuses but the state answers for must be `invalid` with
// decodeFrame's code and the seq and account @atcute reads from it); the FirehoseState's saved
// state read here (header, length, SHA-256 checksum), a mutated copy refused without a change.
// Failures are printed with the seed and the input (hex), and written to target/js-fuzz/.
import * as atproofFull from 'atproof';
import * as atproofVerify from 'atproof/verify';
import * as atcute from '@atcute/cbor';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { diskFixtures } from './fixtures.mjs';
import { MALFORMED } from './suites/data-model.mjs';
import { bytesEqual, cidString, hex, toHex } from './suites/util.mjs';

const build = process.env.ATPROOF_FUZZ_BUILD ?? 'full';
if (build !== 'full' && build !== 'verify') throw new Error(`ATPROOF_FUZZ_BUILD must be full or verify, not ${build}`);
const atproof = build === 'verify' ? { ...atproofFull, ...atproofVerify } : atproofFull;
const seconds = Number(process.env.ATPROOF_FUZZ_SECONDS ?? 20);
const seed = Number(process.env.ATPROOF_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const { AtproofError, CidLink } = atproof;

// mulberry32: a small seeded generator, so that a run can be replayed from its seed.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const below = (n) => Math.floor(random() * n);
const pick = (list) => list[below(list.length)];
const chance = (p) => random() < p;

// ---- independent implementations -------------------------------------------------------------

/** A comparable form of a decoded value: links as { $link }, bytes as hex, integers as bigints. */
function normalize(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return { int: BigInt(value) };
  if (value instanceof Uint8Array) return { bytes: toHex(value) };
  if (value instanceof CidLink) return { link: value.$link };
  if (atcute.isCidLink(value)) return { link: cidString(value.bytes) };
  if (atcute.isBytes(value)) return { bytes: toHex(atcute.fromBytes(value)) };
  if (Array.isArray(value)) return value.map(normalize);
  // Entries, not an object: a "__proto__" key must stay a key.
  return { map: Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => [k, normalize(value[k])]) };
}

/** @atcute/cbor's decoding, or undefined where it cannot tell (integers beyond ±(2^53−1), which it
 * does not decode); throws where it refuses the input. */
function atcuteDecode(bytes) {
  try {
    return atcute.decode(bytes);
  } catch (e) {
    if (/safe integer range/.test(e?.message)) return undefined;
    throw e;
  }
}
const same = (a, b) => JSON.stringify(normalize(a), (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) === JSON.stringify(normalize(b), (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

const sha256 = (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest());

function readVarint(bytes, at) {
  let value = 0, shift = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= bytes.length) return null;
    const b = bytes[at + i];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, at + i + 1];
  }
  return null;
}

/** This file's own CAR reader: { roots, blocks: [{ cid, bytes }] } or null; checks every hash. */
function parseCar(car) {
  const head = readVarint(car, 0);
  if (!head) return null;
  let [length, at] = head;
  let header;
  try {
    header = atcute.decode(car.subarray(at, at + length));
  } catch {
    return null;
  }
  if (at + length > car.length || !Array.isArray(header?.roots) || header.version !== 1 || !header.roots.every(atcute.isCidLink)) return null;
  const roots = header.roots.map((r) => cidString(r.bytes));
  at += length;
  const blocks = [];
  while (at < car.length) {
    const next = readVarint(car, at);
    if (!next) return null;
    [length, at] = next;
    if (length < 36 || at + length > car.length) return null;
    const cid = car.subarray(at, at + 36);
    const bytes = car.subarray(at + 36, at + length);
    // CIDv1, DRISL (0x71) or raw (0x55), SHA-256 of 32 bytes.
    if (cid[0] !== 1 || (cid[1] !== 0x71 && cid[1] !== 0x55) || cid[2] !== 0x12 || cid[3] !== 0x20) return null;
    if (!bytesEqual(sha256(bytes), cid.subarray(4))) return null;
    blocks.push({ cid: cidString(cid), bytes });
    at += length;
  }
  return { roots, blocks };
}

/** atproto JSON to a value, independently of the library: $link and $bytes objects. */
function jsonToValue(json) {
  if (Array.isArray(json)) return json.map(jsonToValue);
  if (json === null || typeof json !== 'object') return json;
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0] === '$link' && typeof json.$link === 'string') return new CidLink(json.$link);
  if (keys.length === 1 && keys[0] === '$bytes' && typeof json.$bytes === 'string') return Uint8Array.from(Buffer.from(json.$bytes, 'base64'));
  const out = {};
  for (const key of keys) out[key] = jsonToValue(json[key]);
  return out;
}

// ---- inputs ------------------------------------------------------------------------------------

const fixtures = diskFixtures();
const repoCars = [await fixtures.bytes('generated/repo-1000-s1-k256.car'), await fixtures.bytes('generated/repo-1000-s1-p256.car')];
const repoMeta = [await fixtures.json('generated/repo-1000-s1-k256.json'), await fixtures.json('generated/repo-1000-s1-p256.json')];
const blocks = repoCars.flatMap((car) => parseCar(car).blocks.map((b) => b.bytes));
for (const { cbor_base64: b64 } of await fixtures.json('interop/data-model/data-model-fixtures.json')) blocks.push(Uint8Array.from(Buffer.from(b64, 'base64')));
for (const [malformed] of MALFORMED) blocks.push(hex(malformed));
const jsons = [
  ...(await fixtures.json('interop/data-model/data-model-fixtures.json')).map((f) => f.json),
  ...(await fixtures.json('interop/data-model/data-model-valid.json')).map((f) => f.json),
  ...(await fixtures.json('interop/data-model/data-model-invalid.json')).map((f) => f.json),
];
const suiteDir = new URL('../fixtures/mst-test-suite/cars/exhaustive/', import.meta.url);
const smallCars = readdirSync(suiteDir).slice(0, 64).map((name) => new Uint8Array(readFileSync(new URL(name, suiteDir))));
const proofs = [];
for (const [i, car] of repoCars.entries()) {
  const records = [...atproof.verifyRepo(car).records];
  for (let j = 0; j < 8; j++) {
    const [collection, rkey] = pick(records).path.split('/');
    proofs.push({ car: atproof.recordProof(car, collection, rkey), collection, rkey, did: repoMeta[i].did, key: repoMeta[i].signingKey });
  }
  proofs.push({ car: atproof.recordProof(car, 'app.bsky.feed.post', '2222222222222'), collection: 'app.bsky.feed.post', rkey: '2222222222222', did: repoMeta[i].did, key: repoMeta[i].signingKey });
}
const streamBin = await fixtures.bytes('generated/repo-1000-s1-k256.frames.bin');
const streamMeta = await fixtures.json('generated/repo-1000-s1-k256.frames.json');
const frames = streamMeta.frames.slice(0, 60).map((f) => streamBin.subarray(f.offset, f.offset + f.length));
const plcLogs = await Promise.all(['log_bskyapp.json', 'log_nullification.json', 'log_nullification_nontrivial.json', 'log_tombstone.json'].map((n) => fixtures.text(`plc/${n}`)));
const signing = atproof.Keypair.import('k256', new Uint8Array(32).fill(7));
const didDocument = {
  '@context': ['https://www.w3.org/ns/did/v1'],
  id: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
  alsoKnownAs: ['at://alice.example.com'],
  verificationMethod: [{ id: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto', type: 'Multikey', controller: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', publicKeyMultibase: signing.did().slice(8) }],
  service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example.com' }],
};

// ---- mutation ------------------------------------------------------------------------------------

const MAGIC = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x3f, 0x40, 0x5f, 0x60, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xd8, 0x2a, 0xf4, 0xf6, 0xf7, 0xf9, 0xff];

function mutate(input, others = blocks) {
  let bytes = Array.from(input);
  const rounds = 1 + below(4);
  for (let r = 0; r < rounds; r++) {
    const at = below(bytes.length + 1);
    switch (below(8)) {
      case 0: if (bytes.length) bytes[Math.min(at, bytes.length - 1)] ^= 1 << below(8); break;
      case 1: if (bytes.length) bytes[Math.min(at, bytes.length - 1)] = pick(MAGIC); break;
      case 2: bytes.splice(at, 0, ...Array.from({ length: 1 + below(8) }, () => below(256))); break;
      case 3: bytes.splice(at, 1 + below(16)); break;
      case 4: bytes = bytes.slice(0, at); break;
      case 5: { const from = below(bytes.length + 1); bytes.splice(at, 0, ...bytes.slice(from, from + 1 + below(32))); break; }
      case 6: { const other = pick(others); const from = below(other.length + 1); bytes.splice(at, below(8), ...other.subarray(from, from + 1 + below(64))); break; }
      default: if (bytes.length) bytes[Math.min(at, bytes.length - 1)] = below(256);
    }
  }
  return Uint8Array.from(bytes);
}

/** Values a lexicon field may wrongly hold, and some it may rightly. */
const FIELD_VALUES = [0, -1, 1, 2 ** 53 - 1, 'x', '', '2025-01-10 08:46:10Z', '2025-01-10T08:46:10Z', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'upsert', 'create', null, true, false, [], {}, atcute.toBytes(new Uint8Array(3))];

/**
 * A frame with one field of its body, or of one of its ops, replaced by a value from FIELD_VALUES or
 * removed (re-encoded by @atcute/cbor: still two canonical DRISL objects).
 */
function mutateField(frame) {
  const [header, rest] = atcute.decodeFirst(frame);
  const body = atcute.decodeFirst(rest)[0];
  const target = Array.isArray(body.ops) && body.ops.length && chance(0.3) ? pick(body.ops) : body;
  const key = pick(Object.keys(target));
  if (chance(0.2)) delete target[key];
  else target[key] = pick(FIELD_VALUES);
  return Uint8Array.from([...atcute.encode(header), ...atcute.encode(body)]);
}

/** A random JS value, and whether the data model can hold it (this file's own rules). */
function randomValue(depth = 0) {
  const kind = below(depth > 3 ? 7 : 11);
  switch (kind) {
    case 0: return [null, true];
    case 1: return [chance(0.5), true];
    case 2: { const n = pick([0, 1, -1, 23, 24, 255, 256, 65535, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)]); return [n, true]; }
    case 3: { const n = pick([1.5, NaN, Infinity, -0.25, 2 ** 53, -(2 ** 53)]); return [n, false]; }
    case 4: { const n = pick([2n ** 60n, -(2n ** 63n), 2n ** 63n - 1n, 5n]); return [n, true]; }
    case 5: return [pick(['', 'a', '$type', 'é', '日本', '🦋', 'x'.repeat(100)]) + String(below(4)), true];
    case 6: return chance(0.9) ? [Uint8Array.from({ length: below(40) }, () => below(256)), true] : [pick([undefined, () => 1, Symbol('s'), new Date(0), new Map(), '\ud800']), false];
    case 7: case 8: {
      const items = Array.from({ length: below(5) }, () => randomValue(depth + 1));
      return [items.map(([v]) => v), items.every(([, ok]) => ok) && !items.some(([v]) => v === undefined)];
    }
    default: {
      const object = {};
      for (let i = below(6); i > 0; i--) {
        const key = pick(['a', 'b', 'aa', '$type', 'text', 'k' + below(1000), 'é', '__proto__', '', 'x\ud800']);
        const [v] = randomValue(depth + 1);
        if (key === '__proto__') Object.defineProperty(object, key, { value: v, enumerable: true, writable: true, configurable: true });
        else object[key] = v;
      }
      // Later keys may overwrite earlier ones: the object as it ends up decides.
      return [object, randomValueOk(object)];
    }
  }
}
function randomValueOk(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'bigint') return true;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2 ** 53 - 1;
  if (typeof v === 'string') return v.isWellFormed();
  if (v instanceof Uint8Array || v instanceof CidLink) return true;
  if (Array.isArray(v)) return v.every((x) => x !== undefined && randomValueOk(x));
  if (typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false;
  // A key with a lone surrogate is refused whatever its value, as a string value is.
  return Object.entries(v).every(([key, x]) => key.isWellFormed() && (x === undefined || randomValueOk(x)));
}

// ---- the run -------------------------------------------------------------------------------------

let calls = 0, passed = 0;
const failures = [];
const remembered = []; // [bytes, first result] of valid decodes, re-checked after every call

function fail(op, input, why) {
  failures.push(`${op}: ${why}`);
  const dir = new URL('../../target/js-fuzz/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  if (input instanceof Uint8Array) writeFileSync(new URL(`${op}-${seed}-${calls}.bin`, dir), input);
  console.error(`FAIL [seed ${seed}, call ${calls}] ${op}: ${why}\n  input: ${input instanceof Uint8Array ? toHex(input.subarray(0, 2048)) : JSON.stringify(input, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 2048)}`);
}

/** Runs `fn`: { ok, value } or { ok: false, error } — and any throw that is not an AtproofError is a failure. */
const accepted = {};
async function call(op, input, fn) {
  calls++;
  try {
    const value = await fn();
    accepted[op] = (accepted[op] ?? 0) + 1;
    return { ok: true, value };
  } catch (error) {
    if (!(error instanceof AtproofError) || typeof error.code !== 'string' || !error.message) {
      fail(op, input, `threw something other than an AtproofError: ${error?.stack ?? error}`);
    }
    return { ok: false, error };
  }
}

function check(op, input, ok, why) {
  if (ok) passed++;
  else fail(op, input, why);
}

const chunks = (bytes) => {
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + below(chance(0.5) ? 64 : 70000);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
};

const ops = {
  async decodeCbor() {
    const input = chance(0.2) ? pick(blocks) : mutate(pick(blocks));
    const ours = await call('decodeCbor', input, () => atproof.decodeCbor(input));
    if (!ours.ok) return;
    let theirs;
    try {
      theirs = atcuteDecode(input);
    } catch (e) {
      return check('decodeCbor', input, false, `accepted, but @atcute/cbor refuses it: ${e}`);
    }
    if (theirs !== undefined) check('decodeCbor', input, same(ours.value, theirs), 'differs from @atcute/cbor');
    check('decodeCbor', input, bytesEqual(atproof.encodeCbor(ours.value), input), 'accepted input is not canonical');
    if (remembered.length < 2000) remembered.push([input, ours.value]);
    else remembered[below(remembered.length)] = [input, ours.value];
  },
  async decodeCborMany() {
    const list = Array.from({ length: 1 + below(6) }, () => (chance(0.7) ? pick(blocks) : mutate(pick(blocks))));
    const ours = await call('decodeCborMany', list, () => atproof.decodeCborMany(list));
    const one = list.map((b) => { try { return { ok: true, value: atproof.decodeCbor(b) }; } catch (error) { return { ok: false, error }; } });
    const firstBad = one.findIndex((r) => !r.ok);
    if (ours.ok) {
      check('decodeCborMany', list, firstBad === -1 && ours.value.every((v, i) => same(v, one[i].value)), 'differs from decodeCbor of each block');
    } else {
      check('decodeCborMany', list, firstBad !== -1 && ours.error.code === one[firstBad].error.code && ours.error.message.includes(`blocks[${firstBad}]`), `error ${ours.error.code} ${ours.error.message} but decodeCbor fails first at ${firstBad}`);
    }
  },
  async encodeCbor() {
    const [value, valid] = randomValue();
    const ours = await call('encodeCbor', value, () => atproof.encodeCbor(value));
    check('encodeCbor', value, ours.ok === valid, `ok=${ours.ok} but the model says valid=${valid}: ${ours.error?.code}`);
    if (!ours.ok) return;
    const theirs = atcuteDecode(ours.value);
    if (theirs === undefined) return check('encodeCbor', value, same(atproof.decodeCbor(ours.value), value), 'does not decode to the value');
    check('encodeCbor', value, same(theirs, value), 'does not decode (by @atcute/cbor) to the value');
    check('encodeCbor', value, bytesEqual(atcute.encode(theirs), ours.value), '@atcute/cbor encodes it differently');
  },
  async fromJson() {
    const text = JSON.stringify(pick(jsons));
    const input = chance(0.3) ? text : new TextDecoder().decode(mutate(new TextEncoder().encode(text), [new TextEncoder().encode('{"$link":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"}{"$bytes":"AAEC"}[1,-2,"x",null,true]')]));
    const ours = await call('fromJson', input, () => atproof.fromJson(input));
    if (!ours.ok) return;
    let json;
    try {
      json = JSON.parse(input);
    } catch {
      return check('fromJson', input, false, 'accepted text that is not JSON');
    }
    check('fromJson', input, same(ours.value, jsonToValue(json)), 'differs from this file\'s conversion');
  },
  async readCar() {
    const source = pick([...smallCars, ...proofs.map((p) => p.car), ...(chance(0.05) ? repoCars : []), rawBlockCar()]);
    const input = chance(0.2) ? source : mutate(source, smallCars);
    const ours = await call('readCar', input, () => atproof.readCar(input));
    const theirs = parseCar(input);
    if (ours.ok) {
      const expected = theirs && new Map(theirs.blocks.map((b) => [b.cid, b.bytes]));
      check('readCar', input, theirs !== null && ours.value.roots.join() === theirs.roots.join() && ours.value.blocks.size === expected.size && [...ours.value.blocks].every(([cid, bytes]) => expected.has(cid) && bytesEqual(bytes, expected.get(cid))), 'differs from this file\'s CAR reader');
    }
    const streamed = await call('readCarStream', input, async () => {
      const out = [];
      for await (const block of atproof.readCarStream(chunks(input))) out.push(block);
      return out;
    });
    check('readCarStream', input, streamed.ok === ours.ok && (ours.ok ? streamed.value.every((b) => bytesEqual(ours.value.blocks.get(b.cid), b.bytes)) : streamed.error.code === ours.error.code), `readCar ok=${ours.ok} ${ours.error?.code ?? ''}, readCarStream ok=${streamed.ok} ${streamed.error?.code ?? ''}`);
  },
  async sha256Lanes() {
    // The 4-lane SHA-256 (wasm only) against node:crypto: raw blocks of random lengths, several per
    // CAR so that lanes refill at every phase; a byte of one of them altered half the time.
    const sections = rawSections();
    const target = sections[below(sections.length)];
    const altered = chance(0.5) && target.bytes.length > 0;
    if (altered) target.bytes[below(target.bytes.length)] ^= 1 << below(8);
    const input = carOf(sections);
    const ours = await call('sha256Lanes', input, () => atproof.readCar(input));
    check('sha256Lanes', input, altered ? !ours.ok && ours.error.code === 'cid-mismatch' : ours.ok && ours.value.blocks.size === new Set(sections.map((x) => toHex(x.cidBytes))).size, `altered=${altered}, readCar ok=${ours.ok} ${ours.error?.code ?? ''}`);
  },
  async verifyRepo() {
    const withKey = chance(0.5);
    const index = below(2);
    const source = chance(0.3) ? repoCars[index] : pick(proofs).car;
    const input = chance(0.2) ? source : mutate(source, smallCars);
    const options = withKey ? { key: repoMeta[index].signingKey } : {};
    const whole = await call('verifyRepo', input, () => atproof.verifyRepo(input, options));
    const streamed = await call('verifyRepoStream', input, () => atproof.verifyRepoStream(chunks(input), options));
    check('verifyRepo', input, whole.ok === streamed.ok && (whole.ok ? whole.value.commit === streamed.value.commit && [...whole.value.records].every((r, i) => r.cid === streamed.value.records.at(i).cid && r.path === streamed.value.records.at(i).path) : whole.error.code === streamed.error.code), `verifyRepo ok=${whole.ok} ${whole.error?.code ?? ''}, verifyRepoStream ok=${streamed.ok} ${streamed.error?.code ?? ''}`);
    if (!whole.ok) return;
    const car = parseCar(input);
    const byCid = new Map(car?.blocks.map((b) => [b.cid, b.bytes]));
    check('verifyRepo', input, car !== null && byCid.has(whole.value.commit) && [...whole.value.records].every((r) => byCid.has(r.cid)) && whole.value.signatureVerified === withKey, 'a record or the commit is not in the CAR, or the signature flag is wrong');
  },
  async firehose() {
    const source = pick(frames);
    const input = chance(0.2) ? source : mutate(source, frames);
    const decoded = await call('decodeFrame', input, () => atproof.decodeFrame(input));
    if (decoded.ok) {
      let header, body, rest;
      try {
        [header, rest] = atcute.decodeFirst(input);
        [body, rest] = atcute.decodeFirst(rest);
      } catch (e) {
        return check('decodeFrame', input, false, `accepted, but @atcute/cbor cannot read its two objects: ${e}`);
      }
      check('decodeFrame', input, rest.length === 0 && header.op === decoded.value.header.op && same(body, decoded.value.body), 'differs from @atcute/cbor');
    }
    const verified = await call('verifyCommit', input, () => atproof.verifyCommit(input, { key: streamMeta.signingKey }));
    if (!verified.ok) return;
    const v = verified.value;
    const body = atcute.decodeFirst(atcute.decodeFirst(input)[1])[0];
    const recordsHash = v.ops.every((op) => op.action === 'delete' ? op.record === undefined : cidString(Uint8Array.from([1, 0x71, 0x12, 0x20, ...sha256(op.record)])) === op.cid);
    check('verifyCommit', input, decoded.ok && v.repo === body.repo && v.rev === body.rev && v.commit === cidString(body.commit.bytes) && v.ops.length === body.ops.length && recordsHash, 'fields or records differ from the frame');
  },
  async firehoseState() {
    // The run's FirehoseState and its keys, against a model of the keys set: any mix of calls,
    // failing or not, leaves the keys exactly as the successful calls set them.
    const did = pick([streamMeta.did, streamMeta.did, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'did:web:example.com', 'not a did', '']);
    const roll = below(10);
    if (roll < 2) {
      const key = pick([streamMeta.signingKey, OTHER_KEY, undefined, 'did:key:zBad', 42]);
      const set = await call('setKey', [did, key], () => firehoseState.setKey(did, key));
      if (set.ok) keyModel.set(did, key);
      return;
    }
    if (roll < 3) {
      const forgot = await call('forgetKey', did, () => firehoseState.forgetKey(did));
      if (forgot.ok) keyModel.delete(did);
      return;
    }
    if (roll === 3) {
      // The saved state, read here: its header says the accounts and seq the state holds, its
      // checksum is SHA-256's; restoring a mutated copy is refused and changes nothing, restoring
      // the copy itself gives the same accounts (in whatever order the table keeps them).
      const saved = await call('saveState', [], () => firehoseState.saveState());
      if (!saved.ok) return;
      const bytes = saved.value;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const body = bytes.subarray(0, bytes.length - 8);
      const seq = Number(view.getBigInt64(12, true));
      check('saveState', bytes, new TextDecoder().decode(bytes.subarray(0, 6)) === 'atpfsv' && view.getUint32(20, true) === firehoseState.accounts
        && bytes.length === 24 + 44 * firehoseState.accounts + 8 && (seq === 0 ? firehoseState.lastSeq === undefined : seq === firehoseState.lastSeq)
        && bytesEqual(bytes.subarray(-8), sha256(body).subarray(0, 8)), 'header, length or checksum wrong');
      const changed = mutate(bytes, [bytes]);
      const restored = await call('restoreState', changed, () => firehoseState.restoreState(changed));
      if (!restored.ok) {
        return check('restoreState', changed, bytesEqual(firehoseState.saveState(), bytes), 'a refused state changed the verifier');
      }
      const again = await call('restoreState', bytes, () => firehoseState.restoreState(bytes));
      const entries = (b) => Array.from({ length: (b.length - 32) / 44 }, (_, i) => toHex(b.subarray(24 + 44 * i, 68 + 44 * i))).sort().join();
      return check('restoreState', bytes, again.ok && bytesEqual(firehoseState.saveState().subarray(0, 24), bytes.subarray(0, 24)) && entries(firehoseState.saveState()) === entries(bytes), 'restoring a saved state gave other accounts');
    }
    const unchanged = chance(0.4);
    const input = unchanged ? pick(frames) : chance(0.5) ? mutate(pick(frames), frames) : mutateField(pick(frames));
    const result = await call('processCached', input, () => firehoseState.processCached(input, Date.now()));
    if (!result.ok) return;
    const out = result.value;
    if (out.needsKey !== undefined) {
      return check('processCached', input, !keyModel.has(out.needsKey), `asked for the key of ${out.needsKey}, which is kept`);
    }
    if (!unchanged) {
      // A frame decodeFrame refuses but the state answers for is a sound message that breaks its
      // lexicon: invalid, with decodeFrame's code, and the seq and account @atcute reads from it.
      let refused;
      try {
        atproof.decodeFrame(input);
      } catch (error) {
        refused = error;
      }
      if (refused !== undefined) {
        const [header, rest] = atcute.decodeFirst(input);
        const body = atcute.decodeFirst(rest)[0];
        const seq = Number.isSafeInteger(body.seq) && body.seq > 0 ? body.seq : undefined;
        const account = header.t === '#commit' ? body.repo : body.did;
        const did = typeof account === 'string' && atproof.isValidDid(account) ? account : undefined;
        return check('processCached', input, out.status === 'invalid' && out.error?.code === refused.code && out.seq === seq && out.did === did,
          `refused by decodeFrame (${refused.code}) but ${out.status} (${out.error?.code}), seq ${out.seq} / ${seq}, did ${out.did} / ${did}`);
      }
    }
    if (!unchanged || out.did !== streamMeta.did) return;
    const key = keyModel.get(streamMeta.did);
    const expected = key === streamMeta.signingKey ? ['valid', 'ignored', 'desync'] : ['invalid', 'ignored'];
    check('processCached', input, keyModel.has(streamMeta.did) && expected.includes(out.status), `status ${out.status} (${out.error?.code}) with key ${key}`);
  },
  async verifyPlcLog() {
    const source = pick(plcLogs);
    const did = JSON.parse(source)[0].did;
    const input = chance(0.2) ? source : new TextDecoder().decode(mutate(new TextEncoder().encode(source), plcLogs.map((l) => new TextEncoder().encode(l))));
    const ours = await call('verifyPlcLog', input, () => atproof.verifyPlcLog(did, input));
    if (!ours.ok) return;
    let entries;
    try {
      entries = JSON.parse(input);
    } catch {
      return check('verifyPlcLog', input, false, 'accepted text that is not JSON');
    }
    check('verifyPlcLog', input, ours.value.operations.length === entries.length && ours.value.operations.every((op, i) => op.cid === entries[i].cid && op.nullified === entries[i].nullified), 'operations differ from the log');
  },
  async verifyPlcLogAsync() {
    // The same outcome as the synchronous verification, on mutated logs too.
    const source = pick(plcLogs);
    const did = JSON.parse(source)[0].did;
    const input = chance(0.3) ? source : new TextDecoder().decode(mutate(new TextEncoder().encode(source), plcLogs.map((l) => new TextEncoder().encode(l))));
    const viaAsync = await call('verifyPlcLogAsync', input, () => atproof.verifyPlcLogAsync(did, input));
    const sync = await call('verifyPlcLog', input, () => atproof.verifyPlcLog(did, input));
    check('verifyPlcLogAsync', input, viaAsync.ok === sync.ok && (sync.ok ? JSON.stringify(viaAsync.value) === JSON.stringify(sync.value) : viaAsync.error.code === sync.error.code), `async ok=${viaAsync.ok} ${viaAsync.error?.code ?? ''}, sync ok=${sync.ok} ${sync.error?.code ?? ''}`);
  },
  async createRecord() {
    // Random values as records: an accepted one is the canonical encoding (@atcute/cbor) of a
    // plain object with a $type, and its CID is SHA-256 of those bytes (node:crypto).
    const [value] = randomValue();
    const record = chance(0.7) && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof CidLink)
      ? { ...value, $type: pick(['app.bsky.feed.post', 'x.y.z', '', 7]) }
      : value;
    const ours = await call('createRecord', record, () => atproof.createRecord(record));
    if (!ours.ok) return;
    // @atcute/cbor cannot hold integers beyond 2^53 (atcuteDecode gives undefined): decodeCbor then.
    const decoded = atcuteDecode(ours.value.bytes) ?? atproof.decodeCbor(ours.value.bytes);
    check('createRecord', record, typeof record.$type === 'string' && record.$type !== '' && same(decoded, record)
      && ours.value.cid === cidString(Uint8Array.from([1, 0x71, 0x12, 0x20, ...sha256(ours.value.bytes)])), 'not the record\'s canonical bytes and CID');
  },
  async applyWrites() {
    // One long-lived repository, written with valid and invalid batches interleaved: an accepted
    // commit's frame carries exactly the writes (decoded by @atcute/cbor, records hashed by
    // node:crypto); a refused one leaves the commit as it was.
    const writes = Array.from({ length: 1 + below(chance(0.1) ? 210 : 4) }, () => {
      const [value] = randomValue();
      const record = chance(0.8) ? { $type: 'app.bsky.feed.post', text: `t${below(5)}`, n: below(3) } : value;
      return { action: pick(['create', 'update', 'delete', 'create']), collection: pick(['app.bsky.feed.post', 'app.bsky.feed.like', 'bad nsid']), rkey: pick(['a', 'b', 'c', `k${below(30)}`, 'bad key!', undefined]), record };
    });
    const before = writer.commit;
    const ours = await call('applyWrites', writes, () => writer.applyWrites(writes));
    if (!ours.ok) return check('applyWrites', writes, writer.commit === before, `refused (${ours.error.code}) but the commit moved`);
    const body = atcute.decodeFirst(atcute.decodeFirst(ours.value.frame)[1])[0];
    const blocks = new Map(parseCar(atcute.fromBytes(body.blocks))?.blocks.map((b) => [b.cid, b.bytes]));
    check('applyWrites', writes, ours.value.commit === writer.commit && body.ops.length === writes.length && body.ops.every((op, i) => {
      const write = writes[i];
      if (op.action !== write.action || (write.rkey !== undefined && op.path !== `${write.collection}/${write.rkey}`)) return false;
      if (op.action === 'delete') return op.cid === null;
      const bytes = blocks.get(op.cid.$link);
      return bytes !== undefined && cidString(Uint8Array.from([1, 0x71, 0x12, 0x20, ...sha256(bytes)])) === op.cid.$link && same(atcuteDecode(bytes) ?? atproof.decodeCbor(bytes), write.record);
    }), 'the frame does not carry the writes');
  },
  async verifyRecord() {
    const proof = pick(proofs);
    const input = chance(0.2) ? proof.car : mutate(proof.car, smallCars);
    const ours = await call('verifyRecord', input, () => atproof.verifyRecord(input, proof));
    if (!ours.ok || ours.value.record === null) return;
    const block = parseCar(input)?.blocks.find((b) => b.cid === ours.value.cid);
    check('verifyRecord', input, block !== undefined && same(ours.value.record, atcuteDecode(block.bytes)), 'the record differs from its block decoded by @atcute/cbor');
  },
  async parseDidDocument() {
    const text = JSON.stringify(didDocument);
    const input = chance(0.2) ? text : new TextDecoder().decode(mutate(new TextEncoder().encode(text), [new TextEncoder().encode(text)]));
    const ours = await call('parseDidDocument', input, () => atproof.parseDidDocument(input));
    if (!ours.ok) return;
    let doc;
    try {
      doc = JSON.parse(input);
    } catch {
      return check('parseDidDocument', input, false, 'accepted text that is not JSON');
    }
    const method = doc.verificationMethod?.find?.((m) => m?.id === `${doc.id}#atproto` || m?.id === '#atproto');
    const expected = method?.publicKeyMultibase ? `did:key:${method.publicKeyMultibase}` : null;
    check('parseDidDocument', input, ours.value.did === doc.id && (ours.value.signingKey === null || ours.value.signingKey === expected), `did ${ours.value.did} / ${doc.id}, key ${ours.value.signingKey} / ${expected}`);
  },
};

/** Raw blocks of random lengths and contents with their CIDs (hashed by node:crypto). */
function rawSections() {
  return Array.from({ length: 1 + below(9) }, () => {
    const bytes = Uint8Array.from({ length: chance(0.5) ? below(130) : below(5000) }, () => below(256));
    return { cidBytes: Uint8Array.from([1, 0x55, 0x12, 0x20, ...sha256(bytes)]), bytes };
  });
}

/** A CAR of the sections, the first one its root. */
function carOf(sections) {
  const header = atcute.encode({ roots: [atcute.toCidLink({ bytes: sections[0].cidBytes })], version: 1 });
  const parts = [varint(header.length), header];
  for (const { cidBytes, bytes } of sections) parts.push(varint(36 + bytes.length), cidBytes, bytes);
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

/** A CAR of raw blocks of random lengths and contents (the 4-lane SHA-256 fed every shape). */
const rawBlockCar = () => carOf(rawSections());

function varint(n) {
  const out = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

// The FirehoseState the firehoseState op drives, for the whole run, and the keys it should hold.
const firehoseState = new atproof.FirehoseState(1_000_000, 300_000);
const keyModel = new Map();
const OTHER_KEY = 'did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF';

// The repository applyWrites writes to, for the whole run.
const writer = await atproof.Repo.create({ did: 'did:plc:fuzzfuzzfuzzfuzzfuzzfuzz', keypair: atproof.Keypair.generate('k256') });

const names = Object.keys(ops);
const deadline = Date.now() + seconds * 1000;
const counts = Object.fromEntries(names.map((n) => [n, 0]));
while (Date.now() < deadline && failures.length < 20) {
  const name = pick(names);
  counts[name]++;
  await ops[name]();
  // No state leaks: an earlier valid input still decodes to what it decoded to the first time.
  if (remembered.length > 0) {
    const [input, first] = pick(remembered);
    check('replay', input, same(atproof.decodeCbor(input), first), 'an earlier valid input now decodes differently');
  }
}

const perOp = Object.keys(accepted).sort().map((n) => `${n} ${accepted[n]}`).join(', ');
console.log(`js fuzz (${build} build, seed ${seed}, ${seconds} s): ${calls} calls; accepted: ${perOp}`);
for (const f of failures) console.error(`FAIL ${f}`);
console.log(`js fuzz: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0 || passed === 0 || names.some((n) => counts[n] === 0)) process.exit(1);
