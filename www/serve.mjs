// A tiny static file server for the demo page (no dependencies): serves www/ on loopback, with
// `application/wasm` for the module (WebAssembly.instantiateStreaming insists on it) and
// `text/javascript` for the module scripts and workers. Any static host that does the same works.
//   node www/serve.mjs [--port N] [--host H]      (after www/build.sh; default 127.0.0.1:8080)
// Tests import `serve` and listen on port 0.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const WWW = fileURLToPath(new URL('.', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** The file a request path names inside `root`, or null when it would leave it. */
function fileFor(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/** Starts serving `root` (default www/) and resolves to the listening http.Server. */
export async function serve({ root = WWW, port = 8080, host = '127.0.0.1' } = {}) {
  const base = resolve(root);
  const server = createServer(async (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = fileFor(base, new URL(request.url, 'http://localhost').pathname);
    try {
      if (file === null || !(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-cache',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, done);
  });
  return server;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
  const server = await serve({ port: Number(values.port), host: values.host });
  const { address, port } = server.address();
  try {
    await stat(join(WWW, 'pkg', 'browser.js'));
  } catch {
    console.warn('www/pkg/ is missing: run www/build.sh (after scripts/build-pkg.sh) first');
  }
  console.log(`atproof demo: http://${address.includes(':') ? `[${address}]` : address}:${port}/`);
}
