// The benchmark's tasks, shared by the Node worker and the browser page. Every implementation gets
// the same prepared inputs, returns what the task asks for, and its output is checked against
// facts computed independently (lib/car.mjs, lib/cbor-facts.mjs) or stored by the generator.
//
// An implementation is { side, modules, needs?, async, make(input, M) }:
//   side     'atproof' | 'atcute' | 'atproto' | 'didplc' (which bundle holds it in the browser)
//   modules  the packages it imports; M maps each name to its module namespace
//   needs    atproof exports it requires; a missing one -> "atproof: <fn> not available yet"
//   make     untimed set-up -> { run(): output (or Promise), check(output): Promise<string|void> }
//            check throws (or returns an error string) when the output is wrong.
import { splitCar, recordListDigest, sha256Hex } from './car.mjs';
import { factsOf, factsOfValue, splitCommit } from './cbor-facts.mjs';
import { replayAuditLog } from './plc-replay.mjs';
import { WRITE_TASKS, prepareWriteInput } from './write-tasks.mjs';

/** Names a batched CBOR decoder of atproof may carry (api.md does not fix one). */
export const ATPROOF_BATCH_DECODERS = ['decodeCborMany', 'decodeCborBatch', 'decodeCborAll'];

export const DATASETS = {
  '1k': 'repo-1000-k256-s1',
  '1k-p256': 'repo-1000-p256-s1',
  '10k': 'repo-10000-k256-s1',
  '100k': 'repo-100000-k256-s1',
  // The reference implementation's #commit stream (tests/fixtures/generated, copied by run.sh).
  stream: 'stream-1000-k256-s1',
  // did:plc audit logs (gen-plc.mjs): a generated 100-operation history with forks, and go-didplc's
  // 17 test logs (tests/fixtures/plc) verified one after the other.
  'plc-100': 'plc-100',
  'plc-fixtures': 'plc-fixtures',
};

// ---------------------------------------------------------------------------------------------
// Input preparation (untimed; also what the baseline process does)

/** data = { meta (sidecar), car: Uint8Array } */
export async function prepareInput(taskId, data) {
  if (taskId in WRITE_TASKS) return prepareWriteInput(taskId, data);
  const { meta, car } = data;
  if (taskId === 'plc-verify') {
    // `car` is the data file: one audit log's JSON text (plc-100), or [{ name, log }] (plc-fixtures).
    // Every implementation starts from the text the directory serves, one text per log.
    const text = new TextDecoder().decode(car);
    if (meta.logs) {
      const logs = JSON.parse(text);
      if (logs.length !== meta.logs.length) throw new Error(`prepare: ${logs.length} logs, sidecar says ${meta.logs.length}`);
      const items = logs.map(({ name, log }, i) => {
        if (name !== meta.logs[i].name) throw new Error(`prepare: log ${i} is ${name}`);
        return { ...meta.logs[i], cids: log.map((e) => e.cid), text: JSON.stringify(log) };
      });
      return { meta, logs: items, operations: meta.operations, totalBytes: items.reduce((n, l) => n + l.text.length, 0) };
    }
    if (await sha256Hex(car) !== meta.sha256) throw new Error('prepare: the log file is not the generator\'s');
    return { meta, logs: [{ name: meta.car, did: meta.did, valid: true, code: null, operations: meta.operations, nullified: meta.expected.nullified, cids: meta.expected.cids, state: meta.expected.state, text }], operations: meta.operations, totalBytes: car.length };
  }
  if (taskId === 'firehose-verify') {
    // `car` is the stream file: [u32 length][frame] repeated; the sidecar has each frame's offset.
    const frames = meta.frames.map((f) => car.subarray(f.offset, f.offset + f.length));
    return { meta, frames, expected: meta.frames.map((f) => f.data), totalBytes: frames.reduce((n, f) => n + f.length, 0) };
  }
  const { blocks } = splitCar(car);
  const input = { meta, car, blocks, carBytes: car.length };
  if (taskId === 'cbor-decode') {
    // every record block (records are the leaves' values; MST nodes and the commit are not)
    const nonRecord = new Set([meta.commitCid]);
    for (const b of blocks) {
      const f = factsOf(b.bytes);
      if (b.cid !== meta.commitCid && isMstNodeShape(b.bytes)) nonRecord.add(b.cid);
      b.facts = f;
    }
    input.records = blocks.filter((b) => !nonRecord.has(b.cid));
    if (input.records.length !== meta.recordBlockCount) {
      throw new Error(`prepare: found ${input.records.length} record blocks, sidecar says ${meta.recordBlockCount}`);
    }
    input.recordBytes = input.records.map((b) => b.bytes);
    input.totalBytes = input.recordBytes.reduce((n, b) => n + b.length, 0);
    const links = input.records.flatMap((b) => b.facts.links);
    input.expected = { values: input.records.length, items: input.records.reduce((n, b) => n + b.facts.items, 0), links: links.length, linkDigest: await sha256Hex(links.sort().join('\n')) };
    for (const b of blocks) delete b.facts;
  } else if (taskId === 'cbor-validate') {
    input.blockBytes = blocks.map((b) => b.bytes);
    input.totalBytes = input.blockBytes.reduce((n, b) => n + b.length, 0);
    input.expectedCidDigest = await sha256Hex(blocks.map((b) => b.cid).join('\n'));
  } else if (taskId === 'sig-verify') {
    const commit = blocks.find((b) => b.cid === meta.commitCid);
    if (!commit) throw new Error('prepare: commit block missing');
    const { sig, unsigned } = splitCommit(commit.bytes);
    input.sig = sig;
    input.unsigned = unsigned;
    input.tampered = unsigned.slice();
    input.tampered[input.tampered.length - 1] ^= 1;
  }
  return input;
}

