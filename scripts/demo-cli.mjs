// The main job's second half: the command line (pkg/cli.js) on the built-in samples — a repository
// file, then accounts, a did:plc history and a firehose replay served by loopback stand-ins of the
// network (tests/js/standins.mjs: a PDS, a PLC directory, DNS-over-HTTPS, a relay), so that it runs
// without the Internet. Each command's own output is shown; any command that does not exit 0 fails
// the job. Run through scripts/demo.sh.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startStandins } from '../tests/js/standins.mjs';

const root = new URL('../', import.meta.url);
const sample = 'tests/fixtures/generated/repo-1000-s1-k256';
const { signingKey } = JSON.parse(readFileSync(new URL(`${sample}.json`, root), 'utf8'));
const net = await startStandins();
const env = { ...process.env, ATPROOF_PLC_URL: net.urls.plc, ATPROOF_DOH_URL: net.urls.doh, ATPROOF_HOST_URL: net.urls.hostUrl };

/** Runs `atproof <args>` (the package's bin) with its output shown; resolves to its exit code. */
function atproof(args) {
  console.log(`\n$ atproof ${args.join(' ')}`);
  const child = spawn(process.execPath, ['pkg/cli.js', ...args], { cwd: root, env, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

console.log('\nThe command line (pkg/cli.js), on the samples and on loopback stand-ins of the network:');
const { alice, bob } = net.accounts;
const codes = [];
try {
  codes.push(await atproof(['verify-repo', `${sample}.car`, '--key', signingKey]));
  codes.push(await atproof(['inspect', `${sample}.car`, 'app.bsky.actor.profile/self']));
  codes.push(await atproof(['verify-repo', alice.handle]));
  codes.push(await atproof(['verify-record', bob.records[0].uri]));
  codes.push(await atproof(['verify-plc', bob.did]));
  codes.push(await atproof(['firehose', net.urls.relay, '--limit', '200']));
} finally {
  await net.close();
}
const failed = codes.filter((code) => code !== 0).length;
console.log(`\ncommand line: ${codes.length - failed} of ${codes.length} commands verified everything`);
console.log('The demo page: sh www/build.sh && node www/serve.mjs, then open http://127.0.0.1:8080/');
process.exit(failed === 0 ? 0 : 1);
