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

/** Entries handled per pass, one claim at a time. */
const ENTRIES_PER_PASS = 20;
/** One entry's claim: far longer than settling a case and sending its replies can take (each send has a 12 s budget). */
const LEASE_MS = 180_000;
/** A failed entry is kept this long for a person to look at, then deleted (it may name a conversation). */
const FAILED_KEPT_MS = 30 * 24 * 3_600_000;

/**
 * The wait before the next try: doubling from the interval, with jitter, at most twelve intervals (a minute by default)
 * so a receipt follows soon after the connector is back, and never more than five minutes.
 */
function backoffMs(attempts: number, intervalMs: number): number {
  const wait = Math.min(intervalMs * 2 ** Math.max(0, attempts - 1), intervalMs * 12, 300_000);
  return wait / 2 + Math.random() * (wait / 2);
}

const messageOf = (error: unknown) => (error as Error)?.message ?? String(error);

/**
 * Delivers what the outbox holds, on every instance: each entry is claimed with a lease and a token, so one instance
 * sends it, and an instance whose lease ran out can no longer finish or re-plan it. A pending case is settled first;
 * what to say is then written into the entry before anything is sent, so a crash after the settlement still leaves
 * the message to deliver (and never settles the case twice). A failure that is safe to repeat (412, 429, 502–504,
 * refused, not sent) is tried again later; one that may have been posted (500, a broken connection, no answer) is not:
 * the entry is kept as failed and logged for an agent.
 */
export function startOutboxWorker(options: OutboxWorkerOptions): { runOnce(): Promise<number>; stop(): Promise<void> } {
  const clock = options.clock ?? (() => new Date());
  let running: Promise<number> | undefined;
  let stopped = false;
  const later = (attempts: number) => new Date(clock().getTime() + backoffMs(attempts, options.intervalMs));

  async function deliver(entry: OutboxEntry, activities: JsonObject[]): Promise<void> {
    const left = [...activities];
    let failure: unknown;
    try {
      while (left.length > 0) {
        await options.deliver(entry.conversation as Partial<ConversationReference>, left[0] as Partial<Activity>);
        left.shift();
      }
    } catch (error) {
      failure = error;
    }
    // Store errors from here on are the store's, never read as the connector's answer.
    if (failure === undefined) {
      await options.outbox.done(entry.claim);
      options.logger.info('outbox.delivered', { id: entry.claim.id, attempts: entry.attempts });
    } else if (!safeToSendAgain(failure)) {
      await options.outbox.giveUp(entry.claim, messageOf(failure));
      options.logger.error('outbox.delivery-uncertain', { id: entry.claim.id, caseReference: entry.caseReference, error: failure as Error });
    } else {
      await options.outbox.retryLater(entry.claim, { kind: 'replies', activities: left }, later(entry.attempts), messageOf(failure));
      options.logger.warn('outbox.not-delivered-yet', { id: entry.claim.id, attempts: entry.attempts, error: failure as Error });
    }
  }

  async function handle(entry: OutboxEntry): Promise<void> {
    if (clock().getTime() - entry.createdAt.getTime() > options.maxAgeMs) {
      await options.outbox.giveUp(entry.claim, 'expired'); // older than maxAgeMs
      options.logger.error('outbox.gave-up', { id: entry.claim.id, caseReference: entry.caseReference, attempts: entry.attempts });
      return;
    }
    if (entry.kind === 'replies') return deliver(entry, entry.activities);
    let outcome: PendingCaseOutcome;
    try {
      outcome = await options.retryPendingCase(entry.caseReference as string);
    } catch (error) {
      await options.outbox.retryLater(entry.claim, { kind: entry.kind, activities: entry.activities }, later(entry.attempts), messageOf(error));
      options.logger.warn('outbox.case-still-pending', { caseReference: entry.caseReference, attempts: entry.attempts, error: error as Error });
      return;
    }
    options.logger.info('outbox.case-retried', { caseReference: entry.caseReference, outcome });
    // Someone else settled it (the caller's own retry, an agent): they told the caller.
    if (outcome === 'settled-before') return void (await options.outbox.done(entry.claim));
    const message = outcome === 'done-now' ? entry.activities : entry.otherwise;
    // Recorded before it is sent: from now on this entry is only a message, whatever happens to this instance.
    if (!(await options.outbox.retryLater(entry.claim, { kind: 'replies', activities: message }, new Date(clock().getTime() + LEASE_MS), 'settled'))) return;
    return deliver({ ...entry, kind: 'replies', activities: message }, message);
  }

  async function pass(): Promise<number> {
    let handled = 0;
    for (; handled < ENTRIES_PER_PASS && !stopped; handled++) {
      const now = clock();
      const entry = await options.outbox.claimNext(now, new Date(now.getTime() + LEASE_MS));
      if (!entry) break;
      try {
        await handle(entry);
      } catch (error) {
        options.logger.error('outbox.entry-failed', { id: entry.claim.id, error: error as Error });
      }
    }
    await options.outbox.purgeFailed(new Date(clock().getTime() - FAILED_KEPT_MS));
    return handled;
  }

  /** One pass at a time: a pass asked for while one runs waits for it, then runs. */
  const runOnce = async (): Promise<number> => {
    while (running) await running.catch(() => undefined);
    running = pass().finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(() => {
    if (running) return;
    runOnce().catch((error: Error) => options.logger.warn('outbox.unavailable', { error }));
  }, options.intervalMs);
  timer.unref();
  return {
    runOnce,
    // Stops looking and waits for a pass in flight, so its claims are settled before the store closes.
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
