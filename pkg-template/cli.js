#!/usr/bin/env node
// atproof's command line (Node ≥ 20): verify repositories, records, did:plc histories and the
// firehose from the network or from files, inspect CARs, make keys. Run `atproof --help`.
//
// Exit codes: 0 everything verified, 1 something failed (the reason and where are printed), 2 a
// usage error. `--json` prints one JSON object on stdout instead of text.
//
// Tricky bits:
// - Node 20 has no global WebSocket: `firehose` runs this file again with --experimental-websocket
//   (Node ≥ 20.10) and passes its exit code on.
// - `verify-repos` runs this same file in worker_threads: a worker imports it, and the bottom of
//   the file serves verification requests instead of parsing the command line.
// - The network is configurable (flags, else ATPROOF_* variables): the PLC directory, the
//   DNS-over-HTTPS resolver, and where a host's /.well-known files are, as a template with {host}
//   (so that did:web documents and handle files can come from a loopback server).
// - `--timeout` limits each response: its headers, and the whole of a response read whole (a
//   record proof, an audit log, a document); a repository's body streams as long as it takes,
//   with a progress bar on stderr when stderr is a terminal.
import { parseArgs } from 'node:util';
import { createReadStream, existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  AtUri, FirehoseVerifier, Keypair, decodeCbor, isValidDid, isValidHandle, parseDidDocument, parseDidKey, readCar, readCarStream, resolveIdentity, toJson,
  verifyPlcLog, verifyRecord, verifyRepo, verifyRepoStream, subscribeRepos,
} from './node.js';

const DEFAULTS = {
  plc: 'https://plc.directory',
  doh: 'https://cloudflare-dns.com/dns-query',
  hostUrl: 'https://{host}',
  relay: 'wss://bsky.network',
  timeout: 10,
  retries: 5,
};

// ---- command-line errors and failures ----

/** A usage error: exit code 2. */
class UsageError extends Error {}

/** A failed step: `stage` says where (what was being done, with the URL or file), `code` why. */
class StepFailure extends Error {
  constructor(stage, code, message) {
    super(message);
    this.stage = stage;
    this.code = code;
  }
}

/** Runs `fn` as `stage`: anything it throws becomes a StepFailure naming the stage. */
async function step(stage, fn) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof StepFailure) throw e;
    throw new StepFailure(stage, e?.code ?? 'error', e?.message ?? String(e));
  }
}

const problemOf = (e) => (e instanceof StepFailure ? { stage: e.stage, code: e.code, message: e.message } : { stage: 'internal', code: 'error', message: e?.stack ?? String(e) });

// ---- options shared by every command ----

const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  plc: { type: 'string' },
  doh: { type: 'string' },
  'host-url': { type: 'string' },
  timeout: { type: 'string' },
  'plc-audit': { type: 'boolean' },
};

const COMMON_HELP = `Network options (flag, else environment variable, else default):
  --plc URL          PLC directory           ATPROOF_PLC_URL    ${DEFAULTS.plc}
  --doh URL          DNS-over-HTTPS (JSON)   ATPROOF_DOH_URL    ${DEFAULTS.doh}
  --host-url TMPL    where a host's /.well-known files are (handles, did:web), {host} replaced
                                             ATPROOF_HOST_URL   ${DEFAULTS.hostUrl}
  --timeout S        seconds to wait for each response (default ${DEFAULTS.timeout}): its headers, and the
                     whole of a proof, log or document; a repository streams on
  --plc-audit        re-derive did:plc documents from their verified audit logs instead of taking
                     the directory's
Output: --json prints one JSON object on stdout. Exit code 0 when everything verified, 1 when
something failed, 2 for a usage error.`;

/** The network settings from flags and environment (plain data, so that workers can get them). */
function networkSettings(values, env) {
  const url = (flag, variable, fallback) => {
    const value = values[flag] ?? env[variable] ?? fallback;
    const candidate = value.replace('{host}', 'host.example');
    // fetch takes http(s) only: a value such as "localhost:2582" parses as a URL of scheme "localhost:".
    if (!URL.canParse(candidate) || !/^https?:$/.test(new URL(candidate).protocol)) {
      throw new UsageError(`${values[flag] !== undefined ? `--${flag}` : variable}: ${JSON.stringify(value)} is not an http(s):// URL`);
    }
    return value.replace(/\/$/, '');
  };
  const hostUrl = url('host-url', 'ATPROOF_HOST_URL', DEFAULTS.hostUrl);
  if (!hostUrl.includes('{host}')) throw new UsageError(`--host-url / ATPROOF_HOST_URL: ${JSON.stringify(hostUrl)} has no {host} to replace`);
  const timeout = values.timeout === undefined ? DEFAULTS.timeout : Number(values.timeout);
  if (!(timeout > 0)) throw new UsageError(`--timeout: ${JSON.stringify(values.timeout)} is not a positive number of seconds`);
  return {
    plc: url('plc', 'ATPROOF_PLC_URL', DEFAULTS.plc),
    doh: url('doh', 'ATPROOF_DOH_URL', DEFAULTS.doh),
    hostUrl,
    timeoutMs: timeout * 1000,
    plcAudit: values['plc-audit'] === true,
  };
}

/** resolveIdentity with the settings' network. */
function resolve(handleOrDid, settings) {
  return resolveIdentity(handleOrDid, {
    plcDirectory: settings.plc,
    dohUrl: settings.doh,
    hostUrl: (host) => settings.hostUrl.replaceAll('{host}', host),
    timeoutMs: settings.timeoutMs,
    verifyPlcLog: settings.plcAudit,
  });
}

