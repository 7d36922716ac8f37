// What `npm pack` would publish from pkg/ (its --dry-run --json on stdin): every file expected and
// nothing else — each build's wasm and glue, the entry points and modules of pkg-template/, the
// declarations, the bindings' snippets, README, licences and package.json — and the sizes printed.
//   (cd pkg && npm pack --dry-run --json) | node scripts/check-pack.mjs   (scripts/test.sh runs it)
import { readdirSync, readFileSync } from 'node:fs';

const [pack] = JSON.parse(readFileSync(0, 'utf8'));
const files = pack.files.map((f) => f.path).sort();
const template = readdirSync(new URL('../pkg-template/', import.meta.url)).filter((f) => f !== 'package.json');
// Each build's wasm and glue (the full build, atproof/verify), and atproof/verify's entry points,
// which build-pkg.sh makes from the full build's.
const glues = ['atproof', 'atproof_verify'].flatMap((g) => [`${g}_bg.wasm`, `${g}_bg.wasm.d.ts`, `${g}.js`, `${g}.d.ts`]);
const verifyEntries = ['index', 'node', 'deno', 'browser', 'workerd'].map((e) => `verify-${e}.js`);
const required = ['package.json', 'LICENSE-MIT', 'LICENSE-APACHE', ...glues, ...verifyEntries, ...template];
const allowed = (path) => required.includes(path) || /^snippets\/atproof-[0-9a-f]+\/src\/bindings\/[a-z]+\.js$/.test(path);
const missing = required.filter((path) => !files.includes(path));
const unexpected = files.filter((path) => !allowed(path));
const manifest = JSON.parse(readFileSync(new URL('../pkg/package.json', import.meta.url), 'utf8'));
const binFiles = Object.values(manifest.bin ?? {}).map((p) => p.replace(/^\.\//, ''));
const exported = (target) => (typeof target === 'string' ? [target] : Object.values(target).flatMap(exported));
const exportFiles = exported(manifest.exports).map((p) => p.replace(/^\.\//, ''));
const problems = [
  ...missing.map((p) => `missing ${p}`),
  ...exportFiles.filter((p) => !files.includes(p)).map((p) => `the export ${p} is not packed`),
  ...unexpected.map((p) => `unexpected ${p}`),
  ...binFiles.filter((p) => !files.includes(p)).map((p) => `the bin ${p} is not packed`),
];
for (const problem of problems) console.error(`npm pack: ${problem}`);
console.log(`npm pack: ${files.length} files, ${pack.size.toLocaleString('en')} bytes packed, ${pack.unpackedSize.toLocaleString('en')} unpacked`);
process.exit(problems.length === 0 && files.length > 0 ? 0 : 1);
