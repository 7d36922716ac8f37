// The interop syntax vectors (tests/fixtures/interop/syntax), read the same way in Node, Deno and Bun.
import { readFileSync } from 'node:fs';

const dir = new URL('../fixtures/interop/syntax/', import.meta.url);

/** Every line of a vector file except blank lines and # comments, byte for byte. */
export function vectors(file) {
  const lines = readFileSync(new URL(file, dir), 'utf8')
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new Error(`${file} has no vectors`);
  return lines;
}

/** [export name, valid files, invalid files] for each syntax check. */
export const SYNTAX = [
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

/** Total number of vectors in all 24 files. */
export const EXPECTED_VECTORS = 536;

/**
 * Runs every vector through `atproof` (the imported package): isValidX, and ensureValidX throwing an
 * AtproofError with a code for the invalid ones. Returns { passed, failures }.
 */
export function runSyntaxVectors(atproof) {
  let passed = 0;
  const failures = [];
  for (const [name, validFiles, invalidFiles] of SYNTAX) {
    const ensure = atproof[name.replace('isValid', 'ensureValid')];
    for (const [files, expected] of [[validFiles, true], [invalidFiles, false]]) {
      for (const file of files) {
        for (const v of vectors(file)) {
          const got = atproof[name](v);
          let thrown = null;
          try {
            ensure(v);
          } catch (e) {
            thrown = e;
          }
          const ensureOk = expected
            ? thrown === null
            : thrown instanceof atproof.AtproofError && typeof thrown.code === 'string' && thrown.code.startsWith('invalid-');
          if (got === expected && ensureOk) passed++;
          else failures.push(`${name}(${JSON.stringify(v).slice(0, 80)}) = ${got}, ensure threw ${thrown}; expected ${expected}`);
        }
      }
    }
  }
  return { passed, failures };
}
