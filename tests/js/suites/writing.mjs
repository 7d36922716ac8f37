// Writing through the package, in every runtime: repositories made with a Keypair (k256, p256) and
// with a WebCrypto signer (non-extractable P-256 key); every frame valid in a FirehoseVerifier and
// inverted by verifyCommit; exports verified by verifyRepo (whole and streamed), proofs by
// verifyRecord; every kind of bad write refused with its code, the repository unchanged, and the
// next write working; a replica of the reference-made repository following the reference stream;
// createRecord and blobRef against SHA-256 from WebCrypto.
import { carBlocks, cidString, framesOf, rejectsCode, throwsCode } from './util.mjs';

const DID = 'did:plc:writingsuiteaaaaaaaaaaaa';

/** The CID string of `bytes` under `codec` (0x71 DRISL, 0x55 raw), hashed by WebCrypto. */
async function cidOf(bytes, codec) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return cidString(Uint8Array.from([1, codec, 0x12, 0x20, ...digest]));
}

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The high-S twin of a low-S P-256 signature (s replaced by n − s). */
function highS(signature) {
  const s = BigInt('0x' + Array.from(signature.subarray(32), (b) => b.toString(16).padStart(2, '0')).join(''));
  const twin = (P256_ORDER - s).toString(16).padStart(64, '0');
  const out = Uint8Array.from(signature);
  out.set(twin.match(/../g).map((h) => parseInt(h, 16)), 32);
  return out;
}

