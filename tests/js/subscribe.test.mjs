// subscribeRepos against a real WebSocket server on loopback (the ws package), in Node: a server
// that replays the reference stream and honours the cursor, drops the connection in the middle,
// sends an error frame, and a consumer that reads slowly. Every event must arrive exactly once,
// in order, verified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import * as atproof from 'atproof';
import { frames, meta, relay, seqs, withSpacedTime } from './relay.mjs';

const resolveKey = async () => meta.signingKey;

async function collect(iterator, { slowMs = 0, until = frames.length } = {}) {
  const out = [];
  for await (const event of iterator) {
    out.push(event);
    if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
    if (out.length >= until) break;
  }
  return out;
}

const inOrder = (events) => events.map((e) => e.seq).join() === seqs.join() && events.every((e) => e.status === 'valid');

test('subscribeRepos: the whole stream, verified, once and in order', async () => {
  const server = await relay();
  try {
    const events = await collect(atproof.subscribeRepos(server.url, { resolveKey, WebSocket }));
    assert.equal(events.length, 200);
    assert.ok(inOrder(events), 'every event valid, in order');
    assert.ok(events.slice(1).every((e) => e.continuity));
    assert.deepEqual(server.cursors, [undefined]);
    assert.deepEqual(server.paths, ['/xrpc/com.atproto.sync.subscribeRepos']);
  } finally {
    await server.close();
  }
});

test('subscribeRepos: dropped connections are resumed from the last processed seq', async () => {
  const server = await relay({ dropAfter: 37, drops: 3 });
  try {
    const events = await collect(atproof.subscribeRepos(server.url, { resolveKey, WebSocket, backoff: { initialMs: 10, maxMs: 50 } }));
    assert.ok(inOrder(events), 'every event exactly once, in order');
    // Three drops, three resumptions, each from the last seq processed before it.
    assert.equal(server.cursors.length, 4);
    assert.ok(server.cursors.slice(1).every((c, i, all) => seqs.includes(c) && (i === 0 || c > all[i - 1])));
  } finally {
    await server.close();
  }
});

test('subscribeRepos: a cursor is sent on the first connection', async () => {
  const server = await relay();
  try {
    const events = await collect(atproof.subscribeRepos(`${server.url}/xrpc/com.atproto.sync.subscribeRepos`, { resolveKey, WebSocket, cursor: seqs[149] }), { until: 50 });
    assert.deepEqual(events.map((e) => e.seq), seqs.slice(150));
    assert.deepEqual(server.cursors, [seqs[149]]);
    // The first event of an account seen for the first time is verified without continuity.
    assert.equal(events[0].continuity, false);
  } finally {
    await server.close();
  }
});

test('subscribeRepos: a slow consumer makes it stop reading and resume, never buffer without bound', async () => {
  const server = await relay();
  try {
    const events = await collect(atproof.subscribeRepos(server.url, { resolveKey, WebSocket, highWaterMark: 20 }), { slowMs: 2 });
    assert.ok(inOrder(events), 'every event exactly once, in order');
    assert.ok(server.cursors.length > 1, 'the connection was dropped when the consumer fell behind, and resumed');
  } finally {
    await server.close();
  }
});

test('subscribeRepos: an error frame ends the iteration with an AtproofError naming it', async () => {
  const server = await relay({ errorAt: seqs[10] });
  try {
    const seen = [];
    await assert.rejects(async () => {
      for await (const event of atproof.subscribeRepos(server.url, { resolveKey, WebSocket })) seen.push(event.seq);
    }, (e) => e instanceof atproof.AtproofError && e.code === 'stream-error' && e.serverError === 'ConsumerTooSlow');
    assert.deepEqual(seen, seqs.slice(0, 10));
  } finally {
    await server.close();
  }
});

test('subscribeRepos: a message that breaks its lexicon is invalid, and the stream goes on', async () => {
  const bad = seqs[10];
  const server = await relay({ replace: { [bad]: withSpacedTime(frames[10]) } });
  try {
    const events = await collect(atproof.subscribeRepos(server.url, { resolveKey, WebSocket }));
    assert.deepEqual(events.map((e) => e.seq), seqs, 'every event exactly once, in order');
    const invalid = events[10];
    assert.equal(invalid.status, 'invalid');
    assert.equal(invalid.error.code, 'invalid-event');
    assert.match(invalid.error.message, /time/);
    assert.equal(invalid.did, meta.did);
    // The account's state did not take the bad one: the next commit does not follow the last it
    // took (a desync, which a consumer heals by fetching the repository), then all follow again.
    assert.equal(events[11].status, 'desync');
    assert.ok(events.every((e, i) => i === 10 || i === 11 || e.status === 'valid'));
    assert.deepEqual(server.cursors, [undefined]);
  } finally {
    await server.close();
  }
});

test('subscribeRepos: an abort signal ends it', async () => {
  const server = await relay();
  try {
    const controller = new AbortController();
    const events = [];
    for await (const event of atproof.subscribeRepos(server.url, { resolveKey, WebSocket, signal: controller.signal })) {
      events.push(event);
      if (events.length === 5) controller.abort();
    }
    assert.equal(events.length, 5);
  } finally {
    await server.close();
  }
});

test('subscribeRepos: without a WebSocket it says so', async () => {
  await assert.rejects(async () => {
    for await (const _ of atproof.subscribeRepos('ws://127.0.0.1:1', { resolveKey, WebSocket: null })) break;
  }, /no WebSocket/);
});

test('subscribeRepos: a FirehoseVerifier given is continued, not freed', async () => {
  const server = await relay();
  try {
    const verifier = new atproof.FirehoseVerifier({ resolveKey });
    const first = await collect(atproof.subscribeRepos(server.url, { WebSocket, verifier }), { until: 50 });
    const rest = await collect(atproof.subscribeRepos(server.url, { WebSocket, verifier, cursor: first.at(-1).seq }), { until: 150 });
    assert.ok(inOrder([...first, ...rest]));
    // The second subscription checks its first commit against the account's last from the first.
    assert.equal(rest[0].continuity, true);
    assert.equal(verifier.accounts, 1);
    verifier.free();
  } finally {
    await server.close();
  }
});

test('subscribeRepos: maxRetries failed connections in a row end it with stream-error', async () => {
  // A port that was just free: every connection is refused.
  const server = await relay();
  const url = server.url;
  await server.close();
  await assert.rejects(async () => {
    for await (const _ of atproof.subscribeRepos(url, { resolveKey, WebSocket, maxRetries: 2, backoff: { initialMs: 1, maxMs: 5 } })) break;
  }, (e) => e instanceof atproof.AtproofError && e.code === 'stream-error' && /3 attempts in a row failed/.test(e.message));
});
