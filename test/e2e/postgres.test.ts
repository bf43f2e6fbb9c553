import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../../src/config';
import { GIVE_BACK_MS } from '../../src/storage/postgresLockConnections';
import { freshPostgresSchema, PG_URL } from '../support/postgres';
import type { Conversation } from '../support/branches';
import { startHttpConversation } from '../support/httpConversation';
import { CASE_IN_TEXT } from '../support/conversation';

/** Each bot on a schema of its own (a demo account cancelled by one test stays cancelled), dropped at the end. */
const schemas: Array<ReturnType<typeof freshPostgresSchema>> = [];
const fresh = () => {
  const database = freshPostgresSchema();
  schemas.push(database);
  return database.storage;
};
afterAll(async () => {
  await Promise.all(schemas.map((database) => database.drop()));
});

/**
 * Runs `test` against a bot whose PostgreSQL connections carry a name of their own, so a test can end exactly those
 * (other test files share the database), with an admin connection to do it with and `record` (recordStatements);
 * everything is let go after, whatever the test left open (an admin transaction, a recording).
 */
async function withItsOwnConnections(test: (bot: { name: string; c: Conversation; admin: Client; schema: string; record: () => Recording }) => Promise<void>) {
  const name = `bot-${randomUUID().slice(0, 8)}`;
  const database = freshPostgresSchema();
  schemas.push(database);
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${name}`;
  const c = await startHttpConversation('en', 'test', { storage: { ...database.storage, url } as AppConfig['storage'] });
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  const recordings: Recording[] = [];
  const record = () => {
    const recording = recordStatements();
    recordings.push(recording);
    return recording;
  };
  try {
    await test({ name, c, admin, schema: database.schema, record });
  } finally {
    for (const recording of recordings) recording.stop();
    await admin.query('ROLLBACK').catch(() => undefined);
    await admin.end();
    await c.close();
  }
}

/** How many entries the outbox of a schema holds. */
async function outboxEntries(admin: Client, schema: string): Promise<number> {
  return (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".outbox`)).rows[0].n;
}

type Recording = ReturnType<typeof recordStatements>;

/** Every statement the bot sends from now until `stop`, with the database process that ran it (one per connection). */
function recordStatements() {
  const sent: Array<{ backend: number; text: string; values?: unknown[] }> = [];
  const query = Client.prototype.query;
  Client.prototype.query = function (this: Client & { processID: number }, ...args: unknown[]) {
    const config = args[0] as string | { text: string; values?: unknown[] };
    sent.push({ backend: this.processID, text: typeof config === 'string' ? config : config.text, values: typeof config === 'string' ? (args[1] as unknown[] | undefined) : config.values });
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return { sent, stop: () => void (Client.prototype.query = query) };
}

/**
 * That `statement` went with the turn's state: on the lock's connection, in the transaction that commits the state —
 * the state's write after it, and no COMMIT between it and the check that runs right before that COMMIT.
 */
function expectWithTheState(sent: Recording['sent'], statement: (typeof sent)[number]) {
  const lock = sent.find((each) => each.text.includes('pg_try_advisory_lock'));
  expect(statement.backend).toBe(lock?.backend);
  const check = sent.findIndex((each) => each.text.includes('turn_write_in_time'));
  expect(check).toBeGreaterThan(sent.indexOf(statement));
  const between = sent.slice(sent.indexOf(statement), check);
  expect(between.some((each) => each.text.startsWith('INSERT INTO bot_state'))).toBe(true);
  expect(between.some((each) => each.text.includes('COMMIT'))).toBe(false);
}

/**
 * Holds the state table for writes (reads go on) until `release`; `writeWaiting` finds the bot's connection whose write
 * waits for it, once there is one.
 */
async function holdStateWrites(admin: Client, schema: string, name: string) {
  await admin.query('BEGIN');
  await admin.query(`LOCK TABLE "${schema}".bot_state IN EXCLUSIVE MODE`);
  return {
    async writeWaiting(): Promise<number> {
      // Up to 10 s: on a machine busy with other test files (a browser's, say) the turn may take seconds to get there.
      for (let tries = 0; tries < 333; tries++) {
        const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [name]);
        if (rows[0]) return rows[0].pid;
        await sleep(30);
      }
      throw new Error('no write of the bot waited for the table');
    },
    release: () => admin.query('COMMIT'),
  };
}

/** The kinds of the insights events stored in a schema, oldest first (a question by which one). */
async function eventsIn(admin: Client, schema: string): Promise<string[]> {
  const { rows } = await admin.query<{ kind: string; data: { question?: string; action?: string } }>(`SELECT kind, data FROM "${schema}".insights_events ORDER BY id`);
  return rows.map(({ kind, data }) => [kind, data.question ?? data.action].filter(Boolean).join(':'));
}

