import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  dataDeletionState,
  DEFAULT_POLICY_CONFIG,
  deletionDate,
  NO_FAILED_ATTEMPTS,
  policyConfigSchema,
  REASONS,
  RULE_IDS,
  subscriptionFactsSchema,
  VERIFICATION_ITEMS,
  type CalendarDate,
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
const daysAhead = (days: number) => daysAgo(-days);
/** A failure history with failures this many minutes after NOW. */
const failures = (...minutes: number[]) => ({ failures: minutes.map(minutesLater) });

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
    rule: 'ID-2',
    name: 'an administrator is one who says so and whom the record names so',
    check: () => {
      expect(policy.isAdministrator(true, true)).toBe(true);
      expect(policy.isAdministrator(true, false)).toBe(false);
      expect(policy.isAdministrator(false, true)).toBe(false);
    },
  },
  {
    rule: 'ID-3',
    name: 'two failures leave one attempt',
    check: () => {
      const twice = failures(0, 0);
      expect(policy.lockout(twice, NOW)).toEqual({ locked: false, attemptsLeft: 1, rules: ['ID-3'] });
    },
  },
  {
    rule: 'ID-3',
    name: 'the third failure locks for 15 minutes and offers a person',
    check: () => {
      const history = failures(0, 0, 0);
      expect(policy.lockout(history, minutesLater(14))).toEqual({ locked: true, until: minutesLater(15), rules: ['ID-3', 'AS-2'] });
      expect(policy.lockout(history, minutesLater(15))).toMatchObject({ locked: false, attemptsLeft: 1 });
    },
  },
  {
    rule: 'ID-3',
    name: 'slow guessing locks too: failures 15 minutes apart are counted over 24 hours; the third locks, the next after it locks longer',
    check: () => {
      expect(policy.lockout(failures(0, 15), minutesLater(29))).toMatchObject({ locked: false, attemptsLeft: 1 });
      const third = failures(0, 15, 30);
      expect(policy.lockout(third, minutesLater(44))).toMatchObject({ locked: true, until: minutesLater(45) });
      const fourth = policy.recordFailedAttempt(third, minutesLater(45));
      expect(policy.lockout(fourth, minutesLater(60))).toMatchObject({ locked: true, until: minutesLater(75) });
    },
  },
  {
    rule: 'ID-3',
    name: 'each further failure inside the window locks twice as long as the last: 15, 30, 60 minutes',
    check: () => {
      expect(policy.lockout(failures(0, 0, 0), NOW)).toMatchObject({ locked: true, until: minutesLater(15) });
      expect(policy.lockout(failures(0, 0, 0, 20), minutesLater(20))).toMatchObject({ locked: true, until: minutesLater(20 + 30) });
      expect(policy.lockout(failures(0, 0, 0, 20, 60), minutesLater(60))).toMatchObject({ locked: true, until: minutesLater(60 + 60) });
    },
  },
  {
    rule: 'ID-3',
    name: 'a lock never lasts more than 24 hours, however many failures',
    check: () => {
      const many = failures(...Array.from({ length: 20 }, (_, i) => i));
      expect(policy.lockout(many, minutesLater(19))).toMatchObject({ locked: true, until: minutesLater(19 + 24 * 60) });
    },
  },
  {
    rule: 'ID-3',
    name: 'waiting out a lock does not reset the count: after it, one attempt, and its failure locks again',
    check: () => {
      const locked = failures(0, 0, 0);
      expect(policy.lockout(locked, minutesLater(16))).toEqual({ locked: false, attemptsLeft: 1, rules: ['ID-3'] });
      const again = policy.recordFailedAttempt(locked, minutesLater(16));
      expect(policy.lockout(again, minutesLater(16))).toMatchObject({ locked: true, until: minutesLater(16 + 30) });
    },
  },
  {
    rule: 'ID-3',
    name: 'a lock lasts as long as it was set for, even when old failures leave the window meanwhile',
    check: () => {
      // Failures at 0, 0, 0 and, an hour before the first ones leave the window, five more: the last lock is long.
      const late = 23 * 60;
      const history = failures(0, 0, 0, late, late + 1, late + 2, late + 3, late + 4);
      const lastLock = policy.lockout(history, minutesLater(late + 4));
      expect(lastLock).toMatchObject({ locked: true, until: minutesLater(late + 4 + 15 * 2 ** 5) });
      // Two hours later the first three failures are older than 24 hours, but the lock still holds.
      expect(policy.lockout(history, minutesLater(late + 120))).toMatchObject({ locked: true, until: minutesLater(late + 4 + 480) });
    },
  },
  {
    rule: 'ID-3',
    name: 'failures older than 24 hours no longer count',
    check: () => {
      const history = failures(0, 0, 0);
      const nextDay = minutesLater(24 * 60 + 1);
      expect(policy.lockout(history, nextDay)).toEqual({ locked: false, attemptsLeft: 3, rules: ['ID-3'] });
      expect(policy.recordFailedAttempt(history, nextDay)).toEqual({ failures: [nextDay] });
    },
  },
  {
    rule: 'ID-3',
    name: 'an attempt counted before it is judged is allowed only when the history before it was not locked',
    check: () => {
      expect(policy.attemptWithinAllowance(failures(0, 0, 0), NOW)).toBe(true);
      expect(policy.attemptWithinAllowance(failures(0, 0, 0, 0), NOW)).toBe(false);
      expect(policy.attemptWithinAllowance(failures(0, 0, 0, 16), minutesLater(16))).toBe(true);
    },
  },
  {
    rule: 'ID-3',
    name: 'an attempt the directory could not judge is withdrawn, and only that one',
    check: () => expect(policy.withdrawAttempt(failures(0, 5), minutesLater(5))).toEqual(failures(0)),
  },
  {
    rule: 'ID-3',
    name: 'the attempt limit, first lock, longest lock and window come from the config',
    check: () => {
      const strict = createPolicy(policyConfigSchema.parse({ maxVerificationAttempts: 1, lockoutMinutes: 60, maxLockoutMinutes: 90, failureWindowHours: 2 }));
      const once = strict.recordFailedAttempt(NO_FAILED_ATTEMPTS, NOW);
      expect(strict.lockout(once, minutesLater(59))).toMatchObject({ locked: true, until: minutesLater(60) });
      const twice = strict.recordFailedAttempt(once, minutesLater(61));
      expect(strict.lockout(twice, minutesLater(61))).toMatchObject({ locked: true, until: minutesLater(61 + 90) });
      expect(strict.lockout(twice, minutesLater(61 + 100))).toMatchObject({ locked: false, attemptsLeft: 1 });
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
    check: () => expect(policy.fastRevoke(facts({ kind: 'TRIAL' }), NOW)).toEqual({ outcome: 'refused', reason: 'trial', why: 'trial-continues', rules: ['TR-1', 'TR-2'] }),
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
    check: () => expect(policy.cancellation(facts({ channel: 'OPEN', termEnd: '2027-03-01' }), NOW)).toEqual({ outcome: 'ends-by-itself', rules: ['END-3'], why: 'ends-by-itself', endsOn: '2027-03-01' }),
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
    check: () => expect(early().rules).toContain('EARLY-1'),
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
      refund: { kind: 'not-refundable', rules: ['PK-1'] },
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
      outcome: 'allowed', rules: ['RE-1', 'AS-1', 'DD-1', 'EARLY-3'], endedOn: '2026-10-23', possibleUntil: '2027-01-21', renewsOn: '2026-12-22',
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
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(90) }), NOW)).toMatchObject({ outcome: 'allowed', possibleUntil: '2026-11-22' }),
  },
  {
    rule: 'RE-3',
    name: 'day 91 is too late: the data is deleted',
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(91) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'data-deleted', rules: expect.arrayContaining(['RE-3', 'EARLY-3']), dataDeletedOn: '2026-11-21' }),
  },
  {
    rule: 'RE-3',
    name: 'cancelled 120 days ago is refused',
    check: () => expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(120) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'data-deleted' }),
  },
  {
    rule: 'RE-1',
    name: 'a subscription that ran out at the end of its term counts from that day',
    check: () => expect(policy.reactivation(facts({ status: 'EXPIRED', termEnd: daysAgo(10), autoRenew: false }), NOW)).toMatchObject({ outcome: 'allowed', endedOn: daysAgo(10), possibleUntil: daysAhead(80) }),
  },
  {
    rule: 'RE-1',
    name: 'an active subscription needs no reactivation',
    check: () => {
      expect(policy.reactivation(facts(), NOW)).toEqual({ outcome: 'not-needed', rules: ['RE-1'], why: 'nothing-to-reactivate', endsOn: null });
      // Auto-renew off: still running until the end of its term; turning renewal back on is what keeps it (END-1).
      expect(policy.reactivation(facts({ autoRenew: false }), NOW)).toEqual({ outcome: 'not-needed', rules: ['RE-1', 'END-1'], why: 'renewal-off', endsOn: '2026-12-15' });
    },
  },
  {
    rule: 'RE-2',
    name: 'a fast-revoked subscription cannot be reactivated',
    check: () => expect(policy.reactivation(facts({ status: 'FAST_REVOKED', cancelledAt: daysAgo(2) }), NOW)).toMatchObject({ outcome: 'refused', reason: 'fast-revoked', rules: expect.arrayContaining(['RE-2', 'FR-1']) }),
  },
  {
    rule: 'RE-1',
    name: 'cancelling an already cancelled subscription: nothing to cancel, points to reactivation',
    check: () => expect(policy.cancellation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(30) }), NOW)).toMatchObject({ outcome: 'already-ended', status: 'CANCELLED', reactivation: { outcome: 'allowed' } }),
  },
]);

