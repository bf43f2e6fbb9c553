import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, loadDotEnv, type AppConfig } from '../config';
import { openStores } from '../composition/stores';
import { createLogger, silentLogger } from '../log';
import { DEFAULT_DEMO_DAYS, DEFAULT_DEMO_SEED, generateDemoEvents } from '../insights/demoData';

/**
 * `npm run demo:data`: fills the configured store (SQLite at SQLITE_PATH by default, PostgreSQL with STORAGE=postgres)
 * with a few weeks of made-up conversations for the insights page, through the same events table the bot writes.
 * It replaces the demo events of an earlier run and never touches live ones. Only for a demo: the store must be the
 * embedded directory with the demo accounts (else `--force`).
 *
 * `--if-empty` (what `npm start` runs first): the same, but only into an empty events table, and silently skipped
 * where it does not apply — so a demo shows charts on its first start, and never gets demo events again after that.
 */

export interface DemoDataRun {
  config: AppConfig;
  ifEmpty?: boolean;
  force?: boolean;
  days?: number;
  seed?: number;
  now?: Date;
}

export type DemoDataResult = { filled: true; removed: number; added: number } | { filled: false; why: 'not-a-demo' | 'not-empty' | 'in-memory' };

export async function fillDemoData(run: DemoDataRun): Promise<DemoDataResult> {
  const { config } = run;
  // An in-memory store is gone when this command ends: there is nothing to fill for the bot to show.
  if (config.storage.kind === 'memory') return { filled: false, why: 'in-memory' };
  const demo = config.directory.kind !== 'http' && config.directory.seedDemoAccounts;
  if (!demo && !run.force) return { filled: false, why: 'not-a-demo' };
  const now = run.now ?? new Date();
  const stores = await openStores(config, silentLogger, () => now);
  try {
    if (run.ifEmpty && !(await stores.insights.isEmpty())) return { filled: false, why: 'not-empty' };
    const events = generateDemoEvents({ end: now, days: run.days ?? DEFAULT_DEMO_DAYS, seed: run.seed ?? DEFAULT_DEMO_SEED });
    return { filled: true, ...(await stores.insights.replaceDemoEvents(events)) };
  } finally {
    await stores.close();
  }
}

const argsSchema = z.object({
  'if-empty': z.boolean().default(false),
  force: z.boolean().default(false),
  days: z.coerce.number().int().min(1).max(366).optional(),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).optional(),
});

async function main(): Promise<void> {
  const ifEmpty = process.argv.includes('--if-empty');
  try {
    // npm runs scripts from the project root: STORAGE, SQLITE_PATH, DATABASE_URL may be set in .env, as for the server.
    loadDotEnv();
    const { values } = parseArgs({ options: { 'if-empty': { type: 'boolean' }, force: { type: 'boolean' }, days: { type: 'string' }, seed: { type: 'string' } } });
    const args = argsSchema.safeParse(values);
    if (!args.success) throw new Error('usage: npm run demo:data [-- --days <1-366>] [--seed <number>] [--force] [--if-empty]');
    const loaded = loadConfig(process.env);
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const logger = createLogger(loaded.config.logLevel);
    const result = await fillDemoData({ config: loaded.config, ifEmpty: args.data['if-empty'], force: args.data.force, days: args.data.days, seed: args.data.seed });
    if (result.filled) {
      console.log(`demo:data: ${result.added} demo insights events written (${result.removed} earlier demo events replaced); live events are untouched.`);
    } else if (!args.data['if-empty']) {
      throw new Error(
        result.why === 'in-memory'
          ? 'STORAGE=memory keeps nothing after this command; use sqlite or postgres'
          : 'this store is not a demo (no embedded directory with the demo accounts); add --force to fill it anyway',
      );
    } else {
      logger.debug('demo-data.skipped', { why: result.why });
    }
  } catch (error) {
    console.error(`demo:data: ${error instanceof Error ? error.message : String(error)}`);
    // Before `npm start`, demo data that could not be written must not keep the bot from starting.
    if (!ifEmpty) process.exitCode = 1;
  }
}

// Run as a command (node dist/src/tools/demoData.js), not when a test imports it.
if (require.main === module) void main();
