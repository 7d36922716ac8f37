// Runs the package in headless Chromium (Debian's, driven by playwright-core): the browser entry
// imported by a plain <script type="module">, and an app bundled by Vite. Serves the repository
// root on 127.0.0.1. Prints "N passed, M failed" per page; exits non-zero on any failure.
//   node tests/js/browser/run.mjs   (after scripts/build-pkg.sh; scripts/test.sh does both)
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

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-extensions'],
});
let failed = 0;
try {
  for (const page of ['/tests/js/browser/plain.html', '/target/browser-vite/index.html']) {
    const tab = await browser.newPage();
    const errors = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(base + page);
    await tab.waitForFunction(() => window.__atproofResult !== undefined, null, { timeout: 60_000 });
    const result = await tab.evaluate(() => window.__atproofResult);
    result.failures.push(...errors);
    for (const f of result.failures) console.error(`FAIL ${page}: ${f}`);
    console.log(`chromium ${page}: ${result.passed} passed, ${result.failures.length} failed`);
    if (result.failures.length > 0 || result.passed === 0) failed++;
    await tab.close();
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
