// What a loaded repository holds in wasm memory. WebAssembly memory only grows (to the peak of the
// largest call), so one load cannot tell what stays from what the verification used for a while;
// loading the same CAR again and again in one fresh instance, holding every Repo, can: the memory
// grows by what each loaded repository keeps. Prints the instance's wasm memory after each load
// and the growth per repository against the CAR's size, then after one write to each.
//   node bench/repo-memory.mjs [bench/data/repo-100000-k256-s1.car] [copies]   (after bench/run.sh made the data)
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const atproof = await import(join(here, '..', 'pkg', 'node.js'));
const path = process.argv[2] ?? join(here, 'data', 'repo-100000-k256-s1.car');
const copies = Number(process.argv[3] ?? 4);
const car = new Uint8Array(readFileSync(path));
const meta = JSON.parse(readFileSync(path.replace(/\.car$/, '.json'), 'utf8'));
// The generator's key (bench/lib/prng.mjs digest): SHA-256 of `signing-key:<curve>\0<seed>`.
const secret = createHash('sha256').update(`signing-key:${meta.curve}\0${meta.seed}`).digest();
const instance = await atproof.createInstance(readFileSync(join(here, '..', 'pkg', 'atproof_bg.wasm')));
const keypair = instance.Keypair.import(meta.curve, new Uint8Array(secret));
const MB = (n) => (n / 1e6).toFixed(1);

console.log(`${path}: ${MB(car.length)} MB, ${meta.recordCount} records (${new Date().toISOString().slice(0, 10)})`);
const held = [];
const sizes = [instance.wasmMemoryBytes()];
for (let i = 0; i < copies; i++) {
  held.push(await instance.Repo.load(car, { keypair }));
  sizes.push(instance.wasmMemoryBytes());
  console.log(`  ${i + 1} loaded: wasm memory ${MB(sizes.at(-1))} MB`);
}
const perRepo = (sizes.at(-1) - sizes[1]) / (copies - 1);
console.log(`  kept per loaded repository: ${MB(perRepo)} MB = ${(perRepo / car.length).toFixed(2)} × the CAR`);
for (const repo of held) {
  await repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'one more', createdAt: '2026-12-05T00:00:00.000Z' } }]);
}
console.log(`  after one write to each: wasm memory ${MB(instance.wasmMemoryBytes())} MB`);
instance.release();
