// Preloaded into a bot under test (`node --expose-gc --require …/heapProbe.cjs`), answering signals — the benchmark
// reads what it needs from outside the bot, without a debugging endpoint in the product:
// - SIGUSR2: collects garbage (several full collections, the event loop let run between them, so weak lists and
//   finalisers settle) and writes the heap in use to BENCH_HEAP_FILE: what parked conversations keep in memory.
// - SIGWINCH: writes to BENCH_PAUSES_FILE the garbage collector's pauses and the event loop's delay since the last
//   SIGWINCH (then starts counting afresh): what stopped every conversation of the process at once during a load.
const { writeFileSync } = require('node:fs');
const { constants, monitorEventLoopDelay, PerformanceObserver } = require('node:perf_hooks');

process.on('SIGUSR2', async () => {
  for (let i = 0; i < 10; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  writeFileSync(process.env.BENCH_HEAP_FILE, JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, at: Date.now() }));
});

const KINDS = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'markCompact' };
let pauses = { scavenge: [], markCompact: [] };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses[KINDS[entry.detail?.kind]]?.push(entry.duration);
}).observe({ entryTypes: ['gc'] });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

process.on('SIGWINCH', () => {
  const summary = (durations) => ({ count: durations.length, totalMs: durations.reduce((sum, ms) => sum + ms, 0), maxMs: Math.max(0, ...durations) });
  const reading = {
    scavenge: summary(pauses.scavenge),
    markCompact: summary(pauses.markCompact),
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    loopDelayMaxMs: delay.max / 1e6,
    at: Date.now(),
  };
  pauses = { scavenge: [], markCompact: [] };
  delay.reset();
  writeFileSync(process.env.BENCH_PAUSES_FILE, JSON.stringify(reading));
});
