// Streaming conveniences over the wasm classes CarReader and RepoVerifier: feed them from a
// ReadableStream (fetch().body), a Response, or any (async) iterable of Uint8Array chunks, such as
// a Node.js stream. Made for one instance's classes (core.js: the package's; createInstance: a
// fresh instance's).

/**
 * The chunks of a source. A consumer that stops early or fails cancels it (a fetch body stops
 * downloading): a ReadableStream is cancelled, an iterable's iterator is returned. Anything else
 * is refused with an `AtproofError` (the instance's class) of code `invalid-argument`.
 */
async function* chunks(source, AtproofError) {
  if (source && typeof source.arrayBuffer === 'function' && source.body !== undefined) source = source.body; // Response
  if (source && typeof source.getReader === 'function') {
    const reader = source.getReader();
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          return;
        }
        yield value;
      }
    } finally {
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }
  if (source && (typeof source[Symbol.asyncIterator] === 'function' || typeof source[Symbol.iterator] === 'function')) {
    yield* source;
    return;
  }
  throw new AtproofError('invalid-argument', 'expected a ReadableStream, a Response or an iterable of Uint8Array chunks');
}

/** readCarStream and verifyRepoStream over the given CarReader and RepoVerifier classes. */
export function makeStreams({ CarReader, RepoVerifier, AtproofError }) {
  /**
   * Reads a CAR as it arrives, yielding `{ cid, bytes }` for each block (hash-checked) without
   * holding the whole file. `onRoots(roots)` is called once the header is read.
   */
  async function* readCarStream(source, onRoots) {
    const reader = new CarReader();
    let rootsSeen = false;
    try {
      for await (const chunk of chunks(source, AtproofError)) {
        const blocks = reader.push(chunk);
        if (!rootsSeen && reader.roots !== undefined) {
          rootsSeen = true;
          onRoots?.(reader.roots);
        }
        yield* blocks;
      }
      reader.finish();
    } finally {
      reader.free();
    }
  }

  /**
   * Verifies a repository CAR as it arrives (see RepoVerifier): calls `onProgress({ blocks, bytes })`
   * after each chunk, and resolves to what verifyRepo returns.
   */
  async function verifyRepoStream(source, options, onProgress) {
    const verifier = new RepoVerifier(options);
    try {
      for await (const chunk of chunks(source, AtproofError)) {
        const progress = verifier.push(chunk);
        onProgress?.(progress);
      }
      return verifier.finish();
    } finally {
      verifier.free();
    }
  }

  return { readCarStream, verifyRepoStream };
}
