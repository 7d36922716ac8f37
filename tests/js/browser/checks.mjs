// What the browser pages run: the syntax vectors and API checks through the package, reporting
// { runtime, passed, failures } on window.__atproofResult for tests/js/browser/run.mjs to read.
import { EXPECTED_VECTORS, fetchReader, runSyntaxVectors } from '../vectors.mjs';

export async function runChecks(atproof, label) {
  const { passed: vectorsPassed, failures } = runSyntaxVectors(atproof, await fetchReader(new URL('/tests/fixtures/interop/syntax/', location.origin)));
  let passed = vectorsPassed;
  const check = (name, ok) => (ok ? passed++ : failures.push(name));
  check(`all ${EXPECTED_VECTORS} vectors ran`, vectorsPassed + failures.length === EXPECTED_VECTORS);
  let last = atproof.Tid.now();
  let increasing = true;
  for (let i = 0; i < 100_000; i++) {
    const next = atproof.Tid.now();
    increasing &&= next > last;
    last = next;
  }
  check('Tid.now increasing (clock id from crypto.getRandomValues)', increasing);
  check('AtUri', atproof.AtUri.parse('at://Bob.Test/app.bsky.feed.post/3k').toString() === 'at://bob.test/app.bsky.feed.post/3k');
  try {
    atproof.ensureValidDid('did:' + 'x'.repeat(10_000_000));
    failures.push('a 10 MB DID did not throw');
  } catch (e) {
    check('AtproofError for a 10 MB string', e instanceof atproof.AtproofError && e.code === 'invalid-did');
  }
  check('works after errors', atproof.isValidDid('did:plc:7iza6de2dwap2sbkpav7c6c6'));
  const result = { runtime: `${label} ${navigator.userAgent}`, passed, failures };
  window.__atproofResult = result;
  document.body.textContent = `${passed} passed, ${failures.length} failed`;
  return result;
}
