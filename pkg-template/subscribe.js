// subscribeRepos: com.atproto.sync.subscribeRepos over a WebSocket, every message verified by a
// FirehoseVerifier, as an async iterator. Made for one instance's FirehoseVerifier and error class.
//
// Backpressure: a WebSocket in the browser cannot be paused, so when the consumer falls
// `highWaterMark` messages behind, the connection is closed and opened again from the last
// processed seq once the consumer has caught up (a relay keeps a window of past events for
// exactly this; one that cannot serve the cursor any more says so with #info OutdatedCursor).

import { optionsOf } from './options.js';

const SUBSCRIBE_PATH = '/xrpc/com.atproto.sync.subscribeRepos';

/** The subscribeRepos function over the given FirehoseVerifier and AtproofError classes. */
export function makeSubscribe({ FirehoseVerifier, AtproofError }) {
  /**
   * Opens the stream at `url` (a relay or PDS: wss://host, with or without the XRPC path) and
   * yields what FirehoseVerifier.process says of each message, in order, each exactly once;
   * reconnects with exponential backoff from the last processed seq when the connection drops; ends
   * when `signal` aborts. An error frame from the server (FutureCursor, ConsumerTooSlow, …) ends
   * the iteration with an AtproofError (`stream-error`; `serverError` holds the name), and so does
   * a connection that fails before opening once `maxRetries` retries in a row have failed too.
   * `verifier` continues an existing FirehoseVerifier (its accounts' continuity; it is not freed at
   * the end).
   */
  return async function* subscribeRepos(url, options) {
    const {
      cursor,
      resolveKey,
      WebSocket: Socket = globalThis.WebSocket,
      signal,
      maxAccounts,
      clockDriftMs,
      requirePrevData,
      highWaterMark = 1000,
      backoff = { initialMs: 250, maxMs: 30_000 },
      maxRetries = Infinity,
      verifier: given,
    } = optionsOf(options, 'options', AtproofError);
    if (typeof Socket !== 'function') {
      throw new AtproofError('invalid-argument', 'no WebSocket in this runtime: pass one as options.WebSocket (for example the ws package\'s)');
    }
    if (given !== undefined && !(given instanceof FirehoseVerifier)) {
      throw new AtproofError('invalid-argument', 'options.verifier must be a FirehoseVerifier of the same atproof instance');
    }
    let base;
    try {
      base = new URL(url);
    } catch {
      throw new AtproofError('invalid-argument', `not a URL: ${String(url).slice(0, 200)}`);
    }
    const verifier = given ?? new FirehoseVerifier({ resolveKey, maxAccounts, clockDriftMs, requirePrevData });
    let lastSeq = cursor;
    // Connections in a row that closed before opening.
    let failures = 0;
    try {
      while (!signal?.aborted) {
        const queue = [];
        let wake = null;
        let closed = false;
        let overflowed = false;
        const notify = () => {
          const w = wake;
          wake = null;
          w?.();
        };
        const target = new URL(base);
        if (!target.pathname.endsWith(SUBSCRIBE_PATH)) target.pathname = target.pathname.replace(/\/$/, '') + SUBSCRIBE_PATH;
        if (lastSeq !== undefined) target.searchParams.set('cursor', String(lastSeq));
        const socket = new Socket(target.href);
        socket.binaryType = 'arraybuffer';
        let opened = false;
        socket.onopen = () => { opened = true; failures = 0; };
        socket.onmessage = (message) => {
          if (overflowed) return;
          queue.push(new Uint8Array(message.data));
          if (queue.length >= highWaterMark) {
            // Stop reading: drop this connection, keep what arrived, reconnect from it later.
            overflowed = true;
            socket.close();
          }
          notify();
        };
        // An error ends the connection too: Node 20's WebSocket (undici) fires `error` and no
        // `close` when the connection cannot be made, and would leave this loop waiting for ever.
        socket.onclose = socket.onerror = () => { closed = true; notify(); };
        const onAbort = () => { socket.close(); notify(); };
        signal?.addEventListener('abort', onAbort);
        try {
          for (;;) {
            if (queue.length === 0) {
              if (closed || signal?.aborted) break;
              await new Promise((resolve) => { wake = resolve; });
              continue;
            }
            const result = await verifier.process(queue.shift());
            if (result.type === 'error') {
              const error = new AtproofError('stream-error', result.error?.message ?? 'the server sent an error');
              error.serverError = /sent (\w+)/.exec(result.error?.message ?? '')?.[1];
              throw error;
            }
            if (result.seq !== undefined) lastSeq = result.seq;
            yield result;
            if (signal?.aborted) break;
          }
        } finally {
          signal?.removeEventListener('abort', onAbort);
          socket.onmessage = socket.onclose = socket.onerror = socket.onopen = null;
          if (socket.readyState <= 1) socket.close();
        }
        if (signal?.aborted) break;
        if (!overflowed) {
          if (!opened && failures >= maxRetries) {
            const attempts = failures === 0 ? 'the only attempt' : `${failures + 1} attempts in a row`;
            throw new AtproofError('stream-error', `could not connect to ${target.origin}: ${attempts} failed`);
          }
          // Dropped: back off before reconnecting (reset once a connection opens).
          const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** failures++);
          await new Promise((resolve) => {
            const timer = setTimeout(resolve, delay);
            signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
          });
        }
      }
    } finally {
      if (given === undefined) verifier.free();
    }
  };
}
