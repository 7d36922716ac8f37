// resolveIdentity: handle ⇄ DID ⇄ DID document over fetch, every response size- and time-limited,
// the network injectable. Made for one instance's functions (core.js: the package's).

const DEFAULTS = {
  plcDirectory: 'https://plc.directory',
  dohUrl: 'https://cloudflare-dns.com/dns-query',
  /** Where a handle's /.well-known/atproto-did and a did:web's /.well-known/did.json are fetched. */
  hostUrl: (host) => `https://${host}`,
  timeoutMs: 10_000,
  maxBytes: 1 << 20,
};

/** The resolveIdentity function over the given instance's functions. */
export function makeResolve({ parseDidDocument, verifyPlcLogAsync, isValidDid, isValidHandle, AtproofError }) {
  const failure = (message) => new AtproofError('identity-resolution', message);

  /**
   * GETs `url` with the limits; the body as text. Redirects are followed up to 5 times. Browsers
   * hide a redirect's target from `redirect: 'manual'` (an opaque response): there the browser is
   * left to follow them itself, within its own limit.
   */
  async function get(url, options, accept) {
    const { fetch: fetchFn = globalThis.fetch, timeoutMs, maxBytes } = options;
    let target = url;
    let redirect = 'manual';
    for (let redirects = 0; ; redirects++) {
      let response;
      try {
        response = await fetchFn(target, { headers: { accept }, redirect, signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        // fetch's own message is "fetch failed"; why (a DNS failure, a refused connection) is its cause.
        const why = e?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : [e?.message ?? String(e), e?.cause?.message].filter(Boolean).join(': ');
        throw failure(`${target}: ${why}`);
      }
      if (response.type === 'opaqueredirect' && redirect === 'manual') {
        redirect = 'follow';
        continue;
      }
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        if (redirects >= 5) throw failure(`${url}: more than 5 redirects`);
        target = new URL(response.headers.get('location'), target).href;
        continue;
      }
      if (!response.ok) throw failure(`${target}: HTTP ${response.status}`);
      const length = Number(response.headers.get('content-length') ?? 0);
      if (length > maxBytes) throw failure(`${target}: a response of ${length} bytes, over the limit of ${maxBytes}`);
      const reader = response.body.getReader();
      const chunks = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read().catch((e) => {
          throw failure(`${target}: ${e?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e?.message ?? e}`);
        });
        if (done) break;
        size += value.length;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          throw failure(`${target}: the response is over the limit of ${maxBytes} bytes`);
        }
        chunks.push(value);
      }
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
      return new TextDecoder().decode(bytes);
    }
  }

  const json = async (url, options) => {
    const text = await get(url, options, 'application/json');
    try {
      return JSON.parse(text);
    } catch {
      throw failure(`${url}: the response is not JSON`);
    }
  };

  /** The DID a handle names: DNS TXT _atproto.<handle> (over DNS-over-HTTPS), else its well-known file. */
  async function handleToDid(handle, options) {
    const found = new Set();
    // DNS failing is not final (the well-known file may answer), but if that fails too, both say why.
    let dnsFailure = null;
    const url = `${options.dohUrl}?name=${encodeURIComponent(`_atproto.${handle}`)}&type=TXT`;
    const answer = await json(url, options).catch((error) => {
      dnsFailure = error;
      return null;
    });
    for (const record of answer?.Answer ?? []) {
      const text = String(record?.data ?? '').replace(/^"|"$/g, '').replace(/"\s*"/g, '');
      if (text.startsWith('did=')) found.add(text.slice(4));
    }
    if (found.size > 1) throw failure(`${handle}: its DNS names more than one DID`);
    if (found.size === 1) return [...found][0];
    let text;
    try {
      text = (await get(`${options.hostUrl(handle)}/.well-known/atproto-did`, options, 'text/plain')).trim();
    } catch (error) {
      if (dnsFailure === null) throw error;
      throw failure(`${error.message}; and DNS-over-HTTPS failed: ${dnsFailure.message}`);
    }
    if (!isValidDid(text)) throw failure(`${handle}: /.well-known/atproto-did holds no DID`);
    return text;
  }

  /** Why atproto cannot resolve `did`, or null: only did:plc (24 base32 characters) and did:web without a path. */
  function unresolvable(did) {
    if (did.startsWith('did:plc:')) return /^did:plc:[a-z2-7]{24}$/.test(did) ? null : `${did} is not a did:plc: 24 base32 characters (a–z, 2–7) follow "did:plc:"`;
    if (did.startsWith('did:web:')) {
      const host = decodeURIComponent(did.slice('did:web:'.length));
      return host.includes(':') && !/^[^:]+:\d+$/.test(host) ? `${did}: did:web with a path is not supported by atproto` : null;
    }
    return `${did}: only did:plc and did:web are atproto DID methods`;
  }

  async function didToDocument(did, options) {
    const why = unresolvable(did);
    if (why !== null) throw failure(why);
    if (did.startsWith('did:plc:')) {
      if (options.verifyPlcLog) {
        const log = await json(`${options.plcDirectory}/${did}/log/audit`, options);
        const verified = await verifyPlcLogAsync(did, log);
        if (verified.document === null) throw failure(`${did} is deactivated (its log ends in a tombstone)`);
        return verified.document;
      }
      return json(`${options.plcDirectory}/${did}`, options);
    }
    return json(`${options.hostUrl(decodeURIComponent(did.slice('did:web:'.length)))}/.well-known/did.json`, options);
  }

  /**
   * Resolves a handle or a DID to `{ did, handle, handleVerified, signingKey, pds, document }`:
   * the DID document fetched (did:plc from the directory — or re-derived from its verified audit
   * log with `verifyPlcLog: true` — did:web from its host), and the handle checked both ways.
   */
  return async function resolveIdentity(handleOrDid, options = {}) {
    const settings = { ...DEFAULTS, ...options };
    if (typeof handleOrDid !== 'string') throw new AtproofError('invalid-argument', 'handleOrDid must be a string');
    let did;
    let askedHandle = null;
    if (isValidDid(handleOrDid)) {
      // A DID atproto cannot resolve is the caller's mistake here (from a handle, the handle's).
      const why = unresolvable(handleOrDid);
      if (why !== null) throw new AtproofError('invalid-argument', why);
      did = handleOrDid;
    } else if (isValidHandle(handleOrDid)) {
      askedHandle = handleOrDid.toLowerCase();
      did = await handleToDid(askedHandle, settings);
    } else throw new AtproofError('invalid-argument', `${JSON.stringify(handleOrDid)} is neither a DID nor a handle`);
    const document = await didToDocument(did, settings);
    const info = parseDidDocument(document);
    if (info.did !== did) throw failure(`the document of ${did} is for ${info.did}`);
    let handleVerified = false;
    if (info.handle !== null) {
      if (askedHandle !== null) handleVerified = info.handle === askedHandle;
      else handleVerified = (await handleToDid(info.handle, settings).catch(() => null)) === did;
    }
    return {
      did,
      handle: askedHandle !== null && !handleVerified ? askedHandle : info.handle,
      handleVerified,
      signingKey: info.signingKey,
      pds: info.pds,
      document,
    };
  };
}
