// Compiled by `tsc` (scripts/test.sh): the package's declarations type-check the documented usage.
import { AtproofError, AtUri, Tid, ensureValidHandle, init, initSync, isValidDid, isValidHandle } from 'atproof';
import type { TidParts } from 'atproof';

const ok: boolean = isValidHandle('alice.test') && isValidDid('did:plc:abc');
const tid: string = Tid.now();
const parts: TidParts = Tid.parse(tid);
const micros: number = parts.micros;
const clockId: number = parts.clockId;
const date: Date = parts.date;
const made: string = Tid.fromTime(1_700_000_000_000_000, 1) + Tid.fromTime(10n, 2);
const uri: AtUri = AtUri.parse('at://alice.test/app.bsky.feed.post/3k');
const authority: string = uri.authority;
const collection: string | undefined = uri.collection;
const rkey: string | undefined = uri.rkey;
const printed: string = uri.toString();
try {
  ensureValidHandle('john.0');
} catch (e) {
  if (e instanceof AtproofError) {
    const code: string = e.code;
    const message: string = e.message;
    console.log(code, message);
  }
}
const loaders: [typeof init, typeof initSync] = [init, initSync];
console.log(ok, micros, clockId, date, made, authority, collection, rkey, printed, loaders);
// @ts-expect-error a number is not a string
isValidHandle(42);
// @ts-expect-error Tid.parse returns TidParts, not a string
const wrong: string = Tid.parse(tid);
console.log(wrong);

// Data model, keys, repositories.
import { decodeCbor, decodeCborMany, encodeCbor, cidForCbor, cidForValue, fromJson, toJson, validateCbor, CidLink } from 'atproof';
import { verifySignature, verifySignatureAsync, parseDidKey, Keypair, webCryptoSigner, parseDidDocument } from 'atproof';
import { readCar, verifyRepo, verifyRepoStream, verifyRecord, recordProof, readCarStream, RepoVerifier, CarReader } from 'atproof';
import { createInstance, wasmMemoryBytes, decodeFrame, verifyCommit, verifySync, FirehoseVerifier, verifyPlcLog, compareAuditLogs, resolveIdentity } from 'atproof';
import type { InitOutput } from 'atproof';
import type { Signer, VerifiedRepo, DidDocumentInfo, AtproofInstance, DecodedFrame, VerifiedCommit, CommitOp, FirehoseEvent, VerifiedPlcLog, AuditLogComparison, ResolvedIdentity } from 'atproof';
import { Repo, createRecord, blobRef, verifyPlcLogAsync } from 'atproof';
import type { WrittenCommit, CommitOperation, AppliedCommit, BlobRef } from 'atproof';

