// Small helpers for the suites: deep equality, hex/base64/base58/base32 codecs for test data, a
// minimal CAR block iterator (the tests' own, independent of the library under test), and the
// runner that collects passed checks and failures.

export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

export const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
export const fromBase64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
export const bytesEqual = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export function fromBase58(s) {
  let n = 0n;
  for (const c of s) n = n * 58n + BigInt(B58.indexOf(c));
  const out = [];
  while (n > 0n) { out.unshift(Number(n & 255n)); n >>= 8n; }
  for (const c of s) { if (c !== '1') break; out.unshift(0); }
  return Uint8Array.from(out);
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** RFC 4648 base32, lower case, no padding (as CIDs and did:plc identifiers write it). */
export function base32(bytes) {
  let out = '', bits = 0, value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte; bits += 8;
    while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** The CID string of a binary CID: multibase `b` + base32. */
export const cidString = (bytes) => `b${base32(bytes)}`;

/** The frames of a .frames.bin: [u32 big-endian length][frame] repeated. */
export function framesOf(bin) {
  const frames = [];
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  for (let at = 0; at < bin.length;) {
    const length = view.getUint32(at);
    frames.push(bin.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

/** The blocks of a CARv1 file: [{ cid (string), bytes }]. Assumes 36-byte CIDv1 blocks (atproto). */
export function carBlocks(car) {
  let at = 0;
  const varint = () => { let v = 0, shift = 0, b; do { b = car[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return v; };
  const headerLength = varint();
  at += headerLength;
  const blocks = [];
  while (at < car.length) {
    const length = varint();
    const cid = car.subarray(at, at + 36);
    blocks.push({ cid: cidString(cid), bytes: car.subarray(at + 36, at + length) });
    at += length;
  }
  return blocks;
}

/** Runs suites: each is `async (atproof, fixtures, check) => void`. Returns { passed, failures }. */
export async function runSuites(atproof, fixtures, suites) {
  let passed = 0;
  const failures = [];
  for (const [name, suite] of Object.entries(suites)) {
    const check = (what, ok, detail = '') => {
      if (ok) passed++;
      else failures.push(`${name}: ${what}${detail ? ` — ${detail}` : ''}`);
    };
    try {
      await suite(atproof, fixtures, check);
    } catch (e) {
      failures.push(`${name}: threw ${e?.stack ?? e}`);
    }
  }
  return { passed, failures };
}

/** Whether `fn()` throws an AtproofError with `code` (and the module still answers afterwards). */
export function throwsCode(atproof, fn, code) {
  try {
    fn();
  } catch (e) {
    return e instanceof atproof.AtproofError && e.code === code ? true : `threw ${e?.code ?? ''} ${e}`;
  }
  return 'did not throw';
}

export async function rejectsCode(atproof, promise, code) {
  try {
    await promise;
  } catch (e) {
    return e instanceof atproof.AtproofError && e.code === code ? true : `rejected with ${e?.code ?? ''} ${e}`;
  }
  return 'did not reject';
}

function varint(n) {
  const out = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

/** Re-assembles a CAR from its header bytes and [{ cidBytes, bytes }] sections (the tests' own writer). */
export function writeCar(header, sections) {
  const parts = [Uint8Array.from(varint(header.length)), header];
  for (const { cidBytes, bytes } of sections) parts.push(Uint8Array.from(varint(cidBytes.length + bytes.length)), cidBytes, bytes);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The raw header and sections of a CAR (36-byte CIDs), for building altered CARs. */
export function carSections(car) {
  let at = 0;
  const read = () => { let v = 0, shift = 0, b; do { b = car[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return v; };
  const headerLength = read();
  const header = car.subarray(at, at + headerLength);
  at += headerLength;
  const sections = [];
  while (at < car.length) {
    const length = read();
    sections.push({ cidBytes: car.subarray(at, at + 36), bytes: car.subarray(at + 36, at + length), cid: cidString(car.subarray(at, at + 36)) });
    at += length;
  }
  return { header, sections };
}
