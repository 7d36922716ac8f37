// Types of the atproof package. The functions and classes are declared by the generated
// atproof.d.ts (from the Rust sources); this file adds the error class and the init functions.
export * from './atproof.js';
import type { InitInput, InitOutput, SyncInitInput } from './atproof.js';

/**
 * Loads the wasm module synchronously from its bytes or a compiled `WebAssembly.Module` (only
 * `atproof/manual` needs it; every other entry point loads the module itself). Calling it again
 * does nothing.
 */
export declare function initSync(module: SyncInitInput | { module: SyncInitInput }): InitOutput;
/**
 * Loads the wasm module from a URL, a `Response` (or a promise of one), its bytes or a compiled
 * `WebAssembly.Module`; by default it fetches `atproof_bg.wasm` next to the glue. Only
 * `atproof/manual` needs it. Calling it again does nothing.
 */
export declare function init(
  source?: InitInput | Promise<InitInput> | { module_or_path: InitInput | Promise<InitInput> },
): Promise<InitOutput>;

/** Every code an AtproofError may carry (README "Errors" says what each means; a test checks this list against src/error.rs). */
export type AtproofErrorCode =
  | 'invalid-tid'
  | 'invalid-record-key'
  | 'invalid-nsid'
  | 'invalid-did'
  | 'invalid-handle'
  | 'invalid-at-identifier'
  | 'invalid-at-uri'
  | 'invalid-datetime'
  | 'invalid-language'
  | 'invalid-cid'
  | 'invalid-uri'
  | 'invalid-argument'
  | 'limit-exceeded'
  | 'environment'
  | 'invalid-value'
  | 'unsafe-integer'
  | 'instance-released'
  | 'invalid-frame'
  | 'invalid-event'
  | 'commit-mismatch'
  | 'commit-too-big'
  | 'op-mismatch'
  | 'inversion-incomplete'
  | 'inversion-mismatch'
  | 'commit-desync'
  | 'rev-in-future'
  | 'stream-error'
  | 'invalid-saved-state'
  | 'invalid-plc-log'
  | 'invalid-plc-operation'
  | 'plc-late-recovery'
  | 'plc-nullified-mismatch'
  | 'identity-resolution'
  | 'invalid-cbor'
  | 'non-canonical-cbor'
  | 'cbor-truncated'
  | 'cbor-trailing-bytes'
  | 'cbor-map-key-order'
  | 'cbor-duplicate-map-key'
  | 'cbor-non-string-key'
  | 'cbor-indefinite-length'
  | 'cbor-float'
  | 'cbor-simple-value'
  | 'cbor-unsupported-tag'
  | 'cbor-invalid-cid-link'
  | 'cbor-invalid-unicode'
  | 'cbor-integer-range'
  | 'cbor-unexpected-type'
  | 'cid-unsupported'
  | 'cid-mismatch'
  | 'invalid-json'
  | 'json-invalid-link'
  | 'json-invalid-bytes'
  | 'json-float'
  | 'json-integer-range'
  | 'invalid-blob'
  | 'invalid-record-type'
  | 'empty-map-key'
  | 'invalid-did-key'
  | 'invalid-multibase'
  | 'unsupported-key-type'
  | 'invalid-public-key'
  | 'invalid-private-key'
  | 'invalid-signature-format'
  | 'high-s-signature'
  | 'bad-signature'
  | 'invalid-did-document'
  | 'invalid-pds-endpoint'
  | 'did-document-no-signing-key'
  | 'car-invalid-header'
  | 'car-invalid-varint'
  | 'car-truncated'
  | 'car-no-roots'
  | 'car-root-not-commit'
  | 'missing-block'
  | 'mst-invalid'
  | 'mst-invalid-key'
  | 'mst-invalid-link'
  | 'mst-wrong-layer'
  | 'mst-unsorted-keys'
  | 'mst-duplicate-key'
  | 'mst-non-optimal-prefix'
  | 'mst-range-violation'
  | 'mst-empty-top-node'
  | 'mst-empty-node'
  | 'commit-invalid'
  | 'commit-unsupported-version'
  | 'did-mismatch'
  | 'invalid-repo-path'
  | 'record-exists'
  | 'record-not-found'
  | 'duplicate-write'
  | 'rev-not-increasing'
  | 'signer-failed';

