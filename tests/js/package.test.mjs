// node:test: the built package imported as users import it ('atproof'). The suites in suites/ run
// here and, unchanged, in Deno, Bun and headless Chromium; the tests below are Node's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as atproof from 'atproof';
import * as atproofVerify from 'atproof/verify';
import { diskFixtures } from './fixtures.mjs';
import { runSuites } from './suites/util.mjs';
import { SUITES, verifySuites } from './suites/all.mjs';

const { AtproofError, Tid, AtUri } = atproof;

for (const [name, suite] of Object.entries(SUITES)) {
  test(`suite: ${name}`, async () => {
    const { passed, failures } = await runSuites(atproof, diskFixtures(), { [name]: suite });
    assert.deepEqual(failures, []);
    assert.ok(passed > 0, 'no check ran');
  });
}

const verifyBuild = verifySuites(atproofVerify, atproof);
for (const [name, suite] of Object.entries(verifyBuild.suites)) {
  test(`atproof/verify suite: ${name}`, async () => {
    const { passed, failures } = await runSuites(verifyBuild.module, diskFixtures(), { [name]: suite });
    assert.deepEqual(failures, []);
    assert.ok(passed > 0, 'no check ran');
  });
}

test('errors are AtproofError instances with a code and a message', () => {
  assert.throws(() => atproof.ensureValidHandle('john.0'), (e) => {
    assert.ok(e instanceof AtproofError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'AtproofError');
    assert.equal(e.code, 'invalid-handle');
    assert.match(e.message, /john\.0.*last label/);
    return true;
  });
});

test('bad input from JS gives false or an AtproofError, and the next call works', () => {
  const bad = [42, null, undefined, {}, [], Symbol('s'), 10n, () => 'x', new String('alice.test')];
  for (const value of bad) {
    assert.equal(atproof.isValidHandle(value), false);
    assert.throws(() => atproof.ensureValidHandle(value), (e) => e instanceof AtproofError && e.code === 'invalid-argument');
  }
  const huge = 'a.'.repeat(5_000_000) + 'com';
  for (const name of ['isValidHandle', 'isValidUri', 'isValidAtUri', 'isValidDid', 'isValidTid', 'isValidDatetime']) {
    assert.equal(atproof[name](huge), false, name);
  }
  assert.throws(() => atproof.ensureValidUri(huge), (e) => e.code === 'invalid-uri' && /longer than/.test(e.message));
  const loneSurrogates = ['\ud800.test', 'alice.\udfff', 'at://did:plc:a\ud83d'];
  for (const s of loneSurrogates) {
    assert.equal(atproof.isValidHandle(s), false);
    assert.throws(() => atproof.ensureValidAtUri(s), (e) => e.code === 'invalid-argument');
  }
  assert.equal(atproof.isValidHandle('alice.test'), true);
});

test('Tid.now() is strictly increasing over 1,000,000 calls', () => {
  let last = Tid.now();
  assert.equal(last.length, 13);
  for (let i = 0; i < 1_000_000; i++) {
    const next = Tid.now();
    if (!(next > last)) assert.fail(`${next} is not after ${last}`);
    last = next;
  }
  const { date } = Tid.parse(last);
  assert.ok(Math.abs(date.getTime() - Date.now()) < 60_000, `TID time ${date.toISOString()} is far from now`);
});

test('Tid.now() is strictly increasing across instances and builds in one process', async () => {
  const fresh = await atproof.createInstance(readFileSync(new URL('./node_modules/atproof/atproof_bg.wasm', import.meta.url)));
  try {
    const sources = [atproof.Tid, fresh.Tid, atproofVerify.Tid];
    let last = '';
    for (let i = 0; i < 30_000; i++) {
      const next = sources[i % 3].now();
      if (!(next > last)) assert.fail(`call ${i}: ${next} is not after ${last}`);
      last = next;
    }
  } finally {
    fresh.release();
  }
});

