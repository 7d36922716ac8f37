// The in-page side of the Chromium run: the same tasks (lib/tasks.mjs) and timing loop
// (lib/measure.mjs) as the Node worker, with the data fetched from the local server (untimed).
// lib/browser-run.mjs calls window.__bench.run(spec) once per fresh browser context.
import { TASKS, DATASETS, prepareInput } from '../lib/tasks.mjs';
import { measure, missingExports } from '../lib/measure.mjs';

const heap = () => globalThis.performance?.memory?.usedJSHeapSize;

export function install(side, modules) {
  globalThis.__bench = {
    side,
    async run(spec) {
      try {
        return await runOne(spec, modules);
      } catch (e) {
        return { status: 'failed', message: String(e?.message ?? e), stack: String(e?.stack ?? '').split('\n').slice(0, 6).join(' | ') };
      }
    },
  };
}

async function runOne(spec, modules) {
  const task = TASKS[spec.task];
  const impl = task.impls[spec.impl];
  const M = {};
  for (const name of impl.modules) {
    if (!modules[name]) throw new Error(`module ${name} is not in this bundle`);
    M[name] = modules[name];
  }
  if (impl.atproof) {
    const missing = missingExports(impl, M.atproof);
    if (missing.length) {
      return impl.optional
        ? { status: 'skipped', message: `atproof exports no ${missing.join(', ').replaceAll('|', ' / ')}` }
        : { status: 'unavailable', message: `atproof: ${missing.join(', ')} not available yet` };
    }
  }
  const name = DATASETS[spec.dataset];
  const meta = await (await fetch(`/data/${name}.json`)).json();
  const car = new Uint8Array(await (await fetch(`/data/${meta.car}`)).arrayBuffer());
  const input = await prepareInput(spec.task, { meta, car });
  const units = task.units(input);

  // wasm linear memory is not part of the JS heap: for atproof, add its growth
  let wasmMemory;
  if (M.atproof && typeof M.atproof.init === 'function') {
    try {
      wasmMemory = (await M.atproof.init())?.memory;
    } catch { /* not reachable: report the JS heap only */ }
  }
  const wasmBytes = () => wasmMemory?.buffer.byteLength ?? 0;
  globalThis.gc?.();
  const heap0 = heap();
  const wasm0 = wasmBytes();
  let heapPeak = heap0;
  const note = () => {
    const h = heap();
    if (h !== undefined && h > heapPeak) heapPeak = h;
  };

  const made = await impl.make(input, M);
  const check = async (out) => {
    note();
    return made.check(out);
  };
  const timing = await measure(made.run, check, { ...spec, afterSample: note });
  let memory;
  if (heap0 !== undefined) {
    const wasmGrowth = wasmBytes() - wasm0;
    memory = { jsHeapAboveBaselineMB: (heapPeak - heap0) / 2 ** 20, wasmGrowthMB: wasmGrowth / 2 ** 20, aboveBaselineMB: (heapPeak - heap0 + wasmGrowth) / 2 ** 20 };
  }
  return { status: 'ok', units, note: made.note, memory, ...timing };
}
