// The firehose verifier, in a module worker: subscribeRepos over the worker's own WebSocket, the
// accounts' signing keys resolved with resolveIdentity (the page's settings), and running counts
// posted to the page at most every 250 ms — a busy relay sends thousands of events a second, and
// the page needs only the totals and the accounts that failed.
//
// Tricky bits: an account whose key cannot be resolved must not end the stream (resolveKey
// rejecting would reject FirehoseVerifier.process and so end subscribeRepos), so a failed
// resolution gives no key — its events are then `invalid` ("no key for the account") — and the
// resolution's own error is kept to say why. subscribeRepos reconnects by itself and says nothing
// of it, so the WebSocket it is given is one that reports its opens and closes. One
// FirehoseVerifier outlives a run, so that a run resumed after the last one's last seq checks each
// account's first commit against its last one before; a run not resumed starts a new verifier.
import { FirehoseVerifier, subscribeRepos, resolveIdentity } from './pkg/browser.js';
import { resolveOptions } from './network.js';
import { serveRequests } from './rpc.js';

const SNAPSHOT_EVERY_MS = 250;
const FAILURES_KEPT = 50;

const errorData = (error) => ({ code: error?.code, message: error?.message ?? String(error) });

let running = null; // the AbortController of the subscription running now
let verifier = null; // the last run's FirehoseVerifier: its accounts' continuity and last seq
let options = null; // the resolver's network settings, the current run's
const unresolved = new Map(); // did → why its key could not be resolved
const resolveKey = (did) => resolveIdentity(did, options).then(
  (identity) => { unresolved.delete(did); return identity; },
  (error) => { unresolved.set(did, errorData(error)); return null; },
);

serveRequests({
  /**
   * Subscribes to `settings.relay` until stopped — with `resumeAfter` (the last run's last seq),
   * after it and with the last run's verifier, so its accounts' continuity; progress: snapshots of
   * the counts, the last one final.
   */
  async watch({ settings, resumeAfter = null }, progress) {
    const controller = new AbortController();
    running = controller;
    options = resolveOptions(settings);
    const resumed = resumeAfter !== null && verifier !== null;
    if (!resumed) {
      verifier?.free();
      verifier = new FirehoseVerifier({ resolveKey });
    }
    const cursor = resumed ? resumeAfter : undefined;
    // connection: connecting, open, closed (after it was open), or unreachable (it closed before it
    // opened: subscribeRepos retries, and failedInARow counts the attempts); followed: the events
    // checked against their account's previous commit.
    const stats = { connection: 'connecting', connections: 0, failedInARow: 0, events: 0, followed: 0, byStatus: { valid: 0, invalid: 0, desync: 0, ignored: 0 }, byType: {}, lastSeq: null, resumedAfter: cursor ?? null };
    const failures = new Map(); // did → { did, status, error, events }, the most recent last
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
    try {
      for await (const event of subscribeRepos(settings.relay, { verifier, cursor, WebSocket: ReportingSocket, signal: controller.signal })) {
        stats.events++;
        if (event.continuity) stats.followed++;
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
