// The records of a repository CAR as the writing benchmark needs them: each path with its record
// block, in key order, read with the benchmark's own small DAG-CBOR reader and MST walk (used only
// to PREPARE inputs, never timed, never under test). Runs in Node and in the browser.
import { cidBytesToString } from './car.mjs';

const text = new TextDecoder('utf-8', { fatal: true });

/** One DAG-CBOR item → [value, next position]: maps as objects, links as CID strings. */
function decodeAt(buf, pos) {
  const head = buf[pos++];
  const major = head >> 5;
  const info = head & 31;
  let arg = info;
  if (info === 24) arg = buf[pos++];
  else if (info === 25) { arg = (buf[pos] << 8) | buf[pos + 1]; pos += 2; }
  else if (info === 26) { arg = buf[pos] * 2 ** 24 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]); pos += 4; }
  else if (info === 27) { arg = 0; for (let i = 0; i < 8; i++) arg = arg * 256 + buf[pos + i]; pos += 8; }
  switch (major) {
    case 0: return [arg, pos];
    case 1: return [-1 - arg, pos];
    case 2: return [buf.subarray(pos, pos + arg), pos + arg];
    case 3: return [text.decode(buf.subarray(pos, pos + arg)), pos + arg];
    case 4: {
      const out = [];
      for (let i = 0; i < arg; i++) { const [v, next] = decodeAt(buf, pos); out.push(v); pos = next; }
      return [out, pos];
    }
    case 5: {
      const out = {};
      for (let i = 0; i < arg; i++) {
        const [k, afterKey] = decodeAt(buf, pos);
        const [v, next] = decodeAt(buf, afterKey);
        out[k] = v;
        pos = next;
      }
      return [out, pos];
    }
    case 6: {
      const [bytes, next] = decodeAt(buf, pos);
      return [cidBytesToString(bytes.subarray(1)), next];
    }
    case 7: return [info === 21 ? true : info === 20 ? false : null, pos];
  }
  throw new Error('mst-leaves: bad CBOR');
}

const decode = (bytes) => decodeAt(bytes, 0)[0];

/** [{ collection, rkey, bytes }] of the repository whose blocks are `blocks` ([{ cid, bytes }]). */
export function repoRecords(blocks, commitCid) {
  const byCid = new Map(blocks.map((b) => [b.cid, b.bytes]));
  const out = [];
  const walk = (cid) => {
    const node = decode(byCid.get(cid));
    if (node.l) walk(node.l);
    let key = '';
    for (const entry of node.e) {
      key = key.slice(0, entry.p) + text.decode(entry.k);
      const [collection, rkey] = key.split('/');
      out.push({ collection, rkey, bytes: byCid.get(entry.v) });
      if (entry.t) walk(entry.t);
    }
  };
  walk(decode(byCid.get(commitCid)).data);
  return out;
}
