import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createSqliteStateStore, openSqliteDatabase } from '../../src/storage/sqlite';
import { sqliteStateKey } from '../../src/storage/stateKey';
import { createStateSeal, newStateKey, parseStateKey } from '../../src/storage/stateSeal';

const dir = mkdtempSync(join(tmpdir(), 'seal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'webchat/conversations/c1/';
const doc = { answers: { userId: 'anna@contoso.se', contactName: 'Åsa Öberg' }, n: 1 };

describe('conversation state sealed at rest', () => {
  const seal = createStateSeal(newStateKey());

  it('shows nothing of the document, and opens to exactly what was sealed', () => {
    const stored = seal.seal(KEY, JSON.stringify(doc));
    expect(stored).toMatch(/^\{"sealed":"1\.[\w-]+"\}$/);
    expect(stored).not.toContain('anna');
    expect(seal.open(KEY, stored)).toEqual(doc);
    // PostgreSQL hands the JSON column back parsed.
    expect(seal.open(KEY, JSON.parse(stored))).toEqual(doc);
    // A new nonce each time: the same document twice is two different texts.
    expect(seal.seal(KEY, JSON.stringify(doc))).not.toBe(stored);
  });

  it('does not open with another key, under another row, or with a byte changed', () => {
    const stored = seal.seal(KEY, JSON.stringify(doc));
    expect(createStateSeal(newStateKey()).open(KEY, stored)).toBeUndefined();
    expect(seal.open('webchat/conversations/c2/', stored)).toBeUndefined();
    const at = stored.length - 10;
    const changed = `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    expect(seal.open(KEY, changed)).toBeUndefined();
    expect(seal.open(KEY, '{"sealed":"2.abc"}')).toBeUndefined();
    expect(seal.open(KEY, '{"sealed":"1.abc"}')).toBeUndefined();
  });

  it('still reads a document stored before sealing (plain JSON), as text or parsed', () => {
    expect(seal.open(KEY, JSON.stringify(doc))).toEqual(doc);
    expect(seal.open(KEY, doc)).toEqual(doc);
  });

  it('takes an operator key as base64 or 64 hex digits, and refuses anything else (without echoing it)', () => {
    const key = newStateKey();
    expect(parseStateKey(key.toString('base64'))).toEqual(key);
    expect(parseStateKey(key.toString('hex'))).toEqual(key);
    expect(parseStateKey('too-short')).toBeUndefined();
    expect(loadConfig({ STATE_ENCRYPTION_KEY: key.toString('base64') })).toMatchObject({ ok: true, config: { stateEncryptionKey: key } });
    const refused = loadConfig({ STATE_ENCRYPTION_KEY: 'not-a-key-at-all' });
    expect(refused).toMatchObject({ ok: false, problems: [expect.stringMatching(/^STATE_ENCRYPTION_KEY: .*\(value hidden\)/)] });
  });
});

describe('the key of the embedded database', () => {
  it('is made once, in a file beside the database that only its owner reads, and kept across restarts', async () => {
    const path = join(dir, 'kept.sqlite');
    const first = createSqliteStateStore(openSqliteDatabase(path));
    await first.write({ [KEY]: doc });
    await first.close();
    expect(statSync(`${path}.key`).mode & 0o777).toBe(0o600);
    const key = readFileSync(`${path}.key`, 'utf8');

    const again = createSqliteStateStore(openSqliteDatabase(path));
    expect(await again.read([KEY])).toMatchObject({ [KEY]: doc });
    await again.close();
    expect(readFileSync(`${path}.key`, 'utf8')).toBe(key);
    // The file alone shows nothing of the answers.
    expect(readFileSync(path).toString('latin1') + readFileSync(`${path}-wal`, { flag: 'a+' }).toString('latin1')).not.toContain('contoso');
  });

  it('an operator key is used instead; state sealed with another key reads as absent, and the store says so', async () => {
    const path = join(dir, 'operator.sqlite');
    const db = openSqliteDatabase(path);
    const operatorKey = newStateKey();
    const unreadable: string[] = [];
    const store = createSqliteStateStore(db, false, { key: operatorKey, onUnreadable: (key) => unreadable.push(key) });
    await store.write({ [KEY]: doc });
    expect(await store.read([KEY])).toMatchObject({ [KEY]: doc });
    // The file's own key (made for the database) does not open what the operator's key sealed.
    expect(createStateSeal(sqliteStateKey(db)).open(KEY, (db.prepare('SELECT doc FROM bot_state').get() as { doc: string }).doc)).toBeUndefined();
    // The key changed (the operator rotated it without moving the state): the conversation starts afresh, logged.
    const rotated = createSqliteStateStore(db, false, { key: newStateKey(), onUnreadable: (key) => unreadable.push(key) });
    expect(await rotated.read([KEY])).toEqual({});
    expect(unreadable).toEqual([KEY]);
    await rotated.write({ [KEY]: { n: 2 } });
    expect(await rotated.read([KEY])).toMatchObject({ [KEY]: { n: 2 } });
    db.close();
  });
});
