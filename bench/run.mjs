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
import { endOfTermCancellations, fillConversations, script, seedAccounts, stateBytes, storedConversation } from './lib/accounts.mjs';
import { checkpoint, postgresSchema } from './lib/postgres.mjs';
import { PRODUCT_ENV } from './lib/builds.mjs';
import { median } from './lib/stats.mjs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The product's own schema for a new SQLite file (the built migrations), without a start of the product for it. */
const { openSqliteDatabase } = createRequire(import.meta.url)(join(ROOT, 'dist/src/storage/sqlite.js'));
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const CONCURRENCY = 50;
const CLOSED_CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100);
/**
 * Seconds of each open loop: the highest rate, where the targets are, BENCH_OPEN_SECONDS; a lower rate
 * BENCH_LOWER_RATES_SECONDS, but never fewer than 150 turns, so its p99 is never simply the slowest turn (at 50/s 3 s,
 * at 100/s 2 s) — and the whole bench stays under five minutes with its build on this machine kind.
 */
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 3);
const LOWER_RATES_SECONDS = Number(process.env.BENCH_LOWER_RATES_SECONDS ?? 2);
const MIN_OPEN_TURNS = 150;
/** Conversations run before anything is measured, so each process is measured warm (its code compiled), as a server runs. */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 200);
const RATES = [50, 100, 200];
const openSeconds = (rate) => (rate === RATES.at(-1) ? OPEN_SECONDS : Math.max(LOWER_RATES_SECONDS, MIN_OPEN_TURNS / rate));
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 15);
const PARKED = Number(process.env.BENCH_PARKED ?? 10_000);
const HEAP_PROBE = join(dirname(fileURLToPath(import.meta.url)), 'lib/heapProbe.cjs');
const DATABASE_URL = process.env.DATABASE_URL;
/** How cost grows: a turn's latency with this many conversations already stored. */
const STORED = (process.env.BENCH_STORED ?? '10000,100000,1000000').split(',').map(Number);
/** Per size: conversations to warm up with, then each of SCALE_WINDOWS windows' conversations, one at a time. */
const SCALE_WARM_UP = 20;
const SCALE_CONVERSATIONS = 20;
const SCALE_WINDOWS = 2;


