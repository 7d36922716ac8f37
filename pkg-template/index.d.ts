// Types of the atproof package. The functions and classes are declared by the generated
// atproof.d.ts (from the Rust sources); this file adds the error class and the init functions.
export * from './atproof.js';
export { default as init } from './atproof.js';

/** Every failure of atproof: a real Error with a stable `code` naming the rule that was broken. */
export declare class AtproofError extends Error {
  constructor(code: string, message: string);
  readonly name: 'AtproofError';
  /** Stable code, e.g. "invalid-tid", "invalid-cbor", "high-s-signature", "limit-exceeded". */
  readonly code: string;
}

/** A CID link in a decoded value (DRISL tag 42). `JSON.stringify` gives atproto JSON: `{"$link": "bafy…"}`. */
export declare class CidLink {
  /** Wraps a CID string; `encodeCbor` checks it. */
  constructor(cid: string);
  /** The CID string (base32, "bafy…"). */
  readonly $link: string;
  toString(): string;
  toJSON(): { $link: string };
}
