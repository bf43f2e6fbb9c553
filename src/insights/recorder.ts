import { createHmac } from 'node:crypto';
import type { Logger } from '../log';
import type { TurnTransaction } from '../storage/conversationLock';
import { withinTime } from '../timing';
import { insightEventSchema, type InsightFacts, type InsightLanguage, type LoggedInsightEvent } from './events';
import type { InsightsLog } from './insightsLog';

/** Where events come from: one conversation, as the bot knows it (never stored as such). */
export interface InsightSource {
  /** `${channelId}/${conversationId}`: hashed before anything is written. */
  conversationKey: string;
  channel: string;
  language: InsightLanguage;
}

export interface NotedInsight {
  facts: InsightFacts;
  at: Date;
  /** Given when the note is staged with a turn's state write: written again under it, the event is kept once. */
  id?: string;
}

export interface InsightsRecorder {
  /**
   * Writes what was noted in one conversation. Never throws and never holds a turn up for long: insights are worth
   * less than the caller's conversation, so an event that cannot be written is logged (its kind only) and dropped.
   */
  record(source: InsightSource, noted: readonly NotedInsight[]): Promise<void>;
  /**
   * Stages what was noted in a turn with the turn's state write, where the log can (InsightsLog.stage) and the key is
   * read already (so the write never waits for it): true when it did, and the events are then kept exactly when the
   * turn's state is — under the notes' ids, given by the caller. False when it did not or could not — nothing is
   * written then, and the caller `record`s the notes once the turn is kept. Never throws.
   */
  stage(source: InsightSource, noted: readonly NotedInsight[], within: TurnTransaction): boolean;
}

/**
 * The anonymous key of a conversation: an HMAC of its channel and ID under the database's own key. The same
 * conversation always gets the same key (its events can be followed through verification); without the key, nobody
 * can tell which conversation it was, and the conversation's ID appears nowhere in the events.
 */
export function anonymousConversationKey(hashKey: Buffer, conversationKey: string): string {
  return createHmac('sha256', hashKey).update(conversationKey).digest('hex').slice(0, 32);
}

/** Events waiting for the write before theirs, at most (a few seconds of a busy instance's turns). */
const MAX_WAITING_EVENTS = 5_000;

/** How long a turn waits for its events to be written. */
const WAIT_MS = 1_000;

/**
 * Writes through `write` one batch at a time: what is asked for while a batch is on its way goes out as the next batch,
 * together — under load, one statement for many turns' events instead of one each (a group commit). Each caller's
 * promise settles with the batch that held its items.
 */
function inBatches<T>(write: (items: T[]) => Promise<void>, maxWaiting: number): (items: readonly T[]) => Promise<void> {
  let writing = false;
  let next: { items: T[]; written: Promise<void>; settle: (outcome: Promise<void>) => void } | undefined;
  const start = (items: T[]): Promise<void> => {
    writing = true;
    // Never a throw here (a write that throws at once is a failed write): `writing` must always be reset.
    const written = Promise.resolve().then(() => write(items));
    const after = () => {
      writing = false;
      const batch = next;
      next = undefined;
      if (batch) batch.settle(start(batch.items));
    };
    written.then(after, after);
    return written;
  };
  return (items) => {
    if (!writing) return start([...items]);
    // A database much slower than the turns: what would wait beyond this is refused (logged by the turn) instead.
    if ((next?.items.length ?? 0) + items.length > maxWaiting) return Promise.reject(new Error('too many insights events waiting for the database'));
    if (!next) {
      let settle!: (outcome: Promise<void>) => void;
      const written = new Promise<void>((resolve) => (settle = resolve));
      next = { items: [], written, settle };
    }
    next.items.push(...items);
    return next.written;
  };
}

export function createInsightsRecorder(deps: { log: InsightsLog; logger: Logger }): InsightsRecorder {
  const recordInBatches = inBatches<LoggedInsightEvent>((events) => deps.log.record(events), MAX_WAITING_EVENTS);
  let hashKey: Promise<Buffer> | undefined;
  /** The key once read: a turn's events go with its state write only then, so that write never waits for it. */
  let keyRead: Buffer | undefined;
  const key = () => {
    // Read once; a failed read is tried again with the next event rather than remembered.
    hashKey ??= deps.log.hashKey().then(
      (read) => (keyRead = read),
      (error: unknown) => {
        hashKey = undefined;
        throw error;
      },
    );
    return hashKey;
  };

  /** The events of `noted`, under the conversation's anonymous key; an event the schema refuses is logged and left out. */
  const eventsOf = (hashKey: Buffer, source: InsightSource, noted: readonly NotedInsight[]): LoggedInsightEvent[] => {
    const conversation = anonymousConversationKey(hashKey, source.conversationKey);
    const events: LoggedInsightEvent[] = [];
    for (const { facts, at, id } of noted) {
      const parsed = insightEventSchema.safeParse({ ...facts, at: at.toISOString(), conversation, channel: source.channel, language: source.language });
      if (parsed.success) events.push(id ? { ...parsed.data, eventId: id } : parsed.data);
      else deps.logger.warn('insights.event-invalid', { kind: facts.kind, issues: parsed.error.issues.map((issue) => issue.path.join('.')) });
    }
    return events;
  };

  return {
    async record(source, noted) {
      if (noted.length === 0) return;
      try {
        const events = eventsOf(await withinTime(key(), WAIT_MS), source, noted);
        if (events.length === 0) return;
        const written = recordInBatches(events);
        // A stalled database gets a second of the turn; the write goes on (or fails) without it.
        written.catch((error: unknown) => deps.logger.warn('insights.not-recorded', { kinds: events.map((e) => e.kind), error: error as Error }));
        await withinTime(written, WAIT_MS).catch(() => undefined);
      } catch (error) {
        deps.logger.warn('insights.not-recorded', { kinds: noted.map((n) => n.facts.kind), error: error as Error });
      }
    },
    stage(source, noted, within) {
      // Without the key read yet (the instance's first events, or the database away), `record` writes them once the
      // turn is kept, and reads it.
      if (noted.length === 0 || !deps.log.stage || !keyRead) return false;
      try {
        const events = eventsOf(keyRead, source, noted);
        // Every one refused (logged): nothing to write, now or later.
        return events.length === 0 || deps.log.stage(events, within);
      } catch (error) {
        deps.logger.warn('insights.not-staged', { kinds: noted.map((n) => n.facts.kind), error: error as Error });
        return false;
      }
    },
  };
}
