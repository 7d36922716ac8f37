// A minimal CARv1 splitter and CID helpers used only to PREPARE inputs and expected values (never
// timed, never the thing under test). Runs in Node and in the browser (no Node built-ins).

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** multibase base32 (lower case, no padding) with the 'b' prefix: the usual CIDv1 string form */
export function cidBytesToString(bytes) {
  let out = 'b';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('CAR: truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
    if (shift > 49) throw new Error('CAR: varint too long');
  }
}

/** length in bytes of the binary CIDv1 at buf[pos] */
function cidLength(buf, pos) {
  const start = pos;
  let version, codec, hash, size;
  [version, pos] = readVarint(buf, pos);
  if (version !== 1) throw new Error(`CAR: CID version ${version}`);
  [codec, pos] = readVarint(buf, pos);
  [hash, pos] = readVarint(buf, pos);
  [size, pos] = readVarint(buf, pos);
  return pos + size - start;
}

/**
 * Split a CAR file into its header bytes and blocks.
 * @returns {{ headerBytes: Uint8Array, blocks: { cid: string, cidBytes: Uint8Array, bytes: Uint8Array, codec: number }[] }}
 */
export function splitCar(car) {
  let pos = 0;
  let len;
  [len, pos] = readVarint(car, pos);
  const headerBytes = car.subarray(pos, pos + len);
  pos += len;
  const blocks = [];
  while (pos < car.length) {
    [len, pos] = readVarint(car, pos);
    const end = pos + len;
    const cl = cidLength(car, pos);
    const cidBytes = car.subarray(pos, pos + cl);
    blocks.push({ cid: cidBytesToString(cidBytes), cidBytes, bytes: car.subarray(pos + cl, end), codec: cidBytes[1] });
    pos = end;
  }
  return { headerBytes, blocks };
}

export const utf8 = new TextEncoder();

export async function sha256Hex(bytesOrString) {
  const data = typeof bytesOrString === 'string' ? utf8.encode(bytesOrString) : bytesOrString;
  const d = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha-256 of the sorted "path<TAB>cid" lines, each followed by "\n": the repo's identity in the sidecar */
export async function recordListDigest(lines) {
  const sorted = [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(sorted.map((l) => l + '\n').join(''));
}
