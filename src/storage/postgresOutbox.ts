import { randomUUID } from 'node:crypto';
import type { PostgresDatabase } from './postgresDatabase';
import type { Outbox, OutboxClaim, OutboxEntry, OutboxItem } from './outbox';

interface OutboxRow {
  id: string;
  kind: OutboxEntry['kind'];
  conversation: OutboxEntry['conversation'];
  activities: OutboxEntry['activities'];
  otherwise: OutboxEntry['otherwise'];
  case_reference: string | null;
  attempts: number;
  created_at: Date;
  claim_token: string;
}

/** The outbox in PostgreSQL: instances claim entries with SKIP LOCKED, so each is delivered by one of them. */
export function createPostgresOutbox(db: PostgresDatabase): Outbox {
  /** The entry's row; one already there under the same claim (a staged write that was kept after all) is left as it is. */
  const insertOf = (item: OutboxItem, firstAttemptAt: Date, held: OutboxClaim): [string, unknown[]] => [
    `INSERT INTO outbox (id, kind, conversation, activities, otherwise, case_reference, status, attempts, next_attempt_at, claim_token)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8) ON CONFLICT (id) DO NOTHING`,
    [held.id, item.kind, JSON.stringify(item.conversation), JSON.stringify(item.activities), JSON.stringify(item.otherwise), item.caseReference, firstAttemptAt, held.token],
  ];
  const newClaim = (): OutboxClaim => ({ id: randomUUID(), token: randomUUID() });
  const deleteOf = ({ id, token }: OutboxClaim): [string, unknown[]] => ['DELETE FROM outbox WHERE id = $1 AND claim_token = $2', [id, token]];

  return {
    async add(item, firstAttemptAt, claim) {
      const held = claim ?? newClaim();
      await db.query(...insertOf(item, firstAttemptAt, held));
      return held;
    },
    stage(item, firstAttemptAt, within) {
      if (within.database !== db) return undefined;
      const held = newClaim();
      within.stage(insertOf(item, firstAttemptAt, held));
      return held;
    },
    async claimNext(now, leaseUntil) {
      const { rows } = await db.query<OutboxRow>(
        `UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1, claim_token = $3
         WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now, leaseUntil, randomUUID()],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        claim: { id: row.id, token: row.claim_token },
        kind: row.kind,
        conversation: row.conversation,
        activities: row.activities,
        otherwise: row.otherwise,
        caseReference: row.case_reference,
        attempts: row.attempts,
        createdAt: row.created_at,
      };
    },
    async done(claim) {
      return (await db.query(...deleteOf(claim))).rowCount === 1;
    },
    doneAfterTurn(claim, within, onFailed) {
      return within.database === db && within.afterTurn(deleteOf(claim), onFailed);
    },
    async retryLater({ id, token }, left, at, error) {
      const { rowCount } = await db.query("UPDATE outbox SET kind = $3, activities = $4, next_attempt_at = $5, last_error = $6 WHERE id = $1 AND claim_token = $2 AND status = 'pending'", [
        id,
        token,
        left.kind,
        JSON.stringify(left.activities),
        at,
        error,
      ]);
      return rowCount === 1;
    },
    async giveUp({ id, token }, error) {
      return (await db.query("UPDATE outbox SET status = 'failed', last_error = $3 WHERE id = $1 AND claim_token = $2", [id, token, error])).rowCount === 1;
    },
    async purgeFailed(before) {
      return (await db.query("DELETE FROM outbox WHERE status = 'failed' AND created_at < $1", [before])).rowCount;
    },
    async counts() {
      const { rows } = await db.query<{ status: string; n: string }>('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status');
      const of = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
      return { pending: of('pending'), failed: of('failed') };
    },
  };
}
