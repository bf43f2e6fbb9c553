import type { QueryConfig } from 'pg';
import type { ConversationLock } from './conversationLock';
import type { PostgresDatabase } from './postgresDatabase';
import { advisoryKey, endTransaction, LOCK_WAIT_MS } from './postgresDatabase';

/**
 * A transaction-scoped PostgreSQL advisory lock on the conversation, held on its own connection for the length of the
 * turn. If the instance dies mid-turn the database ends the transaction and the lock is free again: nothing to clean
 * up. Waiting for the lock is bounded by the statement timeout; the turn then fails like any database outage.
 */
export function createPostgresConversationLock(db: PostgresDatabase, onConnectionLost?: (error: Error) => void): ConversationLock {
  return {
    async run(conversationKey, turn) {
      const client = await db.lockPool.connect();
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
        onConnectionLost?.(error);
      };
      client.on('error', onLost);
      let broken: Error | undefined;
      try {
        try {
          // Apart from the lock: a network that hangs fails BEGIN within the query timeout; only waiting for the lock
          // (the turn before, on another instance) may take LOCK_WAIT_MS. The lock pool's connections are set up for
          // that wait and for a holder gone quiet (postgresDatabase), so no SET LOCAL round trips here.
          await client.query('BEGIN');
          await client.query({ text: 'SELECT pg_advisory_xact_lock($1)', values: [advisoryKey(`${db.schema}/conversation/${conversationKey}`)], query_timeout: LOCK_WAIT_MS + 1_000 } as QueryConfig);
        } catch (error) {
          // Not locked (the database is away or stalled): this connection may still be busy with the failed query.
          broken = error as Error;
          throw error;
        }
        return await turn(() => lost === undefined);
      } finally {
        // Ending the transaction releases the lock; a connection that cannot end it is destroyed, which releases it too.
        broken ??= await endTransaction(client, 'COMMIT');
        client.off('error', onLost);
        client.release(lost ?? broken);
      }
    },
  };
}
