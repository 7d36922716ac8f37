// One (task, data set, implementation) in a fresh Node process, so that peak RSS belongs to it alone.
//   node lib/node-worker.mjs '<json spec>'
// spec: { task, dataset, impl | null (baseline: load and prepare the inputs only), dataDir, pkgDir,
//         samples, warmupMs, minSampleMs }
// Prints one line "@@result <json>" on stdout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TASKS, DATASETS, prepareInput } from './tasks.mjs';
import { measure, missingExports } from './measure.mjs';

const spec = JSON.parse(process.argv[2]);
const report = (r) => {
  const usage = process.resourceUsage();
  const mem = process.memoryUsage();
  process.stdout.write('@@result ' + JSON.stringify({ ...r, maxRssKB: usage.maxRSS, heapUsedKB: Math.round(mem.heapUsed / 1024), externalKB: Math.round(mem.external / 1024) }) + '\n');
};

try {
  const task = TASKS[spec.task];
  const impl = spec.impl ? task.impls[spec.impl] : null;
  const M = {};
  if (impl) {
    for (const name of impl.modules) {
      M[name] = name === 'atproof' ? await import(pathToFileURL(join(spec.pkgDir, 'node.js')).href) : await import(name);
    }
    const missing = impl.atproof ? missingExports(impl, M.atproof) : [];
    if (missing.length) {
      report({ status: impl.optional ? 'skipped' : 'unavailable', message: impl.optional ? `atproof exports no ${missing.join(', ').replaceAll('|', ' / ')}` : `atproof: ${missing.join(', ')} not available yet` });
      process.exit(0);
    }
  }
  const name = DATASETS[spec.dataset];
  const meta = JSON.parse(readFileSync(join(spec.dataDir, `${name}.json`), 'utf8'));
  const buf = readFileSync(join(spec.dataDir, meta.car));
  const car = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength); // a plain Uint8Array, not a Buffer
  const input = await prepareInput(spec.task, { meta, car });
  const units = task.units(input);
  if (!impl) {
    report({ status: 'baseline', units });
  } else {
    const made = await impl.make(input, M);
    const timing = await measure(made.run, made.check, spec);
    report({ status: 'ok', units, note: made.note, ...timing });
  }
} catch (e) {
  report({ status: 'failed', message: String(e?.message ?? e), stack: String(e?.stack ?? '').split('\n').slice(0, 6).join(' | ') });
}
