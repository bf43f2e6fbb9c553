import type { ChannelAccount, ConversationParameters, TurnContext } from 'botbuilder';
import type { Language } from '../i18n';
import type { Logger } from '../log';
import type { ConversationLock } from '../storage/conversationLock';
import { turnLanguage } from '../conversation/language';
import { tenantOf, type PrivateChatOpener } from '../conversation/scope';
import { setTurnLock } from '../conversation/turnLock';

export interface PrivateChatDeps {
  /** The bot's app ID ('' without authentication), as for every message the bot starts itself. */
  appId: string;
  /** Greets the new chat as a new personal chat is greeted, in the given language (SupportBot.greetPrivateChat). */
  greet(context: TurnContext, language: Language): Promise<void>;
  /**
   * The new chat's turn holds its conversation's lock, as every turn does (the caller may already write there). It
   * does not queue in this instance's turn queue (the server's): a message arriving in that very chat at that moment
   * is not held back, but the state's eTags let only one of the two saves through — nothing is overwritten.
   */
  conversationLock: ConversationLock;
  logger: Logger;
}

/**
 * Teams: an account wish said in a group chat or channel opens a 1:1 chat with the caller, and the bot greets them
 * there. Teams hands back the caller's existing 1:1 chat when there is one; a chat already in the middle of something
 * is left as it is. Refused (403 when the app is not installed for that user; any error): false, and the link in the
 * shared conversation is the whole answer. Logged with the status only — no names, no ids.
 */
export function createPrivateChatOpener(deps: PrivateChatDeps): PrivateChatOpener {
  return async (context) => {
    const { activity } = context;
    const bot = activity.recipient;
    if (activity.channelId !== 'msteams' || !activity.from?.id || !bot?.id || !activity.serviceUrl) return false;
    // Only the id: the caller's name is not needed to open the chat, and is not handed on.
    const caller = { id: activity.from.id } as ChannelAccount;
    const tenantId = tenantOf(context);
    const parameters = { isGroup: false, bot, members: [caller], tenantId, channelData: tenantId ? { tenant: { id: tenantId } } : undefined } as ConversationParameters;
    const audience = context.turnState.get(context.adapter.OAuthScopeKey) as string;
    const language = turnLanguage(context);
    let failure: unknown;
    try {
      await context.adapter.createConversationAsync(deps.appId, activity.channelId, activity.serviceUrl, audience, parameters, async (created) => {
        // Inside the adapter's pipeline a failure would reach the turn error handler, which would apologise in the new
        // chat for something the caller never asked there: it is caught here and reported to the shared conversation.
        try {
          created.activity.from = caller;
          const key = `${created.activity.channelId}/${created.activity.conversation.id}`;
          await deps.conversationLock.run(key, (stillHeld, transaction) => {
            setTurnLock(created, stillHeld, transaction);
            return deps.greet(created, language);
          });
        } catch (error) {
          failure = error;
        }
      });
    } catch (error) {
      failure = error;
    }
    if (failure === undefined) return true;
    deps.logger.warn('teams.private-chat-not-opened', { status: statusOf(failure), reason: (failure as Error)?.name });
    return false;
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
