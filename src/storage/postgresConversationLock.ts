import type { PoolClient, QueryConfig, QueryResult } from 'pg';
import type { ConversationLock, TurnTransaction } from './conversationLock';
import type { PostgresDatabase } from './postgresDatabase';
import { advisoryKey, finishOn, inOneWrite, LOCK_WAIT_MS, transactionOn } from './postgresDatabase';

/**
 * A PostgreSQL advisory lock on the conversation, held on a connection of its own for the length of the turn.
 *
 * Round trips are what a turn on PostgreSQL pays for most (each is a socket write and a wake-up on both sides), so the
 * lock is taken in the message that opens a transaction, the turn's state is written in that transaction and committed
 * (`transaction`), and the lock is given back in one message at the end: four round trips for lock and state where a
 * transaction-scoped lock beside a state transaction of its own took six. The lock is session-scoped so that it
 * outlives the commit: the state is kept before the turn's replies are released, and no other instance runs the
 * conversation's next turn until they have been.
 *
 * If the instance dies the database ends its session and the lock is free again: nothing to clean up. A holder gone
 * quiet (its host lost without closing the connection) loses it after the idle-in-transaction limit or, once its state
 * is committed, when the database's keepalive probes find the peer gone (postgresDatabase sets both for these
 * connections). Waiting for the lock is bounded by the statement timeout; the turn then fails like any outage.
 */
export function createPostgresConversationLock(db: PostgresDatabase, onConnectionLost?: (error: Error) => void): ConversationLock {
  return {
    async run(conversationKey, turn) {
      // Digits only (a signed 64-bit integer): written into the text, so opening and closing are one message each.
      const key = advisoryKey(`${db.schema}/conversation/${conversationKey}`);
      const client = await db.lockPool.connect();
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
        onConnectionLost?.(error);
      };
      client.on('error', onLost);
      /** The connection may hold the lock or an unfinished transaction: never handed back to the pool as it is. */
      let broken: Error | undefined;
      /** The lock's transaction (opened with it) is open: the turn's first `transaction` uses it instead of a BEGIN. */
      let open = false;
      try {
        try {
          // Tried first, without waiting: a free lock (the usual case) costs this one message, and a network that hangs
          // fails it within the pool's query timeout. Only waiting for a held lock (the turn before, on another
          // instance) may take LOCK_WAIT_MS; the lock pool's connections are set up for that wait (postgresDatabase).
          const tried = (await client.query(`BEGIN; SELECT pg_try_advisory_lock(${key}) AS locked`)) as unknown as QueryResult[];
          open = true;
          if (tried.at(-1)?.rows[0]?.locked !== true) await client.query({ text: `SELECT pg_advisory_lock(${key})`, query_timeout: LOCK_WAIT_MS + 1_000 } as QueryConfig);
        } catch (error) {
          // Not locked (the database is away or stalled): this connection may still be busy with the failed query.
          broken = error as Error;
          throw error;
        }
        const run: TurnTransaction['run'] = async (work) => {
          if (broken) throw broken;
          try {
            return await transactionOn(client, work, { begun: open, onBroken: (error) => (broken = error) });
          } finally {
            open = false;
          }
        };
        const commitWith: TurnTransaction['commitWith'] = async (statements) => {
          if (broken) throw broken;
          const sent: Array<Promise<QueryResult>> = [];
          try {
            inOneWrite(client, () => {
              if (!open) sent.push(client.query('BEGIN'));
              for (const [sql, params] of statements) sent.push(client.query(sql, params));
              sent.push(client.query('COMMIT'));
            });
          } finally {
            open = false;
          }
          const results = await Promise.allSettled(sent);
          const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
          const ended = results.at(-1);
          // A statement that failed aborted the transaction, and the COMMIT behind it rolled it back (PostgreSQL answers
          // a COMMIT of an aborted transaction with ROLLBACK). A connection that failed is not used again.
          if (ended?.status === 'rejected') broken = ended.reason as Error;
          if (failed) throw failed.reason;
          if (ended?.status !== 'fulfilled' || ended.value.command !== 'COMMIT') throw new Error('the turn transaction was not committed');
        };
        return await turn(() => lost === undefined, { database: db, run, commitWith });
      } finally {
        // Nothing of the turn is left uncommitted here (its writes commit in `transaction`); the lock is given back.
        // A connection that cannot give it back is destroyed, which gives it back too.
        broken ??= await unlock(client, open ? `COMMIT; SELECT pg_advisory_unlock(${key}) AS unlocked` : `SELECT pg_advisory_unlock(${key}) AS unlocked`);
        client.off('error', onLost);
        client.release(lost ?? broken);
      }
    },
  };
}

/** Gives the lock back, or says why it could not (then the connection is destroyed rather than pooled holding it). */
async function unlock(client: PoolClient, sql: string): Promise<Error | undefined> {
  const finished = await finishOn(client, sql);
  if ('error' in finished) return finished.error;
  // After a COMMIT, pg answers with one result per statement; the unlock's is the last.
  const result = finished.result as QueryResult | QueryResult[];
  const unlocked = (Array.isArray(result) ? result.at(-1) : result)?.rows[0]?.unlocked;
  return unlocked === true ? undefined : new Error('the conversation lock was not held at the end of the turn');
}
