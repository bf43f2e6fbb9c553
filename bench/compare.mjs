// Two builds of the product side by side (issue 14): `node bench/compare.mjs <checkout A> <checkout B> [rounds]`, each
// a checkout with its own `dist/` built (and `node_modules`, `locales` beside it). Both start on databases of their own,
// are warmed up alike, then measured in turns — a closed loop of 300 conversations each, A then B, round after round —
// so a machine whose speed drifts moves both. Prints CPU ms per turn round by round and the median of the differences.
// `sdk` in place of a checkout is the plain SDK waterfall bot of `npm run bench` (`node bench/compare.mjs sdk .`): the
// product against it in longer, paired rounds than the benchmark's, with the median of the round-by-round ratios.
// A side given with Node flags after it, quoted (`node bench/compare.mjs sdk 'sdk --max-semi-space-size=32'`), runs
// with them: what a runtime setting does to a bot.
// With `DATABASE_URL` set, each build runs on a PostgreSQL schema of its own (dropped after) instead of an SQLite file.
// `BENCH_COMPARE_CONCURRENCY=1` (and fewer `BENCH_COMPARE_CONVERSATIONS`) runs conversations one at a time: a turn's
// latency without queueing, its median compared too — with `bench/delayProxy.mjs` in front of PostgreSQL, what a
// database on another host costs each build. On PostgreSQL it also prints the database's CPU per turn while each
// build runs: every `postgres` process of this machine (/proc; autovacuum included), so keep the database otherwise idle.
// For each build it also prints the whole machine's CPU per turn (every process and the kernel, /proc/stat), the share
// of the machine its loop kept busy and this process's own CPU per turn (the load generator and the connector stand-in):
// `DATABASE_URL=… node bench/compare.mjs sdk .` shows whether a build's closed loop is bound by its bot or by the machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConnector } from './lib/connector.mjs';
import { closedLoop } from './lib/drive.mjs';
import { script } from './lib/accounts.mjs';
import { startBuild, startSdkBot } from './lib/builds.mjs';
import { databaseCpuMsBetween, databaseTimes } from './lib/postgres.mjs';
import { machineTimes } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';

const [a, b, roundsText] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/compare.mjs <checkout A> <checkout B> [rounds, default 7]');
  process.exit(2);
}
const ROUNDS = Number(roundsText ?? 7);
const CONVERSATIONS = Number(process.env.BENCH_COMPARE_CONVERSATIONS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_COMPARE_CONCURRENCY ?? 50);
const WARM_UP = 200;
const DATABASE_URL = process.env.DATABASE_URL;

const work = mkdtempSync(join(tmpdir(), 'compare-'));
const connector = await startConnector();
const builds = [];
try {
  for (const [index, side] of [a, b].entries()) {
    const [checkout, ...nodeOptions] = side.trim().split(/\s+/);
    let callers = 0;
    const scripts = (count) => Array.from({ length: count }, () => ({ id: `compare-${index}-${callers}`, lines: script(callers++) }));
    const running = checkout === 'sdk' ? await startSdkBot(nodeOptions) : await startBuild(checkout, { work, index, accounts: WARM_UP + ROUNDS * CONVERSATIONS, databaseUrl: DATABASE_URL, nodeOptions });
    await closedLoop(running, connector, scripts(WARM_UP), 50);
    builds.push({ label: side, sdk: checkout === 'sdk', running, scripts, cpu: [], databaseCpu: [], machineCpu: [], busy: [], driverCpu: [], throughput: [], p50: [] });
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const build of builds) {
      const before = build.running.cpuMs();
      const databaseBefore = DATABASE_URL && !build.sdk ? databaseTimes() : undefined;
      const machineBefore = machineTimes();
      const driverBefore = process.cpuUsage();
      const { turns, turnsPerSecond, p50 } = await closedLoop(build.running, connector, build.scripts(CONVERSATIONS), CONCURRENCY);
      const driver = process.cpuUsage(driverBefore);
      const machine = machineTimes();
      build.cpu.push((build.running.cpuMs() - before) / turns);
      build.machineCpu.push((machine.busyMs - machineBefore.busyMs) / turns);
      build.busy.push((machine.busyMs - machineBefore.busyMs) / (machine.allMs - machineBefore.allMs));
      build.driverCpu.push((driver.user + driver.system) / 1000 / turns);
      if (databaseBefore) build.databaseCpu.push(databaseCpuMsBetween(databaseBefore, databaseTimes()) / turns);
      build.throughput.push(turnsPerSecond);
      build.p50.push(p50);
    }
    const database = (build) => (build.databaseCpu.length ? ` (database ${build.databaseCpu.at(-1).toFixed(2)})` : '');
    console.log(`round ${round}: ${builds.map((build) => `${build.label} ${build.cpu.at(-1).toFixed(2)} CPU ms/turn${database(build)}, ${build.throughput.at(-1).toFixed(0)} turns/s, p50 ${build.p50.at(-1).toFixed(1)} ms`).join('; ')}`);
  }
  const differences = builds[1].cpu.map((cpu, i) => cpu - builds[0].cpu[i]);
  console.log(`median CPU ms/turn: ${builds.map((build) => `${build.label} ${median(build.cpu).toFixed(2)}`).join(', ')}`);
  // Whose CPU a turn costs besides the bot's (the database's, this process's as load generator and connector), and how
  // much of the machine the loop kept busy: a loop that keeps every vCPU busy is bound by the sum, not by the bot.
  console.log(`median machine CPU ms/turn (every process and the kernel): ${builds.map((build) => `${build.label} ${median(build.machineCpu).toFixed(2)}`).join(', ')}`);
  console.log(`median share of the machine busy (${availableParallelism()} vCPU): ${builds.map((build) => `${build.label} ${(100 * median(build.busy)).toFixed(0)} %`).join(', ')}`);
  console.log(`median CPU ms/turn of this process (load generator and connector stand-in): ${builds.map((build) => `${build.label} ${median(build.driverCpu).toFixed(2)}`).join(', ')}`);
  const onDatabase = builds.filter((build) => build.databaseCpu.length);
  if (onDatabase.length) console.log(`median database CPU ms/turn (every postgres process of this machine): ${onDatabase.map((build) => `${build.label} ${median(build.databaseCpu).toFixed(2)}`).join(', ')}`);
  console.log(`B − A round by round: ${differences.map((d) => d.toFixed(2)).join(' ')}; median ${median(differences).toFixed(2)} ms`);
  const ratios = builds[1].cpu.map((cpu, i) => cpu / builds[0].cpu[i]);
  console.log(`CPU per turn, B ÷ A round by round: ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}`);
  const speeds = builds[1].throughput.map((tps, i) => tps / builds[0].throughput[i]);
  console.log(`turns/s, B ÷ A round by round: ${speeds.map((r) => r.toFixed(2)).join(' ')}; median ${median(speeds).toFixed(2)}`);
  const latencies = builds[1].p50.map((p50, i) => p50 - builds[0].p50[i]);
  console.log(`turn p50, B − A round by round: ${latencies.map((d) => d.toFixed(1)).join(' ')}; median ${median(latencies).toFixed(1)} ms`);
} finally {
  await Promise.all(builds.map((build) => build.running.stop()));
  await connector.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
