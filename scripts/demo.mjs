// The main job on built-in sample data: what the built package (pkg/) checks, printed.
// Run through scripts/demo.sh, which builds the package first.
import { readFileSync, readdirSync } from 'node:fs';
import * as atproof from '../pkg/node.js';

const root = new URL('../', import.meta.url);
const syntaxDir = new URL('tests/fixtures/interop/syntax/', root);
const CHECKS = {
  tid: 'isValidTid', recordkey: 'isValidRecordKey', nsid: 'isValidNsid', did: 'isValidDid',
  handle: 'isValidHandle', atidentifier: 'isValidAtIdentifier', aturi: 'isValidAtUri',
  datetime: 'isValidDatetime', language: 'isValidLanguage', cid: 'isValidCid', uri: 'isValidUri',
};

console.log(`atproof ${JSON.parse(readFileSync(new URL('pkg/package.json', root))).version} — sample data checks\n`);
console.log('Syntax (atproto interop vectors):');
let total = 0;
let wrong = 0;
for (const [kind, fn] of Object.entries(CHECKS)) {
  const counts = { valid: 0, invalid: 0 };
  for (const file of readdirSync(syntaxDir).filter((f) => f.startsWith(`${kind}_`)).sort()) {
    const expected = file.includes('_valid') ? 'valid' : 'invalid';
    const lines = readFileSync(new URL(file, syntaxDir), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const line of lines) {
      const got = atproof[fn](line) ? 'valid' : 'invalid';
      counts[got]++;
      if (got !== expected) {
        wrong++;
        console.log(`  MISMATCH ${fn}(${JSON.stringify(line)}) is ${got}, ${file} says ${expected}`);
      }
    }
  }
  total += counts.valid + counts.invalid;
  console.log(`  ${fn.padEnd(20)} ${String(counts.valid).padStart(3)} accepted, ${String(counts.invalid).padStart(3)} rejected`);
}
console.log(`  ${total} vectors, ${wrong} mismatches`);

console.log('\nTIDs:');
const n = 100_000;
const started = performance.now();
let last = atproof.Tid.now();
let increasing = true;
for (let i = 1; i < n; i++) {
  const next = atproof.Tid.now();
  increasing &&= next > last;
  last = next;
}
const ms = performance.now() - started;
const parts = atproof.Tid.parse(last);
console.log(`  ${n} × Tid.now() in ${ms.toFixed(0)} ms, strictly increasing: ${increasing}`);
console.log(`  last: ${last} = ${parts.date.toISOString()} (${parts.micros} µs), clock id ${parts.clockId}`);

console.log('\nAT-URI normalization:');
const input = 'at://Alice.Example.COM/COM.Example.feed.post/3jzfcijpj2z2A';
console.log(`  ${input}\n  → ${atproof.AtUri.parse(input)}`);

try {
  atproof.ensureValidDatetime('1985-04-12T25:20:50.123Z');
} catch (e) {
  console.log(`\nErrors carry codes: ${e.name} [${e.code}] ${e.message}`);
}
if (wrong > 0 || !increasing) process.exit(1);
