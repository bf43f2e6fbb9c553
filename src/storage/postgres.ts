import { randomUUID } from 'node:crypto';
import type { StoreItems } from 'botbuilder';
import type { SqlClient, StateRow } from './conversationLock';
import { FailedStatementError, UNIQUE_VIOLATION, type PostgresDatabase } from './postgresDatabase';
import { ETagConflictError, expectedETag, ONLY_IF_ABSENT, type StateStore } from './stateStore';
import { jsonToWrite } from './stateJson';
import { postgresStateKey } from './stateKey';
import { createStateSeal, openStored, type StateSeal, type StateSealing } from './stateSeal';

/** The state of `$1` (an array of keys): one row for each key that has any. */
export const READ_STATE = 'SELECT key, doc, etag FROM bot_state WHERE key = ANY($1)';

/** The scale-out state store: several stateless bot instances share one PostgreSQL database. */
export function createPostgresStateStore(db: PostgresDatabase, closeDatabase = true, sealing: StateSealing = {}): StateStore {
  // The key from the database is read once, on first use; a failed read is tried again on the next turn.
  let sealReady: Promise<StateSeal> | undefined;
  const sealer = (): Promise<StateSeal> => {
    sealReady ??= (sealing.key ? Promise.resolve(sealing.key) : postgresStateKey(db)).then(createStateSeal, (error) => {
      sealReady = undefined;
      throw error;
    });
    return sealReady;
  };
  /** The seal if one was made (it holds the documents it remembers), without reading the key for it. */
  const sealOpened = () => sealReady?.catch(() => undefined);
  /**
   * Reads asked for together (a turn loads its conversation's and its caller's state at once) go to the database as
   * one query: the keys gathered until the current tick's promise jobs are done, then read in one round trip.
   */
  let gathering: { keys: Set<string>; rows: Promise<Map<string, StateRow>> } | undefined;
  const readTogether = (keys: string[]): Promise<Map<string, StateRow>> => {
    if (!gathering) {
      const batch = { keys: new Set<string>(), rows: undefined as unknown as Promise<Map<string, StateRow>> };
      batch.rows = new Promise((resolve, reject) =>
        process.nextTick(() => {
          if (gathering === batch) gathering = undefined;
          db.query<StateRow & { key: string }>(READ_STATE, [[...batch.keys]])
            .then(({ rows }) => resolve(new Map(rows.map((row) => [row.key, row]))), reject);
        }),
      );
      gathering = batch;
    }
    for (const key of keys) gathering.keys.add(key);
    return gathering.rows;
  };
  return {
    kind: 'postgres',
    async read(keys, within) {
      const items: StoreItems = {};
      if (keys.length === 0) return items;
      // Read with the turn's lock when it was (same database): no round trip of its own.
      const readAhead = within?.database === db ? within.takeReadAhead(keys) : undefined;
      const [seal, found] = await Promise.all([sealer(), readAhead ?? readTogether(keys)]);
      for (const key of keys) {
        const row = found.get(key);
        if (row) items[key] = openStored(seal, sealing, key, row.doc, row.etag);
      }
      return items;
    },
    async write(changes, within) {
      // The JSON of each item as it is now, before anything is awaited.
      const entries = Object.entries(changes).map(([key, item]) => [key, item, jsonToWrite(item)] as const);
      if (entries.length === 0) return;
      const seal = await sealer();
      // In a transaction even for one item, behind a check that it ran before this instance would give up: a statement
      // on its own would commit by itself once a lock it waits for is free — after this instance lost the connection
      // and apologised, moving the caller's place to a question they never read. In a turn, the transaction is the one
      // its lock opened on the lock's connection (same database): no BEGIN of its own, and committed before the replies
      // go. There, unconditional writes go with their COMMIT in one message (commitWith): late, that COMMIT answers
      // ROLLBACK. Outside a turn every write goes so, with its BEGIN too (commitTogether).
      const turn = within?.database === db ? within : undefined;
      // Unconditional writes (the bot's state, eTag `*`) need no answer before the next statement: sent together.
      if (turn && entries.every(([, item]) => expectedETag(item) === undefined)) {
        await turn.commitWith(entries.map(([key, , json]) => [UPSERT, [key, seal.seal(key, json), randomUUID()]] as const));
        return;
      }
      if (!turn) {
        // Outside a turn (the verification counters), each item is one statement that fails on a conflict, and the
        // items go with their BEGIN and COMMIT in one message: one round trip where waiting for the items' answers
        // before sending the COMMIT took two. A conflict fails the transaction: nothing of the write is kept.
        const statements = entries.map(([key, item, json]) => conditionalWrite(key, item, seal.seal(key, json)));
        try {
          await db.commitTogether(statements);
        } catch (error) {
          if (error instanceof FailedStatementError && error.cause.code === UNIQUE_VIOLATION) throw new ETagConflictError(entries[error.index][0]);
          throw error;
        }
        return;
      }
      // Each item's statements wait only for that item's own answers: the items go together (the connection pipelines
      // them), so two counters created at once (a statement each) wait for one round trip, not two. Every item is
      // seen to its end before the transaction ends, failed or not: an item still sending its second statement after
      // a ROLLBACK would send it outside the transaction, kept alone.
      await turn.run(async (client) => {
        const written = await Promise.allSettled(entries.map(([key, item, json]) => writeOne(client, key, item, seal.seal(key, json))));
        const failed = written.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      });
    },
    async delete(keys) {
      if (keys.length === 0) return;
      await db.query('DELETE FROM bot_state WHERE key = ANY($1)', [keys]);
      const seal = await sealOpened();
      for (const key of keys) seal?.forget(key);
    },
    async deleteIdle(keyContains, idleBefore) {
      const { rowCount } = await db.query("DELETE FROM bot_state WHERE strpos(key, $1) > 0 AND updated_at < $2", [keyContains, idleBefore]);
      if (rowCount) (await sealOpened())?.forget();
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

/** An unconditional write: ($1 key, $2 doc, $3 new eTag). */
const UPSERT = `INSERT INTO bot_state (key, doc, etag) VALUES ($1, $2, $3)
  ON CONFLICT (key) DO UPDATE SET doc = excluded.doc, etag = excluded.etag, updated_at = now()`;

/**
 * One item in one statement that fails (UNIQUE_VIOLATION: the key taken) when it may not be written: unconditional (no
 * eTag), only if absent (a plain INSERT), or over the version the caller read — an UPDATE of that version, else an
 * INSERT, which finds the key taken when another version is stored. A write waiting for a parallel one's row sees what
 * that one committed.
 */
function conditionalWrite(key: string, item: StoreItems[string], doc: string): readonly [string, unknown[]] {
  const expected = expectedETag(item);
  if (expected === undefined) return [UPSERT, [key, doc, randomUUID()]];
  if (expected === ONLY_IF_ABSENT) return ['INSERT INTO bot_state (key, doc, etag) VALUES ($1, $2, $3)', [key, doc, randomUUID()]];
  return [
    `WITH updated AS (UPDATE bot_state SET doc = $2, etag = $3, updated_at = now() WHERE key = $1 AND etag = $4 RETURNING key)
     INSERT INTO bot_state (key, doc, etag) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT FROM updated)`,
    [key, doc, randomUUID(), expected],
  ];
}

/**
 * One item: written if nobody changed it since it was read (its eTag), created if it is new, else an ETagConflictError.
 * A conditional write that finds a different version and one that finds none are each one statement: UPDATE, then an
 * INSERT only when the UPDATE found nothing to update.
 */
async function writeOne(db: SqlClient, key: string, item: StoreItems[string], doc: string): Promise<void> {
  const expected = expectedETag(item);
  if (expected === undefined) {
    await db.query(UPSERT, [key, doc, randomUUID()]);
    return;
  }
  // Conditional: update only the version the caller read; a row that does not exist yet may be created.
  if (expected !== ONLY_IF_ABSENT) {
    const updated = await db.query('UPDATE bot_state SET doc = $2, etag = $3, updated_at = now() WHERE key = $1 AND etag = $4', [key, doc, randomUUID(), expected]);
    if (updated.rowCount === 1) return;
  }
  const inserted = await db.query('INSERT INTO bot_state (key, doc, etag) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [key, doc, randomUUID()]);
  if (inserted.rowCount !== 1) throw new ETagConflictError(key);
}
