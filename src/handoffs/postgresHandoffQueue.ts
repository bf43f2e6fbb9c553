import type { PostgresDatabase } from '../storage/postgresDatabase';
import type { HandoffEntry, HandoffQueue, RelayMessage } from './handoffQueue';
import { entryFromRow as entryOf, messageFromRow as messageOf, type HandoffRow as Row, type MessageRow as MessageRowOf, type RowReader } from './handoffRows';

type HandoffRow = Row<Record<string, unknown>, Date>;
type MessageRow = MessageRowOf<Date>;

/** TIMESTAMPTZ comes back as a Date (or as text where a parser is set): always handed on as an ISO string. */
const READ: RowReader<Record<string, unknown>, Date | string> = { json: (value) => value, time: (value) => new Date(value).toISOString() };
const entryFromRow = (row: HandoffRow): HandoffEntry => entryOf(row, READ);
const messageFromRow = (row: MessageRow): RelayMessage => messageOf(row, READ);

/**
 * The live hand-off queue in PostgreSQL, shared by every instance: a take is one conditional UPDATE (of two instances
 * taking at once, the second finds it no longer waiting), and messages are numbered under a lock on their hand-off.
 */
export function createPostgresHandoffQueue(db: PostgresDatabase): HandoffQueue {
  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await db.query<HandoffRow>(sql, params);
    return rows[0] ? entryFromRow(rows[0]) : undefined;
  };

  return {
    async open(handoff, now) {
      const inserted = await one(
        `INSERT INTO handoffs (id, reason, language, channel_id, conversation_key, conversation, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [handoff.id, handoff.reason, handoff.language, handoff.channelId, handoff.conversationKey, JSON.stringify(handoff.conversation), now],
      );
      if (inserted) return { entry: inserted, created: true };
      // Opened before (or by another instance just now: its insert is committed once ours gave way to it).
      const standing = await one('SELECT * FROM handoffs WHERE id = $1', [handoff.id]);
      if (!standing) throw new Error(`hand-off ${handoff.id} neither inserted nor found`);
      return { entry: standing, created: false };
    },
    async get(id) {
      return one('SELECT * FROM handoffs WHERE id = $1', [id]);
    },
    async list({ status, agentId, limit }) {
      const { rows } = await db.query<HandoffRow>(
        `SELECT * FROM handoffs WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR agent_id = $2)
         ORDER BY created_at DESC, id DESC LIMIT $3`,
        [status ?? null, agentId ?? null, limit === undefined ? null : Math.max(0, Math.trunc(limit))],
      );
      return rows.map(entryFromRow);
    },
    async take(id, agent, now) {
      return one("UPDATE handoffs SET status = 'active', agent_id = $2, agent_name = $3, taken_at = $4 WHERE id = $1 AND status = 'waiting' RETURNING *", [
        id,
        agent.id,
        agent.displayName,
        now,
      ]);
    },
    async end(id, agentId, ending, now) {
      return one("UPDATE handoffs SET status = 'ended', ending = $3, ended_at = $4 WHERE id = $1 AND agent_id = $2 AND status = 'active' RETURNING *", [
        id,
        agentId,
        ending,
        now,
      ]);
    },
    async leaveMessage(id, now) {
      return one("UPDATE handoffs SET status = 'ended', ending = 'left-message', ended_at = $2 WHERE id = $1 AND status = 'waiting' RETURNING *", [id, now]);
    },
    async heldIn(conversationKey) {
      return one("SELECT * FROM handoffs WHERE conversation_key = $1 AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT 1", [conversationKey]);
    },
    async waitingIn(conversationKey) {
      return one("SELECT * FROM handoffs WHERE conversation_key = $1 AND status = 'waiting' ORDER BY created_at DESC, id DESC LIMIT 1", [conversationKey]);
    },
    async placeInLine(id) {
      // Counted by when they were opened; two opened in the same instant go by reference, the same on every backend.
      const { rows } = await db.query<{ place: string }>(
        `SELECT (SELECT COUNT(*) FROM handoffs AS w
                 WHERE w.status = 'waiting' AND (w.created_at < h.created_at OR (w.created_at = h.created_at AND w.id <= h.id))) AS place
         FROM handoffs AS h WHERE h.id = $1 AND h.status = 'waiting'`,
        [id],
      );
      return rows[0] ? Number(rows[0].place) : undefined;
    },
    async append(id, message, now) {
      return db.transaction(async (client) => {
        // The hand-off's row lock orders appends from every instance: the next one's MAX sees this one's committed row.
        const locked = await client.query('SELECT id FROM handoffs WHERE id = $1 FOR UPDATE', [id]);
        if (locked.rowCount === 0) throw new Error(`no hand-off ${id}`);
        const { rows } = await client.query<MessageRow>(
          `INSERT INTO handoff_messages (handoff_id, seq, sender, text, agent_id, agent_name, at)
           SELECT $1::text, COALESCE(MAX(seq), 0) + 1, $2::text, $3::text, $4::text, $5::text, $6::timestamptz FROM handoff_messages WHERE handoff_id = $1
           RETURNING *`,
          [id, message.from, message.text, message.agent?.id ?? null, message.agent?.displayName ?? null, now],
        );
        return messageFromRow(rows[0]);
      });
    },
    async messages(id, afterSeq) {
      const { rows } = await db.query<MessageRow>('SELECT * FROM handoff_messages WHERE handoff_id = $1 AND seq > $2 ORDER BY seq', [id, afterSeq ?? 0]);
      return rows.map(messageFromRow);
    },
  };
}
