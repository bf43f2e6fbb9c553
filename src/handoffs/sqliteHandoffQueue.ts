import type { SqliteDatabase } from '../storage/sqlite';
import type { AgentIdentity, HandoffEntry, HandoffQueue, HandoffStatus, RelayMessage } from './handoffQueue';
import { entryFromRow as entryOf, messageFromRow as messageOf, type HandoffRow as Row, type MessageRow as MessageRowOf, type RowReader } from './handoffRows';

type HandoffRow = Row<string, string>;
type MessageRow = MessageRowOf<string>;

const READ: RowReader<string, string> = { json: (value) => JSON.parse(value) as Record<string, unknown>, time: (value) => value };
const entryFromRow = (row: HandoffRow): HandoffEntry => entryOf(row, READ);
const messageFromRow = (row: MessageRow): RelayMessage => messageOf(row, READ);

/**
 * The live hand-off queue in the SQLite file (times as ISO text, which sorts as time does). Every change is one
 * conditional statement or an immediate transaction, so two connections to the file cannot both take one hand-off or
 * give two messages the same number.
 */
export function createSqliteHandoffQueue(db: SqliteDatabase): HandoffQueue {
  const insert = db.prepare(
    `INSERT INTO handoffs (id, reason, language, channel_id, conversation_key, conversation, status, created_at)
     VALUES (@id, @reason, @language, @channelId, @conversationKey, @conversation, 'waiting', @createdAt)
     ON CONFLICT (id) DO NOTHING`,
  );
  const byId = db.prepare<[string], HandoffRow>('SELECT * FROM handoffs WHERE id = ?');
  const listed = db.prepare<{ status: string | null; agentId: string | null; limit: number }, HandoffRow>(
    `SELECT * FROM handoffs WHERE (@status IS NULL OR status = @status) AND (@agentId IS NULL OR agent_id = @agentId)
     ORDER BY created_at DESC, id DESC LIMIT @limit`,
  );
  const takeIt = db.prepare<[string, string, string, string], HandoffRow>(
    "UPDATE handoffs SET status = 'active', agent_id = ?, agent_name = ?, taken_at = ? WHERE id = ? AND status = 'waiting' RETURNING *",
  );
  const endIt = db.prepare<[string, string, string, string], HandoffRow>(
    "UPDATE handoffs SET status = 'ended', ending = ?, ended_at = ? WHERE id = ? AND agent_id = ? AND status = 'active' RETURNING *",
  );
  const leaveIt = db.prepare<[string, string], HandoffRow>(
    "UPDATE handoffs SET status = 'ended', ending = 'left-message', ended_at = ? WHERE id = ? AND status = 'waiting' RETURNING *",
  );
  const inConversation = db.prepare<[string, HandoffStatus], HandoffRow>(
    'SELECT * FROM handoffs WHERE conversation_key = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT 1',
  );
  // Counted by when they were opened; two opened in the same millisecond go by reference, the same on every backend.
  const place = db.prepare<[string], { place: number }>(
    `SELECT (SELECT COUNT(*) FROM handoffs AS w
             WHERE w.status = 'waiting' AND (w.created_at < h.created_at OR (w.created_at = h.created_at AND w.id <= h.id))) AS place
     FROM handoffs AS h WHERE h.id = ? AND h.status = 'waiting'`,
  );
  const insertMessage = db.prepare<{ id: string; from: string; text: string; agentId: string | null; agentName: string | null; at: string }, MessageRow>(
    `INSERT INTO handoff_messages (handoff_id, seq, sender, text, agent_id, agent_name, at)
     SELECT @id, COALESCE(MAX(seq), 0) + 1, @from, @text, @agentId, @agentName, @at FROM handoff_messages WHERE handoff_id = @id
     RETURNING *`,
  );
  const messagesAfter = db.prepare<[string, number], MessageRow>('SELECT * FROM handoff_messages WHERE handoff_id = ? AND seq > ? ORDER BY seq');

  const open = db.transaction((entry: HandoffEntry) => {
    const conversation = JSON.stringify(entry.conversation);
    const inserted = insert.run({ ...entry, conversation });
    // What was stored, as a later read returns it.
    if (inserted.changes === 1) return { entry: { ...entry, conversation: JSON.parse(conversation) }, created: true };
    return { entry: entryFromRow(byId.get(entry.id) as HandoffRow), created: false };
  });

  const append = db.transaction((id: string, message: { from: RelayMessage['from']; text: string; agent?: AgentIdentity }, at: string) => {
    if (!byId.get(id)) throw new Error(`no hand-off ${id}`);
    const row = insertMessage.get({ id, from: message.from, text: message.text, agentId: message.agent?.id ?? null, agentName: message.agent?.displayName ?? null, at });
    return messageFromRow(row as MessageRow);
  });

  const found = (row: HandoffRow | undefined) => (row ? entryFromRow(row) : undefined);

  return {
    async open(handoff, now) {
      const entry: HandoffEntry = {
        id: handoff.id,
        reason: handoff.reason,
        language: handoff.language,
        channelId: handoff.channelId,
        conversationKey: handoff.conversationKey,
        conversation: handoff.conversation,
        status: 'waiting',
        agent: null,
        ending: null,
        createdAt: now.toISOString(),
        takenAt: null,
        endedAt: null,
      };
      return open.immediate(entry);
    },
    async get(id) {
      return found(byId.get(id));
    },
    async list({ status, agentId, limit }) {
      return listed.all({ status: status ?? null, agentId: agentId ?? null, limit: limit === undefined ? -1 : Math.max(0, Math.trunc(limit)) }).map(entryFromRow);
    },
    async take(id, agent, now) {
      return found(takeIt.get(agent.id, agent.displayName, now.toISOString(), id));
    },
    async end(id, agentId, ending, now) {
      return found(endIt.get(ending, now.toISOString(), id, agentId));
    },
    async leaveMessage(id, now) {
      return found(leaveIt.get(now.toISOString(), id));
    },
    async heldIn(conversationKey) {
      return found(inConversation.get(conversationKey, 'active'));
    },
    async waitingIn(conversationKey) {
      return found(inConversation.get(conversationKey, 'waiting'));
    },
    async placeInLine(id) {
      return place.get(id)?.place;
    },
    async append(id, message, now) {
      return append.immediate(id, message, now.toISOString());
    },
    async messages(id, afterSeq) {
      return messagesAfter.all(id, afterSeq ?? 0).map(messageFromRow);
    },
  };
}