export default async function writing(atproof, fixtures, check) {
  const { AtproofError, Repo, Keypair, FirehoseVerifier, verifyCommit, verifyRepo, verifyRecord, decodeCbor, createRecord, blobRef, encodeCbor, webCryptoSigner } = atproof;

  /** Writes `rounds` commits of mixed creates, updates and deletes; checks every frame. */
  async function exercise(name, repo, key, rounds) {
    const verifier = new FirehoseVerifier({ resolveKey: () => key });
    // The repository announced with a #sync frame: consumers follow its commits from there.
    const started = await repo.syncFrame();
    const syncEvent = await verifier.process(started.frame);
    const synced = atproof.verifySync(started.frame, { key });
    check(`${name}: the #sync frame starts a verifier on the current commit`, syncEvent.status === 'valid' && syncEvent.type === '#sync'
      && started.commit === repo.commit && started.rev === repo.rev && started.seq === 1 && repo.lastSeq === 1
      && synced.commit === repo.commit && synced.data === repo.data);
    const expected = new Map();
    let framesValid = 0, inverted = 0;
    for (let round = 0; round < rounds; round++) {
      const writes = [];
      for (let i = 0; i <= round % 4; i++) {
        const rkey = `r${round}x${i}`;
        const record = { $type: 'app.bsky.feed.post', text: `post ${round}.${i} ✨`, createdAt: '2026-12-05T00:00:00.000Z', n: round };
        writes.push({ action: 'create', collection: 'app.bsky.feed.post', rkey, record });
        expected.set(`app.bsky.feed.post/${rkey}`, record);
      }
      if (round >= 3) {
        const updated = { $type: 'app.bsky.feed.post', text: 'edited', createdAt: '2026-12-05T00:00:00.000Z' };
        writes.push({ action: 'update', collection: 'app.bsky.feed.post', rkey: `r${round - 2}x0`, record: updated });
        expected.set(`app.bsky.feed.post/r${round - 2}x0`, updated);
        writes.push({ action: 'delete', collection: 'app.bsky.feed.post', rkey: `r${round - 3}x0` });
        expected.delete(`app.bsky.feed.post/r${round - 3}x0`);
      }
      const prevData = repo.data;
      const written = await repo.applyWrites(writes);
      check(`${name}: round ${round} follows`, written.prevData === prevData && written.data === repo.data && written.commit === repo.commit);
      const processed = await verifier.process(written.frame);
      if (processed.status === 'valid' && processed.continuity && processed.seq === repo.lastSeq) framesValid++;
      const verified = verifyCommit(written.frame, { key });
      if (verified.inverted && verified.prevData === prevData && verified.data === written.data) inverted++;
    }
    check(`${name}: every frame valid in FirehoseVerifier, followed from the #sync`, framesValid === rounds, `${framesValid}/${rounds}`);
    check(`${name}: every frame inverts`, inverted === rounds);
    verifier.free();

    const car = repo.exportCar();
    const verified = verifyRepo(car, { did: repo.did, key });
    const listed = [...verified.records].map((r) => r.path);
    check(`${name}: the export lists exactly the records written`, JSON.stringify(listed) === JSON.stringify([...expected.keys()].sort()));
    const listedHere = repo.list().map((r) => `${r.collection}/${r.rkey}`);
    check(`${name}: list() in key order`, JSON.stringify(listedHere) === JSON.stringify(listed));
    let proven = 0, got = 0;
    for (const [path, record] of expected) {
      const [collection, rkey] = path.split('/');
      const proof = verifyRecord(repo.proof(collection, rkey), { did: repo.did, key, collection, rkey });
      if (JSON.stringify(proof.record) === JSON.stringify(decodeCbor(encodeCbor(record)))) proven++;
      const here = repo.get(collection, rkey);
      if (here && here.cid === proof.cid && JSON.stringify(here.record) === JSON.stringify(proof.record)) got++;
    }
    check(`${name}: every record proven`, proven === expected.size, `${proven}/${expected.size}`);
    check(`${name}: get() agrees with the proofs`, got === expected.size);
    check(`${name}: get() of an absent record`, repo.get('app.bsky.feed.post', 'absent') === null);
    const chunks = [];
    for await (const chunk of repo.exportCarStream({ chunkSize: 1000 })) chunks.push(chunk);
    const streamed = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) { streamed.set(chunk, at); at += chunk.length; }
    check(`${name}: the streamed export is the export`, chunks.length > 1 && streamed.length === car.length && streamed.every((b, i) => b === car[i]));
    let hashed = 0;
    for (const block of carBlocks(car)) if (await cidOf(block.bytes, block.cid.startsWith('bafk') ? 0x55 : 0x71) === block.cid) hashed++;
    check(`${name}: every exported block hashes to its CID (WebCrypto)`, hashed === carBlocks(car).length);
    return car;
  }

  for (const curve of ['k256', 'p256']) {
    const keypair = Keypair.generate(curve);
    const repo = await Repo.create({ did: DID, keypair });
    check(`${curve}: a new repository`, repo.did === DID && repo.signingKey === keypair.did() && repo.list().length === 0);
    const car = await exercise(curve, repo, keypair.did(), 8);
    const loaded = await Repo.load(car, { keypair, did: DID });
    check(`${curve}: loaded from its export`, loaded.commit === repo.commit && loaded.data === repo.data);
    const written = await loaded.applyWrites([{ action: 'create', collection: 'app.bsky.graph.follow', record: { $type: 'app.bsky.graph.follow', subject: DID, createdAt: '2026-12-05T00:00:00.000Z' } }]);
    check(`${curve}: a create without rkey gets a TID`, atproof.isValidTid(written.ops[0].path.split('/')[1]) && written.ops[0].prev === null);
    check(`${curve}: a Repo.load with another key is refused`, await rejectsCode(atproof, Repo.load(car, { keypair: Keypair.generate(curve) }), 'bad-signature'));
    repo.free();
    loaded.free();
  }

  // A WebCrypto key that never leaves WebCrypto.
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const signer = await webCryptoSigner(pair);
  const webRepo = await Repo.create({ did: DID, signer });
  await exercise('WebCrypto signer', webRepo, signer.did(), 5);

  // Bad writes: each refused with its code, nothing changed, the next write fine.
  const keypair = Keypair.generate('p256');
  const repo = await Repo.create({ did: DID, keypair });
  await repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'a', record: { $type: 'app.bsky.feed.post', text: 'a' } }]);
  const post = (extra) => ({ $type: 'app.bsky.feed.post', text: 'x', ...extra });
  const cases = [
    ['bad NSID', [{ action: 'create', collection: 'not an nsid', rkey: 'b', record: post() }], 'invalid-nsid'],
    ['bad rkey', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'a b', record: post() }], 'invalid-record-key'],
    ['a float', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ n: 1.5 }) }], 'cbor-float'],
    ['no $type', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: { text: 'x' } }], 'invalid-record-type'],
    ['empty $type', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: { $type: '' } }], 'invalid-record-type'],
    ['a $type that is not the collection', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: { $type: 'app.bsky.feed.like' } }], 'invalid-record-type'],
    ['a legacy blob', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ image: { cid: 'bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', mimeType: 'image/png' } }) }], 'invalid-blob'],
    ['a { $bytes } that is not base64', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ sig: { $bytes: 'AA-_' } }) }], 'json-invalid-bytes'],
    ['a { $link } that is no CID', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ ref: { $link: 'bafy' } }) }], 'json-invalid-link'],
    ['an undefined', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ u: undefined }) }], 'invalid-value'],
    ['a 2 MB record', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ blob: new Uint8Array(2_000_000) }) }], 'limit-exceeded'],
    ['an unsafe integer', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post({ n: 2 ** 60 }) }], 'unsafe-integer'],
    ['update of a missing record', [{ action: 'update', collection: 'app.bsky.feed.post', rkey: 'zz', record: post() }], 'record-not-found'],
    ['delete of a missing record', [{ action: 'delete', collection: 'app.bsky.feed.post', rkey: 'zz' }], 'record-not-found'],
    ['create of an existing record', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'a', record: post() }], 'record-exists'],
    ['the same path twice', [{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'c', record: post() }, { action: 'delete', collection: 'app.bsky.feed.post', rkey: 'c' }], 'duplicate-write'],
    ['0 ops', [], 'limit-exceeded'],
    ['201 ops', Array.from({ length: 201 }, (_, i) => ({ action: 'create', collection: 'app.bsky.feed.post', rkey: `k${i}`, record: post() })), 'limit-exceeded'],
    ['an unknown action', [{ action: 'upsert', collection: 'app.bsky.feed.post', rkey: 'b', record: post() }], 'invalid-argument'],
  ];
  const commitBefore = repo.commit;
  for (const [what, writes, code] of cases) {
    check(`refused: ${what}`, await rejectsCode(atproof, repo.applyWrites(writes), code));
    check(`unchanged after: ${what}`, repo.commit === commitBefore && repo.list().length === 1);
  }
  check('refused: a seq not above the last event\'s', await rejectsCode(atproof, repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post() }], { seq: repo.lastSeq }), 'invalid-argument'));
  check('refused: a #sync seq not above the last event\'s', await rejectsCode(atproof, repo.syncFrame({ seq: 1 }), 'invalid-argument'));
  check('refused: a #sync time that is no datetime', await rejectsCode(atproof, repo.syncFrame({ time: 'noon' }), 'invalid-datetime'));
  check('unchanged after: the seqs refused', repo.commit === commitBefore && repo.lastSeq === 1);
  check('refused: a rev not above the last', await rejectsCode(atproof, repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post() }], { rev: repo.rev }), 'rev-not-increasing'));
  check('refused: a rev far ahead of the clock', await rejectsCode(atproof, repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post() }], { rev: '7zzzzzzzzzzzz' }), 'rev-in-future'));
  check('refused: a first rev far ahead of the clock', await rejectsCode(atproof, Repo.create({ did: DID, keypair, rev: '7zzzzzzzzzzzz' }), 'rev-in-future'));
  const written = await repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'b', record: post() }], { seq: 42, time: '2026-12-05T01:02:03.456Z' });
  const frame = atproof.decodeFrame(written.frame);
  check('the next write works, with the seq and time given', written.seq === 42 && frame.body.seq === 42 && frame.body.time === '2026-12-05T01:02:03.456Z' && repo.list().length === 2);
  // atproto JSON's { $bytes } and { $link } in a record are the bytes and the link they mean.
  const cid = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
  await repo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'j', record: post({ sig: { $bytes: 'AAEC/w' }, ref: { $link: cid } }) }]);
  const jsonRecord = repo.get('app.bsky.feed.post', 'j');
  check('a record with { $bytes } and { $link } holds bytes and a link', jsonRecord.record.sig instanceof Uint8Array && jsonRecord.record.sig.join() === '0,1,2,255' && jsonRecord.record.ref instanceof atproof.CidLink && jsonRecord.record.ref.$link === cid);
  await repo.applyWrites([{ action: 'delete', collection: 'app.bsky.feed.post', rkey: 'j' }]);

  // Signers that fail: each refused, nothing changed.
  const car = repo.exportCar();
  const signers = [
    ['throws', async () => { throw new Error('no key'); }, 'signer-failed'],
    ['returns a string', async () => 'signature', 'signer-failed'],
    ['returns 63 bytes', async (data) => (await keypair.sign(data)).subarray(0, 63), 'invalid-signature-format'],
    ['signs with another key', async (data) => Keypair.generate('p256').sign(data), 'bad-signature'],
  ];
  for (const [what, sign, code] of signers) {
    const loaded = await Repo.load(car, { signer: { did: () => keypair.did(), sign } });
    const before = loaded.commit;
    check(`signer that ${what}: refused`, await rejectsCode(atproof, loaded.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'c', record: post() }]), code));
    check(`signer that ${what}: unchanged`, loaded.commit === before && loaded.get('app.bsky.feed.post', 'c') === null);
    loaded.free();
  }
  const highSigner = { did: () => keypair.did(), sign: async (data) => highS(await keypair.sign(data)) };
  const highRepo = await Repo.load(car, { signer: highSigner });
  const highWritten = await highRepo.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', rkey: 'c', record: post() }]);
  const commitBlock = carBlocks(highWritten.blocks).find((b) => b.cid === highWritten.commit);
  const storedSig = decodeCbor(commitBlock.bytes).sig;
  const lowSig = await keypair.sign(atproof.encodeCbor({ ...decodeCbor(commitBlock.bytes), sig: undefined }));
  check('a high-S signer: the commit carries the low-S twin', storedSig.every((b, i) => b === lowSig[i]));
  check('a high-S signer: the commit verifies', verifyCommit(highWritten.frame, { key: keypair.did() }).inverted === true);
  check('Repo needs a keypair or a signer', await rejectsCode(atproof, Repo.create({ did: DID }), 'invalid-argument'));
  check('Repo cannot be constructed directly', (() => { try { new Repo(); return false; } catch (e) { return e instanceof AtproofError && e.code === 'invalid-argument'; } })());

  // A replica of the reference-made repository follows the reference stream.
  const meta = await fixtures.json('generated/repo-1000-s1-k256.json');
  const referenceCar = await fixtures.bytes('generated/repo-1000-s1-k256.car');
  const replica = await Repo.load(referenceCar, { key: meta.signingKey, seq: 1000 });
  check('replica: loaded with { key } and a seq', replica.signingKey === meta.signingKey && replica.lastSeq === 1000);
  check('replica: a read-only replica does not write', await rejectsCode(atproof, replica.applyWrites([{ action: 'delete', collection: 'app.bsky.feed.post', rkey: 'x' }]), 'invalid-argument'));
  check('replica: { key } with another key is refused', await rejectsCode(atproof, Repo.load(referenceCar, { key: Keypair.generate('k256').did() }), 'bad-signature'));
  check('replica: { key } and a keypair together are refused', await rejectsCode(atproof, Repo.load(referenceCar, { key: meta.signingKey, keypair: Keypair.generate('k256') }), 'invalid-argument'));
  check('replica: a bad seq is refused', await rejectsCode(atproof, Repo.load(referenceCar, { key: meta.signingKey, seq: -1 }), 'invalid-argument'));
  const frames = framesOf(await fixtures.bytes('generated/repo-1000-s1-k256.frames.bin'));
  check('replica: a skipped frame is a desync', await rejectsCode(atproof, replica.applyCommit(frames[1], { key: meta.signingKey }), 'commit-desync'));
  check('replica: unchanged after the desync', replica.commit === meta.commitCid);
  let applied = 0;
  for (const frame of frames) {
    const result = await replica.applyCommit(frame, { key: meta.signingKey });
    if (result.commit === replica.commit) applied++;
  }
  check('replica: the 200 frames applied', applied === 200);
  check('replica: at the reference final commit', replica.commit === meta.after.commitCid && replica.data === meta.after.dataCid);
  check('replica: the final records', replica.list().length === meta.after.recordCount);
  replica.free();

  // Standalone helpers, against WebCrypto's SHA-256.
  const record = { $type: 'app.bsky.feed.like', subject: { uri: 'at://did:plc:abc/app.bsky.feed.post/3k', cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' }, createdAt: '2026-12-05T00:00:00.000Z' };
  const made = createRecord(record);
  check('createRecord: canonical bytes and their CID', made.bytes.every((b, i) => b === encodeCbor(record)[i]) && made.cid === await cidOf(made.bytes, 0x71));
  check('createRecord: refuses a record without $type', throwsCode(atproof, () => createRecord({ text: 'x' }), 'invalid-record-type'));
  const blobBytes = new TextEncoder().encode('a picture, say');
  const ref = blobRef(blobBytes, 'image/png');
  check('blobRef: raw CID, size, MIME type', ref.$type === 'blob' && ref.ref instanceof atproof.CidLink && ref.ref.$link === await cidOf(blobBytes, 0x55) && ref.size === blobBytes.length && ref.mimeType === 'image/png');
  check('blobRef: embeds in a record', createRecord({ $type: 'app.bsky.feed.post', embed: { image: ref } }).cid.startsWith('bafyrei'));
  check('blobRef: refuses a bad MIME type', throwsCode(atproof, () => blobRef(blobBytes, 'png'), 'invalid-blob'));
}
