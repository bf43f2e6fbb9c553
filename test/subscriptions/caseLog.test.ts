import { describe, expect, it } from 'vitest';
import { createAccountActions, type ActionContext } from '../../src/cases/accountActions';
import { CASE_REFERENCE, newCaseReference } from '../../src/cases/caseReference';
import { createSqliteCaseLog } from '../../src/cases/sqliteCaseLog';
import { createSqliteDirectory } from '../../src/accounts/sqliteDirectory';
import { seedDemoAccounts } from '../../src/accounts/demoAccounts';
import { createPolicy, DEFAULT_POLICY_CONFIG, type CallerStanding } from '../../src/policy';
import { maskPersonalData } from '../../src/privacy/mask';
import { openSqliteDatabase } from '../../src/storage/sqlite';
import { planAction } from '../../src/subscriptions/effects';
import { createSqliteSubscriptions } from '../../src/subscriptions/sqliteSubscriptions';
import { facts, NOW } from '../support/facts';

const policy = createPolicy(DEFAULT_POLICY_CONFIG);

function rig() {
  const db = openSqliteDatabase(':memory:');
  seedDemoAccounts(db, NOW);
  const cases = createSqliteCaseLog(db);
  const actions = createAccountActions({ directory: createSqliteDirectory(db), subscriptions: createSqliteSubscriptions(db, () => NOW), cases, policy, now: () => NOW, mask: maskPersonalData });
  const context: ActionContext = { accountId: 'acc-fjordfika', subscriptionId: 'sub-fjordfika-1', idempotencyKey: 'k1', channel: 'test', caller: 'a***@fjordfika.se', verifiedCaller: verifiedAdmin('acc-fjordfika') };
  return { db, cases, actions, context };
}

/** How a caller verified a minute ago as an administrator of the account stands (ID-1, ID-2). */
function verifiedAdmin(accountId: string, changes: Partial<CallerStanding> = {}) {
  const aMinuteAgo = new Date(NOW.getTime() - 60_000);
  return { accountId, standing: { verifiedAt: aMinuteAgo, lastActiveAt: aMinuteAgo, isAdmin: true, ...changes } };
}

describe('case references', () => {
  it('look like CX-7K3F-92 and avoid look-alike characters', () => {
    for (let i = 0; i < 200; i++) {
      const reference = newCaseReference();
      expect(reference).toMatch(CASE_REFERENCE);
      expect(reference.slice(3)).not.toMatch(/[01OILS5]/);
    }
  });
});

