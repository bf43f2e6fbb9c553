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

const RESUME = Symbol('resumeAfterHandoff');

/** Where an agent hands a caller back to: the menu, or straight into a flow for a verified caller. */
export const HAND_BACK_TARGETS = ['menu', 'cancel', 'fastRevoke', 'reactivate'] as const;
export type HandBackTarget = (typeof HAND_BACK_TARGETS)[number];

/**
 * This turn is no caller's message but an agent handing the caller back (a proactive turn the server runs): the main
 * dialog leaves whatever question was open (a message half written for the queue, say) and waits at its menu, or
 * starts the flow agreed, verifying first if that has lapsed.
 */
export function requestResume(context: TurnContext, target: HandBackTarget): void {
  context.turnState.set(RESUME, target);
}

export function resumeRequested(context: TurnContext): HandBackTarget | undefined {
  return context.turnState.get(RESUME) as HandBackTarget | undefined;
}
