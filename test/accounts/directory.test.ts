import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO_ACCOUNTS } from '../../src/accounts/demoAccounts';
import { DirectoryUnavailableError, judgeAnswers } from '../../src/accounts/directory';
import { createSqliteDirectory } from '../../src/accounts/sqliteDirectory';
import { seedDemoAccounts } from '../../src/accounts/demoAccounts';
import { createPolicy, DEFAULT_POLICY_CONFIG } from '../../src/policy';
import { openSqliteDatabase } from '../../src/storage/sqlite';
import { NO_FAILED_ATTEMPTS } from '../../src/policy';
import { createAttemptLedger } from '../../src/verification/attempts';
import { createCallerVerification } from '../../src/verification/verifyCaller';
import { memoryStateStore } from '../../src/storage';
import { seededDirectory } from '../support/bot';
import { normalisePhone } from '../../src/verification/normalise';
import { DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';
import * as normalise from '../../src/verification/normalise';
import type { AccountDirectory } from '../../src/accounts/directory';

// The normalisers, counted: every comparison judgeAnswers makes goes through one of them (ID-1, ID-2).
vi.mock('../../src/verification/normalise', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/verification/normalise')>();
  return {
    ...real,
    normaliseText: vi.fn(real.normaliseText),
    normalisePhone: vi.fn(real.normalisePhone),
    normaliseUserId: vi.fn(real.normaliseUserId),
    normaliseAddress: vi.fn(real.normaliseAddress),
  };
});

const policy = createPolicy(DEFAULT_POLICY_CONFIG);
const answers = (name: keyof typeof DEMO_CALLERS, claimsAdmin = true) => ({ ...DEMO_CALLERS[name], claimsAdmin });

