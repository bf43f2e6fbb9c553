import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';
import { freshPostgresSchema, PG_URL } from '../support/postgres';
import { createStateSeal } from '../../src/storage/stateSeal';

/**
 * Two instances of the bot behind one "load balancer" (the test picks the instance per message), sharing one
 * PostgreSQL database, replying through one connector: what a caller sees must not depend on which one answered.
 */
describe('two instances on one PostgreSQL', () => {
  const database = freshPostgresSchema();
  let instances: App[];
  let urls: string[];
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  const t = i18n.getFixedT('en');

  beforeAll(async () => {
    connector = await startConnectorStub();
    // Started together, as a deployment would: the schema is migrated and the demo accounts seeded once.
    instances = await Promise.all([0, 1].map(() => createApp(testConfig({ storage: database.storage }), silentLogger, { now: () => NOW })));
    urls = await Promise.all(instances.map(async (app) => (await app.listen()).url));
  });

  afterAll(async () => {
    await Promise.all(instances.map((app) => app.close()));
    await connector.close();
    await database.drop();
  });

  const post = (instance: number, activity: Partial<import('botbuilder').Activity>) =>
    fetch(`${urls[instance]}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const message = (conversationId: string, text: string, id?: string) => inbound(connector.url, conversationId, { type: 'message', text, locale: 'en-US', ...(id ? { id } : {}) });
  const receiptsFor = (conversationId: string) => connector.replies.filter((reply) => reply.activity.conversation?.id === conversationId && /CX-/.test(reply.activity.summary ?? ''));

  async function query<Row extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<Row[]> {
    const client = new Client({ connectionString: PG_URL, options: `-c search_path=${database.schema}` });
    await client.connect();
    try {
      return (await client.query<Row>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Verification and the choice, one message to each instance in turn; ends at "shall I cancel at the end of the term?". */
  async function upToTheConfirmation(conversationId: string): Promise<void> {
    const texts = ['Cancel subscription', ...answersOf(DEMO_CALLERS.anna), 'yes', 'At the end of the term'];
    for (const [i, text] of texts.entries()) expect((await post(i % 2, message(conversationId, text))).status).toBe(200);
    expect(connector.textsFor(conversationId).at(-1)).toBe(t('cancel:confirmEndOfTerm'));
  }

  it('seeded the demo accounts once and migrated once, though both started at the same moment', async () => {
    const [{ n: accounts }] = await query<{ n: string }>('SELECT COUNT(*) AS n FROM accounts', []);
    const [{ n: users }] = await query<{ n: string }>('SELECT COUNT(*) AS n FROM account_users', []);
    const { DEMO_ACCOUNTS } = await import('../../src/accounts/demoAccounts');
    expect(Number(accounts)).toBe(DEMO_ACCOUNTS.length);
    expect(Number(users)).toBe(DEMO_ACCOUNTS.flatMap((demo) => demo.users).length);
    const migrations = await query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version', []);
    expect(migrations.map((row) => row.version)).toEqual(migrations.map((_row, i) => i + 1));
  });

  it('alternating instances through verification and a cancellation, then the same "yes" to both at once: one case, one change, one receipt', async () => {
    const id = 'two-instances-one-yes';
    await upToTheConfirmation(id);
    const yes = message(id, 'yes', 'the-one-yes');
    const answers = await Promise.all([post(0, yes), post(1, yes)]);
    expect(answers.map((res) => res.status)).toEqual([200, 200]);
    expect(receiptsFor(id)).toHaveLength(1);
    const cases = await query<{ reference: string; status: string }>("SELECT reference, status FROM cases WHERE account_id = 'acc-fjordfika' AND kind = 'action'", []);
    expect(cases).toHaveLength(1);
    expect(cases[0].status).toBe('done');
    expect(receiptsFor(id)[0].activity.summary).toContain(cases[0].reference);
    const changes = await query<{ n: string }>("SELECT COUNT(*) AS n FROM subscription_changes WHERE subscription_id = 'sub-fjordfika-1'", []);
    expect(changes).toEqual([{ n: '1' }]);
  });

  it('Teams re-sends a slow "yes" with a new id to the other instance: the action\'s idempotency key still acts once', async () => {
    // A second conversation about the same account after the first cancelled it would be refused: use another caller.
    const id = 'two-instances-resent-yes';
    const texts = ['Reactivate', ...answersOf(DEMO_CALLERS.lena), 'yes'];
    for (const [i, text] of texts.entries()) expect((await post(i % 2, message(id, text))).status).toBe(200);
    const before = connector.textsFor(id).length;
    const answers = await Promise.all([post(0, message(id, 'yes', 'resent-1')), post(1, message(id, 'yes', 'resent-2'))]);
    expect(answers.map((res) => res.status)).toEqual([200, 200]);
    const reactivations = await query<{ n: string }>("SELECT COUNT(*) AS n FROM subscription_changes WHERE action = 'reactivate'", []);
    expect(reactivations).toEqual([{ n: '1' }]);
    expect(connector.textsFor(id).length).toBeGreaterThan(before);
  });

  it('1,000 messages at once into one conversation, spread over both instances: every one answered once, none lost', { timeout: 120_000 }, async () => {
    const id = 'a-thousand-at-once';
    const word = (n: number) => n.toString(26).replace(/[0-9]/g, (digit) => 'qrstuvwxyz'[Number(digit)]);
    const sent = Array.from({ length: 1000 }, (_unused, n) => message(id, `note ${word(n + 1000)}`, `flood-${n}`));
    const answers = await Promise.all(sent.map((activity, n) => post(n % 2, activity)));
    expect(answers.filter((res) => res.status !== 200)).toEqual([]);

    const replies = connector.replies.filter((reply) => reply.activity.conversation?.id === id && reply.activity.type === 'message');
    const answeredIds = replies.map((reply) => reply.activity.replyToId);
    // Every message answered, and answered once: each turn's replies come together, and no turn ran twice.
    const turns = answeredIds.filter((replyTo, i) => replyTo !== answeredIds[i - 1]);
    expect(new Set(turns).size).toBe(1000);
    expect(turns).toHaveLength(1000);
    expect(replies.map((reply) => reply.activity.text ?? '').join('\n')).not.toContain(t('errors:turn'));

    // And each turn started from the state the one before it saved: the conversation counted every message (a stale
    // read would have lost a count), and the transcript's caller lines are the last messages in the order they were
    // answered, none missing.
    // (The state is sealed with the one key both instances took from the database: either opens what the other wrote.)
    const [{ key, doc }] = await query<{ key: string; doc: Record<string, unknown> }>("SELECT key, doc FROM bot_state WHERE key LIKE '%/conversations/' || $1 || '/%'", [id]);
    const [{ key: stateKey }] = await query<{ key: Buffer }>('SELECT key FROM state_key', []);
    expect(JSON.stringify(doc)).not.toContain('insightsProgress');
    const opened = createStateSeal(stateKey).open(key, doc) as { insightsProgress: { messages: number } };
    expect(opened.insightsProgress.messages).toBe(1000);
    const lines = await query<{ sender: string; text: string }>('SELECT sender, text FROM transcript_lines WHERE conversation_key = $1 ORDER BY id', [`webchat/${id}`]);
    const textById = new Map(sent.map((activity) => [activity.id, activity.text]));
    const heard = lines.filter((line) => line.sender === 'caller').map((line) => line.text);
    expect(heard).toEqual(turns.slice(-heard.length).map((replyTo) => textById.get(replyTo)));
    expect(heard.length).toBeGreaterThan(5);
  });

  it('an agent following a hand-off on one instance hears of it live when the caller writes to the other', async () => {
    const id = 'two-instances-live-handoff';
    expect((await post(1, message(id, 'I want to talk to a person'))).status).toBe(200);
    const [entry] = (await instances[0].runtime.liveHandoffs.queue.list({ status: 'waiting' })).filter((e) => e.conversationKey === `webchat/${id}`);
    expect(entry).toBeDefined();
    const heard: Array<{ kind: string; handoffId: string }> = [];
    const stop = instances[0].runtime.liveHandoffs.events.subscribe((event) => heard.push(event));
    try {
      // Taken on instance 1 (its console), the caller's next words arrive at instance 1 again: instance 0's pages hear both.
      expect(await instances[1].agentRelay.take(entry.id, { id: 'maja', displayName: 'Maja' })).toBeDefined();
      expect((await post(1, message(id, 'Hello, are you there?'))).status).toBe(200);
      const deadline = Date.now() + 5000;
      while (heard.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(heard).toEqual([
        { kind: 'taken', handoffId: entry.id },
        { kind: 'message', handoffId: entry.id },
      ]);
    } finally {
      stop();
    }
  });
});
