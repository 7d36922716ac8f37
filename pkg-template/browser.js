// Browsers (plain <script type="module"> or a bundler such as Vite): fetch and compile the wasm
// module next to this file before anything else runs (top-level await).
import init from './atproof.js';

await init({ module_or_path: new URL('./atproof_bg.wasm', import.meta.url) });

export * from './core.js';
