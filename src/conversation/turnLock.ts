import type { TurnContext } from 'botbuilder';
import type { TurnTransaction } from '../storage/conversationLock';
import { setTurnTransaction } from '../storage/changeTrackedState';

const STILL_HELD = Symbol('conversationLockStillHeld');

/**
 * The turn runs under its conversation's lock (across instances): `stillHeld` says whether the lock is still held;
 * the lock's own transaction, when it has one, is where the turn's state is written.
 */
export function setTurnLock(context: TurnContext, stillHeld: () => boolean, transaction?: TurnTransaction): void {
  context.turnState.set(STILL_HELD, stillHeld);
  setTurnTransaction(context, transaction);
}

/** Whether the turn may still save: false once the lock's connection was lost (another instance may be running). */
export function turnLockHeld(context: TurnContext): boolean {
  const stillHeld = context.turnState.get(STILL_HELD) as (() => boolean) | undefined;
  return stillHeld ? stillHeld() : true;
}

export class TurnLockLostError extends Error {
  constructor() {
    super('the conversation lock was lost during the turn; its state is not saved');
    this.name = 'TurnLockLostError';
  }
}
