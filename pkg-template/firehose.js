// FirehoseVerifier: a whole event stream verified, over the wasm class FirehoseState (which keeps
// each account's continuity in wasm memory) and a resolver of signing keys. Made for one
// instance's classes (core.js: the package's; createInstance: a fresh instance's).

import { optionsOf } from './options.js';

/** Codes of a signature that did not verify: the key may have rotated, so it is resolved again. */
const SIGNATURE_CODES = new Set(['bad-signature', 'high-s-signature', 'invalid-signature-format']);

/** The FirehoseVerifier class over the given FirehoseState class. */
export function makeFirehose({ FirehoseState, AtproofError }) {
  return class FirehoseVerifier {
    #state;
    #resolveKey;

    /**
     * @param {{ resolveKey: (did: string) => string | { signingKey: string | null } | Promise<…>, maxAccounts?: number, clockDriftMs?: number, requirePrevData?: boolean }} options
     */
    constructor(options) {
      const { resolveKey, maxAccounts = 1_000_000, clockDriftMs = 300_000, requirePrevData = false, state } = optionsOf(options, 'options', AtproofError);
      if (typeof resolveKey !== 'function') throw new AtproofError('invalid-argument', 'resolveKey must be a function');
      this.#state = new FirehoseState(maxAccounts, clockDriftMs);
      this.#state.requirePrevData = requirePrevData === true;
      this.#resolveKey = resolveKey;
      if (state !== undefined) {
        try {
          this.#state.restoreState(state);
        } catch (error) {
          this.#state.free();
          throw error;
        }
      }
    }

    /** The number of accounts whose continuity is tracked. */
    get accounts() {
      return this.#state.accounts;
    }

    /** The seq of the last event that was not invalid: the cursor to resume from (or undefined). */
    get lastSeq() {
      return this.#state.lastSeq;
    }

    /**
     * The accounts' continuity and the last seq as bytes (44 a tracked account; no DID in them),
     * to go on from after a restart: `new FirehoseVerifier({ …, state })` or `restoreState`. The
     * keys are resolved again; the settings are the new verifier's.
     */
    saveState() {
      return this.#state.saveState();
    }

    /** Goes on from a state saveState made; anything else is refused (invalid-saved-state) and changes nothing. */
    restoreState(state) {
      this.#state.restoreState(state);
    }

    /**
     * Resolves the key of `did` and keeps it in the wasm state (as many as maxAccounts); a DID
     * document without a key is kept as such. A resolver that throws (an unreachable directory)
     * keeps nothing, so the next frame of the account asks again: returns its error.
     */
    async #resolve(did) {
      let resolved;
      try {
        resolved = await this.#resolveKey(did);
      } catch (error) {
        return error;
      }
      // A did:key, or what resolveIdentity gives ({ signingKey }), so it can serve as resolveKey.
      const key = typeof resolved === 'object' && resolved !== null ? resolved.signingKey ?? undefined : resolved;
      this.#state.setKey(did, key ?? undefined);
      return undefined;
    }

    /**
     * Verifies one frame (the bytes of one WebSocket message) against the stream so far:
     * `{ seq, type, did, status, error?, commit?, continuity, seqRegression }`. The frame is decoded
     * once when its account's key is known; a signature that fails is retried once with a freshly
     * resolved key before the frame is invalid; an `#identity` event drops the kept key of its
     * account. A resolver that throws makes the frame `invalid` (`identity-resolution`) and is asked
     * again for the account's next frame.
     */
    async process(frame) {
      let result = this.#state.processCached(frame, Date.now());
      if (result.needsKey !== undefined) {
        const failure = await this.#resolve(result.needsKey);
        if (failure !== undefined) return this.#unresolved(frame, failure);
        result = this.#state.processCached(frame, Date.now());
      }
      if (result.status === 'invalid' && result.did !== undefined && SIGNATURE_CODES.has(result.error?.code)) {
        const failure = await this.#resolve(result.did);
        if (failure !== undefined) return this.#unresolved(frame, failure);
        result = this.#state.processCached(frame, Date.now());
      }
      if (result.type === '#identity' && result.did !== undefined) this.#state.forgetKey(result.did);
      return result;
    }

    /** The frame as invalid because its account's key could not be resolved (`identity-resolution`). */
    #unresolved(frame, failure) {
      const result = this.#state.process(frame, undefined, Date.now());
      // A stale frame is ignored whatever its key; one that needed the key is invalid for want of it.
      if (result.status !== 'invalid') return result;
      const why = failure instanceof Error ? failure.message : String(failure);
      result.error = new AtproofError('identity-resolution', `the signing key of ${result.did} could not be resolved: ${why}`, { cause: failure });
      return result;
    }

    /**
     * Makes the continuity of `did` follow the commit `{ rev, data }` from now on: its repository
     * just fetched and verified (verifyRepo gives both) — after a desync, whose commit the state
     * otherwise follows, or before the first frame, so that it is checked too.
     */
    follow(did, commit) {
      const { rev, data } = optionsOf(commit, 'the commit to follow', AtproofError);
      this.#state.follow(did, rev, data);
    }

    /** Forgets the continuity of `did`: its next commit is verified without it. */
    forget(did) {
      this.#state.forget(did);
    }

    /** Frees the wasm state now (otherwise when the verifier is collected). */
    free() {
      this.#state.free();
    }
  };
}