// An MST node is a map {e: [...], l: link|null}; a record always has $type (and more keys).
function isMstNodeShape(bytes) {
  // 0xa2 = map(2), 0x61 0x65 = "e", ... ; records start with a larger map or with "$type"
  return bytes[0] === 0xa2 && bytes[1] === 0x61 && bytes[2] === 0x65;
}

// ---------------------------------------------------------------------------------------------
// Checks

const fail = (msg) => { throw new Error(msg); };

async function checkDecoded(values, input) {
  if (!Array.isArray(values) || values.length !== input.expected.values) fail(`decoded ${values?.length} values, expected ${input.expected.values}`);
  const acc = { items: 0, links: [] };
  for (const v of values) factsOfValue(v, acc);
  const e = input.expected;
  if (acc.items !== e.items) fail(`decoded ${acc.items} data items, expected ${e.items}`);
  if (acc.links.length !== e.links) fail(`decoded ${acc.links.length} links, expected ${e.links}`);
  const d = await sha256Hex(acc.links.sort().join('\n'));
  if (d !== e.linkDigest) fail('decoded link CIDs differ from the encoded ones');
}

async function checkCids(cids, input) {
  if (!Array.isArray(cids) || cids.length !== input.blocks.length) fail(`computed ${cids?.length} CIDs, expected ${input.blocks.length}`);
  if ((await sha256Hex(cids.join('\n'))) !== input.expectedCidDigest) {
    const i = cids.findIndex((c, k) => c !== input.blocks[k].cid);
    fail(`CID of block ${i} is ${cids[i]}, expected ${input.blocks[i]?.cid}`);
  }
}

async function checkRecordList(list, input) {
  const { meta } = input;
  if (!Array.isArray(list) || list.length !== meta.recordCount) fail(`listed ${list?.length} records, expected ${meta.recordCount}`);
  const lines = list.map((r) => `${r.path}\t${r.cid}`);
  if ((await recordListDigest(lines)) !== meta.recordListSha256) fail('sha-256 of the sorted path/cid list differs from the generator\'s');
}

// ---------------------------------------------------------------------------------------------
// Tasks

