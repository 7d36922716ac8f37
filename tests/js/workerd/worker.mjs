// A Cloudflare Worker that imports atproof through the package's workerd entry and checks a
// handful of vectors; `workerd test` runs its test() handler (exit 1 if it throws).
import * as atproof from 'atproof';

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

function run() {
  const failures = [];
  for (const [name, input, expected] of CHECKS) {
    if (atproof[name](input) !== expected) failures.push(`${name}(${input}) !== ${expected}`);
  }
  const a = atproof.Tid.now();
  const b = atproof.Tid.now(); // the clock id came from crypto.getRandomValues in this isolate
  if (!(b > a)) failures.push(`Tid.now not increasing: ${a} ${b}`);
  try {
    atproof.ensureValidHandle(7);
    failures.push('ensureValidHandle(7) did not throw');
  } catch (e) {
    if (!(e instanceof atproof.AtproofError) || e.code !== 'invalid-argument') failures.push(`wrong error ${e}`);
  }
  return { passed: CHECKS.length + 2 - failures.length, failures };
}

export default {
  async fetch() {
    return Response.json(run());
  },
  async test() {
    const { passed, failures } = run();
    console.log(`workerd: ${passed} passed, ${failures.length} failed`);
    if (failures.length > 0) throw new Error(failures.join('\n'));
  },
};
