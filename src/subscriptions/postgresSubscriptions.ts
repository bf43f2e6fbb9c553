import type { PostgresDatabase } from '../storage/postgresDatabase';
import { subscriptionFactsSchema, type AccountAction } from '../policy';
import { SubscriptionChangedError, subscriptionServiceOver, type SubscriptionChangeRequest, type SubscriptionChangeResult, type SubscriptionService } from './subscriptionService';

/** The embedded subscription service in PostgreSQL: each change made once per key, whichever instance is asked. */
export function createPostgresSubscriptions(db: PostgresDatabase, now: () => Date): SubscriptionService {
  const apply = (action: AccountAction, request: SubscriptionChangeRequest) =>
    db.transaction(async (client): Promise<SubscriptionChangeResult> => {
      // The row first, locked: a second instance with the same key waits here, then finds the change already made.
      // Asked together (the connection pipelines them, in this order): the row locked first, then the change looked up.
      const [{ rows }, done] = await Promise.all([
        client.query<{ status: string; auto_renew: boolean; cancelled_at: string | null; term_end: string }>(
          'SELECT status, auto_renew, cancelled_at, term_end FROM subscriptions WHERE id = $1 AND account_id = $2 FOR UPDATE',
          [request.subscriptionId, request.accountId],
        ),
        client.query<{ action: string; subscription_id: string; result: unknown }>('SELECT action, subscription_id, result FROM subscription_changes WHERE idempotency_key = $1', [
          request.idempotencyKey,
        ]),
      ]);
      const previous = done.rows[0];
      if (previous) {
        if (previous.action !== action || previous.subscription_id !== request.subscriptionId) throw new Error('idempotency key reused for another change');
        return { facts: subscriptionFactsSchema.parse(previous.result), alreadyApplied: true };
      }
      const row = rows[0];
      const { expected, next } = request;
      const unchanged =
        row !== undefined && row.status === expected.status && row.auto_renew === expected.autoRenew && row.cancelled_at === expected.cancelledAt && row.term_end === expected.termEnd;
      if (!unchanged) throw new SubscriptionChangedError(request.subscriptionId);
      // The change and its record, sent together; either failing fails the transaction.
      await Promise.all([
        client.query('UPDATE subscriptions SET status = $2, auto_renew = $3, cancelled_at = $4, data_deletion_at = $5, term_end = $6 WHERE id = $1', [
          request.subscriptionId,
          next.status,
          next.autoRenew,
          next.cancelledAt,
          next.dataDeletionAt,
          next.termEnd,
        ]),
        client.query('INSERT INTO subscription_changes (idempotency_key, subscription_id, action, result, applied_at) VALUES ($1, $2, $3, $4, $5)', [
          request.idempotencyKey,
          request.subscriptionId,
          action,
          JSON.stringify(next),
          now(),
        ]),
      ]);
      return { facts: next, alreadyApplied: false };
    });

  return subscriptionServiceOver('subscription store in PostgreSQL', apply);
}
