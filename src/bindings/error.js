// The error class of atproof. Imported by the wasm glue (errors are created from Rust) and
// re-exported by the package, so `err instanceof AtproofError` holds for every failure.
export class AtproofError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'AtproofError';
    /** Stable string naming the broken rule, e.g. "invalid-cbor", "high-s-signature". */
    this.code = code;
  }
}

export function makeAtproofError(code, message) {
  return new AtproofError(code, message);
}
