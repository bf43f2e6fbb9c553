import type { TurnContext } from 'botbuilder';

const OPENED = Symbol('liveHandoffOpened');

/**
 * A hand-off was queued for an agent in this turn (its case reference): the bot remembers it in the conversation, so
 * only a conversation with a hand-off asks the queue, at each message, whether an agent holds it.
 */
export function markLiveHandoff(context: TurnContext, id: string): void {
  context.turnState.set(OPENED, id);
}

export function liveHandoffOpened(context: TurnContext): string | undefined {
  return context.turnState.get(OPENED) as string | undefined;
}
