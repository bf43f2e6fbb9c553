import { onlineCancellation, performerFor, refundFor, unique, type Refund } from './cancellation';
import type { PolicyConfig } from './config';
import type { DataDeletion } from './dataDates';
import { addDays, earliest, toCalendarDate, type CalendarDate } from './dates';
import type { SubscriptionFacts } from './facts';
import { decideReactivation, hasEnded } from './reactivation';
import type { RuleId } from './rules';

/**
 * FR-3: the money side of ending a running subscription now. Bought directly: possible early-termination fees to
 * accept (EARLY-1) and the refund (EARLY-6, or none for a product key, PK-1). Bought through Open or FPP (END-3):
 * no fee and no prorated credit from us; money questions go to the partner it was bought from.
 */
export type EarlyEndMoney = { kind: 'fees-may-apply'; refund: Refund } | { kind: 'ask-partner'; channel: 'OPEN' | 'FPP' };

/** What a fast revoke of a subscription that is still running also means: it is an early cancellation (FR-3). */
export interface RunningSubscriptionEnd {
  money: EarlyEndMoney;
  /** EARLY-2: custom domains to remove, and DNS records to repoint, before everything goes. */
  domainsToRemove: string[];
}

export type FastRevokeDecision =
  | {
      outcome: 'allowed';
      rules: RuleId[];
      /** FR-1: every piece of data is gone by this day (EARLY-3: save it before). */
      dataDeletedBy: CalendarDate;
      /** What an ordinary cancellation would keep instead (EARLY-3), so the caller can compare. */
      ordinaryRetentionDays: number;
      /** Still running: the fast revoke also ends it early (FR-3). Null when it had already ended. */
      running: RunningSubscriptionEnd | null;
      /** Already ended: the data would otherwise be kept up to and including this day (DD-1); now it goes sooner. */
      keptUntil: CalendarDate | null;
    }
  /** FR-3, EARLY-5, AS-2: with too many licences a running subscription is fast-revoked by a person. */
  | { outcome: 'needs-human-agent'; reason: 'too-many-licences'; rules: RuleId[]; licenceThreshold: number; usersToRemove: number }
  /** DD-2: an earlier fast revoke is deleting the data (by a date), or has deleted it. */
  | { outcome: 'refused'; reason: 'already-fast-revoked'; rules: RuleId[]; data: DataDeletion }
  | { outcome: 'refused'; reason: 'trial' | 'data-already-deleted'; rules: RuleId[] };

/** Fast revoke: cancel and delete all data within a few days instead of after the retention period (FR-1..FR-3). */
export function decideFastRevoke(facts: SubscriptionFacts, now: Date, config: PolicyConfig): FastRevokeDecision {
  const today = toCalendarDate(now);
  const dataDeletedBy = addDays(today, config.fastRevokeDays);
  const allowed = { outcome: 'allowed' as const, ordinaryRetentionDays: config.retentionDays };

  if (hasEnded(facts)) {
    const reactivation = decideReactivation(facts, now, config);
    if (reactivation.outcome === 'refused' && reactivation.reason === 'fast-revoked') {
      return { outcome: 'refused', reason: 'already-fast-revoked', rules: ['FR-1', 'RE-2', 'DD-2'], data: reactivation.data };
    }
    if (facts.kind === 'TRIAL') return { outcome: 'refused', reason: 'trial', rules: ['TR-1', 'TR-2'] };
    if (reactivation.outcome !== 'allowed') return { outcome: 'refused', reason: 'data-already-deleted', rules: ['RE-3', ...reactivation.rules.filter((r) => r === 'DD-1')] };
    // FR-3: already cancelled, a fast revoke only brings the deletion date forward.
    return {
      ...allowed,
      rules: unique(['FR-1', 'FR-2', 'FR-3', 'RE-2', 'DD-1', 'AS-1']),
      dataDeletedBy: earliest(dataDeletedBy, reactivation.possibleUntil),
      running: null,
      keptUntil: reactivation.possibleUntil,
    };
  }
  if (facts.kind === 'TRIAL') return { outcome: 'refused', reason: 'trial', rules: ['TR-1', 'TR-2'] };

  // FR-3: a running subscription is also cancelled early, so the licence rule applies as it does to an early
  // cancellation (EARLY-5, AS-2), whatever channel it was bought through.
  const online = onlineCancellation(facts, config);
  if (online.available === false && online.reason === 'too-many-licences' && performerFor(online) === 'human-agent') {
    return {
      outcome: 'needs-human-agent',
      reason: 'too-many-licences',
      rules: ['FR-3', 'EARLY-5', 'AS-2'],
      licenceThreshold: online.licenceThreshold,
      usersToRemove: online.usersToRemove,
    };
  }
  const money: EarlyEndMoney =
    facts.channel === 'DIRECT' ? { kind: 'fees-may-apply', refund: refundFor(facts) } : { kind: 'ask-partner', channel: facts.channel };
  const moneyRules: RuleId[] = money.kind === 'fees-may-apply' ? ['EARLY-1', ...money.refund.rules] : ['END-3'];
  return {
    ...allowed,
    rules: unique(['FR-1', 'FR-2', 'FR-3', 'RE-2', ...moneyRules, 'EARLY-2', 'EARLY-3', 'AS-1']),
    dataDeletedBy,
    running: { money, domainsToRemove: [...facts.customDomains] },
    keptUntil: null,
  };
}
