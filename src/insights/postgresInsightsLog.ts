import { randomBytes } from 'node:crypto';
import type { QueryConfig } from 'pg';
import type { PostgresDatabase } from '../storage/postgresDatabase';
import { factsOf, type InsightEvent, type LoggedInsightEvent } from './events';
import { eventFromRow, type InsightsLog } from './insightsLog';

interface Row {
  at: Date | string;
  kind: string;
  conversation: string;
  channel: string;
  language: string;
  data: Record<string, unknown>;
}

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters at eight a row. */
const BATCH = 1000;

/** The insights events in PostgreSQL, shared by every instance. */
export function createPostgresInsightsLog(db: PostgresDatabase): InsightsLog {
  /** One multi-row INSERT: `$1…$8` for the first row, and so on; an event whose id is there already is left out. */
  const insertOf = (events: readonly LoggedInsightEvent[], demo: boolean): [string, unknown[]] => {
    const params: unknown[] = [];
    const rows = events.map((event) => {
      params.push(event.at, event.kind, event.conversation, event.channel, event.language, JSON.stringify(factsOf(event)), demo, event.eventId ?? null);
      const n = params.length - 8;
      return `($${n + 1}::timestamptz, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}::jsonb, $${n + 7}, $${n + 8})`;
    });
    return [`INSERT INTO insights_events (at, kind, conversation, channel, language, data, demo, event_id) VALUES ${rows.join(', ')} ON CONFLICT (event_id) DO NOTHING`, params];
  };
  /** One statement per batch: the demo data is tens of thousands of rows. */
  const insertAll = async (query: (sql: string, params: unknown[]) => Promise<unknown>, events: readonly LoggedInsightEvent[], demo: boolean) => {
    for (let start = 0; start < events.length; start += BATCH) await query(...insertOf(events.slice(start, start + BATCH), demo));
  };

  return {
    async record(events) {
      if (events.length === 0) return;
      // Most turns note one or two events: one statement, no transaction of its own.
      if (events.length <= BATCH) await insertAll((sql, params) => db.query(sql, params), events, false);
      else await db.transaction((client) => insertAll((sql, params) => client.query(sql, params), events, false));
    },
    stage(events, within) {
      // A turn notes a few events, never a batch's worth.
      if (within.database !== db || events.length === 0 || events.length > BATCH) return false;
      within.stage(insertOf(events, false));
      return true;
    },
    async read({ from, to, language }) {
      const { rows } = await db.query<Row>(
        `SELECT at, kind, conversation, channel, language, data FROM insights_events
         WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR language = $3) ORDER BY at, id`,
        [from, to, language ?? null],
      );
      return rows.map((row) => eventFromRow({ ...row, at: new Date(row.at).toISOString() })).filter((event): event is InsightEvent => event !== undefined);
    },
    async isEmpty() {
      const { rows } = await db.query('SELECT 1 FROM insights_events LIMIT 1');
      return rows.length === 0;
    },
    async replaceDemoEvents(events) {
      return db.transaction(async (client) => {
        // The demo's rows can be many: this transaction may take longer than a turn's queries.
        await client.query('SET LOCAL statement_timeout = 120000');
        const removed = await client.query('DELETE FROM insights_events WHERE demo');
        await insertAll((sql, params) => client.query({ text: sql, values: params, query_timeout: 120_000 } as QueryConfig), events, true);
        return { removed: removed.rowCount ?? 0, added: events.length };
      });
    },
    async hashKey() {
      // The first instance to get here makes the key; every other one (now or later) reads that one.
      await db.query('INSERT INTO insights_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [randomBytes(32)]);
      const { rows } = await db.query<{ key: Buffer }>('SELECT key FROM insights_key WHERE id = 1');
      return rows[0].key;
    },
  };
}
