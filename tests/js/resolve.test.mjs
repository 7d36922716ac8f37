// resolveIdentity against real HTTP servers on loopback, in Node: a PLC directory (documents and
// audit logs), a DNS-over-HTTPS endpoint, handle hosts and a did:web host, all one server told
// apart by path; then the failures: a handle whose document names another, a bad document, a huge
// response, a slow server, a redirect loop. And FirehoseVerifier taking it as its resolveKey.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import * as atproof from 'atproof';

const fixture = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const plcLog = fixture('plc/log_bskyapp.json');
const DID = plcLog[0].did;
const verified = atproof.verifyPlcLog(DID, plcLog);
const HANDLE = verified.state.alsoKnownAs[0].slice('at://'.length);
const webKey = atproof.Keypair.import('k256', new Uint8Array(32).fill(3));

/**
 * One server for every role; `routes` maps a path to [status, body, headers?] or a function.
 * `requests` lists the paths asked for.
 */
async function serve(routes) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push(url.pathname);
    const route = routes[url.pathname + (url.pathname === '/dns-query' ? `?${url.searchParams.get('name')}` : '')];
    if (!route) return res.writeHead(404).end();
    if (typeof route === 'function') return route(req, res);
    const [status, body, headers = {}] = route;
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    requests,
    options: { plcDirectory: `${base}/plc`, dohUrl: `${base}/dns-query`, hostUrl: (host) => `${base}/host/${host}`, timeoutMs: 500, maxBytes: 100_000 },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const doh = (did) => [200, { Status: 0, Answer: [{ name: `_atproto.${HANDLE}`, type: 16, data: `"did=${did}"` }] }];

test('a handle resolves through DNS-over-HTTPS to a DID whose document names it back', async () => {
  const s = await serve({
    [`/dns-query?_atproto.${HANDLE}`]: doh(DID),
    [`/plc/${DID}`]: [200, verified.document],
  });
  try {
    const id = await atproof.resolveIdentity(HANDLE, s.options);
    assert.equal(id.did, DID);
    assert.equal(id.handle, HANDLE);
    assert.equal(id.handleVerified, true);
    assert.equal(id.signingKey, atproof.parseDidDocument(verified.document).signingKey);
    assert.equal(id.pds, atproof.parseDidDocument(verified.document).pds);
    // From the DID, the handle is checked by resolving it back.
    const fromDid = await atproof.resolveIdentity(DID, s.options);
    assert.equal(fromDid.handleVerified, true);
  } finally {
    await s.close();
  }
});

test('the well-known file answers when DNS does not, and the audit log can replace the directory\'s document', async () => {
  const s = await serve({
    [`/host/${HANDLE}/.well-known/atproto-did`]: [200, `${DID}\n`, { 'content-type': 'text/plain' }],
    [`/plc/${DID}/log/audit`]: [200, plcLog],
  });
  try {
    const id = await atproof.resolveIdentity(HANDLE, { ...s.options, verifyPlcLog: true });
    assert.equal(id.did, DID);
    assert.equal(id.handleVerified, true);
    assert.deepEqual(id.document, verified.document);
  } finally {
    await s.close();
  }
});

test('did:web documents come from their host', async () => {
  const did = 'did:web:example.test';
  const document = {
    id: did,
    alsoKnownAs: ['at://example.test'],
    verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: webKey.did().slice(8) }],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example.test' }],
  };
  const s = await serve({
    '/host/example.test/.well-known/did.json': [200, document],
    '/host/example.test/.well-known/atproto-did': [200, did, { 'content-type': 'text/plain' }],
  });
  try {
    const id = await atproof.resolveIdentity(did, s.options);
    assert.deepEqual([id.did, id.handle, id.handleVerified, id.signingKey, id.pds], [did, 'example.test', true, webKey.did(), 'https://pds.example.test']);
  } finally {
    await s.close();
  }
});

