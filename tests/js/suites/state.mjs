// No state leaks from a failed call into the next: the string intern table shared by every call
// that builds JS values (decodeCbor, decodeCborMany, fromJson, verifyRecord) must come out of a
// failure exactly as it went in. Each case uses map keys and $type values this process has never
// seen, so that the failing call is the one that would intern them.
import { bytesEqual, carBlocks, deepEqual, hex, writeCar } from './util.mjs';

let fresh = 0;
/** A key no earlier call of this process has decoded. */
const newKey = (what) => `${what}${Date.now().toString(36)}${(fresh++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** `bytes` with its last byte (an integer 0–23 in the last map entry) replaced by a half float. */
const floatAtTheEnd = (bytes) => Uint8Array.from([...bytes.subarray(0, -1), 0xf9, 0x3c, 0x00]);

/** The AtproofError code `fn` throws, 'none', or the exception itself when it is not an AtproofError. */
function thrown(atproof, fn) {
  try {
    fn();
  } catch (e) {
    return e instanceof atproof.AtproofError ? e.code : e;
  }
  return 'none';
}

/** Runs `fn` while assigning `key` on any plain object throws `marker` (a setter on Object.prototype). */
function withThrowingSetter(key, marker, fn) {
  Object.defineProperty(Object.prototype, key, { set() { throw marker; }, configurable: true });
  try {
    return fn();
  } finally {
    delete Object.prototype[key];
  }
}

export default async function state(atproof, fixtures, check) {
  const { decodeCbor, decodeCborMany, encodeCbor, fromJson, verifyRecord, Keypair, cidForCbor, CidLink } = atproof;

  {
    const key = newKey('k');
    const good = encodeCbor({ [key]: 1 });
    check('decodeCbor: a new key in an invalid value throws', thrown(atproof, () => decodeCbor(floatAtTheEnd(good))) === 'cbor-float');
    check('decodeCbor: the key decodes right after the failure', deepEqual(decodeCbor(good), { [key]: 1 }));
    check('decodeCbor: and again, interned', deepEqual(decodeCbor(good), { [key]: 1 }));
  }
  {
    const type = newKey('com.example.t');
    const record = { $type: type, zzzzzz: 1 }; // keys sort by length: the integer comes last
    const bad = floatAtTheEnd(encodeCbor(record));
    check('decodeCbor: a new $type value in an invalid record throws', thrown(atproof, () => decodeCbor(bad)) === 'cbor-float');
    check('decodeCbor: the $type value decodes right after the failure', decodeCbor(encodeCbor(record)).$type === type);
  }
  {
    const key = newKey('m');
    const good = encodeCbor({ [key]: 'v', [newKey('n')]: [1, 2] });
    const outcome = thrown(atproof, () => decodeCborMany([good, good, hex('f7')]));
    check('decodeCborMany: a batch whose last block is invalid throws', outcome === 'cbor-simple-value');
    check('decodeCborMany: the good blocks\' keys decode right after', deepEqual(decodeCbor(good), decodeCborMany([good])[0]) && decodeCbor(good)[key] === 'v');
  }
  {
    const key = newKey('s');
    const other = newKey('o');
    const value = { [key]: 1, [other]: { [newKey('deep')]: 'x' } };
    const marker = new Error('setter threw');
    const outcome = withThrowingSetter(key, marker, () => thrown(atproof, () => decodeCbor(encodeCbor(value))));
    check('decodeCbor: JS code that throws during the build throws through', outcome === marker);
    check('decodeCbor: every key decodes right after a build that threw', deepEqual(decodeCbor(encodeCbor(value)), value));
    const many = [{ [newKey('a')]: 1 }, { [newKey('b')]: 2, [key]: 3 }];
    const manyOutcome = withThrowingSetter(key, marker, () => thrown(atproof, () => decodeCborMany(many.map(encodeCbor))));
    check('decodeCborMany: JS code that throws during the build throws through', manyOutcome === marker);
    check('decodeCborMany: every key decodes right after', deepEqual(decodeCborMany(many.map(encodeCbor)), many));
  }
  {
    const key = newKey('j');
    const json = { $type: newKey('com.example.j'), [key]: { $link: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm' } };
    const marker = new Error('setter threw');
    const outcome = withThrowingSetter(key, marker, () => thrown(atproof, () => fromJson(json)));
    check('fromJson: JS code that throws during the build throws through', outcome === marker);
    const value = fromJson(json);
    check('fromJson: every key decodes right after', value[key] instanceof CidLink && value.$type === json.$type);
  }
  {
    // A one-record repository signed here, whose record has keys and a $type never seen before.
    const keypair = Keypair.generate('k256');
    const did = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';
    const key = newKey('r');
    const record = { $type: newKey('com.example.rec'), [key]: 'hello' };
    const recordBytes = encodeCbor(record);
    const collection = 'com.example.rec';
    const rkey = '3jzfcijpj2z2a';
    const node = encodeCbor({ e: [{ k: new TextEncoder().encode(`${collection}/${rkey}`), p: 0, t: null, v: new CidLink(cidForCbor(recordBytes)) }], l: null });
    const unsigned = { did, version: 3, data: new CidLink(cidForCbor(node)), rev: '3jzfcijpj2z2a', prev: null };
    const commit = encodeCbor({ ...unsigned, sig: await keypair.sign(encodeCbor(unsigned)) });
    const car = buildCar(atproof, [commit, node, recordBytes]);
    const options = { did, key: keypair.did(), collection, rkey };
    const marker = new Error('setter threw');
    const outcome = withThrowingSetter(key, marker, () => thrown(atproof, () => verifyRecord(car, options)));
    check('verifyRecord: JS code that throws while the record is built throws through', outcome === marker);
    const proven = verifyRecord(car, options);
    check('verifyRecord: the record decodes right after', deepEqual(proven.record, record) && proven.cid === cidForCbor(recordBytes));
    check('verifyRecord: the test CAR is what the test meant', carBlocks(car).length === 3 && bytesEqual(carBlocks(car)[0].bytes, commit));
  }
  {
    // Interleaved: failures of every kind between successes, each success checked in full.
    const values = Array.from({ length: 50 }, (_, i) => ({ [newKey('i')]: i, $type: newKey('com.example.i'), list: [newKey('v')] }));
    let right = 0;
    for (const [i, value] of values.entries()) {
      const bytes = encodeCbor(value);
      if (i % 3 === 0) thrown(atproof, () => decodeCbor(floatAtTheEnd(encodeCbor({ ...value, zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz: 1 }))));
      if (i % 3 === 1) thrown(atproof, () => decodeCborMany([bytes, hex('c100')]));
      if (i % 3 === 2) withThrowingSetter('list', new Error(), () => thrown(atproof, () => decodeCbor(bytes)));
      if (deepEqual(decodeCbor(bytes), value) && deepEqual(decodeCborMany([bytes, bytes]), [value, value])) right++;
    }
    check('interleaved failures and successes: every success is right', right === values.length, `${right}/${values.length}`);
  }
}

/** A CAR of the given DRISL blocks, the first one its root. */
function buildCar(atproof, blocks) {
  const cidBytes = (bytes) => cidToBytes(atproof.cidForCbor(bytes));
  const header = atproof.encodeCbor({ roots: [new atproof.CidLink(atproof.cidForCbor(blocks[0]))], version: 1 });
  return writeCar(header, blocks.map((bytes) => ({ cidBytes: cidBytes(bytes), bytes })));
}

/** The binary form of a base32 CID string ('b' + RFC 4648 base32, lower case, no padding). */
function cidToBytes(cid) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const out = [];
  let value = 0, bits = 0;
  for (const c of cid.slice(1)) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Uint8Array.from(out);
}
