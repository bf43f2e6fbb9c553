import { randomUUID } from 'node:crypto';
import type { StoreItems } from 'botbuilder';
import type { PostgresDatabase } from './postgresDatabase';
import { ETagConflictError, expectedETag, ONLY_IF_ABSENT, withoutETag, type StateStore } from './stateStore';

/** The scale-out state store: several stateless bot instances share one PostgreSQL database. */
export function createPostgresStateStore(db: PostgresDatabase, closeDatabase = true): StateStore {
  return {
    kind: 'postgres',
    async read(keys) {
      const items: StoreItems = {};
      if (keys.length === 0) return items;
      const { rows } = await db.query<{ key: string; doc: Record<string, unknown>; etag: string }>('SELECT key, doc, etag FROM bot_state WHERE key = ANY($1)', [keys]);
      for (const row of rows) items[row.key] = { ...row.doc, eTag: row.etag };
      return items;
    },
    async write(changes) {
      await db.transaction(async (client) => {
        for (const [key, item] of Object.entries(changes)) {
          const expected = expectedETag(item);
          const doc = withoutETag(item);
          if (expected === undefined) {
            await client.query(
              `INSERT INTO bot_state (key, doc, etag) VALUES ($1, $2, $3)
               ON CONFLICT (key) DO UPDATE SET doc = excluded.doc, etag = excluded.etag, updated_at = now()`,
              [key, doc, randomUUID()],
            );
            continue;
          }
          // Conditional: update only the version the caller read; a row that does not exist yet may be created.
          if (expected !== ONLY_IF_ABSENT) {
            const updated = await client.query('UPDATE bot_state SET doc = $2, etag = $3, updated_at = now() WHERE key = $1 AND etag = $4', [key, doc, randomUUID(), expected]);
            if (updated.rowCount === 1) continue;
          }
          const inserted = await client.query('INSERT INTO bot_state (key, doc, etag) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [key, doc, randomUUID()]);
          if (inserted.rowCount !== 1) throw new ETagConflictError(key);
        }
      });
    },
    async delete(keys) {
      if (keys.length > 0) await db.query('DELETE FROM bot_state WHERE key = ANY($1)', [keys]);
    },
    async deleteIdle(keyContains, idleBefore) {
      const { rowCount } = await db.query("DELETE FROM bot_state WHERE strpos(key, $1) > 0 AND updated_at < $2", [keyContains, idleBefore]);
      return rowCount;
    },
    async ping() {
      await db.query('SELECT 1');
    },
    async close() {
      if (closeDatabase) await db.close();
    },
  };
}
