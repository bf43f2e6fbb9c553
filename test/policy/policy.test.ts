import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPolicy,
  DEFAULT_POLICY_CONFIG,
  NO_FAILED_ATTEMPTS,
  policyConfigSchema,
  RULE_IDS,
  subscriptionFactsSchema,
  VERIFICATION_ITEMS,
  type RuleId,
} from '../../src/policy';
import { facts, NOW } from '../support/facts';

const policy = createPolicy(DEFAULT_POLICY_CONFIG);
const cited = new Set<RuleId>();

/** Every case names the rule it proves; the last test checks that, together, they prove every rule. */
interface Case {
  rule: RuleId;
  name: string;
  check: () => void;
}

function table(title: string, cases: Case[]) {
  describe(title, () => {
    it.each(cases.map((c) => [`${c.rule}: ${c.name}`, c] as const))('%s', (_name, c) => {
      cited.add(c.rule);
      c.check();
    });
  });
}

const minutesLater = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const daysAgo = (days: number) => new Date(Date.UTC(2026, 10, 22 - days)).toISOString().slice(0, 10);

table('identity verification', [
  {
    rule: 'ID-1',
    name: 'the five items support asks for, in order',
    check: () => expect(VERIFICATION_ITEMS).toEqual(['userId', 'phone', 'contactName', 'organisationName', 'postalAddress']),
  },
  {
    rule: 'ID-1',
    name: 'an unverified caller gets nothing account-specific',
    check: () => expect(policy.access({ verifiedAt: null, lastActiveAt: null, isAdmin: true }, NOW)).toMatchObject({ level: 'none', reason: 'not-verified' }),
  },
  {
    rule: 'ID-1',
    name: 'verification lapses after 15 idle minutes, not at 15',
    check: () => {
      const caller = { verifiedAt: NOW, lastActiveAt: NOW, isAdmin: true };
      expect(policy.access(caller, minutesLater(15)).level).toBe('account-actions');
      expect(policy.access(caller, minutesLater(16))).toMatchObject({ level: 'none', reason: 'verification-expired' });
    },
  },
  {
    rule: 'ID-2',
    name: 'a verified administrator may act on the account',
    check: () => expect(policy.access({ verifiedAt: NOW, lastActiveAt: NOW, isAdmin: true }, NOW)).toEqual({ level: 'account-actions', rules: ['ID-1', 'ID-2'] }),
  },
  {
    rule: 'ID-2',
    name: 'a verified non-admin gets general information only',
    check: () => expect(policy.access({ verifiedAt: NOW, lastActiveAt: NOW, isAdmin: false }, NOW)).toEqual({ level: 'general-information', reason: 'not-admin', rules: ['ID-2'] }),
  },
  {
    rule: 'ID-3',
    name: 'two failures leave one attempt',
    check: () => {
      const twice = policy.recordFailedAttempt(policy.recordFailedAttempt(NO_FAILED_ATTEMPTS, NOW), NOW);
      expect(policy.lockout(twice, NOW)).toEqual({ locked: false, attemptsLeft: 1, rules: ['ID-3'] });
    },
  },
  {
    rule: 'ID-3',
    name: 'the third failure locks for 15 minutes and offers a person',
    check: () => {
      let history = NO_FAILED_ATTEMPTS;
      for (let i = 0; i < 3; i++) history = policy.recordFailedAttempt(history, NOW);
      expect(policy.lockout(history, minutesLater(14))).toEqual({ locked: true, until: minutesLater(15), rules: ['ID-3', 'AS-2'] });
      expect(policy.lockout(history, minutesLater(15))).toEqual({ locked: false, attemptsLeft: 3, rules: ['ID-3'] });
    },
  },
  {
    rule: 'ID-3',
    name: 'a failure after a served lockout starts a fresh count',
    check: () => {
      let history = NO_FAILED_ATTEMPTS;
      for (let i = 0; i < 3; i++) history = policy.recordFailedAttempt(history, NOW);
      expect(policy.recordFailedAttempt(history, minutesLater(20))).toEqual({ failedAttempts: 1, lastFailureAt: minutesLater(20) });
    },
  },
  {
    rule: 'ID-3',
    name: 'an attempt counted before it is judged is within the allowance up to the limit, not past it',
    check: () => {
      expect(policy.attemptWithinAllowance({ failedAttempts: 3, lastFailureAt: NOW })).toBe(true);
      expect(policy.attemptWithinAllowance({ failedAttempts: 4, lastFailureAt: NOW })).toBe(false);
    },
  },
  {
    rule: 'ID-3',
    name: 'the attempt limit comes from the config',
    check: () => {
      const strict = createPolicy(policyConfigSchema.parse({ maxVerificationAttempts: 1, lockoutMinutes: 60 }));
      const once = strict.recordFailedAttempt(NO_FAILED_ATTEMPTS, NOW);
      expect(strict.lockout(once, minutesLater(59))).toMatchObject({ locked: true, until: minutesLater(60) });
    },
  },
]);

