import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { StoreItems } from 'botbuilder';
import { ETagConflictError, expectedETag, ONLY_IF_ABSENT, withoutETag, type StateStore } from './stateStore';

const SCHEMA = `CREATE TABLE IF NOT EXISTS bot_state (
  key TEXT PRIMARY KEY,
  doc JSONB NOT NULL,
  etag TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

export interface PostgresOptions {
  /** An idle pooled connection the database ended (restart, failover, pg_terminate_backend): reported, not fatal. */
  onConnectionLost?: (error: Error) => void;
}

/** The scale-out store: several stateless bot instances share one PostgreSQL database. */
export async function createPostgresStateStore(url: string, options: PostgresOptions = {}): Promise<StateStore> {
  // A query that hangs (a locked row, a stalled network) fails after a few seconds instead of holding the turn.
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, query_timeout: 10_000, statement_timeout: 10_000 });
  // Without a listener, pg's 'error' on an idle client is an uncaught exception that ends the process — every
  // instance at once when the database restarts. The pool drops that client; the next query gets a fresh one.
  pool.on('error', (error) => options.onConnectionLost?.(error));
  await pool.query(SCHEMA);

  return {
    kind: 'postgres',
    async read(keys) {
      const items: StoreItems = {};
      if (keys.length === 0) return items;
      const { rows } = await pool.query<{ key: string; doc: Record<string, unknown>; etag: string }>(
        'SELECT key, doc, etag FROM bot_state WHERE key = ANY($1)',
        [keys],
      );
      for (const row of rows) items[row.key] = { ...row.doc, eTag: row.etag };
      return items;
    },
    async write(changes) {
      const client = await pool.connect();
      // A checked-out client has no pool listener: the database ending it mid-transaction would otherwise be an
      // uncaught 'error' that ends the process. The failed query rejects as well, and the turn apologises.
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
        options.onConnectionLost?.(error);
      };
      client.on('error', onLost);
      let failed: Error | undefined;
      try {
        await client.query('BEGIN');
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
        await client.query('COMMIT');
      } catch (error) {
        failed = error as Error;
        await client.query('ROLLBACK').catch((rollbackFailed: Error) => (failed = rollbackFailed));
        throw error;
      } finally {
        client.off('error', onLost);
        // A connection whose transaction may still be open (a timed-out ROLLBACK) or that was ended is destroyed, not
        // reused: the next turn must never commit this one's half.
        client.release(lost ?? (failed && !(failed instanceof ETagConflictError) ? failed : undefined));
      }
    },
    async delete(keys) {
      if (keys.length > 0) await pool.query('DELETE FROM bot_state WHERE key = ANY($1)', [keys]);
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
