// Builds JS values from the flat description ("tape") that the wasm side writes while it decodes
// DRISL (see data_model.rs for the format). One call per decode (of one value or many): the wasm
// side hands over where its op buffer and input copy are in its memory, and all new strings as two
// JS strings, the ASCII ones and the others (each decoded from UTF-8 once).
// Map keys and other repeated short strings are interned: the wasm side numbers them, and this
// module keeps the JS strings in `interned`, so each is decoded once per process, not per value.
// Several wasm instances may share this module (createInstance() in the package makes more): each
// registers its memory once and passes its id with every call, and the memory, its views and the
// intern table in use are that instance's (see useInstance).

import { AtproofError } from './error.js';

/** A CID link in a decoded value (DRISL tag 42). `JSON.stringify` gives atproto JSON: {"$link": …}. */
export class CidLink {
  /** @param {string} cid the CID string (base32, "bafy…"); its syntax is checked where it is used */
  constructor(cid) {
    if (typeof cid !== 'string') throw new AtproofError('invalid-argument', `a CidLink wraps a CID string, not ${typeof cid}`);
    this.$link = cid;
  }
  toString() {
    return this.$link;
  }
  toJSON() {
    return { $link: this.$link };
  }
}

/** Per wasm instance: its memory (weakly: a dropped instance's memory must be freed) and intern table. */
const instances = [];
let current = -1;
let interned = [];
let memory = null;
let words = new Uint32Array(0);
let bytes = new Uint8Array(0);

/** Called once by each wasm instance with its WebAssembly.Memory; returns the instance's id. */
export function registerInstance(wasmMemory) {
  instances.push({ memory: new WeakRef(wasmMemory), interned: [] });
  return instances.length - 1;
}

/**
 * Forgets a released instance's memory (createInstance().release() in the package): the views of it
 * and its intern table are dropped, so that nothing here keeps the memory alive.
 */
export function forgetInstance(wasmMemory) {
  for (const [id, instance] of instances.entries()) {
    if (instance.memory.deref() === wasmMemory) {
      instance.interned = [];
      if (id === current) {
        current = -1;
        memory = null;
        interned = [];
        bytes = new Uint8Array(0);
        words = new Uint32Array(0);
        nodeBytes = null;
      }
    }
  }
}

/** Makes instance `id`'s memory and intern table the ones in use. */
function useInstance(id) {
  if (id === current) return;
  const instance = instances[id];
  memory = instance.memory.deref();
  interned = instance.interned;
  bytes = new Uint8Array(0); // the views are remade from the new memory (refreshViews)
  current = id;
}

// Copying arguments in: the intrinsic TypedArray methods, which no subclass or user code can change.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const call = Function.prototype.call;
/** byteLengthOf(array), setBytes(target, source, offset): the intrinsics, as plain functions. */
const byteLengthOf = call.bind(Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteLength').get);
const setBytes = call.bind(typedArrayPrototype.set);

/** The current views of the wasm memory: new ones after it grew (which detaches the old buffer). */
function refreshViews() {
  if (bytes.length === 0) {
    words = new Uint32Array(memory.buffer);
    bytes = new Uint8Array(memory.buffer);
    nodeBytes = NodeBuffer === null ? null : NodeBuffer.from(memory.buffer);
  }
}

// Decoding the ASCII text: any Latin-1 decoder gives the same string for ASCII, and the fastest one
// differs. Node's and Bun's Buffer copies bytes into a one-byte string at memcpy speed (several
// times its TextDecoder's); Chromium's windows-1252 TextDecoder is faster than its UTF-8 one.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const latin1 = (() => {
  try {
    return new TextDecoder('latin1');
  } catch {
    return utf8; // a runtime without it: UTF-8 is right for ASCII too
  }
})();
const NodeBuffer = typeof Buffer === 'function' && typeof Buffer.prototype?.latin1Slice === 'function' ? Buffer : null;
let nodeBytes = null;

