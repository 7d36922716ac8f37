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

    /**
     * @param {{ resolveKey: (did: string) => string | { signingKey: string | null } | Promise<…>, maxAccounts?: number, clockDriftMs?: number }} options
     */
    constructor({ resolveKey, maxAccounts = 1_000_000, clockDriftMs = 300_000 } = {}) {
      if (typeof resolveKey !== 'function') throw new TypeError('resolveKey must be a function');
      this.#state = new FirehoseState(maxAccounts, clockDriftMs);
      this.#resolveKey = resolveKey;
    }

    /** The number of accounts whose continuity is tracked. */
    get accounts() {
      return this.#state.accounts;
    }

    /** Resolves the key of `did` and keeps it in the wasm state (as many as maxAccounts). */
    async #resolve(did) {
      // A did:key, or what resolveIdentity gives ({ signingKey }), so it can serve as resolveKey.
      const resolved = await this.#resolveKey(did);
      const key = typeof resolved === 'object' && resolved !== null ? resolved.signingKey ?? undefined : resolved;
      this.#state.setKey(did, key ?? undefined);
    }

    /**
     * Verifies one frame (the bytes of one WebSocket message) against the stream so far:
     * `{ seq, type, did, status, error?, commit?, continuity, seqRegression }`. The frame is decoded
     * once when its account's key is known; a signature that fails is retried once with a freshly
     * resolved key before the frame is invalid; an `#identity` event drops the kept key of its
     * account.
     */
    async process(frame) {
      let result = this.#state.processCached(frame, Date.now());
      if (result.needsKey !== undefined) {
        await this.#resolve(result.needsKey);
        result = this.#state.processCached(frame, Date.now());
      }
      if (result.status === 'invalid' && result.did !== undefined && SIGNATURE_CODES.has(result.error?.code)) {
        await this.#resolve(result.did);
        result = this.#state.processCached(frame, Date.now());
      }
      if (result.type === '#identity' && result.did !== undefined) this.#state.forgetKey(result.did);
      return result;
    }

    /** Frees the wasm state now (otherwise when the verifier is collected). */
    free() {
      this.#state.free();
    }
  };
}
