// Bundled by Vite as an app would be: 'atproof' resolves through the package's exports map.
import * as atproof from 'atproof';
import { runChecks } from '../checks.mjs';

runChecks(atproof, 'Vite bundle').catch((e) => {
  window.__atproofResult = { passed: 0, failures: [String(e)] };
});
