// Verified #commit frames per second, side by side in one Node process, on the reference-made
// stream (tests/fixtures/generated/repo-1000-s1-k256.frames.bin, 200 frames): atproof against
// the same check assembled from @atcute's and from @atproto's public packages. Each implementation,
// per frame: decode the two DRISL objects; read the CAR and check every block's hash; decode the
// commit, check its did and rev against the frame and its signature (key parsed once); check each
// op against the new tree and undo it (delete what was created, put back each update's and
// delete's prev), and require the root then to be prevData. Every implementation's results are
// checked (every frame accepted, the data roots those of the sidecar) before it is timed.
//   node bench/firehose.mjs        (after scripts/build-pkg.sh and bench/setup.sh)
// Also prints where atproof's time per frame goes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const atproof = await import(join(root, 'pkg', 'node.js'));
const mod = (name) => import(join(here, 'node_modules', name, 'dist', 'index.js'));
const [CAR, CBOR, CID, CRYPTO, MST] = await Promise.all(['@atcute/car', '@atcute/cbor', '@atcute/cid', '@atcute/crypto', '@atcute/mst'].map(mod));
const REPO = await import(join(here, 'node_modules', '@atproto/repo', 'dist', 'index.js'));
const COMMON = await import(join(here, 'node_modules', '@atproto/common', 'dist', 'index.js'));

const meta = JSON.parse(readFileSync(join(root, 'tests/fixtures/generated/repo-1000-s1-k256.frames.json'), 'utf8'));
const bin = new Uint8Array(readFileSync(join(root, 'tests/fixtures/generated/repo-1000-s1-k256.frames.bin')));
const frames = meta.frames.map((f) => bin.subarray(f.offset, f.offset + f.length));
const fail = (message) => { throw new Error(message); };

/** Each implementation: async (frame) => the new data root (string), throwing on any failure. */
const implementations = {
  'atproof verifyCommit': () => (frame) => atproof.verifyCommit(frame, { key: meta.signingKey }).data,
  'atproof FirehoseVerifier': () => {
    let verifier = null;
    return async (frame, index) => {
      if (index === 0) verifier = new atproof.FirehoseVerifier({ resolveKey: async () => meta.signingKey });
      const event = await verifier.process(frame);
      if (event.status !== 'valid') fail(`${event.status}: ${event.error?.message}`);
      return event.commit.data;
    };
  },
  '@atcute (cbor, car, cid, crypto, mst)': async () => {
    const found = CRYPTO.parseDidKey(meta.signingKey);
    const key = await CRYPTO.Secp256k1PublicKey.importRaw(found.publicKeyBytes);
    return async (frame) => {
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
      let rootCid = commit.data.$link;
      for (const op of [...body.ops].reverse()) {
        const [value] = await MST.findRpathAndBuildProof(ns, rootCid, op.path);
        if ((value?.$link ?? null) !== (op.cid?.$link ?? null)) fail(`op ${op.path}: the tree holds ${value?.$link}`);
        if (op.cid !== null && !blocks.has(op.cid.$link)) fail('record block missing');
        rootCid = op.action === 'create' ? await wrangler.deleteRecord(rootCid, op.path) : await wrangler.putRecord(rootCid, op.path, op.prev);
      }
      if (rootCid !== body.prevData.$link) fail('inversion gives another root');
      return commit.data.$link;
    };
  },
  '@atproto (common, repo)': () => async (frame) => {
    const [header, body] = COMMON.cborDecodeMulti(frame);
    if (header.op !== 1 || header.t !== '#commit') fail('not a #commit');
    const { root: carRoot, blocks } = await REPO.readCarWithRoot(body.blocks);
    if (!carRoot.equals(body.commit)) fail('commit is not the CAR root');
    const commit = REPO.ensureV3Commit(COMMON.cborDecode(blocks.get(carRoot)));
    if (commit.did !== body.repo || commit.rev !== body.rev) fail('commit fields');
    if (!(await REPO.verifyCommitSig(commit, meta.signingKey))) fail('signature');
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
  },
};

async function runAll(verify) {
  for (const [i, frame] of frames.entries()) {
    const data = await verify(frame, i);
    if (data !== meta.frames[i].data) fail(`frame ${i}: data ${data}, expected ${meta.frames[i].data}`);
  }
}

const rows = [];
for (const [name, make] of Object.entries(implementations)) {
  const verify = await make();
  await runAll(verify); // checked (and warm) before it is timed
  const times = [];
  const deadline = performance.now() + 4000;
  while (times.length < 5 || (performance.now() < deadline && times.length < 50)) {
    const start = performance.now();
    await runAll(verify);
    times.push((performance.now() - start) / frames.length);
  }
  times.sort((a, b) => a - b);
  rows.push({ name, median: times[times.length >> 1], best: times[0], runs: times.length });
}

// Where atproof's time goes: the parts timed alone on the same frames.
const parts = {};
const time = (label, fn) => {
  for (let round = 0; round < 3; round++) for (const f of frames) fn(f);
  const start = performance.now();
  for (let round = 0; round < 10; round++) for (const f of frames) fn(f);
  parts[label] = ((performance.now() - start) / (10 * frames.length)) * 1000;
};
const bodies = frames.map((f) => atproof.decodeFrame(f).body);
const commits = bodies.map((b) => atproof.readCar(b.blocks).blocks.get(b.commit.$link));
time('decodeFrame (both objects, the body as JS values)', (f) => atproof.decodeFrame(f));
let i = 0;
time('readCar of the blocks (every block hashed)', () => atproof.readCar(bodies[i++ % frames.length].blocks));
i = 0;
const signed = commits.map((c) => {
  const { sig, ...unsigned } = CBOR.decode(c);
  return { sig: CBOR.fromBytes(sig), unsigned: CBOR.encode(unsigned) };
});
time('the commit signature alone (verifySignature)', () => {
  const s = signed[i++ % frames.length];
  atproof.verifySignature(meta.signingKey, s.unsigned, s.sig);
});

const base = rows.find((r) => r.name === 'atproof verifyCommit').median;
console.log(`Node ${process.version}, ${new Date().toISOString()}, ${frames.length} frames (${meta.frames.reduce((n, f) => n + f.ops.length, 0)} ops)`);
console.log('| implementation | µs per frame (median) | best | frames/s | atproof verifyCommit is … × faster |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.name} | ${(r.median * 1000).toFixed(0)} | ${(r.best * 1000).toFixed(0)} | ${Math.round(1000 / r.median).toLocaleString('en')} | ${(r.median / base).toFixed(2)} |`);
}
console.log('\n| part of atproof verifyCommit, timed alone | µs per frame |');
console.log('| --- | ---: |');
for (const [label, us] of Object.entries(parts)) console.log(`| ${label} | ${us.toFixed(1)} |`);