describe('SQLite directory with the demo accounts', () => {
  const directory = seededDirectory();

  it.each(Object.keys(DEMO_CALLERS) as Array<keyof typeof DEMO_CALLERS>)('%s verifies with the answers a caller would type', async (name) => {
    const verdict = await directory.verify(answers(name));
    expect(verdict.status).toBe('verified');
    if (verdict.status === 'verified') expect(verdict.isAdmin).toBe(name !== 'sara');
  });

  it('seeds every branch relative to the day of seeding', async () => {
    const subscription = async (name: keyof typeof DEMO_CALLERS) => {
      const verdict = await directory.verify(answers(name));
      if (verdict.status !== 'verified') throw new Error('not verified');
      return verdict.account.subscriptions[0].facts;
    };
    expect(await subscription('anna')).toMatchObject({ plan: 'SMALL_BUSINESS', billing: 'MONTHLY', assignedLicenses: 12, autoRenew: true, customDomains: ['fjordfika.se'] });
    expect(await subscription('erik')).toMatchObject({ plan: 'ENTERPRISE', billing: 'ANNUAL', assignedLicenses: 40, termEnd: '2027-06-22', customDomains: ['nordkust.se', 'nordkust.com'] });
    expect(await subscription('ulf')).toMatchObject({ plan: 'MIDSIZE_BUSINESS', assignedLicenses: 25 });
    expect(await subscription('james')).toMatchObject({ kind: 'TRIAL', hasPaymentMethod: false, termEnd: '2026-12-06' });
    expect(await subscription('maria')).toMatchObject({ kind: 'PRODUCT_KEY', assignedLicenses: 8 });
    expect(await subscription('olof')).toMatchObject({ channel: 'FPP', plan: 'MIDSIZE_BUSINESS', assignedLicenses: 20 });
    expect(await subscription('lena')).toMatchObject({ status: 'CANCELLED', cancelledAt: '2026-10-23' });
    expect(await subscription('peter')).toMatchObject({ status: 'CANCELLED', cancelledAt: '2026-07-25' });
    expect(await subscription('karin')).toMatchObject({ status: 'FAST_REVOKED', cancelledAt: '2026-11-20' });
  });

  it('each seeded subscription lands on the policy branch it is there to show', async () => {
    const facts = async (name: keyof typeof DEMO_CALLERS) => {
      const verdict = await directory.verify(answers(name));
      if (verdict.status !== 'verified') throw new Error('not verified');
      return verdict.account.subscriptions[0].facts;
    };
    expect(policy.cancellation(await facts('anna'), NOW)).toMatchObject({ outcome: 'cancellable', early: { performedBy: 'assistant' } });
    expect(policy.cancellation(await facts('erik'), NOW)).toMatchObject({ early: { performedBy: 'human-agent' } });
    expect(policy.cancellation(await facts('ulf'), NOW)).toMatchObject({ early: { performedBy: 'human-agent', online: { usersToRemove: 1 } } });
    expect(policy.cancellation(await facts('james'), NOW)).toMatchObject({ outcome: 'nothing-to-cancel' });
    expect(policy.cancellation(await facts('maria'), NOW)).toMatchObject({ early: { refund: { kind: 'not-refundable' } } });
    expect(policy.cancellation(await facts('olof'), NOW)).toMatchObject({ outcome: 'ends-by-itself' });
    expect(policy.reactivation(await facts('lena'), NOW)).toMatchObject({ outcome: 'allowed' });
    expect(policy.reactivation(await facts('peter'), NOW)).toMatchObject({ outcome: 'refused', reason: 'data-deleted' });
    expect(policy.reactivation(await facts('karin'), NOW)).toMatchObject({ outcome: 'refused', reason: 'fast-revoked' });
  });

  it('Asa is not Åsa: a name that differs only by Å is rejected', async () => {
    const record = { userId: 'asa@x.se', isAdmin: true, account: { ...DEMO_ACCOUNTS[0], id: 'a', contactName: 'Åsa Berg', phone: '+46701234567', postalAddress: { street: 'Storgatan 12', postalCode: '114 55', town: 'Stockholm' }, subscriptions: [] } };
    const base = { userId: 'asa@x.se', phone: '0701234567', organisationName: 'Fjordfika AB', postalAddress: 'Storgatan 12, 11455 Stockholm', claimsAdmin: true };
    expect(judgeAnswers({ ...base, contactName: 'Åsa Berg' }, record).status).toBe('verified');
    expect(judgeAnswers({ ...base, contactName: 'Asa Berg' }, record).status).toBe('rejected');
  });

  it('a British address verifies with or without the country', async () => {
    expect((await directory.verify({ ...answers('james'), postalAddress: '221 Baker Street, London NW1 6XE' })).status).toBe('verified');
    expect((await directory.verify({ ...answers('james'), postalAddress: '221 Baker St, London NW1 6XE' })).status).toBe('verified');
    expect((await directory.verify({ ...answers('anna'), postalAddress: 'Storg. 12, 11455 Stockholm' })).status).toBe('verified');
    expect((await directory.verify({ ...answers('james'), postalAddress: '221 Baker St, London NW1 6XE, UK' })).status).toBe('verified');
    expect((await directory.verify({ ...answers('anna'), postalAddress: 'Storgatan 12, 114 55 Stockholm, Sverige' })).status).toBe('verified');
    expect((await directory.verify({ ...answers('anna'), postalAddress: '114 55 Stockholm, Storgatan 12' })).status).toBe('verified');
    expect((await directory.verify({ ...answers('anna'), postalAddress: 'Storgatan 12, 114 55 Göteborg' })).status).toBe('rejected');
  });

  it('every seeded phone number is a valid E.164 number', () => {
    for (const account of DEMO_ACCOUNTS) expect(normalisePhone(account.phone), account.id).toBe(account.phone);
  });

  it('seeding happens once: a directory with accounts is left alone', async () => {
    const db = openSqliteDatabase(':memory:');
    expect(seedDemoAccounts(db, NOW)).toBe(true);
    db.prepare("UPDATE accounts SET contact_name = 'Changed Since Seeding' WHERE id = 'acc-fjordfika'").run();
    expect(seedDemoAccounts(db, NOW)).toBe(false);
    const counted = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect(counted('accounts')).toBe(DEMO_ACCOUNTS.length);
    expect(counted('account_users')).toBe(DEMO_ACCOUNTS.flatMap((account) => account.users).length);
    // The second seeding neither duplicated nor rewrote anything: the change made after the first one is still there.
    const directory = createSqliteDirectory(db);
    expect(await directory.findAccount('acc-fjordfika')).toMatchObject({ contactName: 'Changed Since Seeding', organisationName: 'Fjordfika AB' });
  });
});

