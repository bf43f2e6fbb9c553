import { readFileSync, writeFileSync } from 'node:fs';
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
  try {
    // 'wx': the first to start makes it; a start that finds one keeps it (the state written before stays readable).
    writeFileSync(path, `${newStateKey().toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = parseStateKey(readFileSync(path, 'utf8'));
  if (!key) throw new Error(`${path} does not hold a 32-byte key (base64 or hex)`);
  return key;
}

/**
 * For PostgreSQL without STATE_ENCRYPTION_KEY: one key for every instance, kept in its own table — the first instance
 * makes it. It keeps the answers out of the state table, its dumps and its logs; set STATE_ENCRYPTION_KEY to keep the
 * key out of the database altogether.
 */
export async function postgresStateKey(db: PostgresDatabase): Promise<Buffer> {
  await db.query('INSERT INTO state_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [newStateKey()]);
  const { rows } = await db.query<{ key: Buffer }>('SELECT key FROM state_key WHERE id = 1');
  return rows[0].key;
}
