// Cloudflare Workers (workerd): the runtime compiles the .wasm import into a WebAssembly.Module.
import wasmModule from './atproof_bg.wasm';
import { initSync } from './atproof.js';

initSync({ module: wasmModule });

export * from './core.js';