/** Every failure of atproof: a real Error with a stable `code` naming the rule that was broken. */
export declare class AtproofError extends Error {
  constructor(code: AtproofErrorCode, message: string, options?: { cause?: unknown });
  readonly name: 'AtproofError';
  /** Stable code, e.g. "invalid-tid", "invalid-cbor", "high-s-signature", "limit-exceeded". */
  readonly code: AtproofErrorCode;
}

/** Timestamp identifiers, as plain functions. */
export declare const Tid: {
  /** A new TID, strictly greater than every TID this process made before. */
  now(): string;
  /** The TID of `micros` µs since the epoch with clock id `clockId` (0–1023). */
  fromTime(micros: number | bigint, clockId: number): string;
  /** The timestamp and clock id of a TID string. */
  parse(value: string): import('./atproof.js').TidParts;
};

/** A CID link in a decoded value (DRISL tag 42). `JSON.stringify` gives atproto JSON: `{"$link": "bafy…"}`. */
export declare class CidLink {
  /** Wraps a CID string (anything else throws `invalid-argument`); `encodeCbor` checks its syntax. */
  constructor(cid: string);
  /** The CID string (base32, "bafy…"). */
  readonly $link: string;
  toString(): string;
  toJSON(): { $link: string };
}

/** Any source of CAR bytes: a ReadableStream (fetch().body), a Response, or an (async) iterable of chunks. */
export type ByteSource = ReadableStream<Uint8Array> | Response | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Reads a CAR as it arrives, yielding each block (hash-checked) without holding the whole file. */
export declare function readCarStream(
  source: ByteSource,
  onRoots?: (roots: string[]) => void,
): AsyncGenerator<{ cid: string; bytes: Uint8Array }, void, undefined>;

/** Verifies a repository CAR as it arrives; resolves to what verifyRepo returns. */
export declare function verifyRepoStream(
  source: ByteSource,
  options?: import('./atproof.js').VerifyRepoOptions,
  onProgress?: (progress: import('./atproof.js').StreamProgress) => void,
): Promise<import('./atproof.js').VerifiedRepo>;

/**
 * A new instance of the whole API with a wasm memory of its own, from `module` (a
 * WebAssembly.Module, or the bytes of atproof_bg.wasm), plus `release()`. WebAssembly memory grows
 * to the peak of the largest call and never shrinks: run large jobs in an instance of their own and
 * release it to give the memory back. After `release()` every call on the instance and on the
 * objects it made throws `instance-released`. Needs the package's files as ES modules (Node, Deno,
 * Bun, browsers without a bundler).
 */
export declare function createInstance(
  module: WebAssembly.Module | BufferSource,
): Promise<AtproofInstance>;

/** An instance made by createInstance: the whole API, and release(). */
export type AtproofInstance = Omit<typeof import('./index.js'), 'init' | 'initSync'> & {
  /** Drops the instance and its wasm memory; every later call on it throws `instance-released`. */
  release(): void;
};

/**
 * A whole event stream verified: each account's continuity (last rev and data root, in wasm
 * memory), signing keys resolved with `resolveKey` and cached, a failed signature retried once
 * with a freshly resolved key, `#identity` dropping the cached key.
 */