export const TASKS = {
  'cbor-decode': {
    title: 'DAG-CBOR decode of every record block',
    datasets: { full: ['10k'], quick: ['10k'] },
    units: (input) => ({ items: input.records.length, itemName: 'records', bytes: input.totalBytes }),
    impls: {
      'atproof decodeCbor': {
        side: 'atproof', modules: ['atproof'], needs: ['decodeCbor'], atproof: true,
        make: (input, M) => {
          const decodeCbor = M.atproof.decodeCbor;
          const blocks = input.recordBytes;
          return {
            run() {
              const out = new Array(blocks.length);
              for (let i = 0; i < blocks.length; i++) out[i] = decodeCbor(blocks[i]);
              return out;
            },
            check: (out) => checkDecoded(out, input),
          };
        },
      },
      'atproof batched decode': {
        side: 'atproof', modules: ['atproof'], needs: ['decodeCborMany|decodeCborBatch|decodeCborAll'], atproof: true, optional: true,
        make: (input, M) => {
          const name = ATPROOF_BATCH_DECODERS.find((n) => typeof M.atproof[n] === 'function');
          const batch = M.atproof[name];
          const blocks = input.recordBytes;
          return { run: () => batch(blocks), check: (out) => checkDecoded(out, input), note: `atproof.${name}` };
        },
      },
      '@atcute/cbor decode': {
        side: 'atcute', modules: ['@atcute/cbor'],
        make: (input, M) => {
          const { decode } = M['@atcute/cbor'];
          const blocks = input.recordBytes;
          return {
            run() {
              const out = new Array(blocks.length);
              for (let i = 0; i < blocks.length; i++) out[i] = decode(blocks[i]);
              return out;
            },
            check: (out) => checkDecoded(out, input),
          };
        },
      },
      '@atproto/lex-cbor decode': {
        side: 'atproto', modules: ['@atproto/lex-cbor'],
        make: (input, M) => {
          const { decode } = M['@atproto/lex-cbor'];
          const blocks = input.recordBytes;
          return {
            run() {
              const out = new Array(blocks.length);
              for (let i = 0; i < blocks.length; i++) out[i] = decode(blocks[i]);
              return out;
            },
            check: (out) => checkDecoded(out, input),
          };
        },
      },
    },
    // the ratio column: each peer against these atproof implementations (label: implementation)
    compareWith: { default: { single: 'atproof decodeCbor', batched: 'atproof batched decode' } },
  },

  'cbor-validate': {
    title: 'validation-only decode and CID (SHA-256) of every block',
    datasets: { full: ['10k'], quick: ['10k'] },
    units: (input) => ({ items: input.blocks.length, itemName: 'blocks', bytes: input.totalBytes }),
    impls: {
      'atproof validateCbor': {
        side: 'atproof', modules: ['atproof'], needs: ['validateCbor'], atproof: true, group: 'validate',
        make: (input, M) => {
          const validateCbor = M.atproof.validateCbor;
          const blocks = input.blockBytes;
          return {
            run() {
              let ok = 0;
              for (let i = 0; i < blocks.length; i++) if (validateCbor(blocks[i]) !== false) ok++;
              return ok;
            },
            async check(ok) {
              if (ok !== blocks.length) fail(`${ok} of ${blocks.length} blocks validated`);
              // a validator must also say no: a truncated block
              let refused = false;
              try { refused = validateCbor(blocks[0].subarray(0, blocks[0].length - 1)) === false; } catch { refused = true; }
              if (!refused) fail('validateCbor accepted a truncated block');
            },
          };
        },
      },
      'atproof cidForCbor': {
        side: 'atproof', modules: ['atproof'], needs: ['cidForCbor'], atproof: true, group: 'cid',
        make: (input, M) => {
          const cidForCbor = M.atproof.cidForCbor;
          const blocks = input.blockBytes;
          return {
            run() {
              const out = new Array(blocks.length);
              for (let i = 0; i < blocks.length; i++) out[i] = cidForCbor(blocks[i]);
              return out;
            },
            check: (out) => checkCids(out, input),
          };
        },
      },
      '@atcute/cid create': {
        side: 'atcute', modules: ['@atcute/cid'], group: 'cid',
        make: (input, M) => {
          const { create, toString } = M['@atcute/cid'];
          const blocks = input.blockBytes;
          return {
            async run() {
              const out = new Array(blocks.length);
              for (let i = 0; i < blocks.length; i++) out[i] = toString(await create(0x71, blocks[i]));
              return out;
            },
            check: (out) => checkCids(out, input),
          };
        },
      },
      '@atproto/lex-data cidForCbor': {
        side: 'atproto', modules: ['@atproto/lex-data'], group: 'cid',
        make: (input, M) => {
          const { cidForCbor } = M['@atproto/lex-data'];
          const blocks = input.blockBytes;
          return {
            async run() {
              const out = new Array(blocks.length);
              for (let i = 0; i < blocks.length; i++) out[i] = (await cidForCbor(blocks[i])).toString();
              return out;
            },
            check: (out) => checkCids(out, input),
          };
        },
      },
    },
    compareWith: { cid: { '': 'atproof cidForCbor' } },
  },

  'sig-verify': {
    title: 'verify one commit signature (key parsed once)',
    datasets: { full: ['1k', '1k-p256'], quick: ['1k', '1k-p256'] },
    units: () => ({ items: 1, itemName: 'verifications', bytes: 0 }),
    impls: {
      'atproof verifySignature': {
        side: 'atproof', modules: ['atproof'], needs: ['verifySignature'], atproof: true,
        make: (input, M) => {
          const { verifySignature } = M.atproof;
          const { signingKey } = input.meta;
          const { unsigned, sig } = input;
          return { run: () => verifySignature(signingKey, unsigned, sig), check: (ok) => checkSig(ok, () => verifySignature(signingKey, input.tampered, sig)) };
        },
      },
      'atproof verifySignatureAsync': {
        side: 'atproof', modules: ['atproof'], needs: ['verifySignatureAsync'], atproof: true,
        make: (input, M) => {
          const { verifySignatureAsync } = M.atproof;
          const { signingKey } = input.meta;
          const { unsigned, sig } = input;
          return { run: () => verifySignatureAsync(signingKey, unsigned, sig), check: (ok) => checkSig(ok, () => verifySignatureAsync(signingKey, input.tampered, sig)) };
        },
      },
      '@atcute/crypto': {
        side: 'atcute', modules: ['@atcute/crypto'],
        // the did:key is parsed and imported once, as a consumer caching keys per DID would
        make: async (input, M) => {
          const { parseDidKey, Secp256k1PublicKey, P256PublicKey } = M['@atcute/crypto'];
          const found = parseDidKey(input.meta.signingKey);
          const key = found.type === 'p256' ? await P256PublicKey.importRaw(found.publicKeyBytes) : await Secp256k1PublicKey.importRaw(found.publicKeyBytes);
          const { unsigned, sig } = input;
          return { run: () => key.verify(sig, unsigned), check: (ok) => checkSig(ok, () => key.verify(sig, input.tampered)) };
        },
      },
      '@atproto/crypto verifySignature': {
        side: 'atproto', modules: ['@atproto/crypto'],
        // @atproto/crypto exports no pre-parsed public key type: the did:key string is the cached form
        make: (input, M) => {
          const { verifySignature } = M['@atproto/crypto'];
          const { signingKey } = input.meta;
          const { unsigned, sig } = input;
          return { run: () => verifySignature(signingKey, unsigned, sig), check: (ok) => checkSig(ok, () => verifySignature(signingKey, input.tampered, sig)) };
        },
      },
    },
    compareWith: { default: { sync: 'atproof verifySignature', async: 'atproof verifySignatureAsync' } },
  },

  'repo-verify': {
    title: 'full repo verification, listing every record {path, cid}',
    datasets: { full: ['1k', '10k', '100k'], quick: ['1k', '10k'] },
    units: (input) => ({ items: input.meta.recordCount, itemName: 'records', bytes: input.carBytes }),
    impls: {
      'atproof verifyRepo': {
        side: 'atproof', modules: ['atproof'], needs: ['verifyRepo'], atproof: true,
        make: (input, M) => {
          const { verifyRepo } = M.atproof;
          const { did, signingKey } = input.meta;
          const finish = (r) => {
            const list = [];
            for (const { path, cid } of r.records) list.push({ path, cid });
            return { list, commit: r.commit, signatureVerified: r.signatureVerified, did: r.did, length: r.records.length };
          };
          return {
            run() {
              const r = verifyRepo(input.car, { did, key: signingKey });
              return typeof r?.then === 'function' ? r.then(finish) : finish(r);
            },
            async check(out) {
              if (out.signatureVerified !== true) fail('signatureVerified is not true');
              if (out.commit !== input.meta.commitCid) fail(`commit ${out.commit}, expected ${input.meta.commitCid}`);
              if (out.did !== did) fail(`did ${out.did}`);
              if (out.length !== out.list.length) fail(`records.length ${out.length} but ${out.list.length} iterated`);
              await checkRecordList(out.list, input);
            },
          };
        },
      },
      '@atcute (car+cid+sig, @atcute/repo walk)': {
        side: 'atcute', modules: ['@atcute/car', '@atcute/cbor', '@atcute/cid', '@atcute/crypto', '@atcute/repo'],
        make: (input, M) => atcuteRepoVerifier(input, M, false),
      },
      '@atcute (strict: + @atcute/mst node checks)': {
        side: 'atcute', modules: ['@atcute/car', '@atcute/cbor', '@atcute/cid', '@atcute/crypto', '@atcute/repo', '@atcute/mst'],
        make: (input, M) => atcuteRepoVerifier(input, M, true),
      },
      '@atproto/repo verifyRepoCar': {
        side: 'atproto', modules: ['@atproto/repo'],
        make: (input, M) => {
          const { verifyRepoCar } = M['@atproto/repo'];
          const { did, signingKey } = input.meta;
          return {
            async run() {
              const r = await verifyRepoCar(input.car, did, signingKey);
              const list = r.creates.map((c) => ({ path: `${c.collection}/${c.rkey}`, cid: c.cid.toString() }));
              return { list, commit: r.commit.cid.toString() };
            },
            async check(out) {
              if (out.commit !== input.meta.commitCid) fail(`commit ${out.commit}`);
              await checkRecordList(out.list, input);
            },
          };
        },
      },
    },
    compareWith: { default: { '': 'atproof verifyRepo' } },
  },

  'firehose-verify': {
    title: 'verified #commit frames: every block hash, signature, ops against the tree, inversion to prevData',
    datasets: { full: ['stream'], quick: ['stream'] },
    units: (input) => ({ items: input.frames.length, itemName: 'frames', bytes: input.totalBytes }),
    impls: {
      'atproof verifyCommit': {
        side: 'atproof', modules: ['atproof'], needs: ['verifyCommit'], atproof: true,
        make: (input, M) => {
          const { verifyCommit } = M.atproof;
          const key = input.meta.signingKey;
          return { run: () => input.frames.map((frame) => verifyCommit(frame, { key }).data), check: (roots) => checkDataRoots(roots, input) };
        },
      },
      'atproof FirehoseVerifier (+ continuity)': {
        side: 'atproof', modules: ['atproof'], needs: ['FirehoseVerifier'], atproof: true,
        make: (input, M) => ({
          async run() {
            const verifier = new M.atproof.FirehoseVerifier({ resolveKey: async () => input.meta.signingKey });
            const roots = [];
            for (const frame of input.frames) {
              const event = await verifier.process(frame);
              if (event.status !== 'valid') fail(`${event.status}: ${event.error?.message}`);
              roots.push(event.commit.data);
            }
            verifier.free();
            return roots;
          },
          check: (roots) => checkDataRoots(roots, input),
        }),
      },
      '@atcute (cbor, car, cid, crypto, mst)': {
        side: 'atcute', modules: ['@atcute/car', '@atcute/cbor', '@atcute/cid', '@atcute/crypto', '@atcute/mst'],
        make: atcuteFirehose,
      },
      '@atproto (lex-cbor, repo)': {
        side: 'atproto', modules: ['@atproto/lex-cbor', '@atproto/repo'],
        make: atprotoFirehose,
      },
    },
    compareWith: { default: { '': 'atproof verifyCommit' } },
  },

  'plc-verify': {
    title: 'did:plc audit-log verification (every operation\'s CID, signature, chain, forks), from the response text',
    datasets: { full: ['plc-100', 'plc-fixtures'], quick: ['plc-100', 'plc-fixtures'] },
    units: (input) => ({ items: input.operations, itemName: 'operations', bytes: input.totalBytes }),
    impls: {
      'atproof verifyPlcLog': {
        side: 'atproof', modules: ['atproof'], needs: ['verifyPlcLog'], atproof: true,
        // the directory's response text as it is: atproof parses the JSON itself
        make: (input, M) => {
          const { verifyPlcLog } = M.atproof;
          return plcImpl(input, (log) => atproofPlcOutput(verifyPlcLog(log.did, log.text)), (e) => e.code, { strict: true });
        },
      },
      'atproof verifyPlcLog (JSON.parse, then the value)': {
        side: 'atproof', modules: ['atproof'], needs: ['verifyPlcLog'], atproof: true,
        make: (input, M) => {
          const { verifyPlcLog } = M.atproof;
          return plcImpl(input, (log) => atproofPlcOutput(verifyPlcLog(log.did, JSON.parse(log.text))), (e) => e.code, { strict: true });
        },
      },
      '@did-plc/lib validateOperationLog (chain without nullified ops)': {
        side: 'didplc', modules: ['@did-plc/lib'],
        // what the library offers for a log: one linear chain. The nullified operations, the claimed
        // CIDs and flags, createdAt and the 72-hour rule are not checked.
        make: (input, M) => {
          const { validateOperationLog } = M['@did-plc/lib'];
          return plcImpl(input, async (log) => {
            const ops = JSON.parse(log.text).filter((e) => !e.nullified).map((e) => e.operation);
            return { ok: true, state: stateOf(await validateOperationLog(log.did, ops)) };
          }, (e) => e?.constructor?.name ?? String(e), { strict: false });
        },
      },
      '@did-plc/lib assureValidNextOp replay (whole log)': {
        side: 'didplc', modules: ['@did-plc/lib'],
        // the whole audit log as the directory accepts operations (lib/plc-replay.mjs): every entry's
        // CID recomputed, every operation checked when it arrived, forks and the 72-hour window,
        // the nullified flags compared
        make: (input, M) => {
          const plc = M['@did-plc/lib'];
          return plcImpl(input, async (log) => {
            const r = await replayAuditLog(plc, log.did, JSON.parse(log.text));
            return { ok: true, state: stateOf(r.data), nullified: r.nullified };
          }, (e) => e?.constructor?.name ?? String(e), { strict: false, mustAccept: (log) => !log.emptyRotationKeys });
        },
      },
    },
    compareWith: { default: { text: 'atproof verifyPlcLog', value: 'atproof verifyPlcLog (JSON.parse, then the value)' } },
  },
};
// The writing tasks (write-tasks.mjs), last.
Object.assign(TASKS, WRITE_TASKS);

