// The whole API without loading the wasm module: for hosts that call init()/initSync() themselves
// (import from 'atproof/manual'). Every other entry point loads the module first.
import * as glue from './atproof.js';
import { makeVerifyApi, makeCreateInstance, makeInit } from './api.js';
import { makeResolve } from './resolve.js';
import { makeRepo } from './repo.js';
import { AtproofError } from '__BINDINGS__/error.js';

export * from './atproof.js';
export const { init, initSync } = makeInit(glue);
export { AtproofError, CidLink, RepoRecords } from './api.js';

/** The JS-side API of the full build: verification, identity resolution and writing. */
function assemble(glue) {
  return {
    ...makeVerifyApi(glue),
    resolveIdentity: makeResolve({ ...glue, AtproofError }),
    Repo: makeRepo({ ...glue, AtproofError }),
  };
}

export const { readCarStream, verifyRepoStream, FirehoseVerifier, subscribeRepos, Tid, resolveIdentity, Repo } = assemble(glue);
export const createInstance = makeCreateInstance('atproof.js', assemble);
