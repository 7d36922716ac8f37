// Stand-in for every Node built-in that @did-plc/lib's dist require()s, in the Chromium bundle.
//
// crypto is real: createHash('sha256' | 'sha512') (synchronous, as multiformats' Node hasher and
// @atproto/common need it) from @noble/hashes (1.8.0 in package-lock.json, there for the pinned
// @atproto/crypto and @noble/curves), webcrypto = the page's WebCrypto (P-256
// verification in @atproto/crypto 0.1.0), randomBytes from getRandomValues.
// Everything else (fs, stream, http, worker_threads, pino's and axios's needs) is an inert object
// whose members can be read, extended and called at load time; calling one of them does nothing and
// returns another such object. The verification paths measured never reach them: a wrong result
// there fails the run's check.
import { sha256, sha512 } from '@noble/hashes/sha2';

const HASHES = { sha256, sha512 };
export function createHash(name) {
  const fn = HASHES[name];
  if (!fn) throw new Error(`createHash(${name}) is not available in the browser bundle`);
  const h = fn.create();
  const hash = {
    update(data) { h.update(typeof data === 'string' ? new TextEncoder().encode(data) : data); return hash; },
    digest() { return h.digest(); },
  };
  return hash;
}
export const webcrypto = globalThis.crypto;
export const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/** A minimal EventEmitter (pino's logger class extends it). */
export class EventEmitter {
  on(event, fn) { (this._events ??= new Map()).set(event, [...(this._events.get(event) ?? []), fn]); return this; }
  once(event, fn) { const once = (...a) => { this.off(event, once); fn(...a); }; return this.on(event, once); }
  off(event, fn) { this._events?.set(event, (this._events.get(event) ?? []).filter((f) => f !== fn)); return this; }
  removeListener(event, fn) { return this.off(event, fn); }
  removeAllListeners(event) { if (event === undefined) this._events?.clear(); else this._events?.delete(event); return this; }
  emit(event, ...args) { const fns = this._events?.get(event) ?? []; for (const f of fns) f.apply(this, args); return fns.length > 0; }
  listeners(event) { return [...(this._events?.get(event) ?? [])]; }
  listenerCount(event) { return this._events?.get(event)?.length ?? 0; }
  setMaxListeners() { return this; }
  getMaxListeners() { return 10; }
}
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.defaultMaxListeners = 10;

function inherits(ctor, superCtor) {
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  Object.setPrototypeOf(ctor, superCtor);
}

function inert(name) {
  const target = function () {};
  return new Proxy(target, {
    get(t, key) {
      if (key === 'then' || key === Symbol.toPrimitive) return undefined;
      if (key === 'prototype') return t.prototype;
      if (typeof key === 'symbol') return undefined;
      return inert(`${name}.${key}`);
    },
    apply: () => inert(`${name}()`),
    construct: () => ({}),
  });
}

/** What `require(name)` gives for a built-in other than crypto. */
export function builtin(name) {
  if (name === 'events') return EventEmitter;
  const real = name === 'util' ? { inherits, TextEncoder, TextDecoder } : {};
  const stand = inert(name);
  return new Proxy(real, { get: (t, key) => (key in t ? t[key] : stand[key]) });
}