/**
 * Whether the ASCII strings of a text of `length` bytes are better made one by one with Node's
 * latin1Slice than cut from one decoded text. Strings cut from a text keep all of it alive, and a
 * small text (one record's) is a young object: V8's scavenges, which copy what survives, then cost
 * twice as much, and making its strings one by one is faster (docs/performance.md). A large text
 * is allocated outside the young generation and decoded at once; one call per string would be
 * slower.
 * Browsers have no cheap call per string (each TextDecoder call has a fixed cost in Chromium).
 */
function cutsAscii(length) {
  return nodeBytes !== null && length <= 16384;
}

function decodeAscii(address, length) {
  if (nodeBytes !== null) return nodeBytes.latin1Slice(address, address + length);
  return latin1.decode(bytes.subarray(address, address + length));
}

/** The string of a view of ASCII bytes (any length), by the fastest Latin-1 decoder at hand. */
export function asciiString(view) {
  if (NodeBuffer !== null) {
    return NodeBuffer.from(view.buffer, view.byteOffset, view.length).latin1Slice(0, view.length);
  }
  return latin1.decode(view);
}

/**
 * Copies the Uint8Array `value` to the memory of wasm instance `instance` at `address` if its length
 * is at most `capacity`.
 * Returns its length (copied or not), -1 if it is not a Uint8Array, -2 if its `length` is not its
 * real length. `length` is read as a property, as before: a subclass's getter runs and may throw.
 */
export function copyBytes(instance, value, address, capacity) {
  if (!(value instanceof Uint8Array)) return -1;
  const n = value.length;
  if (n !== byteLengthOf(value)) return -2;
  if (n <= capacity) {
    // The getter may have run code that grew the memory, or called another instance.
    useInstance(instance);
    refreshViews();
    setBytes(bytes, value, address);
  }
  return n;
}

// The blocks of the decodeCborMany call in progress, from gatherBlocks to copyBlocks (only wasm
// code runs in between, so no other call can come between them).
let gathered = null;

/**
 * decodeCborMany, first half: checks `count` blocks and returns their total length; or -(2i + 1)
 * if blocks[i] is not a Uint8Array, -(2i + 2) if it is over `maxBlock` bytes or the total goes over
 * `maxTotal`.
 */
export function gatherBlocks(blocks, count, maxBlock, maxTotal) {
  const list = new Array(count);
  const lengths = new Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const block = blocks[i];
    if (!(block instanceof Uint8Array)) return -(2 * i + 1);
    const n = byteLengthOf(block);
    total += n;
    if (n > maxBlock || total > maxTotal) return -(2 * i + 2);
    list[i] = block;
    lengths[i] = n;
  }
  gathered = { list, lengths, total };
  return total;
}

/**
 * decodeCborMany, second half: copies the gathered blocks one after the other to `address` (in the
 * memory of wasm instance `instance`) and
 * their end offsets (u32) to `endsAddress`. Returns -1, or the index of a block whose length changed
 * since gatherBlocks (code run by a later block's getter can detach an earlier block's buffer).
 */
export function copyBlocks(instance, address, endsAddress) {
  const { list, lengths } = gathered;
  gathered = null;
  useInstance(instance);
  refreshViews();
  let at = 0;
  const ends = endsAddress >>> 2;
  for (let i = 0; i < list.length; i++) {
    const n = lengths[i];
    if (byteLengthOf(list[i]) !== n) return i;
    setBytes(bytes, list[i], address + at);
    at += n;
    words[ends + i] = at;
  }
  return -1;
}

// Op codes: keep in sync with `Op` in data_model.rs.
const NULL = 0, TRUE = 1, FALSE = 2, INT32 = 3, INT53 = 4, INT64 = 5, STRING = 6, INTERNED = 7,
  INTERN = 8, BYTES = 9, LINK = 10, ARRAY = 11, MAP = 12, WIDE_STRING = 13, INTERN_WIDE = 14;

let failure;

/**
 * Builds `count` values (or one value when `count` is -1) from the tape at byte address `opsAddress`
 * in the memory of wasm instance `instance`; byte strings are copied out of the input copy at
 * `inputAddress`. Returns undefined
 * if JS code run while building (a setter on Object.prototype) threw: the wasm side then takes the
 * exception with takeFailure() and rethrows it after putting its buffers back, so that no exception
 * ever crosses the wasm frames.
 */