/** What stopped a bot during its 200/s open loop (heapProbe.cjs), in a few words. */
const pausesText = (reading) =>
  reading
    ? `; while at 200/s: ${reading.scavenge.count} scavenges (longest ${reading.scavenge.maxMs.toFixed(1)} ms), ${reading.markCompact.count} mark-compacts${reading.markCompact.count ? ` (longest ${reading.markCompact.maxMs.toFixed(1)} ms)` : ''}, ${reading.other.count} other pauses${reading.other.count ? ` (longest ${reading.other.maxMs.toFixed(1)} ms)` : ''}, event-loop delay p99 ${reading.loopDelayP99Ms.toFixed(1)} ms, max ${reading.loopDelayMaxMs.toFixed(1)} ms`
    : '';

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'bench-'));
  const connector = await startConnector();
  const began = performance.now();
  let sequence = 0;
  const productEnv = (database) => ({
    ...PRODUCT_ENV,
    ...(database.schema ? { STORAGE: 'postgres', DATABASE_URL, DATABASE_SCHEMA: database.schema } : { STORAGE: 'sqlite', SQLITE_PATH: database.path }),
  });
  // The bots run with the heap probe (heapProbe.cjs: it answers signals and observes nothing until asked), so the last
  // repetition's warm process can be weighed with conversations parked in it, and each can say what stopped it at 200/s.
  const PROBED = ['--expose-gc', '--require', HEAP_PROBE];
  const heapFile = (key) => join(work, `heap-${key}.json`);
  const pausesFile = (key) => join(work, `pauses-${key}.json`);
  const probeFiles = (key) => ({ BENCH_HEAP_FILE: heapFile(key), BENCH_PAUSES_FILE: pausesFile(key) });
  const startProduct = (key, database) => startProcess(key, join(ROOT, 'dist/src/index.js'), { ...productEnv(database), ...probeFiles(key) }, PROBED);

  /** A fresh database for the product, with an account for each of `count` callers: an SQLite file, or a PostgreSQL schema. */
  const sqliteDatabase = (name) => {
    const path = join(work, `${name}.sqlite`);
    return {
      path,
      seed: async (count) => seedAccounts(path, count),
      cancellations: async (from, to) => endOfTermCancellations(path, from, to),
      stateBytes: async (keyPart) => stateBytes(path, keyPart),
      storedConversation: async () => storedConversation(path),
      fill: async (from, to, doc) => fillConversations(path, from, to, doc),
      drop: async () => undefined,
    };
  };
  const postgresDatabase = async () => {
    const pg = await postgresSchema(DATABASE_URL);
    return { schema: pg.schema, seed: pg.seedAccounts, cancellations: pg.endOfTermCancellations, stateBytes: pg.stateBytes, fill: pg.fillConversations, drop: pg.drop };
  };
  /** The product started on a new database (its tables made by the product's own migrations), the accounts seeded. */
  const productOn = (key, makeDatabase) => async (rep, count) => {
    const database = await makeDatabase(`${key}-${rep}`);
    dropped.push(database); // dropped at the end, whatever happens from here
    if (database.path) {
      openSqliteDatabase(database.path).close();
    } else {
      const first = await startProduct(key, database);
      await first.stop();
    }
    await database.seed(count);
    return { database, running: await startProduct(key, database) };
  };

  const targets = {
    product: { name: 'product (SQLite)', replies: true, start: productOn('product', sqliteDatabase) },
    ...(DATABASE_URL ? { productPg: { name: 'product (PostgreSQL)', replies: true, start: productOn('productPg', postgresDatabase) } } : {}),
    sdk: { name: 'plain SDK waterfall', replies: true, start: async () => ({ running: await startProcess('sdk', join(ROOT, 'bench/servers/plainSdkBot.mjs'), probeFiles('sdk'), PROBED) }) },
    bare: { name: 'bare restify', replies: false, start: async () => ({ running: await startProcess('bare', join(ROOT, 'bench/servers/bareRestify.mjs'), {}) }) },
  };
  const keys = Object.keys(targets);
  const isProduct = (key) => key.startsWith('product');
  const heap = {};
  const state = {};
  const finishedState = {};
  const results = Object.fromEntries(keys.map((key) => [key, { throughput: [], cpu: [], open: {} }]));
  const dropped = [];
  /**
   * The PostgreSQL schema the measured rounds ran on (its tables, accounts, the warm-up's, every round's and the parked
   * conversations), as product-0.sqlite is SQLite's: what the cold starts start on.
   */
  let postgresForColdStarts;

  try {
    // Every target is started once and warmed up once — WARM_UP conversations, by when its code is compiled and
    // optimised as a server's is after its first minutes (the product, with far more code than the SDK bot, needs
    // some 200 conversations for it) — then measured in REPETITIONS rounds, the targets taking turns in each round.
    const running = {};
    try {
      // The targets start one after another (each on a free port of its own), then warm up side by side: nothing is
      // timed yet, and each process gets the same turns whatever runs beside it (what compiles its code is how often
      // it runs, not when). Seconds saved here, where the two vCPUs are busy either way (38 s against 43).
      for (const key of keys) {
        const target = targets[key];
        const perRound = CLOSED_CONVERSATIONS + RATES.reduce((n, rate) => n + Math.ceil((rate * openSeconds(rate)) / 14) + 10, 0);
        const { database, running: started } = await target.start(0, WARM_UP + REPETITIONS * perRound);
        // Each conversation is a caller of its own, with an account of their own (caller i ↔ account i).
        let callers = 0;
        const scripts = (label, count) => Array.from({ length: count }, () => ({ id: `${label}-${key}-${++sequence}`, lines: script(callers++) }));
        running[key] = { target, database, proc: { ...target, ...started }, scripts, callers: () => callers };
      }
      await allDone(keys.map(async (key) => {
        const { target, proc, scripts } = running[key];
        await closedLoop(proc, connector, scripts('warm', WARM_UP), CONCURRENCY);
        console.error(`${seconds(began)} warmed up: ${target.name}`);
      }));
      for (let rep = 0; rep < REPETITIONS; rep++) {
        for (const key of keys) {
          const { target, database, proc, scripts, callers } = running[key];
          // The closed loop, with CPU read around it.
          const first = callers();
          const cpuBefore = proc.cpuMs();
          const closed = await closedLoop(proc, connector, scripts(`bench-${rep}`, CLOSED_CONVERSATIONS), CONCURRENCY);
          const cpuMs = proc.cpuMs() - cpuBefore;
          // Every reply arriving is not enough: the product must really have done what these callers asked.
          if (database) {
            const done = await database.cancellations(first, callers());
            if (done < CLOSED_CONVERSATIONS) throw new Error(`${target.name}: ${done} of ${CLOSED_CONVERSATIONS} scripted cancellations happened; it said:\n${proc.recentOutput()}`);
          }
          // The first round's conversations, every one finished now; after the open loops below, some are half-way.
          if (database && rep === 0) finishedState[key] = await database.stateBytes('bench-0-');
          results[key].throughput.push(closed.turnsPerSecond);
          results[key].cpu.push(cpuMs / closed.turns);
          // Bare restify answers in microseconds at any rate: it is offered the highest only, as the floor.
          // The bots with the probe also say what stopped them during the highest rate: collections and event-loop delay.
          const probed = key !== 'bare';
          for (const rate of key === 'bare' ? RATES.slice(-1) : RATES) {
            const last = rate === RATES.at(-1);
            if (probed && last) await proc.pauses(pausesFile(key));
            const open = await openLoop(proc, connector, scripts(`bench-${rep}`, Math.ceil((rate * openSeconds(rate)) / 14) + 10), rate, openSeconds(rate));
            (results[key].open[rate] ??= []).push(open.p99);
            if (last) results[key].slowestSteps = open.slowestSteps;
            if (probed && last) (results[key].pausesAt200 ??= []).push(await proc.pauses(pausesFile(key)));
          }
          if (database && rep === 0) state[key] = { ...(await database.stateBytes('bench-0-')), doc: await database.storedConversation?.() };
          console.error(`${seconds(began)} repetition ${rep + 1}/${REPETITIONS}: ${target.name} ${results[key].throughput.at(-1).toFixed(0)} turns/s, ${results[key].cpu.at(-1).toFixed(2)} CPU ms/turn, p99 @200/s ${results[key].open[200].at(-1).toFixed(1)} ms (its slowest 1 % by step of the script: ${Object.entries(results[key].slowestSteps).map(([step, n]) => `${step} ×${n}`).join(', ')})${pausesText(results[key].pausesAt200?.at(-1))}`);
        }
      }
      postgresForColdStarts = running.productPg?.database;
      // Heap per idle conversation, in the warm processes after the last round (their code compiled, so what grows is
      // what conversations keep): PARKED callers each left at a prompt ("hej" → the menu, or the SDK bot's first
      // question), the heap weighed after full collections before and after; the product on each of its stores. The
      // bots park side by side: what is weighed is each process's own heap, which nothing beside it changes, and
      // nothing is timed.
      await allDone(keys.filter((key) => key !== 'bare').map(async (key) => {
        const { target, proc } = running[key];
        const park = Array.from({ length: PARKED }, () => ({ id: `park-${key}-${++sequence}`, lines: ['hej'] }));
        const before = await proc.heapUsed(heapFile(key));
        await closedLoop(proc, connector, park, CONCURRENCY);
        heap[key] = ((await proc.heapUsed(heapFile(key))) - before) / PARKED;
        console.error(`${seconds(began)} heap per idle conversation (${PARKED} parked): ${target.name} ${heap[key].toFixed(0)} B`);
      }));
    } finally {
      for (const { proc } of Object.values(running)) await proc.stop();
    }

    // Cold start: the product from an existing database (as a restart is), every start counted; on PostgreSQL too, its
    // starts taking turns with SQLite's, in the other order every other time, so that neither store's starts always
    // come right after the other's process has exited. Timed once the machine has settled — the runs' files written
    // out, PostgreSQL's checkpoint done — and before the stored conversations below, so no start is timed while the
    // disk still writes out what came before.
    execFileSync('sync');
    if (DATABASE_URL) await checkpoint(DATABASE_URL);
    const coldStartsOn = { product: { path: join(work, 'product-0.sqlite') }, ...(postgresForColdStarts ? { productPg: postgresForColdStarts } : {}) };
    const coldStarts = Object.fromEntries(Object.keys(coldStartsOn).map((key) => [key, []]));
    for (let i = 0; i < COLD_STARTS; i++) {
      const inTurn = Object.entries(coldStartsOn);
      for (const [key, database] of i % 2 ? inTurn.reverse() : inTurn) {
        const proc = await startProduct(key, database);
        coldStarts[key].push(proc.coldStartMs);
        await proc.stop();
      }
    }
    const { running: sdkStart } = await targets.sdk.start();
    await sdkStart.stop();
    const { running: bareStart } = await targets.bare.start();
    await bareStart.stop();
    for (const key of Object.keys(coldStarts)) console.error(`${seconds(began)} cold starts: ${targets[key].name} max ${Math.max(...coldStarts[key]).toFixed(0)} ms (${COLD_STARTS} starts)`);

    // How cost grows: the same turns with 10 k, 100 k and 1 M conversations already stored (copies of a real one).
    const scale = {};
    for (const key of keys.filter(isProduct)) {
      scale[key] = await latencyWithStored(key, state.product.doc);
      console.error(`${seconds(began)} stored conversations, ${targets[key].name}: ${STORED.map((n) => `${n}: p50 ${scale[key][n].p50.toFixed(1)} ms, p99 ${scale[key][n].p99.toFixed(1)} ms`).join('; ')}`);
    }

    const figure = (key) => ({
      turnsPerSecond: median(results[key].throughput),
      cpuMsPerTurn: median(results[key].cpu),
      p99MsByRate: Object.fromEntries(RATES.filter((rate) => results[key].open[rate]).map((rate) => [rate, median(results[key].open[rate])])),
      // Each repetition's reading of what stopped the bot during its 200/s open loop (not for bare restify).
      ...(results[key].pausesAt200 ? { pausesAt200: results[key].pausesAt200 } : {}),
    });
    const sdk = figure('sdk');
    const bare = figure('bare');
    const summary = (key) => {
      const product = figure(key);
      const first = scale[key][STORED[0]];
      const last = scale[key][STORED.at(-1)];
      return {
        ratio: product.turnsPerSecond / sdk.turnsPerSecond,
        cpuRatio: product.cpuMsPerTurn / sdk.cpuMsPerTurn,
        limitRatio: product.turnsPerSecond / bare.turnsPerSecond,
        p99Ms: product.p99MsByRate[200],
        sdkP99Ms: sdk.p99MsByRate[200],
        stateBytesPerConversation: state[key].bytes / Math.max(1, state[key].conversations),
        stateBytesPerFinishedConversation: finishedState[key].bytes / Math.max(1, finishedState[key].conversations),
        heapBytesPerIdleConversation: heap[key],
        coldStartMs: Math.max(...coldStarts[key]),
        coldStartMedianMs: median(coldStarts[key]),
        coldStartsMs: coldStarts[key],
        latencyWithStored: { oneAtATime: true, ...scale[key] },
        // The median turn's latency with the most stored over the fewest (target: within 10 %).
        storedGrowth: last.p50 / first.p50,
        product,
      };
    };
    const { product, ...sqliteSummary } = summary('product');
    const latest = {
      takenAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      repetitions: REPETITIONS,
      ...sqliteSummary,
      sdkHeapBytesPerIdleConversation: heap.sdk,
      parkedConversations: PARKED,
      product,
      ...(targets.productPg ? { postgres: summary('productPg') } : {}),
      sdk,
      bare,
      sdkColdStartMs: sdkStart.coldStartMs,
      bareColdStartMs: bareStart.coldStartMs,
      benchSeconds: (performance.now() - began) / 1000,
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
    printTable(latest);
  } finally {
    await connector.close();
    for (const database of dropped) await database.drop().catch((error) => console.error(`a benchmark database was not dropped: ${error.message}`));
    rmSync(work, { recursive: true, force: true });
  }

  /**
   * The product on a new database holding `n` stored conversations for each n of STORED (filled up step by step, the
   * product stopped while it is filled), warmed up, then a turn's latency on its own: conversations one after another
   * (no queueing, so what is measured is what a turn costs), SCALE_WINDOWS windows of SCALE_CONVERSATIONS, the last
   * one taken (by then the process is as warm as a server that has run a while; the first window still compiles code).
   */
  async function latencyWithStored(key, doc) {
    const measured = {};
    const perSize = SCALE_WARM_UP + SCALE_WINDOWS * SCALE_CONVERSATIONS;
    const { database, running } = await targets[key].start('stored', perSize * STORED.length);
    let proc = { ...targets[key], ...running };
    let stored = 0;
    let callers = 0;
    const scripts = (count) => Array.from({ length: count }, () => ({ id: `stored-${key}-${++sequence}`, lines: script(callers++) }));
    try {
      for (const size of STORED) {
        await proc.stop();
        const filling = performance.now();
        await database.fill(stored, size, doc);
        console.error(`${seconds(began)} ${targets[key].name}: ${size.toLocaleString('en')} conversations stored (filled in ${((performance.now() - filling) / 1000).toFixed(1)} s)`);
        stored = size;
        proc = { ...targets[key], ...(await startProduct(key, database)) };
        await closedLoop(proc, connector, scripts(SCALE_WARM_UP), CONCURRENCY);
        let last;
        for (let window = 0; window < SCALE_WINDOWS; window++) last = await closedLoop(proc, connector, scripts(SCALE_CONVERSATIONS), 1);
        measured[size] = { p50: last.p50, p99: last.p99 };
      }
    } finally {
      await proc.stop();
    }
    return measured;
  }
}

