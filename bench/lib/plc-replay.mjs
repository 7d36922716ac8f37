// A did:plc audit log checked with @did-plc/lib the way the directory accepts operations: the
// library has no audit-log verifier, only `validateOperationLog` (one linear chain, no forks) and
// `assureValidNextOp` (one proposed operation against the operations not nullified so far, which
// says what a fork nullifies). This replays a log through the latter, entry by entry:
//   - the entry is for `did` and its `cid` is the CID @did-plc/lib computes (getLastOpWithCid);
//   - assureValidNextOp accepts the operation, with Date.now() set to the entry's createdAt (0.0.4
//     measures the 72-hour recovery window against the clock, i.e. the moment the operation reached
//     the directory; later versions take that date as an argument);
//   - the operations it nullifies leave the list; the log's `nullified` flags must be the ones the
//     replay gives.
// Returns { nullified: boolean[], data: the state after the last operation not nullified (opToData,
// null for a tombstone) }. Throws what @did-plc/lib throws, or an Error for a claim that differs.
// Used by the benchmark (timed, as the peer's whole-log check) and by gen-plc.mjs (untimed).

export async function replayAuditLog(plc, did, log) {
  let ops = [];
  const nullified = new Set();
  const realNow = Date.now;
  try {
    for (let i = 0; i < log.length; i++) {
      const e = log[i];
      if (e.did !== did) throw new Error(`entry ${i} is for ${e.did}`);
      const { cid } = await plc.getLastOpWithCid([e.operation]);
      const cidText = cid.toString();
      if (cidText !== e.cid) throw new Error(`entry ${i}: cid ${e.cid}, the operation's is ${cidText}`);
      const createdAt = new Date(e.createdAt);
      const at = createdAt.getTime();
      Date.now = () => at;
      const result = await plc.assureValidNextOp(did, ops, e.operation);
      if (result.nullified.length) {
        for (const c of result.nullified) nullified.add(c.toString());
        ops = ops.filter((o) => !nullified.has(o.cidText));
      }
      ops.push({ did, operation: e.operation, cid, cidText, nullified: false, createdAt });
    }
  } finally {
    Date.now = realNow;
  }
  const flags = log.map((e) => nullified.has(e.cid));
  for (let i = 0; i < log.length; i++) {
    if (flags[i] !== log[i].nullified) throw new Error(`entry ${i}: the log says nullified: ${log[i].nullified}, the replay gives ${flags[i]}`);
  }
  const last = ops.at(-1);
  return { nullified: flags, data: last ? plc.opToData(did, last.operation) : null };
}
