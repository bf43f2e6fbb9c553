import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStateStore, type StateStore } from '../../src/storage';
import { createPostgresStateStore } from '../../src/storage/postgres';
import { openPostgresDatabase } from '../../src/storage/postgresDatabase';
import { createPostgresConversationLock } from '../../src/storage/postgresConversationLock';
import { createSqliteStateStore, openSqliteDatabase } from '../../src/storage/sqlite';
import { ONLY_IF_ABSENT } from '../../src/storage/stateStore';
import { freshPostgresSchema, PG_URL } from '../support/postgres';

const dir = mkdtempSync(join(tmpdir(), 'bot-state-'));
// This file's own PostgreSQL schema (test files run in parallel on one database), dropped when the file is done.
const pg = freshPostgresSchema();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pg.drop();
});

/** A PostgreSQL state store on its own connection pools (as one bot instance has), closing them when it closes. */
const openPostgresStore = async () => createPostgresStateStore(await openPostgresDatabase(PG_URL, { schema: pg.schema }), true);

const stores: Array<[string, () => Promise<StateStore>]> = [
  ['memory', async () => memoryStateStore()],
  ['sqlite', async () => createSqliteStateStore(openSqliteDatabase(join(dir, `${randomUUID()}.sqlite`)))],
  ['postgres', openPostgresStore],
];

describe.each(stores)('%s state store', (_kind, open) => {
  const key = () => `test/${randomUUID()}`;

  it('answers a ping, reads back what it wrote with an eTag, and deletes', async () => {
    const store = await open();
    try {
      await store.ping();
      const k = key();
      await store.write({ [k]: { language: 'sv', nested: { å: 'ö' } } });
      const read = await store.read([k, key()]);
      expect(Object.keys(read)).toEqual([k]);
      expect(read[k]).toMatchObject({ language: 'sv', nested: { å: 'ö' } });
      expect(typeof read[k].eTag).toBe('string');
      await store.delete([k]);
      expect(await store.read([k])).toEqual({});
    } finally {
      await store.close();
    }
  });

  it('a create-only write fails when the item exists (two first writes cannot both win)', async () => {
    const store = await open();
    try {
      const k = key();
      await store.write({ [k]: { n: 1, eTag: ONLY_IF_ABSENT } });
      await expect(store.write({ [k]: { n: 2, eTag: ONLY_IF_ABSENT } })).rejects.toThrow(/eTag conflict/);
      expect((await store.read([k]))[k]).toMatchObject({ n: 1 });
    } finally {
      await store.close();
    }
  });

  it('refuses a write based on a stale eTag, accepts one based on the current eTag or *', async () => {
    const store = await open();
    try {
      const k = key();
      await store.write({ [k]: { turn: 1 } });
      const first = (await store.read([k]))[k];
      await store.write({ [k]: { ...first, turn: 2 } });
      await expect(store.write({ [k]: { ...first, turn: 3 } })).rejects.toThrow(/eTag conflict/);
      expect((await store.read([k]))[k]).toMatchObject({ turn: 2 });
      const current = (await store.read([k]))[k];
      await store.write({ [k]: { ...current, turn: 4 } });
      await store.write({ [k]: { turn: 5, eTag: '*' } });
      expect((await store.read([k]))[k]).toMatchObject({ turn: 5 });
    } finally {
      await store.close();
    }
  });
});

describe('sqlite state store', () => {
  it('keeps state across a reopened file', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = createSqliteStateStore(openSqliteDatabase(path));
    await first.write({ 'user/1': { language: 'en' } });
    await first.close();
    const second = createSqliteStateStore(openSqliteDatabase(path));
    expect((await second.read(['user/1']))['user/1']).toMatchObject({ language: 'en' });
    await second.close();
  });

  it('a conflicting change rolls back the whole write', async () => {
    const store = createSqliteStateStore(openSqliteDatabase(join(dir, 'atomic.sqlite')));
    await store.write({ a: { v: 1 } });
    const stale = (await store.read(['a'])).a;
    await store.write({ a: { ...stale, v: 2 } });
    await expect(store.write({ b: { v: 1 }, a: { ...stale, v: 3 } })).rejects.toThrow(/eTag conflict/);
    expect(await store.read(['b'])).toEqual({});
    await store.close();
  });
});

