// did:plc audit logs through the package: every log of go-didplc's test data with its expected
// outcome (the invalid ones refused with the code of their rule), the document of a valid one,
// the log given as text and as parsed JSON, and altered logs.
import { throwsCode } from './util.mjs';

export default async function identity(atproof, fixtures, check) {
  const { verifyPlcLog } = atproof;
  const expected = await fixtures.json('plc/expected.json');
  const CODES = expected.codes;
  check('plc fixtures: 8 valid and 9 invalid logs', expected.valid.length === 8 && expected.invalid.length === 9);
  for (const name of expected.valid) {
    const log = await fixtures.json(`plc/${name}`);
    let outcome;
    try {
      const verified = verifyPlcLog(log[0].did, log);
      outcome = verified.did === log[0].did && verified.operations.every((op, i) => op.cid === log[i].cid && op.nullified === log[i].nullified) ? true : 'different operations';
    } catch (e) {
      outcome = `${e.code} ${e.message}`;
    }
    check(`verifyPlcLog accepts ${name}`, outcome === true, outcome);
  }
  for (const name of expected.invalid) {
    const log = await fixtures.json(`plc/${name}`);
    const outcome = throwsCode(atproof, () => verifyPlcLog(log[0].did, JSON.stringify(log)), CODES[name]);
    check(`verifyPlcLog refuses ${name} with ${CODES[name]}`, outcome === true, outcome);
  }
  // verifyPlcLogAsync (the same verification as a promise): the same outcome on every fixture log,
  // and on a log whose P-256 signature was tampered with.
  const outcome = async (call) => { try { return JSON.stringify(await call()); } catch (e) { return e.code ?? String(e); } };
  let same = 0;
  const names = [...expected.valid, ...expected.invalid];
  for (const name of names) {
    const text = JSON.stringify(await fixtures.json(`plc/${name}`));
    const did = JSON.parse(text)[0].did;
    const sync = await outcome(() => verifyPlcLog(did, text));
    const viaAsync = await outcome(() => atproof.verifyPlcLogAsync(did, text));
    if (sync === viaAsync) same++;
    else check(`verifyPlcLogAsync agrees on ${name}`, false, `${sync.slice(0, 80)} / ${viaAsync.slice(0, 80)}`);
  }
  check('verifyPlcLogAsync agrees with verifyPlcLog on every fixture log', same === names.length, `${same}/${names.length}`);
  // An update signed with the genesis's P-256 rotation key, its signature altered and its `cid`
  // made to match again: only the signature check can refuse it.
  const p256 = await fixtures.json('plc/log_empty_rotation_keys.json');
  const forged = structuredClone(p256);
  const sig = forged[1].operation.sig;
  forged[1].operation.sig = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
  forged[1].cid = atproof.cidForValue(forged[1].operation);
  const forgedSync = await outcome(() => verifyPlcLog(forged[0].did, forged));
  check('verifyPlcLogAsync refuses a forged P-256 signature as verifyPlcLog does', forgedSync === 'bad-signature' && forgedSync === await outcome(() => atproof.verifyPlcLogAsync(forged[0].did, forged)), forgedSync);

  const log = await fixtures.json('plc/log_bskyapp.json');
  const verified = verifyPlcLog(log[0].did, JSON.stringify(log));
  const doc = verified.document;
  check('the document is the one the directory serves', doc.id === log[0].did && doc['@context'][0] === 'https://www.w3.org/ns/did/v1'
    && doc.verificationMethod[0].id === `${log[0].did}#atproto` && doc.verificationMethod[0].type === 'Multikey' && doc.service[0].id === '#atproto_pds');
  check('its atproto facts parse', atproof.parseDidDocument(doc).signingKey === verified.state.verificationMethods.atproto);
  const tombstone = await fixtures.json('plc/log_tombstone.json');
  const dead = verifyPlcLog(tombstone[0].did, tombstone);
  check('a tombstoned DID has no state and no document', dead.state === null && dead.document === null);
  const altered = structuredClone(log);
  altered[0].operation.alsoKnownAs = ['at://evil.example'];
  check('an altered operation is refused', throwsCode(atproof, () => verifyPlcLog(log[0].did, altered), 'cid-mismatch') === true);
  check('another DID is refused', throwsCode(atproof, () => verifyPlcLog('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', log), 'did-mismatch') === true);
  check('a non-log is refused', throwsCode(atproof, () => verifyPlcLog(log[0].did, '{}'), 'invalid-plc-log') === true);
  // compareAuditLogs: the nullification log's copies as a directory and a mirror might hold them.
  const forked = await fixtures.json('plc/log_nullification.json');
  const copy = (picked) => picked.map((i) => ({ ...forked[i], nullified: false }));
  check('compareAuditLogs: identical', atproof.compareAuditLogs(forked, JSON.stringify(forked)).relation === 'identical');
  const prefix = atproof.compareAuditLogs(copy([0]), copy([0, 1]));
  check('compareAuditLogs: a prefix', prefix.relation === 'prefix' && prefix.longer === 'b' && prefix.extra === 1);
  const fork = atproof.compareAuditLogs(copy([0, 1]), copy([0, 2]));
  check('compareAuditLogs: a fork, and which side the other allows', fork.relation === 'fork' && fork.at === 1 && fork.common === forked[0].cid && fork.aAllowedByB === false && fork.bAllowedByA === true);
  check('compareAuditLogs: an invalid copy is an error naming it', (() => {
    try { atproof.compareAuditLogs(forked, '[]'); } catch (e) { return e.code === 'invalid-plc-log' && e.message.startsWith('log b'); }
    return false;
  })());
  check('a bad DID argument is refused', throwsCode(atproof, () => verifyPlcLog(42, log), 'invalid-argument') === true);
}
