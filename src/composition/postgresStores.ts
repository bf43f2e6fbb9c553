import type { AppConfig } from '../config';
import type { Logger } from '../log';
import { createPostgresStateStore } from '../storage/postgres';
import { openPostgresDatabase } from '../storage/postgresDatabase';
import { createPostgresConversationLock } from '../storage/postgresConversationLock';
import { createPostgresDirectory, seedDemoAccountsInPostgres } from '../accounts/postgresDirectory';
import { createPostgresSubscriptions } from '../subscriptions/postgresSubscriptions';
import { createPostgresOutbox } from '../storage/postgresOutbox';
import { createPostgresCaseLog } from '../cases/postgresCaseLog';
import { createBroadcastHandoffEvents } from '../handoffs/handoffEvents';
import { createPostgresHandoffQueue } from '../handoffs/postgresHandoffQueue';
import { createPostgresInsightsLog } from '../insights/postgresInsightsLog';
import { createPostgresTranscriptLog } from '../cases/postgresTranscriptLog';
import type { EmbeddedDatabase } from './stores';

type PostgresStorage = Extract<AppConfig['storage'], { kind: 'postgres' }>;

/** Every store on PostgreSQL (STORAGE=postgres): its own module, loaded by openStores only when it is the one. */
export async function openPostgresStores(storage: PostgresStorage, now: () => Date, logger: Logger, onConnectionLost: (error: Error) => void): Promise<EmbeddedDatabase> {
  const db = await openPostgresDatabase(storage.url, { schema: storage.schema, poolSize: storage.poolSize, lockPoolSize: storage.lockPoolSize, onConnectionLost });
  return {
    state: (sealing) => createPostgresStateStore(db, false, sealing),
    directory: async (seed) => {
      if (seed && (await seedDemoAccountsInPostgres(db, now()))) logger.info('directory.seeded-demo-accounts');
      return createPostgresDirectory(db);
    },
    subscriptions: () => createPostgresSubscriptions(db, now),
    cases: () => createPostgresCaseLog(db),
    outbox: () => createPostgresOutbox(db),
    handoffs: () => createPostgresHandoffQueue(db),
    handoffEvents: () => createBroadcastHandoffEvents(db, (error) => logger.warn('handoff.broadcast-failed', { error })),
    insights: () => createPostgresInsightsLog(db),
    transcripts: () => createPostgresTranscriptLog(db),
    conversationLock: createPostgresConversationLock(db, onConnectionLost),
    close: () => db.close(),
  };
}