test('failures are clear errors: a handle not named back, a bad document, a huge response, a slow server, a redirect loop', async () => {
  const other = { ...verified.document, alsoKnownAs: ['at://someone.else'] };
  const s = await serve({
    [`/dns-query?_atproto.${HANDLE}`]: doh(DID),
    [`/plc/${DID}`]: [200, other],
    '/plc/did:plc:badbadbadbadbadbadbadbad': [200, '{"id": 42}'],
    '/plc/did:plc:hugehugehugehugehugehuge': [200, 'x'.repeat(200_000)],
    '/plc/did:plc:slowslowslowslowslowslow': (req, res) => setTimeout(() => res.writeHead(200).end('{}'), 2000),
    '/plc/did:plc:looplooplooplooplooploop': [302, '', { location: '/plc/did:plc:looplooplooplooplooploop' }],
  });
  try {
    const id = await atproof.resolveIdentity(HANDLE, s.options);
    assert.equal(id.handleVerified, false, 'the document names another handle');
    assert.equal(id.did, DID);
    const fails = async (did, pattern) => assert.rejects(atproof.resolveIdentity(did, s.options), (e) => e instanceof atproof.AtproofError && pattern.test(`${e.code} ${e.message}`));
    await fails('did:plc:badbadbadbadbadbadbadbad', /invalid-did-document|invalid-argument/);
    await fails('did:plc:hugehugehugehugehugehuge', /identity-resolution.*over the limit/);
    await fails('did:plc:slowslowslowslowslowslow', /identity-resolution.*no answer within 500 ms/);
    await fails('did:plc:looplooplooplooplooploop', /identity-resolution.*more than 5 redirects/);
    await fails('did:plc:missingmissingmissingmis', /identity-resolution.*HTTP 404/);
    await assert.rejects(atproof.resolveIdentity('not a handle!', s.options), (e) => e.code === 'invalid-argument');
    // DIDs atproto cannot resolve are refused before any request.
    const before = s.requests.length;
    for (const did of ['did:key:zQ3shib1VEhDds71EkT4n95qYQ9Ma34V6QPkEWqoWj3D8o2uv', 'did:plc:xyz', 'did:plc:TOOSHORTANDUPPERCASEXXXX', 'did:web:example.com:user:alice']) {
      await assert.rejects(atproof.resolveIdentity(did, s.options), (e) => e.code === 'invalid-argument', did);
    }
    assert.equal(s.requests.length, before, 'no request made');
    // DNS-over-HTTPS down and no well-known file: the error says both.
    const noDns = { ...s.options, dohUrl: `${s.base}/no-such-resolver` };
    await assert.rejects(atproof.resolveIdentity('nobody.test', noDns), (e) => e.code === 'identity-resolution' && /atproto-did: HTTP 404; and DNS-over-HTTPS failed: .*no-such-resolver.*HTTP 404/.test(e.message));
    // A connection that cannot be made: fetch says only "fetch failed"; the reason is its cause.
    const gone = createServer();
    await new Promise((ready) => gone.listen(0, '127.0.0.1', ready));
    const { port } = gone.address();
    await new Promise((closed) => gone.close(closed));
    const refused = { ...s.options, plcDirectory: `http://127.0.0.1:${port}/plc` };
    await assert.rejects(atproof.resolveIdentity(DID, refused), (e) => e.code === 'identity-resolution' && /fetch failed: .*ECONNREFUSED/.test(e.message));
  } finally {
    await s.close();
  }
});

test('FirehoseVerifier takes resolveIdentity as its resolveKey', async () => {
  const meta = fixture('generated/repo-1000-s1-k256.frames.json');
  const bin = new Uint8Array(readFileSync(new URL('../fixtures/generated/repo-1000-s1-k256.frames.bin', import.meta.url)));
  const keyHex = meta.signingKey;
  const document = {
    id: meta.did,
    verificationMethod: [{ id: `${meta.did}#atproto`, type: 'Multikey', controller: meta.did, publicKeyMultibase: keyHex.slice(8) }],
    service: [],
  };
  const s = await serve({ [`/plc/${meta.did}`]: [200, document] });
  try {
    const verifier = new atproof.FirehoseVerifier({ resolveKey: (did) => atproof.resolveIdentity(did, s.options) });
    const first = meta.frames[0];
    const event = await verifier.process(bin.subarray(first.offset, first.offset + first.length));
    assert.equal(event.status, 'valid');
  } finally {
    await s.close();
  }
});
