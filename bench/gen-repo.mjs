#!/usr/bin/env node
// Deterministic, realistic, signed atproto repositories for the benchmark, built with the
// reference implementation (@atproto/repo + @atproto/crypto) and exported the way
// com.atproto.sync.getRepo serves them.
//
//   node gen-repo.mjs [--records 10000] [--curve k256|p256] [--seed 1] [--out data] [--force]
//
// Writes (name = repo-<records>-<curve>-s<seed>):
//   data/<name>.car          roots = [commit]; blocks = commit, then the MST walk with its records
//   data/<name>.records.tsv  "collection/rkey<TAB>record CID" per record, sorted, each line ending in "\n"
//   data/<name>.json         sidecar: did, signing did:key, commit/data CIDs, rev, counts, sha-256s
// and prints the sidecar path. Skips the work when all three files exist (unless --force).
//
// Determinism: same seed and versions -> byte-identical CAR. Content comes from a seeded PRNG; the
// reference code takes TIDs/revs from Date.now() and Math.random(), which are replaced by a fake
// clock and a seeded stream BEFORE @atproto/* is loaded; ECDSA signing is RFC 6979 (deterministic).
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { createPrng, digest } from './lib/prng.mjs';
import { splitCar } from './lib/car.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    curve: { type: 'string', default: 'k256' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(HERE, 'data') },
    force: { type: 'boolean', default: false },
  },
});
const N = Number(opt.records);
const CURVE = opt.curve;
const SEED = opt.seed;
if (!Number.isInteger(N) || N < 2) throw new Error('--records must be an integer >= 2');
if (CURVE !== 'k256' && CURVE !== 'p256') throw new Error('--curve must be k256 or p256');

const name = `repo-${N}-${CURVE}-s${SEED}`;
const paths = { car: join(opt.out, `${name}.car`), tsv: join(opt.out, `${name}.records.tsv`), json: join(opt.out, `${name}.json`) };
if (!opt.force && Object.values(paths).every((p) => existsSync(p))) {
  console.error(`[gen] ${name}: exists, skipped`);
  console.log(paths.json);
  process.exit(0);
}

// ---- fake clock and seeded Math.random, installed before the reference code loads ----
// Records are written over two years before EPOCH_END; the commit's rev comes from this clock.
const EPOCH_END = Date.UTC(2025, 5, 1) + (digest('epoch', SEED).readUInt32LE(0) % 86_400) * 1000;
let clock = EPOCH_END;
const wallClock = Date.now;
Date.now = () => clock;
Math.random = createPrng('math-random', SEED).float;

const { Repo, MemoryBlockstore, WriteOpAction, getFullRepo, concatBytesAsync } = await import('@atproto/repo');
const { Secp256k1Keypair, P256Keypair } = await import('@atproto/crypto');
const { decodeCid } = await import('@atproto/lex-data');
const { TID } = await import('@atproto/common-web');

const rand = createPrng('content', `${SEED}:${N}`);
const started = wallClock();
const log = (msg) => console.error(`[gen] ${name}: ${msg} (${((wallClock() - started) / 1000).toFixed(1)} s)`);

// ---- identity ----
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const plcId = (label) => Array.from(digest('plc', label).subarray(0, 24), (b) => BASE32[b & 31]).join('');
const did = `did:plc:${plcId(`owner:${SEED}`)}`;
const secret = digest(`signing-key:${CURVE}`, SEED); // 32 bytes, a valid scalar for both curves (overwhelmingly)
const keypair = CURVE === 'k256'
  ? await Secp256k1Keypair.import(secret, { exportable: false })
  : await P256Keypair.import(secret, { exportable: false });
const signingKey = keypair.did();

// ---- vocabulary ----
const people = Array.from({ length: 600 }, (_, i) => `did:plc:${plcId(`peer:${SEED}:${i}`)}`);
const handles = Array.from({ length: 600 }, (_, i) => `${['ana', 'bo', 'chen', 'dee', 'eli', 'fox', 'gus', 'hana'][i % 8]}${i}.bsky.social`);
const words = (
  'today i think we should really try the new coffee place near the station and then walk home ' +
  'this thread is about protocols relays feeds labelers moderation and why decentralised social media matters ' +
  'just shipped a small fix for the parser it was off by one again as usual ' +
  'photos from the hike this weekend lake mountains clouds sunset friends dog ' +
  'reading a paper on merkle search trees content addressing signatures and sync ' +
  'anyone else watching the game tonight what a finish incredible ' +
  'reminder drink water sleep enough be kind to people online and offline'
).split(' ');
const flourishes = ['🦋', '☕', '🎉', '😅', '🔥', 'ありがとう', 'très bien', 'größer', '👀', '—', '¿qué?', '한국어'];
const tags = ['atproto', 'bluesky', 'rust', 'wasm', 'photography', 'coffee', 'hiking', 'books'];
const langs = { en: 80, ja: 6, de: 4, pt: 4, es: 3, fr: 3 };

