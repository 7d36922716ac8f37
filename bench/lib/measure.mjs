// Timing loop shared by the Node worker and the browser page (performance.now() in both).
//
//  1. one call, whose output is checked before anything is timed (a wrong result never gets a number);
//  2. warm-up: more calls until warmupMs has passed (at least one call in all);
//  3. `samples` samples, each repeating the call until it has lasted >= minSampleMs; a sample's value
//     is its time divided by its calls. Calls slower than 2 s get the minimum of 5 samples;
//  4. the last output is checked again.
// A call is awaited only if it returned a promise (decided on the first call), so synchronous APIs
// are not charged for a microtask turn.

const isThenable = (v) => v !== null && typeof v === 'object' && typeof v.then === 'function';
export const MIN_SAMPLES = 5;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function measure(run, check, { samples = 7, warmupMs = 1000, minSampleMs = 100, afterSample } = {}) {
  const now = () => performance.now();
  let t = now();
  let out = run();
  const isAsync = isThenable(out);
  if (isAsync) out = await out;
  const firstMs = now() - t;
  const problem = await check(out);
  if (typeof problem === 'string') throw new Error(problem);

  let warmCalls = 1;
  const warmStart = now();
  while (now() - warmStart + firstMs < warmupMs) {
    out = isAsync ? await run() : run();
    warmCalls++;
  }
  const estimate = warmCalls > 1 ? (now() - warmStart) / (warmCalls - 1) : firstMs;
  const n = estimate > 2000 ? MIN_SAMPLES : Math.max(MIN_SAMPLES, samples);

  const perCall = [];
  let calls = 0;
  for (let s = 0; s < n; s++) {
    let k = 0;
    t = now();
    let elapsed;
    if (isAsync) {
      do { out = await run(); k++; } while ((elapsed = now() - t) < minSampleMs);
    } else {
      do { out = run(); k++; } while ((elapsed = now() - t) < minSampleMs);
    }
    perCall.push(elapsed / k);
    calls += k;
    if (afterSample) afterSample();
  }
  const problem2 = await check(out);
  if (typeof problem2 === 'string') throw new Error(problem2);
  return {
    async: isAsync,
    firstCallMs: firstMs,
    warmupCalls: warmCalls,
    samples: perCall.length,
    calls,
    samplesMs: perCall,
    medianMs: median(perCall),
    minMs: Math.min(...perCall),
  };
}

/** which atproof exports an implementation lacks ("a|b" = any one of them) */
export function missingExports(impl, atproof) {
  return (impl.needs ?? []).filter((n) => !n.split('|').some((alt) => typeof atproof?.[alt] === 'function'));
}
