import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { explain, type Reason } from '../policy';
import { noteInsight } from './insights';

/**
 * AS-3: the reason behind the last refusal or decision the caller heard, kept so "why?" / "varför inte?" at the next
 * question gets it explained at more length. Params are plain values (numbers, ISO dates), rendered when said.
 */
export interface ReasonToExplain {
  reason: Reason;
  /** Numbers, ISO dates (formatted when said) and locale keys (`{ key }`, translated when said). */
  params?: Record<string, string | number | { key: string }>;
}

export type ReasonAccessor = StatePropertyAccessor<ReasonToExplain | undefined>;

const GIVEN_THIS_TURN = Symbol('reasonGivenThisTurn');

export async function rememberReason(context: TurnContext, reasons: ReasonAccessor, reason: ReasonToExplain): Promise<void> {
  await reasons.set(context, reason);
  context.turnState.set(GIVEN_THIS_TURN, true);
  // Every refusal a caller hears comes through here: the insights page counts them by reason and rule.
  noteInsight(context, { kind: 'refusal', reason: reason.reason, rules: explain(reason.reason).rules });
}

/** A refusal or decision was said in this turn: the next question should invite "why?". */
export function reasonGivenThisTurn(context: TurnContext): boolean {
  return context.turnState.get(GIVEN_THIS_TURN) === true;
}