// ---------------------------------------------------------------------------------------------
// did:plc audit logs

/** JSON with sorted keys: the same state whatever order the keys came in. */
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x));

/**
 * Checks plc-verify outputs, one per log: { ok: true, state, nullified?, cids? } or { ok: false, code }.
 * `mustAccept(log)`: whether this implementation must accept that valid log (the replay of
 * @did-plc/lib 0.0.4 cannot, for a log with an empty rotationKeys list). Invalid logs: atproof must
 * refuse each with its rule's code; a peer's verdicts on them are reported (note), not failed.
 * Returns the note.
 */
function checkPlc(outs, input, { strict, mustAccept = () => true }) {
  if (!Array.isArray(outs) || outs.length !== input.logs.length) fail(`${outs?.length} results for ${input.logs.length} logs`);
  let refusedInvalid = 0;
  let refusedValid = 0;
  input.logs.forEach((log, i) => {
    const out = outs[i];
    if (log.valid) {
      if (!out.ok) {
        if (mustAccept(log)) fail(`${log.name}: refused a valid log (${out.code})`);
        refusedValid++;
        return;
      }
      if (canonical(out.state) !== canonical(log.state)) fail(`${log.name}: final state differs from the expected one`);
      if (out.nullified && canonical(out.nullified) !== canonical(log.nullified)) fail(`${log.name}: nullified flags differ`);
      if (out.cids && canonical(out.cids) !== canonical(log.cids)) fail(`${log.name}: operation CIDs differ`);
    } else if (strict) {
      if (out.ok) fail(`${log.name}: accepted an invalid log`);
      if (out.code !== log.code) fail(`${log.name}: refused with ${out.code}, expected ${log.code}`);
      refusedInvalid++;
    } else if (!out.ok) {
      refusedInvalid++;
    }
  });
  const valid = input.logs.filter((l) => l.valid).length;
  const invalid = input.logs.length - valid;
  return invalid || refusedValid ? `accepts ${valid - refusedValid}/${valid} valid, refuses ${refusedInvalid}/${invalid} invalid logs` : undefined;
}

