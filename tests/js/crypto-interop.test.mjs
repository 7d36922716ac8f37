// Cross-implementation: atproof against the reference @atproto/crypto (a dev dependency), same keys,
// same data. Both sign with RFC 6979 and low-S, so the signatures must be byte-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as atproof from 'atproof';
import { P256Keypair, Secp256k1Keypair, verifySignature as referenceVerify } from '@atproto/crypto';
import { highSTwin } from './suites/crypto.mjs';

const REFERENCE = { k256: Secp256k1Keypair, p256: P256Keypair };

for (const curve of ['k256', 'p256']) {
  test(`${curve}: same signatures as @atproto/crypto, and each verifies the other's`, async () => {
    for (let k = 0; k < 8; k++) {
      const ours = atproof.Keypair.generate(curve);
      const theirs = await REFERENCE[curve].import(ours.export(), { exportable: true });
      assert.equal(theirs.did(), ours.did());
      for (let i = 0; i < 16; i++) {
        const data = crypto.getRandomValues(new Uint8Array(1 + ((k * 16 + i) % 200)));
        const ourSig = await ours.sign(data);
        const theirSig = await theirs.sign(data);
        assert.deepEqual(ourSig, theirSig, 'RFC 6979 signatures differ');
        assert.ok(await referenceVerify(ours.did(), data, ourSig), '@atproto/crypto rejects our signature');
        assert.ok(atproof.verifySignature(theirs.did(), data, theirSig), 'we reject @atproto/crypto\'s signature');
        assert.ok(await atproof.verifySignatureAsync(theirs.did(), data, theirSig));
        const twin = highSTwin(theirSig, curve);
        assert.equal(atproof.verifySignature(ours.did(), data, twin), false, 'high-S twin accepted');
        assert.equal(await atproof.verifySignatureAsync(ours.did(), data, twin), false, 'high-S twin accepted (async)');
      }
    }
  });
}

// Verification runs in the wasm module on both curves (libsecp256k1 for k256, atproof's own code for
// P-256): hold the built package to the reference on signatures that must fail as well as pass. Three
// rounds a key: a P-256 key's second successful verification builds its tables of multiples, so the
// later rounds check that path, failures interleaved with successes.
for (const curve of ['k256', 'p256']) {
  test(`${curve}: verification agrees with @atproto/crypto on valid, altered and random signatures`, async () => {
    for (let k = 0; k < 24; k++) {
      const keypair = await REFERENCE[curve].create();
      const did = keypair.did();
      const data = crypto.getRandomValues(new Uint8Array(1 + k * 7));
      const sig = await keypair.sign(data);
      const altered = data.slice();
      altered[k % altered.length] ^= 1 << (k % 8);
      const flipped = sig.slice();
      flipped[k] ^= 0x40;
      const garbage = crypto.getRandomValues(new Uint8Array(64));
      garbage[32] &= 0x7f; // low S, so that it reaches the curve arithmetic
      const cases = [
        ['altered data', altered, sig, false],
        ['valid', data, sig, true],
        ['flipped signature bit', data, flipped, false],
        ['random signature', data, garbage, false],
        ['another key\'s signature', data, await (await REFERENCE[curve].create()).sign(data), false],
      ];
      for (let round = 0; round < 3; round++) {
        for (const [what, bytes, signature, expected] of cases) {
          assert.equal(await referenceVerify(did, bytes, signature), expected, `@atproto/crypto: ${what}`);
          assert.equal(atproof.verifySignature(did, bytes, signature), expected, `${what} (round ${round})`);
          assert.equal(await atproof.verifySignatureAsync(did, bytes, signature), expected, `${what} (async, round ${round})`);
        }
      }
    }
  });
}
