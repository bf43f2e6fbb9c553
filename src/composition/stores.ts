import type { AppConfig } from '../config';
import type { Logger } from '../log';
import { memoryStateStore, type StateStore } from '../storage';
import { createSqliteStateStore, openSqliteDatabase, type SqliteDatabase } from '../storage/sqlite';
import { startBackgroundCheckpoints } from '../storage/sqliteCheckpoints';
import { sqliteCommits } from '../storage/sqliteCommits';
import type { StateSealing } from '../storage/stateSeal';
import { NO_CROSS_INSTANCE_LOCK, type ConversationLock } from '../storage/conversationLock';
import type { AccountDirectory } from '../accounts/directory';
import { createSqliteDirectory } from '../accounts/sqliteDirectory';
import { createHttpDirectory } from '../accounts/httpDirectory';
import { seedDemoAccounts } from '../accounts/demoAccounts';
import type { SubscriptionService } from '../subscriptions/subscriptionService';
import { createHttpSubscriptions } from '../subscriptions/httpSubscriptions';
import { createSqliteSubscriptions } from '../subscriptions/sqliteSubscriptions';
import type { CaseLog } from '../cases/caseLog';
import type { Outbox } from '../storage/outbox';
import { createSqliteOutbox } from '../storage/sqliteOutbox';
import { createSqliteCaseLog } from '../cases/sqliteCaseLog';
import type { HandoffQueue } from '../handoffs/handoffQueue';
import { createHandoffEvents, type HandoffEvents } from '../handoffs/handoffEvents';
import { createSqliteHandoffQueue } from '../handoffs/sqliteHandoffQueue';
import type { InsightsLog } from '../insights/insightsLog';
import { createSqliteInsightsLog } from '../insights/sqliteInsightsLog';
import type { TranscriptLog } from '../cases/transcriptLog';
import { createSqliteTranscriptLog } from '../cases/sqliteTranscriptLog';

/** Everything the bot keeps, from one database (STORAGE), plus the APIs that replace the embedded directory or billing. */
export interface Stores {
  state: StateStore;
  directory: AccountDirectory;
  subscriptions: SubscriptionService;
  cases: CaseLog;
  outbox: Outbox;
  /** The live hand-off queue (AS-2): where handed-over callers wait and which agent holds them. */
  handoffs: HandoffQueue;
  handoffEvents: HandoffEvents;
  /** What happened in conversations, without personal data, for the insights page. */
  insights: InsightsLog;
  /** The masked transcript of each conversation, for hand-off packets (AS-2). */
  transcripts: TranscriptLog;
  conversationLock: ConversationLock;
  close(): Promise<void>;
}

export interface StoreOverrides {
  store?: StateStore;
  directory?: AccountDirectory;
  subscriptions?: SubscriptionService;
}

/** The embedded parts of one database, whichever it is. */
export interface EmbeddedDatabase {
  state: (sealing: StateSealing) => StateStore;
  directory: (seedDemoAccounts: boolean) => Promise<AccountDirectory>;
  subscriptions: () => SubscriptionService;
  cases: () => CaseLog;
  outbox: () => Outbox;
  handoffs: () => HandoffQueue;
  /** Hand-off events: within the process for SQLite (one instance), between instances for PostgreSQL. */
  handoffEvents: () => Promise<HandoffEvents>;
  insights: () => InsightsLog;
  transcripts: () => TranscriptLog;
  conversationLock: ConversationLock;
  close(): Promise<void>;
}

function sqliteDatabase(path: string, now: () => Date, logger: Logger, inMemoryState: boolean): EmbeddedDatabase {
  const db: SqliteDatabase = openSqliteDatabase(path);
  const commits = sqliteCommits(db);
  commits.onFailure = (error, writes) => logger.error('storage.appends-not-written', { writes, error: error as Error });
  const checkpoints = path === ':memory:' ? undefined : startBackgroundCheckpoints(db, path, (error) => logger.warn('storage.checkpoints-in-commits', { error }));
  return {
    state: (sealing) => (inMemoryState ? memoryStateStore() : createSqliteStateStore(db, false, sealing)),
    directory: async (seed) => {
      if (seed && seedDemoAccounts(db, now())) logger.info('directory.seeded-demo-accounts');
      return createSqliteDirectory(db);
    },
    subscriptions: () => createSqliteSubscriptions(db, now),
    cases: () => createSqliteCaseLog(db),
    outbox: () => createSqliteOutbox(db),
    handoffs: () => createSqliteHandoffQueue(db),
    handoffEvents: async () => createHandoffEvents(),
    insights: () => createSqliteInsightsLog(db),
    transcripts: () => createSqliteTranscriptLog(db),
    // One file, one instance: the in-process turn queue serialises every turn there is.
    conversationLock: NO_CROSS_INSTANCE_LOCK,
    close: async () => {
      // The checkpointing thread's connection closes first: the last one to close checkpoints the whole WAL.
      await checkpoints?.stop();
      commits.flush(); // what waits for a commit goes in before the file closes (flush skips a closed file)
      if (db.open) db.close();
    },
  };
}

/** Opens the database STORAGE names and every store on it; a part handed in (tests) is used instead. */
export async function openStores(config: AppConfig, logger: Logger, now: () => Date, overrides: StoreOverrides = {}): Promise<Stores> {
  const onConnectionLost = (error: Error) => logger.warn('storage.connection-lost', { error });
  const storage = config.storage;
  const database =
    storage.kind === 'postgres'
      ? // Loaded only when used: the PostgreSQL client and its stores are some 70 ms of a start that does not need them.
        await (await import('./postgresStores.js')).openPostgresStores(storage, now, logger, onConnectionLost)
      : sqliteDatabase(config.sqlitePath, now, logger, storage.kind === 'memory');
  try {
    // Encrypted at rest; a document that no longer opens (the key was changed) is read as a conversation starting afresh.
    const sealing = { key: config.stateEncryptionKey, onUnreadable: (key: string) => logger.warn('state.unreadable', { key }) };
    if (storage.kind === 'postgres' && !config.stateEncryptionKey && !overrides.store) {
      // A copy of the whole database holds the key too (src/storage/stateKey.ts): said at every start until it is set.
      logger.warn('state.key-in-database', { setting: 'STATE_ENCRYPTION_KEY' });
    }
    const state = overrides.store ?? database.state(sealing);
    const directory = overrides.directory ?? (config.directory.kind === 'http' ? createHttpDirectory({ ...config.directory, backoffMs: 200 }) : await database.directory(config.directory.seedDemoAccounts));
    const subscriptions = overrides.subscriptions ?? (config.subscriptions.kind === 'http' ? createHttpSubscriptions({ ...config.subscriptions, backoffMs: 200 }) : database.subscriptions());
    return {
      state,
      directory,
      subscriptions,
      cases: database.cases(),
      outbox: database.outbox(),
      handoffs: database.handoffs(),
      handoffEvents: await database.handoffEvents(),
      insights: database.insights(),
      transcripts: database.transcripts(),
      conversationLock: database.conversationLock,
      close: async () => {
        await directory.close();
        await state.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
