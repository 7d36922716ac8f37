#!/usr/bin/env node
// Deterministic did:plc audit logs for the plc-verify task, made with the reference library
// (@did-plc/lib 0.0.4 signing with @atproto/crypto keypairs), and go-didplc's test logs gathered
// into one data set.
//
//   node gen-plc.mjs [--operations 100] [--seed 1] [--out data] [--force]
//
// Writes:
//   data/plc-<N>.log.json   the audit log, as plc.directory serves /<did>/log/audit (compact JSON):
//                           [{ did, operation, cid, nullified, createdAt }], N entries in createdAt order
//   data/plc-<N>.json       sidecar: did, counts, sha-256 of the log file, the expected nullified
//                           flags and final state (by construction, confirmed by replaying the log
//                           through @did-plc/lib as the directory accepts operations)
//   data/plc-fixtures.logs.json  the 17 logs of tests/fixtures/plc, [{ name, log }]
//   data/plc-fixtures.json  sidecar: per log its DID, operation count, expected outcome (valid, or
//                           the atproof error code of the rule it breaks), and for a valid one the
//                           nullified flags and final state read from the log itself
// Skips the work when the files exist (unless --force).
//
// The generated history is an account's life: a genesis by the PDS's rotation key; handle changes,
// signing-key rotations, PDS migrations (which swap the PDS rotation key, k256 <-> p256) signed by
// the PDS key or the user's backup key; and every so often a rogue branch of 1–3 operations signed by
// the PDS key (lowest priority) that the user undoes within 72 hours with the recovery or backup
// key, forking from the operation before the branch, so the branch is nullified. Rotation keys:
// [recovery (k256), backup (p256), PDS key (k256 or p256)]. Private keys come from SHA-256 of fixed
// names; timestamps from a seeded PRNG (lib/prng.mjs); ECDSA signing is RFC 6979, so the same seed
// and versions give byte-identical files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import * as plc from '@did-plc/lib';
import { Secp256k1Keypair, P256Keypair } from '@atproto/crypto';
import { createPrng } from './lib/prng.mjs';
import { replayAuditLog } from './lib/plc-replay.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '../tests/fixtures/plc');
const { values: opt } = parseArgs({
  options: {
    operations: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(HERE, 'data') },
    force: { type: 'boolean', default: false },
  },
});
const N = Number(opt.operations);
if (!Number.isInteger(N) || N < 10) throw new Error('--operations must be an integer >= 10');
mkdirSync(opt.out, { recursive: true });
const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------
// The generated log

