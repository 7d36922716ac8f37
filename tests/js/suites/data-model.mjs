// The data model through the package: the interop data-model vectors in full, a corpus of
// malformed and non-canonical encodings (one per rule and limit, each with its code), what
// encodeCbor refuses, and every block of the reference-made repositories decoding, re-encoding
// byte for byte and hashing to its CID.
import { bytesEqual, carBlocks, deepEqual, fromBase64, hex, throwsCode } from './util.mjs';

/** [hex, expected code, what] — each breaks exactly one DRISL rule or limit. */
export const MALFORMED = [
  ['a2616101616101', 'cbor-duplicate-map-key', 'duplicate key'],
  ['a2616201616101', 'cbor-map-key-order', 'keys out of bytewise order'],
  ['a262616101616201', 'cbor-map-key-order', 'longer key before shorter'],
  ['a10101', 'cbor-non-string-key', 'integer key'],
  ['1805', 'non-canonical-cbor', 'integer not in shortest form'],
  ['780161', 'non-canonical-cbor', 'string length not in shortest form'],
  ['9f01ff', 'cbor-indefinite-length', 'indefinite-length array'],
  ['7f6161ff', 'cbor-indefinite-length', 'indefinite-length string'],
  ['f93c00', 'cbor-float', 'half float'],
  ['fa3f800000', 'cbor-float', 'single float'],
  ['fb3ff0000000000000', 'cbor-float', 'double float'],
  ['f7', 'cbor-simple-value', 'undefined'],
  ['f0', 'cbor-simple-value', 'simple value 16'],
  ['c100', 'cbor-unsupported-tag', 'tag 1'],
  ['d82a01', 'cbor-invalid-cid-link', 'tag 42 on an integer'],
  ['d82a582501711220' + '00'.repeat(32) + '00', 'cbor-invalid-cid-link', 'tag 42 without the 0x00 prefix'],
  ['d82a58250001551220' + '00'.repeat(31), 'cbor-truncated', 'tag 42 byte string cut short'],
  ['d82a58250001701220' + '00'.repeat(32), 'cid-unsupported', 'tag 42 with a dag-pb CID'],
  ['62c328', 'cbor-invalid-unicode', 'invalid UTF-8'],
  ['0101', 'cbor-trailing-bytes', 'two top-level items'],
  ['626161'.slice(0, 4), 'cbor-truncated', 'string cut short'],
  ['', 'cbor-truncated', 'empty input'],
  ['1c', 'invalid-cbor', 'reserved additional info'],
  ['ff', 'invalid-cbor', 'stray break'],
  ['1bffffffffffffffff', 'cbor-integer-range', 'integer above 2^63−1'],
  ['9b0000000100000000', 'limit-exceeded', 'array claiming 2^32 items'],
  ['81'.repeat(33) + '01', 'limit-exceeded', 'nested 33 deep'],
  ['7a00010000' + '61'.repeat(10), 'cbor-truncated', 'string claiming 64 KiB in 15 bytes'],
];