/**
 * GETs `url`; the response once its headers are in (within the timeout), else a StepFailure.
 * `signal` aborts the request, its body included.
 */
async function get(stage, url, settings, signal) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let response;
  try {
    response = await fetch(url, { signal: controller.signal });
  } catch (e) {
    const why = controller.signal.aborted ? `no answer within ${settings.timeoutMs} ms` : e?.cause?.message ?? e?.message;
    throw new StepFailure(stage, 'network', `${url}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    // XRPC errors are { error, message }.
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 200);
    try {
      const { error, message } = JSON.parse(text);
      detail = [error, message].filter(Boolean).join(': ');
    } catch { /* not JSON: the text itself */ }
    throw new StepFailure(stage, 'network', `${url}: HTTP ${response.status}${detail ? ` ${detail}` : ''}`);
  }
  return response;
}

/** GETs a small response and reads it whole (`read`: 'text' or 'arrayBuffer'), all within the timeout. */
async function getWhole(stage, url, settings, read) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  try {
    const response = await get(stage, url, settings, controller.signal);
    return await response[read]();
  } catch (e) {
    if (e instanceof StepFailure) throw e;
    const why = controller.signal.aborted ? `not read whole within ${settings.timeoutMs} ms` : e?.cause?.message ?? e?.message;
    throw new StepFailure(stage, 'network', `${url}: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

const xrpcUrl = (service, method, params) => `${service.replace(/\/$/, '')}/xrpc/${method}?${new URLSearchParams(params)}`;

/**
 * Resolves an identity for a command into `report` (did, handle, handleVerified, pds, signingKey,
 * and what was checked); fails unless a handle asked for is named back by the DID's document and
 * the document names a PDS and a signing key.
 */
async function resolveAccount(handleOrDid, settings, report) {
  const id = await step(`resolving ${handleOrDid}`, () => resolve(handleOrDid, settings));
  Object.assign(report, { did: id.did, handle: id.handle, handleVerified: id.handleVerified, pds: id.pds, signingKey: id.signingKey });
  const source = id.did.startsWith('did:web:')
    ? `from ${settings.hostUrl.replaceAll('{host}', decodeURIComponent(id.did.slice('did:web:'.length)))}/.well-known/did.json`
    : settings.plcAudit ? `re-derived from its audit log at ${settings.plc}, verified` : `from the PLC directory ${settings.plc} (not re-derived: --plc-audit does)`;
  report.checked.push(`DID document of ${id.did} ${source}`);
  if (id.handleVerified) report.checked.push(`handle ${id.handle} and ${id.did} name each other`);
  const stage = `reading the DID document of ${id.did}`;
  if (!isValidDid(handleOrDid) && !id.handleVerified) throw new StepFailure(stage, 'handle-not-verified', `${handleOrDid} names ${id.did}, whose document does not name it back`);
  if (id.pds === null) throw new StepFailure(stage, 'no-pds', `${id.did} names no PDS (#atproto_pds)`);
  if (id.signingKey === null) throw new StepFailure(stage, 'no-signing-key', `${id.did} names no signing key (#atproto)`);
  return id;
}

// ---- verifying one repository (verify-repo, and each job of verify-repos) ----

/** 'file' or 'identity', or a UsageError: an existing path or a *.car name is a file. */
function classify(target) {
  if (existsSync(target) || target.endsWith('.car')) return 'file';
  if (isValidDid(target) || isValidHandle(target)) return 'identity';
  throw new UsageError(`${JSON.stringify(target)} is neither a CAR file nor a handle or DID`);
}

/** The DID in the commit of a CAR file (its first root), read from the start of the file. */
async function commitDidOf(path) {
  let root;
  for await (const { cid, bytes } of readCarStream(createReadStream(path), (roots) => { [root] = roots; })) {
    if (cid === root) return decodeCbor(bytes).did;
  }
  throw new Error(`${path}: its root ${root} is not in the file`);
}

/**
 * Verifies the repository of `target` (a CAR file, or a handle or DID whose repository is fetched
 * from its PDS) → a report: `{ ok, target, source, did, …, records, collections, checked, problems }`.
 * `options`: the file's `did` and `key`, or `resolve` to resolve the commit's own DID.
 */
async function verifyRepoTarget(target, settings, options = {}, onProgress) {
  const source = classify(target);
  const report = { ok: false, target, source, checked: [], problems: [] };
  try {
    let did = options.did;
    let key = options.key;
    let body;
    let total;
    if (source === 'identity') {
      const account = await resolveAccount(target, settings, report);
      ({ did, signingKey: key } = account);
      const url = xrpcUrl(account.pds, 'com.atproto.sync.getRepo', { did });
      report.url = url;
      const response = await get(`fetching the repository of ${did}`, url, settings);
      total = Number(response.headers.get('content-length')) || undefined;
      body = response.body;
    } else {
      const size = await step(`reading ${target}`, () => statSync(target).size);
      total = size;
      if (options.resolve) did = await step(`reading the commit of ${target}`, () => commitDidOf(target));
      if (did !== undefined && key === undefined) key = (await resolveAccount(did, settings, report)).signingKey;
      body = createReadStream(target);
    }
    Object.assign(report, { did: did ?? report.did, signingKey: key ?? null });
    let progress = { blocks: 0, bytes: 0 };
    const where = report.url ?? target;
    const verified = await step(`verifying ${where}`, () => verifyRepoStream(body, { did, key }, (p) => {
      progress = p;
      onProgress?.(p, total);
    }));
    Object.assign(report, {
      did: verified.did, rev: verified.rev, version: verified.version, commit: verified.commit, data: verified.data,
      signatureVerified: verified.signatureVerified, bytes: progress.bytes, blocks: progress.blocks,
      records: verified.records.length, collections: countCollections(verified.records),
    });
    report.checked.push(
      `${progress.blocks} blocks (${progress.bytes} bytes): each one's SHA-256 against its CID`,
      `commit ${verified.commit}: version ${verified.version}, DID ${verified.did}${did ? ' (the one asked for)' : ''}, rev ${verified.rev}`,
      verified.signatureVerified ? `commit signature verified with ${key}` : 'commit signature NOT checked (no key: give --key, --did or --resolve)',
      'MST: node shapes, key layers, order, uniqueness, prefix compression, subtree ranges',
      `${verified.records.length} records: present, valid DRISL maps, at valid <collection>/<rkey> paths`,
    );
  } catch (e) {
    if (e instanceof UsageError) throw e;
    report.problems.push(problemOf(e));
  }
  report.ok = report.problems.length === 0;
  return report;
}

/** Records per collection, from a verified repository's `{ path }`s (in key order, so collections sorted). */
function countCollections(records) {
  const counts = {};
  for (const { path } of records) {
    const collection = path.slice(0, path.indexOf('/'));
    counts[collection] = (counts[collection] ?? 0) + 1;
  }
  return counts;
}

// ---- output ----

const plural = (n, word, words = `${word}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? word : words}`;

function formatBytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A progress line on stderr when it is a terminal (else nothing), redrawn at most 10 times a second. */
function progressBar(label) {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let drawn = 0;
  return {
    update({ bytes, blocks }, total) {
      const now = Date.now();
      if (now - drawn < 100) return;
      drawn = now;
      const width = 24;
      const share = total ? Math.min(1, bytes / total) : undefined;
      const bar = share === undefined ? '' : `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${(share * 100).toFixed(0).padStart(3)}% `;
      process.stderr.write(`\r\x1b[K${label} ${bar}${formatBytes(bytes)}${total ? ` of ${formatBytes(total)}` : ''}, ${plural(blocks, 'block')}`);
    },
    done() {
      process.stderr.write('\r\x1b[K');
    },
  };
}

const printProblems = (problems) => {
  for (const p of problems) console.log(`FAILED while ${p.stage}: [${p.code}] ${p.message}`);
};

function printRepoReport(report) {
  const rows = [
    ['DID', report.did],
    ['handle', report.handle && `${report.handle}${report.handleVerified ? ' (verified both ways)' : ' (NOT verified)'}`],
    ['PDS', report.pds],
    ['signing key', report.signingKey],
    ['rev', report.rev],
    ['commit', report.commit],
    ['data', report.data],
    ['records', report.records !== undefined && `${plural(report.records, 'record')} in ${plural(Object.keys(report.collections).length, 'collection')}, ${formatBytes(report.bytes)}, ${plural(report.blocks, 'block')}`],
  ].filter(([, value]) => value);
  console.log(`${report.ok ? 'verified' : 'NOT verified'}: ${report.target}`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(12)}${value}`);
  for (const [collection, count] of Object.entries(report.collections ?? {})) console.log(`    ${collection.padEnd(32)}${count}`);
  if (report.checked.length) console.log('checked:');
  for (const line of report.checked) console.log(`  - ${line}`);
  printProblems(report.problems);
}

/** One line for verify-repos. */
function summaryLine(report) {
  if (!report.ok) {
    const [p] = report.problems;
    return `FAIL ${report.target}  [${p.code}] ${p.message} (while ${p.stage})`;
  }
  const signature = report.signatureVerified ? 'signature verified' : 'signature not checked';
  return `ok   ${report.target}  ${report.did} rev ${report.rev}, ${plural(report.records, 'record')}, ${signature}`;
}

// ---- commands ----

const COMMANDS = {
  'verify-repo': {
    usage: 'verify-repo <file.car | handle | did> [--did DID | --key DIDKEY | --resolve]',
    about: 'verify a whole repository: from the network (resolve the identity, stream getRepo from its PDS) or a CAR file',
    help: `A handle or DID is resolved (DID document, PDS, signing key; a handle must be named back by
its document), and com.atproto.sync.getRepo is streamed from the PDS through the verification.
A CAR file is checked in full (hashes, commit, MST, records); its commit signature too when a key
is known: --key did:key:…, --did DID (resolved for its key, and the commit must name it), or
--resolve (the commit's own DID resolved). Prints the DID, handle, rev, commit, signing key and
record counts per collection, and what was checked. A progress bar goes to stderr when it is a
terminal.`,
    options: { did: { type: 'string' }, key: { type: 'string' }, resolve: { type: 'boolean' } },
    positionals: [1, 1],
    async run([target], values, settings) {
      const source = classify(target);
      if (source === 'identity' && (values.did || values.key || values.resolve)) throw new UsageError('--did, --key and --resolve apply to a CAR file');
      if (values.did !== undefined && !isValidDid(values.did)) throw new UsageError(`--did: ${JSON.stringify(values.did)} is not a DID`);
      if (values.key !== undefined) {
        try {
          parseDidKey(values.key);
        } catch (e) {
          throw new UsageError(`--key: ${e.message}`);
        }
      }
      const bar = progressBar(source === 'file' ? target : `getRepo ${target}`);
      const report = await verifyRepoTarget(target, settings, { did: values.did, key: values.key, resolve: values.resolve }, bar.update);
      bar.done();
      return { report, print: printRepoReport };
    },
  },

  'verify-record': {
    usage: 'verify-record <at://handle-or-did/collection/rkey>',
    about: 'fetch one record with its proof (sync.getRecord) and verify it against the signed commit',
    help: `Resolves the URI's account, fetches com.atproto.sync.getRecord from its PDS and verifies the
proof: the commit signed by the account's key, the MST path to the record, the record's hash.
Prints the record as atproto JSON. A proof that the record does not exist is a failure (exit 1).`,
    positionals: [1, 1],
    async run([text], _values, settings) {
      let uri;
      try {
        uri = AtUri.parse(text);
      } catch (e) {
        throw new UsageError(`${JSON.stringify(text)}: ${e.message}`);
      }
      const { authority, collection, rkey } = uri;
      if (collection === undefined || rkey === undefined) throw new UsageError(`${text} names no record: at://<account>/<collection>/<rkey>`);
      const report = { ok: false, uri: text, checked: [], problems: [] };
      try {
        const account = await resolveAccount(authority, settings, report);
        report.uri = `at://${account.did}/${collection}/${rkey}`;
        const url = xrpcUrl(account.pds, 'com.atproto.sync.getRecord', { did: account.did, collection, rkey });
        report.url = url;
        const proof = new Uint8Array(await getWhole(`fetching the proof of ${report.uri}`, url, settings, 'arrayBuffer'));
        const { cid, record, commit, rev } = await step(`verifying the proof from ${url}`, () => verifyRecord(proof, { did: account.did, key: account.signingKey, collection, rkey }));
        Object.assign(report, { commit, rev });
        report.checked.push(`proof from ${url}: commit ${commit} (rev ${rev}) signed by ${account.signingKey}, the MST path to the record, every block's hash`);
        if (cid === null) throw new StepFailure(`verifying the proof from ${url}`, 'record-absent', `${report.uri} does not exist (the signed commit proves its absence)`);
        Object.assign(report, { cid, record: toJson(record) });
      } catch (e) {
        report.problems.push(problemOf(e));
      }
      report.ok = report.problems.length === 0;
      return { report, print: printRecordReport };
    },
  },

  'verify-plc': {
    usage: 'verify-plc <did:plc:…>',
    about: "verify a did:plc's whole audit log; show its operation history and nullified forks",
    help: `Fetches <PLC directory>/<did>/log/audit and verifies every operation (shape, CID, signature by
an allowed rotation key, chain, forks and the 72-hour recovery window, nullified flags), then
checks that the directory's current document is the one the log gives. Prints the history
(what each operation changed, which rotation key signed it) and each nullified fork.`,
    positionals: [1, 1],
    async run([did], _values, settings) {
      if (!did.startsWith('did:plc:') || !isValidDid(did)) throw new UsageError(`${JSON.stringify(did)} is not a did:plc`);
      const report = { ok: false, did, checked: [], problems: [] };
      try {
        const url = `${settings.plc}/${did}/log/audit`;
        const log = await getWhole(`fetching the audit log of ${did}`, url, settings, 'text');
        const verified = await step(`verifying ${url}`, () => verifyPlcLog(did, log));
        Object.assign(report, describeHistory(JSON.parse(log), verified));
        report.checked.push(`audit log ${url}: ${plural(report.operations.length, 'operation')}, each one's shape, CID, signature and chain; forks and nullified flags`);
        if (verified.document !== null) {
          const documentUrl = `${settings.plc}/${did}`;
          const current = await getWhole(`fetching the document of ${did}`, documentUrl, settings, 'text');
          const stage = `comparing ${documentUrl} with the log`;
          const [served, derived] = await step(stage, () => [current, verified.document].map((d) => JSON.stringify(parseDidDocument(d))));
          if (served !== derived) throw new StepFailure(stage, 'document-mismatch', `the directory serves ${served}, the log gives ${derived}`);
          report.checked.push(`the directory's document ${documentUrl} says what the log gives`);
        }
      } catch (e) {
        report.problems.push(problemOf(e));
      }
      report.ok = report.problems.length === 0;
      return { report, print: printPlcReport };
    },
  },

  firehose: {
    usage: 'firehose [relay-url] [--cursor N] [--duration S] [--limit N] [--retries N] [--state FILE]',
    about: 'verify a live event stream (subscribeRepos): counts by status, frames/s, every invalid or desynced account',
    help: `Opens com.atproto.sync.subscribeRepos at the relay (default ATPROOF_RELAY_URL, else
${DEFAULTS.relay}) and verifies every event: commit signatures (keys resolved with the network
options), blocks, ops against the tree, MST inversion to the previous root, each account's
continuity. Runs until --duration seconds have passed, --limit events were processed, or Ctrl-C;
then prints the counts and every account with an invalid or desynced event and why. A dropped
connection is opened again from the last seq; after --retries (default ${DEFAULTS.retries}) retries in a row
that cannot connect, it ends (--retries 0: the first failed connection ends it).
--state FILE carries the run over to the next one: when FILE exists, every account's continuity
is restored from it and the stream resumes after its last seq (unless --cursor is given); at the
end the state is written back to FILE (44 bytes a tracked account). A FILE that is not such a
state is an error, never silently ignored.`,
    options: { cursor: { type: 'string' }, duration: { type: 'string' }, limit: { type: 'string' }, retries: { type: 'string' }, state: { type: 'string' } },
    positionals: [0, 1],
    async run([relayUrl], values, settings) {
      const url = relayUrl ?? process.env.ATPROOF_RELAY_URL ?? DEFAULTS.relay;
      if (!URL.canParse(url) || !/^wss?:$/.test(new URL(url).protocol)) throw new UsageError(`${JSON.stringify(url)} is not a ws(s):// URL`);
      const cursor = wholeNumber('--cursor', values.cursor);
      const limit = wholeNumber('--limit', values.limit);
      if (limit === 0) throw new UsageError('--limit: 0 events would end it before it starts');
      const retries = wholeNumber('--retries', values.retries) ?? DEFAULTS.retries;
      const duration = values.duration === undefined ? undefined : Number(values.duration);
      if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration: ${JSON.stringify(values.duration)} is not a positive number of seconds`);
      return { report: await watchFirehose(url, { cursor, limit, duration, retries, stateFile: values.state }, settings, values.json), print: printFirehoseReport };
    },
  },

  inspect: {
    usage: 'inspect <file.car> [collection/rkey | cid]',
    about: 'show a CAR: roots, blocks, the commit, collections; one record or block decoded as JSON',
    help: `Reads a CAR file (hash-checking every block), decodes its first root as a repository commit,
and lists the records by collection (the repository's structure is verified on the way, the
signature is not: use verify-repo). With a record path or a block CID, prints that record or
block as atproto JSON.`,
    positionals: [1, 2],
    async run([path, wanted], _values) {
      const report = { ok: false, file: path, problems: [] };
      try {
        const car = await step(`reading ${path}`, () => new Uint8Array(readFileSync(path)));
        const { roots, blocks } = await step(`reading the CAR ${path}`, () => readCar(car));
        Object.assign(report, { bytes: car.length, roots, blocks: blocks.size });
        const root = blocks.get(roots[0]);
        if (root !== undefined) report.commit = await step(`decoding the root block ${roots[0]}`, () => toJson(decodeCbor(root)));
        const verified = await step(`walking the repository in ${path}`, () => verifyRepo(car, {}));
        report.records = verified.records.length;
        report.collections = countCollections(verified.records);
        if (wanted !== undefined) {
          const cid = wanted.includes('/') ? verified.records.get(wanted) : wanted;
          const bytes = cid === undefined ? undefined : blocks.get(cid);
          if (bytes === undefined) throw new StepFailure(`looking up ${wanted}`, 'not-found', `${path} has no ${wanted.includes('/') ? 'record at' : 'block'} ${wanted}`);
          report.selected = { path: wanted.includes('/') ? wanted : undefined, cid, value: await step(`decoding ${cid}`, () => toJson(decodeCbor(bytes))) };
        }
      } catch (e) {
        report.problems.push(problemOf(e));
      }
      report.ok = report.problems.length === 0;
      return { report, print: printInspectReport };
    },
  },

  'verify-repos': {
    usage: 'verify-repos <dir | list-file> [--jobs N] [--resolve]',
    about: 'verify many repositories on every core: the *.car files of a folder, or a list of files and identities',
    help: `A folder: every *.car file in it. A list file: one CAR path (relative to the list) or handle or
DID a line; blank lines and # comments are skipped. Each is verified as verify-repo does, --jobs at
a time (default: the number of cores) in worker threads; one line each as they finish, then the
total. --resolve checks each CAR's signature with the key of the DID its commit names.`,
    options: { jobs: { type: 'string' }, resolve: { type: 'boolean' } },
    positionals: [1, 1],
    async run([source], values, settings) {
      const jobs = wholeNumber('--jobs', values.jobs) ?? availableParallelism();
      if (jobs < 1) throw new UsageError('--jobs must be at least 1');
      const targets = listTargets(source);
      targets.forEach(classify);
      const started = Date.now();
      const reports = await runPool(targets, jobs, { settings, resolve: values.resolve === true }, values.json ? undefined : (r) => console.log(summaryLine(r)));
      const failed = reports.filter((r) => !r.ok).length;
      const report = { ok: failed === 0, total: reports.length, verified: reports.length - failed, failed, seconds: (Date.now() - started) / 1000, jobs: Math.min(jobs, targets.length), repositories: reports };
      return { report, print: (r) => console.log(`${r.verified} verified, ${r.failed} failed, of ${plural(r.total, 'repository', 'repositories')} in ${r.seconds.toFixed(2)} s (${plural(r.jobs, 'job')})`) };
    },
  },

  keygen: {
    usage: 'keygen [k256|p256]',
    about: 'make a new signing key: its did:key and its private key as multibase',
    help: `Generates a key from the system's secure random source (default k256, secp256k1). Prints the
did:key and the private key as multibase (base58btc of the multicodec secp256k1-priv or
p256-priv and the 32 bytes), as atproto tools write them. Keep the private key secret.`,
    positionals: [0, 1],
    async run([algorithm = 'k256']) {
      if (algorithm !== 'k256' && algorithm !== 'p256') throw new UsageError(`${JSON.stringify(algorithm)}: the algorithm is k256 or p256`);
      const keypair = Keypair.generate(algorithm);
      const privateKey = keypair.export();
      const report = {
        ok: true,
        algorithm,
        did: keypair.did(),
        publicKeyMultibase: keypair.did().slice('did:key:'.length),
        privateKeyMultibase: `z${base58btc([...PRIVATE_KEY_CODECS[algorithm], ...privateKey])}`,
        privateKeyHex: Buffer.from(privateKey).toString('hex'),
      };
      keypair.free();
      return { report, print: (r) => console.log(`algorithm    ${r.algorithm}\ndid:key      ${r.did}\nprivate key  ${r.privateKeyMultibase}  (keep it secret)`) };
    },
  },
};

/** A non-negative integer option, or undefined; a UsageError if it is something else. */
function wholeNumber(flag, text) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a whole number`);
  return Number(text);
}

// ---- verify-record, verify-plc, inspect: printing ----

function printRecordReport(report) {
  console.log(`${report.ok ? 'verified' : 'NOT verified'}: ${report.uri}`);
  for (const [name, value] of [['handle', report.handle], ['PDS', report.pds], ['signing key', report.signingKey], ['commit', report.commit], ['rev', report.rev], ['cid', report.cid]]) {
    if (value) console.log(`  ${name.padEnd(12)}${value}`);
  }
  if (report.checked.length) console.log('checked:');
  for (const line of report.checked) console.log(`  - ${line}`);
  printProblems(report.problems);
  if (report.record !== undefined) console.log(JSON.stringify(report.record, null, 2));
}

/**
 * The history of a verified log: each operation with what it changed from the one it follows and
 * the rotation key that signed it, and the forks (operations nullified by a later one from the
 * same parent).
 */
function describeHistory(log, verified) {
  const byCid = new Map(log.map((entry) => [entry.cid, entry.operation]));
  // A legacy `create` genesis is read as the reference normalizes it.
  const rotationKeysOf = (op) => op.rotationKeys ?? [op.recoveryKey, op.signingKey];
  const facts = (op) => {
    if (op?.type === 'plc_operation') {
      return { alsoKnownAs: op.alsoKnownAs, signingKey: op.verificationMethods.atproto ?? null, pds: op.services.atproto_pds?.endpoint ?? null, rotationKeys: op.rotationKeys };
    }
    if (op?.type === 'create') return { alsoKnownAs: [`at://${op.handle}`], signingKey: op.signingKey, pds: op.service, rotationKeys: rotationKeysOf(op) };
    return {};
  };
  const operations = verified.operations.map((summary, index) => {
    const { operation } = log[index];
    const parent = operation.prev === null || operation.prev === undefined ? null : byCid.get(operation.prev);
    // The genesis is signed by one of its own rotation keys, every other operation by one of its parent's.
    const keys = rotationKeysOf(parent ?? operation);
    const before = facts(parent);
    const after = facts(operation);
    const changes = Object.fromEntries(Object.entries(after).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])));
    return { index, ...summary, prev: operation.prev ?? null, signedBy: keys[summary.signedBy] ?? null, changes };
  });
  // What nullified an operation: the first later one whose `prev` is one of its ancestors (a fork
  // there replaced everything after it, this operation included); that ancestor is the fork point.
  // It may itself be nullified later, by a fork further back.
  const prevOf = new Map(operations.map((op) => [op.cid, op.prev]));
  const ancestorsOf = (op) => {
    const ancestors = new Set();
    for (let cid = op.prev; cid !== null && cid !== undefined && !ancestors.has(cid); cid = prevOf.get(cid)) ancestors.add(cid);
    return ancestors;
  };
  const forks = operations.filter((op) => op.nullified).map((op) => {
    const ancestors = ancestorsOf(op);
    const by = operations.find((other) => other.index > op.index && ancestors.has(other.prev));
    return { nullified: op.cid, index: op.index, prev: op.prev, forkPoint: by?.prev ?? null, by: by?.cid ?? null };
  });
  return { state: verified.state, document: verified.document, operations, forks };
}

