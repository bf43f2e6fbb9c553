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

/** The outbox in the SQLite file (times as ISO text, which sorts as time does). */
export function createSqliteOutbox(db: SqliteDatabase): Outbox {
  const insert = db.prepare(
    `INSERT INTO outbox (id, kind, conversation, activities, otherwise, case_reference, status, attempts, next_attempt_at, created_at, claim_token)
     VALUES (@id, @kind, @conversation, @activities, @otherwise, @caseReference, 'pending', 0, @at, @createdAt, @token)`,
  );
  const due = db.prepare<[string], OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT 1");
  const lease = db.prepare('UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, claim_token = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM outbox WHERE id = ? AND claim_token = ?');
  const later = db.prepare("UPDATE outbox SET kind = ?, activities = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND claim_token = ? AND status = 'pending'");
  const fail = db.prepare("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND claim_token = ?");
  const purge = db.prepare("DELETE FROM outbox WHERE status = 'failed' AND created_at < ?");
  const counted = db.prepare<[], { status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status');

  const claim = db.transaction((now: Date, leaseUntil: Date): OutboxEntry | undefined => {
    const row = due.get(now.toISOString());
    if (!row) return undefined;
    const token = randomUUID();
    lease.run(leaseUntil.toISOString(), token, row.id);
    return {
      claim: { id: row.id, token },
      kind: row.kind,
      conversation: JSON.parse(row.conversation),
      activities: JSON.parse(row.activities),
      otherwise: JSON.parse(row.otherwise),
      caseReference: row.case_reference,
      attempts: row.attempts + 1,
      createdAt: new Date(row.created_at),
    };
  });

  return {
    async add(item, firstAttemptAt) {
      const held = { id: randomUUID(), token: randomUUID() };
      insert.run({
        id: held.id,
        token: held.token,
        kind: item.kind,
        conversation: JSON.stringify(item.conversation),
        activities: JSON.stringify(item.activities),
        otherwise: JSON.stringify(item.otherwise),
        caseReference: item.caseReference,
        at: firstAttemptAt.toISOString(),
        createdAt: new Date().toISOString(),
      });
      return held;
    },
    async claimNext(now, leaseUntil) {
      return claim.immediate(now, leaseUntil);
    },
    async done({ id, token }) {
      return remove.run(id, token).changes === 1;
    },
    async retryLater({ id, token }, left, at, error) {
      return later.run(left.kind, JSON.stringify(left.activities), at.toISOString(), error, id, token).changes === 1;
    },
    async giveUp({ id, token }, error) {
      return fail.run(error, id, token).changes === 1;
    },
    async purgeFailed(before) {
      return purge.run(before.toISOString()).changes;
    },
    async counts() {
      const rows = counted.all();
      return { pending: rows.find((row) => row.status === 'pending')?.n ?? 0, failed: rows.find((row) => row.status === 'failed')?.n ?? 0 };
    },
  };
}
