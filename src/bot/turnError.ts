import { ActivityTypes, type TurnContext } from 'botbuilder';
import type { i18n } from 'i18next';
import { chooseLanguage, turnLanguageIfKnown } from '../conversation/language';
import type { Logger } from '../log';
import type { Language } from '../i18n';

/**
 * The adapter's last line of defence: log the detail (masked) and tell the caller in their language. The failed
 * turn saved nothing, so the conversation is still where it was before it: the caller's answers are not lost and
 * the next message picks up at the same question. The process stays up.
 */
export function createTurnErrorHandler(runtime: { logger: Logger; i18n: i18n }, defaultLanguage: Language) {
  return async (context: TurnContext, error: Error): Promise<void> => {
    runtime.logger.error('turn.error', {
      error,
      conversationId: context.activity.conversation?.id,
      channelId: context.activity.channelId,
      activityType: context.activity.type,
    });
    try {
      const language = turnLanguageIfKnown(context) ?? chooseLanguage(context.activity.locale, undefined, defaultLanguage);
      await context.sendActivity(runtime.i18n.getFixedT(language)('errors:turn'));
    } catch (sendError) {
      runtime.logger.error('turn.error.reply-failed', { error: sendError as Error });
    }
    // An invoke (a card click in Teams) whose turn failed is still answered, with a plain 200 that replaces any card
    // the turn had prepared (its state was not kept): left unanswered, the adapter would reply 501 to Teams.
    if (context.activity.type === ActivityTypes.Invoke) await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200 } }).catch(() => undefined);
  };
}
