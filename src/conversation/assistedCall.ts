import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { AgentIdentity } from '../handoffs/handoffQueue';
import type { ConversationKey } from '../verification/verifyCaller';

/**
 * An agent verifying a caller who is on the phone, in the agent's own 1:1 chat with the bot in Teams ("verifiera en
 * kund"): the agent asks the caller the bot's questions and types the answers. Everything else is the caller's path —
 * the same six questions, the same policy and actions — except that the case and audit say "agent-assisted" and who.
 */
export interface AssistedCall {
  agent: AgentIdentity;
  /** One per call: its failed answers count under this key (and the caller's user ID and account), not the agent's chat. */
  callId: string;
  startedAt: string;
}

export type AssistedCallAccessor = StatePropertyAccessor<AssistedCall | undefined>;

const CALL = Symbol('assistedCall');

/**
 * A phone call is over within the hour: a call left open (the agent went on to other work without saying so) ends
 * then, so nothing the agent does later in the chat is done in that caller's name.
 */
export const ASSISTED_CALL_MAX_MINUTES = 60;

/** Whether the call is past its time, or its agent is no longer one (removed from the agents file since). */
export function assistedCallOver(call: AssistedCall, agentNow: { id: string } | undefined, now: Date): boolean {
  return agentNow?.id !== call.agent.id || now.getTime() - new Date(call.startedAt).getTime() > ASSISTED_CALL_MAX_MINUTES * 60_000;
}

/** Read at the start of each turn (SupportBot), set when an agent starts a call (MainDialog). */
export function setTurnAssistedCall(context: TurnContext, call: AssistedCall | undefined): void {
  context.turnState.set(CALL, call);
}

export function assistedCallOf(context: TurnContext): AssistedCall | undefined {
  return context.turnState.get(CALL) as AssistedCall | undefined;
}

/** How the case and audit name an agent-assisted action (`agent:maja`), or undefined for a caller's own. */
export function assistedBy(context: TurnContext): string | undefined {
  const call = assistedCallOf(context);
  return call ? `agent:${call.agent.id}` : undefined;
}

/**
 * Where failed verification attempts of this conversation count (ID-3). An agent's chat serves one caller after
 * another: each call counts on its own, so one caller's wrong answers never lock the agent out for the next caller.
 * The caller's user ID and account count as always, shared with the chat and the console.
 */
export function verificationKey(context: TurnContext): ConversationKey {
  const { channelId, conversation } = context.activity;
  const call = assistedCallOf(context);
  return { channelId, conversationId: call ? `${conversation.id}/call/${call.callId}` : conversation.id };
}
