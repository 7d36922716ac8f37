// Repo: a repository written where its key is, over the wasm class RepoState (which holds the
// blocks in wasm memory). Made for one instance's classes (core.js: the package's;
// createInstance: a fresh instance's).
//
// Writes run one at a time: each asks RepoState for the bytes to sign, awaits the signer, and hands
// the signature back; until then the repository is unchanged, so a signer that throws or returns a
// bad signature changes nothing. A Keypair signs inside wasm, with no await in between.

import { optionsOf } from './options.js';

/** Only the static constructors make a Repo. */
const CONSTRUCTING = Symbol('Repo');

/** The Repo class over the given RepoState and Keypair classes. */
export function makeRepo({ RepoState, Keypair, AtproofError }) {
  function chooseSigner(options, what) {
    const { keypair, signer } = options ?? {};
    const chosen = keypair ?? signer;
    const valid = (keypair === undefined || signer === undefined)
      && typeof chosen?.sign === 'function' && typeof chosen?.did === 'function';
    if (!valid) {
      throw new AtproofError('invalid-argument', `${what} needs { keypair } or { signer } (an object with did() and sign(data))`);
    }
    return chosen;
  }

  function signerFailed(error) {
    return new AtproofError('signer-failed', `the signer failed: ${error?.message ?? String(error)}`, { cause: error });
  }

  function didOf(signer) {
    let did;
    try {
      did = signer.did();
    } catch (error) {
      throw signerFailed(error);
    }
    return did;
  }

  async function sign(signer, bytes) {
    try {
      return await signer.sign(bytes);
    } catch (error) {
      throw signerFailed(error);
    }
  }

  return class Repo {
    #state;
    #signer;
    /** The last write (or export) queued: the next one starts after it. */
    #queue = Promise.resolve();

    /** Use `Repo.create` or `Repo.load`. */
    constructor(token, state, signer) {
      if (token !== CONSTRUCTING) throw new AtproofError('invalid-argument', 'use Repo.create() or Repo.load()');
      this.#state = state;
      this.#signer = signer;
    }

    /**
     * A new, empty repository of `did`, its first commit signed by `keypair` or `signer`
     * (`{ did(), sign(data) }`); `rev` defaults to now.
     */
    static async create(options) {
      const { did, keypair, signer, rev } = optionsOf(options, 'options', AtproofError);
      const chosen = chooseSigner({ keypair, signer }, 'Repo.create');
      const state = RepoState.create(did, didOf(chosen), rev);
      try {
        if (chosen instanceof Keypair) {
          state.setKeypair(chosen);
          state.finishCreate(undefined);
        } else {
          state.finishCreate(await sign(chosen, state.bytesToSign()));
        }
      } catch (error) {
        state.free();
        throw error;
      }
      return new Repo(CONSTRUCTING, state, chosen);
    }

    /**
     * A repository loaded from a CAR (a getRepo export), verified as verifyRepo does with the
     * signer's key (and `did` when given): a CAR that key did not sign is refused. With `{ key }`
     * (a did:key) instead of a signer it is a read-only replica: everything but applyWrites.
     * `seq`: the last seq already used for this account's events.
     */
    static async load(car, options) {
      const { keypair, signer, key, did, seq } = optionsOf(options, 'options', AtproofError);
      if (key !== undefined && (keypair !== undefined || signer !== undefined)) {
        throw new AtproofError('invalid-argument', 'Repo.load takes { key } (read-only) or { keypair } or { signer }, not two');
      }
      const chosen = key === undefined ? chooseSigner({ keypair, signer }, 'Repo.load') : null;
      const state = RepoState.load(car, chosen === null ? key : didOf(chosen), did, seq);
      if (chosen instanceof Keypair) state.setKeypair(chosen);
      return new Repo(CONSTRUCTING, state, chosen);
    }

    /** The account's DID. */
    get did() {
      return this.#state.did;
    }

    /** The signing key, as a did:key. */
    get signingKey() {
      return this.#state.signingKey;
    }

    /** The current commit's CID. */
    get commit() {
      return this.#state.commit;
    }

    /** The current revision. */
    get rev() {
      return this.#state.rev;
    }

    /** The current MST root. */
    get data() {
      return this.#state.data;
    }

    /** The seq of the last event made here (0 until one is, unless `Repo.load` was told). */
    get lastSeq() {
      return this.#state.lastSeq;
    }

    /** Runs `task` after every queued write and export, and before the next ones. */
    #exclusive(task) {
      const run = this.#queue.then(task);
      this.#queue = run.catch(() => {});
      return run;
    }

    /**
     * Writes 1–200 records in one signed commit → `{ commit, rev, since, data, prevData, ops,
     * blocks, frame, seq, time }`. A write that fails for any reason leaves the repository as it
     * was.
     */
    applyWrites(writes, options) {
      return this.#exclusive(async () => {
        if (this.#signer === null) {
          throw new AtproofError('invalid-argument', 'this repository was loaded with { key } only: it cannot sign writes');
        }
        const bytes = this.#state.prepare(writes, options);
        if (this.#state.hasKeypair) return this.#state.finish(undefined);
        let signature;
        try {
          signature = await sign(this.#signer, bytes);
        } catch (error) {
          this.#state.abandon();
          throw error;
        }
        return this.#state.finish(signature);
      });
    }

    /**
     * Applies a `#commit` frame from the network, verified with `key` and required to follow
     * this repository's commit → `{ commit, rev, data, ops }`; or refuses it (`commit-desync`
     * when it does not follow) and changes nothing.
     */
    applyCommit(frame, options) {
      const { key } = optionsOf(options, 'options', AtproofError);
      return this.#exclusive(async () => this.#state.applyCommit(frame, key));
    }

    /**
     * The `#sync` frame of the current commit → `{ frame, seq, time, commit, rev }`: what a PDS
     * emits when an account's repository starts (after its first `#commit`) or starts over, so
     * that consumers take this commit as their state. `seq` (above the last; default one more)
     * is used up, as a write's is.
     */
    syncFrame(options) {
      const { seq, time = new Date().toISOString() } = optionsOf(options, 'options', AtproofError);
      return this.#exclusive(async () => {
        const frame = this.#state.syncFrame(seq, time);
        return { frame, seq: this.#state.lastSeq, time, commit: this.#state.commit, rev: this.#state.rev };
      });
    }

    /** The record at `collection/rkey` → `{ cid, record }`, or null. */
    get(collection, rkey) {
      return this.#state.get(collection, rkey);
    }

    /** The records (of one collection, or all) in key order: `{ collection, rkey, cid, record }`. */
    list(collection) {
      return this.#state.list(collection);
    }

    /** The getRecord proof CAR of `collection/rkey` (verifyRecord accepts it). */
    proof(collection, rkey) {
      return this.#state.proof(collection, rkey);
    }

    /** The whole repository as a CAR in the streaming order (commit, then MST pre-order). */
    exportCar() {
      return this.#state.exportCar();
    }

    /**
     * The export as a ReadableStream of chunks of about `chunkSize` bytes (default 1 MiB), made
     * as they are read. Writes wait until the stream ends or is cancelled.
     */
    exportCarStream(options) {
      const { chunkSize = 1 << 20 } = optionsOf(options, 'options', AtproofError);
      if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 2 ** 31) {
        throw new AtproofError('invalid-argument', 'chunkSize must be an integer from 1 to 2^31');
      }
      const state = this.#state;
      let release;
      let cancelled = false;
      let exporter;
      const acquired = new Promise((resolve) => {
        this.#exclusive(() => new Promise((done) => {
          release = done;
          if (cancelled) done();
          resolve();
        }));
      });
      const finish = () => {
        exporter?.free();
        exporter = undefined;
        release?.();
      };
      return new ReadableStream({
        async pull(controller) {
          await acquired;
          try {
            exporter ??= state.startExport();
            const piece = state.exportPiece(exporter, chunkSize);
            if (piece === undefined) {
              finish();
              controller.close();
            } else {
              controller.enqueue(piece);
            }
          } catch (error) {
            finish();
            throw error;
          }
        },
        cancel() {
          cancelled = true;
          finish();
        },
      }, { highWaterMark: 0 });
    }

    /** Frees the wasm state now (otherwise when the Repo is collected). */
    free() {
      this.#state.free();
    }
  };
}