describe('STORAGE=postgres over HTTP', () => {
  it('survives the database ending its connections (restart, failover): the next turn works', () =>
    withItsOwnConnections(async ({ name, c, admin }) => {
      await c.say('hello');
      const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      expect(ended.rowCount).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await c.say('General questions')).join('\n')).toContain('Here is how cancelling works:');
    }));

  it('survives the database ending the connection while a save waits: the caller is told, and goes on from the same place', () =>
    withItsOwnConnections(async ({ name, c, admin, schema }) => {
      await c.say('hello');
      // Hold the table, so the next save waits inside its transaction; then end the bot's connections.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${schema}".bot_state IN ACCESS EXCLUSIVE MODE`);
      const pending = c.say('General questions');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      await admin.query('COMMIT');
      const said = (await pending).join('\n');
      expect(said).toContain('Sorry, something went wrong');
      expect(said).not.toContain('Here is how cancelling works:');
      expect((await c.say('General questions')).join('\n')).toContain('Here is how cancelling works:');
    }));

  it("reads a turn's state in the round trip that takes its lock, on the lock's connection: no read of its own", () =>
    withItsOwnConnections(async ({ c, record }) => {
      await c.say('hello');
      // The first turn's lock goes back on its own (no other turn came for its connection): the next turn takes it afresh.
      await sleep(GIVE_BACK_MS * 10);
      const { sent } = record();
      expect((await c.say('General questions')).join('\n')).toContain('Here is how cancelling works:');
      const lock = sent.find((statement) => statement.text.includes('pg_try_advisory_lock'));
      const reads = sent.filter((statement) => statement.text.startsWith('SELECT key, doc, etag FROM bot_state'));
      expect(reads).toHaveLength(1); // the conversation's state and the caller's, together
      expect(reads[0].backend).toBe(lock?.backend);
      expect(sent.indexOf(reads[0])).toBe(sent.indexOf(lock!) + 1);
    }));

  it("writes a turn's insights events with its state: on the lock's connection, in the transaction that commits the state", () =>
    withItsOwnConnections(async ({ c, admin, schema, record }) => {
      await c.say('hello');
      await sleep(GIVE_BACK_MS * 10);
      const { sent } = record();
      await c.say('Cancel subscription'); // asks for the user ID: a question noted
      const events = sent.filter((statement) => statement.text.startsWith('INSERT INTO insights_events'));
      expect(events).toHaveLength(1);
      expectWithTheState(sent, events[0]);
      expect(await eventsIn(admin, schema)).toEqual(['conversation-started', 'verification-question:userId']);
    }));

  it("keeps an action's receipt in the outbox with the turn's state (its transaction, on the lock's connection), and forgets it once delivered, with the lock's give-back", () =>
    withItsOwnConnections(async ({ c, admin, schema, record }) => {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm);
      const { sent } = record();
      expect((await c.say(c.words.yes)).join('\n')).toMatch(CASE_IN_TEXT);
      const kept = sent.filter((statement) => statement.text.trim().startsWith('INSERT INTO outbox'));
      expect(kept).toHaveLength(1);
      expectWithTheState(sent, kept[0]);
      // Delivered: deleted after the turn, on the lock's connection, right before the COMMIT that gives the lock back.
      const forgotten = () => sent.filter((statement) => statement.text.startsWith('DELETE FROM outbox'));
      await vi.waitFor(() => expect(forgotten()).toHaveLength(1), { timeout: 5_000 });
      await vi.waitFor(async () => expect(await outboxEntries(admin, schema)).toBe(0), { timeout: 5_000 });
      expect(forgotten()[0].backend).toBe(sent.find((each) => each.text.includes('pg_try_advisory_lock'))?.backend);
      expect(sent[sent.indexOf(forgotten()[0]) + 1]?.text).toMatch(/^COMMIT; SELECT pg_advisory_unlock/);
    }));

  it("deletes a delivered receipt's outbox entry once more on its own when the delete sent with the lock's give-back is not kept", () =>
    withItsOwnConnections(async ({ c, admin, schema, record }) => {
      // Deletes from the outbox are refused on the turn locks' connections (the only ones with an idle-in-transaction
      // limit: the server's default is none).
      await admin.query(`CREATE FUNCTION "${schema}".refused_on_lock_connections() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF current_setting('idle_in_transaction_session_timeout') <> '0' THEN RAISE EXCEPTION 'refused on a lock connection'; END IF;
          RETURN OLD;
        END $$`);
      await admin.query(`CREATE TRIGGER refused BEFORE DELETE ON "${schema}".outbox FOR EACH ROW EXECUTE FUNCTION "${schema}".refused_on_lock_connections()`);
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm);
      const { sent } = record();
      expect((await c.say(c.words.yes)).join('\n')).toMatch(CASE_IN_TEXT);
      const deletes = () => sent.filter((statement) => statement.text.startsWith('DELETE FROM outbox'));
      await vi.waitFor(() => expect(deletes()).toHaveLength(2), { timeout: 5_000 });
      const lockBackend = sent.find((each) => each.text.includes('pg_try_advisory_lock'))?.backend;
      expect(deletes().map((statement) => statement.backend === lockBackend)).toEqual([true, false]);
      await vi.waitFor(async () => expect(await outboxEntries(admin, schema)).toBe(0), { timeout: 5_000 });
    }));

  it('keeps no insights events of a turn that is not kept: the message said again is counted once', () =>
    withItsOwnConnections(async ({ c, admin, schema, name }) => {
      await c.say('hello');
      // The turn's state write (its events before it, in the same transaction) waits; then its connection ends.
      const held = await holdStateWrites(admin, schema, name);
      const pending = c.say('Cancel subscription');
      await admin.query('SELECT pg_terminate_backend($1)', [await held.writeWaiting()]);
      await held.release();
      expect((await pending).join('\n')).toContain('Sorry, something went wrong');
      expect(await eventsIn(admin, schema)).toEqual(['conversation-started']);
      expect((await c.say('Cancel subscription')).join('\n')).not.toContain('Sorry, something went wrong');
      expect(await eventsIn(admin, schema)).toEqual(['conversation-started', 'verification-question:userId']);
    }));

  it('keeps the events and the receipt of a turn that made a change although its state could not be saved, and the "yes" again is no second one', () =>
    withItsOwnConnections(async ({ c, admin, schema, name, record }) => {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm);
      // The change is made (on a connection of its own); then the turn's state write waits, and its connection ends.
      const held = await holdStateWrites(admin, schema, name);
      const statements = record();
      const pending = c.say(c.words.yes);
      const waiting = await held.writeWaiting();
      await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
      await held.release();
      expect((await pending).join('\n')).toMatch(CASE_IN_TEXT);
      statements.stop();
      // The receipt's outbox entry went with the state write that failed: it is kept again on its own, under the same id.
      const outboxed = statements.sent.filter((statement) => statement.text.trim().startsWith('INSERT INTO outbox'));
      expect(outboxed.map((statement) => statement.backend === waiting)).toEqual([true, false]);
      expect(outboxed[1].values?.[0]).toBe(outboxed[0].values?.[0]);
      const kept = await eventsIn(admin, schema);
      expect(kept.filter((kind) => kind.startsWith('action'))).toEqual(['action:turn-off-auto-renew']);
      expect(kept.filter((kind) => kind === 'receipt')).toHaveLength(1);
      // The receipt was delivered: its outbox entry, kept on its own once the state's write failed, is gone again.
      expect(await outboxEntries(admin, schema)).toBe(0);
      expect((await c.say(c.words.yes)).join('\n')).toMatch(CASE_IN_TEXT);
      expect((await eventsIn(admin, schema)).filter((kind) => kind.startsWith('action'))).toHaveLength(1);
    }));

  it('keeps the conversation in PostgreSQL through verification and a cancellation', async () => {
    const c = await startHttpConversation('en', 'test', { storage: fresh() });
    try {
      await c.verifyFor('cancel', 'anna');
      const said = (await c.say(c.words.endOfTerm, c.words.yes)).join('\n');
      expect(said).toMatch(CASE_IN_TEXT);
    } finally {
      await c.close();
    }
  });

  it('a message with control characters (a NUL byte, which PostgreSQL JSON refuses) is understood, not lost', async () => {
    const c = await startHttpConversation('en', 'test', { storage: fresh() });
    try {
      await c.say('hello');
      const said = (await c.say('General\u0000 questions\u0007\uD800')).join('\n');
      expect(said).toContain('Here is how cancelling works:');
      expect(said).not.toContain('Sorry, something went wrong');
      // And the conversation goes on from where it was: the state was saved.
      expect((await c.say('why?')).join('\n')).not.toContain('Sorry, something went wrong');
      // An emoji cut in half where a transcript line ends at 500 characters.
      expect((await c.say(`${'a'.repeat(499)}🙂`)).join('\n')).not.toContain('Sorry, something went wrong');
    } finally {
      await c.close();
    }
  });
});
