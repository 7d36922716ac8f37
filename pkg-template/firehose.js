// FirehoseVerifier: a whole event stream verified, over the wasm class FirehoseState (which keeps
// each account's continuity in wasm memory) and a resolver of signing keys. Made for one
// instance's classes (core.js: the package's; createInstance: a fresh instance's).

/** Codes of a signature that did not verify: the key may have rotated, so it is resolved again. */
const SIGNATURE_CODES = new Set(['bad-signature', 'high-s-signature', 'invalid-signature-format']);

/** The FirehoseVerifier class over the given FirehoseState class. */
export function makeFirehose({ FirehoseState }) {
  return class FirehoseVerifier {
    #state;
    #resolveKey;
    /** did → did:key, most recently resolved last; bounded like the accounts. */
    #keys = new Map();
    #maxKeys;

    /**
     * @param {{ resolveKey: (did: string) => string | { signingKey: string | null } | Promise<…>, maxAccounts?: number, clockDriftMs?: number }} options
     */
    constructor({ resolveKey, maxAccounts = 1_000_000, clockDriftMs = 300_000 } = {}) {
      if (typeof resolveKey !== 'function') throw new TypeError('resolveKey must be a function');
      this.#state = new FirehoseState(maxAccounts, clockDriftMs);
      this.#resolveKey = resolveKey;
      this.#maxKeys = maxAccounts;
    }

    /** The number of accounts whose continuity is tracked. */
    get accounts() {
      return this.#state.accounts;
    }

    async #key(did, fresh) {
      if (!fresh && this.#keys.has(did)) return this.#keys.get(did);
      // A did:key, or what resolveIdentity gives ({ signingKey }), so it can serve as resolveKey.
      const resolved = await this.#resolveKey(did);
      const key = typeof resolved === 'object' && resolved !== null ? resolved.signingKey ?? undefined : resolved;
      this.#keys.delete(did);
      if (this.#keys.size >= this.#maxKeys) this.#keys.delete(this.#keys.keys().next().value);
      this.#keys.set(did, key);
      return key;
    }

    /**
     * Verifies one frame (the bytes of one WebSocket message) against the stream so far:
     * `{ seq, type, did, status, error?, commit?, continuity, seqRegression }`. A signature that
     * fails is retried once with a freshly resolved key before the frame is invalid; an
     * `#identity` event drops the cached key of its account.
     */
    async process(frame) {
      const did = this.#state.accountOf(frame);
      let key = did === undefined ? undefined : await this.#key(did, false);
      let result = this.#state.process(frame, key, Date.now());
      if (result.status === 'invalid' && did !== undefined && SIGNATURE_CODES.has(result.error?.code)) {
        key = await this.#key(did, true);
        result = this.#state.process(frame, key, Date.now());
      }
      if (result.type === '#identity' && result.did !== undefined) this.#keys.delete(result.did);
      return result;
    }

    /** Frees the wasm state now (otherwise when the verifier is collected). */
    free() {
      this.#state.free();
    }
  };
}
