// The syntax vectors and a few API checks through the package in Deno and Bun:
//   deno run --allow-read tests/js/smoke.mjs   /   bun tests/js/smoke.mjs
// Prints "N passed, M failed" and exits non-zero on any failure.
import * as atproof from 'atproof';
import { EXPECTED_VECTORS, diskReader, runSyntaxVectors } from './vectors.mjs';

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : 'node';
const { passed: vectorsPassed, failures } = runSyntaxVectors(atproof, await diskReader());
let passed = vectorsPassed;
const check = (name, ok) => (ok ? passed++ : failures.push(name));

check(`all ${EXPECTED_VECTORS} vectors ran`, vectorsPassed + failures.length === EXPECTED_VECTORS);
let last = atproof.Tid.now();
let increasing = true;
for (let i = 0; i < 100_000; i++) {
  const next = atproof.Tid.now();
  increasing &&= next > last;
  last = next;
}
check('Tid.now increasing', increasing);
check('Tid round trip', atproof.Tid.parse(atproof.Tid.fromTime(1_700_000_000_000_000, 7)).clockId === 7);
check('AtUri', atproof.AtUri.parse('at://Bob.Test/app.bsky.feed.post/3k').toString() === 'at://bob.test/app.bsky.feed.post/3k');
try {
  atproof.ensureValidDid(12);
  failures.push('ensureValidDid(12) did not throw');
} catch (e) {
  check('AtproofError on a number', e instanceof atproof.AtproofError && e.code === 'invalid-argument');
}
check('works after errors', atproof.isValidDid('did:plc:7iza6de2dwap2sbkpav7c6c6'));

for (const f of failures) console.error(`FAIL ${f}`);
console.log(`${runtime}: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0 || passed === 0) {
  if (globalThis.Deno) Deno.exit(1);
  else process.exit(1);
}
