import { execFile } from 'node:child_process';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createSqliteStateStore, openSqliteDatabase } from '../../src/storage/sqlite';
import { sqliteStateKey } from '../../src/storage/stateKey';
import { shortenJson } from '../../src/storage/stateDictionary';
import { createStateSeal, newStateKey, parseStateKey } from '../../src/storage/stateSeal';
import { createAttemptLedger, userAttemptKey } from '../../src/verification/attempts';
import type { AttemptHistory } from '../../src/policy';

const dir = mkdtempSync(join(tmpdir(), 'seal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'webchat/conversations/c1/';

/** A stored document made without the seal: `plain` under the key derived with `info`, labelled `format`. */
function sealedByHand(secret: Buffer, info: string, format: string, plain: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32)), iv);
  cipher.setAAD(Buffer.from(KEY, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `{"sealed":"${format}${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}"}`;
}
const doc = { answers: { userId: 'anna@contoso.se', contactName: 'Åsa Öberg' }, n: 1 };

describe('conversation state sealed at rest', () => {
  const seal = createStateSeal(newStateKey());

  it('shows nothing of the document, and opens to exactly what was sealed', () => {
    const stored = seal.seal(KEY, JSON.stringify(doc));
    expect(stored).toMatch(/^\{"sealed":"2\.[\w-]+"\}$/);
    expect(stored).not.toContain('anna');
    expect(seal.open(KEY, stored)).toEqual(doc);
    // PostgreSQL hands the JSON column back parsed.
    expect(seal.open(KEY, JSON.parse(stored))).toEqual(doc);
    // A new nonce each time: the same document twice is two different texts.
    expect(seal.seal(KEY, JSON.stringify(doc))).not.toBe(stored);
  });

  it('takes a new IV for every document, also across the refills of its pool', () => {
    const ivs = Array.from({ length: 450 }, () => Buffer.from(JSON.parse(seal.seal(KEY, '{}')).sealed.slice(2), 'base64url').subarray(0, 12).toString('hex'));
    expect(new Set(ivs).size).toBe(450);
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

  it('deflates what the dictionary cannot take (a control character), and still opens what was deflated before it', () => {
    const withControl = '{"note":"a\u0001b"}';
    expect(seal.seal(KEY, withControl)).toMatch(/^\{"sealed":"1\.[\w-]+"\}$/);
    // Opened by a seal that never saw it (nothing remembered): from the text alone.
    const key = newStateKey();
    expect(createStateSeal(key).openJson(KEY, createStateSeal(key).seal(KEY, withControl))).toBe(withControl);
    // Format 1 as written before the dictionary: deflated, under the format-1 key, the store key as associated data.
    expect(createStateSeal(key).open(KEY, sealedByHand(key, 'conversation-state-v1', '1.', deflateRawSync(JSON.stringify(doc))))).toEqual(doc);
  });

  it('opens a format only under its own key: bytes relabelled as the other format do not open', () => {
    const key = newStateKey();
    const fresh = () => createStateSeal(key); // nothing remembered: each open decrypts
    const short = Buffer.from(shortenJson(JSON.stringify(doc))!, 'utf8');
    expect(fresh().open(KEY, sealedByHand(key, 'conversation-state-v2', '2.', short))).toEqual(doc);
    // The same shortened bytes under the format-1 key, labelled 2 (or the reverse): refused, not decoded another way.
    expect(fresh().open(KEY, sealedByHand(key, 'conversation-state-v1', '2.', short))).toBeUndefined();
    const deflated = deflateRawSync(JSON.stringify(doc));
    expect(fresh().open(KEY, sealedByHand(key, 'conversation-state-v2', '1.', deflated))).toBeUndefined();
    // And a seal's own documents, relabelled.
    const sealed = fresh().seal(KEY, JSON.stringify(doc));
    expect(fresh().open(KEY, sealed.replace('"2.', '"1.'))).toBeUndefined();
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
    // Node's base64 decoder skips what it cannot read: a mistyped key must not pass as some other key.
    expect(parseStateKey(`!!!${key.toString('base64')}???`)).toBeUndefined();
    expect(parseStateKey('a'.repeat(43))).toEqual(Buffer.from('a'.repeat(43), 'base64'));
    expect(parseStateKey('a'.repeat(42))).toBeUndefined();
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

  it('an operator key is used instead; state sealed with another key reads as empty, and the store says so', async () => {
    const path = join(dir, 'operator.sqlite');
    const db = openSqliteDatabase(path);
    const operatorKey = newStateKey();
    const unreadable: string[] = [];
    const store = createSqliteStateStore(db, false, { key: operatorKey, onUnreadable: (key) => unreadable.push(key) });
    await store.write({ [KEY]: doc });
    expect(await store.read([KEY])).toMatchObject({ [KEY]: doc });
    // The file's own key (made for the database) does not open what the operator's key sealed.
    expect(createStateSeal(sqliteStateKey(db)).open(KEY, (db.prepare('SELECT doc FROM bot_state').get() as { doc: string }).doc)).toBeUndefined();
    // The key changed (the operator rotated it without moving the state): an empty item with its eTag — the
    // conversation starts afresh, logged — which the next write, conditional or not, replaces.
    const rotated = createSqliteStateStore(db, false, { key: newStateKey(), onUnreadable: (key) => unreadable.push(key) });
    const storedETag = (db.prepare('SELECT etag FROM bot_state').get() as { etag: string }).etag;
    expect(await rotated.read([KEY])).toEqual({ [KEY]: { eTag: storedETag } });
    expect(unreadable).toEqual([KEY]);
    await rotated.write({ [KEY]: { n: 2, eTag: storedETag } });
    expect(await rotated.read([KEY])).toMatchObject({ [KEY]: { n: 2 } });
    db.close();
  });

  it('a verification ledger sealed under a lost key: counting failures starts again rather than failing for ever', async () => {
    const path = join(dir, 'ledger.sqlite');
    const db = openSqliteDatabase(path);
    const before = createAttemptLedger(createSqliteStateStore(db, false, { key: newStateKey() }));
    const keys = [userAttemptKey('anna@contoso.se')];
    const failed = (history: AttemptHistory) => ({ failures: [...history.failures, new Date('2026-12-01T10:00:00Z')] });
    await before.update(keys, failed);
    const after = createAttemptLedger(createSqliteStateStore(db, false, { key: newStateKey() }));
    expect(await after.read(keys)).toEqual([{ failures: [] }]);
    expect(await after.update(keys, failed)).toEqual([{ failures: [new Date('2026-12-01T10:00:00Z')] }]);
    db.close();
  });

  it('two processes starting on one new database make one key between them, never a file half written', async () => {
    const path = join(dir, 'race.sqlite');
    openSqliteDatabase(path).close();
    const script = `const { sqliteStateKey } = require(${JSON.stringify(join(__dirname, '../../dist/src/storage/stateKey.js'))}); process.stdout.write(sqliteStateKey({ memory: false, name: ${JSON.stringify(path)} }).toString('hex'));`;
    const keys = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve, reject) => execFile(process.execPath, ['-e', script], (error, stdout) => (error ? reject(error) : resolve(stdout))))));
    expect(new Set(keys).size).toBe(1);
    expect(readdirSync(dir).filter((name) => name.startsWith('race.sqlite.key'))).toEqual(['race.sqlite.key']);
  });
});
