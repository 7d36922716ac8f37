// The whole API without loading the wasm module: for hosts that call init()/initSync() themselves
// (import from 'atproof/manual'). Every other entry point loads the module first.
export * from './atproof.js';
export { default as init } from './atproof.js';
export { AtproofError } from '__BINDINGS__/error.js';
export { CidLink } from '__BINDINGS__/values.js';