function fastRevokeOf(overrides: Parameters<typeof facts>[0] = {}, on = NOW, using = policy) {
  return using.fastRevoke(facts(overrides), on);
}

table('fast revoke', [
  {
    rule: 'FR-1',
    name: 'all data is deleted within 3 days instead of 90',
    check: () => expect(fastRevokeOf()).toMatchObject({ outcome: 'allowed', dataDeletedBy: '2026-11-25', ordinaryRetentionDays: 90 }),
  },
  {
    rule: 'FR-1',
    name: 'on a cancelled subscription it brings the deletion forward, never later than it was',
    check: () => {
      expect(fastRevokeOf({ status: 'CANCELLED', cancelledAt: daysAgo(30) })).toMatchObject({ outcome: 'allowed', dataDeletedBy: '2026-11-25', situation: { kind: 'ended', keptUntil: '2027-01-21' } });
      expect(fastRevokeOf({ status: 'CANCELLED', cancelledAt: daysAgo(89) })).toMatchObject({ outcome: 'allowed', dataDeletedBy: '2026-11-23' });
    },
  },
  {
    rule: 'FR-1',
    name: 'already fast-revoked: refused',
    check: () => expect(fastRevokeOf({ status: 'FAST_REVOKED', cancelledAt: daysAgo(2) })).toMatchObject({ outcome: 'refused', reason: 'already-fast-revoked' }),
  },
  {
    rule: 'FR-1',
    name: 'the deletion period comes from the config',
    check: () => expect(fastRevokeOf({}, NOW, createPolicy(policyConfigSchema.parse({ fastRevokeDays: 1 })))).toMatchObject({ dataDeletedBy: '2026-11-23' }),
  },
  {
    rule: 'FR-2',
    name: 'the assistant does it (AS-1) under 25 licences; it cannot be undone (RE-2)',
    check: () => expect(fastRevokeOf({ assignedLicenses: 24 })).toMatchObject({ outcome: 'allowed', rules: expect.arrayContaining(['FR-2', 'RE-2', 'AS-1']) }),
  },
  {
    rule: 'RE-3',
    name: 'no data left after the retention period: nothing to fast-revoke',
    check: () => expect(fastRevokeOf({ status: 'CANCELLED', cancelledAt: daysAgo(120) })).toMatchObject({ outcome: 'refused', reason: 'data-already-deleted', rules: expect.arrayContaining(['RE-3']) }),
  },
]);

