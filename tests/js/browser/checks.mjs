// What the browser pages run: every runtime-independent suite through the package, reporting
// { runtime, passed, failures } on window.__atproofResult for tests/js/browser/run.mjs to read.
import { fetchFixtures } from '../fixtures.mjs';
import { runSuites } from '../suites/util.mjs';
import { SUITES } from '../suites/all.mjs';

export async function runChecks(atproof, label) {
  const { passed, failures } = await runSuites(atproof, fetchFixtures(new URL('/tests/fixtures/', location.origin)), SUITES);
  const result = { runtime: `${label} ${navigator.userAgent}`, passed, failures };
  window.__atproofResult = result;
  document.body.textContent = `${passed} passed, ${failures.length} failed`;
  return result;
}
