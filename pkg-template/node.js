// Node.js and Bun: load the wasm module synchronously from the package folder.
import { readFileSync } from 'node:fs';
import { initSync } from './atproof.js';

initSync({ module: readFileSync(new URL('./atproof_bg.wasm', import.meta.url)) });

export * from './core.js';
