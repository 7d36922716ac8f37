// esbuild options for the @did-plc/lib side of the Chromium run (lib/browser-run.mjs): its dist is a
// Node bundle that require()s Node built-ins by their bare names, so every one of them resolves to
// shims/didplc-builtins.mjs (crypto real, the rest inert), its free `process`/`Buffer` to
// shims/didplc-globals.mjs, and `global` to globalThis.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHIM = join(HERE, 'shims/didplc-builtins.mjs');
const BUILTINS = ['assert', 'buffer', 'crypto', 'events', 'fs', 'http', 'https', 'module', 'os', 'path', 'stream', 'tty', 'url', 'util', 'vm', 'worker_threads', 'zlib'];

const builtins = {
  name: 'didplc-builtins',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(node:)?(${BUILTINS.join('|')})$`) }, (a) => ({ path: a.path.replace(/^node:/, ''), namespace: 'didplc-builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'didplc-builtin' }, (a) => ({
      contents: a.path === 'crypto'
        ? `import * as c from ${JSON.stringify(SHIM)}; export default c; export * from ${JSON.stringify(SHIM)};`
        : `module.exports = require(${JSON.stringify(SHIM)}).builtin(${JSON.stringify(a.path)});`,
      resolveDir: HERE,
    }));
  },
};

export const didplcBuildOptions = {
  plugins: [builtins],
  inject: [join(HERE, 'shims/didplc-globals.mjs')],
  define: { global: 'globalThis' },
};
