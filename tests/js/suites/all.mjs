// Every runtime-independent suite, by name; and those the verify-only build runs.
import syntax from './syntax.mjs';
import dataModel from './data-model.mjs';
import crypto from './crypto.mjs';
import repo from './repo.mjs';
import state from './state.mjs';
import firehose from './firehose.mjs';
import identity from './identity.mjs';
import writing from './writing.mjs';
import { FULL_ONLY, verifyBuildSuite } from './verify-build.mjs';

export const SUITES = { syntax, 'data-model': dataModel, crypto, repo, state, firehose, identity, writing };

/**
 * The suites for atproof/verify (`verify`), given the full build (`full`): every suite whose
 * functions the verify build has (not identity's or writing's), and the comparison of the two
 * builds. `module` is what they are given: the verify build's functions, and only where the verify
 * build has none, the full build's (encodeCbor, fromJson, Keypair… with which some checks make or
 * sign their inputs; the full build's own runs check those).
 */
export function verifySuites(verify, full) {
  const borrowed = Object.fromEntries(FULL_ONLY.filter((n) => n in full).map((n) => [n, full[n]]));
  return {
    module: { ...borrowed, ...verify },
    suites: { syntax, 'data-model': dataModel, crypto, repo, state, firehose, 'verify-build': verifyBuildSuite(verify, full) },
  };
}
