import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';

export interface HeldReplies {
  /** What is held now (for the outbox, before it is sent). */
  held(): Array<Partial<Activity>>;
  /** Sends what was held, one by one, in order; from now on replies go straight out. On failure, `unsent` says what is left. */
  release(): Promise<void>;
  /** The held replies the connector has not taken (after a failed release). */
  unsent(): Array<Partial<Activity>>;
  /** Forgets what was held (the turn failed); from now on replies go straight out. */
  discard(): void;
}

/**
 * Holds the turn's messages back until its state is saved: a turn whose save fails (a locked SQLite file, an
 * unreachable PostgreSQL) then says nothing but the apology, instead of the next question followed by "something went
 * wrong" — the caller's place is where it was, and so is what they read. Typing indicators and invoke responses go out
 * at once. Register after the transcript, so the transcript still hears every message when it is said.
 */
export function holdReplies(context: TurnContext): HeldReplies {
  let holding = true;
  const held: Array<Partial<Activity>> = [];
  context.onSendActivities(async (_context, activities, next) => {
    if (!holding) return next();
    const messages = activities.filter((activity) => activity.type === 'message');
    if (messages.length === 0) return next();
    held.push(...messages);
    const others = activities.filter((activity) => activity.type !== 'message');
    // The rest of the batch goes on now; the held messages are answered with empty ids, as a channel without ids would.
    activities.splice(0, activities.length, ...others);
    const sent: ResourceResponse[] = others.length > 0 ? await next() : [];
    return [...sent, ...messages.map(() => ({ id: '' }))];
  });
  return {
    held: () => [...held],
    async release() {
      holding = false;
      // One by one, so a failure leaves exactly the ones not yet taken (a receipt is never sent twice).
      while (held.length > 0) {
        await context.sendActivities([held[0]]);
        held.shift();
      }
    },
    unsent: () => [...held],
    discard() {
      holding = false;
      held.length = 0;
    },
  };
}
