// Runs a benchmark built for wasm32-wasip1 under Node's WASI, to measure the numbers a JavaScript
// runtime gets (V8 running the wasm, SHA-256 in software):
//
//   rustup target add wasm32-wasip1
//   CARGO_TARGET_DIR=target/wasi cargo bench --bench cbor_decode --target wasm32-wasip1 --no-run
//   node bench/run-wasi.mjs target/wasi/wasm32-wasip1/release/deps/cbor_decode-*.wasm
//
// The repository directory is preopened so the benchmark can read its fixtures.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv } from 'node:process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const wasi = new WASI({ version: 'preview1', args: ['bench'], env: {}, preopens: { [root]: root } });
const module = await WebAssembly.compile(await readFile(argv[2]));
wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
