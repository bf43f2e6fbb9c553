// `npm run bench` (issue 14): the product beside a plain botbuilder waterfall bot and a bare restify handler, in the
// same run, interleaved, each its own process, driven over HTTP with every turn checked to have replied.
// Prints a table and writes bench/results/latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConnector } from './lib/connector.mjs';
import { closedLoop, openLoop } from './lib/drive.mjs';
import { startProcess } from './lib/processes.mjs';
import { caller, endOfTermCancellations, seedAccounts, stateBytes } from './lib/accounts.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const CONCURRENCY = 50;
const CLOSED_CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 4);
const RATES = [50, 100, 200];
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 15);
const PARKED = Number(process.env.BENCH_PARKED ?? 10_000);
const HEAP_PROBE = join(dirname(fileURLToPath(import.meta.url)), 'lib/heapProbe.cjs');

/** The caller's 14 messages: greeting, cancel, the six verification answers, end of term, yes, a reason, a question, no, thanks. */
function script(i) {
  const c = caller(i);
  return ['hej', 'Säg upp prenumerationen', c.userId, c.phone, c.contactName, c.organisationName, c.postalAddress, 'ja', 'Vid periodens slut', 'ja', 'För dyrt', 'Hur länge sparas datan?', 'nej', 'tack'];
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'bench-'));
  const connector = await startConnector();
  let port = 40_000 + Math.floor(Math.random() * 10_000);
  let sequence = 0;
  const productEnv = (path) => ({
    NODE_ENV: 'production', STORAGE: 'sqlite', SQLITE_PATH: path, LOG_LEVEL: 'warn', MicrosoftAppId: '', VERIFICATION_MIN_RESPONSE_MS: '0',
    LOCAL_DIRECTLINE: 'off', SEED_DEMO_ACCOUNTS: 'true', HOST: '127.0.0.1', OTP_SENDER: 'log',
  });
  const targets = {
    product: { name: 'product (SQLite)', replies: true, start: (path) => startProcess('product', join(ROOT, 'dist/src/index.js'), { ...productEnv(path), BENCH_HEAP_FILE: heapFile('product') }, ++port, PROBED) },
    sdk: { name: 'plain SDK waterfall', replies: true, start: () => startProcess('sdk', join(ROOT, 'bench/servers/plainSdkBot.mjs'), { BENCH_HEAP_FILE: heapFile('sdk') }, ++port, PROBED) },
    bare: { name: 'bare restify', replies: false, start: () => startProcess('bare', join(ROOT, 'bench/servers/bareRestify.mjs'), {}, ++port) },
  };
  // The bots run with the heap probe (heapProbe.cjs: it only listens for a signal), so the last repetition's warm
  // process can be weighed with conversations parked in it.
  const PROBED = ['--expose-gc', '--require', HEAP_PROBE];
  const heapFile = (key) => join(work, `heap-${key}.json`);
  const heap = {};
  const results = { product: { throughput: [], cpu: [], open: {} }, sdk: { throughput: [], cpu: [], open: {} }, bare: { throughput: [], cpu: [], open: {} } };
  let state;

  try {
    for (let rep = 0; rep < REPETITIONS; rep++) {
      for (const key of ['product', 'sdk', 'bare']) {
        const target = targets[key];
        // The product gets a fresh database with an account per conversation of this repetition.
        const path = join(work, `product-${rep}.sqlite`);
        const first = await target.start(path);
        const conversations = 10 + CLOSED_CONVERSATIONS + RATES.reduce((n, rate) => n + Math.ceil((rate * OPEN_SECONDS) / 14) + 10, 0);
        let running = first;
        if (key === 'product') {
          await first.stop();
          seedAccounts(path, conversations);
          running = await target.start(path);
        }
        const proc = { ...target, ...running };
        try {
          // Each conversation is a caller of its own, with an account of their own (caller i ↔ account i).
          let callers = 0;
          const scripts = (count) => Array.from({ length: count }, () => ({ id: `bench-${rep}-${key}-${++sequence}`, lines: script(callers++) }));
          // Warm-up, then the closed loop with CPU read around it.
          await closedLoop(proc, connector, scripts(10), 10);
          const cpuBefore = proc.cpuMs();
          const closed = await closedLoop(proc, connector, scripts(CLOSED_CONVERSATIONS), CONCURRENCY);
          const cpuMs = proc.cpuMs() - cpuBefore;
          // Every reply arriving is not enough: the product must really have done what the callers asked.
          if (key === 'product') {
            const done = endOfTermCancellations(path);
            if (done < callers) throw new Error(`product: ${done} of ${callers} scripted cancellations happened`);
          }
          results[key].throughput.push(closed.turnsPerSecond);
          results[key].cpu.push(cpuMs / closed.turns);
          for (const rate of RATES) {
            const open = await openLoop(proc, connector, scripts(Math.ceil((rate * OPEN_SECONDS) / 14) + 10), rate, OPEN_SECONDS);
            (results[key].open[rate] ??= []).push(open.p99);
          }
          if (key === 'product' && rep === 0) state = stateBytes(path);
          // Heap per idle conversation, in the warm process of the last repetition (its code already compiled, so what
          // grows is what conversations keep): PARKED callers each left at a prompt ("hej" → the menu, or the SDK
          // bot's first question), the heap weighed after full collections before and after.
          if (key !== 'bare' && rep === REPETITIONS - 1) {
            const park = Array.from({ length: PARKED }, () => ({ id: `park-${key}-${++sequence}`, lines: ['hej'] }));
            const before = await proc.heapUsed(heapFile(key));
            await closedLoop(proc, connector, park, CONCURRENCY);
            heap[key] = ((await proc.heapUsed(heapFile(key))) - before) / PARKED;
            console.error(`heap per idle conversation (${PARKED} parked): ${target.name} ${heap[key].toFixed(0)} B`);
          }
        } finally {
          await proc.stop();
        }
        console.error(`repetition ${rep + 1}/${REPETITIONS}: ${target.name} ${results[key].throughput.at(-1).toFixed(0)} turns/s, ${results[key].cpu.at(-1).toFixed(2)} CPU ms/turn, p99 @200/s ${results[key].open[200].at(-1).toFixed(1)} ms`);
      }
    }

    // Cold start: the product from an existing database (as a restart is), every start counted.
    const coldStarts = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const proc = await targets.product.start(join(work, 'product-0.sqlite'));
      coldStarts.push(proc.coldStartMs);
      await proc.stop();
    }
    const sdkStart = await targets.sdk.start();
    await sdkStart.stop();
    const bareStart = await targets.bare.start();
    await bareStart.stop();

    const figure = (key) => ({
      turnsPerSecond: median(results[key].throughput),
      cpuMsPerTurn: median(results[key].cpu),
      p99MsByRate: Object.fromEntries(RATES.map((rate) => [rate, median(results[key].open[rate])])),
    });
    const product = figure('product');
    const sdk = figure('sdk');
    const bare = figure('bare');
    const latest = {
      takenAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      repetitions: REPETITIONS,
      ratio: product.turnsPerSecond / sdk.turnsPerSecond,
      cpuRatio: product.cpuMsPerTurn / sdk.cpuMsPerTurn,
      limitRatio: product.turnsPerSecond / bare.turnsPerSecond,
      p99Ms: product.p99MsByRate[200],
      sdkP99Ms: sdk.p99MsByRate[200],
      stateBytesPerConversation: state ? state.bytes / Math.max(1, state.conversations) : null,
      heapBytesPerIdleConversation: heap.product,
      sdkHeapBytesPerIdleConversation: heap.sdk,
      parkedConversations: PARKED,
      coldStartMs: Math.max(...coldStarts),
      coldStartMedianMs: median(coldStarts),
      product,
      sdk,
      bare,
      sdkColdStartMs: sdkStart.coldStartMs,
      bareColdStartMs: bareStart.coldStartMs,
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
    printTable(latest);
  } finally {
    await connector.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function printTable(latest) {
  const row = (label, fn) => console.log(`| ${label} | ${fn(latest.product)} | ${fn(latest.sdk)} | ${fn(latest.bare)} |`);
  console.log(`\n${latest.machine.cpus} vCPU (${latest.machine.cpu}), Node ${latest.machine.node}, median of ${latest.repetitions} interleaved repetitions\n`);
  console.log('| figure | product, SQLite | plain SDK waterfall | bare restify |');
  console.log('|---|---|---|---|');
  row('closed-loop turns/s, 50 conversations', (f) => f.turnsPerSecond.toFixed(0));
  row('CPU ms per turn (bot process)', (f) => f.cpuMsPerTurn.toFixed(2));
  for (const rate of RATES) row(`p99 ms at ${rate} turns/s offered`, (f) => f.p99MsByRate[rate].toFixed(1));
  console.log(`\nratio ${latest.ratio.toFixed(2)} (target ≥ 1.0), cpuRatio ${latest.cpuRatio.toFixed(2)} (≤ 1.0), limitRatio ${latest.limitRatio.toFixed(3)}`);
  console.log(`p99 at 200/s: product ${latest.p99Ms.toFixed(1)} ms (target ≤ 20 and ≤ SDK ${latest.sdkP99Ms.toFixed(1)} ms)`);
  console.log(`stored state per conversation: ${latest.stateBytesPerConversation?.toFixed(0)} B (target ≤ 1,024)`);
  console.log(`cold start to /healthz 200: max ${latest.coldStartMs.toFixed(0)} ms, median ${latest.coldStartMedianMs.toFixed(0)} ms over ${COLD_STARTS} starts (target ≤ 2,000 every start); SDK ${latest.sdkColdStartMs.toFixed(0)} ms, bare ${latest.bareColdStartMs.toFixed(0)} ms`);
  console.log(`heap per idle conversation (${latest.parkedConversations} parked at a prompt, after GC): product ${latest.heapBytesPerIdleConversation.toFixed(0)} B (target ≤ 200), SDK ${latest.sdkHeapBytesPerIdleConversation.toFixed(0)} B (its MemoryStorage holds the state)`);
  console.log('not measured yet: latency with 10 k / 100 k / 1 M stored, PostgreSQL');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
