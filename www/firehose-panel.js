// The firehose panel: connects the firehose worker (firehose-worker.js) to the relay of the
// settings and shows what it verified — events per second, counts by status and type, and the
// accounts that failed and why — until Stop.
//
// Tricky bits: the rate is the growth of the event count over each second the panel is connected,
// measured here from the worker's snapshots; the stats element carries the counts as data
// attributes (data-events, data-followed, data-valid, …) for scripts and tests. "Resume" asks the
// worker to go on after the last run's last seq with the same verifier, so that each account's
// first commit is checked against its last one before (a run not resumed starts afresh).
import { startWorker } from './rpc.js';
import { currentSettings, watchSettings } from './settings.js';
import { byId, element, showError, clearError, fillList, count, describeError } from './ui.js';

export function setupFirehosePanel() {
  const worker = startWorker(new URL('./firehose-worker.js', import.meta.url));
  const start = byId('firehose-start');
  const stop = byId('firehose-stop');
  const status = byId('firehose-status');
  const error = byId('firehose-error');
  const statsList = byId('firehose-stats');
  const failureTable = byId('firehose-failures');
  watchSettings(({ relay }) => { byId('firehose-relay').textContent = relay; });

  let latest = null; // the last snapshot
  let perSecond = 0;
  const resume = byId('firehose-resume');
  let resumeAfter = null; // the last seq the last run verified, which a resumed run starts after

  /** Offers to resume after `seq` (or nothing to resume, for null). */
  function offerResume(seq) {
    resumeAfter = seq;
    resume.disabled = seq === null;
    if (seq === null) resume.checked = false;
    byId('firehose-resume-seq').textContent = seq === null ? '' : ` (seq ${seq})`;
  }

  // The status is a live region: rewritten only when it changes, or a screen reader repeats it.
  const setStatus = (text) => {
    if (status.textContent !== text) status.textContent = text;
  };

  function show(snapshot) {
    latest = snapshot;
    const { connection, connections, failedInARow, events, followed, byStatus, byType, lastSeq, resumedAfter, failures } = snapshot;
    const connectionText = {
      connecting: 'connecting…',
      open: 'connected',
      closed: 'closed',
      unreachable: `unreachable: ${failedInARow} attempt${failedInARow === 1 ? '' : 's'} in a row failed, retrying`,
    }[connection];
    setStatus(`Relay ${connectionText}${connections > 1 ? ` (opened ${connections} times: resumed from the last seq)` : ''}.`);
    Object.assign(statsList.dataset, { events, followed, ...byStatus });
    fillList(statsList, [
      ['Verified events per second', count(perSecond)],
      ['Events', count(events)],
      ['Checked against the account\'s previous commit', count(followed)],
      ['Valid', count(byStatus.valid)],
      ['Invalid', count(byStatus.invalid)],
      ['Desync (continuity broken)', count(byStatus.desync)],
      ['Ignored (stale, #info, unknown)', count(byStatus.ignored)],
      ['By type', Object.entries(byType).map(([type, n]) => `${type}: ${count(n)}`).join(', ') || '—'],
      ['Last seq', lastSeq ?? '—'],
      ['Resumed after seq', resumedAfter ?? '— (live)'],
    ]);
    failureTable.hidden = failures.length === 0;
    failureTable.tBodies[0].replaceChildren(...failures.map(({ did, status: why, error: failure, events: n }) =>
      element('tr', { dataset: { did, code: failure.code ?? '' } },
        element('td', {}, element('code', {}, did)),
        element('td', {}, why),
        element('td', {}, describeError(failure)),
        element('td', {}, count(n)))));
  }

  start.addEventListener('click', async () => {
    clearError(error);
    start.disabled = true;
    stop.disabled = false;
    perSecond = 0;
    // The previous run's counts go at once: until the worker's first snapshot they would read as
    // this run's (and a script waiting for a count could see the old one).
    const resumeFrom = resume.checked ? resumeAfter : null;
    show({ connection: 'connecting', connections: 1, failedInARow: 0, events: 0, followed: 0, byStatus: { valid: 0, invalid: 0, desync: 0, ignored: 0 }, byType: {}, lastSeq: null, resumedAfter: resumeFrom, failures: [] });
    latest = null;
    let countedBefore = 0;
    const ticker = setInterval(() => {
      perSecond = (latest?.events ?? 0) - countedBefore;
      countedBefore = latest?.events ?? 0;
      if (latest !== null) show(latest);
    }, 1000);
    setStatus('Connecting…');
    let ending;
    try {
      await worker.request('watch', { settings: currentSettings(), resumeAfter: resumeFrom }, show);
      ending = `Stopped after ${count(latest.events)} events.`;
    } catch (failure) {
      ending = 'The subscription ended with an error.';
      showError(error, failure);
    } finally {
      clearInterval(ticker);
      perSecond = 0;
      if (latest !== null) show(latest);
      setStatus(ending);
      start.disabled = false;
      stop.disabled = true;
      offerResume(latest?.lastSeq ?? resumeFrom);
    }
  });
  stop.addEventListener('click', () => worker.request('stop'));
}
