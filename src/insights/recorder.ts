import { createHmac } from 'node:crypto';
import type { Logger } from '../log';
import type { TurnTransaction } from '../storage/conversationLock';
import { withinTime } from '../timing';
import { insightEventSchema, type InsightEvent, type InsightFacts, type InsightLanguage } from './events';
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
}

export interface InsightsRecorder {
  /**
   * Writes what was noted in one conversation. Never throws and never holds a turn up for long: insights are worth
   * less than the caller's conversation, so an event that cannot be written is logged (its kind only) and dropped.
   */
  record(source: InsightSource, noted: readonly NotedInsight[]): Promise<void>;
  /**
   * Stages what was noted in a turn with the turn's state write, where the log can (InsightsLog.stage): true when it
   * did, and the events are then kept exactly when the turn's state is. False when it did not or could not — nothing
   * is written then, and the caller `record`s the notes once the turn is kept. Never throws.
   */
  stage(source: InsightSource, noted: readonly NotedInsight[], within: TurnTransaction): Promise<boolean>;
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
  const recordInBatches = inBatches<InsightEvent>((events) => deps.log.record(events), MAX_WAITING_EVENTS);
  let hashKey: Promise<Buffer> | undefined;
  const key = () => {
    // Read once; a failed read is tried again with the next event rather than remembered.
    hashKey ??= deps.log.hashKey().catch((error: unknown) => {
      hashKey = undefined;
      throw error;
    });
    return hashKey;
  };

  /** The events of `noted`, under the conversation's anonymous key; an event the schema refuses is logged and left out. */
  const eventsOf = async (source: InsightSource, noted: readonly NotedInsight[]): Promise<InsightEvent[]> => {
    const conversation = anonymousConversationKey(await withinTime(key(), WAIT_MS), source.conversationKey);
    const events: InsightEvent[] = [];
    for (const { facts, at } of noted) {
      const parsed = insightEventSchema.safeParse({ ...facts, at: at.toISOString(), conversation, channel: source.channel, language: source.language });
      if (parsed.success) events.push(parsed.data);
      else deps.logger.warn('insights.event-invalid', { kind: facts.kind, issues: parsed.error.issues.map((issue) => issue.path.join('.')) });
    }
    return events;
  };

  return {
    async record(source, noted) {
      if (noted.length === 0) return;
      try {
        const events = await eventsOf(source, noted);
        if (events.length === 0) return;
        const written = recordInBatches(events);
        // A stalled database gets a second of the turn; the write goes on (or fails) without it.
        written.catch((error: unknown) => deps.logger.warn('insights.not-recorded', { kinds: events.map((e) => e.kind), error: error as Error }));
        await withinTime(written, WAIT_MS).catch(() => undefined);
      } catch (error) {
        deps.logger.warn('insights.not-recorded', { kinds: noted.map((n) => n.facts.kind), error: error as Error });
      }
    },
    async stage(source, noted, within) {
      if (noted.length === 0 || !deps.log.stage) return false;
      try {
        const events = await eventsOf(source, noted);
        // Every one refused (logged): nothing to write, now or later.
        return events.length === 0 || deps.log.stage(events, within);
      } catch (error) {
        // The key could not be read: `record` tries again once the turn is kept.
        deps.logger.warn('insights.not-staged', { kinds: noted.map((n) => n.facts.kind), error: error as Error });
        return false;
      }
    },
  };
}
