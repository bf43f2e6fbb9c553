import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite';
import { inOneTransaction, sqliteCommits } from '../../src/storage/sqliteCommits';

/** Reads that go together see the file as of one moment: one read lock for them all. */
describe('inOneTransaction, for reads', () => {
  let dir: string;
  let db: SqliteDatabase;
  /** Another connection to the same file (another instance of the process, or a tool). */
  let other: SqliteDatabase;
  const docOf = (key: string) => (db.prepare('SELECT doc FROM bot_state WHERE key = ?').get(key) as { doc: string } | undefined)?.doc;
  const writeFrom = (connection: SqliteDatabase, key: string, doc: string) =>
    connection.prepare("INSERT INTO bot_state (key, doc, etag, updated_at) VALUES (?, ?, 'e', 'now') ON CONFLICT (key) DO UPDATE SET doc = excluded.doc").run(key, doc);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reads-'));
    db = openSqliteDatabase(join(dir, 'bot.sqlite'));
    other = new Database(join(dir, 'bot.sqlite'));
    writeFrom(db, 'a', '1');
    writeFrom(db, 'b', '1');
  });
  afterEach(() => {
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees one snapshot: a commit made between its reads shows only after it', () => {
    const together = inOneTransaction(db);
    const read = together(() => {
      const a = docOf('a');
      writeFrom(other, 'a', '2');
      writeFrom(other, 'b', '2');
      return [a, docOf('b'), docOf('a')];
    });
    expect(read).toEqual(['1', '1', '1']);
    expect([docOf('a'), docOf('b')]).toEqual(['2', '2']);
    // Without it, each read sees the latest commit.
    const a = docOf('a');
    writeFrom(other, 'b', '3');
    expect([a, docOf('b')]).toEqual(['2', '3']);
  });

  it('inside a commit of waiting writes, reads what that commit wrote so far; an error rolls nothing else back and is thrown', () => {
    const together = inOneTransaction(db);
    const commits = sqliteCommits(db);
    const seen = commits.now(() => {
      writeFrom(db, 'a', 'in the commit');
      return together(() => docOf('a'));
    });
    expect(seen).toBe('in the commit');
    expect(() => together(() => {
      docOf('a');
      throw new Error('the reader failed');
    })).toThrow('the reader failed');
    expect(db.inTransaction).toBe(false);
    expect(docOf('a')).toBe('in the commit');
  });
});
