// The bots the side-by-side probes start (compare.mjs, steps.mjs; run.mjs takes the product's settings): a build of the product on a database of its own, or
// the plain SDK waterfall bot of `npm run bench`.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startProcess } from './processes.mjs';
import { seedAccounts } from './accounts.mjs';
import { postgresSchema } from './postgres.mjs';

/** The product as `npm run bench` runs it: production settings, authentication off, logging at `warn`, no padding. */
export const PRODUCT_ENV = {
  NODE_ENV: 'production', LOG_LEVEL: 'warn', MicrosoftAppId: '', VERIFICATION_MIN_RESPONSE_MS: '0', LOCAL_DIRECTLINE: 'off',
  SEED_DEMO_ACCOUNTS: 'true', HOST: '127.0.0.1', OTP_SENDER: 'log',
};

/**
 * A build of the product (a checkout with its own `dist/`, `node_modules` and `locales`) on a database of its own — an
 * SQLite file in `work`, or a PostgreSQL schema (dropped when it stops) when `databaseUrl` is given — its tables made
 * by the build itself, an account for each of `accounts` callers. `nodeOptions`: flags for its Node (none by default, as
 * in `npm run bench`).
 */
export async function startBuild(checkout, { work, index = 0, accounts, databaseUrl, nodeOptions = [] }) {
  const root = resolve(checkout);
  const entry = join(root, 'dist/src/index.js');
  if (!databaseUrl) {
    const path = join(work, `build-${index}.sqlite`);
    createRequire(import.meta.url)(join(root, 'dist/src/storage/sqlite.js')).openSqliteDatabase(path).close();
    seedAccounts(path, accounts);
    return { ...(await startProcess(checkout, entry, { ...PRODUCT_ENV, STORAGE: 'sqlite', SQLITE_PATH: path }, nodeOptions)), name: checkout, replies: true };
  }
  // As in `npm run bench`: a first start makes the tables, the accounts go in, the measured process starts on them.
  const database = await postgresSchema(databaseUrl);
  const start = () => startProcess(checkout, entry, { ...PRODUCT_ENV, STORAGE: 'postgres', DATABASE_URL: databaseUrl, DATABASE_SCHEMA: database.schema }, nodeOptions);
  await (await start()).stop();
  await database.seedAccounts(accounts);
  const running = await start();
  return { ...running, name: checkout, replies: true, stop: async () => { await running.stop(); await database.drop(); } };
}

/** The plain SDK waterfall bot of `npm run bench` (`nodeOptions`: flags for its Node, none by default). */
export async function startSdkBot(nodeOptions = []) {
  return { ...(await startProcess('sdk', fileURLToPath(new URL('../servers/plainSdkBot.mjs', import.meta.url)), {}, nodeOptions)), name: 'plain SDK waterfall', replies: true };
}