export declare class FirehoseVerifier {
  constructor(options: {
    /** The account's signing key (did:key) — or what resolveIdentity gives — or a promise of either. */
    resolveKey: (did: string) => string | { signingKey: string | null } | Promise<string | { signingKey: string | null }>;
    /** Accounts tracked at most (the least recently seen are forgotten); default 1,000,000. */
    maxAccounts?: number;
    /** How far in the future a rev may be; default 300,000 (5 minutes). */
    clockDriftMs?: number;
    /** A #commit without prevData (before sync 1.1) is invalid (inversion-incomplete), not valid with inverted: false; default false. */
    requirePrevData?: boolean;
    /** A state `saveState()` made, to go on from (after a restart): see restoreState. */
    state?: Uint8Array;
  });
  /** The number of accounts whose continuity is tracked. */
  readonly accounts: number;
  /** The seq of the last event that was not invalid (the cursor to resume from), or undefined. */
  readonly lastSeq: number | undefined;
  /** The accounts' continuity and the last seq as bytes (44 a tracked account), for restoreState after a restart. */
  saveState(): Uint8Array;
  /** Goes on from a state saveState made (invalid-saved-state for anything else; nothing changes then). */
  restoreState(state: Uint8Array): void;
  /** Verifies one frame (the bytes of one WebSocket message) against the stream so far. */
  process(frame: Uint8Array): Promise<import('./atproof.js').FirehoseEvent>;
  /**
   * Makes the account's continuity follow this commit from now on (its repository just fetched and
   * verified, say after a desync: verifyRepo gives `rev` and `data`); its next commit is checked against it.
   */
  follow(did: string, commit: { rev: string; data: string }): void;
  /** Forgets the account's continuity: its next commit is verified without it. */
  forget(did: string): void;
  /** Frees the wasm state now. */
  free(): void;
}

/** Options of subscribeRepos. */
export interface SubscribeReposOptions {
  /** The account's signing key (did:key) — or what resolveIdentity gives — or a promise of either (not needed with `verifier`). */
  resolveKey?: (did: string) => string | { signingKey: string | null } | Promise<string | { signingKey: string | null }>;
  /** Start after this seq (the server sends the events after it). */
  cursor?: number;
  /** A WebSocket constructor (Node 20 has none: pass the ws package's). */
  WebSocket?: unknown;
  /** Ends the iteration. */
  signal?: AbortSignal;
  /** As FirehoseVerifier's (when no `verifier` is given). */
  maxAccounts?: number;
  clockDriftMs?: number;
  requirePrevData?: boolean;
  /** Messages waiting unread before the connection is closed and resumed later; default 1,000. */
  highWaterMark?: number;
  /** Reconnection backoff; default { initialMs: 250, maxMs: 30000 }. */
  backoff?: { initialMs: number; maxMs: number };
  /** Retries after a connection that failed before opening: when as many in a row fail too, the iteration ends (stream-error); 0 = no retry; default Infinity. */
  maxRetries?: number;
  /** An existing FirehoseVerifier to continue (its accounts' continuity); not freed at the end. */
  verifier?: FirehoseVerifier;
}

/**
 * com.atproto.sync.subscribeRepos at `url`, every message verified by a FirehoseVerifier: its
 * results in order, each exactly once, reconnecting from the last processed seq.
 */
export declare function subscribeRepos(
  url: string,
  options: SubscribeReposOptions,
): AsyncGenerator<import('./atproof.js').FirehoseEvent, void, undefined>;

/** Options of resolveIdentity: the services and the network, all replaceable. */
export interface ResolveIdentityOptions {
  /** Default the global fetch. */
  fetch?: typeof fetch;
  /** Default https://plc.directory. */
  plcDirectory?: string;
  /** A DNS-over-HTTPS JSON endpoint; default https://cloudflare-dns.com/dns-query. */
  dohUrl?: string;
  /** Where a host's /.well-known files are fetched; default (host) => `https://${host}`. */
  hostUrl?: (host: string) => string;
  /** Per request; default 10,000. */
  timeoutMs?: number;
  /** Per response; default 1 MiB. */
  maxBytes?: number;
  /** Re-derive a did:plc document from its verified audit log instead of taking the directory's. */
  verifyPlcLog?: boolean;
}

