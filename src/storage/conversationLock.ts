/**
 * Serialises the turns of one conversation across instances: a turn runs only while it holds its conversation's
 * lock, so two instances never compute from the same saved state (an answer lost) or act on the same "yes" twice.
 * Inside one instance the turn queue already serialises; this is the cross-instance half.
 */
export interface ConversationLock {
  /** Runs the turn holding the lock; `stillHeld` says whether it is still held (its connection may have been lost). */
  run<T>(conversationKey: string, turn: (stillHeld: () => boolean) => Promise<T>): Promise<T>;
}

/** One instance, or an embedded database only one instance uses: the in-process queue is all that is needed. */
export const NO_CROSS_INSTANCE_LOCK: ConversationLock = { run: (_key, turn) => turn(() => true) };
