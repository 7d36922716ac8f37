// Injected (esbuild `inject`) into the @atproto bundle for its free `process` and `Buffer` references:
// @atproto/common reads process.env at load time (logging stays off), and @atproto/repo's CAR varint
// reader calls Buffer.concat. globalThis.process/Buffer stay undefined, so feature detection still
// sees a browser.
export const process = { env: {}, browser: true };
export const Buffer = {
  concat(chunks, totalLength) {
    const length = totalLength ?? chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(length);
    let offset = 0;
    for (const c of chunks) {
      if (offset >= length) break;
      const part = c.subarray(0, length - offset);
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  },
  isBuffer: () => false,
};
