// Preloaded into a bot under test (`node --expose-gc --require …/heapProbe.cjs`), answering signals — the benchmark
// reads what it needs from outside the bot, without a debugging endpoint in the product:
// - SIGUSR2: collects garbage (several full collections, the event loop let run between them, so weak lists and
//   finalisers settle) and writes the heap in use to BENCH_HEAP_FILE: what parked conversations keep in memory.
// - SIGWINCH with a new request id in `${BENCH_PAUSES_FILE}.request`: the first starts counting the garbage collector's
//   pauses and the event loop's delay, the next writes what was counted to BENCH_PAUSES_FILE and stops — what stopped
//   every conversation of the process at once during a load. Nothing is observed in between (no timer, no observer),
//   and a SIGWINCH without a new id (a terminal resized) is ignored.
const { readFileSync, writeFileSync } = require('node:fs');
const { constants, monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');

process.on('SIGUSR2', async () => {
  for (let i = 0; i < 10; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  writeFileSync(process.env.BENCH_HEAP_FILE, JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, at: Date.now() }));
});

const KINDS = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'markCompact' };
/** The timer's own interval: the delay monitor counts it in every reading. */
const RESOLUTION_MS = 1;
let answered;
let counting;

function start() {
  const pauses = { scavenge: [], markCompact: [], other: [] };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses[KINDS[entry.detail?.kind] ?? 'other'].push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  return { pauses, observer, delay };
}

function reading(id, { pauses, observer, delay }) {
  observer.disconnect();
  delay.disable();
  const summary = (durations) => ({ count: durations.length, totalMs: durations.reduce((sum, ms) => sum + ms, 0), maxMs: Math.max(0, ...durations) });
  const beyondTimer = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    id,
    scavenge: summary(pauses.scavenge),
    markCompact: summary(pauses.markCompact),
    // Incremental marking steps and weak-callback processing: pauses too, shorter as a rule.
    other: summary(pauses.other),
    loopDelayP99Ms: beyondTimer(delay.percentile(99)),
    loopDelayMaxMs: beyondTimer(delay.max),
  };
}

process.on('SIGWINCH', () => {
  let id;
  try {
    id = readFileSync(`${process.env.BENCH_PAUSES_FILE}.request`, 'utf8');
  } catch {
    return; // not the benchmark asking
  }
  if (!id || id === answered) return;
  answered = id;
  if (!counting) {
    counting = start();
    writeFileSync(process.env.BENCH_PAUSES_FILE, JSON.stringify({ id, started: true }));
    return;
  }
  const counted = counting;
  counting = undefined;
  // A collection reaches the observer two turns of the event loop after it ended: wait for the last ones.
  setImmediate(() => setImmediate(() => writeFileSync(process.env.BENCH_PAUSES_FILE, JSON.stringify(reading(id, counted)))));
});
