// The Chromium run: bundle each library side with esbuild (browser platform, so each package's
// browser build is used), serve the bundles and the data sets on 127.0.0.1, and run every
// (task, data set, implementation) of the plan in a fresh browser context through playwright-core.
import http from 'node:http';
import { copyFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { TASKS } from './tasks.mjs';
import { didplcBuildOptions } from '../browser/didplc-build.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = join(HERE, '..');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions',
  // precise (not bucketed) performance.memory, and gc() so the heap baseline is taken after a collection
  '--enable-precise-memory-info', '--js-flags=--expose-gc'];
const RUN_TIMEOUT_S = 900;
const NODE_BUILTIN_STUBS = ['node:fs', 'node:fs/promises', 'node:crypto', 'node:stream', 'node:zlib'];
// one bundle per library side (browser/entry-<side>.mjs); @did-plc/lib's Node-only dist has its own
// shims (browser/didplc-build.mjs)
const SIDES = ['atproof', 'atcute', 'atproto', 'didplc'];

export async function buildBundles(outDir, { pkgDir }) {
  mkdirSync(outDir, { recursive: true });
  const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error', legalComments: 'none', metafile: true };
  const info = {};
  const shimNode = {
    name: 'node-builtins',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (a) => {
        if (a.path === 'node:timers/promises') return { path: join(BENCH, 'browser/shims/timers-promises.mjs') };
        if (NODE_BUILTIN_STUBS.includes(a.path)) return { path: join(BENCH, 'browser/shims/node-stubs.mjs') };
        return { errors: [{ text: `no browser stand-in for ${a.path}` }] };
      });
    },
  };
  for (const side of SIDES) {
    const extra = side === 'atproto' ? { plugins: [shimNode], inject: [join(BENCH, 'browser/shims/globals.mjs')] } : side === 'didplc' ? didplcBuildOptions : {};
    const r = await esbuild.build({ ...common, ...extra, entryPoints: [join(BENCH, `browser/entry-${side}.mjs`)], outfile: join(outDir, `${side}.js`) });
    const inputs = Object.keys(r.metafile.inputs);
    const nodeVariants = inputs.filter((p) => /[-.](node|bun|deno)\.js$/.test(p));
    if (nodeVariants.length) throw new Error(`the ${side} bundle pulled Node-only files: ${nodeVariants.join(', ')}`);
    info[side] = { bytes: Object.values(r.metafile.outputs)[0].bytes, inputs: inputs.length };
  }
  // the atproof browser entry fetches atproof_bg.wasm next to the script, i.e. next to the bundle
  copyFileSync(join(pkgDir, 'atproof_bg.wasm'), join(outDir, 'atproof_bg.wasm'));
  return info;
}

function serve(distDir, dataDir) {
  const types = { '.js': 'text/javascript', '.html': 'text/html', '.json': 'application/json', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    // cross-origin isolated: performance.now() gets its fine (5 µs) resolution
    const headers = { 'Cache-Control': 'no-store', 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const path = new URL(req.url, 'http://x').pathname;
    let m;
    if ((m = path.match(/^\/page\/(atproof|atcute|atproto|didplc)\.html$/))) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      return res.end(`<!doctype html><meta charset="utf-8"><title>${m[1]}</title><script type="module" src="/dist/${m[1]}.js"></script>\n`);
    }
    let file;
    if ((m = path.match(/^\/dist\/([\w.-]+)$/))) file = join(distDir, m[1]);
    else if ((m = path.match(/^\/data\/([\w.-]+)$/))) file = join(dataDir, m[1]);
    if (!file || !existsSync(file)) {
      res.writeHead(404, headers);
      return res.end();
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runInChromium(plan, { root, data, pkg, timing, onResult }) {
  const { chromium } = await import(join(root, '.tools/node_modules/playwright-core/index.mjs'));
  const distDir = join(root, 'target/bench-browser');
  const bundles = await buildBundles(distDir, { pkgDir: pkg });
  console.log(`chromium: bundles ${Object.entries(bundles).map(([k, v]) => `${k} ${(v.bytes / 1024).toFixed(0)} KiB`).join(', ')}`);
  const server = await serve(distDir, data);
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
  const results = [];
  try {
    for (const p of plan) {
      const side = TASKS[p.task].impls[p.impl].side;
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      let r;
      try {
        await page.goto(`${base}/page/${side}.html`);
        await page.waitForFunction(() => globalThis.__bench !== undefined, null, { timeout: 60_000 });
        let timer;
        const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no result after ${RUN_TIMEOUT_S} s`)), RUN_TIMEOUT_S * 1000); });
        try {
          r = await Promise.race([page.evaluate((spec) => globalThis.__bench.run(spec), { task: p.task, dataset: p.dataset, impl: p.impl, ...timing }), limit]);
        } finally {
          clearTimeout(timer);
        }
      } catch (e) {
        r = { status: 'failed', message: `${String(e.message ?? e).split('\n')[0]} ${errors.join(' ')}`.trim() };
      }
      await context.close();
      results.push(r);
      onResult(p, r);
    }
    return { chromiumVersion: browser.version(), results };
  } finally {
    await browser.close();
    server.close();
  }
}

