// A Cloudflare Worker that imports atproof through the package's workerd entries (the full build
// and atproof/verify) and checks a handful of vectors with each; `workerd test` runs its test()
// handler (exit 1 if it throws).
import * as atproof from 'atproof';
// 'atproof/verify' by another name: workerd resolves a module's relative imports under its name.
import * as atproofVerify from 'atproof-verify';

const CHECKS = [
  ['isValidHandle', 'alice.bsky.social', true],
  ['isValidHandle', 'john.0', false],
  ['isValidDid', 'did:plc:7iza6de2dwap2sbkpav7c6c6', true],
  ['isValidDid', 'did:METHOD:val', false],
  ['isValidNsid', 'com.example.fooBar', true],
  ['isValidNsid', 'com.example.fooBar.2', false],
  ['isValidDatetime', '1985-04-12T23:20:50.123Z', true],
  ['isValidDatetime', '1985-04-12T25:20:50.123Z', false],
  ['isValidLanguage', 'en-GB-boont-r-extended-sequence-x-private', true],
  ['isValidLanguage', 'en-a-foo-a-bar', false],
  ['isValidAtUri', 'at://did:plc:asdf123/com.atproto.feed.post/record', true],
  ['isValidAtUri', 'at://did:plc:asdf123/com.atproto.feed.post/', false],
  ['isValidTid', '3jzfcijpj2z2a', true],
  ['isValidTid', 'zzzzzzzzzzzzz', false],
  ['isValidRecordKey', 'literal:self', true],
  ['isValidCid', 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR', false],
  ['isValidUri', 'dns:example.com', true],
];

async function run() {
  const failures = [];
  let passed = 0;
  const check = (name, ok) => (ok ? passed++ : failures.push(name));
  const value = atproof.decodeCbor(atproof.encodeCbor({ text: 'hi', n: 2n ** 60n, link: new atproof.CidLink('bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm') }));
  check('decodeCbor/encodeCbor round trip', value.text === 'hi' && value.n === 2n ** 60n && value.link instanceof atproof.CidLink);
  check('cidForValue', atproof.cidForValue({ a: 1 }).startsWith('bafyrei'));
  for (const curve of ['k256', 'p256']) {
    const keypair = atproof.Keypair.generate(curve); // crypto.getRandomValues in the isolate
    const data = new TextEncoder().encode('workerd');
    const sig = await keypair.sign(data);
    check(`${curve} sign/verify`, atproof.verifySignature(keypair.did(), data, sig));
    check(`${curve} verifySignatureAsync (WebCrypto for p256)`, await atproof.verifySignatureAsync(keypair.did(), data, sig));
  }
  for (const [name, input, expected] of CHECKS) check(`${name}(${input}) === ${expected}`, atproof[name](input) === expected);
  for (const [name, input, expected] of CHECKS) check(`atproof/verify ${name}(${input}) === ${expected}`, atproofVerify[name](input) === expected);
  const bytes = atproof.encodeCbor({ $type: 'app.bsky.feed.post', text: 'hi', n: 2n ** 60n });
  const decoded = atproofVerify.decodeCbor(bytes);
  check('atproof/verify decodes what the full build encodes', decoded.$type === 'app.bsky.feed.post' && decoded.n === 2n ** 60n && atproofVerify.cidForCbor(bytes) === atproof.cidForValue(decoded));
  check('atproof/verify has no signing or encoding', !('Keypair' in atproofVerify) && !('encodeCbor' in atproofVerify) && !('Repo' in atproofVerify));
  for (const curve of ['k256', 'p256']) {
    const keypair = atproof.Keypair.generate(curve);
    const data = new TextEncoder().encode('workerd verify');
    const sig = await keypair.sign(data);
    check(`atproof/verify ${curve} verifySignature`, atproofVerify.verifySignature(keypair.did(), data, sig) && !atproofVerify.verifySignature(keypair.did(), bytes, sig));
    check(`atproof/verify ${curve} verifySignatureAsync`, await atproofVerify.verifySignatureAsync(keypair.did(), data, sig));
  }
  try {
    atproofVerify.decodeCbor(bytes.subarray(0, 5));
    failures.push('atproof/verify decodeCbor of a truncated value did not throw');
  } catch (e) {
    check(`atproof/verify AtproofError cbor-truncated: ${e}`, e instanceof atproof.AtproofError && e.code === 'cbor-truncated');
  }
  const a = atproof.Tid.now();
  const b = atproof.Tid.now(); // the clock id came from crypto.getRandomValues in this isolate
  check(`Tid.now increasing: ${a} ${b}`, b > a);
  try {
    atproof.ensureValidHandle(7);
    failures.push('ensureValidHandle(7) did not throw');
  } catch (e) {
    check(`AtproofError invalid-argument: ${e}`, e instanceof atproof.AtproofError && e.code === 'invalid-argument');
  }
  return { passed, failures };
}

export default {
  async fetch() {
    return Response.json(await run());
  },
  async test() {
    const { passed, failures } = await run();
    console.log(`workerd: ${passed} passed, ${failures.length} failed`);
    if (failures.length > 0) throw new Error(failures.join('\n'));
  },
};