table('one-time codes over time', [
  {
    rule: 'FR-2',
    name: 'an account gets at most 6 codes and 8 wrong codes in a rolling 24 hours, however many fast revokes',
    check: () => {
      const sent = (count: number, at = 0) => ({ failures: Array.from({ length: count }, () => minutesLater(at)) });
      expect(policy.withinCodeLimit(sent(6), NOW, 'sent')).toBe(true);
      expect(policy.withinCodeLimit(sent(7), NOW, 'sent')).toBe(false);
      expect(policy.withinCodeLimit(sent(8), NOW, 'wrong')).toBe(true);
      expect(policy.withinCodeLimit(sent(9), NOW, 'wrong')).toBe(false);
      // A day later they count no more.
      expect(policy.withinCodeLimit(sent(7, -24 * 60 - 1), NOW, 'sent')).toBe(true);
    },
  },
  {
    rule: 'FR-2',
    name: 'the limits come from the config',
    check: () => expect(createPolicy(policyConfigSchema.parse({ maxOneTimeCodesPerWindow: 1 })).withinCodeLimit({ failures: [NOW, NOW] }, NOW, 'sent')).toBe(false),
  },
]);

table('fast revoke of a running subscription is an early cancellation', [
  {
    rule: 'FR-3',
    name: '40 licences (Erik): a person does it, exactly like an early cancellation (EARLY-5, AS-2)',
    check: () => expect(fastRevokeOf({ plan: 'ENTERPRISE', billing: 'ANNUAL', assignedLicenses: 40 })).toEqual({
      outcome: 'needs-human-agent', reason: 'too-many-licences', why: 'fast-revoke-too-many-licences', rules: ['FR-3', 'EARLY-5', 'AS-2'], licenceThreshold: 25, usersToRemove: 16,
    }),
  },
  {
    rule: 'FR-3',
    name: 'exactly 25 licences is not fewer than 25: a person; 24 the assistant',
    check: () => {
      expect(fastRevokeOf({ assignedLicenses: 25 })).toMatchObject({ outcome: 'needs-human-agent', usersToRemove: 1 });
      expect(fastRevokeOf({ assignedLicenses: 24 })).toMatchObject({ outcome: 'allowed' });
    },
  },
  {
    rule: 'FR-3',
    name: 'the licence threshold comes from the config',
    check: () => expect(fastRevokeOf({ assignedLicenses: 12 }, NOW, createPolicy(policyConfigSchema.parse({ licenceThreshold: 10 })))).toMatchObject({ outcome: 'needs-human-agent', usersToRemove: 3 }),
  },
  {
    rule: 'FR-3',
    name: 'domains and DNS first (EARLY-2) and save the data now, gone by the date (EARLY-3)',
    check: () => expect(fastRevokeOf({ customDomains: ['fjordfika.se'] })).toMatchObject({
      dataDeletedBy: '2026-11-25', situation: { kind: 'running', domainsToRemove: ['fjordfika.se'] }, rules: expect.arrayContaining(['FR-3', 'EARLY-2', 'EARLY-3']),
    }),
  },
  {
    rule: 'FR-3',
    name: 'bought directly: possible fees (EARLY-1), the prorated credit (EARLY-6), domains and data first; exactly these rules',
    check: () => expect(fastRevokeOf()).toEqual({
      outcome: 'allowed',
      rules: ['FR-1', 'FR-2', 'FR-3', 'RE-2', 'EARLY-1', 'EARLY-6', 'EARLY-2', 'EARLY-3', 'AS-1'],
      why: 'fast-revoke-irreversible',
      dataDeletedBy: '2026-11-25',
      ordinaryRetentionDays: 90,
      situation: { kind: 'running', money: { kind: 'fees-may-apply', refund: { kind: 'prorated-credit', rules: ['EARLY-6'] } }, domainsToRemove: ['fjordfika.se'], termEndsOn: '2026-12-15' },
    }),
  },
  {
    rule: 'FR-3',
    name: 'a product key: possible fees, not refundable by us (PK-1)',
    check: () => expect(fastRevokeOf({ kind: 'PRODUCT_KEY' })).toMatchObject({ situation: { money: { kind: 'fees-may-apply', refund: { kind: 'not-refundable' } } }, rules: expect.arrayContaining(['EARLY-1', 'PK-1']) }),
  },
  {
    rule: 'FR-3',
    name: 'bought through FPP or Open (Olof): no fee, no credit from us; money questions go to the partner (END-3)',
    check: () => {
      for (const channel of ['FPP', 'OPEN'] as const) {
        const decision = fastRevokeOf({ channel, plan: 'MIDSIZE_BUSINESS', billing: 'ANNUAL', assignedLicenses: 20 });
        expect(decision).toMatchObject({ outcome: 'allowed', why: 'fast-revoke-irreversible-only', situation: { money: { kind: 'ask-partner', channel } } });
        expect(decision.rules).toContain('END-3');
        expect(decision.rules).not.toContain('EARLY-1');
        expect(decision.rules).not.toContain('EARLY-6');
      }
    },
  },
  {
    rule: 'FR-3',
    name: 'already cancelled: only brings the deletion date forward, no fees, no licence rule',
    check: () => {
      const decision = fastRevokeOf({ status: 'CANCELLED', cancelledAt: daysAgo(10), assignedLicenses: 40, plan: 'ENTERPRISE', billing: 'ANNUAL' });
      expect(decision).toMatchObject({ outcome: 'allowed', situation: { kind: 'ended' }, dataDeletedBy: '2026-11-25' });
      expect(decision.rules).not.toContain('EARLY-1');
    },
  },
]);