// ---- record builders ----
const randomCid = (codec) => decodeCid(Uint8Array.of(0x01, codec, 0x12, 0x20, ...rand.bytes(32)));
const tidAt = (() => {
  const clockId = digest('clock-id', SEED)[0] & 31;
  let last = 0;
  return (ms) => {
    let us = ms * 1000 + rand.between(0, 999);
    if (us <= last) us = last + 1;
    last = us;
    return TID.fromTime(us, clockId).toString();
  };
})();
const foreignTid = () => {
  const ms = EPOCH_END - rand.between(1, 900) * 86_400_000 + rand.between(0, 86_399_999);
  return TID.fromTime(ms * 1000 + rand.between(0, 999), rand.between(0, 31)).toString();
};
const ref = (author = rand.oneOf(people)) => ({ uri: `at://${author}/app.bsky.feed.post/${foreignTid()}`, cid: randomCid(0x71) });
const blob = (mimeType, lo, hi) => ({ $type: 'blob', ref: randomCid(0x55), mimeType, size: rand.between(lo, hi) });
const byteLength = (s) => Buffer.byteLength(s, 'utf8');

function sentence(maxWords) {
  const n = rand.between(1, maxWords);
  const out = [];
  for (let i = 0; i < n; i++) out.push(rand.maybe(0.04) ? rand.oneOf(flourishes) : rand.oneOf(words));
  return out.join(' ');
}

function post(createdAt) {
  let text = sentence(40);
  if (rand.maybe(0.2)) text = text[0].toUpperCase() + text.slice(1) + rand.oneOf(['.', '!', '?', '…']);
  const rec = { $type: 'app.bsky.feed.post', text, createdAt };
  const facets = [];
  // rich text: mentions, links and hashtags with UTF-8 byte offsets, as the app writes them
  const facetCount = rand.maybe(0.2) ? rand.between(1, 3) : 0;
  for (let i = 0; i < facetCount; i++) {
    const kind = rand.weighted({ mention: 4, link: 4, tag: 2 });
    const start = byteLength(text) + 1;
    let piece, feature;
    if (kind === 'mention') {
      const k = rand.between(0, people.length - 1);
      piece = `@${handles[k]}`;
      feature = { $type: 'app.bsky.richtext.facet#mention', did: people[k] };
    } else if (kind === 'link') {
      const uri = `https://${rand.oneOf(['example.com', 'news.example.org', 'blog.example.net'])}/${rand.oneOf(words)}/${rand.between(1, 999_999)}`;
      piece = uri.length > 30 ? uri.slice(8, 35) + '...' : uri.slice(8);
      feature = { $type: 'app.bsky.richtext.facet#link', uri };
    } else {
      const tag = rand.oneOf(tags);
      piece = `#${tag}`;
      feature = { $type: 'app.bsky.richtext.facet#tag', tag };
    }
    text += ' ' + piece;
    facets.push({ index: { byteStart: start, byteEnd: start + byteLength(piece) }, features: [feature] });
  }
  if (facets.length) {
    rec.text = text;
    rec.facets = facets;
  }
  rec.langs = [rand.weighted(langs)];
  if (rand.maybe(0.15)) {
    const root = ref();
    rec.reply = { root, parent: rand.maybe(0.4) ? root : ref() };
  }
  const images = () => ({
    $type: 'app.bsky.embed.images',
    images: Array.from({ length: rand.between(1, 4) }, () => ({
      alt: rand.maybe(0.4) ? sentence(15) : '',
      image: blob(rand.maybe(0.85) ? 'image/jpeg' : 'image/png', 30_000, 980_000),
      aspectRatio: { width: rand.between(400, 2000), height: rand.between(400, 2000) },
    })),
  });
  switch (rand.weighted({ none: 70, images: 14, record: 7, external: 6, recordWithMedia: 3 })) {
    case 'images':
      rec.embed = images();
      break;
    case 'record':
      rec.embed = { $type: 'app.bsky.embed.record', record: ref() };
      break;
    case 'external': {
      const external = {
        uri: `https://news.example.org/${new Date(Date.parse(createdAt)).toISOString().slice(0, 10)}/${rand.between(1, 9_999_999)}`,
        title: sentence(12),
        description: sentence(30),
      };
      if (rand.maybe(0.7)) external.thumb = blob('image/jpeg', 8_000, 300_000);
      rec.embed = { $type: 'app.bsky.embed.external', external };
      break;
    }
    case 'recordWithMedia':
      rec.embed = { $type: 'app.bsky.embed.recordWithMedia', record: { $type: 'app.bsky.embed.record', record: ref() }, media: images() };
      break;
  }
  return rec;
}

