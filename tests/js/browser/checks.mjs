// What the browser pages run: every runtime-independent suite through the package, then the
// verify-only build's suites (atproof/verify), reporting { runtime, passed, failures } on
// window.__atproofResult for tests/js/browser/run.mjs to read.
import { fetchFixtures } from '../fixtures.mjs';
import { runSuites } from '../suites/util.mjs';
import { SUITES, verifySuites } from '../suites/all.mjs';

export async function runChecks(atproof, atproofVerify, label) {
  const fixtures = () => fetchFixtures(new URL('/tests/fixtures/', location.origin));
  const full = await runSuites(atproof, fixtures(), SUITES);
  const verifyBuild = verifySuites(atproofVerify, atproof);
  const verified = await runSuites(verifyBuild.module, fixtures(), verifyBuild.suites);
  // Each build must have run checks of its own.
  const ran = [full.passed === 0 ? ['the full build ran no check'] : [], verified.passed === 0 ? ['atproof/verify ran no check'] : []].flat();
  const failures = [...full.failures, ...verified.failures.map((f) => `atproof/verify: ${f}`), ...ran];
  const passed = full.passed + verified.passed;
  const result = { runtime: `${label} ${navigator.userAgent}`, passed, failures };
  window.__atproofResult = result;
  document.body.textContent = `${passed} passed, ${failures.length} failed`;
  return result;
}
