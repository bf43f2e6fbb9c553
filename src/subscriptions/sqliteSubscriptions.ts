import type { SqliteDatabase } from '../storage/sqlite';
import { sqliteCommits } from '../storage/sqliteCommits';
import { subscriptionFactsSchema, type AccountAction } from '../policy';
import { SubscriptionChangedError, subscriptionServiceOver, type SubscriptionChangeRequest, type SubscriptionChangeResult, type SubscriptionService } from './subscriptionService';

/** The embedded subscription service: changes the demo accounts' subscriptions in the SQLite file, once per key. */
export function createSqliteSubscriptions(db: SqliteDatabase, now: () => Date): SubscriptionService {
  const previous = db.prepare<[string], { action: string; subscription_id: string; result: string }>(
    'SELECT action, subscription_id, result FROM subscription_changes WHERE idempotency_key = ?',
  );
  const current = db.prepare<[string, string], { status: string; auto_renew: number; cancelled_at: string | null; term_end: string; data_deletion_at: string | null }>(
    'SELECT status, auto_renew, cancelled_at, term_end, data_deletion_at FROM subscriptions WHERE id = ? AND account_id = ?',
  );
  const update = db.prepare(
    `UPDATE subscriptions SET status = @status, auto_renew = @autoRenew, cancelled_at = @cancelledAt,
       data_deletion_at = @dataDeletionAt, term_end = @termEnd WHERE id = @id`,
  );
  const remember = db.prepare(
    'INSERT INTO subscription_changes (idempotency_key, subscription_id, action, result, applied_at) VALUES (?, ?, ?, ?, ?)',
  );

  const apply = db.transaction((action: AccountAction, request: SubscriptionChangeRequest): SubscriptionChangeResult => {
    const done = previous.get(request.idempotencyKey);
    if (done) {
      if (done.action !== action || done.subscription_id !== request.subscriptionId) throw new Error('idempotency key reused for another change');
      return { facts: subscriptionFactsSchema.parse(JSON.parse(done.result)), alreadyApplied: true };
    }
    const row = current.get(request.subscriptionId, request.accountId);
    const { expected, next } = request;
    const unchanged =
      row !== undefined &&
      row.status === expected.status &&
      (row.auto_renew === 1) === expected.autoRenew &&
      row.cancelled_at === expected.cancelledAt &&
      row.term_end === expected.termEnd;
    if (!unchanged) throw new SubscriptionChangedError(request.subscriptionId);
    update.run({
      id: request.subscriptionId,
      status: next.status,
      autoRenew: next.autoRenew ? 1 : 0,
      cancelledAt: next.cancelledAt,
      dataDeletionAt: next.dataDeletionAt,
      termEnd: next.termEnd,
    });
    remember.run(request.idempotencyKey, request.subscriptionId, action, JSON.stringify(next), now().toISOString());
    return { facts: next, alreadyApplied: false };
  });

  // In a savepoint of its own, committed with the other turns' writes of the same round (sqliteCommits.soon).
  const commits = sqliteCommits(db);
  return subscriptionServiceOver('embedded subscription store', (action, request) => commits.soon(() => apply(action, request)));
}