export default async function dataModel(atproof, fixtures, check) {
  const { decodeCbor, encodeCbor, cidForCbor, cidForValue, fromJson, toJson, validateCbor, CidLink } = atproof;

  const vectors = await fixtures.json('interop/data-model/data-model-fixtures.json');
  check('data-model-fixtures has entries', vectors.length === 3);
  for (const [i, { json, cbor_base64, cid }] of vectors.entries()) {
    const bytes = fromBase64(cbor_base64);
    check(`fixture ${i}: toJson(decodeCbor(cbor)) deep-equals json`, deepEqual(toJson(decodeCbor(bytes)), json));
    check(`fixture ${i}: encodeCbor(fromJson(json)) equals cbor`, bytesEqual(encodeCbor(fromJson(json)), bytes));
    check(`fixture ${i}: fromJson of JSON text too`, bytesEqual(encodeCbor(fromJson(JSON.stringify(json))), bytes));
    check(`fixture ${i}: cidForCbor`, cidForCbor(bytes) === cid);
    check(`fixture ${i}: cidForValue`, cidForValue(fromJson(json)) === cid && cidForValue(decodeCbor(bytes)) === cid);
    check(`fixture ${i}: encodeCbor(decodeCbor(b)) is b`, bytesEqual(encodeCbor(decodeCbor(bytes)), bytes));
  }
  const valid = await fixtures.json('interop/data-model/data-model-valid.json');
  for (const { note, json } of valid) {
    let ok = false;
    try {
      ok = deepEqual(toJson(decodeCbor(encodeCbor(fromJson(json)))), json);
    } catch (e) {
      ok = String(e);
    }
    check(`valid: ${note}`, ok === true, ok);
  }
  const invalid = await fixtures.json('interop/data-model/data-model-invalid.json');
  for (const { note, json } of invalid) {
    let outcome = 'accepted';
    try {
      fromJson(json);
    } catch (e) {
      outcome = e instanceof atproof.AtproofError ? true : String(e);
    }
    check(`invalid rejected with an AtproofError: ${note}`, outcome === true, outcome);
  }
  check('data-model-valid/invalid have entries', valid.length === 5 && invalid.length === 12);

  for (const [input, code, what] of MALFORMED) {
    const bytes = hex(input);
    const outcome = throwsCode(atproof, () => decodeCbor(bytes), code);
    check(`decodeCbor rejects ${what} with ${code}`, outcome === true, outcome);
    check(`validateCbor rejects ${what} with ${code}`, throwsCode(atproof, () => validateCbor(bytes), code) === true);
    check(`decoding works after ${what}`, decodeCbor(hex('a1616101')).a === 1);
  }

  const refused = [
    [1.5, 'cbor-float'], [NaN, 'cbor-float'], [Infinity, 'cbor-float'], [2 ** 53, 'unsafe-integer'],
    [-(2 ** 53), 'unsafe-integer'], [[undefined], 'invalid-value'], [new Date(0), 'invalid-value'],
    [new Map(), 'invalid-value'], [() => 1, 'invalid-value'], [Symbol('s'), 'invalid-value'],
    [2n ** 63n, 'cbor-integer-range'], ['\ud800', 'invalid-value'], [{ a: { ['x\udc00']: 1 } }, 'invalid-value'], [{ a: { b: [1.25] } }, 'cbor-float'],
    [new CidLink('not-a-cid'), 'invalid-cid'], [JSON.parse('[' + '['.repeat(40) + ']'.repeat(41)), 'limit-exceeded'],
  ];
  for (const [value, code] of refused) {
    const outcome = throwsCode(atproof, () => encodeCbor(value), code);
    check(`encodeCbor refuses ${String(value?.constructor?.name ?? typeof value)} with ${code}`, outcome === true, outcome);
  }
  // A plain { $link } object (atproto JSON's form, @atcute's value form) is the link it means.
  const linkCid = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
  check('a { $link } object encodes as the link', bytesEqual(encodeCbor({ ref: { $link: linkCid } }), encodeCbor({ ref: new CidLink(linkCid) })) && cidForValue({ $link: linkCid }) === cidForValue(new CidLink(linkCid)));
  for (const [value, what] of [[{ $link: linkCid, other: 1 }, 'another key'], [{ $link: 'not-a-cid' }, 'no CID'], [{ $link: 42 }, 'no string']]) {
    check(`a { $link } object with ${what} is refused`, throwsCode(atproof, () => encodeCbor({ ref: value }), 'json-invalid-link') === true);
  }
  // So is a plain { $bytes } object: the bytes its base64 holds (padding optional, as in atproto JSON).
  check('a { $bytes } object encodes as the bytes', bytesEqual(encodeCbor({ sig: { $bytes: 'AAEC/w==' } }), encodeCbor({ sig: new Uint8Array([0, 1, 2, 255]) })) && cidForValue({ $bytes: 'AAEC/w' }) === cidForValue(new Uint8Array([0, 1, 2, 255])));
  for (const [value, what] of [[{ $bytes: 'AAEC', other: 1 }, 'another key'], [{ $bytes: 'AA-_' }, 'URL-safe base64'], [{ $bytes: 'A' }, 'a cut quantum'], [{ $bytes: [0] }, 'no string']]) {
    check(`a { $bytes } object with ${what} is refused`, throwsCode(atproof, () => encodeCbor({ sig: value }), 'json-invalid-bytes') === true);
  }
  const cyclic = {};
  cyclic.self = cyclic;
  check('encodeCbor refuses a cycle', throwsCode(atproof, () => encodeCbor(cyclic), 'limit-exceeded') === true);
  check('undefined properties are left out', bytesEqual(encodeCbor({ a: undefined }), hex('a0')));
  check('keys are sorted canonically', bytesEqual(encodeCbor({ b: 1, aa: 2, a: 3 }), hex('a3616103616201626161' + '02')));
  const big = decodeCbor(encodeCbor({ n: 2n ** 62n, m: -(2n ** 63n), s: 2 ** 53 - 1 }));
  check('64-bit integers beyond 2^53 decode as bigints', big.n === 2n ** 62n && big.m === -(2n ** 63n) && big.s === 2 ** 53 - 1);
  const withProto = decodeCbor(hex('a1695f5f70726f746f5f5f01'));
  check('a "__proto__" key is an own property, not a prototype', Object.hasOwn(withProto, '__proto__') && Object.getPrototypeOf(withProto) === Object.prototype);
  const mixed = { $type: 'app.тест', 'ключ': ['é', 'plain', 'ü🦋x', ''], a: 'ascii after wide', ja: '日本語' };
  for (let i = 0; i < 2; i++) { // the second time the keys and $type are interned
    check(`ASCII and non-ASCII strings and keys decode (${i})`, deepEqual(decodeCbor(encodeCbor(mixed)), mixed) && deepEqual(atproof.decodeCborMany([encodeCbor(mixed), encodeCbor({ b: 'ß' })]), [mixed, { b: 'ß' }]));
  }
  check('decodeCbor refuses a string argument', throwsCode(atproof, () => decodeCbor('a1'), 'invalid-argument') === true);
  check('decodeCborMany names the bad block', (() => {
    try {
      atproof.decodeCborMany([hex('01'), hex('a1616101'), hex('f7')]);
    } catch (e) {
      return e.code === 'cbor-simple-value' && e.message.includes('blocks[2]');
    }
    return false;
  })());
  check('decodeCborMany refuses a non-array', throwsCode(atproof, () => atproof.decodeCborMany(hex('01')), 'invalid-argument') === true);
  check('decodeCborMany of nothing is []', atproof.decodeCborMany([]).length === 0);
  check('decodeCbor refuses 6 MB', throwsCode(atproof, () => decodeCbor(new Uint8Array(6 << 20)), 'limit-exceeded') === true);

  for (const name of ['repo-1000-s1-k256.car']) {
    const blocks = carBlocks(await fixtures.bytes(`generated/${name}`));
    let decoded = 0, reencoded = 0, hashed = 0, links = 0;
    for (const { cid, bytes } of blocks) {
      const value = decodeCbor(bytes);
      decoded++;
      if (bytesEqual(encodeCbor(value), bytes)) reencoded++;
      if (cidForCbor(bytes) === cid) hashed++;
      if (value?.subject?.cid instanceof CidLink || value?.l instanceof CidLink) links++;
    }
    check(`${name}: ${blocks.length} blocks decode`, decoded === blocks.length && blocks.length > 1000);
    check(`${name}: every block re-encodes byte for byte`, reencoded === blocks.length, `${reencoded}/${blocks.length}`);
    check(`${name}: every block hashes to its CID`, hashed === blocks.length, `${hashed}/${blocks.length}`);
    check(`${name}: links decode as CidLink`, links > 100);
    const many = atproof.decodeCborMany(blocks.map((b) => b.bytes));
    check(`${name}: decodeCborMany gives the same values as decodeCbor`, many.length === blocks.length && blocks.every((b, i) => deepEqual(many[i], decodeCbor(b.bytes))));
  }
}
