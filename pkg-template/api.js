// What both builds' entry points (core.js: the whole API; verify-core.js: atproof/verify) add around
// a wasm-bindgen glue: the JS-side API made from the glue's classes, and createInstance.
import { makeStreams } from './streams.js';
import { makeFirehose } from './firehose.js';
import { makeSubscribe } from './subscribe.js';
import { AtproofError } from '__BINDINGS__/error.js';
import { CidLink, forgetInstance } from '__BINDINGS__/values.js';
import { RepoRecords } from '__BINDINGS__/repo.js';

export { AtproofError, CidLink, RepoRecords };

/** The verification API made in JS around a glue (streams, the firehose, Tid), for both builds. */
export function makeVerifyApi(glue) {
  const FirehoseVerifier = makeFirehose({ ...glue, AtproofError });
  return {
    ...makeStreams({ ...glue, AtproofError }),
    FirehoseVerifier,
    subscribeRepos: makeSubscribe({ FirehoseVerifier, AtproofError }),
    Tid: tidFunctions(glue.Tid),
  };
}

/** The last TID that `Tid.now()` gave in this process, whatever the instance or build. */
let lastTid = '';

/**
 * Tid as plain functions: the wasm class has only static methods, and as a class it would show
 * instances' `free()` to users who never make one. Each instance keeps its own clock, so `now()`
 * is made strictly increasing across instances here (TIDs sort as strings): one that is not above
 * the last given becomes the one a microsecond after it.
 */
function tidFunctions(TidClass) {
  return Object.freeze({
    now() {
      let tid = TidClass.now();
      if (tid <= lastTid) {
        const { micros, clockId } = TidClass.parse(lastTid);
        tid = TidClass.fromTime(BigInt(micros) + 1n, clockId);
      }
      lastTid = tid;
      return tid;
    },
    fromTime: (micros, clockId) => TidClass.fromTime(micros, clockId),
    parse: (value) => TidClass.parse(value),
  });
}

/**
 * The contract's init functions over a glue's: `initSync(bytesOrModule)` and
 * `await init(urlOrResponse?)`, as well as the glue's own `{ module }` and `{ module_or_path }`
 * forms (it warns on the console about the direct ones).
 */
export function makeInit(glue) {
  const isOptions = (value) => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  return {
    initSync: (module) => glue.initSync(isOptions(module) ? module : { module }),
    init: (source) => glue.default(source === undefined || isOptions(source) ? source : { module_or_path: source }),
  };
}

let instances = 0;

/** What a released instance's glue calls instead of its wasm: every call throws, freeing does nothing. */
const releasedInstance = new Proxy({}, {
  get(_, name) {
    // Objects of the released instance may still be collected; their finalizers free nothing.
    if (typeof name === 'string' && name.endsWith('_free')) return () => {};
    throw new AtproofError('instance-released', 'this atproof instance was released');
  },
});

/**
 * createInstance for the build whose glue is `glueFile` (next to this file) and whose JS-side API
 * `assemble(glue)` makes.
 *
 * A new instance of the whole API with a wasm memory of its own, from `module` (a
 * WebAssembly.Module, or the bytes of the build's .wasm), plus `release()`. WebAssembly memory
 * grows to the peak of the largest call and never shrinks: run large jobs in an instance of their
 * own and release it to give the memory back. After `release()` every call on the instance and on
 * the objects it made throws `instance-released`. Instances share no state. Needs the package's
 * files as ES modules (Node, Deno, Bun, browsers without a bundler): it imports the glue again
 * under a new URL (ES modules are never unloaded, so each instance costs its glue's few kilobytes
 * for good).
 */
export function makeCreateInstance(glueFile, assemble) {
  return async function createInstance(module) {
    // Not `new URL(…, import.meta.url)`: bundlers rewrite that pattern.
    const url = `${import.meta.url.replace(/[^/]*$/, '')}${glueFile}?instance=${++instances}`;
    if (!(module instanceof WebAssembly.Module || module instanceof ArrayBuffer || ArrayBuffer.isView(module))) {
      throw new AtproofError('invalid-argument', 'createInstance needs a WebAssembly.Module or the bytes of the build\'s .wasm');
    }
    const glue = await import(/* @vite-ignore */ url);
    let instance;
    try {
      instance = glue.initSync({ module });
    } catch (error) {
      throw new AtproofError('invalid-argument', `not this build's WebAssembly module: ${error?.message ?? error}`, { cause: error });
    }
    // Weakly: the instance object must not keep the memory alive once released.
    const memory = new WeakRef(instance.memory);
    const { default: _init, initSync, ...api } = glue;
    const release = () => {
      const released = memory.deref();
      initSync[Symbol.for('atproof.release')](releasedInstance);
      if (released !== undefined) forgetInstance(released);
    };
    return Object.freeze({ ...api, ...assemble(glue), AtproofError, CidLink, RepoRecords, createInstance, release });
  };
}