/** An implementation that runs `verify(log) → output` over every log, catching refusals as `code(e)`. */
function plcImpl(input, verify, code, checkOptions) {
  let note;
  const logs = input.logs;
  const anyAsync = verify.constructor.name === 'AsyncFunction';
  return {
    run: anyAsync
      ? async () => {
        const outs = new Array(logs.length);
        for (let i = 0; i < logs.length; i++) {
          try { outs[i] = await verify(logs[i]); } catch (e) { outs[i] = { ok: false, code: code(e) }; }
        }
        return outs;
      }
      : () => {
        const outs = new Array(logs.length);
        for (let i = 0; i < logs.length; i++) {
          try { outs[i] = verify(logs[i]); } catch (e) { outs[i] = { ok: false, code: code(e) }; }
        }
        return outs;
      },
    check: (outs) => { note = checkPlc(outs, input, checkOptions); },
    get note() { return note; },
  };
}

const atproofPlcOutput = (r) => ({ ok: true, state: r.state, nullified: r.operations.map((o) => o.nullified), cids: r.operations.map((o) => o.cid) });
const stateOf = (data) => {
  if (data === null) return null;
  const { did: _did, ...state } = data;
  return state;
};

/** The data roots of a verified stream against the sidecar's. */
function checkDataRoots(roots, input) {
  if (!Array.isArray(roots) || roots.length !== input.expected.length) fail(`verified ${roots?.length} frames, expected ${input.expected.length}`);
  const i = roots.findIndex((r, k) => r !== input.expected[k]);
  if (i !== -1) fail(`frame ${i}: data root ${roots[i]}, expected ${input.expected[i]}`);
}

