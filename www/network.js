// The network settings every panel shares (PLC directory, DNS-over-HTTPS resolver, the URL of a
// host's /.well-known files, relay) and the requests made with them. Plain data on purpose: the
// page posts the settings to its workers, and a function (resolveIdentity's `hostUrl`) cannot
// cross postMessage, so each side makes the options from the data here.
import { AtproofError } from './pkg/browser.js';

export const DEFAULT_SETTINGS = {
  plcDirectory: 'https://plc.directory',
  dohUrl: 'https://cloudflare-dns.com/dns-query',
  /** `{host}` is replaced by the handle or did:web host whose /.well-known file is fetched. */
  hostUrl: 'https://{host}',
  relay: 'wss://bsky.network',
};

const withoutTrailingSlash = (url) => url.replace(/\/+$/, '');

/** resolveIdentity's options for the settings. */
export function resolveOptions({ plcDirectory, dohUrl, hostUrl }) {
  return {
    plcDirectory: withoutTrailingSlash(plcDirectory),
    dohUrl,
    hostUrl: (host) => withoutTrailingSlash(hostUrl.replaceAll('{host}', host)),
  };
}

/** `<service>/xrpc/<method>?<params>`. */
export function xrpcUrl(service, method, params) {
  return `${withoutTrailingSlash(service)}/xrpc/${method}?${new URLSearchParams(params)}`;
}

/** The audit log URL of a did:plc at the directory of the settings. */
export const auditLogUrl = (settings, did) => `${withoutTrailingSlash(settings.plcDirectory)}/${did}/log/audit`;

/**
 * GETs `url` and resolves to the response if it is a 2xx; otherwise throws an AtproofError
 * `identity-resolution` (for identity lookups: an audit log) or a plain Error saying which URL
 * failed and how — a server that cannot be reached, one without CORS headers (the browser says
 * only "Failed to fetch" for both), or an HTTP error with the body's XRPC `message` when there is
 * one. `timeoutMs` bounds the whole exchange, body included, so a large download gets none;
 * `signal` cancels it (its reason is thrown), body included.
 */
export async function fetchOk(url, { identity = false, timeoutMs, signal } = {}) {
  const fail = (why) => (identity ? new AtproofError('identity-resolution', `${url}: ${why}`) : new Error(`${url}: ${why}`));
  // One signal for the timeout and the caller's (AbortSignal.any is too recent for Safari 16.4);
  // aborted, it also ends the body's download.
  const controller = new AbortController();
  for (const source of [timeoutMs === undefined ? null : AbortSignal.timeout(timeoutMs), signal]) {
    source?.addEventListener('abort', () => controller.abort(source.reason), { once: true });
  }
  let response;
  try {
    signal?.throwIfAborted();
    response = await fetch(url, { signal: controller.signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw fail(controller.signal.reason?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${error?.message ?? error} (server unreachable, or no CORS headers)`);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw fail(`HTTP ${response.status}${body?.message ? `: ${body.message}` : body?.error ? `: ${body.error}` : ''}`);
  }
  return response;
}
