import { ActivityTypes, type TurnContext } from 'botbuilder';

/**
 * How long a caller waits before the bot shows it is typing. An answer that comes sooner needs no indicator (it would
 * only flicker before the words, and each is a post to the channel of its own).
 */
const TYPING_AFTER_MS = 250;

/**
 * Runs `work` — a verdict held back by its padding, a backend that may be slow — and shows the caller that the bot
 * is typing only if it is still running after TYPING_AFTER_MS. The indicator goes out at once (typing is never held back
 * with the turn's messages, see heldReplies.ts); a channel that does not take it changes nothing the caller reads.
 */
export async function typingWhileSlow<T>(context: TurnContext, work: () => Promise<T>): Promise<T> {
  let sent: Promise<unknown> | undefined;
  const timer = setTimeout(() => {
    sent = context.sendActivity({ type: ActivityTypes.Typing }).catch(() => undefined);
  }, TYPING_AFTER_MS);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    // Sent before the turn's replies, never after the turn is over.
    await sent;
  }
}
