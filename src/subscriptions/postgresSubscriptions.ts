import { WRITE_WITHIN_MS, type PostgresDatabase } from '../storage/postgresDatabase';
import { subscriptionFactsSchema, type AccountAction } from '../policy';
import { SubscriptionChangedError, subscriptionServiceOver, type SubscriptionChangeRequest, type SubscriptionChangeResult, type SubscriptionService } from './subscriptionService';

/** What `apply_subscription_change` answers (postgresMigrations). */
type ChangeOutcome = { outcome: 'applied' } | { outcome: 'applied-before'; facts: unknown } | { outcome: 'changed' } | { outcome: 'key-reused' };

/**
 * The embedded subscription service in PostgreSQL: each change made once per key, whichever instance is asked.
 *
 * One statement, one round trip: the database function locks the row (a second instance with the same key waits
 * there, then finds the change already made), compares the facts and writes the change with its record, committed on
 * its own. Three round trips — the reads, the writes, the COMMIT sent only once they had answered — were most of a
 * confirmed cancellation's wait for the database (issue 14). The function fails, keeping nothing, once it has run
 * longer than `writeWithinMs`: well before this instance gives up waiting, so a change it reports as failed was never
 * made behind its back (the case stays pending, and its retry with the same key makes it once).
 */
export function createPostgresSubscriptions(db: PostgresDatabase, now: () => Date, writeWithinMs = WRITE_WITHIN_MS): SubscriptionService {
  const apply = async (action: AccountAction, request: SubscriptionChangeRequest): Promise<SubscriptionChangeResult> => {
    const { rows } = await db.query<{ answer: ChangeOutcome }>('SELECT apply_subscription_change($1, $2, $3, $4, $5, $6, $7, $8) AS answer', [
      request.idempotencyKey,
      request.subscriptionId,
      request.accountId,
      action,
      JSON.stringify(request.expected),
      JSON.stringify(request.next),
      now(),
      writeWithinMs,
    ]);
    const answer = rows[0].answer;
    switch (answer.outcome) {
      case 'applied':
        return { facts: request.next, alreadyApplied: false };
      case 'applied-before':
        return { facts: subscriptionFactsSchema.parse(answer.facts), alreadyApplied: true };
      case 'changed':
        throw new SubscriptionChangedError(request.subscriptionId);
      case 'key-reused':
        throw new Error('idempotency key reused for another change');
    }
  };

  return subscriptionServiceOver('subscription store in PostgreSQL', apply);
}
