// results.json -> results.md: one table per (task, runtime, data set), with the ratio atproof/peer.
import { TASKS, DATASETS } from './tasks.mjs';

const fmt = (x, digits = 3) => {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
};
const rate = (x) => {
  if (!Number.isFinite(x)) return '—';
  if (x >= 1e6) return `${fmt(x / 1e6)} M`;
  if (x >= 1e3) return `${fmt(x / 1e3)} k`;
  return fmt(x);
};

/** the atproof implementations a peer row is compared with: { label: implementation name } */
export function comparatorsOf(taskId, implName) {
  const task = TASKS[taskId];
  const impl = task.impls[implName];
  if (impl.atproof) return {};
  return task.compareWith?.[impl.group ?? 'default'] ?? {};
}

/**
 * atproof throughput / peer throughput (= peer time / atproof time); > 1: atproof is faster.
 * One entry per atproof implementation it is compared with; skipped ones (an optional export
 * atproof does not have) are left out.
 */
export function ratiosFor(results, r) {
  const out = [];
  for (const [label, against] of Object.entries(comparatorsOf(r.task, r.impl))) {
    const a = results.find((x) => x.runtime === r.runtime && x.task === r.task && x.dataset === r.dataset && x.impl === against);
    const tag = label ? ` (${label})` : '';
    if (a?.status === 'skipped') continue;
    if (!a || a.status !== 'ok') out.push({ label, text: `n/a${tag}: ${against} ${a?.status ?? 'not run'}` });
    else if (r.status === 'ok') out.push({ label, against, value: r.medianMs / a.medianMs, text: `${fmt(r.medianMs / a.medianMs)}×${tag}` });
  }
  return out;
}

export function renderMarkdown(doc) {
  const { env, results } = doc;
  const out = [];
  out.push('# atproof benchmark results', '');
  out.push(`Date: ${env.date} · mode: ${env.quick ? 'quick' : 'full'} · ${env.commit ? `git HEAD ${env.commit}` : ''}`, '');
  out.push('| machine | |', '| --- | --- |');
  out.push(`| CPU | ${env.cpuModel} (${env.cores} cores) |`);
  out.push(`| memory | ${env.memoryGiB} GiB |`);
  out.push(`| Node | ${env.node} |`);
  out.push(`| Chromium | ${env.chromium ?? 'not run'} |`);
  out.push(`| load average (1/5/15 min) at start | ${env.loadStart.map((x) => x.toFixed(2)).join(' / ')} |`);
  out.push(`| load average at end | ${env.loadEnd?.map((x) => x.toFixed(2)).join(' / ') ?? '—'} |`);
  out.push(`| atproof package | ${env.atproofExports ?? '—'} |`);
  out.push(`| peers | ${Object.entries(env.peers).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
  out.push('');
  out.push('Times are per call: median and minimum over the samples (each sample ≥ 100 ms of repeated calls, after warm-up). ' +
    'Throughput uses the median. **atproof/peer** = peer median time ÷ atproof median time: above 1 means atproof is faster. ' +
    'Memory: Node = peak RSS of the task\'s own process minus that of a process that only loaded and prepared the same inputs; ' +
    'Chromium = highest JS heap (performance.memory, after each sample) above the heap after preparing the inputs' +
    ' (+ atproof\'s wasm linear memory where given). The machine is shared, so note the load average.', '');

  const summary = summarize(results);
  if (summary.length) {
    out.push('## Summary: each atproof function against the fastest peer doing the same job', '');
    out.push('| task | runtime | data set | atproof | median ms | fastest peer | median ms | atproof/peer |');
    out.push('| --- | --- | --- | --- | ---: | --- | ---: | ---: |');
    for (const s of summary) {
      out.push(`| ${s.task} | ${s.runtime} | ${s.dataset} | ${s.atproof} | ${fmt(s.atproofMs)} | ${s.peer ?? '—'} | ${fmt(s.peerMs)} | ${s.ratio ? `**${fmt(s.ratio)}×**` : '—'} |`);
    }
    out.push('');
  }

  const frames = frameCosts(results);
  if (frames.length) {
    out.push('## A firehose frame against one signature check', '');
    out.push('The firehose goal: a verified `#commit` frame in at most 2× the time of one k256 signature check (`verifySignature`, data set 1k), both from this run.', '');
    out.push('| runtime | atproof | µs a frame | µs a signature check | frame ÷ signature |');
    out.push('| --- | --- | ---: | ---: | ---: |');
    for (const f of frames) out.push(`| ${f.runtime} | ${f.impl} | ${fmt(f.frameUs)} | ${fmt(f.signatureUs)} | **${fmt(f.ratio)}×** |`);
    out.push('');
  }

  for (const [taskId, task] of Object.entries(TASKS)) {
    const rows = results.filter((r) => r.task === taskId);
    if (!rows.length) continue;
    out.push(`## ${taskId}: ${task.title}`, '');
    for (const runtime of ['node', 'chromium']) {
      for (const ds of Object.keys(DATASETS)) {
        const rs = rows.filter((r) => r.runtime === runtime && r.dataset === ds);
        if (!rs.length) continue;
        const u = rs.find((r) => r.units)?.units;
        const what = u ? `${u.items.toLocaleString('en-US')} ${u.items === 1 ? u.itemName.replace(/s$/, '') : u.itemName}${u.bytes ? `, ${(u.bytes / 1e6).toFixed(2)} MB` : ''} per call` : '';
        out.push(`### ${runtime} · ${DATASETS[ds]} (${what})`, '');
        const perItem = taskId === 'sig-verify' ? 'verifications/s' : `${u?.itemName ?? 'items'}/s`;
        const memHead = runtime === 'node' ? 'peak RSS above baseline' : 'JS heap peak above baseline';
        out.push(`| implementation | median ms | min ms | ${perItem} | MB/s | ${memHead} | atproof/peer |`);
        out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
        for (const r of rs) {
          if (r.status !== 'ok') {
            const label = r.status === 'failed' ? `**FAILED**: ${r.message}` : r.message;
            out.push(`| ${r.impl} | ${label} | | | | | |`);
            continue;
          }
          const mem = r.memory?.aboveBaselineMB !== undefined ? `${fmt(r.memory.aboveBaselineMB)} MB` : '—';
          out.push(`| ${r.impl}${r.note ? ` (${r.note})` : ''} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${rate(r.throughput.itemsPerSec)} | ${r.throughput.mbPerSec ? fmt(r.throughput.mbPerSec) : '—'} | ${mem} | ${ratiosFor(results, r).map((x) => x.text).join(' · ') || '—'} |`);
        }
        out.push('');
      }
    }
  }
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length) {
    out.push('## Failures', '');
    for (const r of failed) out.push(`- ${r.runtime} ${r.task} ${r.dataset} ${r.impl}: ${r.message}`);
    out.push('');
  }
  return out.join('\n');
}

