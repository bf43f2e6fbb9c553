// As many generated accounts as conversations: each scripted caller verifies against an account of their own and
// cancels its subscription at the end of the term. Written into the product's SQLite directory once it has its schema.
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';

export function caller(i) {
  return {
    userId: `admin${i}@bench${i}.se`,
    phone: '070-123 45 67',
    contactName: 'Anna Lindqvist',
    organisationName: `Benchbolaget ${i} AB`,
    postalAddress: 'Storgatan 12, 114 55 Stockholm',
  };
}

/** Caller i's 14 messages: greeting, cancel, the six verification answers, end of term, yes, a reason, a question, no, thanks. */
export function script(i) {
  const c = caller(i);
  return ['hej', 'Säg upp prenumerationen', c.userId, c.phone, c.contactName, c.organisationName, c.postalAddress, 'ja', 'Vid periodens slut', 'ja', 'För dyrt', 'Hur länge sparas datan?', 'nej', 'tack'];
}

export function seedAccounts(path, count) {
  const db = new Database(path);
  const termEnd = new Date(Date.now() + 120 * 86_400_000).toISOString().slice(0, 10);
  const account = db.prepare('INSERT OR IGNORE INTO accounts (id, organisation_name, contact_name, phone, street, postal_code, town, country) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)');
  const user = db.prepare('INSERT OR IGNORE INTO account_users (user_id, account_id, is_admin) VALUES (?, ?, 1)');
  const subscription = db.prepare(
    `INSERT OR IGNORE INTO subscriptions (id, account_id, plan, kind, channel, billing, assigned_licenses, term_end, auto_renew,
       has_payment_method, custom_domains, status, cancelled_at, data_deletion_at)
     VALUES (?, ?, 'SMALL_BUSINESS', 'PAID', 'DIRECT', 'ANNUAL', 10, ?, 1, 1, '[]', 'ACTIVE', NULL, NULL)`,
  );
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const c = caller(i);
      account.run(`acc-bench-${i}`, c.organisationName, c.contactName, '+46701234567', 'Storgatan 12', '114 55', 'Stockholm');
      user.run(c.userId, `acc-bench-${i}`);
      subscription.run(`sub-bench-${i}`, `acc-bench-${i}`, termEnd);
    }
  })();
  db.close();
}

/**
 * Stored state: bytes of keys and values in the product's state table, per conversation that has any — of the
 * conversations (and their callers) whose keys contain `keyPart`.
 */
export function stateBytes(path, keyPart = '') {
  const db = new Database(path, { readonly: true });
  const { bytes } = db.prepare('SELECT SUM(length(CAST(key AS BLOB)) + length(CAST(doc AS BLOB))) AS bytes FROM bot_state WHERE instr(key, ?) > 0').get(keyPart);
  const { conversations } = db.prepare("SELECT COUNT(*) AS conversations FROM bot_state WHERE key LIKE '%/conversations/%' AND instr(key, ?) > 0").get(keyPart);
  db.close();
  return { bytes: bytes ?? 0, conversations };
}

/**
 * How many of the generated subscriptions of callers `from` to `to` (exclusive) no longer renew: the scripted
 * cancellations that really happened.
 */
export function endOfTermCancellations(path, from, to) {
  const db = new Database(path, { readonly: true });
  const { n } = db
    .prepare("SELECT COUNT(*) AS n FROM subscriptions WHERE id LIKE 'sub-bench-%' AND CAST(substr(id, 11) AS INTEGER) >= ? AND CAST(substr(id, 11) AS INTEGER) < ? AND auto_renew = 0")
    .get(from, to);
  db.close();
  return n;
}

/** Stored conversations from `from` up to `to` (exclusive), each a copy of `doc` under a key of its own. */
export function fillConversations(path, from, to, doc) {
  const db = new Database(path);
  // Made by SQLite itself (a recursive count), not row by row from here: a million rows take seconds, not a minute.
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
     INSERT INTO bot_state (key, doc, etag, updated_at) SELECT 'webchat/conversations/stored-' || i || '/', ?, 'e' || i, ? FROM n`,
  ).run(from, to, doc, new Date().toISOString());
  db.close();
  // Measured once the machine has settled: the file written out, not still being flushed while turns are timed.
  execFileSync('sync');
}

/** One conversation's stored state as the product left it (the copy the scale runs store a million times). */
export function storedConversation(path) {
  const db = new Database(path, { readonly: true });
  const row = db.prepare("SELECT doc FROM bot_state WHERE key LIKE '%/conversations/%' ORDER BY length(doc) DESC LIMIT 1").get();
  db.close();
  return row.doc;
}