table('trials', [
  {
    rule: 'TR-1',
    name: 'a trial has nothing to cancel',
    check: () => expect(policy.cancellation(facts({ kind: 'TRIAL', hasPaymentMethod: false, termEnd: '2026-12-06' }), NOW)).toMatchObject({ outcome: 'nothing-to-cancel', rules: ['TR-1', 'TR-2'], trialEndsOn: '2026-12-06' }),
  },
  {
    rule: 'TR-2',
    name: 'without a payment method it expires and its data is deleted',
    check: () => expect(policy.cancellation(facts({ kind: 'TRIAL', hasPaymentMethod: false }), NOW)).toMatchObject({ afterTrial: 'expires-and-data-deleted' }),
  },
  {
    rule: 'TR-2',
    name: 'with a payment method it carries on as a paid subscription',
    check: () => expect(policy.cancellation(facts({ kind: 'TRIAL', hasPaymentMethod: true }), NOW)).toMatchObject({ afterTrial: 'continues-as-paid' }),
  },
  {
    rule: 'TR-2',
    name: 'an expired trial cannot be reactivated: its data is gone',
    check: () => expect(policy.reactivation(facts({ kind: 'TRIAL', status: 'EXPIRED', termEnd: daysAgo(3) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'trial-expired', rules: ['TR-2'] }),
  },
  {
    rule: 'TR-1',
    name: 'a trial cannot be fast-revoked either',
    check: () => expect(policy.fastRevoke(facts({ kind: 'TRIAL' }), NOW)).toEqual({ outcome: 'refused', reason: 'trial', rules: ['TR-1', 'TR-2'] }),
  },
]);

table('cancel at end of term', [
  {
    rule: 'END-1',
    name: 'turning auto-renew off ends service and billing on the last day of the term, done by the assistant',
    check: () => {
      const decision = policy.cancellation(facts({ termEnd: '2026-12-15' }), NOW);
      expect(decision.outcome).toBe('cancellable');
      if (decision.outcome !== 'cancellable') return;
      expect(decision.endOfTerm).toEqual({ rules: ['END-1', 'END-2', 'AS-1'], termLength: 'month', endsOn: '2026-12-15', alreadyScheduled: false, performedBy: 'assistant' });
    },
  },
  {
    rule: 'END-1',
    name: 'with auto-renew already off, the end of term is already scheduled',
    check: () => expect(policy.cancellation(facts({ autoRenew: false }), NOW)).toMatchObject({ endOfTerm: { alreadyScheduled: true } }),
  },
  {
    rule: 'END-2',
    name: 'Small Business monthly runs month to month',
    check: () => expect(policy.cancellation(facts({ billing: 'MONTHLY' }), NOW)).toMatchObject({ endOfTerm: { termLength: 'month' } }),
  },
  {
    rule: 'END-2',
    name: 'Small Business annual runs for a year',
    check: () => expect(policy.cancellation(facts({ billing: 'ANNUAL' }), NOW)).toMatchObject({ endOfTerm: { termLength: 'year' } }),
  },
  {
    rule: 'END-2',
    name: 'Midsize Business and Enterprise run for a year',
    check: () => {
      expect(policy.cancellation(facts({ plan: 'MIDSIZE_BUSINESS', billing: 'ANNUAL' }), NOW)).toMatchObject({ endOfTerm: { termLength: 'year' } });
      expect(policy.cancellation(facts({ plan: 'ENTERPRISE', billing: 'ANNUAL' }), NOW)).toMatchObject({ endOfTerm: { termLength: 'year' } });
    },
  },
  {
    rule: 'END-2',
    name: 'Enterprise billed monthly is bad data, refused at the boundary',
    check: () => expect(subscriptionFactsSchema.safeParse({ ...facts(), plan: 'ENTERPRISE', billing: 'MONTHLY' }).success).toBe(false),
  },
  {
    rule: 'END-3',
    name: 'bought through Open: ends by itself at the end of the term',
    check: () => expect(policy.cancellation(facts({ channel: 'OPEN', termEnd: '2027-03-01' }), NOW)).toEqual({ outcome: 'ends-by-itself', rules: ['END-3'], endsOn: '2027-03-01' }),
  },
  {
    rule: 'END-3',
    name: 'bought through FPP: ends by itself at the end of the term',
    check: () => expect(policy.cancellation(facts({ channel: 'FPP', plan: 'MIDSIZE_BUSINESS', billing: 'ANNUAL', assignedLicenses: 20 }), NOW)).toMatchObject({ outcome: 'ends-by-itself', rules: ['END-3'] }),
  },
]);

function early(overrides: Parameters<typeof facts>[0] = {}) {
  const decision = policy.cancellation(facts(overrides), NOW);
  if (decision.outcome !== 'cancellable') throw new Error(`expected cancellable, got ${decision.outcome}`);
  return decision.early;
}

table('cancel before the end of term', [
  {
    rule: 'EARLY-1',
    name: 'the caller must acknowledge possible early-termination fees',
    check: () => expect(early()).toMatchObject({ feeAcknowledgementRequired: true, rules: expect.arrayContaining(['EARLY-1']) }),
  },
  {
    rule: 'EARLY-2',
    name: 'their own custom domains are listed for removal',
    check: () => expect(early({ customDomains: ['nordkust.se', 'nordkust.com'] }).domainsToRemove).toEqual(['nordkust.se', 'nordkust.com']),
  },
  {
    rule: 'EARLY-2',
    name: 'no custom domains, nothing to remove',
    check: () => expect(early({ customDomains: [] }).domainsToRemove).toEqual([]),
  },
  {
    rule: 'EARLY-3',
    name: 'access ends today and data is deleted 90 days later',
    check: () => expect(early()).toMatchObject({ accessEndsOn: '2026-11-22', dataDeletedOn: '2027-02-20', reactivationPossibleUntil: '2027-02-20' }),
  },
  {
    rule: 'EARLY-3',
    name: 'the retention period comes from the config',
    check: () => {
      const shorter = createPolicy(policyConfigSchema.parse({ retentionDays: 30 }));
      const decision = shorter.cancellation(facts(), NOW);
      expect(decision).toMatchObject({ early: { dataDeletedOn: '2026-12-22' } });
    },
  },
  {
    rule: 'EARLY-4',
    name: '24 licences: fewer than 25, online or by the assistant',
    check: () => expect(early({ assignedLicenses: 24 })).toMatchObject({ online: { available: true, rules: ['EARLY-4'] }, performedBy: 'assistant' }),
  },
  {
    rule: 'EARLY-4',
    name: 'Enterprise with fewer than 25 licences may also cancel online (S1 wins over S2)',
    check: () => expect(early({ plan: 'ENTERPRISE', billing: 'ANNUAL', assignedLicenses: 10 })).toMatchObject({ online: { available: true }, performedBy: 'assistant' }),
  },
  {
    rule: 'EARLY-5',
    name: 'exactly 25 licences is not fewer than 25: remove 1 user, a person helps',
    check: () => expect(early({ assignedLicenses: 25 })).toMatchObject({ online: { available: false, reason: 'too-many-licences', usersToRemove: 1, licenceThreshold: 25 }, performedBy: 'human-agent' }),
  },
  {
    rule: 'EARLY-5',
    name: '26 licences: remove 2 users',
    check: () => expect(early({ assignedLicenses: 26 }).online).toMatchObject({ available: false, usersToRemove: 2 }),
  },
  {
    rule: 'EARLY-5',
    name: '40 licences (Enterprise): remove 16 users, a person helps',
    check: () => expect(early({ plan: 'ENTERPRISE', billing: 'ANNUAL', assignedLicenses: 40 })).toMatchObject({ online: { usersToRemove: 16 }, performedBy: 'human-agent', rules: expect.arrayContaining(['EARLY-5', 'AS-2']) }),
  },
  {
    rule: 'EARLY-5',
    name: 'the licence threshold comes from the config',
    check: () => {
      const ten = createPolicy(policyConfigSchema.parse({ licenceThreshold: 10 }));
      expect(ten.cancellation(facts({ assignedLicenses: 12 }), NOW)).toMatchObject({ early: { performedBy: 'human-agent', online: { usersToRemove: 3 } } });
    },
  },
  {
    rule: 'EARLY-6',
    name: 'a paid subscription gets any prorated credit back within the next billing cycle',
    check: () => expect(early().refund).toEqual({ kind: 'prorated-credit', rules: ['EARLY-6'] }),
  },
]);

table('product keys', [
  {
    rule: 'PK-1',
    name: 'can be cancelled, by the assistant, but is not refundable: ask the partner',
    check: () => expect(early({ kind: 'PRODUCT_KEY', assignedLicenses: 8 })).toMatchObject({
      refund: { kind: 'not-refundable', askPartner: true, rules: ['PK-1'] },
      online: { available: false, reason: 'product-key' },
      performedBy: 'assistant',
    }),
  },
  {
    rule: 'PK-1',
    name: 'a product key with 25 licences still goes to a person (EARLY-5 first)',
    check: () => expect(early({ kind: 'PRODUCT_KEY', assignedLicenses: 25 })).toMatchObject({ performedBy: 'human-agent', refund: { kind: 'not-refundable' } }),
  },
]);

table('reactivation', [
  {
    rule: 'RE-1',
    name: 'cancelled 30 days ago: possible until day 90',
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(30) }), NOW)).toEqual({
      outcome: 'allowed', rules: ['RE-1', 'AS-1'], endedOn: '2026-10-23', possibleUntil: '2027-01-21', daysLeft: 60, renewsOn: '2026-12-22',
    }),
  },
  {
    rule: 'RE-1',
    name: 'a reactivated subscription starts a new term as long as its plan’s (END-2)',
    check: () => {
      expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(5), billing: 'ANNUAL' }), NOW)).toMatchObject({ renewsOn: '2027-11-22' });
      expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(5), billing: 'MONTHLY' }), NOW)).toMatchObject({ renewsOn: '2026-12-22' });
    },
  },
  {
    rule: 'RE-1',
    name: 'day 90 after cancellation is still within 90 days',
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(90) }), NOW)).toMatchObject({ outcome: 'allowed', daysLeft: 0, possibleUntil: '2026-11-22' }),
  },
  {
    rule: 'RE-3',
    name: 'day 91 is too late: the data is deleted',
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(91) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'data-deleted', rules: ['RE-3', 'EARLY-3'], dataDeletedOn: '2026-11-21' }),
  },
  {
    rule: 'RE-3',
    name: 'cancelled 120 days ago is refused',
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(120) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'data-deleted' }),
  },
  {
    rule: 'RE-1',
    name: 'a subscription that ran out at the end of its term counts from that day',
    check: () => expect(policy.reactivation(facts({ status: 'EXPIRED', termEnd: daysAgo(10), autoRenew: false }), NOW)).toMatchObject({ outcome: 'allowed', endedOn: daysAgo(10), daysLeft: 80 }),
  },
  {
    rule: 'RE-1',
    name: 'an active subscription needs no reactivation',
    check: () => expect(policy.reactivation(facts(), NOW)).toEqual({ outcome: 'not-needed', rules: ['RE-1'] }),
  },
  {
    rule: 'RE-2',
    name: 'a fast-revoked subscription cannot be reactivated',
    check: () => expect(policy.reactivation(facts({ status: 'FAST_REVOKED', cancelledAt: daysAgo(2) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'fast-revoked', rules: ['RE-2', 'FR-1'] }),
  },
  {
    rule: 'RE-1',
    name: 'cancelling an already cancelled subscription: nothing to cancel, points to reactivation',
    check: () => expect(policy.cancellation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(30) }), NOW)).toMatchObject({ outcome: 'already-ended', status: 'CANCELLED', reactivation: { outcome: 'allowed' } }),
  },
]);