/** per (task, runtime, data set, atproof implementation that ran): the fastest peer compared with it */
export function summarize(results) {
  const out = [];
  for (const a of results) {
    if (a.status !== 'ok' || !TASKS[a.task].impls[a.impl].atproof) continue;
    let best;
    for (const r of results) {
      if (r.status !== 'ok' || r.runtime !== a.runtime || r.task !== a.task || r.dataset !== a.dataset) continue;
      if (!Object.values(comparatorsOf(r.task, r.impl)).includes(a.impl)) continue;
      if (!best || r.medianMs < best.medianMs) best = r;
    }
    out.push({ task: a.task, runtime: a.runtime, dataset: a.datasetName, atproof: a.impl, atproofMs: a.medianMs, peer: best?.impl, peerMs: best?.medianMs, ratio: best ? best.medianMs / a.medianMs : undefined });
  }
  return out;
}

/** Per runtime and atproof firehose implementation: a frame's time against a k256 signature check's. */
export function frameCosts(results) {
  const ok = (r) => r.status === 'ok';
  const out = [];
  for (const runtime of ['node', 'chromium']) {
    const signature = results.find((r) => ok(r) && r.runtime === runtime && r.task === 'sig-verify' && r.dataset === '1k' && r.impl === 'atproof verifySignature');
    if (!signature) continue;
    for (const r of results) {
      if (!ok(r) || r.runtime !== runtime || r.task !== 'firehose-verify' || !TASKS[r.task].impls[r.impl].atproof || !r.units?.items) continue;
      const frameUs = (r.medianMs * 1000) / r.units.items;
      const signatureUs = signature.medianMs * 1000;
      out.push({ runtime, impl: r.impl, frameUs, signatureUs, ratio: frameUs / signatureUs });
    }
  }
  return out;
}
