import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountDirectory } from '../../src/accounts/directory';
import { createSqliteDirectory } from '../../src/accounts/sqliteDirectory';
import { createPostgresDirectory, seedDemoAccountsInPostgres } from '../../src/accounts/postgresDirectory';
import { DEMO_ACCOUNTS, demoDirectory, seedDemoAccounts } from '../../src/accounts/demoAccounts';
import type { Account } from '../../src/accounts/account';
import type { AuditRecord, CaseLog, FeedbackRecord, SupportCase } from '../../src/cases/caseLog';
import { createSqliteCaseLog } from '../../src/cases/sqliteCaseLog';
import { createPostgresCaseLog } from '../../src/cases/postgresCaseLog';
import { createPostgresTranscriptLog } from '../../src/cases/postgresTranscriptLog';
import { CASE_REFERENCE, newCaseReference } from '../../src/cases/caseReference';
import { SubscriptionChangedError, type SubscriptionChangeRequest, type SubscriptionService } from '../../src/subscriptions/subscriptionService';
import { createSqliteSubscriptions } from '../../src/subscriptions/sqliteSubscriptions';
import { createPostgresSubscriptions } from '../../src/subscriptions/postgresSubscriptions';
import type { CalendarDate, SubscriptionFacts } from '../../src/policy';
import type { StateStore } from '../../src/storage';
import { ETagConflictError } from '../../src/storage/stateStore';
import { createSqliteStateStore, openSqliteDatabase } from '../../src/storage/sqlite';
import { createPostgresStateStore } from '../../src/storage/postgres';
import { openPostgresDatabase, QUERY_TIMEOUT_MS, type PostgresDatabase } from '../../src/storage/postgresDatabase';
import { GIVE_BACK_MS } from '../../src/storage/postgresLockConnections';
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgresMigrations';
import { createPostgresConversationLock } from '../../src/storage/postgresConversationLock';
import type { TurnTransaction } from '../../src/storage/conversationLock';
import type { Outbox, OutboxItem } from '../../src/storage/outbox';
import { createSqliteOutbox } from '../../src/storage/sqliteOutbox';
import { createPostgresOutbox } from '../../src/storage/postgresOutbox';
import type { VerificationAnswers } from '../../src/verification/answers';
import { NOW } from '../support/facts';
import { freshPostgresSchema, PG_URL } from '../support/postgres';

/**
 * One contract, every store: the same tests run against the embedded SQLite file and against PostgreSQL, each on a
 * freshly seeded database of its own, so a backend that drifts from the other fails here.
 */
interface Backend {
  directory: AccountDirectory;
  subscriptions: SubscriptionService;
  cases: CaseLog;
  state: StateStore;
  outbox: Outbox;
  /** A second handle on the same outbox, as another instance would have (SQLite: another connection to the file). */
  secondOutbox(): Promise<Outbox>;
  /** Seeds the demo accounts again, the way the backend does at start-up. */
  seed(): Promise<boolean>;
  /** Rows in a table, read through the raw database. */
  count(table: string): Promise<number>;
  /** A statement run through the raw database, bypassing the stores. */
  execute(sql: string): Promise<void>;
  close(): Promise<void>;
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'bot-conformance-'));
/** PostgreSQL schemas made by this file; each is dropped when its backend closes, any left over at the end. */
const schemas = new Map<string, () => Promise<void>>();

afterAll(async () => {
  rmSync(sqliteDir, { recursive: true, force: true });
  await Promise.all([...schemas.values()].map((drop) => drop()));
});

/** A fresh schema for this file, remembered so that it is dropped even when a test fails half-way. */
function newSchema() {
  const fresh = freshPostgresSchema();
  const drop = async () => {
    schemas.delete(fresh.schema);
    await fresh.drop();
  };
  schemas.set(fresh.schema, drop);
  return { schema: fresh.schema, drop };
}

async function sqliteBackend(): Promise<Backend> {
  const db = openSqliteDatabase(join(sqliteDir, `${randomUUID()}.sqlite`));
  expect(seedDemoAccounts(db, NOW)).toBe(true);
  return {
    directory: createSqliteDirectory(db),
    subscriptions: createSqliteSubscriptions(db, () => NOW),
    cases: createSqliteCaseLog(db),
    state: createSqliteStateStore(db, false),
    outbox: createSqliteOutbox(db),
    secondOutbox: async () => {
      const other = openSqliteDatabase(db.name);
      closers.push(async () => {
        other.close();
      });
      return createSqliteOutbox(other);
    },
    seed: async () => seedDemoAccounts(db, NOW),
    count: async (table) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n,
    execute: async (sql) => {
      db.prepare(sql).run();
    },
    close: async () => {
      if (db.open) db.close();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const { schema, drop } = newSchema();
  const db = await openPostgresDatabase(PG_URL, { schema });
  try {
    expect(await seedDemoAccountsInPostgres(db, NOW)).toBe(true);
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    directory: createPostgresDirectory(db),
    subscriptions: createPostgresSubscriptions(db, () => NOW),
    cases: createPostgresCaseLog(db),
    state: createPostgresStateStore(db, false),
    outbox: createPostgresOutbox(db),
    secondOutbox: async () => {
      const other = await openPostgresDatabase(PG_URL, { schema });
      closers.push(() => other.close());
      return createPostgresOutbox(other);
    },
    seed: () => seedDemoAccountsInPostgres(db, NOW),
    count: async (table) => Number((await db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n),
    execute: async (sql) => {
      await db.query(sql);
    },
    close: async () => {
      try {
        await db.close();
      } finally {
        await drop();
      }
    },
  };
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
];

/** What Anna at Fjordfika answers to the verification questions (ID-1, ID-2). */
const ANNA: VerificationAnswers = {
  userId: 'anna.lindqvist@fjordfika.se',
  phone: '070-123 45 67',
  contactName: 'Anna Lindqvist',
  organisationName: 'Fjordfika AB',
  postalAddress: 'Storgatan 12, 114 55 Stockholm',
  claimsAdmin: true,
};

/** A demo account exactly as seeded on NOW, with its one subscription. */
function seededAccount(accountId: string): Account {
  const demo = demoDirectory(NOW).find((entry) => entry.account.id === accountId);
  if (!demo) throw new Error(`no demo account ${accountId}`);
  return { ...demo.account, subscriptions: [demo.subscription] };
}

/** Extra handles a test opened (a second instance's outbox), closed after it. */
const closers: Array<() => Promise<void>> = [];

const FJORDFIKA = { accountId: 'acc-fjordfika', subscriptionId: 'sub-fjordfika-1' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Notes the text of every query `client` is given from now on. */
function noteQueries(client: { query: (...args: never[]) => unknown }, texts: string[]): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const config = args[0] as string | { text: string };
    texts.push(typeof config === 'string' ? config : config.text);
    return query(...args);
  }) as never;
}

/** The statements sent on `db`'s turn-lock connections, and how many writes their sockets took (a corked burst is one). */
function watchLockConnections(db: PostgresDatabase): { statements: string[]; socketWrites: () => number } {
  const statements: string[] = [];
  const watched = new WeakSet<object>();
  let writes = 0;
  db.lockPool.on('acquire', (client) => {
    if (watched.has(client)) return; // checked out again: watched already
    watched.add(client);
    noteQueries(client, statements);
    const socket = (client as unknown as { connection: { stream: Record<'_write' | '_writev', (...args: unknown[]) => unknown> } }).connection.stream;
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method].bind(socket);
      socket[method] = (...args: unknown[]) => (writes++, original(...args));
    }
  });
  return { statements, socketWrites: () => writes };
}