const name = `plc-${N}`;
const logPath = join(opt.out, `${name}.log.json`);
const sidecarPath = join(opt.out, `${name}.json`);
if (!opt.force && existsSync(logPath) && existsSync(sidecarPath)) {
  console.error(`[gen-plc] ${name}: exists, skipped`);
} else {
  const rand = createPrng('plc-log', opt.seed);
  const KEYPAIR = { k256: Secp256k1Keypair, p256: P256Keypair };
  const key = (curve, label) => KEYPAIR[curve].import(createHash('sha256').update(`atproof bench plc ${opt.seed} ${label}`).digest(), { exportable: true });
  const recovery = await key('k256', 'recovery');
  const backup = await key('p256', 'backup');
  const pdsKeys = [await key('k256', 'pds 0'), await key('p256', 'pds 1')];
  const signingKeys = await Promise.all([0, 1, 2, 3].map((i) => key(i % 2 ? 'p256' : 'k256', `signing ${i}`)));

  const HOUR = 3600_000;
  let clock = Date.UTC(2023, 4, 1, 9, 0, 0) + rand.between(0, 3600) * 1000;
  const tick = (minH, maxH) => (clock += rand.between(minH * 60, maxH * 60) * 60_000 + rand.between(0, 59_999));
  const stamp = () => new Date(clock).toISOString();

  let pds = 0; // index into pdsKeys
  let state = {
    type: 'plc_operation',
    rotationKeys: [recovery.did(), backup.did(), pdsKeys[pds].did()],
    verificationMethods: { atproto: signingKeys[0].did() },
    alsoKnownAs: ['at://alice.pds-0.example.com'],
    services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds-0.example.com' } },
  };
  const log = [];
  const signerCurves = []; // per entry, the curve of the key that signed it (for the sidecar's counts)
  const sign = async (fields, prev, signer) => ({ op: await plc.signOperation({ ...fields, prev }, signer), curve: signer.jwtAlg === 'ES256K' ? 'k256' : 'p256' });
  const push = async ({ op, curve }, nullified = false) => {
    log.push({ did, operation: op, cid: (await plc.getLastOpWithCid([op])).cid.toString(), nullified, createdAt: stamp() });
    signerCurves.push(curve);
    return log.at(-1);
  };
  const genesis = await sign(state, null, pdsKeys[pds]);
  const did = await plc.didForCreateOp(genesis.op);
  let head = await push(genesis); // the operation the next one follows
  let handles = 0;
  let forks = 0;

  /** A regular change of the state: handle, signing key or PDS migration. */
  const change = () => {
    const kind = rand.weighted({ handle: 4, signing: 3, migrate: 2 });
    if (kind === 'handle') {
      handles++;
      return { ...state, alsoKnownAs: [`at://alice-${handles}.${new URL(state.services.atproto_pds.endpoint).host}`] };
    }
    if (kind === 'signing') {
      const next = signingKeys.filter((k) => k.did() !== state.verificationMethods.atproto);
      return { ...state, verificationMethods: { atproto: rand.oneOf(next).did() } };
    }
    pds = 1 - pds;
    const host = `pds-${rand.between(1, 99)}.example.com`;
    return {
      ...state,
      rotationKeys: [recovery.did(), backup.did(), pdsKeys[pds].did()],
      alsoKnownAs: [`at://alice.${host}`],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: `https://${host}` } },
    };
  };

  while (log.length < N) {
    const left = N - log.length;
    // the PDS key that signs is the one in the current state (before a migration takes effect)
    const pdsSigner = pdsKeys.find((k) => k.did() === state.rotationKeys[2]);
    if (left >= 3 && rand.maybe(0.14)) {
      // a rogue branch of 1–3 operations by the PDS key, undone within 72 hours by a stronger key
      const length = Math.min(rand.between(1, 3), left - 1);
      const parent = head;
      const before = state;
      let branchHead = parent;
      const firstAt = clock + 1;
      for (let i = 0; i < length; i++) {
        tick(0.1, 20);
        const rogue = { ...before, alsoKnownAs: [`at://rogue-${forks}-${i}.example.net`], services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: `https://rogue-${forks}.example.net` } } };
        branchHead = await push(await sign(rogue, branchHead.cid, pdsSigner), true);
      }
      // the recovery: 72 hours at most after the first rogue operation
      const latest = firstAt + 72 * HOUR - 1;
      clock = Math.min(latest, clock + rand.between(10 * 60, 40 * 3600) * 1000);
      if (clock <= Date.parse(branchHead.createdAt)) clock = Date.parse(branchHead.createdAt) + 1000;
      state = { ...before, alsoKnownAs: [...before.alsoKnownAs] }; // restored as it was
      head = await push(await sign(state, parent.cid, rand.maybe(0.5) ? recovery : backup));
      forks++;
    } else {
      tick(2, 24 * 30);
      const next = change();
      const signer = rand.maybe(0.8) ? pdsSigner : backup;
      head = await push(await sign(next, head.cid, signer));
      state = next;
    }
  }

  // The reference confirms the whole log, as the directory would have accepted it.
  const replay = await replayAuditLog(plc, did, log);
  const chain = log.filter((e) => !e.nullified).map((e) => e.operation);
  const data = await plc.validateOperationLog(did, chain);
  const { did: _did, ...expectedState } = data;
  const { type: _type, ...builtState } = state;
  if (JSON.stringify(replay.data) !== JSON.stringify(data)) throw new Error('replay and validateOperationLog differ');
  if (JSON.stringify(sortKeys(expectedState)) !== JSON.stringify(sortKeys(builtState))) throw new Error('the final state is not the one built');

  const text = JSON.stringify(log);
  writeFileSync(logPath, text);
  const count = (f) => log.filter(f).length;
  const sidecar = {
    kind: 'did:plc audit log (/<did>/log/audit)',
    // the harness reads the data file named by `car` (the field name every data set uses)
    car: `${name}.log.json`,
    did,
    seed: opt.seed,
    operations: log.length,
    nullified: count((e) => e.nullified),
    forks,
    signatures: { k256: signerCurves.filter((c) => c === 'k256').length, p256: signerCurves.filter((c) => c === 'p256').length },
    bytes: Buffer.byteLength(text),
    sha256: sha256Hex(text),
    expected: { cids: log.map((e) => e.cid), nullified: log.map((e) => e.nullified), state: expectedState },
    generator: { '@did-plc/lib': pkgVersion('@did-plc/lib'), '@atproto/crypto': pkgVersion('@atproto/crypto') },
  };
  writeFileSync(sidecarPath, JSON.stringify(sidecar, null, 2) + '\n');
  console.error(`[gen-plc] ${name}: ${sidecar.operations} operations, ${sidecar.nullified} nullified in ${forks} forks, ${sidecar.bytes} bytes, ${did}`);
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}
function pkgVersion(name) {
  return JSON.parse(readFileSync(join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// ---------------------------------------------------------------------------------------------
// go-didplc's logs, gathered

const fixturesLogs = join(opt.out, 'plc-fixtures.logs.json');
const fixturesSidecar = join(opt.out, 'plc-fixtures.json');
if (!opt.force && existsSync(fixturesLogs) && existsSync(fixturesSidecar)) {
  console.error('[gen-plc] plc-fixtures: exists, skipped');
} else {
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));
  // The rule each invalid log breaks, as atproof names it (the fixtures' own list).
  const CODES = expected.codes;
  const names = [...expected.valid, ...expected.invalid];
  const logs = names.map((n) => ({ name: n, log: JSON.parse(readFileSync(join(FIXTURES, n), 'utf8')) }));
  const meta = logs.map(({ name: n, log }) => {
    const valid = expected.valid.includes(n);
    const out = { name: n, did: log[0].did, operations: log.length, valid, code: valid ? null : CODES[n] };
    if (!CODES[n] && !valid) throw new Error(`no code for ${n}`);
    if (valid) {
      // the state after the last operation not nullified, from the log itself (a legacy `create`
      // normalized as the directory reads it; null after a tombstone)
      const last = log.filter((e) => !e.nullified).at(-1).operation;
      out.nullified = log.map((e) => e.nullified);
      out.state = last.type === 'plc_tombstone' ? null : last.type === 'create'
        ? { rotationKeys: [last.recoveryKey, last.signingKey], verificationMethods: { atproto: last.signingKey }, alsoKnownAs: [`at://${last.handle}`], services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: last.service } } }
        : { rotationKeys: last.rotationKeys, verificationMethods: last.verificationMethods, alsoKnownAs: last.alsoKnownAs, services: last.services };
      // rules @did-plc/lib 0.0.4 predates: its assureValidOp refuses an empty rotationKeys list
      out.emptyRotationKeys = log.some((e) => Array.isArray(e.operation.rotationKeys) && e.operation.rotationKeys.length === 0);
    }
    return out;
  });
  writeFileSync(fixturesLogs, JSON.stringify(logs));
  const total = meta.reduce((n, m) => n + m.operations, 0);
  writeFileSync(fixturesSidecar, JSON.stringify({
    kind: 'go-didplc test logs (tests/fixtures/plc), each verified on its own',
    car: 'plc-fixtures.logs.json',
    logs: meta,
    operations: total,
  }, null, 2) + '\n');
  console.error(`[gen-plc] plc-fixtures: ${logs.length} logs, ${total} operations`);
}
