// A small DAG-CBOR reader used only to PREPARE inputs and EXPECTED values for the checks (never
// timed, never under test): facts about encoded bytes that every correct decoder must reproduce,
// and the unsigned form of a commit. Runs in Node and in the browser.
import { cidBytesToString } from './car.mjs';

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Walk one DAG-CBOR item. Calls visit(kind, value) for every data item: 'map', 'array', 'link'
 * (value = CID string), 'bytes', 'string', 'int', 'float', 'bool', 'null'. Map keys are not items.
 * Returns the position after the item.
 */
function walk(buf, pos, visit) {
  const head = buf[pos++];
  const major = head >> 5;
  const info = head & 31;
  let arg;
  if (info < 24) arg = info;
  else if (info === 24) arg = buf[pos++];
  else if (info === 25) { arg = (buf[pos] << 8) | buf[pos + 1]; pos += 2; }
  else if (info === 26) { arg = ((buf[pos] << 24) >>> 0) + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]); pos += 4; }
  else if (info === 27) {
    if (major === 7) { visit('float'); return pos + 8; }
    arg = 0;
    for (let i = 0; i < 8; i++) arg = arg * 256 + buf[pos + i];
    pos += 8;
  } else throw new Error(`cbor-facts: unsupported additional info ${info}`);
  switch (major) {
    case 0: case 1: visit('int'); return pos;
    case 2: visit('bytes'); return pos + arg;
    case 3: visit('string'); return pos + arg;
    case 4: visit('array'); for (let i = 0; i < arg; i++) pos = walk(buf, pos, visit); return pos;
    case 5:
      visit('map');
      for (let i = 0; i < arg; i++) {
        pos = skipKey(buf, pos);
        pos = walk(buf, pos, visit);
      }
      return pos;
    case 6: {
      if (arg !== 42) throw new Error(`cbor-facts: tag ${arg}`);
      // tag 42: a byte string 0x00 ++ binary CID
      const h = buf[pos++];
      let len = h & 31;
      if (len === 24) len = buf[pos++];
      else if (len > 24) throw new Error('cbor-facts: long CID');
      visit('link', cidBytesToString(buf.subarray(pos + 1, pos + len)));
      return pos + len;
    }
    case 7:
      if (info === 20 || info === 21) visit('bool');
      else if (info === 22) visit('null');
      else visit('float');
      return pos;
  }
  throw new Error('cbor-facts: unreachable');
}

function readKey(buf, pos) {
  const head = buf[pos++];
  if (head >> 5 !== 3) throw new Error('cbor-facts: non-string map key');
  let len = head & 31;
  if (len === 24) len = buf[pos++];
  else if (len === 25) { len = (buf[pos] << 8) | buf[pos + 1]; pos += 2; }
  else if (len > 25) throw new Error('cbor-facts: long map key');
  return [textDecoder.decode(buf.subarray(pos, pos + len)), pos + len];
}
const skipKey = (buf, pos) => readKey(buf, pos)[1];

/** { items, links: string[] } for one encoded value */
export function factsOf(bytes) {
  let items = 0;
  const links = [];
  const end = walk(bytes, 0, (kind, value) => {
    items++;
    if (kind === 'link') links.push(value);
  });
  if (end !== bytes.length) throw new Error('cbor-facts: trailing bytes');
  return { items, links };
}

/**
 * Facts about a decoded JS value, whatever the library's representation: plain objects and arrays
 * are containers; links are recognised as {$link: string} (atcute, atproto JSON style), CID-like
 * objects whose toString() is a CID (multiformats), and byte strings as Uint8Array or {$bytes}
 * / BytesWrapper-like objects. Everything else is a scalar.
 */
export function factsOfValue(value, acc = { items: 0, links: [] }) {
  acc.items++;
  if (value === null || typeof value !== 'object') return acc;
  if (Array.isArray(value)) {
    for (const v of value) factsOfValue(v, acc);
    return acc;
  }
  const link = linkString(value);
  if (link !== undefined) {
    acc.links.push(link);
    return acc;
  }
  if (ArrayBuffer.isView(value)) return acc;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$bytes') return acc;
    for (const k of keys) factsOfValue(value[k], acc);
    return acc;
  }
  return acc; // a library's own byte wrapper or other scalar object
}

function linkString(v) {
  if (typeof v.$link === 'string') return v.$link; // {$link} or a class with a $link getter
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null && !ArrayBuffer.isView(v) && (v.asCID === v || typeof v.multihash === 'object')) {
    return String(v); // multiformats CID
  }
  if (proto !== Object.prototype && proto !== null && typeof v.toString === 'function' && v.toString !== Object.prototype.toString) {
    const s = v.toString();
    if (/^bafy[a-z2-7]{40,}$/.test(s)) return s; // another library's CID class
  }
  return undefined;
}

/**
 * The commit's signature and its unsigned bytes: the same map without the "sig" entry, still
 * canonical (entries keep their order). These are the bytes the signature covers.
 */
export function splitCommit(bytes) {
  const head = bytes[0];
  if (head >> 5 !== 5 || (head & 31) >= 24 || (head & 31) === 0) throw new Error('commit: expected a small map');
  const count = head & 31;
  let pos = 1;
  const parts = [Uint8Array.of(0xa0 | (count - 1))];
  let sig;
  const fields = {};
  for (let i = 0; i < count; i++) {
    const start = pos;
    const [key, afterKey] = readKey(bytes, pos);
    let link;
    const end = walk(bytes, afterKey, (kind, value) => { if (kind === 'link') link = value; });
    if (key === 'sig') {
      // byte string header then 64 bytes
      const h = bytes[afterKey];
      const len = (h & 31) === 24 ? bytes[afterKey + 1] : h & 31;
      sig = bytes.slice(end - len, end);
    } else {
      parts.push(bytes.subarray(start, end));
      if (key === 'data') fields.data = link;
    }
    pos = end;
  }
  if (!sig) throw new Error('commit: no sig');
  const unsigned = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { unsigned.set(p, off); off += p.length; }
  return { sig, unsigned, data: fields.data };
}
