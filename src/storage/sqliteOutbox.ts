import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from './sqlite';
import { sqliteCommits } from './sqliteCommits';
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

/**
 * The outbox in the SQLite file (times as ISO text, which sorts as time does). A turn's receipt waits for the turn's
 * own commit (sqliteCommits): it is kept in the same transaction as the state that counts the turn handled, in one
 * commit instead of two; said before it was committed (the file refused the state write), it is taken back, not sent
 * again later. Everything else commits what waits first, so nobody looks past a waiting receipt. A follow-up promised
 * to the caller ("I'll keep trying") is committed at once: the promise rests on it.
 */
export function createSqliteOutbox(db: SqliteDatabase): Outbox {
  const commits = sqliteCommits(db);
  /** Receipts added and not yet known to be committed: taking one back before its commit. */
  const waiting = new Map<string, () => boolean>();
  const insert = db.prepare(
    `INSERT INTO outbox (id, kind, conversation, activities, otherwise, case_reference, status, attempts, next_attempt_at, created_at, claim_token)
     VALUES (@id, @kind, @conversation, @activities, @otherwise, @caseReference, 'pending', 0, @at, @createdAt, @token)
     ON CONFLICT (id) DO NOTHING`,
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
    async add(item, firstAttemptAt, claim) {
      // Already waiting for its commit under this claim: one entry, whose taking back (done) stays the one that counts.
      if (claim && waiting.has(claim.id)) return claim;
      const held = claim ?? { id: randomUUID(), token: randomUUID() };
      const row = {
        id: held.id,
        token: held.token,
        kind: item.kind,
        conversation: JSON.stringify(item.conversation),
        activities: JSON.stringify(item.activities),
        otherwise: JSON.stringify(item.otherwise),
        caseReference: item.caseReference,
        at: firstAttemptAt.toISOString(),
        createdAt: new Date().toISOString(),
      };
      if (item.kind === 'replies') waiting.set(held.id, commits.later(() => insert.run(row)));
      else commits.now(() => insert.run(row));
      return held;
    },
    async claimNext(now, leaseUntil) {
      commits.flush();
      return claim.immediate(now, leaseUntil);
    },
    async done({ id, token }) {
      const takeBack = waiting.get(id);
      waiting.delete(id);
      // Said while still waiting for its commit (a turn whose state could not be saved): it is never written.
      if (takeBack?.()) return true;
      return commits.soon(() => remove.run(id, token).changes === 1);
    },
    async retryLater({ id, token }, left, at, error) {
      waiting.delete(id);
      commits.flush();
      return later.run(left.kind, JSON.stringify(left.activities), at.toISOString(), error, id, token).changes === 1;
    },
    async giveUp({ id, token }, error) {
      waiting.delete(id);
      commits.flush();
      return fail.run(error, id, token).changes === 1;
    },
    async purgeFailed(before) {
      commits.flush();
      return purge.run(before.toISOString()).changes;
    },
    async counts() {
      commits.flush();
      const rows = counted.all();
      return { pending: rows.find((row) => row.status === 'pending')?.n ?? 0, failed: rows.find((row) => row.status === 'failed')?.n ?? 0 };
    },
  };
}
