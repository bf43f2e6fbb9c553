import type { PolicyConfig } from './config';
import { addDays, earliest, toCalendarDate, type CalendarDate } from './dates';
import type { SubscriptionFacts } from './facts';
import { decideReactivation } from './reactivation';
import type { RuleId } from './rules';

export type FastRevokeDecision =
  | {
      outcome: 'allowed';
      rules: RuleId[];
      /** FR-1: every piece of data is gone by this day. */
      dataDeletedBy: CalendarDate;
      /** What an ordinary cancellation would keep instead (EARLY-3), so the caller can compare. */
      ordinaryRetentionDays: number;
      /** FR-2: the caller confirms explicitly, knowing it cannot be undone (RE-2). */
      irreversibleConfirmationRequired: true;
      /**
       * On an active subscription a fast revoke is also a cancellation before the end of the term: possible fees to
       * acknowledge (EARLY-1) and the refund that applies (EARLY-6, or none for a product key, PK-1). Null when the
       * subscription was already cancelled.
       */
      early: { feeAcknowledgementRequired: true; refund: 'prorated-credit' | 'not-refundable' } | null;
      performedBy: 'assistant';
    }
  | { outcome: 'refused'; reason: 'already-fast-revoked' | 'trial' | 'data-already-deleted'; rules: RuleId[] };

/** Fast revoke: cancel and delete all data within a few days instead of after the retention period (FR-1, FR-2). */
export function decideFastRevoke(facts: SubscriptionFacts, now: Date, config: PolicyConfig): FastRevokeDecision {
  if (facts.status === 'FAST_REVOKED') return { outcome: 'refused', reason: 'already-fast-revoked', rules: ['FR-1', 'RE-2'] };
  if (facts.kind === 'TRIAL') return { outcome: 'refused', reason: 'trial', rules: ['TR-1', 'TR-2'] };

  let dataDeletedBy = addDays(toCalendarDate(now), config.fastRevokeDays);
  if (facts.status !== 'ACTIVE') {
    // Already ended: fast revoke only brings the deletion forward, and only while there is data left (RE-3).
    const reactivation = decideReactivation(facts, now, config);
    if (reactivation.outcome !== 'allowed') return { outcome: 'refused', reason: 'data-already-deleted', rules: ['RE-3'] };
    dataDeletedBy = earliest(dataDeletedBy, reactivation.possibleUntil);
  }
  const early = facts.status === 'ACTIVE' ? { feeAcknowledgementRequired: true as const, refund: facts.kind === 'PRODUCT_KEY' ? ('not-refundable' as const) : ('prorated-credit' as const) } : null;
  const earlyRules: RuleId[] = early ? ['EARLY-1', early.refund === 'not-refundable' ? 'PK-1' : 'EARLY-6'] : [];
  return {
    outcome: 'allowed',
    rules: ['FR-1', 'FR-2', 'RE-2', ...earlyRules, 'AS-1'],
    dataDeletedBy,
    ordinaryRetentionDays: config.retentionDays,
    irreversibleConfirmationRequired: true,
    early,
    performedBy: 'assistant',
  };
}
