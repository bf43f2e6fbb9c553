import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresDirectory, seedDemoAccountsInPostgres } from '../../src/accounts/postgresDirectory';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/storage/postgresDatabase';
import { createPostgresSubscriptions } from '../../src/subscriptions/postgresSubscriptions';
import { SubscriptionServiceUnavailableError, type SubscriptionChangeRequest } from '../../src/subscriptions/subscriptionService';
import type { SubscriptionFacts } from '../../src/policy';
import { NOW } from '../support/facts';
import { freshPostgresSchema, PG_URL } from '../support/postgres';

// What the PostgreSQL subscription store does beyond the conformance tests (test/storage/conformance.test.ts), which
// hold it and the SQLite one to the same behaviour: one round trip for a change, and never a change kept late.
describe('the PostgreSQL subscription store', () => {
  let db: PostgresDatabase;
  let drop: () => Promise<void>;
  const fjordfika = { accountId: 'acc-fjordfika', subscriptionId: 'sub-fjordfika-1' };

  beforeEach(async () => {
    const schema = freshPostgresSchema();
    drop = schema.drop;
    db = await openPostgresDatabase(PG_URL, { schema: schema.schema });
    await seedDemoAccountsInPostgres(db, NOW);
  });
  afterEach(async () => {
    await db.close();
    await drop();
  });

  const facts = async (): Promise<SubscriptionFacts> => (await createPostgresDirectory(db).findAccount(fjordfika.accountId))!.subscriptions[0].facts;
  const changesRecorded = async () => Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM subscription_changes')).rows[0].n);
  const turnOffRenewal = (before: SubscriptionFacts, idempotencyKey = 'renew-1'): SubscriptionChangeRequest => ({ ...fjordfika, idempotencyKey, expected: before, next: { ...before, autoRenew: false } });

  it('makes a change in one statement, committed on its own: no BEGIN, no COMMIT, one round trip', async () => {
    const before = await facts();
    const sent: string[] = [];
    const query = db.query.bind(db);
    db.query = (async (sql: string, params?: unknown[]) => {
      sent.push(sql);
      return query(sql, params);
    }) as PostgresDatabase['query'];
    const transaction = db.transaction;
    db.transaction = (() => {
      throw new Error('a change needs no transaction of its own');
    }) as PostgresDatabase['transaction'];
    try {
      expect(await createPostgresSubscriptions(db, () => NOW).turnOffAutoRenew(turnOffRenewal(before))).toEqual({ facts: { ...before, autoRenew: false }, alreadyApplied: false });
    } finally {
      db.query = query;
      db.transaction = transaction;
    }
    expect(sent).toEqual([expect.stringMatching(/^SELECT apply_subscription_change\(/)]);
    expect((await facts()).autoRenew).toBe(false);
  });

  it('a change that ran past its time is not kept, and is reported as the store failing (the case stays pending for its retry)', async () => {
    const before = await facts();
    // No time at all: the database refuses to keep it, however fast it ran.
    const late = createPostgresSubscriptions(db, () => NOW, 0);
    const refused = late.turnOffAutoRenew(turnOffRenewal(before));
    await expect(refused).rejects.toBeInstanceOf(SubscriptionServiceUnavailableError);
    await expect(refused).rejects.toMatchObject({ cause: { message: expect.stringMatching(/ran past 0 ms/) } });
    expect(await facts()).toEqual(before);
    expect(await changesRecorded()).toBe(0);
    // Tried again with the same key and time enough: made once.
    expect(await createPostgresSubscriptions(db, () => NOW).turnOffAutoRenew(turnOffRenewal(before))).toMatchObject({ alreadyApplied: false });
    expect((await facts()).autoRenew).toBe(false);
  });

  it('a call that waited for the row while its twin changed it finds the change made, not a subscription changed', async () => {
    const before = await facts();
    const subscriptions = createPostgresSubscriptions(db, () => NOW);
    // The row held by another transaction until both calls are waiting for it; then the first one through makes the
    // change and the second, reading with a snapshot taken after its wait, finds it.
    const holder = await db.transaction(async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM subscriptions WHERE id = $1 FOR UPDATE', [fjordfika.subscriptionId]);
      const calls = [subscriptions.turnOffAutoRenew(turnOffRenewal(before)), subscriptions.turnOffAutoRenew(turnOffRenewal(before))];
      for (const call of calls) call.catch(() => undefined);
      await waitForWaitersBehind(db, rows[0].pid, 2);
      return calls;
    });
    const results = await Promise.all(holder);
    expect(results.map((result) => result.alreadyApplied).sort()).toEqual([false, true]);
    expect(await changesRecorded()).toBe(1);
  });
});

/**
 * Waits until `count` statements wait behind the backend `holder`: for its lock, or in the queue behind one that does
 * (a second waiter for a row waits for the first one's place in line).
 */
async function waitForWaitersBehind(db: PostgresDatabase, holder: number, count: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const { rows } = await db.query<{ pid: number; blockers: number[] }>("SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
    const behind = new Set([holder]);
    let before: number;
    do {
      before = behind.size;
      for (const { pid, blockers } of rows) if (blockers.some((blocker) => behind.has(blocker))) behind.add(pid);
    } while (behind.size > before);
    if (behind.size - 1 >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} statements waited for the row`);
}
