// Seeded pseudo-random numbers for the data generator: xoshiro128** whose 128-bit state is the
// first 16 bytes of SHA-256("<purpose>\0<seed>"). Same purpose and seed -> same stream, on every
// machine and Node version (integer arithmetic only).
import { createHash } from 'node:crypto';

export function digest(purpose, seed) {
  return createHash('sha256').update(`${purpose}\0${seed}`).digest();
}

export function createPrng(purpose, seed) {
  const d = digest(purpose, seed);
  const s = new Uint32Array([d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12)]);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const float = () => nextU32() / 0x1_0000_0000;
  return {
    u32: nextU32,
    /** uniform in [0, 1) */
    float,
    /** integer in [lo, hi], both inclusive */
    between: (lo, hi) => lo + Math.floor(float() * (hi - lo + 1)),
    /** true with probability p */
    maybe: (p) => float() < p,
    oneOf: (items) => items[Math.floor(float() * items.length)],
    /** pick a key of {key: weight} in proportion to its weight */
    weighted(weights) {
      const total = Object.values(weights).reduce((a, b) => a + b, 0);
      let x = float() * total;
      for (const [key, w] of Object.entries(weights)) {
        if ((x -= w) < 0) return key;
      }
      return Object.keys(weights).at(-1);
    },
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = nextU32();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
      }
      return out;
    },
  };
}
