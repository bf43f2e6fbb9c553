import type { PostgresDatabase } from '../storage/postgresDatabase';
import type { TranscriptLine } from './handoffPacket';
import type { TranscriptLog } from './transcriptLog';

/** Transcript lines in PostgreSQL: one statement adds a turn's lines and trims the conversation to its last `keep`. */
export function createPostgresTranscriptLog(db: PostgresDatabase): TranscriptLog {
  return {
    async recent(key, limit) {
      const { rows } = await db.query<{ sender: TranscriptLine['from']; text: string; at: Date }>(
        'SELECT sender, text, at FROM transcript_lines WHERE conversation_key = $1 ORDER BY id DESC LIMIT $2',
        [key, limit],
      );
      return rows.reverse().map((row) => ({ from: row.sender, text: row.text, at: row.at.toISOString() }));
    },
    async append(key, lines, keep, within) {
      if (lines.length === 0) return false;
      const statement: [string, unknown[]] = [
        `WITH added AS (
           INSERT INTO transcript_lines (conversation_key, sender, text, at)
           SELECT $1, line.sender, line.text, line.at FROM unnest($2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS line (sender, text, at, n)
           ORDER BY line.n
           RETURNING id)
         DELETE FROM transcript_lines WHERE conversation_key = $1 AND id <= (
           SELECT id FROM (SELECT id FROM transcript_lines WHERE conversation_key = $1 UNION ALL SELECT id FROM added) AS kept
           ORDER BY id DESC LIMIT 1 OFFSET $5)`,
        [key, lines.map((line) => line.from), lines.map((line) => line.text), lines.map((line) => line.at), keep],
      ];
      // In a turn, with the turn's state: one round trip and one commit for both, and the lines kept exactly when it is.
      if (within?.database === db) {
        within.stage(statement);
        return true;
      }
      await db.query(...statement);
      return false;
    },
    async forget(key, within) {
      const statement: [string, unknown[]] = ['DELETE FROM transcript_lines WHERE conversation_key = $1', [key]];
      if (within?.database === db) within.stage(statement);
      else await db.query(...statement);
    },
    async deleteOlderThan(before) {
      return (await db.query('DELETE FROM transcript_lines WHERE at < $1', [before])).rowCount;
    },
  };
}
