// CAR files and repositories through the package: the reference-made repositories (k256, p256)
// verified to exactly their expected record lists and CIDs, whole and streamed in small chunks;
// readCar and readCarStream; record proofs present, absent and tampered; and altered CARs, each
// rejected with its code.
import { carSections, writeCar, throwsCode } from './util.mjs';

function chunksOf(bytes, size) {
  const out = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

export default async function repoSuite(atproof, fixtures, check) {
  const { readCar, verifyRepo, verifyRecord, recordProof, verifyRepoStream, readCarStream, RepoVerifier, decodeCbor, cidForCbor } = atproof;
  const repos = {};
  for (const curve of ['k256', 'p256']) {
    const name = `repo-1000-s1-${curve}`;
    const car = await fixtures.bytes(`generated/${name}.car`);
    const meta = await fixtures.json(`generated/${name}.json`);
    const expected = (await fixtures.text(`generated/${name}.records.tsv`)).trim().split('\n');
    repos[curve] = { car, meta };

    const result = verifyRepo(car, { did: meta.did, key: meta.signingKey });
    const listed = [...result.records].map((r) => `${r.path}\t${r.cid}`);
    check(`${name}: records are exactly the .records.tsv list`, listed.length === expected.length && listed.every((l, i) => l === expected[i]), `${listed.length} vs ${expected.length}`);
    check(`${name}: commit and data CIDs`, result.commit === meta.commitCid && result.data === meta.dataCid);
    check(`${name}: did, rev, version`, result.did === meta.did && result.rev === meta.rev && result.version === 3);
    check(`${name}: signature verified`, result.signatureVerified === true);
    check(`${name}: .length, .at(), .get()`, result.records.length === meta.recordCount && result.records.at(-1).path === expected.at(-1).split('\t')[0] && result.records.get(expected[7].split('\t')[0]) === expected[7].split('\t')[1] && result.records.get('app.bsky.feed.post/nope') === undefined);
    check(`${name}: without a key the signature is not checked`, verifyRepo(car).signatureVerified === false);

    const { roots, blocks } = readCar(car);
    check(`${name}: readCar roots and block count`, roots.length === 1 && roots[0] === meta.commitCid && blocks.size === meta.blockCount);
    check(`${name}: readCar blocks hash to their CIDs`, [...blocks].every(([cid, bytes]) => cidForCbor(bytes) === cid));

    let progressCalls = 0;
    let lastBytes = 0;
    let lastRecords = 0;
    const streamed = await verifyRepoStream(chunksOf(car, 1000), { did: meta.did, key: meta.signingKey }, (p) => { progressCalls++; lastBytes = p.bytes; lastRecords = p.records; });
    check(`${name}: streamed in 1000-byte chunks, same result`, streamed.commit === result.commit && streamed.records.length === result.records.length && [...streamed.records].every((r, i) => r.cid === result.records.at(i).cid));
    check(`${name}: progress reported per chunk up to the whole CAR`, progressCalls === Math.ceil(car.length / 1000) && lastBytes === car.length && lastRecords === meta.recordCount);
    if (typeof Blob === 'function') {
      const fromStream = await verifyRepoStream(new Blob([car]).stream(), { did: meta.did });
      check(`${name}: verifyRepoStream from a ReadableStream`, fromStream.data === meta.dataCid);
    }
    let seen = 0;
    let rootsSeen = null;
    for await (const block of readCarStream(chunksOf(car, 777), (r) => { rootsSeen = r; })) {
      if (cidForCbor(block.bytes) === block.cid) seen++;
    }
    check(`${name}: readCarStream yields every block, hash-checked`, seen === meta.blockCount && rootsSeen?.[0] === meta.commitCid);

    // A consumer that stops early, or a CAR that fails, cancels the source (a fetch body stops
    // downloading); one read to the end is not cancelled.
    const source = (bytes) => {
      const state = { pulled: 0, cancelled: false };
      let at = 0;
      state.stream = new ReadableStream({
        pull(controller) {
          state.pulled++;
          if (at >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(at, at + 4096));
          at += 4096;
        },
        cancel() { state.cancelled = true; },
      }, { highWaterMark: 0 });
      return state;
    };
    const early = source(car);
    for await (const block of readCarStream(early.stream)) if (block) break;
    check(`${name}: readCarStream cancels its source when the consumer stops early`, early.cancelled && early.pulled < Math.ceil(car.length / 4096));
    const broken = car.slice();
    broken[broken.length - 1] ^= 1;
    const failing = source(broken);
    let failed = false;
    try { await verifyRepoStream(failing.stream, { did: meta.did }); } catch (e) { failed = e instanceof atproof.AtproofError; }
    const whole = source(car);
    await verifyRepoStream(whole.stream, { did: meta.did });
    check(`${name}: verifyRepoStream cancels its source when the CAR fails, not when it is read to the end`, failed && failing.cancelled && !whole.cancelled);

    for (const index of [0, 500, 999]) {
      const { path, cid } = result.records.at(index);
      const [collection, rkey] = path.split('/');
      const proof = recordProof(car, collection, rkey);
      const proven = verifyRecord(proof, { did: meta.did, key: meta.signingKey, collection, rkey });
      check(`${name}: verifyRecord proves ${path}`, proven.cid === cid && JSON.stringify(proven.record) === JSON.stringify(decodeCbor(blocks.get(cid))) && proof.length < car.length / 10 && proven.commit === meta.commitCid && proven.rev === meta.rev && proven.data === meta.dataCid);
      const tampered = proof.slice();
      tampered[tampered.length - 5] ^= 1;
      check(`${name}: a tampered proof of ${path} is refused`, throwsCode(atproof, () => verifyRecord(tampered, { did: meta.did, key: meta.signingKey, collection, rkey }), 'cid-mismatch') === true);
    }
    const absent = verifyRecord(recordProof(car, 'app.bsky.feed.post', '2222222222222'), { did: meta.did, key: meta.signingKey, collection: 'app.bsky.feed.post', rkey: '2222222222222' });
    check(`${name}: verifyRecord proves an absence`, absent.cid === null && absent.record === null);
  }

  const { car, meta } = repos.k256;
  const other = repos.p256.meta;
  const { header, sections } = carSections(car);
  const commitIndex = sections.findIndex((s) => s.cid === meta.commitCid);
  const records = verifyRepo(car).records;
  const recordIndex = sections.findIndex((s) => s.cid === records.at(123).cid);
  const nodeIndex = sections.findIndex((s) => s.cid === meta.dataCid);
  const flip = (index) => writeCar(header, sections.map((s, i) => (i === index ? { ...s, bytes: Uint8Array.from(s.bytes, (b, j) => (j === 9 ? b ^ 1 : b)) } : s)));
  const without = (index) => writeCar(header, sections.filter((_, i) => i !== index));
  const cases = [
    ['a flipped byte in a record', () => verifyRepo(flip(recordIndex)), 'cid-mismatch'],
    ['a flipped byte in the MST root', () => verifyRepo(flip(nodeIndex)), 'cid-mismatch'],
    ['a flipped byte in the commit', () => verifyRepo(flip(commitIndex)), 'cid-mismatch'],
    ['a signature checked with another key', () => verifyRepo(car, { key: other.signingKey }), 'bad-signature'],
    ['another DID', () => verifyRepo(car, { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), 'did-mismatch'],
    ['a missing record block', () => verifyRepo(without(recordIndex)), 'missing-block'],
    ['a missing MST node', () => verifyRepo(without(nodeIndex)), 'missing-block'],
    ['a missing commit', () => verifyRepo(without(commitIndex)), 'missing-block'],
    ['a truncated CAR', () => verifyRepo(car.subarray(0, car.length - 3)), 'car-truncated'],
    ['not a CAR', () => verifyRepo(new Uint8Array([1, 2, 3])), 'car-invalid-header'],
    ['a string instead of bytes', () => verifyRepo('car'), 'invalid-argument'],
    ['a bad DID option', () => verifyRepo(car, { did: 'nope' }), 'invalid-did'],
  ];
  for (const [what, run, code] of cases) {
    const outcome = throwsCode(atproof, run, code);
    check(`verifyRepo refuses ${what} with ${code}`, outcome === true, outcome);
  }
  const streamer = new RepoVerifier({});
  streamer.push(car.subarray(0, 100));
  check('RepoVerifier.finish on a partial CAR fails', throwsCode(atproof, () => streamer.finish(), 'car-truncated') === true);
  check('verifying works after every failure', verifyRepo(car).records.length === meta.recordCount);
}
