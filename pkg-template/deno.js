// Deno: load the wasm module synchronously from the package folder (needs --allow-read for it).
import { initSync } from './atproof.js';

initSync({ module: Deno.readFileSync(new URL('./atproof_bg.wasm', import.meta.url)) });

export * from './core.js';
