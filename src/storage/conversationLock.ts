import type { PostgresDatabase } from './postgresDatabase';
import { advisoryKey } from './postgresDatabase';

/**
 * Serialises the turns of one conversation across instances: a turn runs only while it holds its conversation's
 * lock, so two instances never compute from the same saved state (an answer lost) or act on the same "yes" twice.
 * Inside one instance the turn queue already serialises; this is the cross-instance half.
 */
export interface ConversationLock {
  run<T>(conversationKey: string, turn: () => Promise<T>): Promise<T>;
}

/** One instance, or an embedded database only one instance uses: the in-process queue is all that is needed. */
export const NO_CROSS_INSTANCE_LOCK: ConversationLock = { run: (_key, turn) => turn() };

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
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [advisoryKey(`${db.schema}/conversation/${conversationKey}`)]);
        return await turn();
      } finally {
        // Ending the transaction releases the lock; a connection that cannot end it is destroyed, which releases it too.
        await client.query('COMMIT').catch((error: Error) => (broken = error));
        client.off('error', onLost);
        client.release(lost ?? broken);
      }
    },
  };
}
