// Types of atproof/verify, the verify-only build: its functions and classes are declared by the
// generated atproof_verify.d.ts; what the JS side adds is declared once, in index.d.ts.
export * from './atproof_verify.js';
import type { InitInput, InitOutput, SyncInitInput } from './atproof_verify.js';

/** As the full build's `initSync`, for atproof_verify_bg.wasm (`atproof/verify/manual`). */
export declare function initSync(module: SyncInitInput | { module: SyncInitInput }): InitOutput;
/** As the full build's `init`, for atproof_verify_bg.wasm (`atproof/verify/manual`). */
export declare function init(
  source?: InitInput | Promise<InitInput> | { module_or_path: InitInput | Promise<InitInput> },
): Promise<InitOutput>;
export type { AtproofErrorCode, ByteSource, SubscribeReposOptions } from './index.js';
export { AtproofError, Tid, CidLink, readCarStream, verifyRepoStream, FirehoseVerifier, subscribeRepos } from './index.js';

/**
 * A new instance of atproof/verify with a wasm memory of its own, from `module` (a
 * WebAssembly.Module, or the bytes of atproof_verify_bg.wasm), plus `release()`: as the full
 * build's createInstance.
 */
export declare function createInstance(
  module: WebAssembly.Module | BufferSource,
): Promise<AtproofVerifyInstance>;

/** An instance made by atproof/verify's createInstance: its whole API, and release(). */
export type AtproofVerifyInstance = Omit<typeof import('./verify.js'), 'init' | 'initSync'> & {
  /** Drops the instance and its wasm memory; every later call on it throws `instance-released`. */
  release(): void;
};
