import type { PolicyConfig } from './config';
import { addDays, daysBetween, toCalendarDate, type CalendarDate } from './dates';
import type { SubscriptionFacts } from './facts';
import type { RuleId } from './rules';

/**
 * DD-1: the deletion date on the record decides; the configured number of days only fills in a record that has
 * none. So changing the configuration never rewrites a cancellation that already happened.
 */
export function deletionDate(facts: SubscriptionFacts, config: PolicyConfig): { on: CalendarDate; rules: RuleId[] } {
  if (facts.dataDeletionAt) return { on: facts.dataDeletionAt, rules: ['DD-1'] };
  const days = facts.status === 'FAST_REVOKED' ? config.fastRevokeDays : config.retentionDays;
  return { on: addDays(endDate(facts), days), rules: ['DD-1', facts.status === 'FAST_REVOKED' ? 'FR-1' : 'EARLY-3'] };
}

/**
 * The day the subscription stopped. A subscription that simply ran out (auto-renew off, Open/FPP) has no
 * cancellation date; it ended with its term (END-1, END-3), and its data is kept like a cancelled one's (EARLY-3).
 */
export function endDate(facts: SubscriptionFacts): CalendarDate {
  return facts.cancelledAt ?? facts.termEnd;
}

/** DD-2: data deleted *by* a date is still "being deleted" up to and including that day, "deleted" after it. */
export type DataDeletion = { state: 'being-deleted'; by: CalendarDate } | { state: 'deleted'; on: CalendarDate };

export function dataDeletionState(deletesOn: CalendarDate, now: Date): DataDeletion {
  return daysBetween(toCalendarDate(now), deletesOn) >= 0 ? { state: 'being-deleted', by: deletesOn } : { state: 'deleted', on: deletesOn };
}
