// The interop syntax vectors (tests/fixtures/interop/syntax): every line of every file through
// isValidX and ensureValidX, plus Tid and AtUri checks.

const FILES = [
  ['isValidTid', ['tid_syntax_valid.txt'], ['tid_syntax_invalid.txt']],
  ['isValidRecordKey', ['recordkey_syntax_valid.txt'], ['recordkey_syntax_invalid.txt']],
  ['isValidNsid', ['nsid_syntax_valid.txt'], ['nsid_syntax_invalid.txt']],
  ['isValidDid', ['did_syntax_valid.txt'], ['did_syntax_invalid.txt']],
  ['isValidHandle', ['handle_syntax_valid.txt'], ['handle_syntax_invalid.txt']],
  ['isValidAtIdentifier', ['atidentifier_syntax_valid.txt'], ['atidentifier_syntax_invalid.txt']],
  ['isValidAtUri', ['aturi_syntax_valid.txt'], ['aturi_syntax_invalid.txt']],
  ['isValidDatetime', ['datetime_syntax_valid.txt'], ['datetime_syntax_invalid.txt', 'datetime_parse_invalid.txt']],
  ['isValidLanguage', ['language_syntax_valid.txt'], ['language_syntax_invalid.txt', 'language_parse_invalid.txt']],
  ['isValidCid', ['cid_syntax_valid.txt'], ['cid_syntax_invalid.txt']],
  ['isValidUri', ['uri_syntax_valid.txt'], ['uri_syntax_invalid.txt']],
];

/** Total number of vectors in the 24 files (asserted: a suite that runs fewer fails). */
export const EXPECTED_VECTORS = 536;

/** Every line of a vector file except blank lines and # comments, byte for byte. */
function vectors(text) {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l !== '' && !l.startsWith('#'));
}

export default async function syntax(atproof, fixtures, check) {
  let ran = 0;
  for (const [name, validFiles, invalidFiles] of FILES) {
    const ensure = atproof[name.replace('isValid', 'ensureValid')];
    for (const [files, expected] of [[validFiles, true], [invalidFiles, false]]) {
      for (const file of files) {
        for (const v of vectors(await fixtures.text(`interop/syntax/${file}`))) {
          ran++;
          let thrown = null;
          try {
            ensure(v);
          } catch (e) {
            thrown = e;
          }
          const ensureOk = expected ? thrown === null : thrown instanceof atproof.AtproofError && thrown.code.startsWith('invalid-');
          check(`${name}(${JSON.stringify(v).slice(0, 60)}) is ${expected}`, atproof[name](v) === expected && ensureOk, String(thrown));
        }
      }
    }
  }
  check(`all ${EXPECTED_VECTORS} vectors ran`, ran === EXPECTED_VECTORS, `ran ${ran}`);

  let last = atproof.Tid.now();
  let increasing = true;
  for (let i = 0; i < 100_000; i++) {
    const next = atproof.Tid.now();
    increasing &&= next > last;
    last = next;
  }
  check('Tid.now() strictly increasing over 100,000 calls', increasing);
  check('Tid round trip', atproof.Tid.parse(atproof.Tid.fromTime(1_700_000_000_000_000, 7)).clockId === 7);
  check('AtUri normalization', atproof.AtUri.parse('at://Bob.Test/app.bsky.feed.post/3k').toString() === 'at://bob.test/app.bsky.feed.post/3k');
  for (const bad of [12, null, {}, 'x'.repeat(10_000_000), '\ud800.test']) {
    check(`isValidDid(${typeof bad}) is false`, atproof.isValidDid(bad) === false);
  }
  check('works after bad input', atproof.isValidDid('did:plc:7iza6de2dwap2sbkpav7c6c6'));
}
