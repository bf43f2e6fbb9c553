// Preloaded into a bot under test (`node --expose-gc --require …/heapProbe.cjs`): on SIGUSR2 it collects garbage
// (several full collections, the event loop let run between them, so weak lists and finalisers settle) and writes the
// heap in use to BENCH_HEAP_FILE — the benchmark weighs what parked conversations keep in memory without a debugging
// endpoint in the product.
const { writeFileSync } = require('node:fs');

process.on('SIGUSR2', async () => {
  for (let i = 0; i < 10; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  writeFileSync(process.env.BENCH_HEAP_FILE, JSON.stringify({ heapUsed: process.memoryUsage().heapUsed, at: Date.now() }));
});