/** A run that verifies the frames one after the other with `verify` (frame → data root), checked. */
function frameByFrame(verify, input) {
  return {
    async run() {
      const roots = [];
      for (const frame of input.frames) roots.push(await verify(frame));
      return roots;
    },
    check: (roots) => checkDataRoots(roots, input),
  };
}

// The same check on every frame of a #commit stream, from the peers' public packages: decode the
// two DRISL objects; read the CAR and check every block's hash; decode the commit, check its did and
// rev against the frame and its signature (key imported once); check each op against the new tree
// and undo it (delete what was created, put back each update's and delete's prev); the root must
// then be prevData.
async function atcuteFirehose(input, M) {
  const CAR = M['@atcute/car'];
  const CBOR = M['@atcute/cbor'];
  const CID = M['@atcute/cid'];
  const MST = M['@atcute/mst'];
  const { parseDidKey, Secp256k1PublicKey, P256PublicKey } = M['@atcute/crypto'];
  const found = parseDidKey(input.meta.signingKey);
  const key = found.type === 'p256' ? await P256PublicKey.importRaw(found.publicKeyBytes) : await Secp256k1PublicKey.importRaw(found.publicKeyBytes);
  async function verify(frame) {
    const [header, rest] = CBOR.decodeFirst(frame);
    const body = CBOR.decode(rest);
    if (header.op !== 1 || header.t !== '#commit') fail('not a #commit');
    const reader = CAR.fromUint8Array(CBOR.fromBytes(body.blocks));
    const blocks = new Map();
    for (const entry of reader) {
      const actual = await CID.create(entry.cid.codec, entry.bytes);
      if (!CID.equals(actual, entry.cid)) fail('a block does not match its CID');
      blocks.set(CID.toString(entry.cid), entry.bytes);
    }
    const commitCid = reader.roots[0].$link;
    if (commitCid !== body.commit.$link) fail('commit is not the CAR root');
    const commit = CBOR.decode(blocks.get(commitCid) ?? fail('no commit block'));
    if (commit.did !== body.repo || commit.rev !== body.rev) fail('commit fields');
    const { sig, ...unsigned } = commit;
    if (!(await key.verify(CBOR.fromBytes(sig), CBOR.encode(unsigned)))) fail('signature');
    const ns = new MST.NodeStore(new MST.MemoryBlockStore(blocks));
    const wrangler = new MST.NodeWrangler(ns);
    let root = commit.data.$link;
    for (const op of [...body.ops].reverse()) {
      const [value] = await MST.findRpathAndBuildProof(ns, root, op.path);
      if ((value?.$link ?? null) !== (op.cid?.$link ?? null)) fail(`op ${op.path}: the tree holds ${value?.$link}`);
      if (op.cid !== null && !blocks.has(op.cid.$link)) fail('record block missing');
      root = op.action === 'create' ? await wrangler.deleteRecord(root, op.path) : await wrangler.putRecord(root, op.path, op.prev);
    }
    if (root !== body.prevData.$link) fail('inversion gives another root');
    return commit.data.$link;
  }
  return frameByFrame(verify, input);
}

