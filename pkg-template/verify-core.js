// atproof/verify without loading the wasm module (import from 'atproof/verify/manual'): the
// verify-only build's glue and the JS-side verification API around it. Every other verify entry
// point (made from the full build's by scripts/build-pkg.sh) loads the module first.
import * as glue from './atproof_verify.js';
import { makeVerifyApi, makeCreateInstance, makeInit } from './api.js';

export * from './atproof_verify.js';
export const { init, initSync } = makeInit(glue);
export { AtproofError, CidLink, RepoRecords } from './api.js';

export const { readCarStream, verifyRepoStream, FirehoseVerifier, subscribeRepos, Tid } = makeVerifyApi(glue);
export const createInstance = makeCreateInstance('atproof_verify.js', makeVerifyApi);
