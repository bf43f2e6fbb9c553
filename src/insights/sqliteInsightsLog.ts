import { randomBytes } from 'node:crypto';
import type { SqliteDatabase } from '../storage/sqlite';
import { sqliteCommits } from '../storage/sqliteCommits';
import { factsOf, type InsightEvent } from './events';
import { eventFromRow, type InsightsLog } from './insightsLog';

interface Row {
  at: string;
  kind: string;
  conversation: string;
  channel: string;
  language: string;
  data: string;
}

/**
 * The insights events in the SQLite file (times as ISO text, which sorts as time does). A turn's events wait for the next
 * commit (sqliteCommits): the next turn's state write, or the event loop coming round; every read commits them first.
 */
export function createSqliteInsightsLog(db: SqliteDatabase): InsightsLog {
  const insert = db.prepare<{ at: string; kind: string; conversation: string; channel: string; language: string; data: string; demo: number }>(
    `INSERT INTO insights_events (at, kind, conversation, channel, language, data, demo)
     VALUES (@at, @kind, @conversation, @channel, @language, @data, @demo)`,
  );
  const select = db.prepare<{ from: string; to: string; language: string | null }, Row>(
    `SELECT at, kind, conversation, channel, language, data FROM insights_events
     WHERE at >= @from AND at < @to AND (@language IS NULL OR language = @language) ORDER BY at, id`,
  );
  const any = db.prepare<[], { found: number }>('SELECT 1 AS found FROM insights_events LIMIT 1');
  const removeDemo = db.prepare('DELETE FROM insights_events WHERE demo = 1');
  const keepKey = db.prepare<[Buffer]>('INSERT INTO insights_key (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING');
  const readKey = db.prepare<[], { key: Buffer }>('SELECT key FROM insights_key WHERE id = 1');

  const insertAll = (events: readonly InsightEvent[], demo: boolean) => {
    for (const event of events) insert.run({ at: event.at, kind: event.kind, conversation: event.conversation, channel: event.channel, language: event.language, data: JSON.stringify(factsOf(event)), demo: demo ? 1 : 0 });
  };
  const commits = sqliteCommits(db);
  const replaceDemo = db.transaction((events: readonly InsightEvent[]) => {
    const removed = removeDemo.run().changes;
    insertAll(events, true);
    return { removed, added: events.length };
  });

  return {
    async record(events) {
      if (events.length) commits.later(() => insertAll(events, false));
    },
    async read({ from, to, language }) {
      commits.flush();
      return select
        .all({ from: from.toISOString(), to: to.toISOString(), language: language ?? null })
        .map((row) => eventFromRow({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }))
        .filter((event): event is InsightEvent => event !== undefined);
    },
    async isEmpty() {
      commits.flush();
      return any.get() === undefined;
    },
    async replaceDemoEvents(events) {
      commits.flush();
      return replaceDemo.immediate(events);
    },
    async hashKey() {
      keepKey.run(randomBytes(32));
      return (readKey.get() as { key: Buffer }).key;
    },
  };
}
