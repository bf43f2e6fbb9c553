import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { PostgresDatabase } from './postgresDatabase';
import type { SqliteDatabase } from './sqlite';
import { newStateKey, parseStateKey } from './stateSeal';

/**
 * Where the state's key is kept when the operator gives none (STATE_ENCRYPTION_KEY): for the embedded file, in a file
 * of its own beside it (`<database>.key`, readable by the bot's user only), so a copy of the database alone does not
 * show what callers were in the middle of saying; for an in-memory database, in memory.
 */
export function sqliteStateKey(db: SqliteDatabase): Buffer {
  if (db.memory) return newStateKey();
  const path = `${db.name}.key`;
  return readKeyFile(path) ?? makeKeyFile(path);
}

/** The key in the file, or undefined when there is no file yet. */
function readKeyFile(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = parseStateKey(text);
  if (!key) throw new Error(`${path} does not hold a 32-byte key (base64 or hex)`);
  return key;
}

function makeKeyFile(path: string): Buffer {
  // Written whole under a name of its own, then linked into place: the link fails if a key is there already (another
  // process made it first, or an earlier start did — the state written before stays readable), and nobody ever reads
  // a key file half written.
  const draft = `${path}.${process.pid}.${newStateKey().toString('hex', 0, 4)}`;
  writeFileSync(draft, `${newStateKey().toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
  return readKeyFile(path) as Buffer;
}

/**
 * For PostgreSQL without STATE_ENCRYPTION_KEY: one key for every instance, kept in its own table — the first instance
 * makes it. Only what shows the state table alone (a query's rows, an export of that table) is kept from showing the
 * answers: a dump or a copy of the whole database holds the key too. The instances warn of it when they start;
 * STATE_ENCRYPTION_KEY keeps the key out of the database.
 */
export async function postgresStateKey(db: PostgresDatabase): Promise<Buffer> {
  await db.query('INSERT INTO state_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [newStateKey()]);
  const { rows } = await db.query<{ key: Buffer }>('SELECT key FROM state_key WHERE id = 1');
  return rows[0].key;
}
