// WebCrypto for P-256: native ECDSA verification and non-extractable signing keys. The wasm side
// has already checked formats and low-S (WebCrypto accepts high-S signatures on its own).

const imported = new Map(); // cache key (did:key or multikey) → CryptoKey, or the Promise of one
const MAX_KEYS = 4096;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' };

export function hasSubtle() {
  return typeof globalThis.crypto?.subtle?.verify === 'function';
}

/**
 * Verifies a P1363 (r‖s) P-256 signature over `data` with the key cached under `cacheKey`, or
 * returns undefined when that key has not been imported yet (see verifyP256).
 */
export function verifyP256Cached(cacheKey, data, signature) {
  const key = imported.get(cacheKey);
  if (key === undefined) return undefined;
  // A key already imported is stored as the CryptoKey itself: no extra promise hop.
  if (key instanceof Promise) return key.then((k) => crypto.subtle.verify(ECDSA_SHA256, k, signature, data));
  return crypto.subtle.verify(ECDSA_SHA256, key, signature, data);
}

/** Imports the raw uncompressed public key under `cacheKey`, then verifies as verifyP256Cached. */
export function verifyP256(cacheKey, rawPublicKey, data, signature) {
  if (imported.size >= MAX_KEYS) imported.clear();
  const importing = crypto.subtle.importKey('raw', rawPublicKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  imported.set(cacheKey, importing);
  importing.then((k) => imported.set(cacheKey, k), () => imported.delete(cacheKey));
  return importing.then((k) => crypto.subtle.verify(ECDSA_SHA256, k, signature, data));
}

/**
 * Exports the raw (65-byte uncompressed) public key of a WebCrypto P-256 key pair and continues
 * with `then(raw, privateKey)` (the wasm side), or `then(undefined)` when it is not such a pair.
 */
export async function exportRawPublicKey(keyPair, then) {
  const algorithm = keyPair?.privateKey?.algorithm;
  if (algorithm?.name !== 'ECDSA' || algorithm?.namedCurve !== 'P-256') return then(undefined, undefined);
  let raw;
  try {
    raw = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey));
  } catch {
    return then(undefined, undefined);
  }
  return then(raw, keyPair.privateKey);
}

/** Signs `data` (SHA-256, ECDSA P-256) with a WebCrypto private key and continues with `then(r‖s)`. */
export async function signP256(privateKey, data, then) {
  return then(new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, privateKey, data)));
}
