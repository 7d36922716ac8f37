// A relay for the tests, on 127.0.0.1 (the ws package): replays the reference #commit stream of
// tests/fixtures/generated/repo-1000-s1-k256 and honours the cursor. `dropAfter` cuts each of the
// first `drops` connections abruptly after that many frames; `errorAt` sends an error frame
// (ConsumerTooSlow) instead of the frame of that seq and closes; `skip` lists seqs never sent (the
// account's next commit then does not follow: a desync); `replace` maps seqs to the bytes sent
// instead of their frames. Records every connection's cursor.
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';

const fixture = (name) => new URL(`../fixtures/generated/${name}`, import.meta.url);
export const meta = JSON.parse(readFileSync(fixture('repo-1000-s1-k256.frames.json'), 'utf8'));
const bin = new Uint8Array(readFileSync(fixture('repo-1000-s1-k256.frames.bin')));
export const frames = meta.frames.map((f) => bin.subarray(f.offset, f.offset + f.length));
export const seqs = meta.frames.map((f) => f.seq);

// {op: -1} then {error: "ConsumerTooSlow", message: "too slow"}, in DRISL.
const ERROR_FRAME = Uint8Array.from([
  0xa1, 0x62, 0x6f, 0x70, 0x20,
  0xa2, 0x65, 0x65, 0x72, 0x72, 0x6f, 0x72, 0x6f, ...new TextEncoder().encode('ConsumerTooSlow'),
  0x67, 0x6d, 0x65, 0x73, 0x73, 0x61, 0x67, 0x65, 0x68, ...new TextEncoder().encode('too slow'),
]);

export async function relay({ dropAfter = Infinity, drops = 0, errorAt, skip = [], replace = {} } = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const cursors = [];
  const paths = [];
  let connections = 0;
  server.on('connection', (socket, request) => {
    const url = new URL(request.url, 'http://x');
    paths.push(url.pathname);
    const cursor = url.searchParams.has('cursor') ? Number(url.searchParams.get('cursor')) : undefined;
    cursors.push(cursor);
    const dropping = connections++ < drops;
    let sent = 0;
    for (const [i, frame] of frames.entries()) {
      if ((cursor !== undefined && seqs[i] <= cursor) || skip.includes(seqs[i])) continue;
      if (seqs[i] === errorAt) {
        socket.send(ERROR_FRAME);
        socket.close();
        return;
      }
      socket.send(replace[seqs[i]] ?? frame);
      if (dropping && ++sent >= dropAfter) {
        socket.terminate(); // an abrupt drop, not a clean close
        return;
      }
    }
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    cursors,
    paths,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** `frame` with its `time` written with a space instead of the `T` (still sound DRISL, the same
 * length, but not a datetime the lexicon accepts). */
export function withSpacedTime(frame) {
  const key = [0x64, ...new TextEncoder().encode('time')];
  const at = frame.findIndex((_, i) => key.every((b, j) => frame[i + j] === b));
  if (at < 0) throw new Error('no time field');
  const copy = frame.slice();
  // The key, the text header (one byte, or two from 24 characters on), 'YYYY-MM-DD', the 'T'.
  const header = at + key.length;
  const t = header + ((copy[header] & 0x1f) < 24 ? 1 : 2) + 10;
  if (copy[t] !== 0x54) throw new Error('no T where expected');
  copy[t] = 0x20;
  return copy;
}
