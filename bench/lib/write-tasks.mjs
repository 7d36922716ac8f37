// The writing tasks (see tasks.mjs for what an implementation is): a repository built from a
// dataset's records in commits of 200 creates; 1,000 one-record commits (creates, updates and
// deletes, each with the #commit frame a PDS emits); a large repository loaded and written to.
// The records are the dataset's own, at their own paths, so a built repository must end at the
// generator's data root.
import { splitCar, cidBytesToString } from './car.mjs';
import { repoRecords } from './mst-leaves.mjs';

const fail = (msg) => { throw new Error(msg); };

/** SHA-256 of `purpose\0seed` (the generator's key derivation: lib/prng.mjs digest), with WebCrypto. */
async function digest(purpose, seed) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${purpose}\0${seed}`)));
}

async function recordCid(bytes) {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return cidBytesToString(Uint8Array.from([1, 0x71, 0x12, 0x20, ...hash]));
}

/** The 1,000 one-record writes of repo-commit: a create, an update, a delete, in turn. */
function commitPlan(records) {
  const alive = records.map((r) => `${r.collection}/${r.rkey}`);
  // An update writes another record of the same collection (a record's $type is its collection).
  const ofCollection = (collection, start) => {
    for (let k = 0; k < records.length; k++) {
      const record = records[(start + k) % records.length];
      if (record.collection === collection) return record;
    }
    throw new Error(`no record of ${collection}`);
  };
  const plan = [];
  for (let i = 0; i < 1000; i++) {
    const source = records[(i * 7) % records.length];
    if (i % 3 === 0) {
      plan.push({ action: 'create', collection: source.collection, rkey: `new${i}`, bytes: source.bytes });
    } else {
      const path = alive[(i * 13) % alive.length];
      const [collection, rkey] = path.split('/');
      if (i % 3 === 1) {
        plan.push({ action: 'update', collection, rkey, bytes: ofCollection(collection, i * 11).bytes });
      } else {
        plan.push({ action: 'delete', collection, rkey });
        alive.splice(alive.indexOf(path), 1);
      }
    }
  }
  return plan;
}

export async function prepareWriteInput(taskId, data) {
  const { meta, car } = data;
  const { blocks } = splitCar(car);
  const records = repoRecords(blocks, meta.commitCid);
  if (records.length !== meta.recordCount) fail(`prepare: ${records.length} records, the sidecar says ${meta.recordCount}`);
  const secret = await digest(`signing-key:${meta.curve}`, meta.seed);
  const input = { meta, car, records, secret, carBytes: car.length };
  if (taskId === 'repo-commit') {
    input.plan = commitPlan(records);
    // What the repository holds after the plan: each path with its record's CID.
    const held = new Map();
    for (const r of records) held.set(`${r.collection}/${r.rkey}`, r.bytes);
    for (const w of input.plan) {
      if (w.action === 'delete') held.delete(`${w.collection}/${w.rkey}`);
      else held.set(`${w.collection}/${w.rkey}`, w.bytes);
    }
    input.expectedRecords = (await Promise.all([...held].map(async ([path, bytes]) => `${path} ${await recordCid(bytes)}`))).sort();
  }
  return input;
}

/** Batches of 200 creates of the dataset's records. */
function batches(records, toRecord, action) {
  const out = [];
  for (let i = 0; i < records.length; i += 200) {
    out.push(records.slice(i, i + 200).map((r) => ({ action, collection: r.collection, rkey: r.rkey, record: toRecord(r.bytes) })));
  }
  return out;
}

const checkRoot = (input) => (root) => (root === input.meta.dataCid ? undefined : `the built repository's root is ${root}, the generator's ${input.meta.dataCid}`);

function checkRecordList(input) {
  return (list) => {
    const got = [...list].sort();
    if (got.length !== input.expectedRecords.length) return `${got.length} records after the commits, expected ${input.expectedRecords.length}`;
    const i = got.findIndex((line, k) => line !== input.expectedRecords[k]);
    if (i >= 0) return `record ${i}: ${got[i]}, expected ${input.expectedRecords[i]}`;
  };
}

/** The reference PDS's #commit frame for a formatted commit (see tests/fixtures/generated/README.md). */
async function referenceFrame(REPO, CBOR, commit, ops, did, seq, prevData) {
  const blocks = new REPO.BlockMap();
  blocks.addMap(commit.newBlocks);
  blocks.addMap(commit.relevantBlocks);
  const car = await REPO.blocksToCarFile(commit.cid, blocks);
  const body = { seq, time: new Date().toISOString(), repo: did, commit: commit.cid, rev: commit.rev, since: commit.since, blocks: car, ops, prevData, rebase: false, tooBig: false, blobs: [] };
  const header = CBOR.encode({ op: 1, t: '#commit' });
  const encoded = CBOR.encode(body);
  const frame = new Uint8Array(header.length + encoded.length);
  frame.set(header);
  frame.set(encoded, header.length);
  return frame;
}

/** The data set's key as @atproto/crypto's keypair. */
function referenceKeypair(input, M) {
  const { Secp256k1Keypair, P256Keypair } = M['@atproto/crypto'];
  return (input.meta.curve === 'p256' ? P256Keypair : Secp256k1Keypair).import(input.secret);
}

export const WRITE_TASKS = {
  'repo-build': {
    title: 'a repository built from a dataset\'s records in signed commits of 200 creates',
    datasets: { full: ['10k'], quick: ['1k'] },
    units: (input) => ({ items: input.records.length, itemName: 'records', bytes: input.carBytes }),
    impls: {
      'atproof Repo.applyWrites': {
        side: 'atproof', modules: ['atproof'], needs: ['Repo'], atproof: true,
        make: (input, M) => {
          const { Repo, Keypair, decodeCbor } = M.atproof;
          const keypair = Keypair.import(input.meta.curve, input.secret);
          const writes = batches(input.records, decodeCbor, 'create');
          return {
            async run() {
              const repo = await Repo.create({ did: input.meta.did, keypair });
              for (const batch of writes) await repo.applyWrites(batch);
              const root = repo.data;
              repo.free();
              return root;
            },
            check: checkRoot(input),
          };
        },
      },
      '@atproto/repo applyWrites': {
        side: 'atproto', modules: ['@atproto/repo', '@atproto/crypto', '@atproto/lex-cbor'],
        make: async (input, M) => {
          const REPO = M['@atproto/repo'];
          const keypair = await referenceKeypair(input, M);
          const writes = batches(input.records, M['@atproto/lex-cbor'].decode, REPO.WriteOpAction.Create);
          return {
            async run() {
              let repo = await REPO.Repo.create(new REPO.MemoryBlockstore(), input.meta.did, keypair);
              for (const batch of writes) repo = await repo.applyWrites(batch, keypair);
              return repo.commit.data.toString();
            },
            check: checkRoot(input),
          };
        },
      },
    },
    compareWith: { default: { '': 'atproof Repo.applyWrites' } },
  },

  'repo-commit': {
    title: '1,000 one-record commits (create, update, delete in turn) on the loaded repository, each with its #commit frame',
    datasets: { full: ['1k'], quick: ['1k'] },
    units: (input) => ({ items: input.plan.length, itemName: 'commits', bytes: 0 }),
    impls: {
      'atproof Repo.applyWrites': {
        side: 'atproof', modules: ['atproof'], needs: ['Repo'], atproof: true,
        make: (input, M) => {
          const { Repo, Keypair, decodeCbor } = M.atproof;
          const keypair = Keypair.import(input.meta.curve, input.secret);
          const plan = input.plan.map((w) => ({ action: w.action, collection: w.collection, rkey: w.rkey, record: w.bytes && decodeCbor(w.bytes) }));
          return {
            async run() {
              const repo = await Repo.load(input.car, { keypair });
              let frames = 0;
              for (const write of plan) frames += (await repo.applyWrites([write])).frame.length > 0;
              if (frames !== plan.length) fail(`${frames} frames`);
              const list = repo.list().map((r) => `${r.collection}/${r.rkey} ${r.cid}`);
              repo.free();
              return list;
            },
            check: checkRecordList(input),
          };
        },
      },
      '@atproto/repo formatCommit + frame': {
        side: 'atproto', modules: ['@atproto/repo', '@atproto/crypto', '@atproto/lex-cbor'],
        make: async (input, M) => {
          const REPO = M['@atproto/repo'];
          const CBOR = M['@atproto/lex-cbor'];
          const keypair = await referenceKeypair(input, M);
          const ACTIONS = { create: REPO.WriteOpAction.Create, update: REPO.WriteOpAction.Update, delete: REPO.WriteOpAction.Delete };
          const plan = input.plan.map((w) => ({ action: ACTIONS[w.action], collection: w.collection, rkey: w.rkey, record: w.bytes && CBOR.decode(w.bytes) }));
          return {
            async run() {
              const { root, blocks } = await REPO.readCarWithRoot(input.car);
              const storage = new REPO.MemoryBlockstore(blocks);
              let repo = await REPO.Repo.load(storage, root);
              let seq = 0;
              for (const write of plan) {
                const path = `${write.collection}/${write.rkey}`;
                const prev = await repo.data.get(path);
                const op = { action: write.action, path, cid: write.record ? await REPO.cidForRecord(write.record) : null, ...(prev ? { prev } : {}) };
                const prevData = repo.commit.data;
                const commit = await repo.formatCommit([write], keypair);
                await referenceFrame(REPO, CBOR, commit, [op], input.meta.did, ++seq, prevData);
                repo = await repo.applyCommit(commit);
              }
              return (await repo.data.list()).map((leaf) => `${leaf.key} ${leaf.value.toString()}`);
            },
            check: checkRecordList(input),
          };
        },
      },
    },
    compareWith: { default: { '': 'atproof Repo.applyWrites' } },
  },

  'repo-load-write': {
    title: 'Repo.load of a repository CAR (verified as verifyRepo does) and one signed write, against verifyRepo alone',
    datasets: { full: ['100k'], quick: ['10k'] },
    units: (input) => ({ items: input.meta.recordCount, itemName: 'records', bytes: input.carBytes }),
    impls: {
      'atproof verifyRepo': {
        side: 'atproof', modules: ['atproof'], needs: ['verifyRepo'], atproof: true,
        make: (input, M) => ({
          run: () => M.atproof.verifyRepo(input.car, { did: input.meta.did, key: input.meta.signingKey }).records.length,
          check: (n) => (n === input.meta.recordCount ? undefined : `${n} records`),
        }),
      },
      'atproof Repo.load + applyWrites': {
        side: 'atproof', modules: ['atproof'], needs: ['Repo'], atproof: true,
        make: (input, M) => {
          const { Repo, Keypair } = M.atproof;
          const keypair = Keypair.import(input.meta.curve, input.secret);
          const write = { action: 'create', collection: 'app.bsky.feed.post', rkey: '3zzzzzzzzzzzz', record: { $type: 'app.bsky.feed.post', text: 'one more', createdAt: '2026-12-05T00:00:00.000Z' } };
          return {
            async run() {
              const repo = await Repo.load(input.car, { keypair, did: input.meta.did });
              const written = await repo.applyWrites([write]);
              repo.free();
              return written.prevData;
            },
            check: (prevData) => (prevData === input.meta.dataCid ? undefined : `loaded root ${prevData}`),
          };
        },
      },
    },
    compareWith: { default: { '': 'atproof verifyRepo' } },
  },
};
