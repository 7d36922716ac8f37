// Injected into the @did-plc/lib bundle for its free `process` and `Buffer` references (pino, axios
// and @atproto/common 0.1.1 touch them at load time; logging writes go nowhere).
// globalThis.process stays undefined, so feature detection still sees a browser.
export { Buffer } from './globals.mjs';
const ignore = () => {};
const stream = { write: () => true, fd: -1, isTTY: false, on: ignore, once: ignore };
export const process = {
  env: {}, browser: true, version: '', versions: {}, platform: 'browser', argv: [], execArgv: [], pid: 1,
  stdout: stream, stderr: stream, cwd: () => '/', nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  on: ignore, once: ignore, off: ignore, removeListener: ignore, emit: ignore, emitWarning: ignore,
};
