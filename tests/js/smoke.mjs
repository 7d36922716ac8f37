// The runtime-independent suites through the package in Deno and Bun:
//   deno run --allow-read tests/js/smoke.mjs   /   bun tests/js/smoke.mjs
// Prints "N passed, M failed" and exits non-zero on any failure.
import * as atproof from 'atproof';
import { diskFixtures } from './fixtures.mjs';
import { runSuites } from './suites/util.mjs';
import { SUITES } from './suites/all.mjs';

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : 'node';
const { passed, failures } = await runSuites(atproof, diskFixtures(), SUITES);
for (const f of failures) console.error(`FAIL ${f}`);
console.log(`${runtime}: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0 || passed === 0) {
  if (globalThis.Deno) Deno.exit(1);
  else process.exit(1);
}