/** A resolved identity. */
export interface ResolvedIdentity {
  did: string;
  handle: string | null;
  /** Whether the handle and the DID name each other. */
  handleVerified: boolean;
  signingKey: string | null;
  pds: string | null;
  document: Record<string, unknown>;
}

/** Resolves a handle or a DID: the DID, its document, its signing key and PDS, the handle checked both ways. */
export declare function resolveIdentity(handleOrDid: string, options?: ResolveIdentityOptions): Promise<ResolvedIdentity>;

/** Options of Repo.create: the DID, and the key that signs (a Keypair, or any Signer). */
export interface RepoCreateOptions {
  did: string;
  keypair?: import('./atproof.js').Keypair;
  signer?: import('./atproof.js').Signer;
  /** The first commit's revision; default now. */
  rev?: string;
}

/**
 * Options of Repo.load: the key that must have signed the CAR and signs from now on (`keypair` or
 * `signer`), or only the key it must have been signed with (`key`, a did:key: a read-only replica).
 */
export interface RepoLoadOptions {
  keypair?: import('./atproof.js').Keypair;
  signer?: import('./atproof.js').Signer;
  /** A did:key, for a replica that applies commits from the network but writes none. */
  key?: string;
  /** The DID the commit must name. */
  did?: string;
  /** The seq of the last event already emitted for this account; the next default is one more. */
  seq?: number;
}

/**
 * A repository written where its key is: its blocks in wasm memory, each write a signed commit
 * with the `#commit` frame a PDS would emit, exports, proofs, and replicas kept current from the
 * firehose. Writes run one at a time; a failed one changes nothing.
 */
export declare class Repo {
  private constructor();
  /** A new, empty repository of `did`, its first commit signed by `keypair` or `signer`. */
  static create(options: RepoCreateOptions): Promise<Repo>;
  /** A repository loaded from a CAR, verified as verifyRepo does with the signer's key (or `key`). */
  static load(car: Uint8Array, options: RepoLoadOptions): Promise<Repo>;
  readonly did: string;
  /** The signing key, as a did:key. */
  readonly signingKey: string;
  /** The current commit's CID. */
  readonly commit: string;
  readonly rev: string;
  /** The current MST root. */
  readonly data: string;
  /** The seq of the last event made here (0 until one is, unless Repo.load was given `seq`). */
  readonly lastSeq: number;
  /** Writes 1–200 records in one signed commit (refused for a repository loaded with `{ key }`). */
  applyWrites(
    writes: import('./atproof.js').RepoWrite[],
    options?: import('./atproof.js').ApplyWritesOptions,
  ): Promise<import('./atproof.js').WrittenCommit>;
  /** The `#sync` frame of the current commit, at the next seq (or `seq`, above the last). */
  syncFrame(options?: import('./atproof.js').SyncFrameOptions): Promise<import('./atproof.js').SyncFrameMade>;
  /** Applies a verified `#commit` frame from the network that follows this repository's commit. */
  applyCommit(frame: Uint8Array, options: { key: string }): Promise<import('./atproof.js').AppliedCommit>;
  /** The record at `collection/rkey`, or null. */
  get(collection: string, rkey: string): { cid: string; record: unknown } | null;
  /** The records (of one collection, or all) in key order. */
  list(collection?: string): { collection: string; rkey: string; cid: string; record: unknown }[];
  /** The getRecord proof CAR of `collection/rkey`. */
  proof(collection: string, rkey: string): Uint8Array;
  /** The whole repository as a CAR in the streaming order. */
  exportCar(): Uint8Array;
  /** The export as a stream of chunks made as they are read; writes wait until it ends. */
  exportCarStream(options?: { chunkSize?: number }): ReadableStream<Uint8Array>;
  /** Frees the wasm state now. */
  free(): void;
}
