// Keys and signatures through the package: the interop signature vectors (high-S and DER negatives
// included) with did:key and legacy multibase keys, sync and async; the W3C did:key vectors;
// keypairs (determinism, low-S, high-S twins refused, import/export); WebCrypto signing (every
// runtime has it); DID documents.
import { bytesEqual, fromBase58, fromBase64, hex, rejectsCode, throwsCode, toHex } from './util.mjs';

export const CURVE_ORDER = {
  k256: BigInt('0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141'),
  p256: BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551'),
};

const s = (sig) => BigInt('0x' + toHex(sig.subarray(32)));
/** The other valid signature (r, n − s) of a signature. */
export function highSTwin(sig, curve) {
  const twin = new Uint8Array(sig);
  twin.set(hex((CURVE_ORDER[curve] - s(sig)).toString(16).padStart(64, '0')), 32);
  return twin;
}
const isLowS = (sig, curve) => s(sig) <= CURVE_ORDER[curve] / 2n;

export default async function cryptoSuite(atproof, fixtures, check) {
  const { verifySignature, verifySignatureAsync, parseDidKey, Keypair, parseDidDocument } = atproof;

  const vectors = await fixtures.json('interop/crypto/signature-fixtures.json');
  check('signature-fixtures has 6 cases', vectors.length === 6);
  for (const v of vectors) {
    const data = fromBase64(v.messageBase64);
    const sig = fromBase64(v.signatureBase64);
    for (const key of [v.publicKeyDid, v.publicKeyMultibase]) {
      check(`${v.comment} (${key.slice(0, 12)}…) sync`, verifySignature(key, data, sig) === v.validSignature);
      check(`${v.comment} (${key.slice(0, 12)}…) async`, (await verifySignatureAsync(key, data, sig)) === v.validSignature);
    }
    const parsed = parseDidKey(v.publicKeyDid);
    check(`${v.comment}: parseDidKey`, parsed.algorithm === v.algorithm && parsed.publicKey.length === 33);
  }

  for (const [file, curve] of [['w3c_didkey_K256.json', 'k256'], ['w3c_didkey_P256.json', 'p256']]) {
    const keys = await fixtures.json(`interop/crypto/${file}`);
    check(`${file} has keys`, keys.length > 0);
    for (const k of keys) {
      const privateKey = k.privateKeyBytesHex ? hex(k.privateKeyBytesHex) : fromBase58(k.privateKeyBytesBase58);
      const keypair = Keypair.import(curve, privateKey);
      check(`${file}: ${k.publicDidKey.slice(0, 20)}… did()`, keypair.did() === k.publicDidKey);
      check(`${file}: export round trip`, bytesEqual(keypair.export(), privateKey));
      check(`${file}: parseDidKey algorithm`, parseDidKey(k.publicDidKey).algorithm === (curve === 'k256' ? 'ES256K' : 'ES256'));
    }
  }

  const message = new TextEncoder().encode('atproof signs this');
  for (const curve of ['k256', 'p256']) {
    const keypair = Keypair.generate(curve);
    check(`${curve}: algorithm`, keypair.algorithm === curve);
    const sig = await keypair.sign(message);
    check(`${curve}: 64-byte signature verifies`, sig.length === 64 && verifySignature(keypair.did(), message, sig));
    check(`${curve}: async verification agrees`, await verifySignatureAsync(keypair.did(), message, sig));
    check(`${curve}: deterministic (RFC 6979)`, bytesEqual(await keypair.sign(message), sig));
    let allLow = true;
    let twinsRefused = true;
    for (let i = 0; i < 64; i++) {
      const data = new TextEncoder().encode(`message ${i}`);
      const signature = await keypair.sign(data);
      allLow &&= isLowS(signature, curve);
      const twin = highSTwin(signature, curve);
      twinsRefused &&= !verifySignature(keypair.did(), data, twin) && !(await verifySignatureAsync(keypair.did(), data, twin));
    }
    check(`${curve}: signatures are always low-S`, allLow);
    check(`${curve}: high-S twins are refused, sync and async`, twinsRefused);
    check(`${curve}: wrong data does not verify`, !verifySignature(keypair.did(), new Uint8Array(3), sig));
    check(`${curve}: another key does not verify`, !verifySignature(Keypair.generate(curve).did(), message, sig));
    const copy = Keypair.import(curve, keypair.export());
    check(`${curve}: import(export()) is the same key`, copy.did() === keypair.did());
    for (const bad of [new Uint8Array(32), new Uint8Array(31), new Uint8Array(32).fill(255), hex(CURVE_ORDER[curve].toString(16))]) {
      check(`${curve}: private key ${toHex(bad).slice(0, 8)}… (${bad.length} bytes) refused`, throwsCode(atproof, () => Keypair.import(curve, bad), 'invalid-private-key') === true);
    }
    check(`${curve}: a DER signature is refused`, !verifySignature(keypair.did(), message, hex('3044' + '0220' + toHex(sig.subarray(0, 32)) + '0220' + toHex(sig.subarray(32)))));
  }

  check('Keypair.generate refuses an unknown algorithm', throwsCode(atproof, () => Keypair.generate('ed25519'), 'unsupported-key-type') === true);
  check('verifySignature refuses a number key', throwsCode(atproof, () => verifySignature(42, message, new Uint8Array(64)), 'invalid-argument') === true);
  check('verifySignature refuses string data', throwsCode(atproof, () => verifySignature('did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc', 'data', new Uint8Array(64)), 'invalid-argument') === true);
  check('verifySignature refuses a truncated did:key', throwsCode(atproof, () => verifySignature('did:key:zQ3shqwJEJyMBsBXCWy', message, new Uint8Array(64)), 'unsupported-key-type') === true);
  check('verifySignatureAsync rejects a bad key', (await rejectsCode(atproof, verifySignatureAsync('nope', message, new Uint8Array(64)), 'invalid-multibase')) === true);

  // Every runtime atproof supports has WebCrypto (browsers in a secure context, localhost
  // included): its absence is a failure, not a reason to skip.
  check('WebCrypto (crypto.subtle) is available', Boolean(globalThis.crypto?.subtle));
  if (globalThis.crypto?.subtle) {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const signer = await atproof.webCryptoSigner(pair);
    check('webCryptoSigner did() is a P-256 did:key', parseDidKey(signer.did()).algorithm === 'ES256');
    let ok = true;
    for (let i = 0; i < 32; i++) {
      const sig = await signer.sign(message);
      ok &&= sig.length === 64 && isLowS(sig, 'p256') && verifySignature(signer.did(), message, sig);
    }
    check('webCryptoSigner signatures verify and are low-S (32 tries)', ok);
    check('webCryptoSigner refuses a non-key', (await rejectsCode(atproof, atproof.webCryptoSigner({}), 'invalid-argument')) === true);
    const k256Like = { privateKey: { algorithm: { name: 'ECDSA', namedCurve: 'P-256' } }, publicKey: {} };
    check('webCryptoSigner refuses a pair whose public key does not export', (await rejectsCode(atproof, atproof.webCryptoSigner(k256Like), 'invalid-argument')) === true);
    check('webCryptoSigner sign refuses string data', (await rejectsCode(atproof, signer.sign('data'), 'invalid-argument')) === true);
    // A "private" key that is the public one: WebCrypto refuses to sign, the promise rejects with
    // its error; the signers go on working (their continuations are made once, not per call).
    const unusable = await atproof.webCryptoSigner({ privateKey: pair.publicKey, publicKey: pair.publicKey });
    let refused = false;
    try { await unusable.sign(message); } catch (error) { refused = error instanceof Error; }
    const together = await Promise.all([signer.sign(message), unusable.sign(message).catch(() => null), signer.sign(new Uint8Array(0))]);
    check('webCryptoSigner: a refused signing rejects, and signing goes on', refused && together[1] === null
      && verifySignature(signer.did(), message, together[0]) && verifySignature(signer.did(), new Uint8Array(0), together[2]));
  }

  const did = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
  const k = Keypair.import('k256', hex('9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c'));
  const doc = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    alsoKnownAs: ['at://Atproto.com'],
    verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: k.did().slice('did:key:'.length) }],
    service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://enoki.us-east.host.bsky.network' }],
  };
  const info = parseDidDocument(doc);
  check('parseDidDocument: current did:plc shape', info.did === did && info.handle === 'atproto.com' && info.signingKey === k.did() && info.pds === 'https://enoki.us-east.host.bsky.network');
  check('parseDidDocument: JSON text too', parseDidDocument(JSON.stringify(doc)).signingKey === k.did());
  const bare = parseDidDocument({ id: 'did:web:example.com' });
  check('parseDidDocument: absent facts are null', bare.handle === null && bare.signingKey === null && bare.pds === null);
  const badKey = { ...doc, verificationMethod: [{ ...doc.verificationMethod[0], publicKeyMultibase: 'zNotBase58!' }] };
  check('parseDidDocument: a bad #atproto key throws', throwsCode(atproof, () => parseDidDocument(badKey), 'invalid-multibase') === true);
  check('parseDidDocument: a bad id throws', throwsCode(atproof, () => parseDidDocument({ ...doc, id: 'nope' }), 'invalid-did') === true);
}
