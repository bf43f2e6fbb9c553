import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { StoreItems } from 'botbuilder';
import { ETagConflictError, expectedETag, writeAllowed, type StateStore } from './stateStore';
import { jsonToWrite } from './stateJson';
import { inOneTransaction, sqliteCommits } from './sqliteCommits';
import { sqliteStateKey } from './stateKey';
import { createStateSeal, openStored, type StateSealing } from './stateSeal';

export type SqliteDatabase = Database.Database;

/** Schema changes in order; the file remembers how far it got (PRAGMA user_version). */
const MIGRATIONS: string[] = [
  `CREATE TABLE bot_state (
     key TEXT PRIMARY KEY,
     doc TEXT NOT NULL,
     etag TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  `CREATE TABLE accounts (
     id TEXT PRIMARY KEY,
     organisation_name TEXT NOT NULL,
     contact_name TEXT NOT NULL,
     phone TEXT NOT NULL,
     street TEXT NOT NULL,
     postal_code TEXT NOT NULL,
     town TEXT NOT NULL,
     country TEXT
   );
   CREATE TABLE account_users (
     user_id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES accounts (id),
     is_admin INTEGER NOT NULL CHECK (is_admin IN (0, 1))
   );
   CREATE TABLE subscriptions (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL REFERENCES accounts (id),
     plan TEXT NOT NULL,
     kind TEXT NOT NULL,
     channel TEXT NOT NULL,
     billing TEXT NOT NULL,
     assigned_licenses INTEGER NOT NULL,
     term_end TEXT NOT NULL,
     auto_renew INTEGER NOT NULL,
     has_payment_method INTEGER NOT NULL,
     custom_domains TEXT NOT NULL,
     status TEXT NOT NULL,
     cancelled_at TEXT,
     data_deletion_at TEXT
   );
   CREATE INDEX subscriptions_by_account ON subscriptions (account_id);`,
  `CREATE TABLE subscription_changes (
     idempotency_key TEXT PRIMARY KEY,
     subscription_id TEXT NOT NULL,
     action TEXT NOT NULL,
     result TEXT NOT NULL,
     applied_at TEXT NOT NULL
   );
   CREATE TABLE cases (
     reference TEXT PRIMARY KEY,
     idempotency_key TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL CHECK (kind IN ('action', 'handoff')),
     status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'not-done', 'open')),
     account_id TEXT NOT NULL,
     subscription_id TEXT,
     action TEXT NOT NULL,
     rules TEXT NOT NULL,
     channel TEXT NOT NULL,
     details TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     case_reference TEXT,
     account_id TEXT NOT NULL,
     action TEXT NOT NULL,
     rules TEXT NOT NULL,
     channel TEXT NOT NULL,
     caller TEXT NOT NULL,
     details TEXT NOT NULL
   );
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
   CREATE TABLE feedback (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     case_reference TEXT NOT NULL,
     account_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     comment TEXT,
     language TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // AS-2: a caller who is not verified (or is locked out) is handed over too; their case names no account yet.
  `CREATE TABLE cases_v2 (
     reference TEXT PRIMARY KEY,
     idempotency_key TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL CHECK (kind IN ('action', 'handoff')),
     status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'not-done', 'open')),
     account_id TEXT,
     subscription_id TEXT,
     action TEXT NOT NULL,
     rules TEXT NOT NULL,
     channel TEXT NOT NULL,
     details TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   INSERT INTO cases_v2 SELECT reference, idempotency_key, kind, status, account_id, subscription_id, action, rules, channel, details, created_at FROM cases;
   DROP TABLE cases;
   ALTER TABLE cases_v2 RENAME TO cases;
   DROP TRIGGER audit_log_no_update;
   DROP TRIGGER audit_log_no_delete;
   CREATE TABLE audit_log_v2 (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     case_reference TEXT,
     account_id TEXT,
     action TEXT NOT NULL,
     rules TEXT NOT NULL,
     channel TEXT NOT NULL,
     caller TEXT NOT NULL,
     details TEXT NOT NULL
   );
   INSERT INTO audit_log_v2 SELECT id, at, case_reference, account_id, action, rules, channel, caller, details FROM audit_log;
   DROP TABLE audit_log;
   ALTER TABLE audit_log_v2 RENAME TO audit_log;
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`,
  // REPLACE deletes the row it replaces without firing the delete trigger: refuse an insert over an existing row.
  `CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
   BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`,
  `CREATE TABLE outbox (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('replies', 'after-pending-case')),
     conversation TEXT NOT NULL,
     activities TEXT NOT NULL,
     otherwise TEXT NOT NULL,
     case_reference TEXT,
     status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     created_at TEXT NOT NULL,
     last_error TEXT
   );
   CREATE INDEX outbox_due ON outbox (status, next_attempt_at);`,
  `ALTER TABLE outbox ADD COLUMN claim_token TEXT`,
  // AS-2 live hand-off: where a handed-over caller waits, who holds them, and what they and the agent say.
  `CREATE TABLE handoffs (
     id TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     language TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     conversation_key TEXT NOT NULL,
     conversation TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'ended')),
     agent_id TEXT,
     agent_name TEXT,
     ending TEXT CHECK (ending IN ('handed-back', 'closed', 'left-message')),
     created_at TEXT NOT NULL,
     taken_at TEXT,
     ended_at TEXT
   );
   CREATE INDEX handoffs_by_conversation ON handoffs (conversation_key, status);
   CREATE INDEX handoffs_by_status ON handoffs (status, created_at);
   CREATE TABLE handoff_messages (
     handoff_id TEXT NOT NULL REFERENCES handoffs (id),
     seq INTEGER NOT NULL,
     sender TEXT NOT NULL CHECK (sender IN ('caller', 'agent', 'system')),
     text TEXT NOT NULL,
     agent_id TEXT,
     agent_name TEXT,
     at TEXT NOT NULL,
     PRIMARY KEY (handoff_id, seq)
   );`,
  // Insights for support leads: what happened in conversations, with no personal data (src/insights/events.ts).
  `CREATE TABLE insights_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     kind TEXT NOT NULL,
     conversation TEXT NOT NULL,
     channel TEXT NOT NULL,
     language TEXT NOT NULL CHECK (language IN ('sv', 'en')),
     data TEXT NOT NULL,
     demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
   );
   CREATE INDEX insights_events_by_time ON insights_events (at);
   CREATE TABLE insights_key (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     key BLOB NOT NULL
   );`,
  // The masked transcript, line by line, out of conversation state (src/cases/transcriptLog.ts).
  `CREATE TABLE transcript_lines (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     conversation_key TEXT NOT NULL,
     sender TEXT NOT NULL CHECK (sender IN ('caller', 'bot')),
     text TEXT NOT NULL,
     at TEXT NOT NULL
   );
   CREATE INDEX transcript_lines_by_conversation ON transcript_lines (conversation_key, id);
   CREATE INDEX transcript_lines_by_time ON transcript_lines (at);`,
  // The sweep finds idle conversations by this index, not by reading every row (a million stored take a second).
  `CREATE INDEX bot_state_by_update ON bot_state (updated_at)`,
];