table('data dates', [
  {
    rule: 'DD-1',
    name: 'the stored deletion date decides reactivation, not today\'s configuration',
    check: () => {
      const cancelled = facts({ status: 'CANCELLED', cancelledAt: daysAgo(40), dataDeletionAt: daysAhead(50) });
      const shorter = createPolicy(policyConfigSchema.parse({ retentionDays: 30 }));
      expect(shorter.reactivation(cancelled, NOW)).toMatchObject({ outcome: 'allowed', possibleUntil: daysAhead(50), rules: expect.arrayContaining(['DD-1']) });
      expect(shorter.fastRevoke(cancelled, NOW)).toMatchObject({ outcome: 'allowed', situation: { kind: 'ended', keptUntil: daysAhead(50) } });
    },
  },
  {
    rule: 'DD-1',
    name: 'a stored date in the past refuses even when the configuration would still allow',
    check: () => {
      const cancelled = facts({ status: 'CANCELLED', cancelledAt: daysAgo(40), dataDeletionAt: daysAgo(1) });
      expect(policy.reactivation(cancelled, NOW)).toMatchObject({ outcome: 'refused', reason: 'data-deleted', dataDeletedOn: daysAgo(1) });
    },
  },
  {
    rule: 'DD-1',
    name: 'a record without a date is filled in from the configuration',
    check: () => {
      expect(deletionDate(facts({ status: 'CANCELLED', cancelledAt: daysAgo(10) }), DEFAULT_POLICY_CONFIG)).toEqual({ on: daysAhead(80), rules: ['DD-1', 'EARLY-3'] });
      expect(deletionDate(facts({ status: 'FAST_REVOKED', cancelledAt: daysAgo(2) }), DEFAULT_POLICY_CONFIG)).toEqual({ on: daysAhead(1), rules: ['DD-1', 'FR-1'] });
    },
  },
  {
    rule: 'DD-2',
    name: 'fast-revoked 2 days ago (Karin): the data is being deleted, by its date',
    check: () => {
      const karin = facts({ status: 'FAST_REVOKED', cancelledAt: daysAgo(2), dataDeletionAt: daysAhead(1) });
      expect(policy.reactivation(karin, NOW)).toMatchObject({ outcome: 'refused', reason: 'fast-revoked', data: { state: 'being-deleted', by: daysAhead(1) } });
      expect(policy.fastRevoke(karin, NOW)).toMatchObject({ outcome: 'refused', reason: 'already-fast-revoked', data: { state: 'being-deleted', by: daysAhead(1) } });
    },
  },
  {
    rule: 'DD-2',
    name: 'on the date itself it is still being deleted; the day after it has been deleted',
    check: () => {
      expect(dataDeletionState(daysAgo(0) as CalendarDate, NOW)).toEqual({ state: 'being-deleted', by: daysAgo(0) });
      expect(dataDeletionState(daysAgo(1) as CalendarDate, NOW)).toEqual({ state: 'deleted', on: daysAgo(1) });
    },
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
      expect(policy.fastRevoke(facts(), NOW).rules).toContain('AS-1');
      expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: daysAgo(5) }), NOW).rules).toContain('AS-1');
    },
  },
  {
    rule: 'AS-2',
    name: 'each hand-off reason goes to a human agent with the verified context',
    check: () => {
      expect(policy.handoff('too-many-licences')).toEqual({ reason: 'too-many-licences', rules: ['AS-2', 'EARLY-5'] });
      expect(policy.handoff('locked-out').rules).toEqual(['AS-2', 'ID-3']);
      expect(policy.handoff('backend-failure').rules).toEqual(['AS-2']);
      expect(policy.handoff('caller-asked').rules).toEqual(['AS-2']);
    },
  },
  {
    rule: 'AS-3',
    name: 'every reason a caller can ask about has plain rules behind it and a next step, a person always among them',
    check: () => {
      for (const reason of REASONS) {
        const explanation = policy.explain(reason);
        expect(explanation.rules.length, reason).toBeGreaterThan(1);
        expect(explanation.rules).toContain('AS-3');
        expect(explanation.nextSteps, reason).toContain('person');
      }
    },
  },
  {
    rule: 'AS-3',
    name: 'a refusal points somewhere: trial → add a payment method; too many licences → remove users; fees → end of term',
    check: () => {
      expect(policy.explain('trial').nextSteps).toContain('add-payment-method');
      expect(policy.explain('too-many-licences').nextSteps).toEqual(['remove-users', 'cancel-at-end-of-term', 'person']);
      expect(policy.explain('already-ended').nextSteps[0]).toBe('reactivate');
      expect(policy.explain('fast-revoke-irreversible-only').nextSteps).not.toContain('ordinary-cancellation');
      expect(policy.explain('early-fees').nextSteps[0]).toBe('cancel-at-end-of-term');
      expect(policy.explain('locked-out')).toMatchObject({ rules: expect.arrayContaining(['ID-3']), nextSteps: ['try-later', 'person'] });
    },
  },
]);

