// Peak memory of one repository verification, each in a fresh Node process: verifyRepo on a CAR
// already in memory (peak RSS above the process after loading the CAR), and verifyRepoStream on a
// file stream (peak RSS above the resident size before reading anything) — what a user pays for one call,
// without the garbage of many timed repetitions that the main benchmark's peak RSS includes.
//   node bench/memory.mjs [bench/data/repo-100000-k256-s1.car …]   (after bench/run.sh made the data)
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const cars = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(join(here, 'data')).filter((f) => /^repo-\d+-k256-s1\.car$/.test(f)).map((f) => join(here, 'data', f))
      .sort((a, b) => statSync(a).size - statSync(b).size);
const pkg = join(here, '..', 'pkg', 'node.js');

const child = (mode, car) => `
  const { readFileSync, createReadStream } = await import('node:fs');
  const atproof = await import(${JSON.stringify(pkg)});
  const meta = JSON.parse(readFileSync(${JSON.stringify(car.replace(/\.car$/, '.json'))}, 'utf8'));
  const options = { did: meta.did, key: meta.signingKey };
  let base, result;
  if (${JSON.stringify(mode)} === 'buffer') {
    const car = new Uint8Array(readFileSync(${JSON.stringify(car)}));
    globalThis.gc(); base = process.memoryUsage().rss / 1024;
    result = atproof.verifyRepo(car, options);
  } else {
    globalThis.gc(); base = process.memoryUsage().rss / 1024;
    result = await atproof.verifyRepoStream(createReadStream(${JSON.stringify(car)}, { highWaterMark: 1 << 16 }), options);
  }
  let n = 0;
  for (const { path } of result.records) n += path.length > 0;
  console.log(JSON.stringify({ records: n, peakMB: (process.resourceUsage().maxRSS - base) / 1024 }));
`;

console.log('| CAR | records | CAR MB | verifyRepo (buffer): peak RSS above the resident size with the CAR loaded | verifyRepoStream (file stream): peak RSS above the resident size before |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const car of cars) {
  const run = (mode) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', child(mode, car)], { encoding: 'utf8' }));
  const buffer = run('buffer');
  const stream = run('stream');
  const mb = statSync(car).size / 1e6;
  console.log(`| ${car.split('/').pop()} | ${buffer.records.toLocaleString('en')} | ${mb.toFixed(1)} | ${buffer.peakMB.toFixed(0)} MB (${(buffer.peakMB / mb).toFixed(2)}× the CAR) | ${stream.peakMB.toFixed(0)} MB (${(stream.peakMB / mb).toFixed(2)}× the CAR) |`);
}
