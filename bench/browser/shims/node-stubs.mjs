// Stand-in for the Node built-ins that @atproto/common imports at load time (node:fs, fs/promises,
// crypto, stream, zlib) in the Chromium bundle. The verification paths never call them; if one did,
// it throws, so a hidden dependency shows up as a failed run rather than a wrong number.
const unavailable = (what) => () => {
  throw new Error(`${what} is not available in the browser bundle`);
};
export const constants = {};
export const createHash = unavailable('node:crypto createHash');
export const pipeline = unavailable('node:stream pipeline');
export const createBrotliDecompress = unavailable('node:zlib createBrotliDecompress');
export const createGunzip = unavailable('node:zlib createGunzip');
export const createInflate = unavailable('node:zlib createInflate');
class Unavailable {
  constructor() {
    unavailable(`node:stream ${new.target.name}`)();
  }
}
export class Transform extends Unavailable {}
export class PassThrough extends Unavailable {}
export class Readable extends Unavailable {}
export class Writable extends Unavailable {}
export default new Proxy({}, { get: (_, name) => (name === 'then' ? undefined : unavailable(`node:fs/promises ${String(name)}`)) });