test('Tid.fromTime and Tid.parse round-trip', () => {
  for (const [micros, clockId] of [[0, 0], [1_700_000_000_123_456, 42], [2 ** 53 - 1, 1023]]) {
    const tid = Tid.fromTime(micros, clockId);
    assert.ok(atproof.isValidTid(tid));
    const parts = Tid.parse(tid);
    assert.equal(parts.micros, micros);
    assert.equal(parts.clockId, clockId);
    assert.equal(parts.date.getTime(), Math.floor(micros / 1000));
  }
  assert.equal(Tid.fromTime(0n, 0), '2222222222222');
  assert.equal(Tid.fromTime(2n ** 53n - 1n, 1023), 'bzzzzzzzzzzzz');
  for (const [micros, clockId] of [[-1, 0], [2 ** 53, 0], [1.5, 0], [0, 1024], ['1', 0], [0, NaN]]) {
    assert.throws(() => Tid.fromTime(micros, clockId), (e) => e.code === 'invalid-argument', `${micros}, ${clockId}`);
  }
  assert.throws(() => Tid.parse('3jzf-cij-pj2z-2a'), (e) => e.code === 'invalid-tid');
});

test('AtUri.parse normalizes and prints', () => {
  const uri = AtUri.parse('at://Alice.Example.COM/COM.Example.fooBar/3jzfcijpj2z2A');
  assert.equal(uri.authority, 'alice.example.com');
  assert.equal(uri.collection, 'com.example.fooBar');
  assert.equal(uri.rkey, '3jzfcijpj2z2A');
  assert.equal(uri.toString(), 'at://alice.example.com/com.example.fooBar/3jzfcijpj2z2A');
  assert.equal(`${uri}`, uri.toString());
  assert.equal(JSON.stringify({ uri }), '{"uri":"at://alice.example.com/com.example.fooBar/3jzfcijpj2z2A"}');
  const bare = AtUri.parse('at://did:plc:asdf123');
  assert.equal(bare.collection, undefined);
  assert.equal(bare.rkey, undefined);
  assert.throws(() => AtUri.parse('at://did:plc:asdf123/com.atproto.feed.post/'), (e) => e.code === 'invalid-at-uri');
});

test('manual entry point exports init and initSync, and they are idempotent once loaded', async () => {
  const manual = await import('atproof/manual');
  assert.equal(typeof manual.init, 'function');
  assert.equal(typeof manual.initSync, 'function');
  await manual.init();
  assert.equal(manual.isValidTid('3jzfcijpj2z2a'), true);
});

