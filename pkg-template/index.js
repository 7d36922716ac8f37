// Any runtime, when no more specific entry point was chosen: read the module from disk when this
// file was loaded from a file: URL (Node, Deno, Bun importing pkg/index.js directly), fetch it
// otherwise.
import init, { initSync } from './atproof.js';

const wasmUrl = new URL('./atproof_bg.wasm', import.meta.url);
if (wasmUrl.protocol === 'file:') {
  const fs = 'node:fs';
  const { readFileSync } = await import(/* @vite-ignore */ fs);
  initSync({ module: readFileSync(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

export * from './core.js';
