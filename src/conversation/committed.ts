import type { TurnContext } from 'botbuilder';

const COMMITTED = Symbol('committedThisTurn');

/**
 * Something that cannot be taken back happened in this turn: a subscription changed, a case was opened. If the turn's
 * state then cannot be saved, its replies (the receipt) must still be said — "nothing has been changed" would be false.
 */
export function markCommitted(context: TurnContext): void {
  context.turnState.set(COMMITTED, true);
}

export function committedThisTurn(context: TurnContext): boolean {
  return context.turnState.get(COMMITTED) === true;
}
