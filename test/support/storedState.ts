import type Database from 'better-sqlite3';
import { sqliteStateKey } from '../../src/storage/stateKey';
import { createStateSeal } from '../../src/storage/stateSeal';

/**
 * A conversation's state as stored in a test's SQLite file, and as the bot reads it: `stored` is what a copy of the
 * file shows (sealed), `json` the document opened with the key file beside it.
 */
export function conversationState(db: Database.Database, conversationId = ''): { key: string; stored: string; json: string } | undefined {
  const row = db.prepare<[string], { key: string; doc: string }>("SELECT key, doc FROM bot_state WHERE key LIKE '%/conversations/' || ? || '%'").get(conversationId);
  if (!row) return undefined;
  const doc = createStateSeal(sqliteStateKey(db)).open(row.key, row.doc);
  if (!doc) throw new Error(`the state of ${row.key} does not open with the key beside the database`);
  return { key: row.key, stored: row.doc, json: JSON.stringify(doc) };
}
