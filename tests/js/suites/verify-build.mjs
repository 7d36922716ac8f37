// atproof/verify, the verify-only build, against the full build: it exports the verification API
// and nothing of signing, writing, encoding or did:plc; its errors and links are the full build's
// classes (one `instanceof` for both); it decodes and verifies as the full build does.

/** What only the full build has. */
export const FULL_ONLY = [
  'Keypair', 'WebCryptoSigner', 'webCryptoSigner', 'Repo', 'RepoState', 'RepoExport', 'createRecord', 'blobRef',
  'encodeCbor', 'cidForValue', 'fromJson', 'toJson', 'verifyPlcLog', 'verifyPlcLogAsync', 'compareAuditLogs', 'resolveIdentity',
];

/** What the verify-only build must have (README "Two builds"). */
const VERIFY_API = [
  'init', 'initSync', 'createInstance', 'wasmMemoryBytes', 'AtproofError', 'CidLink', 'RepoRecords', 'Tid', 'AtUri',
  'isValidHandle', 'isValidDid', 'isValidNsid', 'isValidAtUri', 'isValidTid', 'isValidRecordKey', 'isValidDatetime', 'isValidCid',
  'decodeCbor', 'decodeCborMany', 'validateCbor', 'cidForCbor', 'parseDidKey', 'verifySignature', 'verifySignatureAsync', 'parseDidDocument',
  'readCar', 'readCarStream', 'CarReader', 'verifyRepo', 'verifyRepoStream', 'RepoVerifier', 'verifyRecord', 'recordProof',
  'decodeFrame', 'verifyCommit', 'verifySync', 'FirehoseState', 'FirehoseVerifier', 'subscribeRepos',
];

/** The suite, for the two builds' modules as users import them. */
export function verifyBuildSuite(verify, full) {
  return async (_atproof, fixtures, check) => {
    const names = Object.keys(verify);
    check('atproof/verify exports only what the full build exports', names.every((n) => n in full), names.filter((n) => !(n in full)).join(' '));
    check('atproof/verify has none of signing, writing, encoding or did:plc', FULL_ONLY.every((n) => !(n in verify)), FULL_ONLY.filter((n) => n in verify).join(' '));
    check('atproof/verify has the whole verification API', VERIFY_API.every((n) => n in verify), VERIFY_API.filter((n) => !(n in verify)).join(' '));
    check('the full build has everything atproof/verify lacks', FULL_ONLY.every((n) => n in full));
    check('one AtproofError and one CidLink class for both builds', verify.AtproofError === full.AtproofError && verify.CidLink === full.CidLink);

    const car = await fixtures.bytes('generated/repo-1000-s1-k256.car');
    const meta = await fixtures.json('generated/repo-1000-s1-k256.json');
    const a = verify.verifyRepo(car, { did: meta.did, key: meta.signingKey });
    const b = full.verifyRepo(car, { did: meta.did, key: meta.signingKey });
    check('both builds verify a repository alike', a.commit === b.commit && a.records.length === b.records.length && [...a.records].every((r, i) => r.cid === b.records.at(i).cid && r.path === b.records.at(i).path));
    const [, bytes] = [...verify.readCar(car).blocks].at(-1);
    const decoded = verify.decodeCbor(bytes);
    check('a block decoded by atproof/verify encodes back to its bytes with the full build', full.cidForValue(decoded) === full.cidForCbor(bytes));
    try {
      verify.decodeCbor(new Uint8Array([0xa1, 0x61, 0x61]));
      check('atproof/verify throws on a truncated map', false);
    } catch (e) {
      check('atproof/verify throws an AtproofError with the full build\'s code', e instanceof full.AtproofError && e.code === 'cbor-truncated', String(e));
    }
  };
}
