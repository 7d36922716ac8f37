// The event stream through the package: the reference-made #commit streams (k256, p256) decoded
// and verified frame by frame with sync 1.1 inversion, each data root following the last and the
// last equal to the repository after the stream; tampered frames refused with their codes; #sync.
import { carSections, framesOf, throwsCode, writeCar } from './util.mjs';

/** Re-encodes a frame with its body changed by `change` (the header kept as it is). */
function tamper(atproof, frame, change) {
  const { body } = atproof.decodeFrame(frame);
  const header = frame.subarray(0, frame.length - atproof.encodeCbor(body).length);
  change(body);
  const newBody = atproof.encodeCbor(body);
  const out = new Uint8Array(header.length + newBody.length);
  out.set(header);
  out.set(newBody, header.length);
  return out;
}

export default async function firehose(atproof, fixtures, check) {
  const { decodeFrame, verifyCommit, verifySync, verifyRepo, encodeCbor, CidLink } = atproof;
  for (const curve of ['k256', 'p256']) {
    const frames = framesOf(await fixtures.bytes(`generated/repo-1000-s1-${curve}.frames.bin`));
    const meta = await fixtures.json(`generated/repo-1000-s1-${curve}.frames.json`);
    check(`${curve}: 200 frames`, frames.length === 200 && meta.frames.length === 200);
    let data = meta.startData;
    let valid = 0, opsRight = 0, ops = 0;
    for (const [i, frame] of frames.entries()) {
      const expected = meta.frames[i];
      const decoded = decodeFrame(frame);
      const v = verifyCommit(frame, { key: meta.signingKey });
      if (decoded.header.op === 1 && decoded.header.t === '#commit' && !decoded.unknown && decoded.body.seq === expected.seq
        && v.inverted && v.prevData === data && v.data === expected.data && v.rev === expected.rev && v.commit === expected.commit
        && v.since === expected.since && v.repo === meta.did) valid++;
      for (const [j, op] of v.ops.entries()) {
        const want = expected.ops[j];
        ops++;
        if (op.action === want.action && op.path === want.path && op.cid === want.cid && op.prev === (want.prev ?? null)
          && (op.action === 'delete' ? op.record === undefined : op.record instanceof Uint8Array && atproof.cidForCbor(op.record) === op.cid)) opsRight++;
      }
      data = v.data;
    }
    check(`${curve}: every frame verifies, inverted back to the last data root`, valid === 200, `${valid}/200`);
    check(`${curve}: every op as the sidecar lists it, with its record`, ops === 429 && opsRight === ops, `${opsRight}/${ops}`);
    const after = verifyRepo(await fixtures.bytes(`generated/repo-1000-s1-${curve}.after.car`));
    check(`${curve}: the stream ends at the root of the repository after it`, after.data === data);
    const decodedRecords = verifyCommit(frames[1], { key: meta.signingKey, decodeRecords: true });
    check(`${curve}: decodeRecords gives the records as values`, decodedRecords.ops.every((op) => op.action === 'delete' || typeof op.record?.$type === 'string'));
    check(`${curve}: prevData from the caller is used`, throwsCode(atproof, () => verifyCommit(frames[1], { key: meta.signingKey, prevData: meta.startData }), 'inversion-mismatch') === true);
  }

  const frames = framesOf(await fixtures.bytes('generated/repo-1000-s1-k256.frames.bin'));
  const meta = await fixtures.json('generated/repo-1000-s1-k256.frames.json');
  const other = await fixtures.json('generated/repo-1000-s1-p256.frames.json');
  const key = meta.signingKey;
  const index = meta.frames.findIndex((f) => f.ops.some((op) => op.action === 'create'));
  const frame = frames[index];
  const createOp = meta.frames[index].ops.findIndex((op) => op.action === 'create');
  const someCid = new CidLink(atproof.cidForCbor(encodeCbor({})));
  const withoutBlock = (cid) => tamper(atproof, frame, (body) => {
    const { header, sections } = carSections(body.blocks);
    body.blocks = writeCar(header, sections.filter((s) => s.cid !== cid));
  });
  const cases = [
    ['signed by another key', frame, other.signingKey, 'bad-signature'],
    ['rev differs from the commit\'s', tamper(atproof, frame, (b) => { b.rev = '3lfesk7epcc22'; }), key, 'commit-mismatch'],
    ['repo differs from the commit\'s did', tamper(atproof, frame, (b) => { b.repo = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'; }), key, 'commit-mismatch'],
    ['an op whose cid differs from the tree', tamper(atproof, frame, (b) => { b.ops[createOp].cid = someCid; }), key, 'op-mismatch'],
    ['a missing record block', withoutBlock(meta.frames[index].ops[createOp].cid), key, 'missing-block'],
    ['a missing MST root', withoutBlock(meta.frames[index].data), key, 'inversion-incomplete'],
    ['prevData that does not match', tamper(atproof, frame, (b) => { b.prevData = someCid; }), key, 'inversion-mismatch'],
    ['a duplicated op', tamper(atproof, frame, (b) => { b.ops.push(b.ops[0]); }), key, 'invalid-event'],
    ['tooBig set', tamper(atproof, frame, (b) => { b.tooBig = true; }), key, 'commit-too-big'],
    ['blocks over 2,000,000 bytes', tamper(atproof, frame, (b) => { b.blocks = new Uint8Array(2_000_001); }), key, 'limit-exceeded'],
    ['a third object', Uint8Array.from([...frame, 0xa0]), key, 'cbor-trailing-bytes'],
    ['a frame cut short', frame.subarray(0, frame.length - 10), key, 'cbor-truncated'],
    ['garbage', Uint8Array.from([0xff, 1, 2]), key, 'invalid-cbor'],
  ];
  for (const [what, bytes, k, code] of cases) {
    const outcome = throwsCode(atproof, () => verifyCommit(bytes, { key: k }), code);
    check(`verifyCommit refuses ${what} with ${code}`, outcome === true, outcome);
  }
  check('verifyCommit refuses a non-#commit frame', throwsCode(atproof, () => verifyCommit(Uint8Array.from([0xa2, 0x61, 0x74, 0x65, 0x23, 0x69, 0x6e, 0x66, 0x6f, 0x62, 0x6f, 0x70, 0x01, 0xa1, 0x64, 0x6e, 0x61, 0x6d, 0x65, 0x61, 0x78]), { key }), 'invalid-argument') === true);
  check('verifyCommit requires a key', throwsCode(atproof, () => verifyCommit(frame, {}), 'invalid-argument') === true);
  const info = decodeFrame(Uint8Array.from([0xa2, 0x61, 0x74, 0x65, 0x23, 0x69, 0x6e, 0x66, 0x6f, 0x62, 0x6f, 0x70, 0x01, 0xa1, 0x64, 0x6e, 0x61, 0x6d, 0x65, 0x61, 0x78]));
  check('decodeFrame: an #info frame', info.header.t === '#info' && info.body.name === 'x' && info.unknown === false);
  const unknown = decodeFrame(Uint8Array.from([0xa2, 0x61, 0x74, 0x62, 0x23, 0x7a, 0x62, 0x6f, 0x70, 0x01, 0xa1, 0x61, 0x61, 0x01]));
  check('decodeFrame: an unknown type is decoded and flagged', unknown.unknown === true && unknown.body.a === 1);

  // FirehoseVerifier: the whole k256 stream, keys resolved once; breaks in continuity.
  let resolved = 0;
  const verifier = new atproof.FirehoseVerifier({ resolveKey: async (did) => { resolved++; return did === meta.did ? key : undefined; } });
  let valid = 0, continuity = 0, shaped = 0;
  const eventKeys = 'seq type did status commit continuity seqRegression';
  for (const [i, f] of frames.entries()) {
    const r = await verifier.process(f);
    // The event as declared, its commit what verifyCommit gives without the records.
    const expected = verifyCommit(f, { key });
    for (const op of expected.ops) delete op.record;
    if (Object.keys(r).join(' ') === eventKeys && r.seq === meta.frames[i].seq && JSON.stringify(r.commit) === JSON.stringify(expected)) shaped++;
    if (r.status === 'valid' && r.type === '#commit' && r.did === meta.did && r.commit?.inverted) valid++;
    if (r.continuity) continuity++;
  }
  check('FirehoseVerifier: each event has its fields in order, its commit as verifyCommit gives it', shaped === 200, shaped);
  check('FirehoseVerifier: every frame of the stream valid, the key resolved once', valid === 200 && continuity === 199 && resolved === 1 && verifier.accounts === 1, `${valid} ${continuity} ${resolved}`);
  const run = async (sequence, options = {}) => {
    const v = new atproof.FirehoseVerifier({ resolveKey: () => key, ...options });
    const out = [];
    for (const f of sequence) out.push((await v.process(f)).status);
    v.free();
    return out.join(' ');
  };
  check('FirehoseVerifier: a dropped frame gives desync, then valid again', (await run([frames[0], frames[1], frames[3], frames[4]])) === 'valid valid desync valid');
  check('FirehoseVerifier: duplicated and replayed frames are ignored', (await run([frames[0], frames[1], frames[1], frames[0], frames[2]])) === 'valid valid ignored ignored valid');
  // A saved state: another verifier (a restart) goes on with the accounts' continuity.
  const before = new atproof.FirehoseVerifier({ resolveKey: () => key });
  for (const f of frames.slice(0, 100)) await before.process(f);
  const saved = before.saveState();
  const restarted = new atproof.FirehoseVerifier({ resolveKey: () => key, state: saved });
  const restoredSeq = restarted.lastSeq;
  const resumed = await restarted.process(frames[100]);
  check('FirehoseVerifier: a saved state restores continuity and the last seq', saved instanceof Uint8Array && saved.length === 24 + 44 + 8
    && before.lastSeq === meta.frames[99].seq && restoredSeq === meta.frames[99].seq && restarted.accounts === 1
    && resumed.status === 'valid' && resumed.continuity === true);
  check('FirehoseVerifier: after a restore, a skipped frame is a desync', (await restarted.process(frames[102])).status === 'desync');
  const cut = saved.slice(0, -1);
  const flipped = Uint8Array.from(saved);
  flipped[30] ^= 1;
  check('FirehoseVerifier: a state that is not one saved is refused, in the constructor and restoreState', throwsCode(atproof, () => new atproof.FirehoseVerifier({ resolveKey: () => key, state: cut }), 'invalid-saved-state') === true
    && throwsCode(atproof, () => restarted.restoreState(flipped), 'invalid-saved-state') === true && throwsCode(atproof, () => restarted.restoreState('state'), 'invalid-argument') === true);
  check('FirehoseVerifier: unchanged after a refused state', restarted.lastSeq === meta.frames[102].seq && (await restarted.process(frames[103])).continuity === true);
  const empty = new atproof.FirehoseVerifier({ resolveKey: () => key });
  restarted.restoreState(empty.saveState());
  empty.free();
  check('FirehoseVerifier: restoring an empty state forgets every account', restarted.accounts === 0 && restarted.lastSeq === undefined);
  before.free();
  restarted.free();
  check('FirehoseVerifier: reordered frames', (await run([frames[0], frames[2], frames[1], frames[3]])) === 'valid desync ignored valid');
  // A key rotation: the resolver first gives the old key (here another account's), then the new one.
  let calls = 0;
  const rotating = new atproof.FirehoseVerifier({ resolveKey: () => (++calls === 1 ? other.signingKey : key) });
  const rotated = await rotating.process(frames[0]);
  check('FirehoseVerifier: a failed signature is retried with a freshly resolved key', rotated.status === 'valid' && calls === 2);
  const wrong = new atproof.FirehoseVerifier({ resolveKey: () => other.signingKey });
  const refused = await wrong.process(frames[0]);
  check('FirehoseVerifier: a signature that fails twice is invalid, with its error', refused.status === 'invalid' && refused.error instanceof atproof.AtproofError && refused.error.code === 'bad-signature');
  // A resolver that throws (an unreachable directory): the frame is invalid with identity-resolution,
  // the stream goes on, and the account's next frame asks again; one that finds no key: the code says so.
  let attempts = 0;
  const flaky = new atproof.FirehoseVerifier({ resolveKey: async () => { if (++attempts === 1) throw new Error('directory down'); return key; } });
  const down = await flaky.process(frames[0]);
  const back = await flaky.process(frames[0]);
  check('FirehoseVerifier: a resolver that throws gives identity-resolution, then is asked again', down.status === 'invalid' && down.error?.code === 'identity-resolution' && /directory down/.test(down.error.message) && down.error.cause?.message === 'directory down' && back.status === 'valid' && attempts === 2);
  const keyless = await new atproof.FirehoseVerifier({ resolveKey: async () => ({ signingKey: null }) }).process(frames[0]);
  check('FirehoseVerifier: an account without a signing key', keyless.status === 'invalid' && keyless.error?.code === 'did-document-no-signing-key');
  const identity = encodeCbor({ did: meta.did, seq: 5, time: '2025-01-10T08:46:10.205Z' });
  const identityFrame = Uint8Array.from([...encodeCbor({ op: 1, t: '#identity' }), ...identity]);
  const afterIdentity = await (async () => {
    let n = 0;
    const v = new atproof.FirehoseVerifier({ resolveKey: () => { n++; return key; } });
    await v.process(frames[0]);
    const id = await v.process(identityFrame);
    await v.process(frames[1]);
    return id.status === 'valid' && id.type === '#identity' && n === 2;
  })();
  check('FirehoseVerifier: #identity drops the cached key', afterIdentity);
  const infoEvent = await verifier.process(Uint8Array.from([0xa2, 0x61, 0x74, 0x65, 0x23, 0x69, 0x6e, 0x66, 0x6f, 0x62, 0x6f, 0x70, 0x01, 0xa1, 0x64, 0x6e, 0x61, 0x6d, 0x65, 0x61, 0x78]));
  check('FirehoseVerifier: #info is ignored, without seq or did', infoEvent.status === 'ignored' && infoEvent.type === '#info'
    && Object.keys(infoEvent).join(' ') === 'seq type did status continuity seqRegression' && infoEvent.seq === undefined && infoEvent.did === undefined);
  const errorFrame = await verifier.process(Uint8Array.from([...encodeCbor({ op: -1 }), ...encodeCbor({ error: 'ConsumerTooSlow' })]));
  check('FirehoseVerifier: an error frame is reported with stream-error', errorFrame.status === 'invalid' && errorFrame.error.code === 'stream-error' && /ConsumerTooSlow/.test(errorFrame.error.message)
    && Object.keys(errorFrame).join(' ') === 'seq type did status error continuity seqRegression');
  let threw = false;
  try { await verifier.process(Uint8Array.from([0xff])); } catch (e) { threw = e instanceof atproof.AtproofError; }
  check('FirehoseVerifier: a frame that does not decode throws', threw);
  verifier.free();

  // #sync: the commit block of the first frame, alone in a CAR.
  const { sections } = carSections(atproof.decodeFrame(frames[0]).body.blocks);
  const commit = sections.find((s) => s.cid === meta.frames[0].commit);
  const header = encodeCbor({ roots: [new CidLink(commit.cid)], version: 1 });
  const syncFrame = (body) => {
    const head = encodeCbor({ op: 1, t: '#sync' });
    const rest = encodeCbor(body);
    return Uint8Array.from([...head, ...rest]);
  };
  const body = { did: meta.did, rev: meta.frames[0].rev, seq: 7, time: '2025-01-10T08:46:10.205Z', blocks: writeCar(header, [commit]) };
  const synced = verifySync(syncFrame(body), { key });
  check('verifySync gives the commit and its data', synced.commit === meta.frames[0].commit && synced.data === meta.frames[0].data && synced.rev === meta.frames[0].rev);
  check('verifySync refuses another key', throwsCode(atproof, () => verifySync(syncFrame(body), { key: other.signingKey }), 'bad-signature') === true);
  check('verifySync refuses another rev', throwsCode(atproof, () => verifySync(syncFrame({ ...body, rev: '3lfesk7epcc22' }), { key }), 'commit-mismatch') === true);
}