export function materialize(instance, opsAddress, asciiAddress, asciiLength, wideAddress, wideLength, inputAddress, count) {
  try {
    useInstance(instance);
    refreshViews();
    // null: the ASCII strings are cut from wasm memory one by one (see cutsAscii)
    const text = cutsAscii(asciiLength) ? null : asciiLength === 0 ? '' : decodeAscii(asciiAddress, asciiLength);
    const wide = wideLength === 0 ? '' : utf8.decode(bytes.subarray(wideAddress, wideAddress + wideLength));
    return build(opsAddress, text, asciiAddress, wide, inputAddress, count);
  } catch (e) {
    failure = e;
    return undefined;
  }
}

/** The exception caught by the last materialize() that returned undefined. */
export function takeFailure() {
  const e = failure;
  failure = undefined;
  return e;
}

// The state of the build in progress, in module variables rather than in closures made per build
// (measurably faster in Node and Chromium: docs/performance.md).
// JS code run by a build (a setter on Object.prototype) may start another one: materialize() saves
// and restores them around each build.
let ops = words, at = 0, text = '', asciiBase = 0, wide = '', input = 0;

function build(opsAddress, asciiText, asciiAddress, wideText, inputAddress, count) {
  const savedInstance = current;
  const savedOps = ops, savedAt = at, savedText = text, savedBase = asciiBase, savedWide = wide, savedInput = input;
  ops = words;
  at = opsAddress >>> 2;
  text = asciiText;
  asciiBase = asciiAddress;
  wide = wideText;
  input = inputAddress;
  try {
    if (count === -1) return value();
    const values = new Array(count);
    for (let i = 0; i < count; i++) values[i] = value();
    return values;
  } finally {
    // A build run meanwhile may have been another instance's, or grown the memory, detaching the
    // views of the outer one.
    useInstance(savedInstance);
    refreshViews();
    ops = savedOps.length === 0 ? words : savedOps;
    at = savedAt;
    text = savedText;
    asciiBase = savedBase;
    wide = savedWide;
    input = savedInput;
  }
}

/** The ASCII string at [start, end) of the text. */
function ascii(start, end) {
  return text === null ? nodeBytes.latin1Slice(asciiBase + start, asciiBase + end) : text.substring(start, end);
}

function string(op) {
  if (op === INTERNED) return interned[ops[at++]];
  if (op === STRING) return ascii(ops[at++], ops[at++]);
  if (op === WIDE_STRING) return wide.substring(ops[at++], ops[at++]);
  const id = ops[at++];
  const s = op === INTERN ? ascii(ops[at++], ops[at++]) : wide.substring(ops[at++], ops[at++]);
  interned[id] = s;
  return s;
}

function value() {
  const op = ops[at++];
  switch (op) {
    case NULL: return null;
    case TRUE: return true;
    case FALSE: return false;
    case INT32: return ops[at++] | 0;
    case INT53: at += 2; return (ops[at - 1] | 0) * 4294967296 + ops[at - 2];
    case INT64: at += 2; return BigInt.asIntN(64, (BigInt(ops[at - 1]) << 32n) | BigInt(ops[at - 2]));
    case BYTES: at += 2; return bytes.slice(input + ops[at - 2], input + ops[at - 2] + ops[at - 1]);
    case LINK: at += 2; return new CidLink(ascii(ops[at - 2], ops[at - 1]));
    case ARRAY: {
      const n = ops[at++];
      const array = new Array(n);
      for (let i = 0; i < n; i++) array[i] = value();
      return array;
    }
    case MAP: {
      const n = ops[at++];
      const object = {};
      for (let i = 0; i < n; i++) {
        const k = ops[at++];
        const key = k === INTERNED ? interned[ops[at++]] : string(k);
        if (key === '__proto__') Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        else object[key] = value();
      }
      return object;
    }
    default: return string(op); // the strings
  }
}

// A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` is well-formed UTF-16 (no lone surrogate): one call, not one per character. */
export function isWellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !LONE_SURROGATE.test(s);
}
