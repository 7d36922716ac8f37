// The firehose verifier, in a module worker: subscribeRepos over the worker's own WebSocket, the
// accounts' signing keys resolved with resolveIdentity (the page's settings), and running counts
// posted to the page at most every 250 ms — a busy relay sends thousands of events a second, and
// the page needs only the totals and the accounts that failed.
//
// Tricky bits: an account whose key cannot be resolved must not end the stream (resolveKey
// rejecting would reject FirehoseVerifier.process and so end subscribeRepos), so a failed
// resolution gives no key — its events are then `invalid` ("no key for the account") — and the
// resolution's own error is kept to say why. subscribeRepos reconnects by itself and says nothing
// of it, so the WebSocket it is given is one that reports its opens and closes.
import { subscribeRepos, resolveIdentity } from './pkg/browser.js';
import { resolveOptions } from './network.js';
import { serveRequests } from './rpc.js';

const SNAPSHOT_EVERY_MS = 250;
const FAILURES_KEPT = 50;

let running = null; // the AbortController of the subscription running now

const errorData = (error) => ({ code: error?.code, message: error?.message ?? String(error) });

serveRequests({
  /** Subscribes to `settings.relay` until stopped; progress: snapshots of the counts, the last one final. */
  async watch({ settings }, progress) {
    const controller = new AbortController();
    running = controller;
    // connection: connecting, open, closed (after it was open), or unreachable (it closed before it
    // opened: subscribeRepos retries, and failedInARow counts the attempts).
    const stats = { connection: 'connecting', connections: 0, failedInARow: 0, events: 0, byStatus: { valid: 0, invalid: 0, desync: 0, ignored: 0 }, byType: {}, lastSeq: null };
    const failures = new Map(); // did → { did, status, error, events }, the most recent last
    const unresolved = new Map(); // did → why its key could not be resolved
    const snapshot = () => ({ ...stats, failures: [...failures.values()].reverse() });
    let timer = null;
    const changed = () => {
      timer ??= setTimeout(() => { timer = null; progress(snapshot()); }, SNAPSHOT_EVERY_MS);
    };

    class ReportingSocket extends WebSocket {
      constructor(url) {
        super(url);
        let opened = false;
        if (stats.connection !== 'unreachable') stats.connection = 'connecting';
        this.addEventListener('open', () => {
          opened = true;
          Object.assign(stats, { connection: 'open', failedInARow: 0 });
          stats.connections++;
          changed();
        });
        this.addEventListener('close', () => {
          if (opened) stats.connection = 'closed';
          else {
            stats.connection = 'unreachable';
            stats.failedInARow++;
          }
          changed();
        });
      }
    }
    const options = resolveOptions(settings);
    const resolveKey = (did) => resolveIdentity(did, options).then(
      (identity) => { unresolved.delete(did); return identity; },
      (error) => { unresolved.set(did, errorData(error)); return null; },
    );

    try {
      for await (const event of subscribeRepos(settings.relay, { resolveKey, WebSocket: ReportingSocket, signal: controller.signal })) {
        stats.events++;
        stats.byStatus[event.status]++;
        stats.byType[event.type] = (stats.byType[event.type] ?? 0) + 1;
        stats.lastSeq = event.seq ?? stats.lastSeq;
        if ((event.status === 'invalid' || event.status === 'desync') && event.did !== undefined) {
          const failure = failures.get(event.did) ?? { did: event.did, events: 0 };
          failures.delete(event.did); // re-inserted: the most recent last
          failures.set(event.did, {
            ...failure,
            status: event.status,
            error: unresolved.get(event.did) ?? errorData(event.error),
            events: failure.events + 1,
          });
          if (failures.size > FAILURES_KEPT) failures.delete(failures.keys().next().value);
        }
        changed();
      }
    } finally {
      clearTimeout(timer);
      running = null;
      stats.connection = 'closed';
      progress(snapshot());
    }
  },

  /** Ends the subscription running now (its watch request then resolves). */
  stop() {
    running?.abort();
  },
});