describe('policy config', () => {
  it('has the POLICY.md defaults', () => {
    expect(DEFAULT_POLICY_CONFIG).toEqual({
      licenceThreshold: 25, retentionDays: 90, fastRevokeDays: 3, maxVerificationAttempts: 3, lockoutMinutes: 15, maxLockoutMinutes: 1440,
      failureWindowHours: 24, verificationIdleMinutes: 15, maxOneTimeCodes: 3, maxOneTimeCodesPerWindow: 6, maxWrongCodesPerWindow: 8,
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
    expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: '2026-08-24' }), lateNight)).toMatchObject({ outcome: 'allowed', possibleUntil: '2026-11-22' });
    expect(policy.reactivation(facts({ status: 'CANCELLED', cancelledAt: '2026-08-24' }), new Date('2026-11-23T00:00:00Z'))).toMatchObject({ outcome: 'refused' });
  });
});

describe('the policy document (docs/policy.md)', () => {
  const documentedIds = (path: string) => [...new Set(readFileSync(path, 'utf8').match(/\*\*([A-Z]+-\d+)\*\*/g)?.map((bold) => bold.replaceAll('*', '')))].sort();
  const repositoryDoc = join(__dirname, '../../docs/policy.md');
  const sharedDoc = join(__dirname, '../../../shared/POLICY.md');

  it('defines exactly the rule IDs the module knows', () => {
    expect(documentedIds(repositoryDoc)).toEqual([...RULE_IDS].sort());
  });

  it('every rule it defines has a case in the tables above', () => {
    // The tables run first (vitest runs a file's tests in order): a rule nobody cited is a rule nobody tested.
    const missing = documentedIds(repositoryDoc).filter((rule) => !cited.has(rule as RuleId));
    expect(missing, `rules without a test case: ${missing.join(', ')}`).toEqual([]);
  });

  it('names the same rule IDs as the product owner\'s POLICY.md, when that sits beside the repository', () => {
    // In the workspace and in CI shared/POLICY.md sits beside the clone; a clone on its own has nothing to compare.
    if (!existsSync(sharedDoc)) {
      expect(process.env.CI, 'CI runs with shared/ beside the clone: the policy must be compared there').not.toBe('true');
      return;
    }
    expect(documentedIds(repositoryDoc)).toEqual(documentedIds(sharedDoc));
  });
});