function printPlcReport(report) {
  console.log(`${report.ok ? 'verified' : 'NOT verified'}: ${report.did}`);
  for (const op of report.operations ?? []) {
    console.log(`  #${op.index} ${op.createdAt} ${op.type} ${op.cid}${op.nullified ? '  NULLIFIED' : ''}`);
    console.log(`      signed by ${op.signedBy}`);
    for (const [name, value] of Object.entries(op.changes)) console.log(`      ${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
    if (Object.keys(op.changes).length === 0) console.log('      (no change)');
  }
  const indexOf = new Map((report.operations ?? []).map((op) => [op.cid, op.index]));
  for (const fork of report.forks ?? []) {
    console.log(`  nullified: #${fork.index} ${fork.nullified}, by #${indexOf.get(fork.by)} ${fork.by} (a fork at #${indexOf.get(fork.forkPoint)})`);
  }
  if (report.document === null) console.log('  deactivated: the log ends in a tombstone');
  else if (report.document) {
    const { handle, signingKey, pds } = parseDidDocument(report.document);
    console.log(`  now: handle ${handle ?? 'none'}, PDS ${pds ?? 'none'}, signing key ${signingKey ?? 'none'}`);
  }
  if (report.checked.length) console.log('checked:');
  for (const line of report.checked) console.log(`  - ${line}`);
  printProblems(report.problems);
}

function printInspectReport(report) {
  console.log(report.bytes === undefined ? `${report.file}:` : `${report.file}: ${formatBytes(report.bytes)}, ${plural(report.blocks, 'block')}, roots ${report.roots.join(', ')}`);
  const commit = report.commit;
  if (commit?.did) console.log(`  commit  DID ${commit.did}, rev ${commit.rev}, version ${commit.version}, data ${commit.data?.$link}`);
  if (report.records !== undefined) console.log(`  ${plural(report.records, 'record')}:`);
  for (const [collection, count] of Object.entries(report.collections ?? {})) console.log(`    ${collection.padEnd(32)}${count}`);
  printProblems(report.problems);
  if (report.selected) console.log(JSON.stringify(report.selected.value, null, 2));
}

// ---- firehose ----

/**
 * Runs the stream until the limit, the duration, Ctrl-C or SIGTERM → the report. A second Ctrl-C
 * exits at once; a second SIGTERM does not (`timeout` signals the whole process group, and the
 * parent process passes it on as well).
 */
async function watchFirehose(url, { cursor, limit, duration, retries, stateFile }, settings, json) {
  // Why a key could not be had, by DID: such an account's events are invalid for that reason.
  const unresolved = new Map();
  const resolveKey = async (did) => {
    try {
      const identity = await resolve(did, settings);
      unresolved.delete(did);
      return identity;
    } catch (e) {
      unresolved.set(did, e.message);
      return null;
    }
  };
  const report = { ok: false, url, cursor: cursor ?? null, frames: 0, seconds: 0, framesPerSecond: 0, byStatus: { valid: 0, invalid: 0, desync: 0, ignored: 0 }, byType: {}, lastSeq: null, accounts: [], problems: [] };
  let verifier;
  try {
    verifier = await step(stateFile === undefined ? 'starting the verifier' : `restoring the state in ${stateFile}`, () => new FirehoseVerifier({
      resolveKey,
      state: stateFile !== undefined && existsSync(stateFile) ? new Uint8Array(readFileSync(stateFile)) : undefined,
    }));
  } catch (e) {
    report.problems.push(problemOf(e));
    return report;
  }
  if (stateFile !== undefined) {
    report.state = { file: stateFile, restoredAccounts: verifier.accounts, savedAccounts: null };
    if (cursor === undefined && verifier.lastSeq !== undefined) report.cursor = cursor = verifier.lastSeq;
  }
  const controller = new AbortController();
  const stop = (signal) => {
    if (controller.signal.aborted && signal === 'SIGINT') process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const timer = duration === undefined ? undefined : setTimeout(() => controller.abort(), duration * 1000);
  const accounts = new Map();
  const started = Date.now();
  const line = process.stderr.isTTY ? progressLine() : undefined;
  try {
    for await (const event of subscribeRepos(url, { cursor, verifier, signal: controller.signal, maxRetries: retries })) {
      report.frames++;
      report.byStatus[event.status]++;
      report.byType[event.type] = (report.byType[event.type] ?? 0) + 1;
      if (event.seq !== undefined) report.lastSeq = event.seq;
      if ((event.status === 'invalid' || event.status === 'desync') && event.did !== undefined) {
        const known = accounts.get(event.did);
        if (known) known.events++;
        else {
          const reason = unresolved.get(event.did);
          const entry = { did: event.did, status: event.status, seq: event.seq, code: reason ? 'identity-resolution' : event.error?.code, message: reason ?? event.error?.message, events: 1 };
          accounts.set(event.did, entry);
          if (!json) { line?.clear(); console.log(`${entry.status} ${entry.did} at seq ${entry.seq}: [${entry.code}] ${entry.message}`); }
        }
      }
      line?.draw(report, started);
      if (limit !== undefined && report.frames >= limit) break;
    }
  } catch (e) {
    report.problems.push({ stage: `reading ${url}`, code: e?.code ?? 'error', message: e?.message ?? String(e) });
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    line?.clear();
  }
  if (stateFile !== undefined) {
    try {
      // Written beside it and renamed over it: a run stopped mid-write leaves the last state whole.
      await step(`writing the state to ${stateFile}`, () => {
        writeFileSync(`${stateFile}.tmp`, verifier.saveState());
        renameSync(`${stateFile}.tmp`, stateFile);
      });
      report.state.savedAccounts = verifier.accounts;
    } catch (e) {
      report.problems.push(problemOf(e));
    }
  }
  verifier.free();
  report.seconds = (Date.now() - started) / 1000;
  report.framesPerSecond = report.seconds > 0 ? Math.round(report.frames / report.seconds) : 0;
  report.accounts = [...accounts.values()];
  if (report.frames === 0 && report.problems.length === 0) report.problems.push({ stage: `reading ${url}`, code: 'no-events', message: `no event arrived from ${url}` });
  report.ok = report.problems.length === 0 && report.accounts.length === 0;
  return report;
}

/** The live counts on stderr (a terminal only). */
function progressLine() {
  let drawn = 0;
  return {
    draw(report, started) {
      const now = Date.now();
      if (now - drawn < 200) return;
      drawn = now;
      const rate = report.frames / Math.max(0.001, (now - started) / 1000);
      const { valid, invalid, desync, ignored } = report.byStatus;
      process.stderr.write(`\r\x1b[K${plural(report.frames, 'frame')} (${rate.toFixed(0)}/s): ${valid} valid, ${invalid} invalid, ${desync} desync, ${ignored} ignored; seq ${report.lastSeq}`);
    },
    clear() {
      process.stderr.write('\r\x1b[K');
    },
  };
}

function printFirehoseReport(report) {
  const { valid, invalid, desync, ignored } = report.byStatus;
  console.log(`${report.url}: ${plural(report.frames, 'frame')} in ${report.seconds.toFixed(2)} s (${report.framesPerSecond}/s), last seq ${report.lastSeq}`);
  console.log(`  ${valid} valid, ${invalid} invalid, ${desync} desync, ${ignored} ignored`);
  console.log(`  by type: ${Object.entries(report.byType).map(([type, n]) => `${type} ${n}`).join(', ') || 'none'}`);
  for (const a of report.accounts) console.log(`  ${a.status} ${a.did}: ${plural(a.events, 'event')}, first at seq ${a.seq}: [${a.code}] ${a.message}`);
  if (report.state !== undefined) {
    const saved = report.state.savedAccounts === null ? 'not saved' : `${plural(report.state.savedAccounts, 'account')} saved`;
    console.log(`  state ${report.state.file}: ${plural(report.state.restoredAccounts, 'account')} restored${report.cursor === null ? '' : `, resumed after seq ${report.cursor}`}; ${saved}`);
  }
  printProblems(report.problems);
}

// ---- verify-repos: the targets and the worker pool ----

/** The targets of verify-repos: a folder's *.car files, or a list file's lines. */
function listTargets(source) {
  let stats;
  try {
    stats = statSync(source);
  } catch (e) {
    throw new UsageError(`${source}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.message}`);
  }
  if (stats.isDirectory()) {
    const files = readdirSync(source).filter((name) => name.endsWith('.car')).sort().map((name) => join(source, name));
    if (files.length === 0) throw new UsageError(`${source} holds no *.car file`);
    return files;
  }
  const base = dirname(resolvePath(source));
  const text = readFileSync(source, 'utf8');
  // A CAR (or any binary file) is not a list: its bytes would be read as lines of garbage.
  if (text.includes('\0') || text.includes('\ufffd')) throw new UsageError(`${source} is not a folder or a list of files and identities${source.endsWith('.car') ? ' (for one CAR: atproof verify-repo)' : ''}`);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0) throw new UsageError(`${source} lists nothing`);
  return lines.map((line) => (isValidDid(line) || (isValidHandle(line) && !line.endsWith('.car')) ? line : resolvePath(base, line)));
}

/** Verifies `targets` in `jobs` worker threads; calls `onReport` as each finishes → the reports in order. */
async function runPool(targets, jobs, shared, onReport) {
  const reports = new Array(targets.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(jobs, targets.length) }, () => new Worker(new URL(import.meta.url), { workerData: shared }));
  try {
    await Promise.all(workers.map((worker) => new Promise((done, fail) => {
      const send = () => {
        if (next >= targets.length) return done();
        const index = next++;
        worker.postMessage({ index, target: targets[index] });
      };
      worker.on('message', ({ index, report }) => {
        reports[index] = report;
        onReport?.(report);
        send();
      });
      worker.on('error', fail);
      send();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return reports;
}

/** A worker of verify-repos: verifies each target it is sent. */
function serveWorker({ settings, resolve: resolveDid }) {
  parentPort.on('message', async ({ index, target }) => {
    const report = await verifyRepoTarget(target, settings, { resolve: resolveDid });
    parentPort.postMessage({ index, report });
  });
}

// ---- keygen: multibase ----

/** Multicodec varints of the private keys: secp256k1-priv (0x1301), p256-priv (0x1306). */
const PRIVATE_KEY_CODECS = { k256: [0x81, 0x26], p256: [0x86, 0x26] };

function base58btc(bytes) {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  let out = '';
  while (value > 0n) { out = alphabet[Number(value % 58n)] + out; value /= 58n; }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

// ---- the command line ----

function mainHelp() {
  return `atproof: verify AT Protocol (Bluesky) data, from the network or from files

Usage: atproof <command> [options]   (atproof <command> --help for more)

${Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.about}`).join('\n')}

${COMMON_HELP}`;
}

/** Runs the command line → the exit code. */
async function main(args) {
  const [name, ...rest] = args;
  if (name === undefined) {
    console.error(mainHelp());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp());
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(`there is no command ${JSON.stringify(name)}`);
    const { values, positionals } = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    if (values.help) {
      console.log(`Usage: atproof ${command.usage}\n\n${command.about}.\n\n${command.help}\n\n${COMMON_HELP}`);
      return 0;
    }
    const [min, max] = command.positionals;
    if (positionals.length < min || positionals.length > max) throw new UsageError(`expected ${command.usage}`);
    if (name === 'firehose' && typeof globalThis.WebSocket !== 'function') return withWebSocket(args);
    const settings = networkSettings(values, process.env);
    const { report, print } = await command.run(positionals, values, settings);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else print(report);
    return report.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof UsageError) && e?.code?.startsWith?.('ERR_PARSE_ARGS') !== true) throw e;
    console.error(`atproof ${name}: ${e.message}\n${command ? `Usage: atproof ${command.usage} (--help for more)` : 'Commands: ' + Object.keys(COMMANDS).join(', ')}`);
    if (args.includes('--json')) console.log(JSON.stringify({ ok: false, problems: [{ stage: 'reading the command line', code: 'usage', message: e.message }] }, null, 2));
    return 2;
  }
}

/** Node 20 has WebSocket only behind a flag: runs this command line again with it → its exit code. */
function withWebSocket(args) {
  const flags = process.allowedNodeEnvironmentFlags;
  if (process.execArgv.includes('--experimental-websocket') || !flags.has('--experimental-websocket')) {
    console.error(`atproof firehose: this Node (${process.version}) has no WebSocket; use Node 20.10 or later`);
    return 1;
  }
  const quiet = flags.has('--disable-warning') ? ['--disable-warning=ExperimentalWarning'] : [];
  const child = spawn(process.execPath, [...process.execArgv, '--experimental-websocket', ...quiet, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  // Ctrl-C reaches both processes (the terminal signals the whole group): this one waits for the
  // child's summary. SIGTERM may reach this one only (kill) or both (timeout): it is passed on, and
  // the child takes a repeated one as the same request to stop.
  const ignore = () => {};
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  return new Promise((done) => child.on('exit', (code, signal) => {
    process.removeListener('SIGINT', ignore);
    process.removeListener('SIGTERM', forward);
    done(code ?? (signal ? 1 : 0));
  }));
}

if (isMainThread) {
  process.exitCode = await main(process.argv.slice(2));
} else {
  serveWorker(workerData);
}