test('atproof/manual loads with initSync(bytes) and await init(bytes), as the API contract writes them, without a warning', () => {
  const wasm = new URL('./node_modules/atproof/atproof_bg.wasm', import.meta.url);
  for (const call of ['initSync(bytes)', 'initSync({ module: bytes })', 'await init(bytes)', 'await init(new WebAssembly.Module(bytes))', 'await init({ module_or_path: bytes })']) {
    const script = `
      import { readFileSync } from 'node:fs';
      import { init, initSync, isValidDid } from 'atproof/manual';
      const bytes = readFileSync(new URL(${JSON.stringify(wasm.href)}));
      ${call};
      if (!isValidDid('did:plc:7iza6de2dwap2sbkpav7c6c6')) throw new Error('not loaded');
      console.log('loaded');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('.', import.meta.url), encoding: 'utf8' });
    assert.equal(result.status, 0, `${call}: ${result.stderr}`);
    assert.equal(result.stdout.trim(), 'loaded', call);
    assert.equal(result.stderr, '', call);
  }
});

test('misuse of the JS-side API throws AtproofError invalid-argument, as everything else', async () => {
  const refused = (e) => e instanceof AtproofError && e.code === 'invalid-argument';
  assert.throws(() => new atproof.FirehoseVerifier({}), refused);
  assert.throws(() => new atproof.Repo(), refused);
  await assert.rejects(async () => { for await (const _ of atproof.readCarStream(5)) break; }, refused);
  await assert.rejects(() => atproof.verifyRepoStream(5), refused);
  const resolveKey = () => undefined;
  for (const [url, options] of [['ws://127.0.0.1:1', { resolveKey, WebSocket: null }], ['not a url', { resolveKey, WebSocket: class {} }], ['ws://127.0.0.1:1', { resolveKey, WebSocket: class {}, verifier: {} }]]) {
    await assert.rejects(async () => { for await (const _ of atproof.subscribeRepos(url, options)) break; }, refused, url);
  }
  assert.throws(() => new atproof.CidLink(5), refused);
  // null where options go: refused like any wrong argument, not a destructuring TypeError.
  assert.throws(() => new atproof.FirehoseVerifier(null), refused);
  await assert.rejects(() => atproof.Repo.create(null), refused);
  await assert.rejects(() => atproof.Repo.load(new Uint8Array(1), null), refused);
  await assert.rejects(async () => { for await (const _ of atproof.subscribeRepos('ws://127.0.0.1:1', null)) break; }, refused);
  const keypair = atproof.Keypair.generate('k256');
  const repo = await atproof.Repo.create({ did: 'did:plc:ffffffffffffffffffffffff', keypair });
  assert.throws(() => repo.exportCarStream(null), refused);
  await assert.rejects(async () => repo.applyCommit(new Uint8Array(1), null), refused);
  const verifier = new atproof.FirehoseVerifier({ resolveKey });
  assert.throws(() => verifier.follow('did:plc:ffffffffffffffffffffffff', null), refused);
  verifier.free();
  repo.free();
  await assert.rejects(() => atproof.createInstance(5), refused);
  await assert.rejects(() => atproof.createInstance(new Uint8Array([0, 97, 115, 109, 9, 9])), refused);
  assert.equal(atproof.isValidDid('did:plc:7iza6de2dwap2sbkpav7c6c6'), true);
});

test('every runtime export has a TypeScript declaration', async () => {
  const pkg = new URL('./node_modules/atproof/', import.meta.url);
  const declarations = ['atproof.d.ts', 'index.d.ts'].map((f) => readFileSync(new URL(f, pkg), 'utf8')).join('\n');
  const declared = new Set(
    [...declarations.matchAll(/export (?:declare )?(?:function|class|const) (\w+)|export \{ default as (\w+) \}/g)].map((m) => m[1] ?? m[2]),
  );
  const missing = Object.keys(atproof).filter((name) => !declared.has(name));
  assert.deepEqual(missing, []);
  assert.ok(Object.keys(atproof).length > 20);
});

test('the declarations name every parameter in camelCase', () => {
  const pkg = new URL('./node_modules/atproof/', import.meta.url);
  const odd = [];
  let checked = 0;
  for (const file of ['atproof.d.ts', 'atproof_verify.d.ts', 'index.d.ts', 'verify.d.ts']) {
    const text = readFileSync(new URL(file, pkg), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    // Each parameter list: the names at its top level, before their `:` or `?:`. (A glue's
    // default export, wasm-bindgen's init, is not the package's: index.d.ts declares its own.)
    for (const match of text.matchAll(/(?<!default )(?:function\s+\w+|^\s+(?:static\s+)?\w+|constructor)\s*(?:<[^>]*>)?\(/gm)) {
      let depth = 0;
      let name = '';
      let expectName = true;
      for (let i = match.index + match[0].length; i < text.length; i++) {
        const c = text[i];
        if ('({[<'.includes(c)) depth++;
        else if (')}]>'.includes(c)) {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0 && c === ',') expectName = true;
        else if (depth === 0 && expectName && /[\w$.]/.test(c)) name += c;
        else if (depth === 0 && expectName && (c === ':' || c === '?') && name) {
          if (!/^(\.\.\.)?[a-z][a-zA-Z0-9]*$/.test(name)) odd.push(`${file}: ${name}`);
          checked++;
          name = '';
          expectName = false;
        }
      }
    }
  }
  assert.deepEqual(odd, []);
  assert.ok(checked > 200, `${checked} parameters`);
});

test('each wasm module exports only the functions its glue calls', () => {
  // A dependency's #[no_mangle] function would be a cdylib export that JS can call past the API
  // (secp256k1-sys's were, until scripts/build-pkg.sh removed them).
  const pkg = new URL('./node_modules/atproof/', import.meta.url);
  for (const glue of ['atproof', 'atproof_verify']) {
    const module = new WebAssembly.Module(readFileSync(new URL(`${glue}_bg.wasm`, pkg)));
    const functions = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    const js = readFileSync(new URL(`${glue}.js`, pkg), 'utf8');
    // The glue calls exports as `wasm.name(`, the start function as `wasm.__wbindgen_start()`.
    const uncalled = functions.filter((name) => !js.includes(`wasm.${name}`));
    assert.deepEqual(uncalled, [], glue);
    assert.ok(functions.length > 50, `${glue}: ${functions.length} exported functions`);
  }
});

/** The ```js blocks of README.md, with the heading of the `## ` section each is in. */
function readmeExamples() {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const examples = [];
  let section = '';
  for (const [, heading, code] of readme.matchAll(/^## (.*)$|^```js\n([\s\S]*?)^```$/gm)) {
    if (heading !== undefined) section = heading;
    else examples.push({ section, code });
  }
  return examples;
}

test('README.md uses every export in an example', () => {
  const code = readmeExamples().map((e) => e.code).join('\n');
  const unused = Object.keys(atproof).filter((name) => !new RegExp(`\\b${name}\\b`).test(code));
  assert.deepEqual(unused, []);
});

test('README.md: every example of the API reference runs (Node, from the repository root)', () => {
  const examples = readmeExamples().filter((e) => e.section === 'API reference');
  assert.ok(examples.length >= 9, `${examples.length} examples`);
  // Inside tests/js, so that 'atproof' resolves to the package as installed there.
  const folder = mkdtempSync(fileURLToPath(new URL('./readme-example-', import.meta.url)));
  try {
    for (const [i, { code }] of examples.entries()) {
      const file = join(folder, `example-${i}.mjs`);
      writeFileSync(file, code);
      const run = spawnSync(process.execPath, [file], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' });
      assert.equal(run.status, 0, `example ${i} (${code.split('\n').find((l) => l.startsWith('import {'))}): ${run.stderr}`);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('JS code that re-enters atproof or throws during a call leaves the module working', () => {
  const record = atproof.encodeCbor({ $type: 'app.test', text: 'hello', zzz: 1 });
  class Hostile extends Uint8Array {
    get length() {
      atproof.decodeCbor(record); // re-enters while the outer call is reading its argument
      throw new Error('from a length getter');
    }
  }
  assert.throws(() => atproof.decodeCbor(new Hostile(4)), /from a length getter/);
  assert.throws(() => atproof.verifyRepo(new Hostile(4)), /from a length getter/);
  const other = atproof.encodeCbor({ $type: 'app.test', text: 'other' });
  Object.defineProperty(Object.prototype, 'zzz', {
    set() {
      atproof.decodeCbor(other); // re-enters while the outer call builds its result
      throw new Error('from a prototype setter');
    },
    configurable: true,
  });
  try {
    assert.throws(() => atproof.decodeCbor(record), /from a prototype setter/);
    assert.throws(() => atproof.decodeCborMany([record, record]), /from a prototype setter/);
  } finally {
    delete Object.prototype.zzz;
  }
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(atproof.decodeCbor(record), { $type: 'app.test', text: 'hello', zzz: 1 });
    assert.deepEqual(atproof.decodeCborMany([record]), [{ $type: 'app.test', text: 'hello', zzz: 1 }]);
  }
  assert.equal(atproof.isValidDid('did:plc:abc'), true);
});

test('a build interrupted by JS code whose decode grows the wasm memory finishes with its own values', async () => {
  const { memory } = await atproof.init();
  const block = atproof.encodeCbor({ b: new Uint8Array(4 << 20) });
  const blocks = Array.from({ length: Math.ceil(memory.buffer.byteLength / block.length) + 2 }, () => block);
  const values = { a: 'a string long enough to be cut', m: 'x', zzz: 1, text: 'another string of some length', zzzz: 'the last string, after the setter', $type: 'app.test' };
  const record = atproof.encodeCbor(values);
  const before = memory.buffer.byteLength;
  Object.defineProperty(Object.prototype, 'zzz', {
    set() {
      atproof.decodeCborMany(blocks); // grows the memory while the outer build is in the middle
    },
    configurable: true,
  });
  let decoded, many;
  try {
    decoded = atproof.decodeCbor(record);
    many = atproof.decodeCborMany([record, record]);
  } finally {
    delete Object.prototype.zzz;
  }
  assert.ok(memory.buffer.byteLength > before, 'the memory did not grow');
  const { zzz, ...rest } = values; // the setter took zzz
  assert.deepEqual(decoded, rest);
  assert.deepEqual(many, [rest, rest]);
});

test('the lone-surrogate check has a fallback for runtimes without String.prototype.isWellFormed', async () => {
  const snippets = new URL('./node_modules/atproof/snippets/', import.meta.url);
  const [folder] = readdirSync(snippets);
  const { isWellFormed } = await import(new URL(`${folder}/src/bindings/values.js`, snippets));
  const cases = ['abc', '\ud83d\ude00', 'a\ud800', '\udc00b', '\ud800\ud800\udc00', '\udc00\ud800', 'x\ud83d\ude00\ud83d', ''];
  const descriptor = Object.getOwnPropertyDescriptor(String.prototype, 'isWellFormed');
  const native = descriptor.value;
  const expected = cases.map((s) => native.call(s));
  delete String.prototype.isWellFormed;
  try {
    assert.deepEqual(cases.map(isWellFormed), expected);
    assert.equal(atproof.isValidHandle('\ud800.test'), false);
    assert.throws(() => atproof.encodeCbor({ a: 'x\udc00' }), (e) => e.code === 'invalid-value');
    assert.equal(atproof.isValidHandle('alice.test'), true);
  } finally {
    Object.defineProperty(String.prototype, 'isWellFormed', descriptor);
  }
});

test('the AtproofErrorCode type lists exactly the codes of src/error.rs', async () => {
  const codes = [...readFileSync(new URL('../../src/error.rs', import.meta.url), 'utf8').matchAll(/=> "([a-z-]+)",/g)].map((m) => m[1]);
  const declarations = readFileSync(new URL('./node_modules/atproof/index.d.ts', import.meta.url), 'utf8');
  const union = declarations.match(/export type AtproofErrorCode =([^;]*);/)?.[1] ?? '';
  const declared = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
  assert.ok(codes.length > 90, `${codes.length} codes read from src/error.rs`);
  assert.deepEqual(declared, codes);
});

test('without WebCrypto, verifySignatureAsync checks P-256 in wasm; verifyPlcLogAsync gives verifyPlcLog\'s results, in wasm with or without it', async () => {
  const fixtures = diskFixtures();
  const wasmBytes = readFileSync(new URL('./node_modules/atproof/atproof_bg.wasm', import.meta.url));
  const subtle = globalThis.crypto.subtle;
  const pair = atproof.Keypair.generate('p256');
  const data = new TextEncoder().encode('signed without WebCrypto');
  const signature = await pair.sign(data);
  // An instance asks for crypto.subtle once, at its first async verification, and keeps the answer.
  let bare;
  Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined, configurable: true });
  try {
    bare = await atproof.createInstance(wasmBytes);
    assert.equal(await bare.verifySignatureAsync(pair.did(), data, signature), true);
  } finally {
    delete globalThis.crypto.subtle;
  }
  assert.equal(globalThis.crypto.subtle, subtle);
  let webCryptoChecks = 0;
  const verify = subtle.verify;
  subtle.verify = function (...args) {
    webCryptoChecks++;
    return verify.apply(this, args);
  };
  try {
    const outcome = async (call) => {
      try {
        return JSON.stringify(await call());
      } catch (e) {
        return e.code ?? String(e);
      }
    };
    const expected = await fixtures.json('plc/expected.json');
    const names = [...expected.valid, ...expected.invalid];
    for (const name of names) {
      const text = await fixtures.text(`plc/${name}`);
      const did = JSON.parse(text)[0].did;
      assert.equal(await outcome(() => bare.verifyPlcLogAsync(did, text)), await outcome(() => atproof.verifyPlcLog(did, text)), name);
    }
    const tampered = Uint8Array.from(signature, (byte, i) => (i === 10 ? byte ^ 1 : byte));
    assert.equal(await bare.verifySignatureAsync(pair.did(), data, tampered), false);
    assert.equal(webCryptoChecks, 0, 'the instance without WebCrypto used it');
    // With WebCrypto: verifySignatureAsync uses it, verifyPlcLogAsync does not (the P-256
    // rotation key's log, the same result as verifyPlcLog's).
    assert.equal(await atproof.verifySignatureAsync(pair.did(), data, signature), true);
    assert.ok(webCryptoChecks > 0, 'verifySignatureAsync made no WebCrypto check');
    const before = webCryptoChecks;
    const p256Log = await fixtures.text('plc/log_empty_rotation_keys.json');
    const p256Did = JSON.parse(p256Log)[0].did;
    assert.equal(await outcome(() => atproof.verifyPlcLogAsync(p256Did, p256Log)), await outcome(() => atproof.verifyPlcLog(p256Did, p256Log)));
    assert.equal(webCryptoChecks, before, 'verifyPlcLogAsync used WebCrypto');
  } finally {
    delete subtle.verify;
  }
});