/** Waits for every one of `work`, then fails with the first failure: no process is stopped while another still drives it. */
async function allDone(work) {
  const failed = (await Promise.allSettled(work)).find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

const seconds = (began) => `[${((performance.now() - began) / 1000).toFixed(0)} s]`;

function printTable(latest) {
  const pg = latest.postgres;
  const columns = [latest.product, ...(pg ? [pg.product] : []), latest.sdk, latest.bare];
  const row = (label, cells) => console.log(`| ${label} | ${cells.join(' | ')} |`);
  const figures = (label, fn) => row(label, columns.map(fn));
  console.log(`\n${latest.machine.cpus} vCPU (${latest.machine.cpu}), Node ${latest.machine.node}, median of ${latest.repetitions} interleaved repetitions, ${latest.benchSeconds.toFixed(0)} s\n`);
  row('figure (median)', ['product, SQLite', ...(pg ? ['product, PostgreSQL'] : []), 'plain SDK waterfall', 'bare restify']);
  row('---', columns.map(() => '---'));
  figures('closed-loop turns/s, 50 conversations', (f) => f.turnsPerSecond.toFixed(0));
  figures('CPU ms per turn (bot process)', (f) => f.cpuMsPerTurn.toFixed(2));
  for (const rate of RATES) figures(`p99 ms at ${rate} turns/s offered`, (f) => f.p99MsByRate[rate]?.toFixed(1) ?? '—');
  // Medians over the repetitions of what each reading counted during the 200/s open loop.
  const paused = (f, pick, digits = 1) => (f.pausesAt200 ? median(f.pausesAt200.map(pick)).toFixed(digits) : '—');
  figures('while at 200/s: scavenges, longest ms', (f) => (f.pausesAt200 ? `${paused(f, (r) => r.scavenge.count, 0)}, ${paused(f, (r) => r.scavenge.maxMs)}` : '—'));
  figures('while at 200/s: mark-compacts, longest ms', (f) => (f.pausesAt200 ? `${paused(f, (r) => r.markCompact.count, 0)}, ${paused(f, (r) => r.markCompact.maxMs)}` : '—'));
  figures('while at 200/s: event-loop delay p99 / max ms', (f) => (f.pausesAt200 ? `${paused(f, (r) => r.loopDelayP99Ms)} / ${paused(f, (r) => r.loopDelayMaxMs)}` : '—'));
  row('stored state per conversation, B (finished and half-way)', [latest.stateBytesPerConversation.toFixed(0), ...(pg ? [pg.stateBytesPerConversation.toFixed(0)] : []), 'in memory', '—']);
  row('stored state per finished conversation, B', [latest.stateBytesPerFinishedConversation.toFixed(0), ...(pg ? [pg.stateBytesPerFinishedConversation.toFixed(0)] : []), 'in memory', '—']);
  row('heap per idle conversation, B', [latest.heapBytesPerIdleConversation.toFixed(0), ...(pg ? [pg.heapBytesPerIdleConversation.toFixed(0)] : []), latest.sdkHeapBytesPerIdleConversation.toFixed(0), '—']);
  row('cold start to /healthz 200, ms (max)', [latest.coldStartMs.toFixed(0), ...(pg ? [pg.coldStartMs.toFixed(0)] : []), latest.sdkColdStartMs.toFixed(0), latest.bareColdStartMs.toFixed(0)]);
  for (const n of STORED) {
    const at = (summary) => `${summary.latencyWithStored[n].p50.toFixed(1)} / ${summary.latencyWithStored[n].p99.toFixed(1)}`;
    row(`turn p50 / p99 ms, ${n.toLocaleString('en')} stored`, [at(latest), ...(pg ? [at(pg)] : []), '—', '—']);
  }
  const verdict = (name, summary, floor, p99Limit) => {
    console.log(`\n${name}: ratio ${summary.ratio.toFixed(2)} (target ≥ ${floor}), cpuRatio ${summary.cpuRatio.toFixed(2)} (≤ 1.0), limitRatio ${summary.limitRatio.toFixed(3)}`);
    console.log(`  p99 at 200/s ${summary.p99Ms.toFixed(1)} ms (target ≤ ${p99Limit} and ≤ SDK ${summary.sdkP99Ms.toFixed(1)} ms); state ${summary.stateBytesPerConversation.toFixed(0)} B per conversation (≤ 1,024; ${summary.stateBytesPerFinishedConversation.toFixed(0)} B once finished)`);
    console.log(`  median turn with ${STORED.at(-1).toLocaleString('en')} stored ÷ with ${STORED[0].toLocaleString('en')}: ${summary.storedGrowth.toFixed(2)} (≤ 1.10)`);
  };
  verdict('SQLite', latest, '1.0', 20);
  if (pg) verdict('PostgreSQL', pg, '0.8', 40);
  const starts = (name, summary) =>
    console.log(`${name}: heap per idle conversation (${latest.parkedConversations} parked at a prompt, after GC) ${summary.heapBytesPerIdleConversation.toFixed(0)} B (≤ 200); cold start max ${summary.coldStartMs.toFixed(0)} ms, median ${summary.coldStartMedianMs.toFixed(0)} ms over ${summary.coldStartsMs.length} starts (≤ 2,000 every start; in order: ${summary.coldStartsMs.map((ms) => ms.toFixed(0)).join(' ')})`);
  starts('SQLite', latest);
  if (pg) starts('PostgreSQL', pg);
  if (!pg) console.log('PostgreSQL not measured: set DATABASE_URL (for example postgres://postgres@127.0.0.1:5432/test) to run it too');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
