/**
 * The PostgreSQL schema, step by step. A step, once released, is never edited: a change is a new step at the end.
 * The tables mirror the SQLite ones (`sqlite.ts`), with PostgreSQL's own types.
 */
export const POSTGRES_MIGRATIONS: string[] = [
  // Conversation and user state, turn ledgers (verification attempts, one-time codes). Existing databases had this table
  // before migrations did.
  `CREATE TABLE IF NOT EXISTS bot_state (
     key TEXT PRIMARY KEY,
     doc JSONB NOT NULL,
     etag TEXT NOT NULL,
     updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
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
     is_admin BOOLEAN NOT NULL
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
     auto_renew BOOLEAN NOT NULL,
     has_payment_method BOOLEAN NOT NULL,
     custom_domains JSONB NOT NULL,
     status TEXT NOT NULL,
     cancelled_at TEXT,
     data_deletion_at TEXT
   );
   CREATE INDEX subscriptions_by_account ON subscriptions (account_id);
   CREATE TABLE subscription_changes (
     idempotency_key TEXT PRIMARY KEY,
     subscription_id TEXT NOT NULL,
     action TEXT NOT NULL,
     result JSONB NOT NULL,
     applied_at TIMESTAMPTZ NOT NULL
   );
   CREATE TABLE cases (
     reference TEXT PRIMARY KEY,
     idempotency_key TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL CHECK (kind IN ('action', 'handoff')),
     status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'not-done', 'open')),
     account_id TEXT,
     subscription_id TEXT,
     action TEXT NOT NULL,
     rules JSONB NOT NULL,
     channel TEXT NOT NULL,
     details JSONB NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE audit_log (
     id BIGSERIAL PRIMARY KEY,
     at TEXT NOT NULL,
     case_reference TEXT,
     account_id TEXT,
     action TEXT NOT NULL,
     rules JSONB NOT NULL,
     channel TEXT NOT NULL,
     caller TEXT NOT NULL,
     details JSONB NOT NULL
   );
   CREATE INDEX audit_log_by_case ON audit_log (case_reference);
   CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
   CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
   CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
   CREATE TABLE feedback (
     id BIGSERIAL PRIMARY KEY,
     case_reference TEXT NOT NULL,
     account_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     comment TEXT,
     language TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX feedback_by_case ON feedback (case_reference);`,
  // The sweep finds abandoned conversations by their last write.
  `CREATE INDEX IF NOT EXISTS bot_state_by_updated_at ON bot_state (updated_at)`,
  `CREATE TABLE outbox (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('replies', 'after-pending-case')),
     conversation JSONB NOT NULL,
     activities JSONB NOT NULL,
     otherwise JSONB NOT NULL,
     case_reference TEXT,
     status TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TIMESTAMPTZ NOT NULL,
     created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
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
     conversation JSONB NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'ended')),
     agent_id TEXT,
     agent_name TEXT,
     ending TEXT CHECK (ending IN ('handed-back', 'closed', 'left-message')),
     created_at TIMESTAMPTZ NOT NULL,
     taken_at TIMESTAMPTZ,
     ended_at TIMESTAMPTZ
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
     at TIMESTAMPTZ NOT NULL,
     PRIMARY KEY (handoff_id, seq)
   );`,
  // Insights for support leads: what happened in conversations, with no personal data (src/insights/events.ts).
  `CREATE TABLE insights_events (
     id BIGSERIAL PRIMARY KEY,
     at TIMESTAMPTZ NOT NULL,
     kind TEXT NOT NULL,
     conversation TEXT NOT NULL,
     channel TEXT NOT NULL,
     language TEXT NOT NULL CHECK (language IN ('sv', 'en')),
     data JSONB NOT NULL,
     demo BOOLEAN NOT NULL DEFAULT false
   );
   CREATE INDEX insights_events_by_time ON insights_events (at);
   CREATE TABLE insights_key (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     key BYTEA NOT NULL
   );`,
  // The masked transcript, line by line, out of conversation state (src/cases/transcriptLog.ts).
  `CREATE TABLE transcript_lines (
     id BIGSERIAL PRIMARY KEY,
     conversation_key TEXT NOT NULL,
     sender TEXT NOT NULL CHECK (sender IN ('caller', 'bot')),
     text TEXT NOT NULL,
     at TIMESTAMPTZ NOT NULL
   );
   CREATE INDEX transcript_lines_by_conversation ON transcript_lines (conversation_key, id);
   CREATE INDEX transcript_lines_by_time ON transcript_lines (at);`,
  // The sweep finds idle conversations by this index, not by reading every row.
  `CREATE INDEX bot_state_by_update ON bot_state (updated_at)`,
  // State as the bot wrote it (JSON text): nothing queries inside it, and JSONB cost the database a parse on every
  // write, a rendering on every read and some 20 % more bytes per conversation (issue 14). Rewrites the table once.
  `ALTER TABLE bot_state ALTER COLUMN doc TYPE JSON USING doc::json`,
  // The state's key when the operator sets none (src/storage/stateKey.ts): made once, shared by every instance.
  `CREATE TABLE state_key (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     key BYTEA NOT NULL
   );`,
  // A turn's writes go with their COMMIT in one message (conversationLock): this, run last before the COMMIT, fails the
  // transaction — the COMMIT then answers ROLLBACK — once the client that sent them has given up waiting (issue 14).
  `CREATE OR REPLACE FUNCTION turn_write_in_time(deadline TIMESTAMPTZ) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
   BEGIN
     IF clock_timestamp() > deadline THEN
       RAISE EXCEPTION 'the turn''s write ran past its deadline (%)', deadline;
     END IF;
     RETURN true;
   END
   $$`,
  // A turn's insights events go with its state write (src/conversation/insights.ts); when that write's COMMIT went
  // unanswered they are written again on their own under the ids they were staged with: kept once, however it went.
  `ALTER TABLE insights_events ADD COLUMN IF NOT EXISTS event_id TEXT;
   CREATE UNIQUE INDEX IF NOT EXISTS insights_events_by_event_id ON insights_events (event_id);`,
  // A subscription's change in one statement, so one round trip (postgresSubscriptions; issue 14): the row locked, the
  // key looked up, the facts compared, the change and its record written — each statement with a snapshot of its own,
  // as when they were sent one by one, so a call that waited for the row lock finds the change its twin just made.
  // Past \`within_ms\` of the statement's start it fails, and nothing is kept: the client gives up soon after.
  `CREATE OR REPLACE FUNCTION apply_subscription_change(change_key TEXT, change_subscription_id TEXT, change_account_id TEXT,
       change_action TEXT, expected_facts JSONB, next_facts JSONB, change_applied_at TIMESTAMPTZ, within_ms INTEGER) RETURNS JSONB LANGUAGE plpgsql AS $$
   DECLARE
     locked_row subscriptions%ROWTYPE;
     earlier subscription_changes%ROWTYPE;
   BEGIN
     SELECT * INTO locked_row FROM subscriptions WHERE id = change_subscription_id AND account_id = change_account_id FOR UPDATE;
     SELECT * INTO earlier FROM subscription_changes WHERE idempotency_key = change_key;
     IF earlier.idempotency_key IS NOT NULL THEN
       IF earlier.action <> change_action OR earlier.subscription_id <> change_subscription_id THEN
         RETURN jsonb_build_object('outcome', 'key-reused');
       END IF;
       RETURN jsonb_build_object('outcome', 'applied-before', 'facts', earlier.result);
     END IF;
     IF locked_row.id IS NULL
       OR locked_row.status IS DISTINCT FROM expected_facts->>'status'
       OR locked_row.auto_renew IS DISTINCT FROM (expected_facts->>'autoRenew')::BOOLEAN
       OR locked_row.cancelled_at IS DISTINCT FROM expected_facts->>'cancelledAt'
       OR locked_row.term_end IS DISTINCT FROM expected_facts->>'termEnd' THEN
       RETURN jsonb_build_object('outcome', 'changed');
     END IF;
     UPDATE subscriptions SET status = next_facts->>'status', auto_renew = (next_facts->>'autoRenew')::BOOLEAN, cancelled_at = next_facts->>'cancelledAt',
       data_deletion_at = next_facts->>'dataDeletionAt', term_end = next_facts->>'termEnd'
       WHERE id = change_subscription_id;
     INSERT INTO subscription_changes (idempotency_key, subscription_id, action, result, applied_at)
       VALUES (change_key, change_subscription_id, change_action, next_facts, change_applied_at);
     IF clock_timestamp() > statement_timestamp() + within_ms * INTERVAL '1 millisecond' THEN
       RAISE EXCEPTION 'the subscription change ran past % ms', within_ms;
     END IF;
     RETURN jsonb_build_object('outcome', 'applied');
   END
   $$`,
];
