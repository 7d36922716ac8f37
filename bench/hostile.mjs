// Resource bounds on hostile inputs, in Node: each case in a fresh process, with its time, the
// process's peak RSS above its start, the instance's wasm memory afterwards, the outcome, and
// whether the instance still verifies a good repository right after.
//   cargo run --release --example hostile_inputs     (writes bench/data/mst-1m.car, duplicates-1m.car)
//   node bench/hostile.mjs                            (after scripts/build-pkg.sh)
// The same cases in headless Chromium: node bench/hostile.mjs --browser (time, wasm memory,
// outcome, and whether the page's instance still works).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const browser = process.argv.includes('--browser');

/** Each case: a name and the body of an async function of (atproof, files) returning an outcome string. */
export const CASES = [
  ['deep nesting: 5 MiB of nested arrays (decodeCbor)', `
    const bytes = new Uint8Array(5 * 1024 * 1024).fill(0x81);
    try { atproof.decodeCbor(bytes); return 'accepted'; } catch (e) { return e.code; }`],
  ['deep nesting: 1,000,000 nested arrays in encodeCbor', `
    let value = 1;
    for (let i = 0; i < 1e6; i++) value = [value];
    try { atproof.encodeCbor(value); return 'accepted'; } catch (e) { return e.code; }`],
  ['hash flooding: a map of 16,384 keys sharing their first four bytes (the low half of their word), decodeCbor', `
    const letter = (n) => String.fromCharCode(97 + (n % 26));
    const map = {};
    for (let i = 0; i < 16384; i++) map['$typ' + [0, 1, 2, 3].map((d) => letter(Math.floor(i / 26 ** d))).join('')] = i;
    const bytes = atproof.encodeCbor(map);
    const start = performance.now();
    const n = Object.keys(atproof.decodeCbor(bytes)).length;
    return n + ' keys, first decode (interning every key) ' + (performance.now() - start).toFixed(1) + ' ms';`],
  ['… the same with 16,384 random 8-character keys, for comparison', `
    const keys = new Set();
    while (keys.size < 16384) keys.add(Math.random().toString(36).slice(2, 10).padEnd(8, 'x'));
    const map = Object.fromEntries([...keys].map((key, i) => [key, i]));
    const bytes = atproof.encodeCbor(map);
    const start = performance.now();
    const n = Object.keys(atproof.decodeCbor(bytes)).length;
    return n + ' keys, first decode (interning every key) ' + (performance.now() - start).toFixed(1) + ' ms';`],
  ['huge claimed lengths: arrays, maps, strings, bytes of 2^32 and 2^63 items (decodeCbor, 1,000 of each)', `
    const claims = ['9b0000000100000000', 'bb7fffffffffffffff', '7b7fffffffffffffff', '5b0000000100000000', 'a1617a9b0000000100000000'];
    const codes = new Set();
    for (let i = 0; i < 1000; i++) for (const c of claims) {
      try { atproof.decodeCbor(Uint8Array.from(c.match(/../g), (h) => parseInt(h, 16))); codes.add('accepted'); } catch (e) { codes.add(e.code); }
    }
    return [...codes].join(', ');`],
  ['huge claimed lengths: a CAR section claiming 2^62 bytes (readCar, verifyRepo)', `
    const car = await files.bytes('tests/fixtures/generated/repo-1000-s1-k256.car');
    const header = car.subarray(0, 1 + car[0]);
    const claim = Uint8Array.from([...header, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 1, 2, 3]);
    const out = [];
    for (const f of [atproof.readCar, atproof.verifyRepo]) { try { f(claim); out.push('accepted'); } catch (e) { out.push(e.code); } }
    return out.join(', ');`],
  ['an MST of 1,000,000 tiny entries (verifyRepo, with the key)', `
    const car = await files.bytes('bench/data/mst-1m.car');
    const meta = JSON.parse(await files.text('bench/data/mst-1m.json'));
    const repo = atproof.verifyRepo(car, { did: meta.did, key: meta.signingKey });
    return repo.records.length + ' records, signature ' + repo.signatureVerified;`],
  ['an MST of 1,000,000 tiny entries (verifyRepoStream, 64 KiB chunks)', `
    const car = await files.bytes('bench/data/mst-1m.car');
    const meta = JSON.parse(await files.text('bench/data/mst-1m.json'));
    const chunks = [];
    for (let at = 0; at < car.length; at += 65536) chunks.push(car.subarray(at, at + 65536));
    const repo = await atproof.verifyRepoStream(chunks, { did: meta.did, key: meta.signingKey });
    return repo.records.length + ' records';`],
  ['a CAR of 1,000,000 copies of one block (readCar)', `
    const { blocks } = atproof.readCar(await files.bytes('bench/data/duplicates-1m.car'));
    return blocks.size + ' distinct block';`],
  ['a CAR of 1,000,000 copies of one block (readCarStream, 64 KiB chunks)', `
    const car = await files.bytes('bench/data/duplicates-1m.car');
    const chunks = [];
    for (let at = 0; at < car.length; at += 65536) chunks.push(car.subarray(at, at + 65536));
    let n = 0;
    for await (const block of atproof.readCarStream(chunks)) n++;
    return n + ' blocks yielded';`],
  ['a CAR of 1,000,000 copies of one block (verifyRepo: the root is no commit)', `
    try { atproof.verifyRepo(await files.bytes('bench/data/duplicates-1m.car')); return 'accepted'; } catch (e) { return e.code; }`],
  ['10,000 concurrent verifyRepoStream calls, each stalled after 64 KiB, then aborted', `
    const car = await files.bytes('tests/fixtures/generated/repo-1000-s1-k256.car');
    const first = car.subarray(0, 65536);
    let abort;
    const aborted = new Promise((_, reject) => { abort = reject; });
    aborted.catch(() => {});
    async function* stalled() { yield first; await aborted; }
    const calls = [];
    for (let i = 0; i < 10000; i++) calls.push(atproof.verifyRepoStream(stalled(), {}).then(() => 'resolved', (e) => e.message));
    await new Promise((r) => setTimeout(r, 500));
    const held = atproof.wasmMemoryBytes();
    abort(new Error('aborted by the caller'));
    const outcomes = new Set(await Promise.all(calls));
    return 'wasm memory with all 10,000 pending: ' + (held / 1e6).toFixed(0) + ' MB; then ' + [...outcomes].join(', ');`],
];

