import type { PolicyConfig } from './config';
import { dataDeletionState, deletionDate, endDate, type DataDeletion } from './dataDates';
import { addMonths, daysBetween, toCalendarDate, type CalendarDate } from './dates';
import { termLength } from './term';
import type { SubscriptionFacts } from './facts';
import type { Reason } from './explanations';
import type { RuleId } from './rules';

export type ReactivationDecision =
  /** Still active. With auto-renew off (END-1) it ends on `endsOn`: turning renewal back on is what keeps it. */
  | { outcome: 'not-needed'; rules: RuleId[]; why: 'nothing-to-reactivate' | 'renewal-off'; endsOn: CalendarDate | null }
  | {
      outcome: 'allowed';
      rules: RuleId[];
      endedOn: CalendarDate;
      /** Last calendar day on which reactivation is possible ("within 90 days" includes day 90; DD-1: the record's date). */
      possibleUntil: CalendarDate;
      /** A reactivated subscription starts a new term today, as long as its plan's (END-2), renewing automatically. */
      renewsOn: CalendarDate;
    }
  /** RE-2, DD-2: the data is being deleted (by a date) or has been deleted. */
  | { outcome: 'refused'; reason: 'fast-revoked'; why: Reason; rules: RuleId[]; endedOn: CalendarDate; data: DataDeletion }
  | { outcome: 'refused'; reason: 'data-deleted'; why: Reason; rules: RuleId[]; endedOn: CalendarDate; dataDeletedOn: CalendarDate }
  | { outcome: 'refused'; reason: 'trial-expired'; why: Reason; rules: RuleId[]; endedOn: CalendarDate };

/** Whether, and until when, an ended subscription can be brought back (RE-1..RE-3, TR-2, DD-1, DD-2). */
export function decideReactivation(facts: SubscriptionFacts, now: Date, config: PolicyConfig): ReactivationDecision {
  if (!hasEnded(facts)) {
    return facts.autoRenew
      ? { outcome: 'not-needed', rules: ['RE-1'], why: 'nothing-to-reactivate', endsOn: null }
      : { outcome: 'not-needed', rules: ['RE-1', 'END-1'], why: 'renewal-off', endsOn: facts.termEnd };
  }
  const endedOn = endDate(facts);
  const deletion = deletionDate(facts, config);
  if (facts.status === 'FAST_REVOKED') {
    return { outcome: 'refused', reason: 'fast-revoked', why: 'reactivation-fast-revoked', rules: ['RE-2', 'FR-1', 'DD-2', ...deletion.rules], endedOn, data: dataDeletionState(deletion.on, now) };
  }
  if (facts.kind === 'TRIAL') return { outcome: 'refused', reason: 'trial-expired', why: 'reactivation-trial-expired', rules: ['TR-2'], endedOn };

  const today = toCalendarDate(now);
  if (daysBetween(today, deletion.on) < 0) {
    return { outcome: 'refused', reason: 'data-deleted', why: 'reactivation-data-deleted', rules: ['RE-3', 'EARLY-3', ...deletion.rules], endedOn, dataDeletedOn: deletion.on };
  }
  const renewsOn = addMonths(today, termLength(facts) === 'month' ? 1 : 12);
  return { outcome: 'allowed', rules: ['RE-1', 'AS-1', ...deletion.rules], endedOn, possibleUntil: deletion.on, renewsOn };
}

/** Ended: cancelled, fast-revoked or expired. Only an ended subscription can be reactivated (RE-1). */
export function hasEnded(facts: Pick<SubscriptionFacts, 'status'>): boolean {
  return facts.status !== 'ACTIVE';
}