function record(collection, createdAt) {
  switch (collection) {
    case 'app.bsky.feed.post':
      return post(createdAt);
    case 'app.bsky.feed.like':
    case 'app.bsky.feed.repost':
      return { $type: collection, subject: ref(), createdAt };
    case 'app.bsky.graph.follow':
    case 'app.bsky.graph.block':
      return { $type: collection, subject: rand.oneOf(people), createdAt };
  }
  throw new Error(`no builder for ${collection}`);
}

// roughly the mix of a typical active account
const mix = { 'app.bsky.feed.like': 46, 'app.bsky.feed.post': 24, 'app.bsky.feed.repost': 11, 'app.bsky.graph.follow': 16, 'app.bsky.graph.block': 3 };

const firstMs = EPOCH_END - 730 * 86_400_000;
const writes = [{
  action: WriteOpAction.Create,
  collection: 'app.bsky.actor.profile',
  rkey: 'self',
  record: {
    $type: 'app.bsky.actor.profile',
    displayName: `Bench Account ${SEED} 🦋`,
    description: sentence(35),
    avatar: blob('image/jpeg', 20_000, 400_000),
    banner: blob('image/jpeg', 80_000, 900_000),
    createdAt: new Date(firstMs).toISOString(),
  },
}];
for (let i = 1; i < N; i++) {
  // evenly spread over two years, with jitter; TIDs strictly increase
  const ms = firstMs + Math.floor(((EPOCH_END - firstMs) * i) / N) + rand.between(0, 60_000);
  const collection = rand.weighted(mix);
  writes.push({ action: WriteOpAction.Create, collection, rkey: tidAt(ms), record: record(collection, new Date(ms).toISOString()) });
}
log(`${N} records made, building the repo with Repo.create`);

const storage = new MemoryBlockstore();
const repo = await Repo.create(storage, did, keypair, writes);
log(`commit ${repo.cid} rev ${repo.commit.rev}`);

const car = await concatBytesAsync(getFullRepo(storage, repo.cid));
const leaves = await repo.data.leaves();
const lines = leaves.map((l) => `${l.key}\t${l.value.toString()}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
if (lines.length !== N) throw new Error(`expected ${N} records, the MST lists ${lines.length}`);
const tsv = lines.map((l) => l + '\n').join('');
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const { blocks } = splitCar(car);
const collections = {};
for (const l of lines) {
  const c = l.slice(0, l.indexOf('/'));
  collections[c] = (collections[c] ?? 0) + 1;
}
const recordCids = new Set(lines.map((l) => l.slice(l.indexOf('\t') + 1)));
const pkgVersion = (p) => JSON.parse(readFileSync(join(HERE, 'node_modules', p, 'package.json'), 'utf8')).version;
const sidecar = {
  name,
  generator: 'bench/gen-repo.mjs',
  versions: Object.fromEntries(['@atproto/repo', '@atproto/crypto', '@atproto/lex-cbor'].map((p) => [p, pkgVersion(p)])),
  seed: SEED,
  curve: CURVE,
  did,
  signingKey,
  commitCid: repo.cid.toString(),
  dataCid: repo.commit.data.toString(),
  rev: repo.commit.rev,
  recordCount: lines.length,
  recordBlockCount: blocks.filter((b) => recordCids.has(b.cid)).length,
  blockCount: blocks.length,
  collections,
  car: `${name}.car`,
  carBytes: car.length,
  carSha256: sha256(car),
  recordsTsv: `${name}.records.tsv`,
  recordListSha256: sha256(tsv),
};

mkdirSync(opt.out, { recursive: true });
// write to temporary names first, so an interrupted run never leaves a half set that looks complete
for (const [key, body] of [['car', car], ['tsv', tsv], ['json', JSON.stringify(sidecar, null, 2) + '\n']]) {
  writeFileSync(paths[key] + '.tmp', body);
}
for (const key of ['car', 'tsv', 'json']) renameSync(paths[key] + '.tmp', paths[key]);
log(`wrote ${car.length} bytes, ${blocks.length} blocks`);
console.log(paths.json);
