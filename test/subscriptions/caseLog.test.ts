import { describe, expect, it } from 'vitest';
import { createAccountActions } from '../../src/cases/accountActions';
import { CASE_REFERENCE, newCaseReference } from '../../src/cases/caseReference';
import { createSqliteCaseLog } from '../../src/cases/sqliteCaseLog';
import { createSqliteDirectory } from '../../src/accounts/sqliteDirectory';
import { seedDemoAccounts } from '../../src/accounts/demoAccounts';
import { createPolicy, DEFAULT_POLICY_CONFIG } from '../../src/policy';
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
  const context = { accountId: 'acc-fjordfika', subscriptionId: 'sub-fjordfika-1', idempotencyKey: 'k1', channel: 'test', caller: 'a***@fjordfika.se' };
  return { db, cases, actions, context };
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
    const outcome = await actions.perform('cancel-now', { accountId: 'acc-nordkust', subscriptionId: 'sub-nordkust-1', idempotencyKey: 'k3', channel: 'test', caller: 'e***@nordkust.se' });
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
  });

  it('a hand-off is one case per key, with the verified context', async () => {
    const { cases, actions } = rig();
    const context = { accountId: 'acc-nordkust', subscriptionId: 'sub-nordkust-1', idempotencyKey: 'h1', channel: 'msteams', caller: 'e***@nordkust.se', organisationName: 'Nordkust Logistik AB', requestedAction: 'cancel-now' as const, context: { assignedLicenses: 40 } };
    const first = await actions.handOff('too-many-licences', context);
    const again = await actions.handOff('too-many-licences', context);
    expect(again.reference).toBe(first.reference);
    expect(first).toMatchObject({ kind: 'handoff', status: 'open', rules: ['AS-2', 'EARLY-5'], details: { reason: 'too-many-licences', assignedLicenses: 40 } });
    expect(await cases.auditFor(first.reference)).toHaveLength(1);
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
