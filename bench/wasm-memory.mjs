// WebAssembly memory over a process's life: it grows to the peak of the largest call and never
// shrinks. Verifies the 100k-record repository, then 1,000 small repositories, then makes a fresh
// instance (createInstance) and verifies the 1,000 small ones in it, and last grows another fresh
// instance with the large repository and releases it, printing the instance's wasm memory
// (wasmMemoryBytes) and the process's RSS at each step. Run with --expose-gc.
//   node --expose-gc bench/wasm-memory.mjs [bench/data/repo-100000-k256-s1.car]   (after bench/run.sh made the data)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const atproof = await import(join(here, '..', 'pkg', 'node.js'));
const large = new Uint8Array(readFileSync(process.argv[2] ?? join(here, 'data', 'repo-100000-k256-s1.car')));
const small = new Uint8Array(readFileSync(join(here, '..', 'tests', 'fixtures', 'generated', 'repo-1000-s1-k256.car')));
const MB = (n) => (n / 1e6).toFixed(1);

const rows = [];
const row = (step, instance) => {
  globalThis.gc?.();
  rows.push([step, MB(instance.wasmMemoryBytes()), MB(process.memoryUsage().rss)]);
};

row('after loading', atproof);
atproof.verifyRepo(large);
row(`verifyRepo, ${MB(large.length)} MB CAR`, atproof);
for (let i = 0; i < 1000; i++) atproof.verifyRepo(small);
row(`then 1,000 × verifyRepo, ${MB(small.length)} MB CAR`, atproof);
const fresh = await atproof.createInstance(readFileSync(join(here, '..', 'pkg', 'atproof_bg.wasm')));
row('createInstance (the fresh one)', fresh);
for (let i = 0; i < 1000; i++) fresh.verifyRepo(small);
row(`the fresh one after 1,000 × verifyRepo, ${MB(small.length)} MB CAR`, fresh);

const job = await atproof.createInstance(readFileSync(join(here, '..', 'pkg', 'atproof_bg.wasm')));
job.verifyRepo(large);
row(`another fresh instance after verifyRepo, ${MB(large.length)} MB CAR`, job);
job.release();
// The memory goes with the instance at a full collection: a few, with time between them.
for (let i = 0; i < 5; i++) {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
}
rows.push(['… released (the main instance\'s wasm memory; process RSS)', MB(atproof.wasmMemoryBytes()), MB(process.memoryUsage().rss)]);

console.log(`Node ${process.version}, ${new Date().toISOString()}`);
console.log('| step | wasm memory (MB) | process RSS (MB) |\n| --- | ---: | ---: |');
for (const [step, wasm, rss] of rows) console.log(`| ${step} | ${wasm} | ${rss} |`);
