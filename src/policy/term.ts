import type { SubscriptionFacts } from './facts';

export type TermLength = 'year' | 'month';

/** END-2: Midsize Business and Enterprise run for a year; Small Business for a year or month to month. */
export function termLength(facts: Pick<SubscriptionFacts, 'plan' | 'billing'>): TermLength {
  return facts.plan === 'SMALL_BUSINESS' && facts.billing === 'MONTHLY' ? 'month' : 'year';
}
