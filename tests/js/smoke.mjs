// The runtime-independent suites through the package in Deno and Bun:
//   deno run --allow-read tests/js/smoke.mjs   /   bun tests/js/smoke.mjs
// Then the verify-only build (atproof/verify). Prints "N passed, M failed" for each and exits
// non-zero on any failure.
import * as atproof from 'atproof';
import * as atproofVerify from 'atproof/verify';
import { diskFixtures } from './fixtures.mjs';
import { runSuites } from './suites/util.mjs';
import { SUITES, verifySuites } from './suites/all.mjs';

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : 'node';
const { passed, failures } = await runSuites(atproof, diskFixtures(), SUITES);
const verifyBuild = verifySuites(atproofVerify, atproof);
const verified = await runSuites(verifyBuild.module, diskFixtures(), verifyBuild.suites);
for (const f of failures) console.error(`FAIL ${f}`);
for (const f of verified.failures) console.error(`FAIL atproof/verify: ${f}`);
console.log(`${runtime}: ${passed} passed, ${failures.length} failed; atproof/verify: ${verified.passed} passed, ${verified.failures.length} failed`);
if (failures.length > 0 || passed === 0 || verified.failures.length > 0 || verified.passed === 0) {
  if (globalThis.Deno) Deno.exit(1);
  else process.exit(1);
}