async function atprotoFirehose(input, M) {
  const REPO = M['@atproto/repo'];
  const CBOR = M['@atproto/lex-cbor'];
  async function verify(frame) {
    const [header, body] = [...CBOR.decodeAll(frame)];
    if (header.op !== 1 || header.t !== '#commit') fail('not a #commit');
    const { root, blocks } = await REPO.readCarWithRoot(body.blocks);
    if (!root.equals(body.commit)) fail('commit is not the CAR root');
    const commit = REPO.ensureV3Commit(CBOR.decode(blocks.get(root)));
    if (commit.did !== body.repo || commit.rev !== body.rev) fail('commit fields');
    if (!(await REPO.verifyCommitSig(commit, input.meta.signingKey))) fail('signature');
    let mst = REPO.MST.load(new REPO.MemoryBlockstore(blocks), commit.data);
    for (const op of [...body.ops].reverse()) {
      const value = await mst.get(op.path);
      if ((value?.toString() ?? null) !== (op.cid?.toString() ?? null)) fail(`op ${op.path}`);
      if (op.cid && !blocks.has(op.cid)) fail('record block missing');
      if (op.action === 'create') mst = await mst.delete(op.path);
      else if (op.action === 'update') mst = await mst.update(op.path, op.prev);
      else mst = await mst.add(op.path, op.prev);
    }
    if (!(await mst.getPointer()).equals(body.prevData)) fail('inversion gives another root');
    return commit.data.toString();
  }
  return frameByFrame(verify, input);
}

async function checkSig(ok, tamperedCall) {
  if (ok !== true) fail(`signature verification returned ${ok}`);
  let bad;
  try { bad = await tamperedCall(); } catch { bad = false; }
  if (bad !== false) fail('a signature over different bytes verified');
}

