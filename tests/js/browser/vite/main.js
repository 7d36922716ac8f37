// Bundled by Vite as an app would be: 'atproof' and 'atproof/verify' resolve through the package's
// exports map.
import * as atproof from 'atproof';
import * as atproofVerify from 'atproof/verify';
import { runChecks } from '../checks.mjs';

runChecks(atproof, atproofVerify, 'Vite bundle').catch((e) => {
  window.__atproofResult = { passed: 0, failures: [String(e)] };
});
