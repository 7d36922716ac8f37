// The interop syntax vectors (tests/fixtures/interop/syntax), run the same way in Node, Deno, Bun and
// browsers. `read(file)` returns a vector file's text: from disk (readSyntaxFile) or prefetched.

/** The folder of the vector files, relative to this module. */
export const SYNTAX_DIR = new URL(/* @vite-ignore */ '../fixtures/interop/syntax/', import.meta.url);

/** Reads a vector file from disk (Node, Deno, Bun). */
export async function diskReader() {
  const { readFileSync } = await import(/* @vite-ignore */ 'node:' + 'fs');
  return (file) => readFileSync(new URL(file, SYNTAX_DIR), 'utf8');
}

/** Fetches every vector file from `dir` first (browsers), then reads from memory. */
export async function fetchReader(dir) {
  const files = SYNTAX.flatMap(([, valid, invalid]) => [...valid, ...invalid]);
  const texts = new Map(await Promise.all(files.map(async (f) => [f, await (await fetch(new URL(f, dir))).text()])));
  return (file) => texts.get(file);
}

/** Every line of a vector file except blank lines and # comments, byte for byte. */
export function vectors(read, file) {
  const lines = read(file)
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
export function runSyntaxVectors(atproof, read) {
  let passed = 0;
  const failures = [];
  for (const [name, validFiles, invalidFiles] of SYNTAX) {
    const ensure = atproof[name.replace('isValid', 'ensureValid')];
    for (const [files, expected] of [[validFiles, true], [invalidFiles, false]]) {
      for (const file of files) {
        for (const v of vectors(read, file)) {
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
