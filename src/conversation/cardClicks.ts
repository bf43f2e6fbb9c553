import { randomBytes } from 'node:crypto';
import type { TurnContext } from 'botbuilder';

/**
 * A card's buttons carry the id of the question the card asked (`data.cardId`), so a click on an older card — one
 * whose question was answered already, or left — is told apart from an answer to the question open now, even when
 * the two offer the same options (a second cancellation's "how?"). The dialogs give the id and check it; the bot
 * glue only passes the click through.
 */
const CARD_ID_FIELD = 'cardId';
const ANSWERED_CARD = Symbol('answeredCard');

/** An Adaptive Card's JSON (what an invoke response's `value` carries). */
export type CardContent = Record<string, unknown>;

/** A fresh id for a question asked on a card: random, as a question may be asked again with the same options. */
export function newCardId(): string {
  return randomBytes(9).toString('base64url');
}

/** The question id a click's data carries; undefined for a submit from a card without one (older cards, tests). */
export function cardIdOf(value: unknown): string | undefined {
  const id = (value as Record<string, unknown> | undefined)?.[CARD_ID_FIELD];
  return typeof id === 'string' ? id : undefined;
}

/** The button data of a card that asked question `cardId`. */
export function withCardId<T extends object>(data: T, cardId: string | undefined): T {
  return cardId === undefined ? data : { ...data, [CARD_ID_FIELD]: cardId };
}

/**
 * The dialogs took this turn's click as the answer to the card's question: this is the card as it should now look
 * (the question, the choice made, no buttons). Teams shows it in place of the clicked card (Action.Execute).
 */
export function recordAnsweredCard(context: TurnContext, card: CardContent): void {
  context.turnState.set(ANSWERED_CARD, card);
}

/** The card answered this turn, if a click answered one. */
export function answeredCardOf(context: TurnContext): CardContent | undefined {
  return context.turnState.get(ANSWERED_CARD) as CardContent | undefined;
}