describe('postgres state store', () => {
  it('two instances on one database see each other and cannot overwrite each other blindly', async () => {
    const [one, two] = [await openPostgresStore(), await openPostgresStore()];
    try {
      const k = `test/${randomUUID()}`;
      await one.write({ [k]: { by: 'one' } });
      const seen = (await two.read([k]))[k];
      expect(seen).toMatchObject({ by: 'one' });
      await one.write({ [k]: { ...seen, by: 'one again' } });
      await expect(two.write({ [k]: { ...seen, by: 'two' } })).rejects.toThrow(/eTag conflict/);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('reads asked for together go as one query, each reader getting its own keys', async () => {
    const db = await openPostgresDatabase(PG_URL, { schema: pg.schema });
    const queries: string[] = [];
    const counted = { ...db, query: ((sql: string, params?: unknown[]) => (queries.push(sql), db.query(sql, params))) as typeof db.query };
    const store = createPostgresStateStore(counted, false);
    try {
      const [conversation, user, absent] = [`test/${randomUUID()}/conversations/c`, `test/${randomUUID()}/users/u`, `test/${randomUUID()}`];
      await store.write({ [conversation]: { place: 'menu' } });
      await store.write({ [user]: { language: 'sv' } });
      queries.length = 0;
      const [a, b, c] = await Promise.all([store.read([conversation]), store.read([user]), store.read([absent])]);
      expect(queries).toHaveLength(1);
      expect(Object.keys(a)).toEqual([conversation]);
      expect(a[conversation]).toMatchObject({ place: 'menu', eTag: expect.any(String) });
      expect(b).toEqual({ [user]: expect.objectContaining({ language: 'sv' }) });
      expect(c).toEqual({});
      // A read after them is a query of its own, not an answer remembered.
      await store.write({ [conversation]: { ...a[conversation], place: 'cancel' } });
      expect((await store.read([conversation]))[conversation]).toMatchObject({ place: 'cancel' });
    } finally {
      await db.close();
    }
  });

  it('the items of one write outside a turn go with their BEGIN and COMMIT in one message: one round trip', async () => {
    const db = await openPostgresDatabase(PG_URL, { schema: pg.schema });
    const store = createPostgresStateStore(db, false);
    /** What went to the database, one entry per write to a socket (a system call: a corked burst is one). */
    const sent: string[] = [];
    const socket = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => unknown>;
    const originals = { _write: socket._write, _writev: socket._writev };
    const databasePort = Number(new URL(PG_URL).port || 5432);
    try {
      const [k1, k2] = [`test/${randomUUID()}`, `test/${randomUUID()}`];
      await store.write({ [k1]: { n: 1 } }); // the key read and a connection opened, first
      const before = (await store.read([k1]))[k1];
      for (const method of ['_write', '_writev'] as const) {
        socket[method] = function (this: Socket, chunks: unknown, ...rest: unknown[]) {
          if (this.remotePort === databasePort) sent.push(bytesOf(chunks).toString('latin1'));
          return originals[method].call(this, chunks, ...rest);
        };
      }
      // Conditional, as the verification counters are: one over the version read, one only if absent.
      await store.write({ [k1]: { ...before, n: 2 }, [k2]: { n: 1, eTag: ONLY_IF_ABSENT } });
      Object.assign(socket, originals);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatch(/BEGIN[^]*UPDATE bot_state[^]*INSERT INTO bot_state[^]*turn_write_in_time[^]*COMMIT/);
      expect(await store.read([k1, k2])).toEqual({ [k1]: expect.objectContaining({ n: 2 }), [k2]: expect.objectContaining({ n: 1 }) });
    } finally {
      Object.assign(socket, originals);
      await db.close();
    }
  });

  it('outside a turn, an item that may only be created and exists fails the whole write: nothing kept, the connection fit for the next', async () => {
    const db = await openPostgresDatabase(PG_URL, { schema: pg.schema, poolSize: 1 });
    const store = createPostgresStateStore(db, false);
    try {
      const [created, gone] = [`test/${randomUUID()}`, `test/${randomUUID()}`];
      await store.write({ [created]: { n: 1 } });
      // `gone` has an eTag whose row is not there: created, were it not for `created`'s conflict.
      // The error names the item that could not be written, not the first.
      await expect(store.write({ [gone]: { n: 1, eTag: 'gone' }, [created]: { n: 2, eTag: ONLY_IF_ABSENT } })).rejects.toThrow(`"${created}" due to eTag conflict`);
      expect(await store.read([created, gone])).toEqual({ [created]: expect.objectContaining({ n: 1 }) });
      // The pool's one connection is out of the failed transaction: the next write on it is kept.
      await store.write({ [gone]: { n: 1, eTag: 'gone' } });
      expect(await store.read([gone])).toEqual({ [gone]: expect.objectContaining({ n: 1 }) });
    } finally {
      await db.close();
    }
  });

  it('outside a turn, of parallel writes over one version (or creating one item) exactly one wins, the others conflict', async () => {
    const db = await openPostgresDatabase(PG_URL, { schema: pg.schema });
    const store = createPostgresStateStore(db, false);
    const winners = (outcomes: PromiseSettledResult<void>[]) => {
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/eTag conflict/);
      return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    };
    try {
      for (let round = 0; round < 5; round++) {
        const [counter, created] = [`test/${randomUUID()}`, `test/${randomUUID()}`];
        await store.write({ [counter]: { n: 0 } });
        const read = (await store.read([counter]))[counter];
        expect(winners(await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.write({ [counter]: { ...read, n: i + 1 } }))))).toBe(1);
        expect(winners(await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.write({ [created]: { n: i, eTag: ONLY_IF_ABSENT } }))))).toBe(1);
      }
    } finally {
      await db.close();
    }
  });

  it('in a turn, an item whose write fails ends the transaction only once every other item has had its answers: none kept on its own', async () => {
    const db = await openPostgresDatabase(PG_URL, { schema: pg.schema });
    const store = createPostgresStateStore(db, false);
    const lock = createPostgresConversationLock(db);
    /** Statements sent once the write had failed (after its ROLLBACK): they would run outside the transaction. */
    const late: string[] = [];
    let over = false;
    const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
    try {
      const [created, gone] = [`test/${randomUUID()}`, `test/${randomUUID()}`];
      await store.write({ [created]: { n: 1 } });
      Client.prototype.query = function (this: Client, ...args: unknown[]) {
        const sql = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text ?? '';
        if (over && sql.includes('bot_state')) late.push(sql); // the lock's own statements go on after the turn
        const answered = query.apply(this, args);
        // The conditional update's answer comes late (as behind a busy row): the other item has failed by then.
        return sql.startsWith('UPDATE') ? (answered as Promise<unknown>).then((result) => sleep(50).then(() => result)) : answered;
      } as typeof Client.prototype.query;
      // `created` may only be created (it exists: a conflict at once); `gone` has an eTag whose row is not there (an
      // UPDATE that finds nothing, then an INSERT).
      const written = lock.run(`test/${randomUUID()}`, (_held, turn) => store.write({ [created]: { n: 2, eTag: ONLY_IF_ABSENT }, [gone]: { n: 1, eTag: 'gone' } }, turn));
      await expect(written.finally(() => (over = true))).rejects.toThrow(/eTag conflict/);
      await sleep(100);
      expect(late).toEqual([]);
      Client.prototype.query = query as typeof Client.prototype.query;
      expect(await store.read([created, gone])).toEqual({ [created]: expect.objectContaining({ n: 1 }) });
    } finally {
      Client.prototype.query = query as typeof Client.prototype.query;
      await db.close();
    }
  });

  it('the items of one write are written all or none', async () => {
    const db = await openPostgresDatabase(PG_URL, { schema: pg.schema });
    const store = createPostgresStateStore(db, false);
    try {
      const [k1, k2] = [`test/${randomUUID()}`, `test/${randomUUID()}`];
      await store.write({ [k1]: { n: 1 } });
      const read = (await store.read([k1]))[k1];
      await store.write({ [k1]: { ...read, n: 2 } });
      // Stale eTag on k1: neither k2 nor k1 is written.
      await expect(store.write({ [k2]: { n: 1 }, [k1]: { ...read, n: 3 } })).rejects.toThrow(/eTag conflict/);
      expect(await store.read([k1, k2])).toEqual({ [k1]: expect.objectContaining({ n: 2 }) });
    } finally {
      await db.close();
    }
  });
});

/** The bytes of what `_write` or `_writev` was given. */
function bytesOf(chunks: unknown): Buffer {
  const parts = Array.isArray(chunks) ? chunks.map((entry: { chunk: unknown }) => entry.chunk) : [chunks];
  return Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(String(part)))));
}