describe.each(BACKENDS)('%s stores', (_kind, open) => {
  let backend: Backend;

  beforeEach(async () => {
    backend = await open();
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    await backend?.close();
  });

  describe('AccountDirectory', () => {
    it('verifies Anna with the answers on record: an administrator, with her account, subscription and facts', async () => {
      const verdict = await backend.directory.verify(ANNA);
      expect(verdict.status).toBe('verified');
      if (verdict.status !== 'verified') throw new Error('not verified');
      expect(verdict.isAdmin).toBe(true);
      expect(verdict.account).toEqual(seededAccount('acc-fjordfika'));
      expect(verdict.account).toMatchObject({
        id: 'acc-fjordfika',
        organisationName: 'Fjordfika AB',
        contactName: 'Anna Lindqvist',
        phone: '+46701234567',
        postalAddress: { street: 'Storgatan 12', postalCode: '114 55', town: 'Stockholm' },
      });
      expect(verdict.account.subscriptions).toHaveLength(1);
      const [subscription] = verdict.account.subscriptions;
      expect(subscription.id).toBe('sub-fjordfika-1');
      expect(subscription.facts).toEqual({
        plan: 'SMALL_BUSINESS',
        kind: 'PAID',
        channel: 'DIRECT',
        billing: 'MONTHLY',
        assignedLicenses: 12,
        termEnd: '2026-12-12',
        autoRenew: true,
        hasPaymentMethod: true,
        customDomains: ['fjordfika.se'],
        status: 'ACTIVE',
        cancelledAt: null,
        dataDeletionAt: null,
      });
      // Real booleans and a real array, not 1/0 or a JSON string.
      expect(typeof subscription.facts.autoRenew).toBe('boolean');
      expect(typeof subscription.facts.hasPaymentMethod).toBe('boolean');
      expect(Array.isArray(subscription.facts.customDomains)).toBe(true);
    });

    it('a user who is not an administrator of the account is verified, but not as an administrator (ID-2)', async () => {
      const verdict = await backend.directory.verify({ ...ANNA, userId: 'sara.holm@fjordfika.se' });
      expect(verdict).toMatchObject({ status: 'verified', isAdmin: false, account: { id: 'acc-fjordfika' } });
    });

    it.each([
      ['phone', { phone: '070-000 00 00' }],
      ['contact person', { contactName: 'Sara Holm' }],
      ['organisation', { organisationName: 'Nordkust Logistik AB' }],
      ['postal address', { postalAddress: 'Storgatan 99, 114 55 Stockholm' }],
    ])('one wrong answer (%s) is a rejection that names the account, to count the failure against it', async (_field, wrong) => {
      expect(await backend.directory.verify({ ...ANNA, ...wrong })).toEqual({ status: 'rejected', accountId: 'acc-fjordfika' });
    });

    it('an unknown user ID is a rejection naming no account', async () => {
      const verdict = await backend.directory.verify({ ...ANNA, userId: 'nobody@fjordfika.se' });
      expect(verdict).toEqual({ status: 'rejected' });
      expect('accountId' in verdict).toBe(false);
    });

    it('an unknown account is not found', async () => {
      expect(await backend.directory.findAccount('acc-nope')).toBeUndefined();
    });

    it('every demo account reads back exactly as seeded, Swedish letters (å, ä, ö) included', async () => {
      for (const { id } of DEMO_ACCOUNTS) expect(await backend.directory.findAccount(id), id).toEqual(seededAccount(id));
      const solbacken = await backend.directory.findAccount('acc-solbacken');
      expect(solbacken?.organisationName).toBe('Solbacken Förskola');
      expect(solbacken?.postalAddress).toMatchObject({ street: 'Björkvägen 7', postalCode: '183 30', town: 'Täby' });
      expect((await backend.directory.findAccount('acc-nordkust'))?.postalAddress.town).toBe('Göteborg');
      expect((await backend.directory.findAccount('acc-tallmo'))?.organisationName).toBe('Tallmo Trä AB');
      expect((await backend.directory.findAccount('acc-granskog'))?.postalAddress.town).toBe('Umeå');
      // And what the caller types with those letters verifies against it.
      const erik = await backend.directory.verify({
        userId: 'erik.berg@nordkust.se',
        phone: '031-555 01 23',
        contactName: 'Erik Berg',
        organisationName: 'Nordkust Logistik AB',
        postalAddress: 'Hamngatan 3, 411 06 Göteborg',
        claimsAdmin: true,
      });
      expect(erik).toMatchObject({ status: 'verified', isAdmin: true, account: { id: 'acc-nordkust', postalAddress: { town: 'Göteborg' } } });
      const maria = await backend.directory.verify({
        userId: 'maria.nilsson@solbacken.se',
        phone: '08-765 43 21',
        contactName: 'Maria Nilsson',
        organisationName: 'Solbacken Förskola',
        postalAddress: 'Björkvägen 7, 183 30 Täby',
        claimsAdmin: true,
      });
      expect(maria).toMatchObject({ status: 'verified', account: { id: 'acc-solbacken' } });
      expect((await backend.directory.verify({ ...ANNA, postalAddress: 'Storgatan 12, 114 55 Göteborg' })).status).toBe('rejected');
    });

    it('seeds once: seeding a seeded directory changes nothing', async () => {
      const counts = async () => ({
        accounts: await backend.count('accounts'),
        users: await backend.count('account_users'),
        subscriptions: await backend.count('subscriptions'),
      });
      const expected = { accounts: DEMO_ACCOUNTS.length, users: DEMO_ACCOUNTS.flatMap((account) => account.users).length, subscriptions: DEMO_ACCOUNTS.length };
      expect(expected).toEqual({ accounts: 9, users: 10, subscriptions: 9 });
      expect(await counts()).toEqual(expected);
      expect(await backend.seed()).toBe(false);
      expect(await counts()).toEqual(expected);
    });
  });

  describe('SubscriptionService', () => {
    const current = async (): Promise<SubscriptionFacts> => {
      const account = await backend.directory.findAccount(FJORDFIKA.accountId);
      if (!account) throw new Error('no Fjordfika account');
      return account.subscriptions[0].facts;
    };
    const request = (idempotencyKey: string, expected: SubscriptionFacts, next: SubscriptionFacts): SubscriptionChangeRequest => ({ ...FJORDFIKA, idempotencyKey, expected, next });
    const cancelled = (facts: SubscriptionFacts): SubscriptionFacts => ({ ...facts, status: 'CANCELLED', autoRenew: false, cancelledAt: '2026-11-22' as CalendarDate, dataDeletionAt: '2027-02-20' as CalendarDate });

    it('applies a change made on the facts as they are, and the directory then shows the new facts', async () => {
      const before = await current();
      const next = cancelled(before);
      const result = await backend.subscriptions.cancelNow(request('cancel-1', before, next));
      expect(result).toEqual({ facts: next, alreadyApplied: false });
      expect(await current()).toEqual({ ...before, status: 'CANCELLED', autoRenew: false, cancelledAt: '2026-11-22', dataDeletionAt: '2027-02-20' });
      expect(await backend.count('subscription_changes')).toBe(1);
    });

    it('the same idempotency key again is the change already made: nothing changes a second time', async () => {
      const before = await current();
      const next = { ...before, autoRenew: false };
      await backend.subscriptions.turnOffAutoRenew(request('renew-1', before, next));
      const after = await current();
      expect(after.autoRenew).toBe(false);
      // A repeat (the caller's "yes" delivered twice) carries the same request as the first.
      const again = await backend.subscriptions.turnOffAutoRenew(request('renew-1', before, next));
      expect(again).toEqual({ facts: next, alreadyApplied: true });
      expect(await current()).toEqual(after);
      expect(await backend.count('subscription_changes')).toBe(1);
    });

    it('a change planned on facts that have changed since is refused, and nothing is changed', async () => {
      const before = await current();
      await backend.subscriptions.turnOffAutoRenew(request('renew-1', before, { ...before, autoRenew: false }));
      const afterFirst = await current();
      await expect(backend.subscriptions.cancelNow(request('cancel-1', before, cancelled(before)))).rejects.toBeInstanceOf(SubscriptionChangedError);
      expect(await current()).toEqual(afterFirst);
      expect(await backend.count('subscription_changes')).toBe(1);
      // The same change planned on the current facts goes through.
      const result = await backend.subscriptions.cancelNow(request('cancel-2', afterFirst, cancelled(afterFirst)));
      expect(result.alreadyApplied).toBe(false);
      expect((await current()).status).toBe('CANCELLED');
    });

    it('a subscription of another account is refused as changed, never touched', async () => {
      const before = await current();
      await expect(backend.subscriptions.cancelNow({ ...request('cancel-1', before, cancelled(before)), accountId: 'acc-nordkust' })).rejects.toBeInstanceOf(SubscriptionChangedError);
      expect(await current()).toEqual(before);
    });

    it('ten simultaneous calls with one key change the subscription once', async () => {
      const before = await current();
      const next = cancelled(before);
      const results = await Promise.all(Array.from({ length: 10 }, () => backend.subscriptions.cancelNow(request('cancel-1', before, next))));
      expect(results.filter((r) => !r.alreadyApplied)).toHaveLength(1);
      expect(results.filter((r) => r.alreadyApplied)).toHaveLength(9);
      for (const result of results) expect(result.facts).toEqual(next);
      expect(await backend.count('subscription_changes')).toBe(1);
      expect(await current()).toEqual(next);
    });

    it('a key reused for another action is refused, not taken as done and not applied', async () => {
      const before = await current();
      await backend.subscriptions.turnOffAutoRenew(request('key-1', before, { ...before, autoRenew: false }));
      const afterFirst = await current();
      // Planned on the current facts, so only the reused key can be why it is refused.
      const reused = backend.subscriptions.cancelNow(request('key-1', afterFirst, cancelled(afterFirst)));
      await expect(reused).rejects.toThrow();
      await expect(reused).rejects.not.toBeInstanceOf(SubscriptionChangedError);
      await expect(reused).rejects.toMatchObject({ cause: { message: expect.stringMatching(/idempotency key reused/) } });
      expect(await current()).toEqual(afterFirst);
      expect(await backend.count('subscription_changes')).toBe(1);
    });
  });

  describe('CaseLog', () => {
    const actionCase = (changes: Partial<SupportCase> = {}): SupportCase => ({
      reference: newCaseReference(),
      idempotencyKey: 'case-key-1',
      kind: 'action',
      status: 'pending',
      accountId: 'acc-fjordfika',
      subscriptionId: 'sub-fjordfika-1',
      action: 'cancel-now',
      rules: ['EARLY-1', 'EARLY-3', 'EARLY-6'],
      channel: 'msteams',
      details: { endsOn: '2026-11-22', dates: { dataDeletedOn: '2027-02-20' }, licences: 12, refund: null, online: true, domains: ['fjordfika.se'], note: 'Förskola åäö' },
      createdAt: NOW.toISOString(),
      ...changes,
    });
    const audit = (action: string, changes: Partial<AuditRecord> = {}): Omit<AuditRecord, 'caseReference'> => ({
      at: NOW.toISOString(),
      accountId: 'acc-fjordfika',
      action,
      rules: ['EARLY-1', 'EARLY-3'],
      channel: 'msteams',
      caller: 'a***@fjordfika.se',
      details: { step: action },
      ...changes,
    });

    it('opens a case once per idempotency key: the repeat gets the case that stands', async () => {
      const first = actionCase();
      const opened = await backend.cases.openCase(first, audit('cancel-now:requested'));
      expect(opened).toEqual({ supportCase: first, created: true });
      const repeat = await backend.cases.openCase({ ...first, reference: newCaseReference(), details: { other: true } }, audit('cancel-now:requested'));
      expect(repeat.created).toBe(false);
      expect(repeat.supportCase).toEqual(first);
      expect(await backend.count('cases')).toBe(1);
      expect(await backend.cases.auditFor(first.reference)).toHaveLength(1);
    });

    it.each([
      ['each with a reference of its own (as concurrent turns draw them)', () => Array.from({ length: 10 }, () => actionCase())],
      [
        'all the same case',
        () => {
          const same = actionCase();
          return Array.from({ length: 10 }, () => same);
        },
      ],
    ])('ten simultaneous openings with one key, %s, make one case and one audit record', async (_how, cases) => {
      const attempts = cases();
      const results = await Promise.all(attempts.map((supportCase) => backend.cases.openCase(supportCase, audit('cancel-now:requested'))));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.find((r) => r.created)!.supportCase;
      for (const result of results) expect(result.supportCase).toEqual(winner);
      expect(await backend.count('cases')).toBe(1);
      expect(await backend.count('audit_log')).toBe(1);
      expect(await backend.cases.auditFor(winner.reference)).toHaveLength(1);
    });

    it('settles a case once: details merged, one audit record; a second settlement writes nothing', async () => {
      const supportCase = actionCase();
      await backend.cases.openCase(supportCase, audit('cancel-now:requested'));
      const settled = await backend.cases.settleCase(supportCase.reference, 'done', { endsOn: '2026-11-23', confirmedAt: NOW.toISOString() }, audit('cancel-now:done'));
      expect(settled.settled).toBe(true);
      const expected = { ...supportCase, status: 'done', details: { ...supportCase.details, endsOn: '2026-11-23', confirmedAt: NOW.toISOString() } };
      expect(settled.supportCase).toEqual(expected);
      expect(await backend.cases.findCase(supportCase.reference)).toEqual(expected);
      expect((await backend.cases.auditFor(supportCase.reference)).map((r) => r.action)).toEqual(['cancel-now:requested', 'cancel-now:done']);

      const again = await backend.cases.settleCase(supportCase.reference, 'not-done', { reason: 'late' }, audit('cancel-now:not-done'));
      expect(again).toEqual({ supportCase: expected, settled: false });
      expect(await backend.cases.findCase(supportCase.reference)).toEqual(expected);
      expect(await backend.cases.auditFor(supportCase.reference)).toHaveLength(2);
    });

    it('five simultaneous settlements settle once', async () => {
      const supportCase = actionCase();
      await backend.cases.openCase(supportCase, audit('cancel-now:requested'));
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => backend.cases.settleCase(supportCase.reference, 'done', { by: i }, audit('cancel-now:done'))));
      expect(results.filter((r) => r.settled)).toHaveLength(1);
      expect(await backend.cases.auditFor(supportCase.reference)).toHaveLength(2);
    });

    it('settling a case that does not exist fails', async () => {
      await expect(backend.cases.settleCase('CX-ZZZZ-99', 'done', {}, audit('cancel-now:done'))).rejects.toThrow(/no case CX-ZZZZ-99/);
      expect(await backend.count('audit_log')).toBe(0);
    });

    it('reads a case back by reference and by key, rules and details as they were written', async () => {
      const supportCase = actionCase({ rules: ['FR-1', 'FR-2', 'AS-1'], action: 'fast-revoke', details: { a: { b: [1, 2, { c: 'ö' }] }, empty: {}, list: [], flag: false, n: 0.5 } });
      await backend.cases.openCase(supportCase, audit('fast-revoke:requested'));
      const byReference = await backend.cases.findCase(supportCase.reference);
      expect(byReference).toEqual(supportCase);
      expect(byReference?.rules).toEqual(['FR-1', 'FR-2', 'AS-1']);
      expect(byReference?.details).toEqual({ a: { b: [1, 2, { c: 'ö' }] }, empty: {}, list: [], flag: false, n: 0.5 });
      expect(await backend.cases.findByIdempotencyKey(supportCase.idempotencyKey)).toEqual(supportCase);
      expect(await backend.cases.findCase('CX-ZZZZ-99')).toBeUndefined();
      expect(await backend.cases.findByIdempotencyKey('no-such-key')).toBeUndefined();
      const [record] = await backend.cases.auditFor(supportCase.reference);
      expect(record).toEqual({ ...audit('fast-revoke:requested'), caseReference: supportCase.reference });
    });

    it('a hand-off of a caller who is not verified names no account (AS-2)', async () => {
      const handoff = actionCase({ kind: 'handoff', status: 'open', accountId: null, subscriptionId: null, action: 'none', rules: ['AS-2', 'ID-3'], idempotencyKey: 'handoff-1', details: { reason: 'locked-out' } });
      const opened = await backend.cases.openCase(handoff, audit('handoff:locked-out', { accountId: null, rules: ['AS-2'] }));
      expect(opened).toEqual({ supportCase: handoff, created: true });
      expect(opened.supportCase.reference).toMatch(CASE_REFERENCE);
      expect(await backend.cases.findCase(handoff.reference)).toEqual(handoff);
      expect(await backend.cases.auditFor(handoff.reference)).toEqual([{ ...audit('handoff:locked-out', { accountId: null, rules: ['AS-2'] }), caseReference: handoff.reference }]);
    });

    it('audit records without a case, and records for a case, read back in the order written', async () => {
      const supportCase = actionCase();
      await backend.cases.openCase(supportCase, audit('cancel-now:requested'));
      await backend.cases.audit({ ...audit('verification:failed', { accountId: null }), caseReference: null });
      await backend.cases.audit({ ...audit('note-1'), caseReference: supportCase.reference });
      await backend.cases.audit({ ...audit('note-2'), caseReference: supportCase.reference });
      expect((await backend.cases.auditFor(supportCase.reference)).map((r) => r.action)).toEqual(['cancel-now:requested', 'note-1', 'note-2']);
      expect(await backend.count('audit_log')).toBe(4);
    });

    it('records feedback and reads it back in the order given', async () => {
      const supportCase = actionCase();
      await backend.cases.openCase(supportCase, audit('cancel-now:requested'));
      const feedback: FeedbackRecord[] = [
        { caseReference: supportCase.reference, accountId: 'acc-fjordfika', reason: 'too-expensive', comment: 'För dyrt för oss just nu', language: 'sv', createdAt: NOW.toISOString() },
        { caseReference: supportCase.reference, accountId: 'acc-fjordfika', reason: 'missing-features', comment: null, language: 'en', createdAt: new Date(NOW.getTime() + 1000).toISOString() },
        { caseReference: supportCase.reference, accountId: 'acc-fjordfika', reason: 'other', comment: 'a', language: 'sv', createdAt: new Date(NOW.getTime() + 2000).toISOString() },
      ];
      for (const record of feedback) await backend.cases.recordFeedback(record);
      await backend.cases.recordFeedback({ ...feedback[0], caseReference: 'CX-ZZZZ-99' });
      expect(await backend.cases.feedbackFor(supportCase.reference)).toEqual(feedback);
      expect(await backend.cases.feedbackFor('CX-2222-22')).toEqual([]);
    });

    it('the audit log is append-only, also through the raw database', async () => {
      const supportCase = actionCase();
      await backend.cases.openCase(supportCase, audit('cancel-now:requested'));
      const before = await backend.cases.auditFor(supportCase.reference);
      await expect(backend.execute("UPDATE audit_log SET caller = 'someone else'")).rejects.toThrow(/append-only/);
      await expect(backend.execute('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      expect(await backend.cases.auditFor(supportCase.reference)).toEqual(before);
      expect(await backend.count('audit_log')).toBe(1);
    });
  });

  describe('StateStore.deleteIdle', () => {
    const prefix = `conformance/${randomUUID()}`;
    const keys = {
      conversationA: `${prefix}/conversation/a`,
      conversationB: `${prefix}/conversation/b`,
      user: `${prefix}/user/a`,
      wildcard: `${prefix}/user_b`,
    };
    const all = Object.values(keys);

    beforeEach(async () => {
      await backend.state.write(Object.fromEntries(all.map((key) => [key, { text: 'hej då' }])));
    });

    it('a cutoff in the past deletes nothing', async () => {
      expect(await backend.state.deleteIdle('/conversation/', new Date(Date.now() - 60_000))).toBe(0);
      expect(Object.keys(await backend.state.read(all)).sort()).toEqual([...all].sort());
    });

    it('a cutoff in the future deletes the matching keys only', async () => {
      expect(await backend.state.deleteIdle('/conversation/', new Date(Date.now() + 60_000))).toBe(2);
      expect(Object.keys(await backend.state.read(all)).sort()).toEqual([keys.user, keys.wildcard].sort());
      expect(await backend.state.deleteIdle('/conversation/', new Date(Date.now() + 60_000))).toBe(0);
    });

    it('the text is matched literally, not as a pattern', async () => {
      // `_` and `%` are wildcards to LIKE: here they are only themselves.
      expect(await backend.state.deleteIdle('%', new Date(Date.now() + 60_000))).toBe(0);
      expect(await backend.state.deleteIdle('_', new Date(Date.now() + 60_000))).toBe(1);
      expect(Object.keys(await backend.state.read(all)).sort()).toEqual([keys.conversationA, keys.conversationB, keys.user].sort());
    });

    it('a key written again after the cutoff is kept', async () => {
      const cutoff = new Date(Date.now() + 1_000);
      await sleep(1_200);
      await backend.state.write({ [keys.conversationB]: { text: 'still here' } });
      expect(await backend.state.deleteIdle('/conversation/', cutoff)).toBe(1);
      expect((await backend.state.read([keys.conversationB]))[keys.conversationB]).toMatchObject({ text: 'still here' });
      expect(await backend.state.read([keys.conversationA])).toEqual({});
    });
  });

  describe('Outbox', () => {
    const item = (text: string): OutboxItem => ({
      kind: 'replies',
      conversation: { conversation: { id: 'c1' }, serviceUrl: 'http://127.0.0.1:1', channelId: 'webchat' },
      activities: [{ type: 'message', text }, { type: 'message', text: `${text} (2)`, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { å: 'ö' } }] }],
      otherwise: [],
      caseReference: null,
    });
    const at = (ms: number) => new Date(Date.now() + ms);

    it('an entry added again under its claim (a staged write that may have been kept) is one entry, not two', async () => {
      const added = await backend.outbox.add(item('kvitto'), at(60_000));
      expect(await backend.outbox.add(item('kvitto'), at(60_000), added)).toEqual(added);
      expect(await backend.outbox.counts()).toEqual({ pending: 1, failed: 0 });
      const entry = await backend.outbox.claimNext(at(61_000), at(90_000));
      expect(entry?.claim.id).toBe(added.id);
      expect(await backend.outbox.claimNext(at(61_000), at(90_000))).toBeUndefined();
    });

    it('an entry added again under its claim before it was committed, then delivered, is gone: nothing left to send twice', async () => {
      const added = await backend.outbox.add(item('kvitto'), at(60_000));
      await backend.outbox.add(item('kvitto'), at(60_000), added);
      expect(await backend.outbox.done(added)).toBe(true);
      expect(await backend.outbox.counts()).toEqual({ pending: 0, failed: 0 });
      expect(await backend.outbox.claimNext(at(61_000), at(90_000))).toBeUndefined();
    });

    it('keeps an entry until it is due, hands it out with what it holds, and forgets it once delivered', async () => {
      const added = await backend.outbox.add(item('kvitto'), at(60_000));
      expect(await backend.outbox.claimNext(at(0), at(30_000))).toBeUndefined();
      const entry = await backend.outbox.claimNext(at(61_000), at(90_000));
      expect(entry).toMatchObject({ kind: 'replies', attempts: 1, caseReference: null, conversation: item('kvitto').conversation, activities: item('kvitto').activities });
      expect(entry?.claim.id).toBe(added.id);
      expect(entry?.createdAt).toBeInstanceOf(Date);
      // Leased: not handed out again before the lease ends.
      expect(await backend.outbox.claimNext(at(61_000), at(90_000))).toBeUndefined();
      expect(await backend.outbox.counts()).toEqual({ pending: 1, failed: 0 });
      // The turn that added it no longer holds it: it cannot delete what the worker is delivering.
      expect(await backend.outbox.done(added)).toBe(false);
      expect(await backend.outbox.done(entry!.claim)).toBe(true);
      expect(await backend.outbox.counts()).toEqual({ pending: 0, failed: 0 });
    });

    it('a later try carries only what is left, and counts its attempts; a given-up entry is kept as failed, never handed out, and purged in time', async () => {
      await backend.outbox.add({ ...item('kvitto'), kind: 'after-pending-case', caseReference: 'CX-ABCD-23', otherwise: [{ type: 'message', text: 'inte gjort' }] }, at(0));
      const first = await backend.outbox.claimNext(at(1_000), at(2_000));
      expect(first).toMatchObject({ kind: 'after-pending-case', caseReference: 'CX-ABCD-23', otherwise: [{ type: 'message', text: 'inte gjort' }] });
      expect(await backend.outbox.retryLater(first!.claim, { kind: 'replies', activities: [{ type: 'message', text: 'kvitto (2)' }] }, at(0), 'HTTP 503')).toBe(true);
      const second = await backend.outbox.claimNext(at(1_000), at(2_000));
      expect(second).toMatchObject({ kind: 'replies', attempts: 2, activities: [{ type: 'message', text: 'kvitto (2)' }] });
      expect(second?.claim.id).toBe(first?.claim.id);
      // The first claim is stale now: it can neither re-plan nor give up the entry.
      expect(await backend.outbox.retryLater(first!.claim, { kind: 'replies', activities: [] }, at(0), 'late')).toBe(false);
      expect(await backend.outbox.giveUp(first!.claim, 'late')).toBe(false);
      expect(await backend.outbox.giveUp(second!.claim, 'HTTP 500')).toBe(true);
      expect(await backend.outbox.claimNext(at(100_000), at(200_000))).toBeUndefined();
      expect(await backend.outbox.counts()).toEqual({ pending: 0, failed: 1 });
      expect(await backend.outbox.purgeFailed(at(-60_000))).toBe(0);
      expect(await backend.outbox.purgeFailed(at(60_000))).toBe(1);
      expect(await backend.outbox.counts()).toEqual({ pending: 0, failed: 0 });
    });

    it('hands out the oldest due entry first', async () => {
      const older = await backend.outbox.add(item('först'), at(-2_000));
      await backend.outbox.add(item('sedan'), at(-1_000));
      expect((await backend.outbox.claimNext(at(0), at(60_000)))?.claim.id).toBe(older.id);
    });

    it('two instances claiming at the same moment never get the same entry', async () => {
      const other = await backend.secondOutbox();
      const added = await Promise.all(Array.from({ length: 30 }, (_unused, n) => backend.outbox.add(item(`kvitto ${n}`), at(0))));
      const claims = await Promise.all(Array.from({ length: 40 }, (_unused, n) => (n % 2 === 0 ? backend.outbox : other).claimNext(at(1_000), at(60_000))));
      const claimed = claims.filter((entry) => entry !== undefined).map((entry) => entry.claim.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(new Set(claimed)).toEqual(new Set(added.map((claim) => claim.id)));
    });
  });
});

