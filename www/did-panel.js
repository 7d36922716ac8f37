// The DID panel: a did:plc's audit log fetched from the PLC directory of the settings and checked
// whole by verifyPlcLog, then shown as its operation history — which operation each follows, which
// rotation key signed it, and the forks: an operation that a later one with a higher-priority key
// replaced within 72 hours is nullified, and the branch it started is shown as such.
//
// Tricky bits: verifyPlcLog gives each operation's CID, signer and `nullified` flag but not its
// `prev`; the log's own entries give that, and they are read only after the log verified, so what
// the table shows is what was checked. A handle is first resolved to its DID (resolveIdentity).
import { verifyPlcLog, resolveIdentity, isValidDid } from './pkg/browser.js';
import { auditLogUrl, fetchOk, resolveOptions } from './network.js';
import { currentSettings } from './settings.js';
import { byId, element, showError, clearError, fillList, count, busy, accountInput } from './ui.js';

export function setupDidPanel() {
  const form = byId('did-form');
  const status = byId('did-status');
  const error = byId('did-error');
  const stateList = byId('did-state');
  const table = byId('did-operations');

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  async function verifyHistory(identifier) {
    const settings = currentSettings();
    const did = isValidDid(identifier) ? identifier : (await resolveIdentity(identifier, resolveOptions(settings))).did;
    if (!did.startsWith('did:plc:')) throw new Error(`${did} is not a did:plc: only did:plc has an audit log`);
    setStatus('running', `Fetching the audit log of ${did}…`);
    const text = await (await fetchOk(auditLogUrl(settings, did), { identity: true, timeoutMs: 10_000 })).text();
    return { did, verified: verifyPlcLog(did, text), entries: JSON.parse(text) };
  }

  function show({ did, verified, entries }) {
    const { state, operations } = verified;
    const indexOf = new Map(operations.map(({ cid }, i) => [cid, i]));
    const children = Map.groupBy(entries.map((entry, i) => ({ prev: entry.operation.prev ?? null, i })), ({ prev }) => prev);
    const forks = [...children].filter(([prev, list]) => prev !== null && list.length > 1);
    const nullified = operations.filter((operation) => operation.nullified).length;

    fillList(stateList, [
      ['DID', did],
      ['Status', state === null ? 'deactivated (the log ends in a tombstone)' : 'active'],
      ...(state === null ? [] : [
        ['Handle', state.alsoKnownAs.join(', ') || '(none)'],
        ['PDS', state.services.atproto_pds?.endpoint ?? '(none)'],
        ['Signing key', state.verificationMethods.atproto ?? '(none)'],
        ['Rotation keys, highest priority first', element('ol', {}, ...state.rotationKeys.map((key) => element('li', {}, element('code', {}, key))))],
      ]),
      ['Forks', forks.length === 0 ? 'none' : forks.map(([prev, list]) =>
        `after #${indexOf.get(prev)}: ${list.map(({ i }) => `#${i}${operations[i].nullified ? ' (nullified)' : ''}`).join(' and ')}`).join('; ')],
    ]);

    table.tBodies[0].replaceChildren(...operations.map((operation, i) => {
      const prev = entries[i].operation.prev ?? null;
      // The genesis is signed by one of its own rotation keys, every other operation by one of its prev's.
      const signerKeys = (prev === null ? entries[i] : entries[indexOf.get(prev)]).operation.rotationKeys;
      const forked = prev !== null && children.get(prev).length > 1;
      return element('tr', { className: operation.nullified ? 'nullified' : '', dataset: { nullified: operation.nullified } },
        element('td', {}, String(i)),
        element('td', {}, operation.createdAt),
        element('td', {}, operation.type),
        element('td', {}, element('code', {}, operation.cid)),
        element('td', {}, prev === null ? 'genesis' : `#${indexOf.get(prev)}${forked ? ' (fork)' : ''}`),
        element('td', { title: signerKeys?.[operation.signedBy] ?? '' }, `#${operation.signedBy}`),
        element('td', {}, operation.nullified ? 'nullified: replaced by a higher-priority key' : 'in effect'));
    }));
    table.hidden = false;
    Object.assign(status.dataset, { operations: operations.length, nullified, forks: forks.length });
    setStatus('verified', `Verified: ${count(operations.length)} operations, ${count(forks.length)} fork${forks.length === 1 ? '' : 's'}, ${count(nullified)} nullified.`);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(error);
    stateList.replaceChildren();
    table.hidden = true;
    setStatus('running', 'Resolving…');
    try {
      show(await busy([form.querySelector('button')], () => verifyHistory(accountInput(byId('did-identifier').value))));
    } catch (failure) {
      setStatus('failed', 'The history could not be verified.');
      showError(error, failure);
    }
  });
}
