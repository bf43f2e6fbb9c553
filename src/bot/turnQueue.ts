/**
 * Turns of one conversation run one after another, in the order they arrived; different conversations run side by
 * side. Without it a caller who types fast has two turns read the same saved state, and the last to finish wins: an
 * answer is lost. (Across instances the store's eTag check is the guard; this is the one-instance half.)
 */
export interface TurnQueue {
  run<T>(key: string, turn: () => Promise<T>): Promise<T>;
  /** Conversations with a turn running or waiting. */
  size(): number;
}

/** A conversation has more turns waiting than anyone types: refused rather than queued without end. */
export class TurnQueueFullError extends Error {
  /** The message is the conversation's key: the name says what happened. */
  constructor(key: string) {
    super(key);
    this.name = 'TurnQueueFullError';
  }
}

/** Turns waiting per conversation before more are refused: far above any person's typing, far below a flood. */
const MAX_WAITING_TURNS = 100;

export function createTurnQueue(maxWaiting = MAX_WAITING_TURNS): TurnQueue {
  const tails = new Map<string, Promise<unknown>>();
  const waiting = new Map<string, number>();
  return {
    run(key, turn) {
      const queued = waiting.get(key) ?? 0;
      if (queued >= maxWaiting) return Promise.reject(new TurnQueueFullError(key));
      waiting.set(key, queued + 1);
      const done = <T>(value: T) => {
        const left = (waiting.get(key) ?? 1) - 1;
        if (left <= 0) waiting.delete(key);
        else waiting.set(key, left);
        return value;
      };
      const previous = tails.get(key) ?? Promise.resolve();
      // The next turn waits for this one whether it succeeds or fails: one failed turn must not stall the others.
      const result = previous.then(turn, turn).then(done, (error) => {
        done(undefined);
        throw error;
      });
      const tail = result.catch(() => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    size: () => tails.size,
  };
}
