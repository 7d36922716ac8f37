// Builds JS values from the flat description ("tape") that the wasm side writes while it decodes
// DRISL (see data_model.rs for the format). One call per value: the wasm side hands over a view of
// its op buffer, all new strings as one JS string (decoded from UTF-8 once), and a view of the input.
// Map keys and other repeated short strings are interned: the wasm side numbers them, and this
// module keeps the JS strings in `interned`, so each is decoded once per process, not per value.

/** A CID link in a decoded value (DRISL tag 42). `JSON.stringify` gives atproto JSON: {"$link": …}. */
export class CidLink {
  /** @param {string} cid the CID string (base32, "bafy…") */
  constructor(cid) {
    this.$link = cid;
  }
  toString() {
    return this.$link;
  }
  toJSON() {
    return { $link: this.$link };
  }
}

const interned = [];

// Op codes: keep in sync with `Op` in data_model.rs.
const NULL = 0, TRUE = 1, FALSE = 2, INT32 = 3, INT53 = 4, INT64 = 5, STRING = 6, INTERNED = 7,
  INTERN = 8, BYTES = 9, LINK = 10, ARRAY = 11, MAP = 12;

export function materialize(ops, text, input) {
  let at = 0;
  const string = () => {
    const op = ops[at++];
    if (op === INTERNED) return interned[ops[at++]];
    if (op === INTERN) {
      const id = ops[at++];
      const s = text.substring(ops[at++], ops[at++]);
      interned[id] = s;
      return s;
    }
    return text.substring(ops[at++], ops[at++]); // STRING
  };
  const value = () => {
    switch (ops[at]) {
      case NULL: at++; return null;
      case TRUE: at++; return true;
      case FALSE: at++; return false;
      case INT32: at += 2; return ops[at - 1] | 0;
      case INT53: at += 3; return (ops[at - 1] | 0) * 4294967296 + ops[at - 2];
      case INT64: at += 3; return BigInt.asIntN(64, (BigInt(ops[at - 1]) << 32n) | BigInt(ops[at - 2]));
      case STRING: case INTERNED: case INTERN: return string();
      case BYTES: at += 3; return input.slice(ops[at - 2], ops[at - 2] + ops[at - 1]);
      case LINK: at += 3; return new CidLink(text.substring(ops[at - 2], ops[at - 1]));
      case ARRAY: {
        const n = ops[at + 1];
        at += 2;
        const array = new Array(n);
        for (let i = 0; i < n; i++) array[i] = value();
        return array;
      }
      default: { // MAP
        const n = ops[at + 1];
        at += 2;
        const object = {};
        for (let i = 0; i < n; i++) {
          const key = string();
          if (key === '__proto__') Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
          else object[key] = value();
        }
        return object;
      }
    }
  };
  return value();
}
