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

console.log(`atproof ${JSON.parse(readFileSync(new URL('pkg/package.json', root))).version} — checks on the built-in sample data\n`);
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

console.log('\nRepositories (made by the reference implementation, @atproto/repo):');
let repoFailures = 0;
for (const curve of ['k256', 'p256']) {
  const name = `repo-1000-s1-${curve}`;
  const car = new Uint8Array(readFileSync(new URL(`tests/fixtures/generated/${name}.car`, root)));
  const meta = JSON.parse(readFileSync(new URL(`tests/fixtures/generated/${name}.json`, root)));
  const started = performance.now();
  const repo = atproof.verifyRepo(car, { did: meta.did, key: meta.signingKey });
  const ms = performance.now() - started;
  const counts = {};
  for (const { path } of repo.records) {
    const collection = path.slice(0, path.indexOf('/'));
    counts[collection] = (counts[collection] ?? 0) + 1;
  }
  const expected = readFileSync(new URL(`tests/fixtures/generated/${name}.records.tsv`, root), 'utf8').trim().split('\n');
  const same = expected.length === repo.records.length && [...repo.records].every((r, i) => `${r.path}\t${r.cid}` === expected[i]);
  if (!same || repo.commit !== meta.commitCid) repoFailures++;
  console.log(`  ${name}.car (${car.length.toLocaleString('en')} bytes) verified in ${ms.toFixed(1)} ms`);
  console.log(`    did ${repo.did}, rev ${repo.rev}, commit ${repo.commit}`);
  console.log(`    signed by ${meta.signingKey} (${curve}): signature ${repo.signatureVerified ? 'verified, low-S' : 'NOT checked'}`);
  console.log(`    ${repo.records.length} records: ${Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  console.log(`    checked: ${atproof.readCar(car).blocks.size} block hashes, commit fields and DID, MST structure and canonical form (layers, order, prefixes, ranges), every record present and valid DRISL`);
  console.log(`    records equal the reference's list: ${same}`);
  const { path, cid } = repo.records.at(500);
  const [collection, rkey] = path.split('/');
  const proven = atproof.verifyRecord(atproof.recordProof(car, collection, rkey), { did: repo.did, key: meta.signingKey, collection, rkey });
  console.log(`    record proof of ${path}: ${proven.cid === cid ? 'verified' : 'MISMATCH'} (${proven.record.$type})`);
  if (proven.cid !== cid) repoFailures++;
}
const tampered = new Uint8Array(readFileSync(new URL('tests/fixtures/generated/repo-1000-s1-k256.car', root)));
tampered[tampered.length - 20] ^= 1;
try {
  atproof.verifyRepo(tampered);
  repoFailures++;
  console.log('  a tampered repository was ACCEPTED');
} catch (e) {
  console.log(`  one flipped bit in the last record: ${e.name} [${e.code}] ${e.message}`);
}

console.log('\nFirehose (#commit streams made by the reference implementation, @atproto/repo):');
let streamFailures = 0;
for (const curve of ['k256', 'p256']) {
  const name = `repo-1000-s1-${curve}`;
  const bin = new Uint8Array(readFileSync(new URL(`tests/fixtures/generated/${name}.frames.bin`, root)));
  const meta = JSON.parse(readFileSync(new URL(`tests/fixtures/generated/${name}.frames.json`, root)));
  const frames = meta.frames.map((f) => bin.subarray(f.offset, f.offset + f.length));
  const verifier = new atproof.FirehoseVerifier({ resolveKey: async () => meta.signingKey });
  const counts = { valid: 0, invalid: 0, desync: 0, ignored: 0 };
  let ops = 0;
  let data = meta.startData;
  const started = performance.now();
  for (const frame of frames) {
    const event = await verifier.process(frame);
    counts[event.status]++;
    ops += event.commit?.ops.length ?? 0;
    data = event.commit?.data ?? data;
  }
  const ms = performance.now() - started;
  const after = atproof.verifyRepo(new Uint8Array(readFileSync(new URL(`tests/fixtures/generated/${name}.after.car`, root))));
  if (counts.valid !== frames.length || after.data !== data) streamFailures++;
  console.log(`  ${name}.frames.bin: ${frames.length} frames, ${ops} ops, in ${ms.toFixed(0)} ms (${Math.round(frames.length / (ms / 1000)).toLocaleString('en')} frames/s)`);
  console.log(`    ${Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(', ')}`);
  console.log('    checked per frame: every block hash, the signature, the commit against the frame, each op against the new tree, the ops inverted back to prevData, and prevData/since against the previous frame');
  console.log(`    the last data root equals the repository after the stream (${after.data}): ${after.data === data}`);
  const tamperedFrame = frames[7].slice();
  tamperedFrame[tamperedFrame.length - 3] ^= 1;
  const result = await new atproof.FirehoseVerifier({ resolveKey: async () => meta.signingKey }).process(tamperedFrame).catch((e) => ({ status: 'invalid', error: e }));
  console.log(`    one flipped bit in frame 8: ${result.status} [${result.error?.code}] ${result.error?.message}`);
  if (result.status !== 'invalid') streamFailures++;
}

console.log('\nDID logs (did:plc audit logs, go-didplc\'s test data):');
let plcFailures = 0;
const plcDir = new URL('tests/fixtures/plc/', root);
const plcExpected = JSON.parse(readFileSync(new URL('expected.json', plcDir), 'utf8'));
for (const name of [...plcExpected.valid, ...plcExpected.invalid]) {
  const text = readFileSync(new URL(name, plcDir), 'utf8');
  const did = JSON.parse(text)[0].did;
  const shouldPass = plcExpected.valid.includes(name);
  try {
    const log = atproof.verifyPlcLog(did, text);
    const nullified = log.operations.filter((op) => op.nullified).length;
    const handle = log.state?.alsoKnownAs[0] ?? '(deactivated)';
    console.log(`  ${name}: valid — ${log.operations.length} operations, ${nullified} nullified, ${handle}`);
    if (!shouldPass) plcFailures++;
  } catch (e) {
    console.log(`  ${name}: refused [${e.code}] ${e.message}`);
    if (shouldPass) plcFailures++;
  }
}
console.log('  checked: operation shapes, CIDs, the DID from the genesis, strict signatures by the allowed rotation keys, the chain, 72-hour nullification by a stronger key, the nullified flags');

try {
  atproof.ensureValidDatetime('1985-04-12T25:20:50.123Z');
} catch (e) {
  console.log(`\nErrors carry codes: ${e.name} [${e.code}] ${e.message}`);
}
if (wrong > 0 || !increasing || repoFailures > 0 || streamFailures > 0 || plcFailures > 0) process.exit(1);
