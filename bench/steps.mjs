// What each step of the benchmark's script costs (issue 14): `node bench/steps.mjs [checkout | sdk] [rounds, default 5]`.
// The product (the checkout given, `.` by default, with its `dist/` built) or the plain SDK waterfall bot of `npm run bench`
// is warmed up, then each round starts `BENCH_STEPS_CONVERSATIONS` (50) new conversations, sends the script's first
// message (step 0) to all of them at once, waits for every answer, then the next, and so on — the way the open loop's
// round-robin brings a round's conversations to each step together. Around each step it reads the bot's CPU (the
// scheduler's exact run time of its threads) and counts the replies the connector stand-in received; on PostgreSQL
// (`DATABASE_URL` set) also the database's CPU (every `postgres` process of this machine, the same way: keep it
// otherwise idle). Prints the median over the rounds per step, and each round's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConnector } from './lib/connector.mjs';
import { closedLoop, turn } from './lib/drive.mjs';
import { script } from './lib/accounts.mjs';
import { startBuild, startSdkBot } from './lib/builds.mjs';
import { databaseCpuMsBetween, databaseTimes } from './lib/postgres.mjs';
import { runTimeMs } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';

const [checkout = '.', roundsText] = process.argv.slice(2);
const ROUNDS = Number(roundsText ?? 5);
const CONVERSATIONS = Number(process.env.BENCH_STEPS_CONVERSATIONS ?? 50);
const WARM_UP = 200;
const STEPS = script(0).length;
const DATABASE_URL = checkout === 'sdk' ? undefined : process.env.DATABASE_URL;

const work = mkdtempSync(join(tmpdir(), 'steps-'));
const connector = await startConnector();
let bot;
try {
  bot = checkout === 'sdk' ? await startSdkBot() : await startBuild(checkout, { work, accounts: WARM_UP + ROUNDS * CONVERSATIONS, databaseUrl: DATABASE_URL });
  let callers = 0;
  const conversations = (count) => Array.from({ length: count }, () => ({ id: `steps-${callers}`, lines: script(callers++) }));
  await closedLoop(bot, connector, conversations(WARM_UP), 50);

  const byStep = Array.from({ length: STEPS }, () => ({ cpu: [], database: [], replies: [] }));
  for (let round = 0; round < ROUNDS; round++) {
    const these = conversations(CONVERSATIONS);
    for (let step = 0; step < STEPS; step++) {
      const cpuBefore = runTimeMs(bot.pid);
      const databaseBefore = DATABASE_URL ? databaseTimes() : undefined;
      const repliesBefore = connector.total;
      await Promise.all(these.map(({ id, lines }) => turn(bot, connector, id, lines[step], step)));
      byStep[step].cpu.push((runTimeMs(bot.pid) - cpuBefore) / CONVERSATIONS);
      if (databaseBefore) byStep[step].database.push(databaseCpuMsBetween(databaseBefore, databaseTimes()) / CONVERSATIONS);
      byStep[step].replies.push((connector.total - repliesBefore) / CONVERSATIONS);
    }
  }

  const sample = script(0);
  console.log(`${bot.name}${DATABASE_URL ? ' on PostgreSQL' : checkout === 'sdk' ? '' : ' on SQLite'}: CPU ms per turn by step of the script, median of ${ROUNDS} rounds of ${CONVERSATIONS} conversations in lockstep (the scheduler's run time of the bot's threads${DATABASE_URL ? ' and of the database\'s processes' : ''})`);
  for (const [step, { cpu, database, replies }] of byStep.entries()) {
    const databaseText = database.length ? `, database ${median(database).toFixed(2)}` : '';
    console.log(`step ${String(step).padStart(2)} ${JSON.stringify(sample[step]).padEnd(36)} bot ${median(cpu).toFixed(2)}${databaseText}, replies ${median(replies).toFixed(2)}   (rounds: ${cpu.map((ms) => ms.toFixed(2)).join(' ')})`);
  }
  const perTurn = (key) => byStep.reduce((sum, step) => sum + median(step[key]), 0) / STEPS;
  console.log(`mean over the steps: bot ${perTurn('cpu').toFixed(2)} CPU ms per turn${DATABASE_URL ? `, database ${perTurn('database').toFixed(2)}` : ''}, ${perTurn('replies').toFixed(2)} reply POSTs per turn`);
} finally {
  await bot?.stop();
  await connector.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
