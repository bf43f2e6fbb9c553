import type { PolicyConfig } from './config';
import { addDays, addMonths, daysBetween, toCalendarDate, type CalendarDate } from './dates';
import { termLength } from './term';
import type { SubscriptionFacts } from './facts';
import type { RuleId } from './rules';

export type ReactivationDecision =
  | { outcome: 'not-needed'; rules: RuleId[] }
  | {
      outcome: 'allowed';
      rules: RuleId[];
      endedOn: CalendarDate;
      /** Last calendar day on which reactivation is possible ("within 90 days" includes day 90). */
      possibleUntil: CalendarDate;
      daysLeft: number;
      /** A reactivated subscription starts a new term today, as long as its plan's (END-2), renewing automatically. */
      renewsOn: CalendarDate;
    }
  | { outcome: 'refused'; reason: 'fast-revoked'; rules: RuleId[]; endedOn: CalendarDate }
  | { outcome: 'refused'; reason: 'data-deleted'; rules: RuleId[]; endedOn: CalendarDate; dataDeletedOn: CalendarDate }
  | { outcome: 'refused'; reason: 'trial-expired'; rules: RuleId[]; endedOn: CalendarDate };

/** Whether, and until when, an ended subscription can be brought back (RE-1..RE-3, TR-2). */
export function decideReactivation(facts: SubscriptionFacts, now: Date, config: PolicyConfig): ReactivationDecision {
  if (facts.status === 'ACTIVE') return { outcome: 'not-needed', rules: ['RE-1'] };
  const endedOn = endDate(facts);
  if (facts.status === 'FAST_REVOKED') return { outcome: 'refused', reason: 'fast-revoked', rules: ['RE-2', 'FR-1'], endedOn };
  if (facts.kind === 'TRIAL') return { outcome: 'refused', reason: 'trial-expired', rules: ['TR-2'], endedOn };

  const possibleUntil = addDays(endedOn, config.retentionDays);
  const daysLeft = daysBetween(toCalendarDate(now), possibleUntil);
  if (daysLeft < 0) {
    return { outcome: 'refused', reason: 'data-deleted', rules: ['RE-3', 'EARLY-3'], endedOn, dataDeletedOn: possibleUntil };
  }
  const today = toCalendarDate(now);
  const renewsOn = addMonths(today, termLength(facts) === 'month' ? 1 : 12);
  return { outcome: 'allowed', rules: ['RE-1', 'AS-1'], endedOn, possibleUntil, daysLeft, renewsOn };
}

/**
 * The day the subscription stopped. A subscription that simply ran out (auto-renew off, Open/FPP) has no
 * cancellation date; it ended with its term (END-1, END-3), and its data is kept like a cancelled one's (EARLY-3).
 */
export function endDate(facts: SubscriptionFacts): CalendarDate {
  return facts.cancelledAt ?? facts.termEnd;
}
