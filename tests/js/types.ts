// Compiled by `tsc` (scripts/test.sh): the package's declarations type-check the documented usage.
import { AtproofError, AtUri, Tid, ensureValidHandle, init, initSync, isValidDid, isValidHandle } from 'atproof';
import type { TidParts } from 'atproof';

const ok: boolean = isValidHandle('alice.test') && isValidDid('did:plc:abc');
const tid: string = Tid.now();
const parts: TidParts = Tid.parse(tid);
const micros: number = parts.micros;
const clockId: number = parts.clockId;
const date: Date = parts.date;
const made: string = Tid.fromTime(1_700_000_000_000_000, 1) + Tid.fromTime(10n, 2);
const uri: AtUri = AtUri.parse('at://alice.test/app.bsky.feed.post/3k');
const authority: string = uri.authority;
const collection: string | undefined = uri.collection;
const rkey: string | undefined = uri.rkey;
const printed: string = uri.toString();
try {
  ensureValidHandle('john.0');
} catch (e) {
  if (e instanceof AtproofError) {
    const code: string = e.code;
    const message: string = e.message;
    console.log(code, message);
  }
}
const loaders: [typeof init, typeof initSync] = [init, initSync];
console.log(ok, micros, clockId, date, made, authority, collection, rkey, printed, loaders);
// @ts-expect-error a number is not a string
isValidHandle(42);
// @ts-expect-error Tid.parse returns TidParts, not a string
const wrong: string = Tid.parse(tid);
console.log(wrong);