describe('account actions', () => {
  it('acts once per idempotency key and returns the same case to a repeat', async () => {
    const { db, actions, context } = rig();
    const first = await actions.perform('cancel-now', context);
    const second = await actions.perform('cancel-now', context);
    expect(first).toMatchObject({ status: 'done', alreadyDone: false });
    expect(second).toMatchObject({ status: 'done', alreadyDone: true });
    if (first.status === 'done' && second.status === 'done') expect(second.supportCase.reference).toBe(first.supportCase.reference);
    expect(db.prepare('SELECT COUNT(*) AS n FROM subscription_changes').get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT status FROM subscriptions WHERE id = 'sub-fjordfika-1'").get()).toEqual({ status: 'CANCELLED' });
  });

  it('a repeat finds its case done even while the directory cannot answer (it needs no facts); a first request fails', async () => {
    const { db, cases, context } = rig();
    const directory = createSqliteDirectory(db);
    let directoryDown = false;
    const flaky = { ...directory, findAccount: async (id: string) => (directoryDown ? Promise.reject(new Error('directory unavailable')) : directory.findAccount(id)) };
    const actions = createAccountActions({ directory: flaky, subscriptions: createSqliteSubscriptions(db, () => NOW), cases, policy, now: () => NOW, mask: maskPersonalData });
    const first = await actions.perform('cancel-now', context);
    directoryDown = true;
    expect(await actions.perform('cancel-now', context)).toMatchObject({ status: 'done', alreadyDone: true, supportCase: { reference: first.status === 'done' ? first.supportCase.reference : '' } });
    await expect(actions.perform('cancel-now', { ...context, subscriptionId: 'sub-fjordfika-2', idempotencyKey: 'k2' })).rejects.toThrow('directory unavailable');
  });

  it('two simultaneous confirmations act once and write one "done" record', async () => {
    const { db, cases, actions, context } = rig();
    const [a, b] = await Promise.all([actions.perform('cancel-now', context), actions.perform('cancel-now', context)]);
    if (a.status !== 'done' || b.status !== 'done') throw new Error('not done');
    expect(a.supportCase.reference).toBe(b.supportCase.reference);
    expect([a.alreadyDone, b.alreadyDone].sort()).toEqual([false, true]);
    expect((await cases.auditFor(a.supportCase.reference)).map((r) => r.action)).toEqual(['cancel-now:requested', 'cancel-now:done']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM subscription_changes').get()).toEqual({ n: 1 });
  });

  it('a case reference that collides with an existing one is drawn again', async () => {
    const { cases } = rig();
    const base = { kind: 'handoff' as const, status: 'open' as const, accountId: 'acc-fjordfika', subscriptionId: null, action: 'none' as const, rules: ['AS-2' as const], channel: 'test', details: {}, createdAt: NOW.toISOString() };
    const audit = { at: NOW.toISOString(), accountId: 'acc-fjordfika', action: 'handoff:caller-asked', rules: ['AS-2' as const], channel: 'test', caller: 'a***@x.se', details: {} };
    await cases.openCase({ ...base, reference: 'CX-AAAA-22', idempotencyKey: 'one' }, audit);
    const { supportCase } = await cases.openCase({ ...base, reference: 'CX-AAAA-22', idempotencyKey: 'two' }, audit);
    expect(supportCase.reference).not.toBe('CX-AAAA-22');
    expect(supportCase.reference).toMatch(CASE_REFERENCE);
  });

  it('a new key on a subscription the policy no longer allows is refused, not done', async () => {
    const { actions, context } = rig();
    await actions.perform('cancel-now', context);
    expect(await actions.perform('cancel-now', { ...context, idempotencyKey: 'k2' })).toMatchObject({ status: 'not-allowed', reason: 'already-ended' });
  });

  it('the assistant never cancels early what needs a person (EARLY-5, AS-2)', async () => {
    const { actions } = rig();
    const outcome = await actions.perform('cancel-now', { accountId: 'acc-nordkust', subscriptionId: 'sub-nordkust-1', idempotencyKey: 'k3', channel: 'test', caller: 'e***@nordkust.se', verifiedCaller: verifiedAdmin('acc-nordkust') });
    expect(outcome).toMatchObject({ status: 'not-allowed', reason: 'needs-human-agent' });
  });

  it('writes the case and an audit record with the rule IDs, channel and masked caller', async () => {
    const { cases, actions, context } = rig();
    const outcome = await actions.perform('cancel-now', context);
    if (outcome.status !== 'done') throw new Error('not done');
    const audit = await cases.auditFor(outcome.supportCase.reference);
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({ action: 'cancel-now:done', accountId: 'acc-fjordfika', channel: 'test', caller: 'a***@fjordfika.se', rules: expect.arrayContaining(['EARLY-1', 'EARLY-3', 'EARLY-6']) });
  });

  it('the audit log is append-only', async () => {
    const { db, actions, context } = rig();
    await actions.perform('turn-off-auto-renew', context);
    expect(() => db.prepare("UPDATE audit_log SET caller = 'someone'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() => db.prepare("INSERT OR REPLACE INTO audit_log (id, at, account_id, action, rules, channel, caller, details) VALUES (1, 'x', 'a', 'x', '[]', 'x', 'x', '{}')").run()).toThrow(/append-only/);
    expect(() => db.prepare("REPLACE INTO audit_log (id, at, account_id, action, rules, channel, caller, details) VALUES (1, 'x', 'a', 'x', '[]', 'x', 'x', '{}')").run()).toThrow(/append-only/);
  });

  it('a hand-off is one case per key, with the packet: who, which subscription, what they wanted, the decision (AS-2)', async () => {
    const { cases, actions } = rig();
    const subscription = { id: 'sub-nordkust-1', facts: facts({ plan: 'ENTERPRISE', billing: 'ANNUAL', assignedLicenses: 40 }) };
    const request = {
      accountId: 'acc-nordkust',
      idempotencyKey: 'h1',
      channel: 'msteams',
      packet: {
        caller: { verified: true, isAdmin: true, userId: 'e***@nordkust.se', organisationName: 'Nordkust Logistik AB', lockedUntil: null },
        subscription,
        wanted: { action: 'cancel-now' as const, choices: { how: 'now' } },
        decision: { outcome: 'cancellable', rules: ['EARLY-5' as const, 'AS-2' as const] },
        language: 'sv',
        transcript: [{ from: 'caller' as const, text: 'säg upp nu', at: NOW.toISOString() }],
      },
    };
    const { supportCase: first, created } = await actions.handOff('too-many-licences', request);
    const { supportCase: again, created: createdAgain } = await actions.handOff('too-many-licences', request);
    expect([created, createdAgain]).toEqual([true, false]);
    expect(again.reference).toBe(first.reference);
    expect(first).toMatchObject({ kind: 'handoff', status: 'open', accountId: 'acc-nordkust', subscriptionId: 'sub-nordkust-1', action: 'cancel-now', rules: ['AS-2', 'EARLY-5'] });
    expect(first.details.packet).toEqual({ reason: 'too-many-licences', ...request.packet, unfinishedCase: null });
    expect(await cases.findCase(first.reference)).toEqual(first);
    expect(await cases.auditFor(first.reference)).toMatchObject([{ action: 'handoff:too-many-licences', caller: 'e***@nordkust.se', details: { verified: true } }]);
  });

  it('a caller who is not verified is handed over too: no account, "not verified" in the packet and the audit (AS-2)', async () => {
    const { cases, actions } = rig();
    const packet = {
      caller: { verified: false, isAdmin: null, userId: null, organisationName: null, lockedUntil: '2026-11-22T10:45:00.000Z' },
      subscription: null,
      wanted: { action: null, choices: {} },
      decision: { outcome: 'locked', rules: ['ID-3' as const, 'AS-2' as const] },
      language: 'en',
      transcript: [],
    };
    const { supportCase: handoff } = await actions.handOff('locked-out', { accountId: null, idempotencyKey: 'h2', channel: 'webchat', packet });
    expect(handoff).toMatchObject({ accountId: null, subscriptionId: null, action: 'none', rules: ['AS-2', 'ID-3'], details: { packet: { reason: 'locked-out', caller: { verified: false } } } });
    expect(await cases.auditFor(handoff.reference)).toMatchObject([{ accountId: null, caller: 'not verified', details: { verified: false } }]);
  });

  it('a key replayed for another action or subscription settles nothing', async () => {
    const { db, actions, context } = rig();
    await actions.perform('turn-off-auto-renew', context);
    expect(await actions.perform('cancel-now', context)).toMatchObject({ status: 'not-allowed', reason: 'idempotency-key-reused' });
    expect(await actions.perform('turn-off-auto-renew', { ...context, subscriptionId: 'sub-other' })).toMatchObject({ status: 'not-allowed', reason: 'idempotency-key-reused' });
    expect(db.prepare("SELECT status, auto_renew AS autoRenew FROM subscriptions WHERE id = 'sub-fjordfika-1'").get()).toEqual({ status: 'ACTIVE', autoRenew: 0 });
  });

  it.each([
    ['not an administrator (ID-2)', verifiedAdmin('acc-fjordfika', { isAdmin: false }), 'not-admin'],
    ['verification lapsed (ID-1)', verifiedAdmin('acc-fjordfika', { lastActiveAt: new Date(NOW.getTime() - 16 * 60_000) }), 'verification-expired'],
    ['never verified (ID-1)', undefined, 'not-verified'],
    ['verified for another account (ID-1)', verifiedAdmin('acc-nordkust'), 'not-verified'],
  ])('the domain refuses a caller who is %s: nothing changes, no case', async (_name, verifiedCaller, reason) => {
    const { db, actions, context } = rig();
    const outcome = await actions.perform('cancel-now', { ...context, verifiedCaller });
    expect(outcome).toMatchObject({ status: 'not-permitted', reason });
    expect(db.prepare("SELECT status FROM subscriptions WHERE id = 'sub-fjordfika-1'").get()).toEqual({ status: 'ACTIVE' });
    expect(db.prepare('SELECT COUNT(*) AS n FROM cases').get()).toEqual({ n: 0 });
  });

  it('feedback is stored with personal data masked (FB-1)', async () => {
    const { cases, actions, context } = rig();
    const outcome = await actions.perform('cancel-now', context);
    if (outcome.status !== 'done') throw new Error('not done');
    await actions.recordFeedback(outcome.supportCase.reference, 'acc-fjordfika', 'price', 'mail me at anna.lindqvist@fjordfika.se', 'sv');
    expect(await cases.feedbackFor(outcome.supportCase.reference)).toMatchObject([{ reason: 'price', comment: 'mail me at a***@fjordfika.se', language: 'sv' }]);
  });
});

describe('action plans', () => {
  it('reactivation starts a new term as long as the plan’s (END-2, RE-1)', () => {
    const cancelled = facts({ status: 'CANCELLED', cancelledAt: '2026-10-23', autoRenew: false, billing: 'MONTHLY' });
    expect(planAction('reactivate', cancelled, NOW, policy)).toMatchObject({ allowed: true, next: { status: 'ACTIVE', cancelledAt: null, termEnd: '2026-12-22' }, dates: { renewsOn: '2026-12-22' } });
  });

  it('turning auto-renew off twice is refused the second time: it is already scheduled (END-1)', () => {
    expect(planAction('turn-off-auto-renew', facts({ autoRenew: false }), NOW, policy)).toMatchObject({ allowed: false, reason: 'already-scheduled' });
  });

  it('fast revoke sets deletion 3 days out (FR-1)', () => {
    expect(planAction('fast-revoke', facts(), NOW, policy)).toMatchObject({ allowed: true, next: { status: 'FAST_REVOKED', dataDeletionAt: '2026-11-25' } });
  });
});
