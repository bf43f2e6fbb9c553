import type { Activity } from 'botbuilder';
import type { i18n } from 'i18next';
import type { LiveHandoffs } from '../handoffs/handoffEvents';
import type { AgentIdentity, HandoffEntry, RelayMessage } from '../handoffs/handoffQueue';
import type { Logger } from '../log';
import type { CaseLog } from '../cases/caseLog';
import { withoutControlCharacters } from '../format';
import type { InsightsRecorder } from '../insights/recorder';
import type { HandBackTarget } from '../conversation/liveHandoff';

/** What an agent does with a hand-off from the console; each says so to the caller, in the caller's own channel. */
export interface AgentRelay {
  /** Undefined when someone else took it first (or it is no longer waiting). */
  take(id: string, agent: AgentIdentity): Promise<HandoffEntry | undefined>;
  /** Undefined when the agent does not hold it. */
  reply(id: string, agent: AgentIdentity, text: string): Promise<RelayMessage | undefined>;
  /** Back to the bot: at its menu, or straight into a flow (the caller is verified again first if that has lapsed). */
  handBack(id: string, agent: AgentIdentity, to?: HandBackTarget): Promise<HandoffEntry | undefined>;
  close(id: string, agent: AgentIdentity): Promise<HandoffEntry | undefined>;
}

export interface AgentRelayDeps extends LiveHandoffs {
  /** Every agent action goes into the append-only audit, with the agent's identity. */
  cases: Pick<CaseLog, 'audit'>;
  i18n: i18n;
  now: () => Date;
  logger: Logger;
  /** One message into the caller's conversation (a proactive send through the channel's adapter). */
  deliver(conversation: Record<string, unknown>, activity: Partial<Activity>): Promise<void>;
  /** How long hand-offs wait for an agent, for the insights page (never fails a take). */
  insights?: InsightsRecorder;
  /**
   * A turn of the bot in the caller's conversation, the agent gone: any question left open is dropped, and the bot
   * waits at its menu or starts the flow agreed, as if the caller had asked for it.
   */
  resume(conversation: Record<string, unknown>, target: HandBackTarget): Promise<void>;
}

/** Longest reply an agent can send in one message: what any channel takes. */
export const MAX_AGENT_REPLY_CHARS = 4000;

export function createAgentRelay(deps: AgentRelayDeps): AgentRelay {
  const { queue, events } = deps;
  const say = (entry: HandoffEntry, key: string, name: string) => deliverText(entry, deps.i18n.getFixedT(entry.language)(key, { name }));

  async function deliverText(entry: HandoffEntry, text: string): Promise<void> {
    await deps.deliver(entry.conversation, { type: 'message', text, locale: entry.language === 'sv' ? 'sv-SE' : 'en-US' });
  }

  /** Said to the caller and kept in the live transcript as the system's line. */
  async function announce(entry: HandoffEntry, key: string, agent: AgentIdentity): Promise<void> {
    await queue.append(entry.id, { from: 'system', text: deps.i18n.getFixedT(entry.language)(key, { name: agent.displayName }) }, deps.now());
    try {
      await say(entry, key, agent.displayName);
    } catch (error) {
      // The change stands (the agent holds it, or has left); the caller reads it with the next message that gets through.
      deps.logger.error('handoff.announce-failed', { handoffId: entry.id, error: error as Error });
    }
  }

  /** The agent's identity, never the caller's words (a reply is audited by its length only). */
  async function audit(entry: HandoffEntry, agent: AgentIdentity, action: string, details: Record<string, unknown> = {}): Promise<void> {
    await deps.cases.audit({ at: deps.now().toISOString(), caseReference: entry.id, accountId: null, action: `handoff:${action}`, rules: [], channel: entry.channelId, caller: `agent:${agent.id}`, details: { agent, ...details } });
  }

  /** Handed back or closed: by the agent who holds it, said to the caller, heard by every console. */
  async function end(id: string, agent: AgentIdentity, ending: 'handed-back' | 'closed', key: string, to: HandBackTarget = 'menu'): Promise<HandoffEntry | undefined> {
    const entry = await queue.end(id, agent.id, ending, deps.now());
    if (!entry) return undefined;
    await audit(entry, agent, ending, ending === 'handed-back' ? { to } : {});
    await announce(entry, key, agent);
    events.publish({ kind: 'ended', handoffId: id });
    try {
      await deps.resume(entry.conversation, to);
    } catch (error) {
      // The caller was told they are back with the assistant, which answers their next message where it left off.
      deps.logger.error('handoff.resume-failed', { handoffId: id, to, error: error as Error });
    }
    return entry;
  }

  return {
    async take(id, agent) {
      const entry = await queue.take(id, agent, deps.now());
      if (!entry) return undefined;
      await audit(entry, agent, 'taken');
      await announce(entry, 'handoff:agentJoined', agent);
      events.publish({ kind: 'taken', handoffId: id });
      await deps.insights?.record({ conversationKey: entry.conversationKey, channel: entry.channelId, language: entry.language }, [{ at: deps.now(), facts: { kind: 'handoff-taken', reason: entry.reason, waitedMs: waitedMs(entry) } }]);
      return entry;
    },
    async reply(id, agent, text) {
      const entry = await queue.get(id);
      if (!entry || entry.status !== 'active' || entry.agent?.id !== agent.id) return undefined;
      // As with the caller's words: control characters mean nothing in a chat, and PostgreSQL's text refuses a NUL.
      const words = withoutControlCharacters(text).trim().slice(0, MAX_AGENT_REPLY_CHARS);
      if (!words) return undefined;
      // Delivered first: a line in the console means the caller has it. Named, so the caller can tell it from the bot's.
      await deliverText(entry, deps.i18n.getFixedT(entry.language)('handoff:agentSays', { name: agent.displayName, text: words }));
      const message = await queue.append(id, { from: 'agent', text: words, agent }, deps.now());
      await audit(entry, agent, 'replied', { characters: words.length });
      events.publish({ kind: 'message', handoffId: id });
      return message;
    },
    handBack: (id, agent, to = 'menu') => end(id, agent, 'handed-back', to === 'menu' ? 'handoff:handedBack' : 'handoff:handedBackToFlow', to),
    close: (id, agent) => end(id, agent, 'closed', 'handoff:closed'),
  };
}

/** From opened to taken; never less than nothing (the two times may come from clocks a little apart). */
function waitedMs(entry: HandoffEntry): number {
  return Math.max(0, Date.parse(entry.takenAt ?? entry.createdAt) - Date.parse(entry.createdAt));
}