table('fast revoke', [
  {
    rule: 'FR-1',
    name: 'all data is deleted within 3 days instead of 90',
    check: () => expect(policy.fastRevoke(facts(), NOW)).toEqual({
      outcome: 'allowed', rules: ['FR-1', 'FR-2', 'RE-2', 'EARLY-1', 'EARLY-6', 'AS-1'], dataDeletedBy: '2026-11-25', ordinaryRetentionDays: 90,
      irreversibleConfirmationRequired: true, early: { feeAcknowledgementRequired: true, refund: 'prorated-credit' }, performedBy: 'assistant',
    }),
  },
  {
    rule: 'EARLY-1',
    name: 'fast-revoking an active subscription cancels it early: fees to acknowledge, refund as for any early cancellation',
    check: () => {
      expect(policy.fastRevoke(facts({ kind: 'PRODUCT_KEY' }), NOW)).toMatchObject({ early: { feeAcknowledgementRequired: true, refund: 'not-refundable' }, rules: expect.arrayContaining(['EARLY-1', 'PK-1']) });
      expect(policy.fastRevoke(facts({ status: 'CANCELLED', cancelledAt: daysAgo(10) }), NOW)).toMatchObject({ early: null });
    },
  },
  {
    rule: 'FR-1',
    name: 'on a cancelled subscription it brings the deletion forward, never later than it was',
    check: () => {
      expect(policy.fastRevoke(facts({ status: 'CANCELLED', cancelledAt: daysAgo(30) }), NOW)).toMatchObject({ outcome: 'allowed', dataDeletedBy: '2026-11-25' });
      expect(policy.fastRevoke(facts({ status: 'CANCELLED', cancelledAt: daysAgo(89) }), NOW)).toMatchObject({ outcome: 'allowed', dataDeletedBy: '2026-11-23' });
    },
  },
  {
    rule: 'FR-1',
    name: 'already fast-revoked: refused',
    check: () => expect(policy.fastRevoke(facts({ status: 'FAST_REVOKED', cancelledAt: daysAgo(2) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'already-fast-revoked' }),
  },
  {
    rule: 'FR-1',
    name: 'the deletion period comes from the config',
    check: () => expect(createPolicy(policyConfigSchema.parse({ fastRevokeDays: 1 })).fastRevoke(facts(), NOW)).toMatchObject({ dataDeletedBy: '2026-11-23' }),
  },
  {
    rule: 'FR-2',
    name: 'the assistant does it after an explicit, irreversible confirmation, whatever the licence count',
    check: () => expect(policy.fastRevoke(facts({ plan: 'ENTERPRISE', billing: 'ANNUAL', assignedLicenses: 40 }), NOW)).toMatchObject({ outcome: 'allowed', performedBy: 'assistant', irreversibleConfirmationRequired: true }),
  },
  {
    rule: 'RE-3',
    name: 'no data left after the retention period: nothing to fast-revoke',
    check: () => expect(policy.fastRevoke(facts({ status: 'CANCELLED', cancelledAt: daysAgo(120) }), NOW)).toEqual({ outcome: 'refused', reason: 'data-already-deleted', rules: ['RE-3'] }),
  },
]);

table('feedback', [
  {
    rule: 'FB-1',
    name: 'after every kind of cancellation, optionally ask why',
    check: () => {
      for (const action of ['turn-off-auto-renew', 'cancel-now', 'fast-revoke'] as const) {
        expect(policy.feedback(action)).toEqual({ ask: true, optional: true, rules: ['FB-1'] });
      }
    },
  },
  {
    rule: 'FB-1',
    name: 'not after a reactivation',
    check: () => expect(policy.feedback('reactivate')).toEqual({ ask: false, rules: ['FB-1'] }),
  },
]);

table('who acts', [
  {
    rule: 'AS-1',
    name: 'under 25 licences the assistant performs an early cancellation and also shows the online steps',
    check: () => expect(early({ assignedLicenses: 12 })).toMatchObject({ performedBy: 'assistant', online: { available: true }, rules: expect.arrayContaining(['AS-1']) }),
  },
  {
    rule: 'AS-1',
    name: 'the assistant turns auto-renew off, fast-revokes and reactivates',
    check: () => {
      expect(policy.cancellation(facts(), NOW)).toMatchObject({ endOfTerm: { performedBy: 'assistant' } });
      expect(policy.fastRevoke(facts(), NOW)).toMatchObject({ performedBy: 'assistant' });
      expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(5) }), NOW).rules).toContain('AS-1');
    },
  },
  {
    rule: 'AS-2',
    name: 'each hand-off reason goes to a human agent with the verified context',
    check: () => {
      expect(policy.handoff('too-many-licences')).toEqual({ to: 'human-agent', reason: 'too-many-licences', withVerifiedContext: true, rules: ['AS-2', 'EARLY-5'] });
      expect(policy.handoff('locked-out').rules).toEqual(['AS-2', 'ID-3']);
      expect(policy.handoff('backend-failure').rules).toEqual(['AS-2']);
      expect(policy.handoff('caller-asked').rules).toEqual(['AS-2']);
    },
  },
]);

