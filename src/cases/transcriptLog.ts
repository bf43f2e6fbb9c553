import type { TranscriptLine } from './handoffPacket';
import type { TurnTransaction } from '../storage/conversationLock';

/**
 * The conversation so far, masked, as hand-off packets carry it (AS-2): kept apart from conversation state, line by
 * line, because a turn only adds to it and only a hand-off reads it. State a turn reads and writes stays a few hundred
 * bytes however long the conversation; the transcript is appended to and never rewritten.
 */
export interface TranscriptLog {
  /** The last `limit` lines of a conversation, oldest first. */
  recent(conversationKey: string, limit: number): Promise<TranscriptLine[]>;
  /**
   * Adds a turn's lines (in order) and lets go of all but the last `keep` of the conversation. `within`, the turn
   * lock's transaction on the same database, takes the statement to commit it with the turn's state: resolves true
   * when the lines were staged there (not yet kept), false when they went their own way.
   */
  append(conversationKey: string, lines: readonly TranscriptLine[], keep: number, within?: TurnTransaction): Promise<boolean>;
  /** Forgets a conversation's lines (a new caller in an agent's chat); `within` as for `append`. */
  forget(conversationKey: string, within?: TurnTransaction): Promise<void>;
  /** Deletes lines said before `before` (the sweep of abandoned conversations); returns how many. */
  deleteOlderThan(before: Date): Promise<number>;
}
