// Requests from the page to its module workers and their answers. Each request has an id; the
// worker answers it with a result or an error, and may send progress messages for it before.
//
// Tricky bits: a worker posts `ready` once its modules (and so the wasm module) are loaded, and the
// page sends nothing before — a message that arrives while a module worker is still evaluating
// (the package's top-level await) could otherwise be dispatched before its handler exists.
// Errors cross as `{ name, code, message }`: structured cloning keeps an Error's message but not
// AtproofError's `code`. A request the page cancels gets `{ id, cancel: true }` after it: the
// handler's signal aborts, and what the handler does with it (stop a download) ends the request.

/** In a worker: answers the page's requests with `handlers[type](payload, progress, signal)`. */
export function serveRequests(handlers) {
  const running = new Map(); // request id → the AbortController of its handler
  self.onmessage = async ({ data: { id, type, payload, cancel } }) => {
    if (cancel) {
      running.get(id)?.abort();
      return;
    }
    const progress = (value) => self.postMessage({ id, progress: value });
    const controller = new AbortController();
    running.set(id, controller);
    try {
      self.postMessage({ id, result: await handlers[type](payload, progress, controller.signal) });
    } catch (error) {
      self.postMessage({ id, error: { name: error?.name ?? 'Error', code: error?.code, message: error?.message ?? String(error) } });
    } finally {
      running.delete(id);
    }
  };
  self.postMessage({ ready: true });
}

/**
 * In the page: starts the module worker at `url`; `request(type, payload, onProgress, signal)` →
 * the result (`signal`: aborting it cancels the request in the worker).
 */
export function startWorker(url) {
  const worker = new Worker(url, { type: 'module' });
  const pending = new Map();
  let nextId = 0;
  let markReady;
  let markFailed;
  const ready = new Promise((resolve, reject) => { markReady = resolve; markFailed = reject; });
  ready.catch(() => {}); // reported to each request instead
  worker.onmessage = ({ data }) => {
    if (data.ready) {
      markReady();
      return;
    }
    const request = pending.get(data.id);
    // A message for a request already settled (the worker failed, and its last messages arrive after).
    if (request === undefined) return;
    if ('progress' in data) {
      request.onProgress?.(data.progress);
      return;
    }
    pending.delete(data.id);
    if ('error' in data) request.reject(Object.assign(new Error(data.error.message), data.error));
    else request.resolve(data.result);
  };
  worker.onerror = (event) => {
    const error = new Error(`the worker failed: ${event.message ?? 'it could not be loaded'}`);
    markFailed(error);
    for (const request of pending.values()) request.reject(error);
    pending.clear();
  };
  return {
    async request(type, payload, onProgress, signal) {
      await ready;
      const id = nextId++;
      signal?.addEventListener('abort', () => worker.postMessage({ id, cancel: true }), { once: true });
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onProgress });
        worker.postMessage({ id, type, payload });
      });
    },
  };
}
