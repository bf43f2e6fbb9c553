import type { HandoffReason } from '../policy';

/**
 * The live side of a hand-off (AS-2): the case (src/cases) says what was handed over; this queue says where the caller
 * is waiting and who is talking to them. An entry is opened with the hand-off case, taken by one agent, and ends
 * handed back to the bot or closed. While an agent holds it, the caller's messages go to the agent, not the bot.
 */
export type HandoffStatus = 'waiting' | 'active' | 'ended';
export type HandoffEnding = 'handed-back' | 'closed' | 'left-message';

export interface AgentIdentity {
  /** Stable: the local account's name or the OIDC subject. */
  id: string;
  /** As the caller is told: "Du pratar nu med Maja från supporten". */
  displayName: string;
}

export interface HandoffEntry {
  /** The hand-off case's reference (CX-…): one live entry per hand-off case. */
  id: string;
  reason: HandoffReason;
  language: 'sv' | 'en';
  channelId: string;
  /** `${channelId}/${conversationId}`: the key the bot's turns run under. */
  conversationKey: string;
  /** Where to reach the caller (a Bot Framework conversation reference, without the caller's name). */
  conversation: Record<string, unknown>;
  status: HandoffStatus;
  agent: AgentIdentity | null;
  ending: HandoffEnding | null;
  createdAt: string;
  takenAt: string | null;
  endedAt: string | null;
}

/** One line of the live conversation between caller and agent, masked as the transcript is. */
export interface RelayMessage {
  handoffId: string;
  /** 1, 2, 3 … per hand-off: an agent's page asks for what came after the last one it has. */
  seq: number;
  from: 'caller' | 'agent' | 'system';
  text: string;
  /** For an agent's line: who wrote it. */
  agent: AgentIdentity | null;
  at: string;
}

/** What opening a hand-off's live entry takes: the rest (status, agent, times) the queue sets. */
export type OpenHandoff = Pick<HandoffEntry, 'id' | 'reason' | 'language' | 'channelId' | 'conversationKey' | 'conversation'>;

export interface HandoffQueue {
  /** Opens the live entry of a hand-off case; the same case again returns the entry that stands (idempotent). */
  open(handoff: OpenHandoff, now: Date): Promise<{ entry: HandoffEntry; created: boolean }>;
  get(id: string): Promise<HandoffEntry | undefined>;
  /** Newest first; `status` and `agentId` narrow it down. */
  list(filter: { status?: HandoffStatus; agentId?: string; limit?: number }): Promise<HandoffEntry[]>;
  /**
   * Waiting → active with this agent, atomically: of two agents taking the same hand-off at once, one gets it and the
   * other gets undefined (it is no longer waiting).
   */
  take(id: string, agent: AgentIdentity, now: Date): Promise<HandoffEntry | undefined>;
  /** Active (held by this agent) → ended with this ending; undefined when it is not theirs or not active. */
  end(id: string, agentId: string, ending: Exclude<HandoffEnding, 'left-message'>, now: Date): Promise<HandoffEntry | undefined>;
  /** Waiting → ended, the caller left a message instead of waiting. */
  leaveMessage(id: string, now: Date): Promise<HandoffEntry | undefined>;
  /** The entry an agent holds in this conversation, if any: then the bot stays silent. */
  heldIn(conversationKey: string): Promise<HandoffEntry | undefined>;
  /** The entry waiting in this conversation, if any. */
  waitingIn(conversationKey: string): Promise<HandoffEntry | undefined>;
  /** 1 for the first in line among those waiting, counted by when they were opened; undefined when not waiting. */
  placeInLine(id: string): Promise<number | undefined>;
  append(id: string, message: { from: RelayMessage['from']; text: string; agent?: AgentIdentity }, now: Date): Promise<RelayMessage>;
  /** In order; only those after `afterSeq` when given. */
  messages(id: string, afterSeq?: number): Promise<RelayMessage[]>;
}