/** Then, in the same instance: a good repository still verifies. */
const AFTER = `
    const good = await files.bytes('tests/fixtures/generated/repo-1000-s1-k256.car');
    return atproof.verifyRepo(good).records.length === 1000 && atproof.decodeCbor(Uint8Array.from([0xa1, 0x61, 0x61, 0x01])).a === 1;`;

function runInNode(body) {
  const script = `
    const { readFileSync } = await import('node:fs');
    const atproof = await import(${JSON.stringify(join(root, 'pkg', 'node.js'))});
    const files = {
      bytes: async (p) => new Uint8Array(readFileSync(${JSON.stringify(root)} + '/' + p)),
      text: async (p) => readFileSync(${JSON.stringify(root)} + '/' + p, 'utf8'),
    };
    const base = process.memoryUsage().rss;
    const start = performance.now();
    let outcome;
    try { outcome = await (async () => { ${body} })(); } catch (e) { outcome = 'threw ' + (e.code ?? '') + ' ' + e.message; }
    const ms = performance.now() - start;
    const peak = process.resourceUsage().maxRSS * 1024; // the kernel's high-water mark, in KiB
    const after = await (async () => { ${AFTER} })();
    console.log(JSON.stringify({ ms, peakMb: (peak - base) / 1e6, wasmMb: atproof.wasmMemoryBytes() / 1e6, outcome, after }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

/** The cases in headless Chromium (Debian's, through playwright-core from .tools/), one fresh page each. */
async function runInChromium() {
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { chromium } = await import(join(root, '.tools/node_modules/playwright-core/index.mjs'));
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>hostile</title>');
    try {
      const body = await readFile(join(root, decodeURIComponent(path)));
      res.writeHead(200, { 'content-type': types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const chromiumBrowser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const results = [];
  try {
    for (const [name, body] of CASES) {
      const page = await chromiumBrowser.newPage();
      await page.goto(base);
      const r = await page.evaluate(async ({ body, after }) => {
        const atproof = await import('/pkg/browser.js');
        const files = {
          bytes: async (p) => new Uint8Array(await (await fetch('/' + p)).arrayBuffer()),
          text: async (p) => (await fetch('/' + p)).text(),
        };
        const run = (code) => new Function('atproof', 'files', `return (async () => { ${code} })();`)(atproof, files);
        const start = performance.now();
        let outcome;
        try { outcome = await run(body); } catch (e) { outcome = 'threw ' + (e.code ?? '') + ' ' + e.message; }
        const ms = performance.now() - start;
        return { ms, wasmMb: atproof.wasmMemoryBytes() / 1e6, outcome, after: await run(after) };
      }, { body, after: AFTER });
      results.push([name, r]);
      await page.close();
    }
  } finally {
    await chromiumBrowser.close();
    server.close();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}` && browser) {
  console.log(`Chromium (Debian's, headless), ${new Date().toISOString()}; time includes fetching the case's files`);
  console.log('| case | time (ms) | wasm memory after (MB) | outcome | instance works after |');
  console.log('| --- | ---: | ---: | --- | --- |');
  for (const [name, r] of await runInChromium()) {
    console.log(`| ${name} | ${r.ms.toFixed(0)} | ${r.wasmMb.toFixed(0)} | ${r.outcome} | ${r.after ? 'yes' : 'NO'} |`);
  }
} else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`Node ${process.version}, ${new Date().toISOString()}`);
  console.log('| case | time (ms) | peak RSS above start (MB) | wasm memory after (MB) | outcome | instance works after |');
  console.log('| --- | ---: | ---: | ---: | --- | --- |');
  for (const [name, body] of CASES) {
    const r = runInNode(body);
    console.log(`| ${name} | ${r.ms.toFixed(0)} | ${r.peakMb.toFixed(0)} | ${r.wasmMb.toFixed(0)} | ${r.outcome} | ${r.after ? 'yes' : 'NO'} |`);
  }
}