/** Opens (creating if needed) the embedded database file, shared by every SQLite-backed store of the process. */
export function openSqliteDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // In WAL mode, NORMAL syncs at checkpoints, not at every commit: a commit survives the process crashing (the WAL is
  // written), only a power loss may take the last ones back — together, so the file stays consistent (SQLite's own
  // advice for WAL). Every turn commits its state; a sync each time was a tenth of a turn's CPU.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32768');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (let version = applied; version < MIGRATIONS.length; version++) db.exec(MIGRATIONS[version]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

export function createSqliteStateStore(db: SqliteDatabase, closeDatabase = true, sealing: StateSealing = {}): StateStore {
  const seal = createStateSeal(sealing.key ?? sqliteStateKey(db));
  const select = db.prepare<[string], { doc: string; etag: string }>('SELECT doc, etag FROM bot_state WHERE key = ?');
  const storedETag = db.prepare<[string], { etag: string }>('SELECT etag FROM bot_state WHERE key = ?');
  const upsert = db.prepare(
    `INSERT INTO bot_state (key, doc, etag, updated_at) VALUES (@key, @doc, @etag, @now)
     ON CONFLICT (key) DO UPDATE SET doc = excluded.doc, etag = excluded.etag, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare('DELETE FROM bot_state WHERE key = ?');
  const ping = db.prepare('SELECT 1');
  const removeIdle = db.prepare('DELETE FROM bot_state WHERE instr(key, ?) > 0 AND updated_at < ?');

  const together = inOneTransaction(db);
  const commits = sqliteCommits(db);
  // All changes of one write land together or not at all: commits.now runs it in a savepoint of its own.
  /** The rows as the items are now (sealed when the write is asked for, not when it is committed). */
  const rowsOf = (changes: StoreItems) =>
    Object.entries(changes).map(([key, item]) => ({ key, expected: expectedETag(item), doc: seal.seal(key, jsonToWrite(item)) }));
  const writeAll = (rows: ReturnType<typeof rowsOf>) => {
    for (const { key, expected, doc } of rows) {
      // Only a conditional write reads what is stored, and only its eTag.
      if (expected !== undefined && !writeAllowed(expected, storedETag.get(key)?.etag)) throw new ETagConflictError(key);
      upsert.run({ key, doc, etag: randomUUID(), now: new Date().toISOString() });
    }
  };

  return {
    kind: 'sqlite',
    async read(keys) {
      const rows = keys.length > 1 ? together(() => keys.map((key) => select.get(key))) : keys.map((key) => select.get(key));
      const items: StoreItems = {};
      for (const [i, key] of keys.entries()) {
        const row = rows[i];
        if (row) items[key] = openStored(seal, sealing, key, row.doc, row.etag);
      }
      return items;
    },
    async write(changes) {
      // Committed with the transcript lines and insights events waiting, and with the other turns' writes of the same
      // round of the event loop (sqliteCommits.soon): one commit for all of them.
      const rows = rowsOf(changes);
      await commits.soon(() => writeAll(rows));
    },
    async delete(keys) {
      // All of them together (a verified caller's failure counters go together), in the round's shared commit.
      await commits.soon(() => {
        for (const key of keys) remove.run(key);
      });
      for (const key of keys) seal.forget(key);
    },
    async deleteIdle(keyContains, idleBefore) {
      const removed = removeIdle.run(keyContains, idleBefore.toISOString()).changes;
      if (removed > 0) seal.forget();
      return removed;
    },
    async ping() {
      ping.get();
    },
    async close() {
      commits.flush();
      if (closeDatabase && db.open) db.close();
    },
  };
}
