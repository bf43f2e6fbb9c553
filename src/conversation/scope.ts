import type { TurnContext } from 'botbuilder';
import { assistedCallOf } from './assistedCall';

/**
 * A conversation others read along in: a Teams group chat or channel, or any channel's group conversation. There the
 * bot collects no personal data — no verification, no account — and points the caller to a private chat.
 */
export function isSharedConversation(context: TurnContext): boolean {
  const conversation = context.activity.conversation;
  if (!conversation) return false;
  if (conversation.conversationType === 'groupChat' || conversation.conversationType === 'channel') return true;
  return conversation.isGroup === true;
}

/**
 * Opens a 1:1 chat between the bot and the caller of this turn and greets them there, as a new private chat is
 * greeted; resolves false when that cannot be done (then the link is the offer). Given to the dialogs by the
 * composition root: starting a conversation needs the adapter, which the dialogs do not know.
 */
export type PrivateChatOpener = (context: TurnContext) => Promise<boolean>;

/** Where a Teams user opens a 1:1 chat with this bot (a deep link); undefined outside Teams. */
export function privateChatLink(context: TurnContext): string | undefined {
  const botId = context.activity.recipient?.id;
  if (context.activity.channelId !== 'msteams' || !botId) return undefined;
  return `https://teams.microsoft.com/l/chat/0/0?users=${encodeURIComponent(botId)}`;
}

/**
 * The Microsoft 365 tenant a Teams message came from (`channelData.tenant.id`), for the case record. In an
 * agent-assisted call that is the agent's own tenant, which says nothing of the caller: none then.
 */
export function tenantOf(context: TurnContext): string | undefined {
  if (assistedCallOf(context)) return undefined;
  const tenant = (context.activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id ?? context.activity.conversation?.tenantId;
  return typeof tenant === 'string' && tenant.length <= 100 ? tenant : undefined;
}
