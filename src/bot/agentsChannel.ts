import { CardFactory, type Activity } from 'botbuilder';
import type { i18n } from 'i18next';
import type { HandoffEvents } from '../handoffs/handoffEvents';
import type { HandoffQueue } from '../handoffs/handoffQueue';
import type { Language } from '../i18n';
import type { Logger } from '../log';

export interface AgentsChannelDeps {
  events: HandoffEvents;
  queue: HandoffQueue;
  i18n: i18n;
  /** The language agents read the card in. */
  language: Language;
  channel: { conversationId: string; serviceUrl: string; tenantId?: string; consoleUrl: string };
  /** One message into a conversation (a proactive send through the Teams adapter). */
  deliver(conversation: Record<string, unknown>, activity: Partial<Activity>): Promise<void>;
  logger: Logger;
}

/**
 * Microsoft's hand-off pattern where agents pick up requests in a Teams channel: each new hand-off is posted there as
 * a card — why, in which language and channel, nothing about the caller — with "Take it", which opens it in the
 * console, where each agent is signed in as themselves. Returns the way to stop.
 */
export function startAgentsChannelNotices(deps: AgentsChannelDeps): () => void {
  const t = deps.i18n.getFixedT(deps.language);
  const conversation = {
    channelId: 'msteams',
    serviceUrl: deps.channel.serviceUrl,
    conversation: { id: deps.channel.conversationId, isGroup: true, conversationType: 'channel', tenantId: deps.channel.tenantId },
  };
  return deps.events.subscribe((event) => {
    if (event.kind !== 'opened') return;
    void (async () => {
      const entry = await deps.queue.get(event.handoffId);
      if (!entry) return;
      const link = `${deps.channel.consoleUrl}/agent/handoffs/${encodeURIComponent(entry.id)}`;
      const card = CardFactory.adaptiveCard({
        type: 'AdaptiveCard',
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        version: '1.4',
        body: [
          { type: 'TextBlock', text: t('console:teamsCard.title', { reference: entry.id }), weight: 'Bolder', size: 'Medium', wrap: true },
          {
            type: 'FactSet',
            facts: [
              { title: t('console:column.reason'), value: t(`console:reason.${entry.reason}`) },
              { title: t('console:column.language'), value: t(`console:language.${entry.language}`) },
              { title: t('console:column.channel'), value: entry.channelId },
            ],
          },
        ],
        actions: [{ type: 'Action.OpenUrl', title: t('console:handoff.take'), url: link }],
      });
      await deps.deliver(conversation, { type: 'message', attachments: [card], summary: t('console:teamsCard.title', { reference: entry.id }) });
    })().catch((error) => deps.logger.error('agents-channel.notice-failed', { handoffId: event.handoffId, error: error as Error }));
  });
}
