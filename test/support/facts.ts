import { subscriptionFactsSchema, type SubscriptionFacts } from '../../src/policy';

/** A paid, active, directly bought Small Business subscription; each test changes only what it is about. */
export function facts(overrides: Partial<Record<keyof SubscriptionFacts, unknown>> = {}): SubscriptionFacts {
  return subscriptionFactsSchema.parse({
    plan: 'SMALL_BUSINESS',
    kind: 'PAID',
    channel: 'DIRECT',
    billing: 'MONTHLY',
    assignedLicenses: 12,
    termEnd: '2026-12-15',
    autoRenew: true,
    hasPaymentMethod: true,
    customDomains: ['fjordfika.se'],
    status: 'ACTIVE',
    cancelledAt: null,
    dataDeletionAt: null,
    ...overrides,
  });
}

/** Mid-morning UTC on the day these tests pretend is today. */
export const NOW = new Date('2026-11-22T10:30:00Z');
