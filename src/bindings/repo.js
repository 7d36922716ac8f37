// The JS shapes of CAR and repository results, built from a few buffers the wasm side fills:
// one text of CID strings (and record paths), handed over as a view of its bytes in wasm memory and
// decoded here at once, and one array of numbers. The text is ASCII (base32 CIDs; MST keys allow
// only A-Za-z0-9.-_:~/), so the fastest Latin-1 decoder gives the same string as UTF-8.

import { asciiString } from './values.js';

/**
 * The records of a verified repository, in MST key order: iterable, indexable, with `.length`.
 * All paths and CIDs live in one string; each `{ path, cid }` is made when asked for, so listing
 * 100,000 records costs one string decode, not 200,000.
 */
export class RepoRecords {
  #text;
  #pathEnds;
  #cidsAt;
  constructor(text, pathEnds) {
    this.#text = asciiString(text);
    this.#pathEnds = pathEnds;
    this.#cidsAt = pathEnds.length === 0 ? 0 : pathEnds[pathEnds.length - 1];
  }
  /** The number of records. */
  get length() {
    return this.#pathEnds.length;
  }
  /** The record at `index` (key order): `{ path, cid }`, or undefined. */
  at(index) {
    const ends = this.#pathEnds;
    if (index < 0) index += ends.length;
    if (!(index >= 0 && index < ends.length)) return undefined;
    const start = index === 0 ? 0 : ends[index - 1];
    const cid = this.#cidsAt + 59 * index;
    return { path: this.#text.substring(start, ends[index]), cid: this.#text.substring(cid, cid + 59) };
  }
  /** The CID of the record at `path` (`collection/rkey`), or undefined (binary search). */
  get(path) {
    const ends = this.#pathEnds;
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const candidate = this.#text.substring(middle === 0 ? 0 : ends[middle - 1], ends[middle]);
      if (candidate < path) low = middle + 1;
      else if (candidate > path) high = middle;
      else return this.#text.substring(this.#cidsAt + 59 * middle, this.#cidsAt + 59 * middle + 59);
    }
    return undefined;
  }
  *[Symbol.iterator]() {
    const ends = this.#pathEnds;
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const cid = this.#cidsAt + 59 * i;
      yield { path: this.#text.substring(start, ends[i]), cid: this.#text.substring(cid, cid + 59) };
      start = ends[i];
    }
  }
  toJSON() {
    return [...this];
  }
}

/** A Map from CID string to a view of that block in `input`: `cids` holds 59 characters per block. */
export function blockMap(cidBytes, offsets, input) {
  const cids = asciiString(cidBytes);
  const map = new Map();
  for (let i = 0, at = 0; i < offsets.length; i += 2, at += 59) {
    map.set(cids.substring(at, at + 59), input.subarray(offsets[i], offsets[i] + offsets[i + 1]));
  }
  return map;
}