describe('caller verification timing (ID-3)', () => {
  /**
   * A fake monotonic clock that moves only when something takes time: each directory lookup advances it by what that
   * lookup takes (`directoryMs`), each sleep by what was asked for. So `slept` is what verify computed from the clock,
   * not what the test assumed.
   */
  function timedVerification(directoryMs: (answers: { userId: string }) => number) {
    const real = seededDirectory();
    let clock = 1_000;
    const slept: number[] = [];
    const directory: AccountDirectory = {
      ...real,
      verify: async (given) => {
        const verdict = await real.verify(given);
        clock += directoryMs(given);
        return verdict;
      },
    };
    const verification = createCallerVerification({
      directory,
      attempts: createAttemptLedger(memoryStateStore()),
      policy,
      now: () => NOW,
      minimumDurationMs: 500,
      elapsed: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    });
    /** One verification, with the verdict, how long it took by the clock, and what it slept. */
    const timed = async (conversationId: string, given: ReturnType<typeof answers>) => {
      const before = clock;
      const sleptBefore = slept.length;
      const result = await verification.verify({ channelId: 'test', conversationId }, given);
      return { status: result.status, took: clock - before, slept: slept.slice(sleptBefore) };
    };
    return { timed };
  }

  it('pads every verdict to the same minimum duration, whatever failed: it sleeps the minimum less what the directory took', async () => {
    // An unknown user is answered fastest, a wrong address slowest: without padding the time would tell them apart.
    const cost: Record<string, number> = { 'anna.lindqvist@fjordfika.se': 120, 'nobody@nowhere.se': 15 };
    const { timed } = timedVerification((given) => cost[given.userId] ?? 0);
    expect(await timed('c', answers('anna'))).toEqual({ status: 'verified', took: 500, slept: [380] });
    expect(await timed('d', { ...answers('anna'), userId: 'nobody@nowhere.se' })).toEqual({ status: 'rejected', took: 500, slept: [485] });
    cost['anna.lindqvist@fjordfika.se'] = 499;
    expect(await timed('e', { ...answers('anna'), postalAddress: 'Storgatan 1, 114 55 Stockholm' })).toEqual({ status: 'rejected', took: 500, slept: [1] });
  });

  it('does not sleep when the directory alone took the minimum or longer', async () => {
    let directoryMs = 500;
    const { timed } = timedVerification(() => directoryMs);
    expect(await timed('c', answers('anna'))).toEqual({ status: 'verified', took: 500, slept: [] });
    directoryMs = 730;
    expect(await timed('d', { ...answers('anna'), phone: '070-000 00 00' })).toEqual({ status: 'rejected', took: 730, slept: [] });
  });

  describe('no early exit (ID-1, ID-2)', () => {
    const counted = [normalise.normaliseText, normalise.normalisePhone, normalise.normaliseUserId, normalise.normaliseAddress].map((fn) => vi.mocked(fn));
    const directory = seededDirectory();
    let anna: Parameters<typeof judgeAnswers>[1];

    beforeEach(async () => {
      const account = await directory.findAccount('acc-fjordfika');
      if (!account) throw new Error('no demo account');
      anna = { userId: 'anna.lindqvist@fjordfika.se', isAdmin: true, account };
    });

    /** The verdict, and how many times each normaliser ran to reach it. */
    const work = (given: Parameters<typeof judgeAnswers>[0], entry: Parameters<typeof judgeAnswers>[1]) => {
      for (const fn of counted) fn.mockClear();
      const verdict = judgeAnswers(given, entry);
      return { status: verdict.status, calls: counted.map((fn) => fn.mock.calls.length) };
    };

    it('every answer is compared whichever one is wrong, also for an unknown user ID', () => {
      const right = work(answers('anna'), anna);
      expect(right.status).toBe('verified');
      // Each normaliser takes part: a count of zero would make the comparison below prove nothing.
      for (const calls of right.calls) expect(calls).toBeGreaterThan(0);
      const wrong = {
        'unknown user ID': work({ ...answers('anna'), userId: 'nobody@x.se' }, undefined),
        'user ID of someone else': work({ ...answers('anna'), userId: 'sara.holm@fjordfika.se' }, anna),
        phone: work({ ...answers('anna'), phone: '070-000 00 00' }, anna),
        'contact person': work({ ...answers('anna'), contactName: 'Asa Berg' }, anna),
        'organisation name': work({ ...answers('anna'), organisationName: 'Nordkust Logistik AB' }, anna),
        'postal address': work({ ...answers('anna'), postalAddress: 'Storgatan 99, 114 55 Stockholm' }, anna),
        'all of them': work({ userId: 'x@y.se', phone: '070-000 00 00', contactName: 'A B', organisationName: 'C', postalAddress: 'D 1, 111 11 E', claimsAdmin: true }, undefined),
      };
      for (const [field, result] of Object.entries(wrong)) {
        expect(result, field).toEqual({ status: 'rejected', calls: right.calls });
      }
    });
  });

  it('a success clears the failures counted so far', async () => {
    const store = memoryStateStore();
    const ledger = createAttemptLedger(store);
    const verification = createCallerVerification({ directory: seededDirectory(), attempts: ledger, policy, now: () => NOW, minimumDurationMs: 0 });
    const key = { channelId: 'test', conversationId: 'c' };
    await verification.verify(key, { ...answers('anna'), phone: '070-000 00 00' });
    await verification.verify(key, answers('anna'));
    const { userAttemptKey, accountAttemptKey } = await import('../../src/verification/attempts');
    expect(await ledger.read([userAttemptKey('anna.lindqvist@fjordfika.se'), accountAttemptKey('acc-fjordfika')])).toEqual([NO_FAILED_ATTEMPTS, NO_FAILED_ATTEMPTS]);
  });

  it('a verdict reads the attempts it checks once: the count it writes goes over what it read (and a verified caller clears all)', async () => {
    const store = memoryStateStore();
    const reads: string[][] = [];
    const counting = { ...store, read: (keys: string[]) => (reads.push(keys), store.read(keys)) };
    const verification = createCallerVerification({ directory: seededDirectory(), attempts: createAttemptLedger(counting), policy, now: () => NOW, minimumDurationMs: 0 });
    const { accountAttemptKey, conversationAttemptKey, userAttemptKey } = await import('../../src/verification/attempts');
    expect((await verification.verify({ channelId: 'test', conversationId: 'once' }, answers('anna'))).status).toBe('verified');
    // The conversation's and the user ID's attempts, read together; then the account's, once the directory named it.
    expect(reads).toEqual([[conversationAttemptKey('test', 'once'), userAttemptKey('anna.lindqvist@fjordfika.se')], [accountAttemptKey('acc-fjordfika')]]);
  });

  it('guesses sent in parallel cannot get past the limit (ID-3)', async () => {
    const verification = createCallerVerification({ directory: seededDirectory(), attempts: createAttemptLedger(memoryStateStore()), policy, now: () => NOW, minimumDurationMs: 0 });
    const wrong = { ...answers('anna'), postalAddress: 'Storgatan 99, 114 55 Stockholm' };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => verification.verify({ channelId: 'test', conversationId: `c${i}` }, wrong)));
    expect(results.filter((r) => r.status === 'rejected').length).toBeLessThanOrEqual(3);
    expect(await verification.lockout({ channelId: 'test', conversationId: 'fresh' }, 'anna.lindqvist@fjordfika.se')).toMatchObject({ locked: true });
  });

  it('guesses refused unheard in a parallel burst are no failures: the lock is the first one, 15 minutes, not a day (ID-3)', async () => {
    const ledger = createAttemptLedger(memoryStateStore());
    const verification = createCallerVerification({ directory: seededDirectory(), attempts: ledger, policy, now: () => NOW, minimumDurationMs: 0 });
    const wrong = { ...answers('anna'), postalAddress: 'Storgatan 99, 114 55 Stockholm' };
    await Promise.all(Array.from({ length: 10 }, () => verification.verify({ channelId: 'test', conversationId: 'burst' }, wrong)));
    const { userAttemptKey } = await import('../../src/verification/attempts');
    const [history] = await ledger.read([userAttemptKey('anna.lindqvist@fjordfika.se')]);
    expect(history.failures).toHaveLength(3);
    expect(await verification.lockout({ channelId: 'test', conversationId: 'fresh' }, 'anna.lindqvist@fjordfika.se')).toEqual({ locked: true, until: new Date(NOW.getTime() + 15 * 60_000) });
  });

  it('failures through one user ID lock the whole account, also for its other user IDs (ID-3)', async () => {
    const verification = createCallerVerification({ directory: seededDirectory(), attempts: createAttemptLedger(memoryStateStore()), policy, now: () => NOW, minimumDurationMs: 0 });
    const wrongSara = { ...answers('sara'), phone: '070-000 00 00' };
    for (let i = 0; i < 3; i++) await verification.verify({ channelId: 'test', conversationId: `s${i}` }, wrongSara);
    // Anna, with every answer right, from a fresh conversation: the account is locked for now.
    expect(await verification.verify({ channelId: 'test', conversationId: 'anna' }, answers('anna'))).toMatchObject({ status: 'locked' });
  });

  it('a directory that cannot answer does not use up an attempt', async () => {
    const ledger = createAttemptLedger(memoryStateStore());
    const failing = { ...seededDirectory(), verify: async () => { throw new DirectoryUnavailableError('down'); } };
    const verification = createCallerVerification({ directory: failing, attempts: ledger, policy, now: () => NOW, minimumDurationMs: 0 });
    for (let i = 0; i < 5; i++) await verification.verify({ channelId: 'test', conversationId: 'c' }, answers('anna')).catch(() => undefined);
    const { userAttemptKey } = await import('../../src/verification/attempts');
    expect(await ledger.read([userAttemptKey('anna.lindqvist@fjordfika.se')])).toEqual([NO_FAILED_ATTEMPTS]);
  });
});
