// The repository panel: a handle, a DID or a CAR file (picked or dropped) verified in the
// repository worker (repo-worker.js) with a progress bar, then its collections and records browsed,
// each record with its CID and how it is proven (covered by the verified repository; for an account
// fetched from its PDS, also its own getRecord proof on request).
//
// Tricky bits: the status element carries data-state (running, verified, failed, cancelled) and
// the counts as data attributes, for scripts and tests; a new verification discards what the last
// one showed; a list answer for an older collection, a record answer for an older record, and a
// proof for a record no longer shown are dropped (each kind counts its own requests: a record
// clicked while a collection's list loads must not drop that list).
import { startWorker } from './rpc.js';
import { currentSettings } from './settings.js';
import { byId, element, showError, clearError, fillList, count, bytes, busy, accountInput } from './ui.js';

const PAGE_SIZE = 100;

export function setupRepoPanel() {
  const worker = startWorker(new URL('./repo-worker.js', import.meta.url));
  const form = byId('repo-form');
  const fileInput = byId('car-file');
  const drop = byId('car-drop');
  const progressBar = byId('repo-progress');
  const status = byId('repo-progress-text');
  const error = byId('repo-error');
  const summary = byId('repo-summary');
  const browser = byId('repo-browser');
  const collectionList = byId('collections');
  const recordList = byId('records');
  const more = byId('records-more');
  const recordFacts = byId('record-facts');
  const recordHint = byId('record-hint');
  const recordJson = byId('record-json');
  const proofButton = byId('record-proof');
  const proofStatus = byId('record-proof-status');
  const recordError = byId('record-error');
  const cancelButton = byId('repo-cancel');

  let repo = null; // the worker's answer for the repository shown
  let identity = null;
  // Bumped on each new request of their kind: an answer to an older one is dropped.
  let listRequest = 0;
  let recordRequest = 0;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function showProgress({ bytes: read, blocks, total }) {
    if (total === null) progressBar.removeAttribute('value'); // indeterminate: the length is unknown
    else Object.assign(progressBar, { max: total, value: read });
    setStatus('running', `${bytes(read)}${total === null ? '' : ` of ${bytes(total)}`} read, ${count(blocks)} blocks checked…`);
  }

  function showIdentity(found) {
    identity = found;
    fillList(summary, identityFacts(found));
    setStatus('running', `Resolved ${found.did}; fetching its repository from ${found.pds ?? '(no PDS)'}…`);
  }

  function identityFacts(found) {
    return [
      ['DID', found.did],
      ['Handle', found.handle === null ? '(none)' : `${found.handle} (${found.handleVerified ? 'verified both ways' : 'NOT verified: the handle and the DID do not name each other'})`],
      ['PDS', found.pds ?? '(none)'],
      ['Signing key', found.signingKey ?? '(none)'],
    ];
  }

  async function verify(payload) {
    repo = identity = null;
    listRequest++;
    recordRequest++;
    clearError(error);
    summary.replaceChildren();
    browser.hidden = true;
    Object.assign(progressBar, { max: 1, value: 0 });
    setStatus('running', 'Starting…');
    // A download may take long, or stall: Cancel ends it (the worker stops reading).
    const cancel = new AbortController();
    cancelButton.onclick = () => cancel.abort();
    cancelButton.hidden = false;
    try {
      repo = await busy([form.querySelector('button'), fileInput], () => worker.request('verify', payload, (p) => (p.identity ? showIdentity(p.identity) : showProgress(p)), cancel.signal));
    } catch (failure) {
      if (failure?.name === 'AbortError') setStatus('cancelled', 'Cancelled.');
      else {
        setStatus('failed', 'Verification failed.');
        showError(error, failure);
      }
      return;
    } finally {
      cancelButton.hidden = true;
    }
    Object.assign(progressBar, { max: repo.bytes, value: repo.bytes });
    Object.assign(status.dataset, { records: repo.recordCount, blocks: repo.blocks, bytes: repo.bytes });
    setStatus('verified', `Verified: ${count(repo.recordCount)} records, ${count(repo.blocks)} blocks, ${bytes(repo.bytes)}.`);
    fillList(summary, [
      ...(identity === null ? [['DID', repo.did]] : identityFacts(identity)),
      ['Revision', repo.rev],
      ['Commit', repo.commit],
      ['MST root', repo.data],
      ['Signature', repo.signatureVerified ? `verified with ${repo.key}` : 'not checked (no key given): blocks, MST and records only'],
      ['Records', count(repo.recordCount)],
      ['Blocks', count(repo.blocks)],
      ['Size', bytes(repo.bytes)],
    ]);
    showCollections();
  }

  function showCollections() {
    collectionList.replaceChildren(...repo.collections.map(({ name, count: n }) => element('li', {},
      element('button', { type: 'button', textContent: `${name} (${count(n)})`, dataset: { collection: name, count: n } }))));
    recordList.replaceChildren();
    more.hidden = true;
    showRecord(null);
    browser.hidden = false;
  }

  async function showRecords(collection, offset) {
    const mine = offset === 0 ? ++listRequest : listRequest;
    const page = await worker.request('list', { collection, offset, limit: PAGE_SIZE });
    if (mine !== listRequest) return;
    const items = page.records.map(({ rkey, cid }) => element('li', {},
      element('button', { type: 'button', textContent: rkey, title: cid, dataset: { path: `${collection}/${rkey}` } })));
    if (offset === 0) recordList.replaceChildren(...items);
    else recordList.append(...items);
    const shown = offset + page.records.length;
    more.hidden = shown >= page.total;
    more.onclick = () => showRecords(collection, shown);
  }

  function showRecord(record) {
    recordHint.hidden = record !== null;
    recordJson.hidden = record === null;
    proofButton.hidden = record === null || !repo.fromPds;
    proofStatus.textContent = '';
    delete proofStatus.dataset.state;
    clearError(recordError);
    if (record === null) {
      recordFacts.replaceChildren();
      delete recordFacts.dataset.path;
      delete recordFacts.dataset.cid;
      return;
    }
    fillList(recordFacts, [
      ['AT-URI', `at://${repo.did}/${record.path}`],
      ['CID', record.cid],
      ['Proof', `covered by the verified repository: its MST, under commit ${repo.commit}, holds this CID, and the block hashes to it`
        + (repo.signatureVerified ? ' (commit signature verified)' : ' (commit signature not checked)')],
    ]);
    Object.assign(recordFacts.dataset, { path: record.path, cid: record.cid });
    recordJson.textContent = JSON.stringify(record.json, null, 2);
  }

  async function proveRecord(path) {
    proofStatus.dataset.state = 'running';
    proofStatus.textContent = 'Fetching and verifying the getRecord proof…';
    clearError(recordError);
    // The answer is for `path`: dropped if another record is shown by then.
    const stillShown = () => recordFacts.dataset.path === path;
    try {
      const proved = await busy([proofButton], () => worker.request('proof', { path }));
      if (!stillShown()) return;
      proofStatus.dataset.state = proved.cid === null ? 'absent' : proved.sameAsRepository ? 'same' : 'changed';
      proofStatus.textContent = proved.cid === null
        ? 'The proof verifies, and shows the record absent now: deleted since the repository was fetched.'
        : `Proof verified: signed by ${repo.key}, the PDS proves CID ${proved.cid}`
          + (proved.sameAsRepository ? ', the same as in the repository.' : ', not the repository\'s: the record changed since.');
    } catch (failure) {
      if (!stillShown()) return;
      proofStatus.textContent = '';
      proofStatus.dataset.state = 'failed';
      showError(recordError, failure);
    }
  }

  // Whichever list a click lands in, the button's data says what to show; aria-current marks it.
  const choose = (list, button) => {
    for (const other of list.querySelectorAll('[aria-current]')) other.removeAttribute('aria-current');
    button.setAttribute('aria-current', 'true');
  };
  collectionList.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (button === null) return;
    choose(collectionList, button);
    recordRequest++;
    showRecord(null);
    showRecords(button.dataset.collection, 0).catch((failure) => showError(error, failure));
  });
  recordList.addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    if (button === null) return;
    choose(recordList, button);
    const mine = ++recordRequest;
    try {
      const record = await worker.request('record', { path: button.dataset.path });
      if (mine === recordRequest) showRecord(record);
    } catch (failure) {
      if (mine === recordRequest) showError(recordError, failure);
    }
  });
  proofButton.addEventListener('click', () => proveRecord(recordFacts.dataset.path));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    verify({ identifier: accountInput(byId('repo-identifier').value), settings: currentSettings() });
  });
  const verifyFile = (file) => verify({ file, key: byId('car-key').value.trim() || undefined });
  fileInput.addEventListener('change', () => {
    if (fileInput.files.length > 0) verifyFile(fileInput.files[0]);
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    if (event.dataTransfer.files.length > 0 && !fileInput.disabled) verifyFile(event.dataTransfer.files[0]);
  });
}
