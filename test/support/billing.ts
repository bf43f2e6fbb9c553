import { openSqliteDatabase } from '../../src/storage/sqlite';
import { createSqliteSubscriptions } from '../../src/subscriptions/sqliteSubscriptions';
import { SubscriptionServiceUnavailableError, type SubscriptionService } from '../../src/subscriptions/subscriptionService';
import { NOW } from './facts';

/**
 * The real embedded subscriptions on an SQLite file, behind a switch: while `billing.down` every change fails the way
 * an unreachable billing API does (the case stays pending).
 */
export function switchableSubscriptions(path: string): { subscriptions: SubscriptionService; billing: { down: boolean } } {
  const billing = { down: false };
  const real = createSqliteSubscriptions(openSqliteDatabase(path), () => NOW);
  const guarded = <K extends keyof SubscriptionService>(name: K): SubscriptionService[K] =>
    (async (request) => {
      if (billing.down) throw new SubscriptionServiceUnavailableError('billing is down (test)');
      return real[name](request);
    }) as SubscriptionService[K];
  return { billing, subscriptions: { turnOffAutoRenew: guarded('turnOffAutoRenew'), cancelNow: guarded('cancelNow'), fastRevoke: guarded('fastRevoke'), reactivate: guarded('reactivate') } };
}
