#!/usr/bin/env node
// Runs the benchmark: every (task, data set, implementation) in a fresh Node process, then the same
// in headless Chromium (a fresh browser context per run), and writes results/results.{json,md}.
//
//   node run.mjs [--quick] [--node-only | --browser-only] [--tasks a,b] [--impls substring]
//                [--samples 7] [--warmup-ms 1000] [--out results]
// Expects the data sets (gen-repo.mjs) and the built package (../pkg); run.sh does all of it.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TASKS, DATASETS } from './lib/tasks.mjs';
import { renderMarkdown } from './lib/report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'node-only': { type: 'boolean', default: false },
    'browser-only': { type: 'boolean', default: false },
    tasks: { type: 'string' },
    impls: { type: 'string' },
    samples: { type: 'string' },
    'warmup-ms': { type: 'string' },
    out: { type: 'string', default: join(HERE, 'results') },
    data: { type: 'string', default: join(HERE, 'data') },
    pkg: { type: 'string', default: join(ROOT, 'pkg') },
  },
});
const mode = opt.quick ? 'quick' : 'full';
const timing = {
  samples: Number(opt.samples ?? (opt.quick ? 5 : 7)),
  warmupMs: Number(opt['warmup-ms'] ?? (opt.quick ? 300 : 1000)),
  minSampleMs: 100,
};
const taskIds = opt.tasks ? opt.tasks.split(',') : Object.keys(TASKS);
for (const t of taskIds) if (!TASKS[t]) throw new Error(`unknown task ${t}`);

// ---- the plan: (task, data set, implementation); null implementation = the baseline process ----
const plan = [];
for (const task of taskIds) {
  for (const dataset of TASKS[task].datasets[mode]) {
    const file = join(opt.data, `${DATASETS[dataset]}.json`);
    if (!existsSync(file)) throw new Error(`missing data set ${file}: run gen-repo.mjs (run.sh does)`);
    for (const impl of Object.keys(TASKS[task].impls)) {
      if (opt.impls && !impl.includes(opt.impls)) continue;
      plan.push({ task, dataset, impl });
    }
  }
}

// ---- environment ----
const cpuModel = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1].trim();
  } catch {
    return cpus()[0]?.model;
  }
})();
const pkgJson = (p) => JSON.parse(readFileSync(join(HERE, 'node_modules', p, 'package.json'), 'utf8'));
const peers = Object.fromEntries(Object.keys(JSON.parse(readFileSync(join(HERE, 'package.json'), 'utf8')).devDependencies)
  .filter((p) => p.startsWith('@')).map((p) => [p, pkgJson(p).version]));
let atproofExports = 'not built';
try {
  const a = await import(pathToFileURL(join(opt.pkg, 'node.js')).href);
  const v = JSON.parse(readFileSync(join(opt.pkg, 'package.json'), 'utf8')).version;
  const wanted = ['decodeCbor', 'validateCbor', 'cidForCbor', 'verifySignature', 'verifySignatureAsync', 'verifyRepo'];
  const has = wanted.filter((n) => typeof a[n] === 'function');
  atproofExports = `${v}; has: ${has.join(', ') || 'none'}; missing: ${wanted.filter((n) => !has.includes(n)).join(', ') || 'none'}`;
} catch (e) {
  atproofExports = `failed to load: ${e.message}`;
}
let commit;
try {
  commit = await new Promise((res) => execFile('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], (e, so) => res(e ? undefined : so.trim())));
} catch { /* not a git checkout */ }
const env = {
  date: new Date().toISOString(), quick: opt.quick, commit, cpuModel, cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadStart: loadavg(), peers, atproofExports, timing,
};

// ---- Node ----
const results = [];
const line = (r) => {
  const head = `${r.runtime.padEnd(8)} ${r.task.padEnd(13)} ${r.dataset.padEnd(7)} ${r.impl.padEnd(44)}`;
  if (r.status !== 'ok') return console.log(`${head} ${r.status.toUpperCase()}: ${r.message}`);
  const mem = r.memory?.aboveBaselineMB !== undefined ? ` mem +${r.memory.aboveBaselineMB.toFixed(1)} MB` : '';
  console.log(`${head} ${r.medianMs.toPrecision(4).padStart(9)} ms  ${Math.round(r.throughput.itemsPerSec).toLocaleString('en-US').padStart(11)} ${r.units.itemName}/s${mem}  [load ${r.load.toFixed(2)}]`);
};
const finish = (base, r) => {
  const out = { ...base, ...r, load: loadavg()[0] };
  if (r.status === 'ok') {
    const s = r.medianMs / 1000;
    out.throughput = { itemsPerSec: r.units.items / s, mbPerSec: r.units.bytes ? r.units.bytes / 1e6 / s : undefined };
  }
  return out;
};

function worker(spec) {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(HERE, 'lib/node-worker.mjs'), JSON.stringify(spec)], { cwd: HERE, timeout: 15 * 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const m = stdout.match(/^@@result (.*)$/m);
      if (m) return resolve(JSON.parse(m[1]));
      resolve({ status: 'failed', message: `worker died: ${err?.message ?? ''} ${stderr.slice(-500)}`.trim() });
    });
  });
}

if (!opt['browser-only']) {
  const baselines = new Map();
  for (const p of plan) {
    const key = `${p.task}/${p.dataset}`;
    const common = { dataDir: opt.data, pkgDir: opt.pkg, ...timing, task: p.task, dataset: p.dataset };
    if (!baselines.has(key)) {
      const b = await worker({ ...common, impl: null });
      if (b.status !== 'baseline') throw new Error(`baseline for ${key} failed: ${b.message}`);
      baselines.set(key, b);
    }
    const r = await worker({ ...common, impl: p.impl });
    const base = baselines.get(key);
    if (r.status === 'ok') r.memory = { peakRssKB: r.maxRssKB, baselineRssKB: base.maxRssKB, aboveBaselineMB: (r.maxRssKB - base.maxRssKB) / 1024 };
    const full = finish({ runtime: 'node', ...p, datasetName: DATASETS[p.dataset], side: TASKS[p.task].impls[p.impl].side }, r);
    results.push(full);
    line(full);
  }
}

// ---- Chromium ----
if (!opt['node-only']) {
  const { runInChromium } = await import('./lib/browser-run.mjs');
  const { chromiumVersion, results: br } = await runInChromium(plan, { ...opt, timing, root: ROOT, onResult: (p, r) => {
    const full = finish({ runtime: 'chromium', ...p, datasetName: DATASETS[p.dataset], side: TASKS[p.task].impls[p.impl].side }, r);
    results.push(full);
    line(full);
  } });
  env.chromium = chromiumVersion;
}

env.loadEnd = loadavg();
mkdirSync(opt.out, { recursive: true });
const doc = { env, results };
writeFileSync(join(opt.out, 'results.json'), JSON.stringify(doc, null, 2) + '\n');
writeFileSync(join(opt.out, 'results.md'), renderMarkdown(doc) + '\n');
console.log(`wrote ${join(opt.out, 'results.json')} and results.md`);
const failed = results.filter((r) => r.status === 'failed');
if (failed.length) {
  console.error(`${failed.length} run(s) FAILED their correctness check or crashed: see results.md`);
  process.exit(1);
}
