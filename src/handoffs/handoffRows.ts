import type { HandoffReason } from '../policy';
import type { AgentIdentity, HandoffEnding, HandoffEntry, HandoffStatus, RelayMessage } from './handoffQueue';

/**
 * The rows of `handoffs` and `handoff_messages` as both databases store them; `Json` and `Time` are what each driver
 * hands back (SQLite: JSON text and ISO text; PostgreSQL: parsed JSONB and Date).
 */
export interface HandoffRow<Json, Time> {
  id: string;
  reason: HandoffReason;
  language: 'sv' | 'en';
  channel_id: string;
  conversation_key: string;
  conversation: Json;
  status: HandoffStatus;
  agent_id: string | null;
  agent_name: string | null;
  ending: HandoffEnding | null;
  created_at: Time;
  taken_at: Time | null;
  ended_at: Time | null;
}

export interface MessageRow<Time> {
  handoff_id: string;
  seq: number;
  sender: RelayMessage['from'];
  text: string;
  agent_id: string | null;
  agent_name: string | null;
  at: Time;
}

/** How one database's values become the domain's: the conversation as an object, every time as an ISO string. */
export interface RowReader<Json, Time> {
  json(value: Json): Record<string, unknown>;
  time(value: Time): string;
}

const agentOf = (id: string | null, name: string | null): AgentIdentity | null => (id === null ? null : { id, displayName: name ?? id });

export function entryFromRow<Json, Time>(row: HandoffRow<Json, Time>, read: RowReader<Json, Time>): HandoffEntry {
  const timeOrNull = (value: Time | null) => (value === null ? null : read.time(value));
  return {
    id: row.id,
    reason: row.reason,
    language: row.language,
    channelId: row.channel_id,
    conversationKey: row.conversation_key,
    conversation: read.json(row.conversation),
    status: row.status,
    agent: agentOf(row.agent_id, row.agent_name),
    ending: row.ending,
    createdAt: read.time(row.created_at),
    takenAt: timeOrNull(row.taken_at),
    endedAt: timeOrNull(row.ended_at),
  };
}

export function messageFromRow<Time>(row: MessageRow<Time>, read: Pick<RowReader<unknown, Time>, 'time'>): RelayMessage {
  return { handoffId: row.handoff_id, seq: row.seq, from: row.sender, text: row.text, agent: agentOf(row.agent_id, row.agent_name), at: read.time(row.at) };
}