describe('policy config', () => {
  it('has the POLICY.md defaults', () => {
    expect(DEFAULT_POLICY_CONFIG).toEqual({
      licenceThreshold: 25, retentionDays: 90, fastRevokeDays: 3, maxVerificationAttempts: 3, lockoutMinutes: 15, verificationIdleMinutes: 15,
    });
  });

  it('refuses a fast revoke that would keep data longer than a normal cancellation', () => {
    expect(policyConfigSchema.safeParse({ fastRevokeDays: 90, retentionDays: 90 }).success).toBe(false);
  });

  it('refuses non-integer and negative thresholds', () => {
    expect(policyConfigSchema.safeParse({ licenceThreshold: 2.5 }).success).toBe(false);
    expect(policyConfigSchema.safeParse({ retentionDays: -1 }).success).toBe(false);
  });
});

describe('subscription facts', () => {
  it('need a cancellation date when cancelled', () => {
    expect(subscriptionFactsSchema.safeParse({ ...facts(), status: 'CANCELLED', cancelledAt: null }).success).toBe(false);
  });

  it('compare calendar days in UTC: a cancellation late in the evening counts by its UTC day', () => {
    const lateNight = new Date('2026-11-22T23:59:59Z');
    expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: '2026-08-24' }), lateNight)).toMatchObject({ outcome: 'allowed', daysLeft: 0 });
    expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: '2026-08-24' }), new Date('2026-11-23T00:00:00Z'))).toMatchObject({ outcome: 'refused' });
  });
});

afterAll(() => {
  // Runs after every table: a rule nobody cited is a rule nobody tested.
  const missing = RULE_IDS.filter((rule) => !cited.has(rule));
  expect(missing, `rules without a test case: ${missing.join(', ')}`).toEqual([]);
});

describe('POLICY.md', () => {
  const policyDoc = join(__dirname, '../../../shared/POLICY.md');
  it.skipIf(!existsSync(policyDoc))('defines exactly the rule IDs the module knows', () => {
    const documented = new Set(readFileSync(policyDoc, 'utf8').match(/\*\*([A-Z]+-\d+)\*\*/g)?.map((bold) => bold.replaceAll('*', '')));
    expect([...documented].sort()).toEqual([...RULE_IDS].sort());
  });
});
