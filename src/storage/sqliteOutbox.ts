import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from './sqlite';
import type { Outbox, OutboxEntry } from './outbox';

interface OutboxRow {
  id: string;
  kind: OutboxEntry['kind'];
  conversation: string;
  activities: string;
  otherwise: string;
  case_reference: string | null;
  attempts: number;
  created_at: string;
}

const toEntry = (row: OutboxRow): OutboxEntry => ({
  id: row.id,
  kind: row.kind,
  conversation: JSON.parse(row.conversation),
  activities: JSON.parse(row.activities),
  otherwise: JSON.parse(row.otherwise),
  caseReference: row.case_reference,
  attempts: row.attempts,
  createdAt: new Date(row.created_at),
});

/** The outbox in the SQLite file (times as ISO text, which sorts as time does). */
export function createSqliteOutbox(db: SqliteDatabase): Outbox {
  const insert = db.prepare(
    `INSERT INTO outbox (id, kind, conversation, activities, otherwise, case_reference, status, attempts, next_attempt_at, created_at)
     VALUES (@id, @kind, @conversation, @activities, @otherwise, @caseReference, 'pending', 0, @at, @createdAt)`,
  );
  const due = db.prepare<[string, number], OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?");
  const lease = db.prepare('UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?');
  const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  const later = db.prepare("UPDATE outbox SET kind = ?, activities = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'");
  const fail = db.prepare("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?");
  const counted = db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status');

  const claim = db.transaction((now: Date, leaseUntil: Date, limit: number) => {
    const rows = due.all(now.toISOString(), limit);
    for (const row of rows) lease.run(leaseUntil.toISOString(), row.id);
    return rows.map((row) => toEntry({ ...row, attempts: row.attempts + 1 }));
  });

  return {
    async add(item, firstAttemptAt) {
      const id = randomUUID();
      insert.run({
        id,
        kind: item.kind,
        conversation: JSON.stringify(item.conversation),
        activities: JSON.stringify(item.activities),
        otherwise: JSON.stringify(item.otherwise),
        caseReference: item.caseReference,
        at: firstAttemptAt.toISOString(),
        createdAt: new Date().toISOString(),
      });
      return id;
    },
    async claimDue(now, leaseUntil, limit) {
      return claim.immediate(now, leaseUntil, limit);
    },
    async done(id) {
      remove.run(id);
    },
    async retryLater(id, left, at, error) {
      later.run(left.kind, JSON.stringify(left.activities), at.toISOString(), error, id);
    },
    async giveUp(id, error) {
      fail.run(error, id);
    },
    async counts() {
      const rows = counted.all();
      return { pending: rows.find((row) => row.status === 'pending')?.n ?? 0, failed: rows.find((row) => row.status === 'failed')?.n ?? 0 };
    },
  };
}
