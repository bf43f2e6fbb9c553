import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite';
import { sqliteCommits } from '../../src/storage/sqliteCommits';
import { createSqliteOutbox } from '../../src/storage/sqliteOutbox';
import type { OutboxItem } from '../../src/storage/outbox';

/** Appends wait for the next commit of the file: the turn's state write, or the event loop coming round. */
describe('sqliteCommits', () => {
  let dir: string;
  let db: SqliteDatabase;
  /** Another connection to the same file: it sees only what was committed. */
  let other: SqliteDatabase;
  const lines = () => (other.prepare('SELECT text FROM transcript_lines ORDER BY id').all() as Array<{ text: string }>).map((row) => row.text);
  const states = () => (other.prepare('SELECT key FROM bot_state ORDER BY key').all() as Array<{ key: string }>).map((row) => row.key);
  const append = (text: string) => () => {
    db.prepare("INSERT INTO transcript_lines (conversation_key, sender, text, at) VALUES ('c', 'caller', ?, '2026-12-02T00:00:00Z')").run(text);
  };
  const writeState = (key: string) => () => db.prepare("INSERT INTO bot_state (key, doc, etag, updated_at) VALUES (?, '{}', 'e', 'now')").run(key);
  const nextLoop = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commits-'));
    db = openSqliteDatabase(join(dir, 'bot.sqlite'));
    other = new Database(join(dir, 'bot.sqlite'));
  });
  afterEach(() => {
    other.close();
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a waiting append goes in with the next write, in one commit, in the order they came', () => {
    const commits = sqliteCommits(db);
    commits.later(append('hej'));
    commits.later(append('Säg upp'));
    expect(lines()).toEqual([]);
    commits.now(writeState('conversation-1'));
    expect(lines()).toEqual(['hej', 'Säg upp']);
    expect(states()).toEqual(['conversation-1']);
  });

  it('with no write coming, the appends are committed when the event loop comes round', async () => {
    sqliteCommits(db).later(append('hej'));
    expect(lines()).toEqual([]);
    await nextLoop();
    expect(lines()).toEqual(['hej']);
  });

  it('a write that fails is taken back alone and thrown: the appends waiting are committed all the same', () => {
    const commits = sqliteCommits(db);
    commits.later(append('hej'));
    expect(() =>
      commits.now(() => {
        writeState('half-done')();
        throw new Error('eTag conflict');
      }),
    ).toThrow('eTag conflict');
    expect(lines()).toEqual(['hej']);
    expect(states()).toEqual([]);
  });

  it('an append that cannot be written is reported and dropped; the others go in', () => {
    const commits = sqliteCommits(db);
    const failures: unknown[] = [];
    commits.onFailure = (error) => failures.push(error);
    commits.later(append('före'));
    commits.later(() => db.prepare("INSERT INTO transcript_lines (conversation_key, sender, text, at) VALUES ('c', 'nobody', 'x', 'now')").run());
    commits.later(append('efter'));
    commits.flush();
    expect(lines()).toEqual(['före', 'efter']);
    expect(String(failures[0])).toContain('CHECK constraint');
  });

  it('a file that refuses the commit keeps the appends waiting, in order, and they go in once it takes them', async () => {
    db.pragma('busy_timeout = 0');
    const commits = sqliteCommits(db);
    const failures: unknown[] = [];
    commits.onFailure = (error) => failures.push(error);
    commits.later(append('ett'));
    other.exec('BEGIN IMMEDIATE');
    expect(() => commits.now(writeState('conversation-1'))).toThrow(/locked|busy/i);
    commits.later(append('två'));
    await nextLoop();
    expect(failures.length).toBeGreaterThan(0);
    other.exec('COMMIT');
    commits.now(writeState('conversation-1'));
    expect(lines()).toEqual(['ett', 'två']);
    expect(states()).toEqual(['conversation-1']);
  });

  describe('writes a turn awaits (soon): the turns that end in the same round of the event loop share one commit', () => {
    /** Counts the file's commits: the transactions begun outside another (made before the file's commits are). */
    const countCommits = () => {
      const counted = { commits: 0 };
      const original = db.transaction.bind(db);
      db.transaction = ((fn: (...args: unknown[]) => unknown) => {
        const transaction = original(fn);
        return (...args: unknown[]) => {
          if (!db.inTransaction) counted.commits++;
          return transaction(...args);
        };
      }) as typeof db.transaction;
      return counted;
    };

    it('three turns\' writes and the appends waiting go in with one commit, when the loop comes round, each resolving', async () => {
      const counted = countCommits();
      const commits = sqliteCommits(db);
      commits.later(append('hej'));
      const written = [commits.soon(writeState('conversation-1')), commits.soon(writeState('conversation-2')), commits.soon(() => 'value')];
      expect(states()).toEqual([]);
      expect(await Promise.all(written)).toEqual([expect.anything(), expect.anything(), 'value']);
      expect(states()).toEqual(['conversation-1', 'conversation-2']);
      expect(lines()).toEqual(['hej']);
      expect(counted.commits).toBe(1);
    });

    it('a write that fails rejects alone: the other turns\' writes of the round are committed all the same', async () => {
      const commits = sqliteCommits(db);
      const failing = commits.soon(() => {
        writeState('half-done')();
        throw new Error('eTag conflict');
      });
      const fine = commits.soon(writeState('conversation-1'));
      await expect(failing).rejects.toThrow('eTag conflict');
      await fine;
      expect(states()).toEqual(['conversation-1']);
    });

    it('a synchronous write (now) takes the writes awaited before it into its commit, in order, and settles them', async () => {
      const counted = countCommits();
      const commits = sqliteCommits(db);
      const first = commits.soon(writeState('conversation-1'));
      commits.now(writeState('conversation-2'));
      expect(states()).toEqual(['conversation-1', 'conversation-2']);
      await first;
      await nextLoop();
      expect(counted.commits).toBe(1);
    });

    it('a file that refuses the commit rejects every awaited write in it, writes none of them, and keeps the appends waiting', async () => {
      db.pragma('busy_timeout = 0');
      const commits = sqliteCommits(db);
      const failures: unknown[] = [];
      commits.onFailure = (error) => failures.push(error);
      commits.later(append('ett'));
      other.exec('BEGIN IMMEDIATE');
      const written = [commits.soon(writeState('conversation-1')), commits.soon(writeState('conversation-2'))];
      for (const write of written) await expect(write).rejects.toThrow(/locked|busy/i);
      other.exec('COMMIT');
      expect(states()).toEqual([]);
      // While the appends wait out the pause after a failed commit, a turn's write is still tried at once.
      await commits.soon(writeState('conversation-3'));
      expect(states()).toEqual(['conversation-3']);
      expect(lines()).toEqual(['ett']);
    });

    it('a write that makes SQLite roll the whole commit back (a full disk) fails every write of the round, each appended once', async () => {
      const commits = sqliteCommits(db);
      commits.onFailure = () => undefined;
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 3}`);
      commits.later(append('ett'));
      const big = commits.soon(() => db.prepare("INSERT INTO bot_state (key, doc, etag, updated_at) VALUES ('big', ?, 'e', 'now')").run('x'.repeat(100_000)));
      const small = commits.soon(writeState('conversation-1'));
      commits.later(append('två'));
      await expect(big).rejects.toThrow(/full/i);
      // Nothing of the round was committed, so nothing of it is said to be: the small write is not in either.
      await expect(small).rejects.toThrow();
      expect(states()).toEqual([]);
      db.pragma('max_page_count = 1073741823');
      commits.flush();
      expect(lines()).toEqual(['ett', 'två']);
    });

    it('a closed file rejects a write awaited for it instead of leaving the turn waiting for ever', async () => {
      const commits = sqliteCommits(db);
      const write = commits.soon(writeState('conversation-1'));
      db.close();
      await expect(write).rejects.toThrow('closed');
    });
  });

  it('one set of commits per file, whichever store asks', () => {
    expect(sqliteCommits(db)).toBe(sqliteCommits(db));
    expect(sqliteCommits(db)).not.toBe(sqliteCommits(other));
  });

  describe('a turn\'s receipt in the outbox', () => {
    const receipt: OutboxItem = { kind: 'replies', conversation: { id: 'c' }, activities: [{ type: 'message', text: 'Klart' }], otherwise: [], caseReference: 'CX-AAAA-22' };
    const kept = () => (other.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;

    it('is committed with the state that counts the turn handled: one commit, never one without the other', async () => {
      const outbox = createSqliteOutbox(db);
      await outbox.add(receipt, new Date());
      expect(kept()).toBe(0);
      sqliteCommits(db).now(writeState('conversation-1'));
      expect(kept()).toBe(1);
      expect(states()).toEqual(['conversation-1']);
    });

    it('said while the file refused the turn\'s commit, it is taken back: never written, so never sent again', async () => {
      db.pragma('busy_timeout = 0');
      const outbox = createSqliteOutbox(db);
      const held = await outbox.add(receipt, new Date(0));
      other.exec('BEGIN IMMEDIATE'); // another writer holds the file: the state write fails, the receipt keeps waiting
      expect(() => sqliteCommits(db).now(writeState('conversation-1'))).toThrow(/locked|busy/i);
      expect(await outbox.done(held)).toBe(true); // the turn said its replies: the receipt goes, without the file
      other.exec('COMMIT');
      sqliteCommits(db).now(writeState('conversation-1'));
      expect(kept()).toBe(0);
      expect(await outbox.claimNext(new Date(), new Date(Date.now() + 60_000))).toBeUndefined();
    });

    it('a follow-up promised to the caller is committed at once', async () => {
      await createSqliteOutbox(db).add({ ...receipt, kind: 'after-pending-case' }, new Date());
      expect(kept()).toBe(1);
    });

    it('is seen by the worker and taken away by done even while it still waits for its commit', async () => {
      const outbox = createSqliteOutbox(db);
      const held = await outbox.add(receipt, new Date(0));
      expect(await outbox.counts()).toEqual({ pending: 1, failed: 0 });
      expect(await outbox.done(held)).toBe(true);
      await nextLoop();
      expect(kept()).toBe(0);
      expect(await outbox.claimNext(new Date(), new Date(Date.now() + 60_000))).toBeUndefined();
    });
  });
});