async function typed(bytes: Uint8Array, key: string) {
  const value: unknown = decodeCbor(bytes);
  const many: unknown[] = decodeCborMany([bytes]);
  const encoded: Uint8Array = encodeCbor({ a: 1, b: new CidLink('bafyrei') });
  const cids: string = cidForCbor(bytes) + cidForValue(value);
  validateCbor(bytes);
  const json: unknown = toJson(fromJson({ $bytes: 'AA' }));
  const ok: boolean = verifySignature(key, bytes, bytes) && (await verifySignatureAsync(key, bytes, bytes));
  const parsed: 'ES256K' | 'ES256' = parseDidKey(key).algorithm;
  const keypair = Keypair.generate('k256');
  const signer: Signer = keypair;
  const sig: Uint8Array = await signer.sign(bytes);
  const webSigner: Signer = await webCryptoSigner({} as CryptoKeyPair);
  const doc: DidDocumentInfo = parseDidDocument({ id: 'did:web:example.com' });
  const { roots, blocks } = readCar(bytes);
  const repo: VerifiedRepo = verifyRepo(bytes, { did: 'did:plc:x', key });
  for (const { path, cid } of repo.records) console.log(path, cid);
  const streamed: VerifiedRepo = await verifyRepoStream([bytes], {}, ({ blocks, bytes }) => console.log(blocks + bytes));
  const proof: Uint8Array = recordProof(bytes, 'app.bsky.feed.post', '3k');
  const { cid, record } = verifyRecord(proof, { did: 'did:plc:x', key, collection: 'app.bsky.feed.post', rkey: '3k' });
  for await (const block of readCarStream(new Response(new Blob([bytes as BlobPart])))) console.log(block.cid, block.bytes.length);
  const verifier = new RepoVerifier({ key });
  verifier.push(bytes);
  const unchecked: VerifiedRepo = verifyRepo(bytes); // options are optional
  new RepoVerifier().push(bytes);
  const manualLoad: InitOutput[] = [initSync(bytes), initSync({ module: bytes }), await init(new URL('https://example.com/a.wasm')), await init()];
  console.log(unchecked.rev, manualLoad.length);
  const reader = new CarReader();
  const got: { cid: string; bytes: Uint8Array }[] = reader.push(bytes);
  const job: AtproofInstance = await createInstance(bytes);
  const jobRepo: VerifiedRepo = job.verifyRepo(bytes, {});
  const size: number = job.wasmMemoryBytes() + wasmMemoryBytes();
  job.release();
  const frame: DecodedFrame = decodeFrame(bytes);
  const verifiedCommit: VerifiedCommit = verifyCommit(bytes, { key, prevData: 'bafy', decodeRecords: true });
  const firstOp: CommitOp | undefined = verifiedCommit.ops[0];
  const synced: { did: string; data: string } = verifySync(bytes, { key });
  const firehose = new FirehoseVerifier({ resolveKey: async (did: string) => did, maxAccounts: 10, clockDriftMs: 1000 });
  const event: FirehoseEvent = await firehose.process(bytes);
  const status: 'valid' | 'invalid' | 'desync' | 'ignored' = event.status;
  firehose.free();
  const plc: VerifiedPlcLog = verifyPlcLog('did:plc:x', '[]');
  const rotation: string[] | undefined = plc.state?.rotationKeys;
  const resolved: ResolvedIdentity = await resolveIdentity('alice.test', { timeoutMs: 100, verifyPlcLog: true, hostUrl: (host: string) => `http://${host}` });
  const viaResolver = new FirehoseVerifier({ resolveKey: (did: string) => resolveIdentity(did) });
  const savedState: Uint8Array = viaResolver.saveState();
  const restarted = new FirehoseVerifier({ resolveKey: async () => key, state: savedState });
  restarted.restoreState(savedState);
  const cursor: number | undefined = restarted.lastSeq;
  console.log(resolved.handleVerified, viaResolver.accounts, cursor);
  const comparison: AuditLogComparison = compareAuditLogs('[]', []);
  const forkAt: number | undefined = comparison.relation === 'fork' ? comparison.at : undefined;
  console.log(plc.document?.id, plc.operations[0]?.nullified, rotation, forkAt);
  console.log(frame.header.op, frame.header.t, frame.unknown, verifiedCommit.inverted, firstOp?.action, synced.did, status, event.error?.code, firehose.accounts);
  console.log(value, many, encoded, cids, json, ok, parsed, sig, webSigner, doc, roots, blocks.get('x'), streamed, cid, record, got, verifier.finish(), jobRepo, size);
  const writer = Keypair.generate('k256');
  const repository: Repo = await Repo.create({ did: 'did:plc:x', keypair: writer });
  const written: WrittenCommit = await repository.applyWrites([{ action: 'create', collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'hi' } }], { seq: 1 });
  const writtenOp: CommitOperation | undefined = written.ops[0];
  const replica: Repo = await Repo.load(repository.exportCar(), { signer: webSigner });
  const readOnly: Repo = await Repo.load(repository.exportCar(), { key: repository.signingKey, seq: 7 });
  const sync: { frame: Uint8Array; seq: number; time: string; commit: string; rev: string } = await repository.syncFrame({ seq: 8, time: '2026-12-06T00:00:00.000Z' });
  const lastSeq: number = readOnly.lastSeq;
  console.log(sync.frame, lastSeq);
  const applied: AppliedCommit = await replica.applyCommit(written.frame, { key: repository.signingKey });
  const listed: { collection: string; rkey: string; cid: string }[] = repository.list('app.bsky.feed.post');
  const stream: ReadableStream<Uint8Array> = repository.exportCarStream({ chunkSize: 1024 });
  const blob: BlobRef = blobRef(bytes, 'image/png');
  const made2: { cid: string; bytes: Uint8Array } = createRecord({ $type: 'x.y.z', embed: { image: blob } });
  const plcAsync: VerifiedPlcLog = await verifyPlcLogAsync('did:plc:x', '[]');
  const proofOf: { commit: string; rev: string } = verifyRecord(repository.proof('app.bsky.feed.post', 'x'), { did: 'did:plc:x', key, collection: 'app.bsky.feed.post', rkey: 'x' });
  console.log(written.frame, writtenOp?.prev, applied.ops, listed, stream, made2.cid, repository.get('a.b.c', 'x')?.record, plcAsync.did, proofOf.rev);
}
console.log(typed);

// The verify-only build: the verification API, the same error and link classes, no signing.
import * as verifyOnly from 'atproof/verify';
import type { AtproofVerifyInstance } from 'atproof/verify';

async function verifyTyped(bytes: Uint8Array, key: string, frame: Uint8Array) {
  const repo: VerifiedRepo = verifyOnly.verifyRepo(bytes, { did: 'did:plc:x', key });
  const streamed: VerifiedRepo = await verifyOnly.verifyRepoStream([bytes]);
  const value: unknown = verifyOnly.decodeCbor(bytes);
  const ok: boolean = verifyOnly.verifySignature(key, bytes, bytes) && (await verifyOnly.verifySignatureAsync(key, bytes, bytes));
  const commit: VerifiedCommit = verifyOnly.verifyCommit(frame, { key });
  const verifier = new verifyOnly.FirehoseVerifier({ resolveKey: async () => key });
  const event: FirehoseEvent = await verifier.process(frame);
  const instance: AtproofVerifyInstance = await verifyOnly.createInstance(bytes);
  const sameError: boolean = new verifyOnly.AtproofError('invalid-tid', 'x') instanceof AtproofError;
  const tid: string = verifyOnly.Tid.now();
  // @ts-expect-error the verify-only build cannot sign
  verifyOnly.Keypair.generate('k256');
  // @ts-expect-error nor encode
  verifyOnly.encodeCbor({});
  instance.release();
  console.log(repo, streamed, value, ok, commit, event, sameError, tid);
}
console.log(verifyTyped);