describe('PostgreSQL only', () => {
  const opened: PostgresDatabase[] = [];
  const openDb = async (schema: string) => {
    const db = await openPostgresDatabase(PG_URL, { schema });
    opened.push(db);
    return db;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });

  it('two instances starting together on a fresh schema both migrate it, each step once', async () => {
    const { schema, drop } = newSchema();
    try {
      const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
      const versions = async (db: PostgresDatabase) => (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((row) => row.version);
      const all = POSTGRES_MIGRATIONS.map((_, i) => i + 1);
      expect(await versions(one)).toEqual(all);
      expect(await versions(two)).toEqual(all);
      // A third start is a no-op.
      expect(await versions(await openDb(schema))).toEqual(all);
      // Both can work on what was made, and seed once between them.
      const seeded = await Promise.all([seedDemoAccountsInPostgres(one, NOW), seedDemoAccountsInPostgres(two, NOW)]);
      expect(seeded.sort()).toEqual([false, true]);
      expect(Number((await two.query<{ n: string }>('SELECT COUNT(*) AS n FROM accounts')).rows[0].n)).toBe(DEMO_ACCOUNTS.length);
    } finally {
      await Promise.all(opened.splice(0).map((db) => db.close()));
      await drop();
    }
  });

  it('keeps state as JSON text (not JSONB), sealed, and still reads what an earlier version stored in the clear as JSONB', async () => {
    const { schema, drop } = newSchema();
    try {
      // A database as the version before the JSON step left it (and the state key's table after it), a conversation in JSONB.
      const before = await openPostgresDatabase(PG_URL, { schema });
      opened.push(before);
      const jsonStep = POSTGRES_MIGRATIONS.findIndex((sql) => sql.includes('TYPE JSON USING')) + 1;
      await before.query('DELETE FROM schema_migrations WHERE version >= $1', [jsonStep]);
      await before.query('DROP TABLE state_key');
      await before.query('ALTER TABLE bot_state ALTER COLUMN doc TYPE JSONB USING doc::jsonb');
      await before.query(`INSERT INTO bot_state (key, doc, etag) VALUES ('webchat/conversations/c1/', '{"dialogState":{"dialogStack":[]},"handledActivityIds":"abcdef"}', 'e1')`);
      const db = await openDb(schema);
      const { rows } = await db.query<{ type: string }>("SELECT data_type AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'bot_state' AND column_name = 'doc'", [schema]);
      expect(rows[0].type).toBe('json');
      const store = createPostgresStateStore(db);
      expect(await store.read(['webchat/conversations/c1/'])).toEqual({ 'webchat/conversations/c1/': { dialogState: { dialogStack: [] }, handledActivityIds: 'abcdef', eTag: 'e1' } });
      await store.write({ 'webchat/conversations/c2/': { answers: { name: 'Åsa Öberg' }, n: 1 } });
      const stored = await db.query<{ doc: string }>("SELECT doc::text AS doc FROM bot_state WHERE key = 'webchat/conversations/c2/'");
      // Byte for byte what was written — sealed: nothing of the answers readable in the table.
      expect(stored.rows[0].doc).toMatch(/^\{"sealed":"2\.[\w-]+"\}$/);
      expect(await store.read(['webchat/conversations/c2/'])).toMatchObject({ 'webchat/conversations/c2/': { answers: { name: 'Åsa Öberg' }, n: 1 } });
      // The old conversation, written again, is sealed too.
      await store.write({ 'webchat/conversations/c1/': { dialogState: { dialogStack: [] }, handledActivityIds: 'abcdef', eTag: 'e1' } });
      const rewritten = await db.query<{ doc: string }>("SELECT doc::text AS doc FROM bot_state WHERE key = 'webchat/conversations/c1/'");
      expect(rewritten.rows[0].doc).not.toContain('abcdef');
    } finally {
      await Promise.all(opened.splice(0).map((db) => db.close()));
      await drop();
    }
  });

  describe('prepared statements', () => {
    let db: PostgresDatabase;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      const made = newSchema();
      drop = made.drop;
      // One connection, so the catalogue read below looks at the connection that ran the statements.
      db = await openPostgresDatabase(PG_URL, { schema: made.schema, poolSize: 1 });
      opened.push(db);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((database) => database.close()));
      await drop();
    });
    const preparedLike = async (start: string) =>
      (await db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.filter((row) => row.statement.startsWith(start)).length;

    it('a statement with parameters is prepared once on a connection and then only executed; one without is not prepared', async () => {
      for (let n = 0; n < 3; n++) expect((await db.query<{ n: number }>('SELECT $1::int + 1 AS n', [n])).rows[0].n).toBe(n + 1);
      await db.query('SELECT 41 + 1 AS n');
      await db.query('SELECT 40 + 2 AS n', []);
      expect(await preparedLike('SELECT $1::int + 1')).toBe(1);
      expect(await preparedLike('SELECT 41 + 1')).toBe(0);
      expect(await preparedLike('SELECT 40 + 2')).toBe(0);
    });

    it('a bulk statement (more than 64 parameters) is not prepared', async () => {
      const values = Array.from({ length: 65 }, (_unused, i) => i);
      const { rows } = await db.query<{ n: number }>(`SELECT ${values.map((_unused, i) => `$${i + 1}::int`).join(' + ')} AS n`, values);
      expect(rows[0].n).toBe((64 * 65) / 2);
      expect(await preparedLike('SELECT $1::int + $2::int')).toBe(0);
    });

    it('after a migration changes what a prepared statement reads or writes, the statement is prepared afresh: a query on its own goes through, one in a transaction fails once', async () => {
      await db.query('CREATE TABLE widths (k TEXT PRIMARY KEY, v INTEGER)');
      await db.query("INSERT INTO widths VALUES ('a', 1)");
      const read = () => db.query<{ v: unknown }>('SELECT * FROM widths WHERE k = $1', ['a']);
      const write = (v: unknown) => db.query('UPDATE widths SET v = $2 WHERE k = $1', ['a', v]);
      expect((await read()).rows[0].v).toBe(1);
      await write(2);
      // A column added under `*` (0A000), a column's type changed under a parameter typed when first parsed (42804).
      await db.query('ALTER TABLE widths ADD COLUMN note TEXT');
      expect((await read()).rows[0]).toEqual({ k: 'a', v: 2, note: null });
      await db.query('ALTER TABLE widths ALTER COLUMN v TYPE JSONB USING to_jsonb(v)');
      await write(JSON.stringify({ n: 3 }));
      expect((await read()).rows[0].v).toEqual({ n: 3 });
      // In a transaction the statement is not sent again (the transaction is lost): the turn fails once, then it works.
      await db.query('ALTER TABLE widths ADD COLUMN more TEXT');
      await expect(db.transaction((client) => client.query('SELECT * FROM widths WHERE k = $1', ['a']))).rejects.toMatchObject({ code: '0A000' });
      expect((await db.transaction((client) => client.query('SELECT * FROM widths WHERE k = $1', ['a']))).rows[0]).toMatchObject({ more: null });
    });
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openPostgresDatabase(PG_URL, { schema: 'x"; DROP SCHEMA public; --' })).rejects.toThrow(/invalid PostgreSQL schema name/);
  });

  describe('conversation lock', () => {
    let schema: string;
    let drop: () => Promise<void>;
    beforeEach(() => {
      ({ schema, drop } = newSchema());
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((db) => db.close()));
      await drop();
    });

    /** A turn that records when it ran and takes 100 ms. */
    const timedTurn = (log: Array<{ name: string; enter: number; exit: number }>, name: string) => async () => {
      const enter = performance.now();
      await sleep(100);
      const exit = performance.now();
      log.push({ name, enter, exit });
      return name;
    };

    it('two instances never run turns of one conversation at the same time', async () => {
      const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
      const [lockOne, lockTwo] = [createPostgresConversationLock(one), createPostgresConversationLock(two)];
      // Keys are database-wide (other test files use the same database): one of this test's own.
      const key = `conformance/${randomUUID()}`;
      const log: Array<{ name: string; enter: number; exit: number }> = [];
      const results = await Promise.all([
        lockOne.run(key, timedTurn(log, 'one-a')),
        lockTwo.run(key, timedTurn(log, 'two-a')),
        lockOne.run(key, timedTurn(log, 'one-b')),
        lockTwo.run(key, timedTurn(log, 'two-b')),
      ]);
      expect(results).toEqual(['one-a', 'two-a', 'one-b', 'two-b']);
      expect(log).toHaveLength(4);
      const ordered = [...log].sort((a, b) => a.enter - b.enter);
      for (let i = 1; i < ordered.length; i++) expect(ordered[i].enter, `${ordered[i].name} entered before ${ordered[i - 1].name} left`).toBeGreaterThanOrEqual(ordered[i - 1].exit);
    });

    it('waits for a lock held longer than a query may take (the wait has a limit of its own), then runs with the query timeout', { timeout: 20_000 }, async () => {
      const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
      const [lockOne, lockTwo] = [createPostgresConversationLock(one), createPostgresConversationLock(two)];
      const key = `conformance/${randomUUID()}`;
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const first = lockTwo.run(key, async () => {
        holding();
        await sleep(QUERY_TIMEOUT_MS + 500);
      });
      await held;
      // Waited past the query timeout; what the turn sends after the wait is held to the query timeout again.
      const timeout = await lockOne.run(key, (_stillHeld, transaction) => transaction!.run(async (client) => (await client.query('SHOW statement_timeout')).rows[0]));
      await first;
      expect(timeout).toEqual({ statement_timeout: `${QUERY_TIMEOUT_MS / 1000}s` });
    });

    it('turns of different conversations run at the same time', async () => {
      const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
      const [lockOne, lockTwo] = [createPostgresConversationLock(one), createPostgresConversationLock(two)];
      const log: Array<{ name: string; enter: number; exit: number }> = [];
      await Promise.all([lockOne.run(`conformance/${randomUUID()}`, timedTurn(log, 'one')), lockTwo.run(`conformance/${randomUUID()}`, timedTurn(log, 'two'))]);
      expect(log).toHaveLength(2);
      const lastEnter = Math.max(...log.map((turn) => turn.enter));
      const firstExit = Math.min(...log.map((turn) => turn.exit));
      expect(lastEnter).toBeLessThan(firstExit);
    });

    it('a turn that throws releases the lock: the next turn, on either instance, proceeds', async () => {
      const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
      const [lockOne, lockTwo] = [createPostgresConversationLock(one), createPostgresConversationLock(two)];
      const key = `conformance/${randomUUID()}`;
      await expect(lockOne.run(key, async () => Promise.reject(new Error('turn failed')))).rejects.toThrow('turn failed');
      const within = <T>(ms: number, work: Promise<T>) =>
        Promise.race([work, sleep(ms).then(() => Promise.reject(new Error(`still waiting for the lock after ${ms} ms`)))]);
      expect(await within(2_000, lockTwo.run(key, async () => 'two ran'))).toBe('two ran');
      expect(await within(2_000, lockOne.run(key, async () => 'one ran'))).toBe('one ran');
    });

    it("a turn's state is written and committed on the lock's own connection, and the lock is held until the turn ends", async () => {
      const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
      const [lockOne, lockTwo] = [createPostgresConversationLock(one), createPostgresConversationLock(two)];
      const [storeOne, storeTwo] = [createPostgresStateStore(one, false), createPostgresStateStore(two, false)];
      const key = `conformance/${randomUUID()}`;
      // Every statement of the turn, on either pool of the first instance.
      const statements: string[] = [];
      const onMainPool: string[] = [];
      one.lockPool.on('acquire', (client) => noteQueries(client, statements));
      const mainQuery = one.query.bind(one);
      one.query = (async (sql: string, params?: unknown[]) => (onMainPool.push(sql), mainQuery(sql, params))) as typeof one.query;
      let secondTurnRan = false;
      let secondTurn: Promise<unknown> | undefined;
      await lockOne.run(key, async (_stillHeld, transaction) => {
        expect(transaction?.database).toBe(one);
        await storeOne.write({ [`${key}/state`]: { step: 'asked', eTag: '*' } }, transaction);
        // Committed: another instance reads it while this turn still runs.
        expect(await storeTwo.read([`${key}/state`])).toMatchObject({ [`${key}/state`]: { step: 'asked' } });
        // Still locked: the conversation's next turn, on the other instance, waits for this one to end.
        secondTurn = lockTwo.run(key, async () => (secondTurnRan = true));
        await sleep(300);
        expect(secondTurnRan).toBe(false);
      });
      await secondTurn;
      expect(secondTurnRan).toBe(true);
      // The lock with its transaction, then the write with its deadline and its COMMIT behind it (the connection stays
      // in a transaction): two round trips in the turn, none on the main pool. The lock went back after the turn, on its
      // own (no other turn on this instance came to carry it).
      expect(statements).toHaveLength(6);
      expect(statements.slice(0, 2)).toEqual([expect.stringMatching(/^SELECT pg_try_advisory_lock\(-?\d+\) AS locked, clock_timestamp\(\) AS at$/), 'BEGIN']);
      expect(statements[2]).toMatch(/^INSERT INTO bot_state/);
      expect(statements.slice(3, 5)).toEqual(['SELECT turn_write_in_time($1)', 'COMMIT; BEGIN']);
      expect(statements[5]).toMatch(/^COMMIT; SELECT pg_advisory_unlock\(-?\d+\)/);
      // (The state's sealing key is read there once, on first use.)
      expect(onMainPool.filter((sql) => !sql.includes('state_key'))).toEqual([]);
    });

    describe('a lock whose turn is over', () => {
      /** An instance whose lock connections' statements are noted, and how many it took from the pool. */
      const noted = async () => {
        const db = await openDb(schema);
        const statements: string[] = [];
        let fromPool = 0;
        db.lockPool.on('acquire', (client) => {
          fromPool++;
          noteQueries(client, statements);
        });
        return { db, lock: createPostgresConversationLock(db), statements, fromPool: () => fromPool };
      };
      const within = <T>(ms: number, work: Promise<T>) => Promise.race([work, sleep(ms).then(() => 'still waiting' as const)]);

      it("goes back in the first message of this instance's next turn, on the same connection", async () => {
        const one = await noted();
        const lockTwo = createPostgresConversationLock(await openDb(schema));
        const [first, second] = [`conformance/${randomUUID()}`, `conformance/${randomUUID()}`];
        await one.lock.run(first, async () => 'first');
        const during = await one.lock.run(second, async () => {
          // The first conversation's lock is free while this turn runs: another instance takes it at once.
          return within(1_000, lockTwo.run(first, async () => 'two ran'));
        });
        expect(during).toBe('two ran');
        expect(one.fromPool()).toBe(1);
        const unlocks = one.statements.filter((sql) => sql.includes('pg_advisory_unlock'));
        expect(one.statements.indexOf(unlocks[0])).toBeLessThan(one.statements.findLastIndex((sql) => sql.includes('pg_try_advisory_lock')));
        expect(unlocks[0]).toMatch(/^COMMIT; SELECT pg_advisory_unlock\(-?\d+\) AS unlocked$/);
        // With no turn after it, the second goes back on its own within moments.
        expect(await within(1_000, lockTwo.run(second, async () => 'two ran again'))).toBe('two ran again');
      });

      it("is given back and taken again by the same conversation's next turn here, so a turn waiting on another instance goes first", async () => {
        const one = await noted();
        const lockTwo = createPostgresConversationLock(await openDb(schema));
        const key = `conformance/${randomUUID()}`;
        const order: string[] = [];
        let firstRunning!: () => void;
        const first = new Promise<void>((resolve) => (firstRunning = resolve));
        const turnOfOne = (name: string) => one.lock.run(key, async () => {
          order.push(name);
          firstRunning();
          await sleep(300); // time for two to be waiting for the lock
        });
        // One's turns follow each other at once (as its in-process queue runs them); two asks while the first runs.
        const ones = turnOfOne('one#1').then(() => turnOfOne('one#2')).then(() => turnOfOne('one#3'));
        await first;
        const two = lockTwo.run(key, async () => order.push('two'));
        await Promise.all([ones, two]);
        expect(order).toEqual(['one#1', 'two', 'one#2', 'one#3']);
        expect(one.fromPool()).toBe(1);
      });

      it('once given back, leaves its connection idle, outside a transaction and holding no lock — after a turn that wrote and after one whose write failed', async () => {
        const name = `owed-${randomUUID().slice(0, 8)}`;
        const db = await openPostgresDatabase(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${name}`, { schema });
        opened.push(db);
        const admin = await openDb(schema);
        const lock = createPostgresConversationLock(db);
        const store = createPostgresStateStore(db, false);
        const key = `conformance/${randomUUID()}`;
        const lockConnections = async () =>
          (
            await admin.query<{ state: string; locks: number }>(
              "SELECT a.state, (SELECT count(*)::int FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory') AS locks FROM pg_stat_activity a WHERE a.application_name = $1 AND a.pid <> pg_backend_pid()",
              [name],
            )
          ).rows;
        await lock.run(key, (_stillHeld, transaction) => store.write({ [key]: { n: 1, eTag: '*' } }, transaction));
        await sleep(GIVE_BACK_MS * 10);
        const afterWrite = await lockConnections(); // the lock's connection, and the main pool's (the state's key)
        expect(afterWrite.length).toBeGreaterThan(0);
        for (const connection of afterWrite) expect(connection).toEqual({ state: 'idle', locks: 0 });
        await lock.run(key, async (_stillHeld, transaction) => {
          await expect(transaction!.run((client) => client.query('SELECT * FROM no_such_table'))).rejects.toThrow(/no_such_table/);
        });
        await sleep(GIVE_BACK_MS * 10);
        for (const connection of await lockConnections()) expect(connection).toEqual({ state: 'idle', locks: 0 });
      });

      it('does not keep its database from closing', async () => {
        const db = await openPostgresDatabase(PG_URL, { schema }); // closed here, not after the test
        const lockTwo = createPostgresConversationLock(await openDb(schema));
        const key = `conformance/${randomUUID()}`;
        await createPostgresConversationLock(db).run(key, async () => 'ran');
        await db.close();
        expect(await within(1_000, lockTwo.run(key, async () => 'two ran'))).toBe('two ran');
      });
    });

    it("a turn's transcript lines go with its state write (one round trip, one commit) and are kept exactly when it is", async () => {
      const db = await openDb(schema);
      const lock = createPostgresConversationLock(db);
      const store = createPostgresStateStore(db, false);
      const transcripts = createPostgresTranscriptLog(db);
      const key = `conformance/${randomUUID()}`;
      const said = (text: string) => [{ from: 'caller' as const, text, at: NOW.toISOString() }];
      const kept = async () => (await transcripts.recent(key, 10)).map((line) => line.text);
      const { statements, socketWrites } = watchLockConnections(db);
      await lock.run(key, async (_stillHeld, transaction) => {
        await transcripts.append(key, said('första'), 50, transaction);
        expect(await kept()).toEqual([]); // staged, not sent
        const before = socketWrites();
        await store.write({ [`${key}/state`]: { n: 1, eTag: '*' } }, transaction);
        // The lines, the state, the deadline's check and the `COMMIT; BEGIN` in one write.
        expect(socketWrites() - before).toBe(1);
      });
      expect(await kept()).toEqual(['första']);
      expect(statements.slice(2, 6).map((sql) => sql.split(/\s+/).slice(0, 3).join(' '))).toEqual(['WITH added AS', 'INSERT INTO bot_state', 'SELECT turn_write_in_time($1)', 'COMMIT; BEGIN']);
      // The turn's write fails: its lines are not kept either (the COMMIT behind it answered ROLLBACK), and the lock's
      // connection is in a new transaction, in which the turn can still write.
      await lock.run(key, async (_stillHeld, transaction) => {
        await transcripts.append(key, said('andra'), 50, transaction);
        await expect(transaction!.commitWith([['INSERT INTO no_such_table VALUES ($1)', [1]]])).rejects.toThrow(/no_such_table/);
        await store.write({ [`${key}/state`]: { n: 2, eTag: '*' } }, transaction);
      });
      expect(await kept()).toEqual(['första']);
      expect(await store.read([`${key}/state`])).toMatchObject({ [`${key}/state`]: { n: 2 } });
      // No state to write (commitStagedWrites): the lines are committed on their own.
      await lock.run(key, async (_stillHeld, transaction) => {
        await transcripts.append(key, said('tredje'), 50, transaction);
        await transaction!.commitWith([]);
      });
      expect(await kept()).toEqual(['första', 'tredje']);
      // A turn that ends without saving (it failed before) keeps nothing it staged; outside a turn, lines are written at once.
      await lock.run(key, async (_stillHeld, transaction) => transcripts.append(key, said('fjärde'), 50, transaction));
      await transcripts.append(key, said('femte'), 50);
      expect(await kept()).toEqual(['första', 'tredje', 'femte']);
    });

    it("what a turn leaves for after it goes with the lock's give-back — in the next turn's first write, or on its own — and a failure of it is heard", async () => {
      const db = await openDb(schema);
      const lock = createPostgresConversationLock(db);
      const store = createPostgresStateStore(db, false);
      const key = `conformance/${randomUUID()}`;
      const marks = [1, 2, 3].map((n) => `${key}/mark-${n}`);
      const marked = async () => Object.keys(await store.read(marks)).sort();
      const forget = (mark: string): [string, unknown[]] => ['DELETE FROM bot_state WHERE key = $1', [mark]];
      await store.write(Object.fromEntries(marks.map((mark) => [mark, { n: 1 }])));
      const { statements, socketWrites } = watchLockConnections(db);
      const failures: Error[] = [];
      let leftOver: TurnTransaction | undefined;
      await lock.run(key, async (_stillHeld, transaction) => {
        await store.write({ [`${key}/state`]: { n: 1, eTag: '*' } }, transaction);
        const before = socketWrites();
        expect(transaction!.afterTurn(forget(marks[0]), (error) => failures.push(error))).toBe(true);
        expect(socketWrites()).toBe(before); // nothing sent in the turn
        expect(await marked()).toEqual(marks);
        leftOver = transaction;
      });
      // The turn is over: nothing more is taken.
      expect(leftOver!.afterTurn(forget(marks[1]), (error) => failures.push(error))).toBe(false);
      // The next turn of the conversation here takes the connection at once: the delete leaves in its first write,
      // right before the COMMIT that gives the lock back, and the turn takes the lock again.
      const before = statements.length;
      const writesBefore = socketWrites();
      await lock.run(key, async () => {
        expect(socketWrites() - writesBefore).toBe(1);
        const shape = (sql: string) => sql.replace(/-?\d+/g, 'N');
        expect(statements.slice(before, before + 3).map(shape)).toEqual(['DELETE FROM bot_state WHERE key = $N', 'COMMIT; SELECT pg_advisory_unlock(N) AS unlocked', 'SELECT pg_try_advisory_lock(N) AS locked, clock_timestamp() AS at']);
        expect(await marked()).toEqual(marks.slice(1));
      });
      // No turn comes: on its own, with the lock's give-back within GIVE_BACK_MS.
      await lock.run(key, async (_stillHeld, transaction) => {
        expect(transaction!.afterTurn(forget(marks[1]), (error) => failures.push(error))).toBe(true);
        // One that fails, in the same transaction: heard; the lock is given back all the same.
        expect(transaction!.afterTurn(['INSERT INTO no_such_table VALUES ($1)', [1]], (error) => failures.push(error))).toBe(true);
      });
      // The failure ended their transaction: the delete before it was not kept either, and its caller hears so too
      // (the COMMIT that gives the lock back answered ROLLBACK).
      await vi.waitFor(() => expect(failures).toHaveLength(2), { timeout: 5_000 });
      expect(failures.map((error) => error.message)).toEqual([expect.stringMatching(/no_such_table/), expect.stringMatching(/^not committed/)]);
      expect(await marked()).toEqual(marks.slice(1));
      const other = createPostgresConversationLock(await openDb(schema));
      expect(await Promise.race([other.run(key, async () => 'free'), sleep(1_000).then(() => 'still waiting')])).toBe('free');
    });

    it("what a turn leaves for after it is sent on the main pool when its lock's connection is lost before the give-back", async () => {
      const db = await openDb(schema);
      const lock = createPostgresConversationLock(db);
      const store = createPostgresStateStore(db, false);
      const key = `conformance/${randomUUID()}`;
      const mark = `${key}/mark`;
      await store.write({ [mark]: { n: 1 } });
      let lockClient: { connection: { stream: { destroy(): void } } } | undefined;
      db.lockPool.on('acquire', (client) => (lockClient = client as unknown as typeof lockClient));
      const failures: Error[] = [];
      await lock.run(key, async (_stillHeld, transaction) => {
        await store.write({ [`${key}/state`]: { n: 1, eTag: '*' } }, transaction);
        expect(transaction!.afterTurn(['DELETE FROM bot_state WHERE key = $1', [mark]], (error) => failures.push(error))).toBe(true);
      });
      // Parked with its lock for GIVE_BACK_MS: the connection goes before it gives the lock back.
      lockClient!.connection.stream.destroy();
      await vi.waitFor(async () => expect(await store.read([mark])).toEqual({}), { timeout: 5_000 });
      expect(failures).toEqual([]);
    });

    describe("the state a turn reads first, read with the lock", () => {
      /** Two instances on one schema; the first one's statements on its lock connection and on its main pool. */
      const instances = async () => {
        const [one, two] = await Promise.all([openDb(schema), openDb(schema)]);
        const lock = createPostgresConversationLock(one);
        const [store, other] = [createPostgresStateStore(one, false), createPostgresStateStore(two, false)];
        const onLockConnection: string[] = [];
        /** Writes to the lock connection's socket (system calls: a corked burst is one). */
        const socket = { writes: 0 };
        one.lockPool.on('acquire', (client) => {
          noteQueries(client, onLockConnection);
          const stream = (client as unknown as { connection: { stream: Record<'_write' | '_writev', (...args: unknown[]) => unknown> } }).connection.stream;
          for (const method of ['_write', '_writev'] as const) {
            const original = stream[method].bind(stream);
            stream[method] = (...args: unknown[]) => (socket.writes++, original(...args));
          }
        });
        /** The database process of the lock's connection (the one the turn runs on). */
        const lockBackend = { pid: 0 };
        one.lockPool.on('acquire', (client) => (lockBackend.pid = (client as unknown as { processID: number }).processID));
        const onMainPool: string[] = [];
        const mainQuery = one.query.bind(one);
        one.query = (async (sql: string, params?: unknown[]) => (onMainPool.push(sql), mainQuery(sql, params))) as typeof one.query;
        // The sealing key is read once, on first use: read before anything is counted.
        await store.read(['warm-up']);
        onMainPool.length = 0;
        const key = `conformance/${randomUUID()}`;
        return { lock, store, other, two, onLockConnection, socket, onMainPool, lockBackend, key, conversation: `${key}/conversation`, caller: `${key}/caller`, otherLock: createPostgresConversationLock(two) };
      };

      it('comes in the lock\'s own message and round trip, each key handed out once; none of it on the main pool', async () => {
        const { lock, store, other, onLockConnection, socket, onMainPool, key, conversation, caller } = await instances();
        await other.write({ [conversation]: { step: 'asked', eTag: '*' } });
        await lock.run(
          key,
          async (_stillHeld, transaction) => {
            expect(socket.writes).toBe(1); // the lock and the read, in one write
            expect(await store.read([conversation], transaction)).toMatchObject({ [conversation]: { step: 'asked' } });
            expect(await store.read([caller], transaction)).toEqual({}); // no state yet: read too, and found missing
            expect(onMainPool).toEqual([]);
            // The lock, the read once it is taken, and the turn's transaction.
            expect(onLockConnection).toHaveLength(3);
            expect(onLockConnection[0]).toMatch(/^SELECT pg_try_advisory_lock\(-?\d+\) AS locked, clock_timestamp\(\) AS at$/);
            expect(onLockConnection[1]).toMatch(/^SELECT key, doc, etag FROM bot_state/);
            expect(onLockConnection[2]).toBe('BEGIN');
            // Taken: a second read is the store's own.
            expect(await store.read([conversation], transaction)).toMatchObject({ [conversation]: { step: 'asked' } });
            expect(onMainPool).toHaveLength(1);
          },
          [conversation, caller],
        );
      });

      it('is not used once the turn has written, nor when it was read while another turn held the lock', async () => {
        const { lock, store, other, onLockConnection, onMainPool, key, conversation, otherLock } = await instances();
        await other.write({ [conversation]: { step: 'asked', eTag: '*' } });
        // Written over in the turn before it is read: the read is of what the turn wrote.
        await lock.run(
          key,
          async (_stillHeld, transaction) => {
            await store.write({ [conversation]: { step: 'answered', eTag: '*' } }, transaction);
            expect(await store.read([conversation], transaction)).toMatchObject({ [conversation]: { step: 'answered' } });
            expect(onMainPool).toHaveLength(1);
          },
          [conversation],
        );
        // The other instance holds the lock and changes the state before it lets go: the read that came with the
        // first try is of the state before; the turn reads the state after.
        let letGo!: () => void;
        let holding!: () => void;
        const held = new Promise<void>((resolve) => (holding = resolve));
        const otherTurn = otherLock.run(key, async (_stillHeld, transaction) => {
          holding();
          await new Promise<void>((resolve) => (letGo = resolve));
          await other.write({ [conversation]: { step: 'changed', eTag: '*' } }, transaction);
        });
        await held;
        const turn = lock.run(key, async (_stillHeld, transaction) => store.read([conversation], transaction), [conversation]);
        await sleep(200);
        letGo();
        await otherTurn;
        expect(await turn).toMatchObject({ [conversation]: { step: 'changed' } });
        // It did find the lock held, and waited (the read that came with the try was of the state before).
        expect(onLockConnection.some((sql) => /SELECT pg_advisory_lock\(/.test(sql))).toBe(true);
      });

      it('a read that fails leaves the turn its lock and its transaction: the store reads itself, the turn writes', async () => {
        const { lock, store, other, two, onLockConnection, lockBackend, key, conversation } = await instances();
        await other.write({ [conversation]: { step: 'asked', eTag: '*' } });
        // A key PostgreSQL refuses (a NUL character) fails the read that comes with the lock.
        await lock.run(
          key,
          async (_stillHeld, transaction) => {
            const held = await two.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1", [lockBackend.pid]);
            expect(held.rows[0]).toEqual({ n: 1 });
            expect(await store.read([conversation], transaction)).toMatchObject({ [conversation]: { step: 'asked' } });
            await store.write({ [conversation]: { step: 'answered', eTag: '*' } }, transaction);
          },
          [conversation, 'no\u0000key'],
        );
        expect(onLockConnection.slice(0, 3).map((sql) => sql.replace(/-?\d+/g, 'n').split(/\s+/).slice(0, 2).join(' '))).toEqual(['SELECT pg_try_advisory_lock(n)', 'SELECT key,', 'BEGIN']);
        expect(await other.read([conversation])).toMatchObject({ [conversation]: { step: 'answered' } });
      });

      it('holds no lock on the state table while the turn runs: a migration needing the whole table is not kept waiting', async () => {
        const { lock, store, two, key, conversation } = await instances();
        await lock.run(
          key,
          async (_stillHeld, transaction) => {
            await store.read([conversation], transaction);
            await two.transaction(async (client) => {
              await client.query('LOCK TABLE bot_state IN ACCESS EXCLUSIVE MODE NOWAIT');
            });
          },
          [conversation],
        );
      });
    });

    it("a failing statement rolls the turn's write back; the turn keeps its lock and can write again", async () => {
      const db = await openDb(schema);
      const lock = createPostgresConversationLock(db);
      const store = createPostgresStateStore(db, false);
      const key = `conformance/${randomUUID()}`;
      const other = await openDb(schema);
      await lock.run(key, async (_stillHeld, transaction) => {
        await expect(transaction!.commitWith([
          ["INSERT INTO bot_state (key, doc, etag) VALUES ($1, '{}', 'e')", [`${key}/half`]],
          ['INSERT INTO no_such_table VALUES (1)', []],
        ])).rejects.toThrow(/no_such_table/);
        expect(await other.query('SELECT 1 FROM bot_state WHERE key = $1', [`${key}/half`])).toMatchObject({ rowCount: 0 });
        // A conditional write that finds another version: refused, rolled back, nothing half-written.
        await store.write({ [`${key}/state`]: { n: 1 } }, transaction);
        await expect(store.write({ [`${key}/state`]: { n: 2, eTag: 'not-the-stored-one' }, [`${key}/more`]: { n: 3 } }, transaction)).rejects.toThrow(ETagConflictError);
        expect(await other.query('SELECT 1 FROM bot_state WHERE key = $1', [`${key}/more`])).toMatchObject({ rowCount: 0 });
        await store.write({ [`${key}/state`]: { n: 4, eTag: '*' } }, transaction);
      });
      expect(await createPostgresStateStore(other, false).read([`${key}/state`])).toMatchObject({ [`${key}/state`]: { n: 4 } });
      // The lock was given back: another turn proceeds at once.
      expect(await Promise.race([createPostgresConversationLock(other).run(key, async () => 'ran'), sleep(2_000).then(() => 'still waiting')])).toBe('ran');
    });

    /** Two instances on the schema, the first one's state store, and a row of its stored as `{ step: 'before' }`. */
    const rowStoredBefore = async () => {
      const db = await openDb(schema);
      const other = await openDb(schema);
      const store = createPostgresStateStore(db, false);
      const key = `conformance/${randomUUID()}`;
      await store.write({ [key]: { step: 'before' } });
      return { db, other, store, key };
    };
    /** Another session holds `key`'s row (FOR UPDATE) until the function returned is called: then it lets go. */
    const holdRow = async (other: PostgresDatabase, key: string) => {
      const holding = await other.lockPool.connect();
      await holding.query('BEGIN');
      await holding.query('SELECT 1 FROM bot_state WHERE key = $1 FOR UPDATE', [key]);
      return async () => {
        await holding.query('COMMIT');
        holding.release();
      };
    };

    it('a write the database answers too late is never committed, though its COMMIT went with it', { timeout: 20_000 }, async () => {
      const { db, other, store, key } = await rowStoredBefore();
      // Another session holds the row, so the turn's write (its COMMIT sent behind it) waits past the client's query
      // timeout and the turn gives up (it apologises); the row is let go the moment the write has failed, and the
      // write, run at last, must not be kept.
      const letGo = await holdRow(other, key);
      const turn = createPostgresConversationLock(db).run(key, (_stillHeld, transaction) =>
        store.write({ [key]: { step: 'after', eTag: '*' } }, transaction).catch(async (error: unknown) => {
          await letGo();
          throw error;
        }),
      );
      await expect(turn).rejects.toThrow();
      await sleep(500);
      expect(await createPostgresStateStore(other, false).read([key])).toMatchObject({ [key]: { step: 'before' } });
    });

    it('writes the database finishes after their deadline, though before the client gives up, are rolled back; the turn goes on', { timeout: 20_000 }, async () => {
      const { db, other, store, key } = await rowStoredBefore();
      // The row is let go at 90 % of the client's wait: past the deadline (a second short of it), before pg gives up.
      const letGo = await holdRow(other, key);
      const released = sleep(QUERY_TIMEOUT_MS * 0.9).then(letGo);
      released.catch(() => undefined); // awaited below
      await createPostgresConversationLock(db).run(key, async (_stillHeld, transaction) => {
        await expect(store.write({ [key]: { step: 'late', eTag: '*' } }, transaction)).rejects.toThrow(/past its deadline/);
        expect(await createPostgresStateStore(other, false).read([key])).toMatchObject({ [key]: { step: 'before' } });
        // The connection answered, in a new transaction: the turn's next write is kept.
        await store.write({ [key]: { step: 'after', eTag: '*' } }, transaction);
      });
      await released;
      expect(await createPostgresStateStore(other, false).read([key])).toMatchObject({ [key]: { step: 'after' } });
    });

    it('writes that each run in time but together outlast the client are not committed either', { timeout: 20_000 }, async () => {
      const db = await openDb(schema);
      const other = await openDb(schema);
      const store = createPostgresStateStore(db, false);
      const [conversation, caller] = [`conformance/${randomUUID()}`, `conformance/${randomUUID()}`];
      await store.write({ [conversation]: { step: 'before' }, [caller]: { step: 'before' } });
      // Two sessions hold one row each and let go at 60 % and 120 % of the client's wait: neither write waits long on
      // its own, the two together outlast the client, which gives up; the database runs both after that.
      // Both rows held before the turn starts; let go from then on.
      const [letGoOfConversation, letGoOfCaller] = await Promise.all([holdRow(other, conversation), holdRow(other, caller)]);
      const released = Promise.all([sleep(QUERY_TIMEOUT_MS * 0.6).then(letGoOfConversation), sleep(QUERY_TIMEOUT_MS * 1.2).then(letGoOfCaller)]);
      released.catch(() => undefined); // awaited below; not an unhandled rejection if the test fails before
      const turn = createPostgresConversationLock(db).run(conversation, (_stillHeld, transaction) =>
        store.write({ [conversation]: { step: 'after', eTag: '*' }, [caller]: { step: 'after', eTag: '*' } }, transaction),
      );
      await expect(turn).rejects.toThrow();
      await released;
      await sleep(500);
      expect(await createPostgresStateStore(other, false).read([conversation, caller])).toMatchObject({ [conversation]: { step: 'before' }, [caller]: { step: 'before' } });
    });

    it('between and after its writes the lock connection stays inside a transaction (the idle limit applies), and the transaction is unusable once the turn is over', async () => {
      const name = `lock-${randomUUID().slice(0, 8)}`;
      const db = await openPostgresDatabase(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${name}`, { schema });
      opened.push(db);
      const admin = await openDb(schema);
      const key = `conformance/${randomUUID()}`;
      let kept: TurnTransaction | undefined;
      const states = await createPostgresConversationLock(db).run(key, async (_stillHeld, transaction) => {
        kept = transaction;
        await createPostgresStateStore(db, false).write({ [key]: { n: 1, eTag: '*' } }, transaction);
        // The database's own keepalive probes on the lock's connection (TCP here): a vanished host is found in about a minute.
        const probes = await transaction!.run(async (client) => (await client.query('SHOW tcp_keepalives_idle')).rows);
        expect(probes).toEqual([{ tcp_keepalives_idle: '30' }]);
        const { rows } = await admin.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [name]);
        return rows.map((row) => row.state);
      });
      expect(states).toContain('idle in transaction');
      await expect(kept!.commitWith([["INSERT INTO bot_state (key, doc, etag) VALUES ($1, '{}', 'e')", [`${key}/late`]]])).rejects.toThrow(/turn is over/);
      expect(await admin.query('SELECT 1 FROM bot_state WHERE key = $1', [`${key}/late`])).toMatchObject({ rowCount: 0 });
    });

    it("a store on another database writes in a transaction of its own, not in the lock's", async () => {
      const { schema: otherSchema, drop: dropOther } = newSchema();
      try {
        const [db, elsewhere] = await Promise.all([openDb(schema), openDb(otherSchema)]);
        const key = `conformance/${randomUUID()}`;
        await createPostgresConversationLock(db).run(key, (_stillHeld, transaction) => createPostgresStateStore(elsewhere, false).write({ [key]: { n: 1, eTag: '*' } }, transaction));
        expect(await createPostgresStateStore(elsewhere, false).read([key])).toMatchObject({ [key]: { n: 1 } });
        expect(await db.query('SELECT 1 FROM bot_state WHERE key = $1', [key])).toMatchObject({ rowCount: 0 });
      } finally {
        await Promise.all(opened.splice(0).map((db) => db.close()));
        await dropOther();
      }
    });

    it('a turn whose lock connection the database ends learns that it no longer holds the lock', async () => {
      const name = `lock-${randomUUID().slice(0, 8)}`;
      const db = await openPostgresDatabase(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${name}`, { schema });
      opened.push(db);
      const lock = createPostgresConversationLock(db);
      const admin = await openDb(schema);
      const seen = await lock.run(`conformance/${randomUUID()}`, async (stillHeld) => {
        const before = stillHeld();
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
        await sleep(300);
        return { before, after: stillHeld() };
      });
      expect(seen).toEqual({ before: true, after: false });
    });
  });
});
