import type { Logger } from '../log';
import type { StateStore } from './stateStore';

/** Conversation state keys (the SDK's `<channel>/conversations/<id>/`); user profiles and ledgers are kept. */
const CONVERSATION_KEYS = '/conversations/';

export interface ConversationSweepOptions {
  store: StateStore;
  /** The masked transcripts (src/cases/transcriptLog.ts): lines older than the retention go too. */
  transcripts?: { deleteOlderThan(before: Date): Promise<number> };
  /** A conversation nobody wrote to for this long is deleted: its answers, transcript and place in the dialog. */
  retentionMinutes: number;
  now: () => Date;
  logger: Logger;
  /** How often to look; by default a tenth of the retention, at least once a minute and at most every 10 minutes. */
  intervalMs?: number;
}

/**
 * Deletes abandoned conversations, so verification answers given half-way (user ID, phone, name, organisation) are not
 * kept without end. Every instance may run it: a delete is a delete. A failed sweep is logged and tried next time.
 */
export function startConversationSweep(options: ConversationSweepOptions): { sweepNow(): Promise<number>; stop(): void } {
  const sweepNow = async () => {
    const idleBefore = new Date(options.now().getTime() - options.retentionMinutes * 60_000);
    const deleted = await options.store.deleteIdle(CONVERSATION_KEYS, idleBefore);
    const lines = (await options.transcripts?.deleteOlderThan(idleBefore)) ?? 0;
    if (deleted > 0 || lines > 0) options.logger.info('storage.conversations-swept', { deleted, transcriptLines: lines });
    return deleted;
  };
  const interval = options.intervalMs ?? Math.min(Math.max(options.retentionMinutes * 6_000, 60_000), 600_000);
  const timer = setInterval(() => {
    sweepNow().catch((error: Error) => options.logger.warn('storage.sweep-failed', { error }));
  }, interval);
  timer.unref();
  return { sweepNow, stop: () => clearInterval(timer) };
}
