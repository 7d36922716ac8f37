// The size of both builds' wasm: raw, gzip -9 and brotli (quality 11), as a web server sends it.
// Usage: node scripts/wasm-size.mjs [pkg dir] [--check]
// With --check it fails when a build is larger than its ceiling below. The ceilings are today's
// sizes with a little room, so that nothing grows unnoticed; the goals (#16: 200 KB gzip for the
// full build, 130 KB for the verify-only one) are lower and not reached yet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const CEILINGS = {
  'atproof_bg.wasm': { build: 'full', gzip: 236_700 },
  'atproof_verify_bg.wasm': { build: 'verify-only, atproof/verify', gzip: 155_700 },
};

const args = process.argv.slice(2);
const check = args.includes('--check');
const dir = args.find((a) => !a.startsWith('--')) ?? 'pkg';
let over = 0;
for (const [file, { build, gzip: ceiling }] of Object.entries(CEILINGS)) {
  const bytes = readFileSync(join(dir, file));
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  const fmt = (n) => n.toLocaleString('en-US');
  console.log(`${file} (${build}): ${fmt(bytes.length)} bytes, ${fmt(gzip)} gzip -9, ${fmt(brotli)} brotli (ceiling ${fmt(ceiling)} gzip)`);
  if (gzip > ceiling) {
    over++;
    console.error(`  ${file} grew past its ceiling by ${fmt(gzip - ceiling)} bytes gzip`);
  }
}
if (check && over > 0) process.exit(1);
