import { randomUUID } from 'node:crypto';
import type { PostgresDatabase } from './postgresDatabase';
import type { Outbox, OutboxEntry } from './outbox';

interface OutboxRow {
  id: string;
  kind: OutboxEntry['kind'];
  conversation: OutboxEntry['conversation'];
  activities: OutboxEntry['activities'];
  otherwise: OutboxEntry['otherwise'];
  case_reference: string | null;
  attempts: number;
  created_at: Date;
}

/** The outbox in PostgreSQL: instances claim entries with SKIP LOCKED, so each is delivered by one of them. */
export function createPostgresOutbox(db: PostgresDatabase): Outbox {
  return {
    async add(item, firstAttemptAt) {
      const id = randomUUID();
      await db.query(
        `INSERT INTO outbox (id, kind, conversation, activities, otherwise, case_reference, status, attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7)`,
        [id, item.kind, JSON.stringify(item.conversation), JSON.stringify(item.activities), JSON.stringify(item.otherwise), item.caseReference, firstAttemptAt],
      );
      return id;
    },
    async claimDue(now, leaseUntil, limit) {
      const { rows } = await db.query<OutboxRow>(
        `UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, leaseUntil, limit],
      );
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        conversation: row.conversation,
        activities: row.activities,
        otherwise: row.otherwise,
        caseReference: row.case_reference,
        attempts: row.attempts,
        createdAt: row.created_at,
      }));
    },
    async done(id) {
      await db.query('DELETE FROM outbox WHERE id = $1', [id]);
    },
    async retryLater(id, left, at, error) {
      await db.query("UPDATE outbox SET kind = $2, activities = $3, next_attempt_at = $4, last_error = $5 WHERE id = $1 AND status = 'pending'", [id, left.kind, JSON.stringify(left.activities), at, error]);
    },
    async giveUp(id, error) {
      await db.query("UPDATE outbox SET status = 'failed', last_error = $2 WHERE id = $1", [id, error]);
    },
    async counts() {
      const { rows } = await db.query<{ status: string; n: string }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status');
      const of = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
      return { pending: of('pending'), failed: of('failed') };
    },
  };
}
