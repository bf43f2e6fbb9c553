import { describe, expect, it, vi } from 'vitest';

// Counts the decryptions the seal makes (the rest of node:crypto as it is).
const decipherings = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    createDecipheriv: (...args: Parameters<typeof crypto.createDecipheriv>) => {
      decipherings.count++;
      return crypto.createDecipheriv(...args);
    },
  };
});

const { createStateSeal, newStateKey } = await import('../../src/storage/stateSeal');
const { createSqliteStateStore, openSqliteDatabase } = await import('../../src/storage/sqlite');

const KEY = 'webchat/conversations/c1/';
const OTHER = 'webchat/conversations/c2/';
const json = JSON.stringify({ answers: { userId: 'anna@contoso.se', contactName: 'Åsa Öberg' }, n: 1 });

describe('the documents a seal remembers', () => {
  it('opens what it sealed or opened last for a key without decrypting it again; anything else is decrypted and checked', () => {
    const seal = createStateSeal(newStateKey());
    const stored = seal.seal(KEY, json);
    decipherings.count = 0;
    // What this process sealed a turn ago, read back (a copy of the text, as a database hands it out).
    expect(seal.openJson(KEY, stored.split('').join(''))).toBe(json);
    expect(decipherings.count).toBe(0);

    // The same text under another row's key: decrypted, and refused (the key is authenticated).
    expect(seal.openJson(OTHER, stored)).toBeUndefined();
    expect(decipherings.count).toBe(1);
    // One changed character: decrypted, and refused.
    const changed = stored.slice(0, 20) + (stored[20] === 'A' ? 'B' : 'A') + stored.slice(21);
    expect(seal.openJson(KEY, changed)).toBeUndefined();
    expect(decipherings.count).toBe(2);

    // Sealed by another process (or before a restart): decrypted once, then remembered.
    const elsewhere = createStateSeal(Buffer.alloc(32, 7));
    const theirs = elsewhere.seal(OTHER, json);
    const mine = createStateSeal(Buffer.alloc(32, 7));
    decipherings.count = 0;
    expect(mine.openJson(OTHER, theirs)).toBe(json);
    expect(mine.openJson(OTHER, theirs)).toBe(json);
    expect(decipherings.count).toBe(1);
    // A newer document for the key replaces the one remembered.
    const newer = elsewhere.seal(OTHER, '{"n":2}');
    expect(mine.openJson(OTHER, newer)).toBe('{"n":2}');
    expect(decipherings.count).toBe(2);
  });

  it('forgets the oldest past a thousand keys', () => {
    const seal = createStateSeal(newStateKey());
    const first = seal.seal('key-0', json);
    for (let i = 1; i <= 1000; i++) seal.seal(`key-${i}`, json);
    decipherings.count = 0;
    expect(seal.openJson('key-0', first)).toBe(json);
    expect(decipherings.count).toBe(1);
  });

  it('forgets a deleted document, and after a sweep every document: their answers do not outlive them in memory', () => {
    const seal = createStateSeal(newStateKey());
    const stored = seal.seal(KEY, json);
    const other = seal.seal(OTHER, json);
    seal.forget(KEY);
    decipherings.count = 0;
    expect(seal.openJson(KEY, stored)).toBe(json);
    expect(seal.openJson(OTHER, other)).toBe(json);
    expect(decipherings.count).toBe(1);
    seal.forget();
    expect(seal.openJson(OTHER, other)).toBe(json);
    expect(decipherings.count).toBe(2);
  });

  it('the SQLite store forgets what it deletes and what its sweep removes', async () => {
    const db = openSqliteDatabase(':memory:');
    const store = createSqliteStateStore(db);
    const storedText = () => (db.prepare('SELECT doc FROM bot_state WHERE key = ?').get(KEY) as { doc: string }).doc;
    const putBack = (doc: string) => db.prepare("INSERT INTO bot_state (key, doc, etag, updated_at) VALUES (?, ?, 'e', '2000-01-01T00:00:00.000Z')").run(KEY, doc);
    await store.write({ [KEY]: { n: 1 } });
    const doc = storedText();
    decipherings.count = 0;
    await store.read([KEY]);
    expect(decipherings.count).toBe(0);

    // The same text back in the table after a delete (a restore): opened afresh, not taken from memory.
    await store.delete([KEY]);
    putBack(doc);
    expect(await store.read([KEY])).toMatchObject({ [KEY]: { n: 1 } });
    expect(decipherings.count).toBe(1);

    await store.read([KEY]);
    expect(decipherings.count).toBe(1);
    expect(await store.deleteIdle('conversations', new Date())).toBe(1);
    putBack(doc);
    await store.read([KEY]);
    expect(decipherings.count).toBe(2);
    await store.close();
  });
});
