import { onlineCancellation, refundFor, unique, type Refund } from './cancellation';
import type { PolicyConfig } from './config';
import type { DataDeletion } from './dataDates';
import { addDays, earliest, toCalendarDate, type CalendarDate } from './dates';
import type { Reason } from './explanations';
import type { SubscriptionFacts } from './facts';
import { decideReactivation, hasEnded } from './reactivation';
import type { RuleId } from './rules';

/**
 * FR-3: the money side of ending a running subscription now. Bought directly: possible early-termination fees to
 * accept (EARLY-1) and the refund (EARLY-6, or none for a product key, PK-1). Bought through Open or FPP (END-3):
 * no fee and no prorated credit from us; money questions go to the partner it was bought from.
 */
type EarlyEndMoney = { kind: 'fees-may-apply'; refund: Refund } | { kind: 'ask-partner'; channel: 'OPEN' | 'FPP' };

export type FastRevokeDecision =
  | {
      outcome: 'allowed';
      rules: RuleId[];
      /** AS-3: why it is guarded as it is, and what else the caller could do. */
      why: Extract<Reason, 'fast-revoke-irreversible' | 'fast-revoke-irreversible-only'>;
      /** FR-1: every piece of data is gone by this day (EARLY-3: save it before). */
      dataDeletedBy: CalendarDate;
      /** What an ordinary cancellation would keep instead (EARLY-3), so the caller can compare. */
      ordinaryRetentionDays: number;
      situation:
        /** Still running: the fast revoke also ends it early (FR-3); left alone it ends on `termEndsOn`. */
        | { kind: 'running'; money: EarlyEndMoney; domainsToRemove: string[]; termEndsOn: CalendarDate }
        /** Already ended: the data would otherwise be kept up to and including `keptUntil` (DD-1); now it goes sooner. */
        | { kind: 'ended'; keptUntil: CalendarDate };
    }
  /** FR-3, EARLY-5, AS-2: with too many licences a running subscription is fast-revoked by a person. */
  | { outcome: 'needs-human-agent'; reason: 'too-many-licences'; why: 'fast-revoke-too-many-licences'; rules: RuleId[]; licenceThreshold: number; usersToRemove: number }
  /** DD-2: an earlier fast revoke is deleting the data (by a date), or has deleted it. */
  | { outcome: 'refused'; reason: 'already-fast-revoked'; why: 'already-fast-revoked'; rules: RuleId[]; data: DataDeletion }
  | { outcome: 'refused'; reason: 'trial' | 'data-already-deleted'; why: Reason; rules: RuleId[] };

/** Fast revoke: cancel and delete all data within a few days instead of after the retention period (FR-1..FR-3). */
export function decideFastRevoke(facts: SubscriptionFacts, now: Date, config: PolicyConfig): FastRevokeDecision {
  const dataDeletedBy = addDays(toCalendarDate(now), config.fastRevokeDays);
  if (facts.kind === 'TRIAL') {
    const why: Reason = hasEnded(facts) ? 'reactivation-trial-expired' : facts.hasPaymentMethod ? 'trial-continues' : 'trial';
    return { outcome: 'refused', reason: 'trial', why, rules: ['TR-1', 'TR-2'] };
  }

  if (hasEnded(facts)) {
    const reactivation = decideReactivation(facts, now, config);
    if (reactivation.outcome === 'refused' && reactivation.reason === 'fast-revoked') {
      return { outcome: 'refused', reason: 'already-fast-revoked', why: 'already-fast-revoked', rules: ['FR-1', 'RE-2', 'DD-2'], data: reactivation.data };
    }
    if (reactivation.outcome !== 'allowed') {
      return { outcome: 'refused', reason: 'data-already-deleted', why: 'fast-revoke-data-gone', rules: ['RE-3', ...reactivation.rules.filter((r) => r === 'DD-1')] };
    }
    // FR-3: already cancelled, a fast revoke only brings the deletion date forward.
    return {
      outcome: 'allowed',
      rules: unique(['FR-1', 'FR-2', 'FR-3', 'RE-2', 'DD-1', 'AS-1']),
      why: 'fast-revoke-irreversible-only',
      dataDeletedBy: earliest(dataDeletedBy, reactivation.possibleUntil),
      ordinaryRetentionDays: config.retentionDays,
      situation: { kind: 'ended', keptUntil: reactivation.possibleUntil },
    };
  }

  // FR-3: a running subscription is also cancelled early, so the licence rule applies as it does to an early
  // cancellation (EARLY-5, AS-2), whatever channel it was bought through.
  const online = onlineCancellation(facts, config);
  if (online.available === false && online.reason === 'too-many-licences') {
    return {
      outcome: 'needs-human-agent',
      reason: 'too-many-licences',
      why: 'fast-revoke-too-many-licences',
      rules: ['FR-3', 'EARLY-5', 'AS-2'],
      licenceThreshold: online.licenceThreshold,
      usersToRemove: online.usersToRemove,
    };
  }
  const money: EarlyEndMoney =
    facts.channel === 'DIRECT' ? { kind: 'fees-may-apply', refund: refundFor(facts) } : { kind: 'ask-partner', channel: facts.channel };
  const moneyRules: RuleId[] = money.kind === 'fees-may-apply' ? ['EARLY-1', ...money.refund.rules] : ['END-3'];
  return {
    outcome: 'allowed',
    rules: unique(['FR-1', 'FR-2', 'FR-3', 'RE-2', ...moneyRules, 'EARLY-2', 'EARLY-3', 'AS-1']),
    // Bought through Open/FPP there is no ordinary cancellation to offer instead (END-3).
    why: money.kind === 'fees-may-apply' ? 'fast-revoke-irreversible' : 'fast-revoke-irreversible-only',
    dataDeletedBy,
    ordinaryRetentionDays: config.retentionDays,
    situation: { kind: 'running', money, domainsToRemove: [...facts.customDomains], termEndsOn: facts.termEnd },
  };
}
