// Runs the package in headless Chromium (Debian's, driven by playwright-core) and headless Firefox
// (Debian's firefox-esr, driven by geckodriver over WebDriver): the browser entry imported by a
// plain <script type="module">, an app bundled by Vite, and subscribeRepos with the browser's own
// WebSocket against relays on loopback (tests/js/relay.mjs). Serves the repository root on
// 127.0.0.1. Prints "N passed, M failed" per browser and page; exits non-zero on any failure.
//   node tests/js/browser/run.mjs   (after scripts/build-pkg.sh; scripts/test.sh does both)
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;
// The tools live in the git-ignored .tools/ (scripts/setup.sh), not in a package.json of ours.
const tool = (name, entry) => import(join(root, '.tools/node_modules', name, entry));
const { chromium } = await tool('playwright-core', 'index.mjs');
const vite = await tool('vite', 'dist/node/index.js');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.txt': 'text/plain', '.json': 'application/json', '.css': 'text/css' };

await vite.build({
  configFile: false,
  root: join(root, 'tests/js/browser/vite'),
  base: '/target/browser-vite/',
  logLevel: 'warn',
  build: { outDir: join(root, 'target/browser-vite'), emptyOutDir: true, target: 'es2022' },
});

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

// Relays on loopback for the subscribeRepos page (the ws package, from tests/js/node_modules).
const { relay, seqs, frames, withSpacedTime } = await import(join(root, 'tests/js/relay.mjs'));
const relays = {
  plain: await relay(),
  drops: await relay({ dropAfter: 37, drops: 3 }),
  slow: await relay(),
  error: await relay({ errorAt: seqs[10] }),
  lexicon: await relay({ replace: { [seqs[10]]: withSpacedTime(frames[10]) } }),
};
const subscribePage = `/tests/js/browser/subscribe.html?${new URLSearchParams(Object.entries(relays).map(([name, r]) => [name, r.url]))}`;
const PAGES = ['/tests/js/browser/plain.html', '/target/browser-vite/index.html', subscribePage];
let failed = 0;
function report(browserName, page, result) {
  for (const f of result.failures) console.error(`FAIL ${browserName} ${page}: ${f}`);
  console.log(`${browserName} ${page}: ${result.passed} passed, ${result.failures.length} failed`);
  if (result.failures.length > 0 || result.passed === 0) failed++;
}

async function inChromium() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-extensions'],
  });
  try {
    for (const page of PAGES) {
      const tab = await browser.newPage();
      const errors = [];
      tab.on('pageerror', (e) => errors.push(String(e)));
      await tab.goto(base + page);
      await tab.waitForFunction(() => window.__atproofResult !== undefined, null, { timeout: 60_000 });
      const result = await tab.evaluate(() => window.__atproofResult);
      result.failures.push(...errors);
      report('chromium', page.split('?')[0], result);
      await tab.close();
    }
  } finally {
    await browser.close();
  }
}

/** The same pages in Firefox, through geckodriver's WebDriver HTTP API (no client library needed). */
async function inFirefox() {
  const port = 4400 + Math.floor(Math.random() * 500);
  const driver = spawn(process.env.GECKODRIVER ?? 'geckodriver', ['--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const response = await fetch(endpoint + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${value?.message ?? response.status}`);
    return value;
  };
  try {
    for (let i = 0; ; i++) {
      try {
        await call('GET', '/status');
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const { sessionId } = await call('POST', '/session', {
      capabilities: { alwaysMatch: { 'moz:firefoxOptions': { binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr', args: ['-headless'] } } },
    });
    try {
      for (const page of PAGES) {
        await call('POST', `/session/${sessionId}/url`, { url: base + page });
        let result = null;
        for (let waited = 0; result === null && waited < 60_000; waited += 200) {
          result = await call('POST', `/session/${sessionId}/execute/sync`, { script: 'return window.__atproofResult ?? null', args: [] });
          if (result === null) await new Promise((r) => setTimeout(r, 200));
        }
        report('firefox', page.split('?')[0], result ?? { passed: 0, failures: ['no result within 60 s'] });
      }
    } finally {
      await call('DELETE', `/session/${sessionId}`);
    }
  } finally {
    driver.kill();
  }
}

try {
  await inChromium();
  await inFirefox();
} finally {
  server.close();
  await Promise.all(Object.values(relays).map((r) => r.close()));
}
process.exit(failed ? 1 : 0);
