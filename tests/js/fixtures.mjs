// Reads tests/fixtures/ the same way in every runtime: from disk (Node, Deno, Bun) or over HTTP
// (browsers). Each reader has text(path), json(path) and bytes(path), paths relative to tests/fixtures/.

export function diskFixtures() {
  const root = new URL(/* @vite-ignore */ '../fixtures/', import.meta.url);
  const fs = import(/* @vite-ignore */ 'node:' + 'fs');
  return {
    text: async (path) => (await fs).readFileSync(new URL(path, root), 'utf8'),
    json: async (path) => JSON.parse((await fs).readFileSync(new URL(path, root), 'utf8')),
    bytes: async (path) => new Uint8Array((await fs).readFileSync(new URL(path, root))),
  };
}

export function fetchFixtures(root) {
  const get = async (path) => {
    const response = await fetch(new URL(path, root));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response;
  };
  return {
    text: async (path) => (await get(path)).text(),
    json: async (path) => (await get(path)).json(),
    bytes: async (path) => new Uint8Array(await (await get(path)).arrayBuffer()),
  };
}
