import type { Activity, ConversationReference } from 'botbuilder';
import type { Logger } from '../log';
import type { JsonObject, Outbox, OutboxEntry } from '../storage/outbox';
import { safeToSendAgain } from './replyRetry';

/** What a pending case came to when it was tried again (see AccountActions.retryPending). */
export type PendingCaseOutcome = 'done-now' | 'settled-before' | 'not-done';

export interface OutboxWorkerOptions {
  outbox: Outbox;
  /** Sends one activity into the conversation, proactively (through the adapter, with its retries). */
  deliver(conversation: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void>;
  /** Makes a pending case's change; throws while the backend is still away. */
  retryPendingCase(reference: string): Promise<PendingCaseOutcome>;
  logger: Logger;
  /** How often to look for due entries. */
  intervalMs: number;
  /** An entry older than this is given up (kept as failed, for a person). */
  maxAgeMs: number;
  /** The machine's clock: entries are timed with it. */
  clock?: () => Date;
}

/**
 * The wait before the next try: doubling from the interval, with jitter, at most twelve intervals (a minute by default)
 * so a receipt follows soon after the connector is back, and never more than five minutes.
 */
function backoffMs(attempts: number, intervalMs: number): number {
  const wait = Math.min(intervalMs * 2 ** Math.max(0, attempts - 1), intervalMs * 12, 300_000);
  return wait / 2 + Math.random() * (wait / 2);
}

/**
 * Delivers what the outbox holds, on every instance: each entry is claimed with a lease, so one instance sends it.
 * A pending case is settled first (its receipt only if this worker got it done; a case someone else settled was
 * told by them). A failure that is safe to repeat (412, 429, 502–504, refused) is tried again later; one that may
 * have been posted (500, a broken connection, no answer) is not: the entry is kept as failed and logged for an agent.
 */
export function startOutboxWorker(options: OutboxWorkerOptions): { runOnce(): Promise<number>; stop(): void } {
  const clock = options.clock ?? (() => new Date());
  let running: Promise<number> | undefined;

  async function deliverEntry(entry: OutboxEntry, activities: JsonObject[]): Promise<void> {
    const left = [...activities];
    try {
      while (left.length > 0) {
        await options.deliver(entry.conversation as Partial<ConversationReference>, left[0] as Partial<Activity>);
        left.shift();
      }
      await options.outbox.done(entry.id);
      options.logger.info('outbox.delivered', { id: entry.id, attempts: entry.attempts });
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      if (!safeToSendAgain(error)) {
        await options.outbox.giveUp(entry.id, message);
        options.logger.error('outbox.delivery-uncertain', { id: entry.id, caseReference: entry.caseReference, error: error as Error });
        return;
      }
      await options.outbox.retryLater(entry.id, { kind: 'replies', activities: left }, new Date(clock().getTime() + backoffMs(entry.attempts, options.intervalMs)), message);
      options.logger.warn('outbox.not-delivered-yet', { id: entry.id, attempts: entry.attempts, error: error as Error });
    }
  }

  async function handle(entry: OutboxEntry): Promise<void> {
    if (clock().getTime() - entry.createdAt.getTime() > options.maxAgeMs) {
      await options.outbox.giveUp(entry.id, 'expired'); // older than maxAgeMs
      options.logger.error('outbox.gave-up', { id: entry.id, caseReference: entry.caseReference, attempts: entry.attempts });
      return;
    }
    if (entry.kind === 'replies') return deliverEntry(entry, entry.activities);
    let outcome: PendingCaseOutcome;
    try {
      outcome = await options.retryPendingCase(entry.caseReference as string);
    } catch (error) {
      await options.outbox.retryLater(entry.id, { kind: entry.kind, activities: entry.activities }, new Date(clock().getTime() + backoffMs(entry.attempts, options.intervalMs)), (error as Error)?.message ?? String(error));
      options.logger.warn('outbox.case-still-pending', { caseReference: entry.caseReference, attempts: entry.attempts, error: error as Error });
      return;
    }
    options.logger.info('outbox.case-retried', { caseReference: entry.caseReference, outcome });
    if (outcome === 'settled-before') return options.outbox.done(entry.id);
    // From here it is a message to deliver; if that fails, the case is not settled a second time.
    return deliverEntry(entry, outcome === 'done-now' ? entry.activities : entry.otherwise);
  }

  async function runOnce(): Promise<number> {
    const now = clock();
    // Leased well past the longest delivery, so no other worker takes an entry this one is still sending.
    const entries = await options.outbox.claimDue(now, new Date(now.getTime() + Math.max(60_000, options.intervalMs * 4)), 20);
    for (const entry of entries) {
      try {
        await handle(entry);
      } catch (error) {
        options.logger.error('outbox.entry-failed', { id: entry.id, error: error as Error });
      }
    }
    return entries.length;
  }

  const timer = setInterval(() => {
    running ??= runOnce()
      .catch((error: Error) => {
        options.logger.warn('outbox.unavailable', { error });
        return 0;
      })
      .finally(() => (running = undefined));
  }, options.intervalMs);
  timer.unref();
  return {
    // One pass at a time: a pass asked for while one runs waits for it, then runs.
    runOnce: async () => {
      await running;
      return runOnce();
    },
    stop: () => clearInterval(timer),
  };
}
