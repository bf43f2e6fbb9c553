import type { TurnTransaction } from '../storage/conversationLock';
import { insightEventSchema, type InsightEvent, type InsightLanguage, type LoggedInsightEvent } from './events';

/** Events from `from` (inclusive) to `to` (exclusive), of conversations in one language or both. */
export interface InsightsQuery {
  from: Date;
  to: Date;
  language?: InsightLanguage;
}

/**
 * The events table behind the insights page (src/insights/events.ts says what a row may hold). Append-only for live
 * events; the demo data (`npm run demo:data`) is marked as such and only ever replaces itself.
 */
export interface InsightsLog {
  /** Events with an `eventId` already kept under it are not kept again (where a log can stage: PostgreSQL). */
  record(events: readonly LoggedInsightEvent[]): Promise<void>;
  /**
   * A turn's events, to be kept exactly when its state is: staged with the turn's state write when `within`, the turn
   * lock's transaction, is on this log's database (one statement in the turn's own round trip and commit, none on a
   * connection of its own). True when staged (not yet kept); false when not (another database, or a log that cannot).
   */
  stage?(events: readonly LoggedInsightEvent[], within: TurnTransaction): boolean;
  /** Oldest first. */
  read(query: InsightsQuery): Promise<InsightEvent[]>;
  /** Whether there is any event at all, live or demo (the demo fill at start-up only fills an empty table). */
  isEmpty(): Promise<boolean>;
  /** Deletes the demo events there are and writes these instead, together; live events stay as they are. */
  replaceDemoEvents(events: readonly InsightEvent[]): Promise<{ removed: number; added: number }>;
  /**
   * The key of the conversation hash (recorder.ts): made once per database on first use and the same for every
   * instance, so one conversation has one key wherever its turns run. It never leaves the database and the process.
   */
  hashKey(): Promise<Buffer>;
}

/** A stored row back as an event, checked like any input: a row that no longer fits the schema is left out. */
export function eventFromRow(row: { at: string; kind: string; conversation: string; channel: string; language: string; data: Record<string, unknown> }): InsightEvent | undefined {
  const parsed = insightEventSchema.safeParse({ ...row.data, at: row.at, kind: row.kind, conversation: row.conversation, channel: row.channel, language: row.language });
  return parsed.success ? parsed.data : undefined;
}

/** The longest range one read may cover: a year, which is also what the page and the API accept. */
export const MAX_RANGE_DAYS = 366;
