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

export function createTurnQueue(): TurnQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, turn) {
      const previous = tails.get(key) ?? Promise.resolve();
      // The next turn waits for this one whether it succeeds or fails: one failed turn must not stall the others.
      const result = previous.then(turn, turn);
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
