// A Cloudflare Worker that verifies the firehose in batches: each batch (a cron trigger, or
// POST /consume) opens com.atproto.sync.subscribeRepos at the relay from the last seq it saw,
// verifies every event with one FirehoseVerifier kept across batches (so that each account's
// first commit of a batch is checked against its last one before) whose keys come from
// resolveIdentity, counts the results by status, and stops after BATCH_EVENTS events or
// BATCH_SECONDS seconds. GET /stats answers the counts. They live in this isolate's memory: no
// Durable Object, no storage (to carry them across isolates, store verifier.saveState() and the
// cursor, and give them back as `state` and `cursor`).
import { FirehoseVerifier, resolveIdentity, subscribeRepos } from 'atproof';
import { identityOptions, setting } from './settings.mjs';

const DEFAULTS = { RELAY_URL: 'wss://bsky.network', BATCH_EVENTS: '1000', BATCH_SECONDS: '20' };

/** What this isolate has verified so far; lastError is what ended the last batch early, if anything. */
const stats = { batches: 0, events: 0, cursor: null, followed: 0, byStatus: {}, byError: {}, lastError: null };
let running = false;
/** The accounts' continuity, made at the first batch (its keys resolved with that batch's settings). */
let verifier = null;

const configured = (env, name) => setting(env, name) ?? DEFAULTS[name];
const increment = (counts, key) => { counts[key] = (counts[key] ?? 0) + 1; };

/** A whole-number setting of at least 1, or an error naming it. */
function positive(env, name) {
  const text = configured(env, name);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw Object.assign(new Error(`${name} must be a whole number of at least 1, not ${JSON.stringify(text)}`), { code: 'bad-setting' });
  return value;
}

/** One batch: from the last seq seen, until enough events, the time limit, or a stream error. */
async function consumeBatch(env) {
  running = true;
  stats.batches++;
  stats.lastError = null;
  try {
    const options = identityOptions(env);
    const maxEvents = positive(env, 'BATCH_EVENTS');
    const seconds = positive(env, 'BATCH_SECONDS');
    // A key that cannot be resolved does not end the batch: the account's events are invalid
    // (identity-resolution, counted in byError) and its key is asked for again next time.
    verifier ??= new FirehoseVerifier({ resolveKey: (did) => resolveIdentity(did, options) });
    const stream = subscribeRepos(configured(env, 'RELAY_URL'), {
      cursor: stats.cursor ?? undefined,
      verifier,
      signal: AbortSignal.timeout(seconds * 1000),
    });
    let taken = 0;
    for await (const event of stream) {
      stats.events++;
      increment(stats.byStatus, event.status);
      if (event.error !== undefined) increment(stats.byError, event.error.code);
      if (event.seq !== undefined) stats.cursor = event.seq;
      if (event.continuity) stats.followed++;
      if (++taken >= maxEvents) break;
    }
  } catch (e) {
    // An error frame from the relay, a relay URL that is not one, or a bad setting: the batch ends
    // here and the next one starts again from the last event counted. (A DOMException's `code` is
    // a legacy number: its name says what it is.)
    stats.lastError = { code: typeof e.code === 'string' ? e.code : e.name, message: e.message };
  } finally {
    running = false;
  }
}

const snapshot = () => ({ ...stats, accounts: verifier?.accounts ?? 0, running });

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/stats' && request.method === 'GET') return Response.json(snapshot());
    if (pathname === '/consume' && request.method === 'POST') {
      if (running) return Response.json({ error: 'busy', message: 'a batch is running' }, { status: 409 });
      await consumeBatch(env);
      return Response.json(snapshot());
    }
    return Response.json({ error: 'no-route', message: 'GET /stats, POST /consume' }, { status: 404 });
  },

  async scheduled(controller, env) {
    if (!running) await consumeBatch(env);
  },
};