// @atcute has no whole-repo verifier; this composes its public pieces:
//  1. @atcute/car: read every block, @atcute/cid: SHA-256 of each block must equal its CID;
//  2. the root block is the commit: @atcute/repo isCommit, did must match, @atcute/crypto verifies the
//     signature over the re-encoded unsigned commit (key imported once per DID, like a cache);
//  3. plain: @atcute/repo fromUint8Array walks the MST (it reads the CAR a second time) -> entries;
//     strict: walks the MST over the verified blocks with @atcute/mst MSTNode.deserialize (node shape,
//     key order and prefix compression, one key height per node) and adds the checks no atcute API
//     makes across nodes: subtree height = parent height - 1, keys increasing across the whole tree,
//     every record block present.
async function atcuteRepoVerifier(input, M, strict) {
  const CAR = M['@atcute/car'];
  const CBOR = M['@atcute/cbor'];
  const CID = M['@atcute/cid'];
  const { parseDidKey, Secp256k1PublicKey, P256PublicKey } = M['@atcute/crypto'];
  const { isCommit, fromUint8Array: readRepo } = M['@atcute/repo'];
  const { did, signingKey } = input.meta;
  const found = parseDidKey(signingKey);
  const key = found.type === 'p256' ? await P256PublicKey.importRaw(found.publicKeyBytes) : await Secp256k1PublicKey.importRaw(found.publicKeyBytes);

  async function verifyCommit(map, rootCid) {
    const bytes = map.get(rootCid);
    if (bytes === undefined) fail('commit block missing');
    const commit = CBOR.decode(bytes);
    if (!isCommit(commit)) fail('root block is not a commit');
    if (commit.did !== did) fail(`commit did ${commit.did}`);
    const { sig, ...unsigned } = commit;
    if (!(await key.verify(CBOR.fromBytes(sig), CBOR.encode(unsigned)))) fail('commit signature does not verify');
    return commit;
  }

  async function walkStrict(map, cid, expectedHeight, acc) {
    const bytes = map.get(cid);
    if (bytes === undefined) fail(`missing MST node ${cid}`);
    const node = await M['@atcute/mst'].MSTNode.deserialize(bytes);
    if (node.keys.length > 0) {
      const h = await node.requireHeight();
      if (expectedHeight !== null && h !== expectedHeight) fail(`MST node ${cid} at height ${h}, expected ${expectedHeight}`);
      expectedHeight = h;
    } else if (cid === acc.rootCid) {
      // an empty repo is one empty node; a root with only a left subtree was not trimmed
      if (node.subtrees[0] !== null) fail(`MST root ${cid} has no keys but a subtree`);
    } else if (node.subtrees[0] === null) {
      fail(`empty MST node ${cid}`); // key-less intermediate nodes must bridge a layer (left subtree)
    }
    const below = expectedHeight === null ? null : expectedHeight - 1;
    for (let i = 0; i <= node.keys.length; i++) {
      const sub = node.subtrees[i];
      if (sub !== null) {
        if (below !== null && below < 0) fail(`MST node ${cid} at height 0 has a subtree`);
        await walkStrict(map, sub.$link, below, acc);
      }
      if (i < node.keys.length) {
        const k = node.keys[i];
        if (k <= acc.lastKey) fail(`MST key ${k} out of order`);
        acc.lastKey = k;
        const v = node.values[i].$link;
        if (!map.has(v)) fail(`missing record block for ${k}`);
        acc.list.push({ path: k, cid: v });
      }
    }
  }

  return {
    async run() {
      const reader = CAR.fromUint8Array(input.car);
      const rootCid = reader.roots[0].$link;
      const map = new Map();
      for (const entry of reader) {
        const actual = await CID.create(entry.cid.codec, entry.bytes);
        if (!CID.equals(actual, entry.cid)) fail(`block ${CID.toString(entry.cid)} does not match its CID`);
        map.set(CID.toString(entry.cid), entry.bytes);
      }
      const commit = await verifyCommit(map, rootCid);
      let list;
      if (strict) {
        const acc = { list: [], lastKey: '', rootCid: commit.data.$link };
        await walkStrict(map, commit.data.$link, null, acc);
        list = acc.list;
      } else {
        list = [];
        for (const e of readRepo(input.car)) list.push({ path: `${e.collection}/${e.rkey}`, cid: e.cid.$link });
      }
      return { list, commit: rootCid };
    },
    async check(out) {
      if (out.commit !== input.meta.commitCid) fail(`commit ${out.commit}`);
      await checkRecordList(out.list, input);
    },
  };
}
