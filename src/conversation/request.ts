import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { AccountAction, RuleId, SubscriptionFacts } from '../policy';

/**
 * What the caller is asking for right now, as far as the flow got: the wish, the subscription, the policy's decision
 * and the choices already made. Kept in conversation state so a hand-off asked for at any question — "prata med en
 * person" at "säga upp nu?" — carries all of it (AS-2), even though the flow itself is cancelled by the request.
 */
export interface CurrentRequest {
  wish: 'cancel' | 'fastRevoke' | 'reactivate';
  /** The action once it is known ("now" → cancel-now). */
  action?: AccountAction;
  subscription?: { id: string; facts: SubscriptionFacts };
  decision?: { outcome: string; rules: RuleId[] };
  choices: Record<string, string | number | boolean>;
}

export type RequestAccessor = StatePropertyAccessor<CurrentRequest | undefined>;

const ACTION_OF_WISH: Partial<Record<CurrentRequest['wish'], AccountAction>> = { fastRevoke: 'fast-revoke', reactivate: 'reactivate' };

export async function beginRequest(context: TurnContext, requests: RequestAccessor, wish: CurrentRequest['wish']): Promise<void> {
  await requests.set(context, { wish, action: ACTION_OF_WISH[wish], choices: {} });
}

/** Adds what the flow learned; choices accumulate. */
export async function noteRequest(context: TurnContext, requests: RequestAccessor, patch: Partial<Omit<CurrentRequest, 'wish'>>): Promise<void> {
  const current = await requests.get(context);
  if (!current) return;
  await requests.set(context, { ...current, ...patch, choices: { ...current.choices, ...patch.choices } });
}
