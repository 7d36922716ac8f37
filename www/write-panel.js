// The writing panel: a repository made in this tab. A P-256 key is generated in WebCrypto as
// non-extractable (webCryptoSigner signs with it; the private key never exists outside the browser's
// key store), Repo.create signs the empty repository's first commit for the DID given, each record
// written is one more signed commit, and the whole repository can be downloaded as a CAR
// (exportCar) and verified back with verifyRepo, as anyone receiving it would.
//
// Tricky bits: the record is read with fromJson, so atproto JSON's {"$link"} and {"$bytes"} become
// a CID link and bytes; the download link is remade after every commit (its old blob URL revoked),
// so it always holds the latest signed state.
import { Repo, webCryptoSigner, verifyRepo, fromJson, ensureValidDid } from './pkg/browser.js';
import { byId, element, showError, clearError, fillList, count, bytes, busy } from './ui.js';

const exampleRecord = () => JSON.stringify({ $type: 'app.bsky.feed.post', text: 'Hello from atproof', createdAt: new Date().toISOString() }, null, 2);

export function setupWritePanel() {
  const createForm = byId('write-create');
  const recordForm = byId('write-record');
  const status = byId('write-status');
  const error = byId('write-error');
  const facts = byId('write-facts');
  const commits = byId('write-commits');
  const exportButtons = byId('write-export');
  const download = byId('write-download');
  const verifyButton = byId('write-verify');
  const verifiedStatus = byId('write-verified');
  byId('write-json').value = exampleRecord();

  let repo = null;

  function addCommit({ rev, commit, ops }, what) {
    commits.append(element('li', { dataset: { commit, rev } },
      element('p', {}, `${what} — rev `, element('code', {}, rev), ', commit ', element('code', {}, commit)),
      element('ul', {}, ...ops.map(({ action, path, cid }) => element('li', {}, `${action} `, element('code', {}, path), ' → ', element('code', {}, cid ?? '(deleted)'))))));
  }

  function refreshDownload() {
    URL.revokeObjectURL(download.href);
    const car = repo.exportCar();
    download.href = URL.createObjectURL(new Blob([car], { type: 'application/vnd.ipld.car' }));
    download.download = `${repo.did.replaceAll(':', '_')}-${repo.rev}.car`;
    download.textContent = `Download the signed CAR (${bytes(car.length)})`;
    verifiedStatus.textContent = '';
    delete verifiedStatus.dataset.records;
  }

  /** A failure shown alone: what the last success said goes. */
  function fail(failure) {
    status.textContent = '';
    verifiedStatus.textContent = '';
    delete verifiedStatus.dataset.records;
    showError(error, failure);
  }

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(error);
    try {
      await busy([createForm.querySelector('button')], async () => {
        const did = byId('write-did').value.trim();
        ensureValidDid(did);
        const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
        const signer = await webCryptoSigner(pair);
        repo?.free();
        repo = await Repo.create({ did, signer });
        fillList(facts, [
          ['DID', `${did} (named in every commit; nothing is published)`],
          ['Signing key', element('code', { id: 'write-key' }, signer.did())],
          ['Key storage', `P-256 in WebCrypto, extractable: ${pair.privateKey.extractable}`],
        ]);
      });
    } catch (failure) {
      fail(failure);
      return;
    }
    commits.replaceChildren();
    addCommit({ rev: repo.rev, commit: repo.commit, ops: [] }, 'The empty repository');
    recordForm.hidden = false;
    exportButtons.hidden = false;
    refreshDownload();
    status.textContent = `Repository created for ${repo.did}: its first commit is signed.`;
  });

  recordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError(error);
    const collection = byId('write-collection').value.trim();
    const rkey = byId('write-rkey').value.trim() || undefined;
    try {
      const written = await busy([recordForm.querySelector('button')], () =>
        repo.applyWrites([{ action: 'create', collection, rkey, record: fromJson(byId('write-json').value) }]));
      addCommit(written, `Commit ${commits.children.length}`);
      refreshDownload();
      status.textContent = `Signed commit ${written.commit}: ${written.ops.map((op) => op.path).join(', ')} (its #commit frame: ${bytes(written.frame.length)}).`;
    } catch (failure) {
      fail(failure);
    }
  });

  verifyButton.addEventListener('click', () => {
    clearError(error);
    try {
      const result = verifyRepo(repo.exportCar(), { did: repo.did, key: repo.signingKey });
      verifiedStatus.dataset.records = result.records.length;
      verifiedStatus.textContent = `verifyRepo: the export checks out — ${count(result.records.length)} records, `
        + `commit ${result.commit}, signature verified with ${repo.signingKey}.`;
    } catch (failure) {
      fail(failure);
    }
  });
}
