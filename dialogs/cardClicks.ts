import { ActivityTypes } from 'botbuilder';
import type { DialogContext, DialogTurnResult } from 'botbuilder-dialogs';
import { DialogTurnStatus } from '../src/conversation/sdkDialogs';
import type { i18n } from 'i18next';
import { cardIdOf, recordAnsweredCard } from '../src/conversation/cardClicks';
import { translatorFor } from '../src/conversation/language';
import { leafOf } from './interruptibleDialog';
import { chosenTitle, questionOf, render } from './questions';
import { answeredCardReply } from './replies';

/**
 * A card click — a message with a value and no words: an Action.Submit, or Teams' Action.Execute, which the bot hands
 * on as one — seen at the top of the dialog stack, before any flow or prompt reads it:
 * - a click on an older card (its id is not the open question's) answers nothing: nothing is done with it, and the
 *   caller is told so. A second click on a card already answered, or a card left over from an earlier flow offering the
 *   same options, can then never answer a question twice, or answer another one;
 * - a click the open question took is recorded as the card refreshed — the question and the choice, no buttons — for
 *   the bot to hand back to Teams in place of the clicked card.
 * A click without an id (a card sent before cards had one) is read as before.
 */
export async function continueWithCardClick(innerDc: DialogContext, i18n: i18n, next: () => Promise<DialogTurnResult>): Promise<DialogTurnResult> {
  const { activity } = innerDc.context;
  const value = activity.value as { choice?: unknown; answer?: unknown } | undefined;
  if (activity.type !== ActivityTypes.Message || activity.text || typeof value !== 'object' || value === null) return next();
  const open = leafOf(innerDc).activeDialog;
  const validations = open?.state?.options?.validations as { cardId?: string } | undefined;
  const clicked = cardIdOf(value);
  const t = translatorFor(innerDc.context, i18n);
  if (clicked !== undefined && clicked !== validations?.cardId) {
    // Said, and the open question asked again: in Teams it may have scrolled far out of sight.
    await innerDc.context.sendActivity(t('common:staleChoice'));
    if (open) await leafOf(innerDc).repromptDialog();
    return { status: DialogTurnStatus.waiting };
  }
  const question = questionOf(open?.state?.options);
  const title = question ? chosenTitle(t, question, value) : undefined;
  const asked = question ? render(t, question.ask) : undefined;
  const result = await next();
  // Answered when the question's prompt is no longer the one waiting (a retry keeps the same prompt instance).
  const answered = leafOf(innerDc).activeDialog?.state !== open?.state;
  if (title && asked && answered) recordAnsweredCard(innerDc.context, answeredCardReply(asked, t('common:chosen', { choice: title })));
  return result;
}
