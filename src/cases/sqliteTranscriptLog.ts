import type { SqliteDatabase } from '../storage/sqlite';
import { sqliteCommits } from '../storage/sqliteCommits';
import type { TranscriptLine } from './handoffPacket';
import type { TranscriptLog } from './transcriptLog';

/**
 * Transcript lines in the SQLite file (times as ISO text, which sorts as time does). A turn's lines wait for the commit
 * of its state (sqliteCommits): one commit for both; every read commits what waits first.
 */
export function createSqliteTranscriptLog(db: SqliteDatabase): TranscriptLog {
  const insert = db.prepare<[string, string, string, string]>('INSERT INTO transcript_lines (conversation_key, sender, text, at) VALUES (?, ?, ?, ?)');
  const trim = db.prepare<[string, string, number]>(
    `DELETE FROM transcript_lines WHERE conversation_key = ? AND id <= (
       SELECT id FROM transcript_lines WHERE conversation_key = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  );
  const select = db.prepare<[string, number], { sender: TranscriptLine['from']; text: string; at: string }>(
    'SELECT sender, text, at FROM transcript_lines WHERE conversation_key = ? ORDER BY id DESC LIMIT ?',
  );
  const remove = db.prepare<[string]>('DELETE FROM transcript_lines WHERE conversation_key = ?');
  const removeOld = db.prepare<[string]>('DELETE FROM transcript_lines WHERE at < ?');
  const commits = sqliteCommits(db);
  const appendAll = (key: string, lines: readonly TranscriptLine[], keep: number) => {
    for (const line of lines) insert.run(key, line.from, line.text, line.at);
    trim.run(key, key, keep);
  };
  return {
    async recent(key, limit) {
      commits.flush();
      return select.all(key, limit).reverse().map((row) => ({ from: row.sender, text: row.text, at: row.at }));
    },
    async append(key, lines, keep) {
      if (lines.length > 0) commits.later(() => appendAll(key, lines, keep));
      return false;
    },
    async forget(key) {
      commits.flush();
      remove.run(key);
    },
    async deleteOlderThan(before) {
      commits.flush();
      return removeOld.run(before.toISOString()).changes;
    },
  };
}
